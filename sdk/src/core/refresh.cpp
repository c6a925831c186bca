// SPDX-License-Identifier: Apache-2.0
// access_token(): answered from memory, refreshed once at a time across threads and processes, with the
// rotated refresh token stored before the new access token is handed to anyone (RFC 6749 §6, §10.4;
// OAuth 2.0 Security BCP §4.14 on rotation). A token-endpoint OAuth error ends the session; anything
// else is transient (AppAuth's rule).
#include "core/client_impl.hpp"

#include "core/token_endpoint.hpp"
#include "oidc/id_token.hpp"

#include <sstream>

namespace nativeauth {
namespace {

std::atomic<std::uint64_t> g_versions{0};

/// Each thread remembers the last state it saw, keyed by version: while the version is unchanged the
/// fast path needs no lock and touches no shared cache line but the version's.
struct ThreadCache {
  std::uint64_t version = 0;
  std::shared_ptr<const SessionState> state;
};
thread_local ThreadCache t_cache;

bool fresh_enough(const SessionState &s, std::chrono::system_clock::time_point now, std::chrono::seconds min_ttl) {
  if (s.dirty || s.token.value.empty()) return false;
  if (!s.token.expires_at) return true;  // the provider gave no lifetime: valid until the API says no
  return *s.token.expires_at - now > min_ttl;
}

AccessToken token_of(const Session &s) {
  AccessToken t;
  t.value = s.access_token.clone();
  t.token_type = s.token_type.empty() ? "Bearer" : s.token_type;
  t.expires_at = s.access_token_expiry;
  return t;
}

AccessToken copy_token(const AccessToken &t) {
  return AccessToken{t.value.clone(), t.token_type, t.expires_at};  // built in place: no move-assignments
}

std::vector<std::string> split_spaces(const std::string &s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string part; in >> part;) out.push_back(part);
  return out;
}

Error sign_in_required(const std::string &why) { return make_error(ErrorCode::sign_in_required, why); }

}  // namespace

std::uint64_t next_state_version() noexcept { return g_versions.fetch_add(1, std::memory_order_relaxed) + 1; }

Result<AccessToken> copy_token_result(const Result<AccessToken> &r) {
  if (!r) return r.error();
  return copy_token(*r);
}

SessionEvent Client::Impl::event(SessionEventKind kind, const std::string &subject) const {
  SessionEvent e;
  e.kind = kind;
  e.issuer = options.issuer;
  e.client_id = options.client_id;
  e.profile = options.profile;
  e.subject = subject;
  return e;
}

void Client::Impl::publish(std::shared_ptr<const SessionState> next) {
  std::lock_guard<std::mutex> lock(state_mutex);
  current = std::move(next);
  version.store(next_state_version(), std::memory_order_release);
}

Result<void> Client::Impl::store_and_publish(const Session &session, const std::string &token_endpoint,
                                             const std::string &unknown_members) {
  auto next = std::make_shared<SessionState>();
  next->token = token_of(session);
  next->record.session = core::clone_session(session);
  next->record.token_endpoint = token_endpoint;
  next->record.unknown_members = unknown_members;
  auto saved = platform.store->save(slot(), core::serialize_session(session, token_endpoint, unknown_members));
  if (!saved) {
    // Keep the tokens in memory (the old refresh token may already be dead at the provider), but do not
    // hand them out until they are stored: the next call tries to store them again.
    next->dirty = true;
    publish(std::move(next));
    Error e = std::move(saved).error();
    e.message = "the renewed session could not be stored: " + e.message;
    e.transient = true;
    return e;
  }
  publish(std::move(next));
  return {};
}

