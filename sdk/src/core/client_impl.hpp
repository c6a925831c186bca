// SPDX-License-Identifier: Apache-2.0
// Client::Impl: the state behind a Client and the steps its concerns share. Each concern lives in one
// file: construction (client.cpp), the browser sign-in (sign_in.cpp), redirects and the loopback handler
// (redirects.cpp), the device flow (device_flow.cpp), "token response → validated session → store →
// publish" (tokens_to_session.cpp), claims from the UserInfo endpoint (userinfo.cpp), refresh (refresh.cpp),
// a token an API refused (reject_token.cpp), the access-token cache a new process reads first (token_cache.cpp), sign-out (sign_out.cpp), events (events.cpp), slot reads
// (slots.cpp), scope checks (scopes.cpp). Not here: any of their logic.
#pragma once

#include <nativeauth/client.hpp>

#include "core/callback.hpp"
#include "core/device_authorization.hpp"
#include "core/dpop.hpp"
#include "core/logger.hpp"
#include "core/pkce.hpp"
#include "core/record.hpp"
#include "core/token_endpoint.hpp"
#include "oidc/discovery.hpp"
#include "oidc/id_token.hpp"
#include "oidc/jwks.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nativeauth {

/// The session this process holds for its slot. Immutable once published: readers on the fast path
/// keep a shared_ptr to it without locks.
struct SessionState {
  AccessToken token;           ///< What access_token() hands out.
  core::SessionRecord record;  ///< Everything needed to refresh and to write the slot back.
  bool dirty = false;          ///< Rotated tokens not yet stored (the store failed): store before use.
  /// The token's expiry on the monotonic clock, fixed when this state was made (set_deadlines()).
  std::optional<std::chrono::steady_clock::time_point> steady_expiry;
  /// The access token's whole lifetime as issued (expiry - issued_at), when both are known.
  std::optional<std::chrono::seconds> lifetime;
};

/// Sets a state's steady_expiry and lifetime from its token, reading `clock` once.
void set_deadlines(SessionState &state, const platform::Clock &clock);

/// What access_token() asks of a token: at least `min_ttl` left. `scaled` (the default margin, no min_ttl
/// from the caller) caps the margin at half the token's lifetime, so that a token shorter-lived than the
/// margin is not due for refresh the moment it is issued.
struct Freshness {
  std::chrono::seconds min_ttl{0};
  bool scaled = false;
};

/// Whether `state` holds a token that satisfies `want` at `wall`/`steady` (the earlier of its two deadlines).
bool fresh_enough(const SessionState &state, std::chrono::system_clock::time_point wall,
                  std::chrono::steady_clock::time_point steady, const Freshness &want);

/// The outcome of one refresh, shared by every caller that waited for it.
struct RefreshFlight {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::optional<Result<AccessToken>> result;
};

/// Events are collected while locks are held and delivered after they are released.
using PendingEvents = std::vector<SessionEvent>;

/// One browser sign-in's request, as sent: what the response must match, and what the code exchange
/// needs (sign_in.cpp, redirects.cpp).
struct AuthorizationRequest {
  const oidc::ProviderMetadata &md;
  const SignInOptions &opts;
  std::vector<std::string> scopes;  ///< checked, `openid` first
  core::Pkce pkce;
  std::string state;
  std::string nonce;
  std::chrono::steady_clock::time_point deadline;
  std::optional<std::chrono::seconds> max_age;  ///< checked: opts.max_age within 0..kMaxAgeLimit
  bool pushed = false;  ///< RFC 9126: the parameters go to the PAR endpoint, the browser gets a request_uri
  /// RFC 9449: the key this sign-in binds the session to (its thumbprint goes out as dpop_jkt, §10); null: Bearer.
  const struct NewDpopKey *dpop = nullptr;
};

/// A DPoP key made for one sign-in (dpop_session.cpp): deleted again unless the session it binds is stored.
struct NewDpopKey {
  DpopBinding binding;
  std::shared_ptr<platform::ProofKey> key;
};

/// When a device sign-in stops polling (device_flow.cpp): the code's expiry, counted from before the
/// request, or the app's timeout, whichever comes first.
struct DeviceWait {
  std::chrono::steady_clock::time_point expires;
  std::chrono::steady_clock::time_point timeout_at;
  std::chrono::steady_clock::time_point deadline;  ///< the earlier of the two
  std::chrono::seconds timeout{0};
  /// The error for reaching `deadline`: timeout or device_code_expired, whichever it was.
  Error ran_out() const;
};

