// SPDX-License-Identifier: Apache-2.0
// access_token(): answered from memory, refreshed once at a time across threads and processes, with the
// rotated refresh token stored before the new access token is handed to anyone (RFC 6749 §6, §10.4;
// OAuth 2.0 Security BCP §4.14 on rotation). A token-endpoint OAuth error ends the session; anything
// else is transient (AppAuth's rule). Not here: the ID-token rules and the store-then-publish step
// (tokens_to_session.cpp), event delivery (events.cpp).
#include "core/client_impl.hpp"

#include "core/token_endpoint.hpp"
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

bool fresh_enough(const SessionState &s, std::chrono::system_clock::time_point now, std::chrono::seconds min_ttl) {
  if (s.dirty || s.token.value.empty()) return false;
  if (!s.token.expires_at) return true;  // the provider gave no lifetime: valid until the API says no
  return *s.token.expires_at - now > min_ttl;
}

Error sign_in_required(const std::string &why) { return make_error(ErrorCode::sign_in_required, why); }

}  // namespace

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
    return impl.lead_refresh(*flight, min_ttl, options.force_refresh);
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("unexpected failure: ") + e.what());
  }
}

Result<AccessToken> Client::Impl::lead_refresh(RefreshFlight &mine, std::chrono::seconds min_ttl, bool force) {
  PendingEvents events;
  Result<AccessToken> result = make_error(ErrorCode::internal, "refresh did not run");
  try {
    result = refresh(min_ttl, force, events);
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

Result<AccessToken> Client::Impl::refresh(std::chrono::seconds min_ttl, bool force, PendingEvents &events) {
  const platform::SlotKey key = slot();
  const auto started = platform.clock->now();
  auto held = platform.locks->acquire(key, lock_timeout);
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
  if (auto adopted = adopt_from_slot(mine.get(), record, started, now, min_ttl, force, events)) {
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

std::optional<AccessToken> Client::Impl::adopt_from_slot(
    const SessionState *mine, core::SessionRecord &record, std::chrono::system_clock::time_point started,
    std::chrono::system_clock::time_point now, std::chrono::seconds min_ttl, bool force, PendingEvents &events) {
  // Another process may already hold fresh tokens: then adopt them, with no grant.
  const bool changed = !mine || !(mine->record.session.refresh_token == record.session.refresh_token) ||
                       !(mine->record.session.access_token == record.session.access_token);
  SessionState candidate;
  candidate.token = token_of(record.session);
  // Tokens issued after this call began were made by another process while we waited for the lock:
  // "already rotated", so use them whatever min_ttl asks (records keep issued_at in milliseconds).
  const bool rotated_meanwhile = changed && record.session.issued_at >= started &&
                                 (!candidate.token.expires_at || *candidate.token.expires_at > now);
  // A forced refresh adopts only tokens newer than the ones this client had in hand (those may be
  // what the API just rejected); with none in hand, forced means forced.
  if (!rotated_meanwhile && !(fresh_enough(candidate, now, min_ttl) && (!force || (mine && changed)))) {
    return std::nullopt;
  }
  auto next = std::make_shared<SessionState>();
  next->token = std::move(candidate.token);
  next->record = std::move(record);
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
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto request = core::make_token_request(md.token_endpoint,
                                            {{"grant_type", "refresh_token"},
                                             {"refresh_token", std::string(record.session.refresh_token.reveal())}},
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
  return tokens;
}

Result<AccessToken> Client::Impl::refresh_refused(Error e, const core::SessionRecord &record,
                                                  std::chrono::system_clock::time_point now, PendingEvents &events) {
  if (e.code == ErrorCode::invalid_grant) {
    // The provider ended the session (revoked, expired, reused). The slot is ours (we hold its lock).
    end_session(slot(), record.session.claims.subject(), e, events);
    log.info("the provider ended the session (invalid_grant); sign-in is required");
    Error out = e;
    out.code = ErrorCode::sign_in_required;
    out.message = "the provider ended the session; sign in again";
    return out;
  }
  if (!e.oauth_error.empty() && !e.transient) return e;  // invalid_client and the like: the session is kept
  // Transient: keep the session; an access token that has not expired yet is still good to use.
  const AccessToken current_token = token_of(record.session);
  if (current_token.expires_at && *current_token.expires_at > now) {
    log.warning("refresh failed for now (" + e.message + "); using the current access token until it expires");
    return copy_token(current_token);
  }
  e.transient = true;
  e.message = "could not refresh the session: " + e.message;
  return e;
}

Result<AccessToken> Client::Impl::store_refreshed(const core::SessionRecord &record, core::TokenResponse &tokens,
                                                  const oidc::ProviderMetadata &md,
                                                  std::chrono::system_clock::time_point now, PendingEvents &events) {
  // OpenID Connect Core §12.2: an ID token from a refresh must name the same iss, sub and aud.
  Session next = core::clone_session(record.session);
  if (!tokens.id_token.empty()) {
    const oidc::IdTokenCheck check = id_token_check(md, std::nullopt, std::nullopt, now);
    auto claims = oidc::validate_id_token(tokens.id_token.reveal(), check, *jwks_for(md.jwks_uri));
    Error bad = claims ? Error{} : claims.error();
    if (claims && (*claims)["sub"] != record.session.claims.subject()) {
      bad = make_error(ErrorCode::id_token_malformed, "a refresh returned an ID token for another user (sub changed)");
    }
    if (!claims || bad.code == ErrorCode::id_token_malformed) {
      // Tokens that may belong to someone else are never used: the session ends here.
      end_session(slot(), record.session.claims.subject(), bad, events);
      bad.message = "the ID token returned by a refresh was refused (" + bad.message + "); sign in again";
      return bad;
    }
    next.id_token = std::move(tokens.id_token);
    next.claims = Claims(claims->dump(-1, ' ', false, core::Json::error_handler_t::replace));
  }
  next.access_token = std::move(tokens.access_token);
  if (!tokens.refresh_token.empty()) next.refresh_token = std::move(tokens.refresh_token);
  next.token_type = tokens.token_type;
  next.access_token_expiry.reset();
  if (tokens.expires_in) next.access_token_expiry = now + std::chrono::seconds(*tokens.expires_in);
  if (tokens.scope) next.scopes = util::split_spaces(*tokens.scope);
  next.issued_at = now;

  // Stored before anyone sees the new access token (and before the lock is released).
  auto stored = store_and_publish(next, md.token_endpoint, record.unknown_members);
  if (!stored) return std::move(stored).error();
  events.push_back(event(SessionEventKind::refreshed, next.claims.subject()));
  log.info("access token refreshed");
  return token_of(next);
}

void Client::Impl::end_session(const platform::SlotKey &key, const std::string &subject, const Error &reason,
                               PendingEvents &events) {
  (void)platform.store->erase(key);
  publish(nullptr);
  SessionEvent ended = event(SessionEventKind::ended, subject);
  ended.reason = reason;
  events.push_back(std::move(ended));
}

}  // namespace nativeauth