Result<AccessToken> Client::access_token(const AccessTokenOptions &options) {
  if (!impl_) return make_error(ErrorCode::invalid_argument, "this Client was moved from");
  Impl &impl = *impl_;
  const auto min_ttl = options.min_ttl.value_or(impl.options.refresh_margin);
  try {
    if (!options.force_refresh) {
      // Fast path: no lock while this thread's copy of the state is current.
      const std::uint64_t v = impl.version.load(std::memory_order_acquire);
      if (v == 0 || t_cache.version != v) {
        std::lock_guard<std::mutex> lock(impl.state_mutex);
        t_cache.state = impl.current;
        t_cache.version = impl.version.load(std::memory_order_relaxed);
      }
      if (t_cache.state && t_cache.version != 0 && fresh_enough(*t_cache.state, impl.platform.clock->now(), min_ttl)) {
        return copy_token(t_cache.state->token);
      }
    }

    // Slow path: one refresh in flight per Client; everyone else waits for its result.
    std::shared_ptr<RefreshFlight> flight;
    bool leader = false;
    {
      std::lock_guard<std::mutex> lock(impl.state_mutex);
      if (!options.force_refresh && impl.current && fresh_enough(*impl.current, impl.platform.clock->now(), min_ttl)) {
        return copy_token(impl.current->token);
      }
      if (impl.flight) {
        flight = impl.flight;
      } else {
        flight = impl.flight = std::make_shared<RefreshFlight>();
        leader = true;
      }
    }
    if (!leader) {
      std::unique_lock<std::mutex> lock(flight->mutex);
      flight->done_cv.wait(lock, [&] { return flight->done; });
      return copy_token_result(*flight->result);
    }

    PendingEvents events;
    Result<AccessToken> result = make_error(ErrorCode::internal, "refresh did not run");
    try {
      result = impl.refresh(min_ttl, options.force_refresh, events);
    } catch (const std::exception &e) {
      result = make_error(ErrorCode::internal, std::string("unexpected failure during refresh: ") + e.what());
    }
    {
      std::lock_guard<std::mutex> lock(impl.state_mutex);
      impl.flight.reset();
    }
    {
      std::lock_guard<std::mutex> lock(flight->mutex);
      flight->result.emplace(copy_token_result(result));
      flight->done = true;
    }
    flight->done_cv.notify_all();
    impl.emit(events);
    return result;
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("unexpected failure: ") + e.what());
  }
}