// Hidden although Client is exported: its members are internals, never ABI. (ELF only: a DLL exports
// what is marked dllexport and nothing else, so Windows needs no marker.)
#if defined(__GNUC__) && !defined(_WIN32)
#define NATIVEAUTH_INTERNAL_TYPE __attribute__((visibility("hidden")))
#else
#define NATIVEAUTH_INTERNAL_TYPE
#endif
struct NATIVEAUTH_INTERNAL_TYPE Client::Impl {
  ClientOptions options;
  /// How long to wait for the slot lock: options.lock_timeout, or derived from the timeouts (lock_wait.hpp).
  std::chrono::milliseconds lock_timeout{0};
  core::Logger log;
  platform::Platform platform;  ///< Complete: every part set (client.cpp fills the defaults).

  // Sign-in.
  core::RedirectTarget redirect;  ///< RedirectOptions checked once, in create().
  /// Where sign-out's browser comes back (RedirectOptions::post_logout_uri, or its default), checked in create().
  core::RedirectTarget post_logout;
  std::atomic<bool> signing_in{false};
  std::atomic<bool> cancel_requested{false};
  std::mutex mutex;  ///< guards active_listener and jwks
  platform::LoopbackListener *active_listener = nullptr;
  std::shared_ptr<oidc::JwksCache> jwks;
  std::string jwks_uri_of_cache;

  /// A sign-in waiting for the app to hand over the redirect (RedirectTarget::Kind::app).
  struct AwaitedRedirect {
    std::string uri;  ///< The redirect URI, as classify_redirect_url() compares it.
    std::string state;
    std::optional<core::AuthorizationResponse> response;  ///< Set once by handle_redirect().
  };
  /// Guards awaited; redirect_cv signals a response or a cancel. The device flow waits on it
  /// between polls, so cancel() wakes that wait too.
  std::mutex redirect_mutex;
  std::condition_variable redirect_cv;
  AwaitedRedirect *awaited = nullptr;

  // Session state and refresh coordination.
  std::mutex state_mutex;  ///< guards current, flight, subscribers
  std::shared_ptr<const SessionState> current;
  /// Bumped (from a process-wide counter, so values never repeat across Clients) on every change of
  /// `current`; the lock-free fast path compares it with its thread-local copy.
  std::atomic<std::uint64_t> version{0};
  std::shared_ptr<RefreshFlight> flight;
  std::map<std::uint64_t, SessionEventHandler> subscribers;
  std::uint64_t next_subscriber = 1;

  platform::SlotKey slot() const { return {options.issuer, options.client_id, options.profile}; }

  // DPoP (RFC 9449): the nonces servers gave, and the one key this client has open (its slot's).
  core::NonceBook dpop_nonces;
  bool apps_key_store = false;  ///< ClientOptions::platform.keys was the app's (no fallback from it)
  std::mutex key_mutex;         ///< guards open_key
  NewDpopKey open_key;          ///< binding.jkt empty: none open

