// SPDX-License-Identifier: Apache-2.0
// What every flow shares once the token endpoint has answered: token response → validated ID token
// (OIDC Core §3.1.3.7, set up in one place for sign-in, device flow and refresh) → Session, with the
// claims the ID token lacks from the UserInfo endpoint (userinfo.cpp) → stored in the slot → published
// to access_token()'s fast path → `signed_in`. Not here: asking for the tokens (sign_in.cpp,
// device_flow.cpp, refresh.cpp), event delivery (events.cpp).
#include "core/client_impl.hpp"

#include "core/token_endpoint.hpp"
#include "util/strings.hpp"

namespace nativeauth {
namespace {

std::atomic<std::uint64_t> g_versions{0};

}  // namespace

std::uint64_t next_state_version() noexcept { return g_versions.fetch_add(1, std::memory_order_relaxed) + 1; }

AccessToken token_of(const Session &s) {
  AccessToken t;
  t.value = s.access_token.clone();
  t.token_type = s.token_type.empty() ? "Bearer" : s.token_type;
  t.expires_at = s.access_token_expiry;
  t.scopes = s.scopes;
  return t;
}

void set_deadlines(SessionState &state, const platform::Clock &clock) {
  const Session &s = state.record.session;
  if (s.access_token_expiry && *s.access_token_expiry > s.issued_at) {
    state.lifetime = std::chrono::duration_cast<std::chrono::seconds>(*s.access_token_expiry - s.issued_at);
  }
  if (!state.token.expires_at) return;
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(*state.token.expires_at - clock.now());
  if (left > std::chrono::hours(24 * 366)) return;  // far off: the wall clock alone will do, and no overflow
  // What is left by the wall clock now, from now on counted by the clock that is never set back.
  state.steady_expiry = clock.steady_now() + left;
}

AccessToken copy_token(const AccessToken &t) {
  return AccessToken{t.value.clone(), t.token_type, t.expires_at, t.scopes};  // built in place: no move-assignments
}

Result<AccessToken> copy_token_result(const Result<AccessToken> &r) {
  if (!r) return r.error();
  return copy_token(*r);
}

std::shared_ptr<oidc::JwksCache> Client::Impl::jwks_for(const std::string &uri) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!jwks || jwks_uri_of_cache != uri) {
    jwks = std::make_shared<oidc::JwksCache>(platform.http, uri, log);
    jwks_uri_of_cache = uri;
  }
  return jwks;
}

oidc::IdTokenCheck Client::Impl::id_token_check(const oidc::ProviderMetadata &md, std::optional<std::string> nonce,
                                                std::optional<std::chrono::seconds> max_age,
                                                std::chrono::system_clock::time_point now) const {
  oidc::IdTokenCheck check;
  check.issuer = md.issuer;
  check.client_id = options.client_id;
  check.nonce = std::move(nonce);
  check.max_age = max_age;
  check.allowed_algs = md.id_token_signing_alg_values_supported;
  check.leeway = options.clock_leeway;
  check.now = now;
  return check;
}