Result<AccessToken> Client::Impl::refresh(std::chrono::seconds min_ttl, bool force, PendingEvents &events) {
  const platform::SlotKey key = slot();
  const auto started = platform.clock->now();
  auto held = platform.locks->acquire(key, options.lock_timeout);
  if (!held) return std::move(held).error();

  std::shared_ptr<const SessionState> mine;
  {
    std::lock_guard<std::mutex> lock(state_mutex);
    mine = current;
  }
  // Under the lock, the slot is the truth: another process may have rotated, or signed out.
  auto loaded = platform.store->load(key);
  if (!loaded) return std::move(loaded).error();
  if (!loaded->has_value()) {
    // Erased: signed out here or elsewhere. Even our own unsaved rotation must not bring it back (a
    // failed store leaves the old record in place, so an empty slot can only mean a sign-out).
    if (mine) {
      publish(nullptr);
      events.push_back(event(SessionEventKind::signed_out, mine->record.session.claims.subject()));
    }
    return sign_in_required("no session for this app: sign in first");
  }
  auto parsed = core::parse_session_record(**loaded, key);
  if (!parsed) return std::move(parsed).error();
  core::SessionRecord record = std::move(*parsed);
  const auto now = platform.clock->now();

  if (mine && mine->dirty && mine->record.session.issued_at >= record.session.issued_at) {
    // Our rotation never reached the store and the slot still holds what we rotated from: store it now,
    // before the new access token is used.
    auto stored = store_and_publish(mine->record.session, mine->record.token_endpoint, mine->record.unknown_members);
    if (!stored) return std::move(stored).error();
    return token_of(mine->record.session);
  }

  // Another process may already hold fresh tokens: then adopt them, with no grant.
  const bool changed = !mine || !(mine->record.session.refresh_token == record.session.refresh_token) ||
                       !(mine->record.session.access_token == record.session.access_token);
  SessionState candidate;
  candidate.token = token_of(record.session);
  // Tokens issued after this call began were made by another process while we waited for the lock:
  // "already rotated", so use them whatever min_ttl asks (records keep issued_at in milliseconds).
  const bool rotated_meanwhile =
      changed && record.session.issued_at >= started &&
      (!candidate.token.expires_at || *candidate.token.expires_at > now);
  // A forced refresh adopts only tokens newer than the ones this client had in hand (those may be
  // what the API just rejected); with none in hand, forced means forced.
  if (rotated_meanwhile || (fresh_enough(candidate, now, min_ttl) && (!force || (mine && changed)))) {
    auto next = std::make_shared<SessionState>();
    next->token = token_of(record.session);
    next->record = std::move(record);
    const std::string subject = next->record.session.claims.subject();
    publish(next);
    if (changed && mine) events.push_back(event(SessionEventKind::refreshed, subject));
    return copy_token(next->token);
  }
  if (record.session.refresh_token.empty()) {
    return sign_in_required("the access token expired and the provider issued no refresh token: sign in again");
  }

  auto metadata = oidc::discover(*platform.http, options.issuer, log);
  if (!metadata) return std::move(metadata).error();
  const oidc::ProviderMetadata &md = **metadata;

  // One retry when the response was lost after the request may have reached the provider: providers
  // with a reuse grace window accept the same refresh token again; others answer invalid_grant.
  Result<core::TokenResponse> tokens = make_error(ErrorCode::internal, "no attempt");
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto request = core::make_token_request(
        md.token_endpoint,
        {{"grant_type", "refresh_token"}, {"refresh_token", std::string(record.session.refresh_token.reveal())}},
        options.client_id, options.client_secret);
    log.debug(attempt == 0 ? "refreshing the access token" : "retrying the refresh once (the response was lost)");
    auto response = platform.http->send(request);
    if (!response) {
      tokens = std::move(response).error();
      if (tokens.error().code == ErrorCode::network) continue;
      break;
    }
    tokens = core::parse_token_response(*response);
    break;
  }

  if (!tokens) {
    Error e = std::move(tokens).error();
    if (e.code == ErrorCode::invalid_grant || (!e.oauth_error.empty() && !e.transient)) {
      if (e.code == ErrorCode::invalid_grant) {
        // The provider ended the session (revoked, expired, reused). The slot is ours (we hold its lock).
        (void)platform.store->erase(key);
        publish(nullptr);
        SessionEvent ended = event(SessionEventKind::ended, record.session.claims.subject());
        ended.reason = e;
        events.push_back(std::move(ended));
        log.info("the provider ended the session (invalid_grant); sign-in is required");
        Error out = e;
        out.code = ErrorCode::sign_in_required;
        out.message = "the provider ended the session; sign in again";
        return out;
      }
      return e;  // invalid_client and the like: a configuration problem, the session is kept
    }
    // Transient: keep the session; an access token that has not expired yet is still good to use.
    if (candidate.token.expires_at && *candidate.token.expires_at > now) {
      log.warning("refresh failed for now (" + e.message + "); using the current access token until it expires");
      return copy_token(candidate.token);
    }
    e.transient = true;
    e.message = "could not refresh the session: " + e.message;
    return e;
  }

  // OpenID Connect Core §12.2: an ID token from a refresh must name the same iss, sub and aud.
  Session next = core::clone_session(record.session);
  if (!tokens->id_token.empty()) {
    oidc::IdTokenCheck check;
    check.issuer = md.issuer;
    check.client_id = options.client_id;
    check.allowed_algs = md.id_token_signing_alg_values_supported;
    check.leeway = options.clock_leeway;
    check.now = now;
    auto claims = oidc::validate_id_token(tokens->id_token.reveal(), check, *jwks_for(md.jwks_uri));
    Error bad = claims ? Error{} : claims.error();
    if (claims && (*claims)["sub"] != record.session.claims.subject()) {
      bad = make_error(ErrorCode::id_token_malformed, "a refresh returned an ID token for another user (sub changed)");
    }
    if (!claims || bad.code == ErrorCode::id_token_malformed) {
      // Tokens that may belong to someone else are never used: the session ends here.
      (void)platform.store->erase(key);
      publish(nullptr);
      SessionEvent ended = event(SessionEventKind::ended, record.session.claims.subject());
      ended.reason = bad;
      events.push_back(std::move(ended));
      bad.message = "the ID token returned by a refresh was refused (" + bad.message + "); sign in again";
      return bad;
    }
    next.id_token = std::move(tokens->id_token);
    next.claims = Claims(claims->dump(-1, ' ', false, core::Json::error_handler_t::replace));
  }
  next.access_token = std::move(tokens->access_token);
  if (!tokens->refresh_token.empty()) next.refresh_token = std::move(tokens->refresh_token);
  next.token_type = tokens->token_type;
  next.access_token_expiry.reset();
  if (tokens->expires_in) next.access_token_expiry = now + std::chrono::seconds(*tokens->expires_in);
  if (tokens->scope) next.scopes = split_spaces(*tokens->scope);
  next.issued_at = now;

  // Stored before anyone sees the new access token (and before the lock is released).
  auto stored = store_and_publish(next, md.token_endpoint, record.unknown_members);
  if (!stored) return std::move(stored).error();
  events.push_back(event(SessionEventKind::refreshed, next.claims.subject()));
  log.info("access token refreshed");
  return token_of(next);
}

std::uint64_t Client::subscribe(SessionEventHandler handler) {
  if (!impl_ || !handler) return 0;
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  const std::uint64_t id = impl_->next_subscriber++;
  impl_->subscribers.emplace(id, std::move(handler));
  return id;
}

void Client::unsubscribe(std::uint64_t id) noexcept {
  if (!impl_) return;
  try {
    std::lock_guard<std::mutex> lock(impl_->state_mutex);
    impl_->subscribers.erase(id);
  } catch (...) {
  }
}

void Client::Impl::emit(const PendingEvents &events) {
  if (events.empty()) return;
  std::vector<SessionEventHandler> handlers;
  {
    std::lock_guard<std::mutex> lock(state_mutex);
    for (const auto &entry : subscribers) handlers.push_back(entry.second);
  }
  for (const auto &e : events) {
    for (const auto &h : handlers) {
      try {
        h(e);
      } catch (...) {
        log.warning("a session event handler threw; ignored");
      }
    }
  }
}

}  // namespace nativeauth