  // --- dpop_session.cpp
  /// Deletes a sign-in's new DPoP key on the way out, unless `keep` was set because the session it binds was
  /// stored.
  struct NewKeyGuard {
    Impl &impl;
    const std::optional<NewDpopKey> &key;
    bool keep = false;
    ~NewKeyGuard();
  };
  /// The key a sign-in binds its session to: made in platform.keys when ClientOptions::dpop asks for it and
  /// the provider offers ES256 (`dpop_signing_alg_values_supported`); nullopt: Bearer.
  Result<std::optional<NewDpopKey>> dpop_key_for_sign_in(const oidc::ProviderMetadata &md);
  /// The store a binding names: platform.keys, or the software store; key_unavailable when neither is it.
  Result<std::shared_ptr<platform::KeyStore>> key_store_named(const std::string &name) const;
  /// The binding's key, opened once and kept while it is the slot's.
  Result<std::shared_ptr<platform::ProofKey>> proof_key(const DpopBinding &binding);
  /// Deletes a key that no session uses any more (replaced, signed out, sign-in failed) of this client's slot,
  /// or of slot `of`. Never fails: a key that could not be deleted is logged.
  void discard_key(const DpopBinding &binding, const std::optional<platform::SlotKey> &of = std::nullopt);
  /// Sends `request` with a DPoP proof by `key` (and `ath` of `access_token` when given); a refusal that asks
  /// for a nonce (RFC 9449 §8, §9) is answered once with a new proof carrying it. Without a key, just sends.
  Result<platform::HttpResponse> send_with_proof(platform::HttpRequest request, platform::ProofKey *key,
                                                 const SecretString *access_token = nullptr);
  /// The token response's token_type against what was asked (RFC 9449 §5): a DPoP request answered with a
  /// Bearer token is an error when ClientOptions::dpop is required.
  Result<bool> bound_by_response(const std::string &token_type, const NewDpopKey *dpop) const;
  /// Client::authorize(): `client`'s access_token(), then the headers for it.
  Result<RequestAuthorization> authorize_request(Client &client, std::string_view method, std::string_view url,
                                                 const AccessTokenOptions &token_options);
  /// Where the key a token is bound to was found: in the published session (kept alive here) or read from the
  /// slot; get() is null for a Bearer token.
  struct TokenBinding {
    std::shared_ptr<const SessionState> state;
    std::optional<DpopBinding> read;
    const DpopBinding *get() const {
      if (read) return &*read;
      return state && state->record.session.dpop ? &*state->record.session.dpop : nullptr;
    }
  };
  /// The key `token` is bound to: none for a Bearer token; this client's session's when it is that session's
  /// token, else the slot's (a token from the token cache, in a process that has not read the slot).
  Result<TokenBinding> binding_of(const AccessToken &token);

  // --- scopes.cpp
  /// Checks what an app adds to a sign-in request: `extra` may not name a parameter in `reserved`, and the
  /// scopes (`requested`, else the client's) must be RFC 6749 §3.3 tokens. Returns the scopes with
  /// `openid` first when it was missing.
  Result<std::vector<std::string>> request_scopes(const std::vector<std::string> &requested,
                                                  const std::vector<std::pair<std::string, std::string>> &extra,
                                                  const std::vector<std::string_view> &reserved) const;

  // --- sign_in.cpp: the browser flow
  /// Runs one sign-in flow (browser or device) as the only one on this client: a second concurrent call
  /// fails with invalid_argument (both write the same slot); no exception escapes.
  template <typename Flow>
  Result<Session> exclusive_sign_in(Flow &&flow) noexcept;
  Result<Session> run_sign_in(const SignInOptions &opts);
  /// Whether this sign-in pushes its request (RFC 9126, ClientOptions::pushed_authorization); an error
  /// when it must and the provider has no PAR endpoint.
  Result<bool> use_pushed_authorization(const oidc::ProviderMetadata &md) const;
  /// The authorization request's parameters (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636 §4.3).
  core::Params authorization_params(const AuthorizationRequest &request, const std::string &redirect_uri) const;
  /// The URL the browser opens: the parameters in its query, or, for a pushed request, only client_id and
  /// the request_uri the PAR endpoint answered (RFC 9126 §4), which it fails without.
  Result<std::string> authorization_url(const AuthorizationRequest &request, const std::string &redirect_uri);
  /// RFC 9126 §2: POSTs `params` to the PAR endpoint; the request_uri it answered.
  Result<std::string> push_authorization_request(const oidc::ProviderMetadata &md, core::Params params);
  /// The redirect reaches the app, which hands it over (custom scheme, claimed https; RFC 8252 §7.1, §7.2).
  Result<Session> sign_in_through_app(const AuthorizationRequest &request);
  /// The redirect reaches a loopback listener (RFC 8252 §7.3).
  Result<Session> sign_in_through_loopback(const AuthorizationRequest &request);
  /// Shows the authorization URL and waits for the app to hand over the redirect to `redirect_uri`
  /// (handle_redirect()), then completes it. `os_chosen_port`: as for sign_in_timed_out().
  Result<Session> sign_in_through_handover(const AuthorizationRequest &request, const std::string &redirect_uri,
                                           bool os_chosen_port);
  /// A loopback redirect URI with no listener (SignInOptions::listen false): the browser's navigation fails
  /// and the app hands the URL over (handle_redirect()), e.g. pasted by the user. The port is
  /// RedirectOptions::port, else one the OS chose (loopback_port()).
  Result<Session> sign_in_without_listener(const AuthorizationRequest &request);
  /// A port for a loopback redirect URI nobody listens on: bound on the loopback address (port 0), read
  /// and released at once.
  Result<std::uint16_t> loopback_port();
  /// The authorization response → checked (RFC 9207 iss, error) → code exchanged → validated Session.
  Result<Session> complete(const core::AuthorizationResponse &response, const AuthorizationRequest &request,
                           const std::string &redirect_uri);
  /// The timeout's error; `os_chosen_port`: the loopback port was the OS's choice, so a provider that
  /// matches ports exactly may be why (the message then says what to register).
  Error sign_in_timed_out(const SignInOptions &opts, bool os_chosen_port) const;
  /// Opens `url` in the system browser (when `open_browser`) and tells the app through `notify`;
  /// ErrorCode::browser_unavailable when neither could happen. `what` names the step in messages.
  Result<void> show_url(const std::string &url, bool open_browser,
                        const std::function<void(const std::string &, bool)> &notify, const std::string &what);