Result<Session> Client::Impl::session_from_tokens(const platform::HttpResponse &http_response,
                                                  const oidc::ProviderMetadata &md,
                                                  const std::optional<std::string> &nonce,
                                                  std::optional<std::chrono::seconds> max_age,
                                                  const std::vector<std::string> &scopes, const NewDpopKey *dpop) {
  auto tokens = core::parse_token_response(http_response);
  if (!tokens) return std::move(tokens).error();
  auto bound = bound_by_response(tokens->token_type, dpop);
  if (!bound) return std::move(bound).error();
  if (tokens->id_token.empty()) {
    return make_error(ErrorCode::invalid_token_response,
                      "the token response has no id_token although the openid scope was requested");
  }

  const oidc::IdTokenCheck check = id_token_check(md, nonce, max_age, platform.clock->now());
  auto claims = oidc::validate_id_token(tokens->id_token.reveal(), check, *jwks_for(md.jwks_uri));
  if (!claims) return std::move(claims).error();

  Session s;
  s.issuer = md.issuer;
  s.client_id = options.client_id;
  s.profile = options.profile;
  s.access_token = std::move(tokens->access_token);
  s.refresh_token = std::move(tokens->refresh_token);
  s.id_token = std::move(tokens->id_token);
  s.token_type = tokens->token_type;
  if (tokens->expires_in) s.access_token_expiry = check.now + std::chrono::seconds(*tokens->expires_in);
  s.scopes = tokens->scope ? util::split_spaces(*tokens->scope) : scopes;
  if (*bound) {
    const DpopBinding &b = dpop->binding;
    s.dpop = DpopBinding{b.key_store, b.algorithm, b.jkt, b.key_reference.clone()};
    std::lock_guard<std::mutex> lock(key_mutex);  // open: its proofs (userinfo, refresh) need no reopening
    open_key.binding = DpopBinding{b.key_store, b.algorithm, b.jkt, SecretString()};
    open_key.key = dpop->key;
  }
  add_userinfo_claims(*claims, s, md);  // browser and device sign-in; refresh.cpp does not come here
  s.claims = Claims(claims->dump(-1, ' ', false, core::Json::error_handler_t::replace));
  s.issued_at = check.now;
  return s;
}

Result<Session> Client::Impl::store_signed_in(Session session, const oidc::ProviderMetadata &md) {
  constexpr char kWhat[] = "signed in, but the session";
  {
    // The slot lock keeps a refresh or sign-out in another process from interleaving with this write.
    auto held = platform.locks->acquire(slot(), lock_timeout);
    if (!held) {
      Error e = std::move(held).error();
      e.message = std::string(kWhat) + " could not be stored: " + e.message;
      return e;
    }
    // The key of the session this one replaces is deleted once the new session is stored (RFC 9449: one key
    // per session; a TPM or CNG key would otherwise outlive it).
    std::optional<DpopBinding> replaced = replaced_key(session);
    auto stored = store_and_publish(session, md.token_endpoint, "{}", kWhat);
    if (!stored) return std::move(stored).error();  // it says what could not be stored, once
    if (replaced) discard_key(*replaced);
  }
  emit({event(SessionEventKind::signed_in, session.claims.subject())});
  log.info("signed in");
  return session;
}

std::optional<DpopBinding> Client::Impl::replaced_key(const Session &next) {
  auto loaded = platform.store->load(slot());
  if (!loaded || !loaded->has_value()) return std::nullopt;
  auto record = core::parse_session_record(**loaded, slot());
  if (!record || !record->session.dpop) return std::nullopt;
  if (next.dpop && next.dpop->jkt == record->session.dpop->jkt) return std::nullopt;
  return std::move(record->session.dpop);
}

void Client::Impl::publish(std::shared_ptr<const SessionState> next) {
  std::lock_guard<std::mutex> lock(state_mutex);
  current = std::move(next);
  version.store(next_state_version(), std::memory_order_release);
}

Result<void> Client::Impl::store_and_publish(const Session &session, const std::string &token_endpoint,
                                             const std::string &unknown_members, const char *what) {
  auto next = std::make_shared<SessionState>();
  next->token = token_of(session);
  next->record.session = core::clone_session(session);
  next->record.token_endpoint = token_endpoint;
  next->record.unknown_members = unknown_members;
  next->record.written_at = platform.clock->now();
  set_deadlines(*next, *platform.clock);
  auto saved = platform.store->save(slot(), core::serialize_session(session, token_endpoint, unknown_members,
                                                                    next->record.written_at));
  if (!saved) {
    // Keep the tokens in memory (the old refresh token may already be dead at the provider), but do not
    // hand them out until they are stored: the next call tries to store them again.
    next->dirty = true;
    publish(std::move(next));
    Error e = std::move(saved).error();
    e.message = std::string(what) + " could not be stored: " + e.message;
    e.transient = true;
    return e;
  }
  publish(std::move(next));
  return {};
}

}  // namespace nativeauth
