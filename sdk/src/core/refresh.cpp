// SPDX-License-Identifier: Apache-2.0
// access_token(): answered from memory, refreshed once at a time across threads and processes, with the
// rotated refresh token stored before the new access token is handed to anyone (RFC 6749 §6, §10.4;
// OAuth 2.0 Security BCP §4.14 on rotation). invalid_grant (or a bare 400/401) from the token endpoint
// ends the session; a network fault keeps it. A refreshed ID token ends it only when it is proven wrong;
// one that cannot be checked now (JWKS unreachable, clocks apart) leaves the previous claims in place.
// A token is due when it has less than the margin left by the earlier of its wall-clock and monotonic
// deadlines; the default margin is at most half the token's lifetime. Not here: the ID-token rules and
// the store-then-publish step (tokens_to_session.cpp), event delivery (events.cpp).
#include "core/client_impl.hpp"

#include "core/json_util.hpp"
#include "core/token_endpoint.hpp"
#include "core/userinfo.hpp"
#include "oidc/jwt.hpp"
#include "util/strings.hpp"

namespace nativeauth {
namespace {

/// Each thread remembers the last state it saw, keyed by version: while the version is unchanged the
/// fast path needs no lock and touches no shared cache line but the version's.
struct ThreadCache {
  std::uint64_t version = 0;
  std::shared_ptr<const SessionState> state;
};
thread_local ThreadCache t_cache;

Error sign_in_required(const std::string &why) { return make_error(ErrorCode::sign_in_required, why); }

/// Errors that say an ID token could not be checked now, not that it is wrong: the JWKS could not be
/// fetched, or this device's clock and the provider's disagree (or the key set is mid-rotation).
bool cannot_check_now(ErrorCode code) {
  switch (code) {
    case ErrorCode::network:
    case ErrorCode::tls:
    case ErrorCode::http_status:
    case ErrorCode::malformed_response:
    case ErrorCode::jwks_unavailable:
    case ErrorCode::id_token_unknown_key:
    case ErrorCode::id_token_expired:
    case ErrorCode::id_token_not_yet_valid:
    case ErrorCode::invalid_argument:  // a clock outside 1970..9999
      return true;
    default: return false;
  }
}

}  // namespace

bool fresh_enough(const SessionState &s, std::chrono::system_clock::time_point wall,
                  std::chrono::steady_clock::time_point steady, const Freshness &want) {
  if (s.dirty || s.token.value.empty()) return false;
  if (!s.token.expires_at) return true;  // the provider gave no lifetime: valid until the API says no
  auto left = std::chrono::duration_cast<std::chrono::seconds>(*s.token.expires_at - wall);
  if (s.steady_expiry)
    left = std::min(left, std::chrono::duration_cast<std::chrono::seconds>(*s.steady_expiry - steady));
  std::chrono::seconds margin = want.min_ttl;
  if (want.scaled && s.lifetime) margin = std::min(margin, *s.lifetime / 2);
  return left > margin;
}

Result<AccessToken> Client::access_token(const AccessTokenOptions &options) {
  if (!impl_) return make_error(ErrorCode::invalid_argument, "this Client was moved from");
  Impl &impl = *impl_;
  const Freshness want{options.min_ttl.value_or(impl.options.refresh_margin), !options.min_ttl.has_value()};
  const platform::Clock &clock = *impl.platform.clock;
  try {
    if (!options.force_refresh) {
      // Fast path: no lock while this thread's copy of the state is current.
      const std::uint64_t v = impl.version.load(std::memory_order_acquire);
      if (v == 0 || t_cache.version != v) {
        std::lock_guard<std::mutex> lock(impl.state_mutex);
        t_cache.state = impl.current;
        t_cache.version = impl.version.load(std::memory_order_relaxed);
      }
      if (t_cache.state && t_cache.version != 0 &&
          fresh_enough(*t_cache.state, clock.now(), clock.steady_now(), want)) {
        return copy_token(t_cache.state->token);
      }
    }

    // Slow path: one refresh in flight per Client; everyone else waits for its result.
    std::shared_ptr<RefreshFlight> flight;
    bool leader = false;
    bool holds_session = false;
    {
      std::lock_guard<std::mutex> lock(impl.state_mutex);
      if (!options.force_refresh && impl.current &&
          fresh_enough(*impl.current, clock.now(), clock.steady_now(), want)) {
        return copy_token(impl.current->token);
      }
      holds_session = impl.current != nullptr;
    }
    // A process that has not read the slot yet asks the token cache first (token_cache.cpp).
    if (!options.force_refresh && !holds_session) {
      if (auto cached = impl.cached_token(want)) return std::move(*cached);
    }
    {
      std::lock_guard<std::mutex> lock(impl.state_mutex);
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
    return impl.lead_refresh(*flight, want, options.force_refresh);
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("unexpected failure: ") + e.what());
  }
}

Result<AccessToken> Client::Impl::lead_refresh(RefreshFlight &mine, const Freshness &want, bool force) {
  PendingEvents events;
  Result<AccessToken> result = make_error(ErrorCode::internal, "refresh did not run");
  try {
    result = refresh(want, force, events);
  } catch (const std::exception &e) {
    result = make_error(ErrorCode::internal, std::string("unexpected failure during refresh: ") + e.what());
  }
  {
    std::lock_guard<std::mutex> lock(state_mutex);
    flight.reset();
  }
  {
    std::lock_guard<std::mutex> lock(mine.mutex);
    mine.result.emplace(copy_token_result(result));
    mine.done = true;
  }
  mine.done_cv.notify_all();
  emit(events);
  return result;
}

Result<Client::Impl::LockedSlot> Client::Impl::lock_and_read_slot(const platform::SlotKey &key, PendingEvents &events) {
  LockedSlot out;
  auto held = platform.locks->acquire(key, lock_timeout);
  if (!held) return std::move(held).error();
  out.held = std::move(*held);
  {
    std::lock_guard<std::mutex> lock(state_mutex);
    out.mine = current;
  }
  // Under the lock, the slot is the truth: another process may have rotated, or signed out.
  auto loaded = platform.store->load(key);
  if (!loaded) return std::move(loaded).error();
  if (!loaded->has_value()) {
    // Erased: signed out here or elsewhere. Even our own unsaved rotation must not bring it back (a
    // failed store leaves the old record in place, so an empty slot can only mean a sign-out).
    if (out.mine) {
      publish(nullptr);
      events.push_back(event(SessionEventKind::signed_out, out.mine->record.session.claims.subject()));
    }
    return out;
  }
  auto parsed = core::parse_session_record(**loaded, key);
  if (!parsed) return std::move(parsed).error();
  out.record = std::move(*parsed);
  return out;
}

Result<AccessToken> Client::Impl::refresh(const Freshness &want, bool force, PendingEvents &events) {
  const platform::SlotKey key = slot();
  const auto started = platform.clock->now();
  auto slot_now = lock_and_read_slot(key, events);
  if (!slot_now) return std::move(slot_now).error();
  if (!slot_now->record) return sign_in_required("no session for this app: sign in first");
  const std::shared_ptr<const SessionState> &mine = slot_now->mine;
  core::SessionRecord &record = *slot_now->record;
  const auto now = platform.clock->now();

  if (mine && mine->dirty && mine->record.session.issued_at >= record.session.issued_at) {
    // Our rotation never reached the store and the slot still holds what we rotated from: store it now,
    // before the new access token is used.
    auto stored = store_and_publish(mine->record.session, mine->record.token_endpoint, mine->record.unknown_members);
    if (!stored) return std::move(stored).error();
    return token_of(mine->record.session);
  }
  if (auto adopted = adopt_from_slot(mine.get(), record, started, now, want, force, events)) {
    return std::move(*adopted);
  }
  if (record.session.refresh_token.empty()) {
    return sign_in_required("the access token expired and the provider issued no refresh token: sign in again");
  }

  auto metadata = oidc::discover(*platform.http, options.issuer, log);
  if (!metadata) return std::move(metadata).error();
  const oidc::ProviderMetadata &md = **metadata;
  auto tokens = redeem_refresh_token(record, md);
  if (!tokens) return refresh_refused(std::move(tokens).error(), record, now, events);
  return store_refreshed(record, *tokens, md, now, events);
}

std::optional<AccessToken> Client::Impl::adopt_from_slot(const SessionState *mine, core::SessionRecord &record,
                                                         std::chrono::system_clock::time_point started,
                                                         std::chrono::system_clock::time_point now,
                                                         const Freshness &want, bool force, PendingEvents &events) {
  // Another process may already hold fresh tokens: then adopt them, with no grant.
  const bool changed = !mine || !(mine->record.session.refresh_token == record.session.refresh_token) ||
                       !(mine->record.session.access_token == record.session.access_token);
  auto next = std::make_shared<SessionState>();
  next->token = token_of(record.session);
  next->record = std::move(record);
  set_deadlines(*next, *platform.clock);
  // The same tokens as in hand: keep the monotonic deadline they already had (re-deriving it from the
  // wall clock would undo it when that clock was set back).
  if (!changed && mine->steady_expiry && (!next->steady_expiry || *mine->steady_expiry < *next->steady_expiry)) {
    next->steady_expiry = mine->steady_expiry;
  }
  // Tokens written after this call began were stored by another process while we waited for the lock:
  // "already rotated", so use them whatever min_ttl asks. The write time is taken after that process's
  // token response arrived (its issued_at, from before its request, may precede our start).
  const auto written = next->record.written_at.value_or(next->record.session.issued_at);
  const bool rotated_meanwhile = changed && written >= started &&
                                 (!next->token.expires_at || *next->token.expires_at > now);
  // A forced refresh adopts only tokens newer than the ones this client had in hand (those may be
  // what the API just rejected); with none in hand, forced means forced.
  if (!rotated_meanwhile &&
      !(fresh_enough(*next, now, platform.clock->steady_now(), want) && (!force || (mine && changed)))) {
    record = std::move(next->record);  // the caller redeems its refresh token
    return std::nullopt;
  }
  const std::string subject = next->record.session.claims.subject();
  publish(next);
  if (changed && mine) events.push_back(event(SessionEventKind::refreshed, subject));
  return copy_token(next->token);
}

Result<core::TokenResponse> Client::Impl::redeem_refresh_token(const core::SessionRecord &record,
                                                               const oidc::ProviderMetadata &md) {
  // One retry when the response was lost after the request may have reached the provider: providers
  // with a reuse grace window accept the same refresh token again; others answer invalid_grant.
  Result<core::TokenResponse> tokens = make_error(ErrorCode::internal, "no attempt");
  // RFC 9449 §5.2: a bound refresh token is redeemed only with a proof by its key.
  std::shared_ptr<platform::ProofKey> key;
  if (record.session.dpop) {
    auto opened = proof_key(*record.session.dpop);
    if (!opened) return std::move(opened).error();
    key = std::move(*opened);
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto request = core::make_token_request(md.token_endpoint,
                                            {{"grant_type", "refresh_token"},
                                             {"refresh_token", std::string(record.session.refresh_token.reveal())}},
                                            options.client_id, options.client_secret);
    log.debug(attempt == 0 ? "refreshing the access token" : "retrying the refresh once (the response was lost)");
    auto response = send_with_proof(std::move(request), key.get());
    if (!response) {
      tokens = std::move(response).error();
      if (tokens.error().code == ErrorCode::network) continue;
      break;
    }
    tokens = core::parse_token_response(*response);
    if (tokens && tokens->token_type == "DPoP" && !key) {
      tokens = make_error(ErrorCode::invalid_token_response,
                          "the provider issued a DPoP-bound token although no DPoP proof was sent (RFC 9449 §5)");
    }
    break;
  }
  return tokens;
}

Result<AccessToken> Client::Impl::refresh_refused(Error e, const core::SessionRecord &record,
                                                  std::chrono::system_clock::time_point now, PendingEvents &events) {
  // RFC 6749 §5.2 asks for an OAuth error body with every 400/401 from the token endpoint; some providers
  // answer a revoked refresh token with a bare 400. Either way the provider refused the grant: no retry
  // can change that, and reporting it as "unreachable" would keep a dead session forever.
  const bool bare_refusal = e.code == ErrorCode::http_status && e.oauth_error.empty() &&
                            (e.http_status == 400 || e.http_status == 401);
  if (e.code == ErrorCode::invalid_grant || bare_refusal) {
    // The provider ended the session (revoked, expired, reused). The slot is ours (we hold its lock).
    end_session(slot(), record.session, e, events);
    log.info(bare_refusal ? "the token endpoint refused the refresh token (HTTP " + std::to_string(e.http_status) +
                                " without an OAuth error); sign-in is required"
                          : "the provider ended the session (invalid_grant); sign-in is required");
    Error out = e;
    out.code = ErrorCode::sign_in_required;
    out.transient = false;
    out.message = bare_refusal ? "the provider refused the refresh token (HTTP " + std::to_string(e.http_status) +
                                     " with no OAuth error, as some providers answer a revoked token); the session "
                                     "has ended; sign in again"
                               : "the provider ended the session; sign in again";
    return out;
  }
  if (!e.oauth_error.empty() && !e.transient) return e;  // invalid_client and the like: the session is kept
  if (e.code == ErrorCode::http_status && !e.transient) {
    e.message = "could not refresh the session: " + e.message;  // a final answer, but not about the session
    return e;
  }
  // Transient: keep the session; an access token that has not expired yet is still good to use (not one
  // an API refused: reject_token.cpp forgot it, and a wall clock set back must not make it look valid).
  const AccessToken current_token = token_of(record.session);
  if (!current_token.value.empty() && current_token.expires_at && *current_token.expires_at > now) {
    log.warning("refresh failed for now (" + e.message + "); using the current access token until it expires");
    return copy_token(current_token);
  }
  e.transient = true;
  e.message = "could not refresh the session: " + e.message;
  return e;
}

Result<std::optional<core::Json>> Client::Impl::refreshed_claims(const SecretString &id_token,
                                                                 const core::SessionRecord &record,
                                                                 const oidc::ProviderMetadata &md) {
  const std::string subject = record.session.claims.subject();
  // "now" is read after the grant: a slow round trip must not make a fresh token look issued in the future.
  const oidc::IdTokenCheck check = id_token_check(md, std::nullopt, std::nullopt, platform.clock->now());
  auto claims = oidc::validate_id_token(id_token.reveal(), check, *jwks_for(md.jwks_uri));
  if (claims) {
    if ((*claims)["sub"] != subject) {
      return make_error(ErrorCode::id_token_malformed, "a refresh returned an ID token for another user (sub changed)");
    }
    return std::optional<core::Json>(std::move(*claims));
  }
  Error e = std::move(claims).error();
  if (!cannot_check_now(e.code)) return e;
  // Unchecked, it still may not name someone else: that alone is reason enough to refuse it.
  if (auto jwt = oidc::parse_jwt(id_token.reveal()); jwt) {
    const auto sub = core::get_string(jwt->payload, "sub");
    if (sub && *sub != subject) {
      return make_error(ErrorCode::id_token_malformed, "a refresh returned an ID token for another user (sub changed)");
    }
  }
  log.warning("the ID token from this refresh could not be checked now (" + e.message +
              "); the renewed tokens are kept with the previous ID token, and the next refresh checks again");
  return std::optional<core::Json>();
}

Result<AccessToken> Client::Impl::store_refreshed(const core::SessionRecord &record, core::TokenResponse &tokens,
                                                  const oidc::ProviderMetadata &md,
                                                  std::chrono::system_clock::time_point requested,
                                                  PendingEvents &events) {
  Session next = core::clone_session(record.session);
  if (!tokens.id_token.empty()) {
    auto claims = refreshed_claims(tokens.id_token, record, md);
    if (!claims) {
      // Tokens that may belong to someone else are never used: the session ends here.
      Error bad = std::move(claims).error();
      end_session(slot(), record.session, bad, events);
      bad.message = "the ID token returned by a refresh was refused (" + bad.message + "); sign in again";
      return bad;
    }
    if (*claims) {
      // Claims the session had from UserInfo (or an earlier ID token) and this ID token lacks stay, by the
      // UserInfo merge rule: same sub, never a protocol claim.
      (void)core::merge_userinfo(**claims, record.session.claims.json());
      next.id_token = std::move(tokens.id_token);
      next.claims = Claims((*claims)->dump(-1, ' ', false, core::Json::error_handler_t::replace));
    }
  }
  next.access_token = std::move(tokens.access_token);
  if (!tokens.refresh_token.empty()) next.refresh_token = std::move(tokens.refresh_token);
  next.token_type = tokens.token_type;
  next.access_token_expiry.reset();
  // Lifetimes count from before the request: never later than the provider's own clock started them.
  if (tokens.expires_in) next.access_token_expiry = requested + std::chrono::seconds(*tokens.expires_in);
  if (tokens.scope) next.scopes = util::split_spaces(*tokens.scope);
  next.issued_at = requested;

  // Stored before anyone sees the new access token (and before the lock is released).
  auto stored = store_and_publish(next, md.token_endpoint, record.unknown_members);
  if (!stored) return std::move(stored).error();
  events.push_back(event(SessionEventKind::refreshed, next.claims.subject()));
  log.info("access token refreshed");
  return token_of(next);
}

void Client::Impl::end_session(const platform::SlotKey &key, const Session &ended_session, const Error &reason,
                               PendingEvents &events) {
  const std::string subject = ended_session.claims.subject();
  (void)platform.store->erase(key);
  if (ended_session.dpop) discard_key(*ended_session.dpop);
  publish(nullptr);
  SessionEvent ended = event(SessionEventKind::ended, subject);
  ended.reason = reason;
  events.push_back(std::move(ended));
}

}  // namespace nativeauth