  // --- redirects.cpp
  /// handle_redirect(): from the app, or from another instance through the redirect relay.
  Result<void> deliver_redirect(std::string_view url);
  /// Waits until handle_redirect() delivers the redirect to `uri` for `state` (a sign-in's, or sign-out's
  /// post-logout redirect), the deadline passes or cancel(). `waiting`, when given, runs once the wait is
  /// registered and before it blocks (without the lock held): it shows the URL, so a redirect handed over
  /// at once is never refused as unexpected. Its error ends the wait.
  Result<core::AuthorizationResponse> await_app_redirect(const std::string &uri, const std::string &state,
                                                         std::chrono::steady_clock::time_point deadline,
                                                         const std::function<Result<void>()> &waiting = {});
  /// What the loopback listener does with each request of a sign-in: the response for `request.state` on
  /// `redirect.path` is completed with complete() while the browser waits (so its page tells the truth),
  /// and the outcome lands in `outcome`; anything else is answered and ignored.
  platform::RequestHandler loopback_handler(const AuthorizationRequest &request, const std::string &redirect_uri,
                                            std::optional<Result<Session>> &outcome);
  /// Makes a listener reachable from Client::cancel() while it lives.
  class ListenerScope {
   public:
    ListenerScope(Impl &impl, platform::LoopbackListener *listener);
    ~ListenerScope();
    ListenerScope(const ListenerScope &) = delete;
    ListenerScope &operator=(const ListenerScope &) = delete;

   private:
    Impl &impl_;
  };

  // --- device_flow.cpp: the device authorization grant (RFC 8628)
  Result<Session> run_device_sign_in(const DeviceSignInOptions &opts);
  /// The device authorization request (§3.1); `expires` gets the code's end on the steady clock.
  Result<core::DeviceAuthorization> request_device_code(const oidc::ProviderMetadata &md,
                                                        const std::vector<std::string> &scopes,
                                                        const DeviceSignInOptions &opts,
                                                        std::chrono::steady_clock::time_point &expires);
  /// Polls the token endpoint (§3.4, §3.5) until the user finishes, refuses, the code expires, the wait
  /// times out or cancel(); the first success is stored like any sign-in.
  Result<Session> poll_device_token(const oidc::ProviderMetadata &md, const core::DeviceAuthorization &da,
                                    const std::vector<std::string> &scopes, const DeviceWait &wait,
                                    const NewDpopKey *dpop = nullptr);
  /// What an OAuth error answer to a poll means (§3.5): nullopt to keep polling (pending, slow_down, which
  /// widens `interval`, or transient), else the error that ends the sign-in.
  std::optional<Error> device_poll_refusal(Error e, std::chrono::seconds &interval, const DeviceWait &wait);

  // --- tokens_to_session.cpp: what every flow shares once the token endpoint answered
  /// The one setup of the ID-token rules (OIDC Core §3.1.3.7) for sign-in, device flow and refresh.
  oidc::IdTokenCheck id_token_check(const oidc::ProviderMetadata &md, std::optional<std::string> nonce,
                                    std::optional<std::chrono::seconds> max_age,
                                    std::chrono::system_clock::time_point now) const;
  /// A token endpoint response → a Session with a validated ID token (OIDC Core §3.1.3.7). `nonce`:
  /// the one sent (browser flow), or nullopt when the flow has none (device flow, RFC 8628).
  Result<Session> session_from_tokens(const platform::HttpResponse &response, const oidc::ProviderMetadata &md,
                                      const std::optional<std::string> &nonce,
                                      std::optional<std::chrono::seconds> max_age,
                                      const std::vector<std::string> &scopes, const NewDpopKey *dpop = nullptr);
  /// OIDC Core §5.3: when the granted scopes' claims are all missing from the ID token's `claims`, asks the
  /// UserInfo endpoint with the session's access token and adds what the ID token lacks (userinfo.cpp).
  /// Never fails: a refused or failed request is a warning, and `claims` stay as they were.
  void add_userinfo_claims(core::Json &claims, const Session &session, const oidc::ProviderMetadata &md);
  /// The Authorization header (and DPoP proof header, for a DPoP-bound session) a request to `url` needs.
  Result<std::vector<std::pair<std::string, SecretString>>> resource_headers(
      const SecretString &access_token, const std::string &token_type, const DpopBinding *binding,
      std::string_view method, std::string_view url);
  /// After a successful sign-in (any flow): stores the session in the slot under the slot lock,
  /// publishes it and emits `signed_in`.
  Result<Session> store_signed_in(Session session, const oidc::ProviderMetadata &md);
  /// The DPoP key of the session in the slot that `next` replaces, unless it is `next`'s own (the slot lock held).
  std::optional<DpopBinding> replaced_key(const Session &next);
  /// Stores `session` in the slot while the slot lock is held by the caller, then publishes it. When the
  /// store refuses, the tokens stay in memory (dirty: stored again before use) and the transient error says
  /// "<what> could not be stored: <the store's reason>", complete: callers add nothing to it.
  Result<void> store_and_publish(const Session &session, const std::string &token_endpoint,
                                 const std::string &unknown_members, const char *what = "the renewed session");
  /// Publishes a new state (nullptr: signed out) for the fast path.
  void publish(std::shared_ptr<const SessionState> next);
  std::shared_ptr<oidc::JwksCache> jwks_for(const std::string &uri);

  // --- refresh.cpp
  /// The refresh of the one caller that leads a flight: runs refresh(), hands its result to the waiters,
  /// then delivers its events.
  Result<AccessToken> lead_refresh(RefreshFlight &mine, const Freshness &want, bool force);
  /// The slot as it is under its lock, and this client's state from before: where refresh() and
  /// forget_access_token() start. `record` is nullopt when the slot is empty (signed out here or
  /// elsewhere); a session this client still held is then published away and `signed_out` queued.
  struct LockedSlot {
    std::unique_ptr<platform::SlotLock> held;
    std::shared_ptr<const SessionState> mine;
    std::optional<core::SessionRecord> record;
  };
  Result<LockedSlot> lock_and_read_slot(const platform::SlotKey &key, PendingEvents &events);
  /// Under the slot lock: re-reads the slot, adopts what another process stored, or redeems the refresh token.
  Result<AccessToken> refresh(const Freshness &want, bool force, PendingEvents &events);
  /// The slot's tokens when they will do (ADR 3): written by another process since `started` (the
  /// record's written_at), or fresh enough for `want`; published, and `refreshed` queued when they differ
  /// from `mine`. Else nullopt.
  std::optional<AccessToken> adopt_from_slot(const SessionState *mine, core::SessionRecord &record,
                                             std::chrono::system_clock::time_point started,
                                             std::chrono::system_clock::time_point now, const Freshness &want,
                                             bool force, PendingEvents &events);
  /// The refresh grant (RFC 6749 §6), retried once when the response was lost.
  Result<core::TokenResponse> redeem_refresh_token(const core::SessionRecord &record, const oidc::ProviderMetadata &md);
  /// A failed grant: invalid_grant, or HTTP 400/401 without an OAuth error body, ends the session; other
  /// OAuth errors are returned; anything else is transient and keeps the session (the current access
  /// token is used while it lasts).
  Result<AccessToken> refresh_refused(Error e, const core::SessionRecord &record,
                                      std::chrono::system_clock::time_point now, PendingEvents &events);
  /// The grant's answer: its ID token checked (OIDC Core §12.2), the rotated session stored, then handed out.
  Result<AccessToken> store_refreshed(const core::SessionRecord &record, core::TokenResponse &tokens,
                                      const oidc::ProviderMetadata &md, std::chrono::system_clock::time_point requested,
                                      PendingEvents &events);
  /// The claims of a refreshed ID token (OIDC Core §12.2: same iss, sub, aud), checked now (after the
  /// grant). An error proves the token wrong (signature, issuer, audience, another subject, malformed):
  /// the session must end. nullopt: it could not be checked now (JWKS unreachable, clocks that disagree):
  /// the previous claims stay, and the next refresh checks its ID token again.
  Result<std::optional<core::Json>> refreshed_claims(const SecretString &id_token, const core::SessionRecord &record,
                                                     const oidc::ProviderMetadata &md);
  /// Ends the session this client holds: erases the slot (its lock is held by the caller), publishes
  /// "signed out" and queues `ended` with `reason`.
  void end_session(const platform::SlotKey &key, const Session &ended_session, const Error &reason,
                   PendingEvents &events);

  // --- token_cache.cpp
  /// In a process that holds no session yet: the slot's access token from the platform's token cache
  /// when it is there, is the slot's and satisfies `want`; else nullopt (the store is read as before).
  std::optional<AccessToken> cached_token(const Freshness &want);

  // --- reject_token.cpp
  /// Under the slot lock: forgets `token` when the slot (or this client's unstored rotation) still holds
  /// it, writing the record back and publishing it; else adopts the slot's newer tokens in memory.
  Result<bool> forget_access_token(const SecretString &token, PendingEvents &events);

  // --- sign_out.cpp
  /// What sign-out keeps of this app's own slot: whom the `signed_out` event names.
  struct SignedOut {
    std::string subject;
  };
  /// Under the slot's lock: revokes its refresh token (when `md` has a revocation endpoint) and erases it.
  /// `erased_own` is set for this app's own slot, whose client secret is used and whose claims are kept.
  Result<void> revoke_and_erase(const platform::SlotKey &key, const oidc::ProviderMetadata *md, SignOutReport &report,
                                SignedOut *erased_own);
  /// Opens the end-session endpoint with client_id (never the ID token) and waits for the browser to
  /// come back to the post-logout redirect URI when one can be received.
  Result<void> end_provider_session(const oidc::ProviderMetadata &md, const SignOutOptions &opts);
  /// The post-logout redirect comes back to a loopback listener on `post_logout`'s port and path.
  Result<void> end_session_through_loopback(const oidc::ProviderMetadata &md, core::Params params,
                                            const std::string &state, const SignOutOptions &opts);
  /// The post-logout redirect is handed back by the app (handle_redirect(), forward_redirect()).
  Result<void> end_session_through_app(const oidc::ProviderMetadata &md, core::Params params, const std::string &state,
                                       const SignOutOptions &opts);

  // --- events.cpp
  SessionEvent event(SessionEventKind kind, const std::string &subject) const;
  void emit(const PendingEvents &events);
};

template <typename Flow>
Result<Session> Client::Impl::exclusive_sign_in(Flow &&flow) noexcept {
  if (signing_in.exchange(true)) {
    return make_error(ErrorCode::invalid_argument, "a sign-in is already in progress on this client");
  }
  cancel_requested = false;
  struct Reset {
    std::atomic<bool> &flag;
    ~Reset() { flag = false; }
  } reset{signing_in};
  try {
    return flow();
  } catch (const std::bad_alloc &) {
    return make_error(ErrorCode::internal, "out of memory during sign-in");
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("unexpected failure during sign-in: ") + e.what());
  } catch (...) {
    return make_error(ErrorCode::internal, "unexpected failure during sign-in");
  }
}

/// A fresh, never-repeating state version.
std::uint64_t next_state_version() noexcept;

/// The AccessToken a session hands out.
AccessToken token_of(const Session &s);

/// A copy of an access token (AccessToken owns a SecretString and is move-only).
AccessToken copy_token(const AccessToken &t);

/// A copy of an access token result.
Result<AccessToken> copy_token_result(const Result<AccessToken> &r);

/// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
bool valid_scope_token(const std::string &s);

}  // namespace nativeauth
