// SPDX-License-Identifier: Apache-2.0
/// @file
/// Client: signs a user in through the system browser with Authorization Code + PKCE (RFC 8252).
#pragma once

#include <nativeauth/events.hpp>
#include <nativeauth/export.hpp>
#include <nativeauth/options.hpp>
#include <nativeauth/result.hpp>
#include <nativeauth/session.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nativeauth {

/// A bearer token ready to send, with its expiry.
struct AccessToken {
  /// The token itself, sent as `Authorization: <token_type> <value>`. Wiped when dropped.
  SecretString value;
  /// The token type the provider issued (RFC 6749 §7.1); "Bearer" in practice (RFC 6750).
  std::string token_type = "Bearer";
  /// When the token expires; nullopt when the provider did not say (no expires_in).
  std::optional<std::chrono::system_clock::time_point> expires_at;
  /// The scopes the token was granted (Session::scopes).
  std::vector<std::string> scopes;
};

/// What an API request needs to carry the session's access token (Client::authorize()): two header values.
struct RequestAuthorization {
  /// The Authorization header's value: "DPoP <token>" for a DPoP-bound session (RFC 9449 §7.1), else
  /// "Bearer <token>" (RFC 6750 §2.1). Wiped when dropped.
  SecretString authorization;
  /// The DPoP header's value: a proof for exactly this method and URL, with the token's hash (`ath`) and the
  /// server's last nonce. Empty for a Bearer session. Single-use by design; wiped when dropped.
  SecretString dpop;
  /// When the access token expires, when known.
  std::optional<std::chrono::system_clock::time_point> expires_at;
};

/// What sign_out() did, step by step. A failed remote step never leaves local tokens behind.
struct SignOutReport {
  int slots_erased = 0;                 ///< Local sessions forgotten.
  int tokens_revoked = 0;               ///< Refresh tokens revoked at the provider (RFC 7009).
  bool provider_session_ended = false;  ///< The browser came back from the end_session_endpoint.
  std::vector<Error> problems;          ///< Remote steps that failed (the local erase still happened).
};

/// One app's connection to one provider.
///
/// Thread safety: a Client may be used from several threads; only one sign_in() runs at a time
/// (a second concurrent call fails with ErrorCode::invalid_argument). cancel() is safe from any
/// thread, including from inside callbacks.
///
/// Ownership: move-only; a Client owns its options and shares its platform parts (see
/// platform::Platform). It must outlive every call made on it: cancel() a running sign_in() and let
/// it return before destroying the Client. Results it hands out (Session, AccessToken) are values
/// the caller owns.
class NATIVEAUTH_API Client {
 public:
  /// Validates the options (no network). Fails with invalid_argument / invalid_configuration.
  static Result<Client> create(ClientOptions options);

  /// Moves the client; the moved-from object may only be destroyed or assigned to.
  Client(Client &&) noexcept;
  /// Move-assigns; the moved-from object may only be destroyed or assigned to.
  Client &operator=(Client &&) noexcept;
  Client(const Client &) = delete;
  Client &operator=(const Client &) = delete;
  ~Client();

  /// Signs the user in: discovers the provider, opens the system browser on an authorization
  /// request (PKCE S256, state, nonce), waits for the redirect on a loopback listener (or for
  /// handle_redirect(): an app-handled RedirectOptions::uri, or SignInOptions::listen false), checks it
  /// (state, iss), exchanges the code, validates the ID token and stores the session in the
  /// client's slot. Blocks until done, failed, timed out or cancelled.
  Result<Session> sign_in(const SignInOptions &options = {});

  /// Signs the user in with the device authorization grant (RFC 8628), for devices where the user
  /// cannot or should not use a browser (SSH sessions, containers, TVs): asks the provider's
  /// device_authorization_endpoint for a code, hands it to `options.on_user_code` to show, then polls
  /// the token endpoint at the provider's interval (slow_down adds 5 s) until the user approved on
  /// another device. Validates the ID token (no nonce exists in this flow) and stores the session in
  /// the same slot as sign_in(). Blocks until done, failed, expired, timed out or cancelled; cancel()
  /// wakes the poll wait at once. Shares sign_in()'s one-at-a-time rule.
  /// Errors: missing_endpoint when the provider has no device_authorization_endpoint; access_denied
  /// when the user declined; device_code_expired when the code expired first; timeout; cancelled;
  /// token_error / invalid_grant with the server's words; network errors while polling are retried.
  Result<Session> sign_in_with_device_code(const DeviceSignInOptions &options);

  /// Ends a sign_in() in progress with ErrorCode::cancelled, and a sign_out()'s wait for the browser (the
  /// report then lists the cancelled provider step). No effect when none is running.
  void cancel() noexcept;

  /// Hands a redirect the app received (custom scheme or claimed https, see RedirectOptions::uri; or a
  /// loopback redirect when SignInOptions::listen is false) to the sign_in() waiting for it, typically
  /// running on another thread. Returns once the URL is accepted; the waiting sign_in() then checks it
  /// (iss, an error response), exchanges the code and returns the outcome. The post-logout redirect
  /// (RedirectOptions::post_logout_uri) is handed to the waiting sign_out() the same way.
  /// Errors: ErrorCode::no_pending_sign_in when no sign-in waits (none started, already completed,
  /// timed out or cancelled); invalid_redirect when the URL is not for the configured redirect URI
  /// (another scheme, host, port or path) or is malformed; state_mismatch when its state belongs to no
  /// pending sign-in. A refused URL leaves the sign-in waiting. Thread-safe.
  Result<void> handle_redirect(std::string_view url);

  /// The session stored in this client's slot (issuer, client_id, profile), or nullopt when the slot
  /// is empty. No network. ErrorCode::storage_corrupt / storage_slot_mismatch when the record cannot
  /// be used (it is left in place, untouched); storage_unavailable / storage_locked from the store.
  Result<std::optional<Session>> load_session();

  /// A valid access token: from memory while it has more than the margin left, else refreshed
  /// silently. One refresh at a time across threads and processes; the rotated refresh token is
  /// stored before the new access token is handed out. ErrorCode::sign_in_required when there is no
  /// session or the provider ended it (the slot is then cleared and an `ended` event fires);
  /// transient errors (network, 5xx) keep the session, as does slot_busy (another thread or process
  /// held the slot lock past ClientOptions::lock_timeout: try again).
  Result<AccessToken> access_token(const AccessTokenOptions &options = {});

  /// The headers a `method` request to `url` (an absolute http(s) URL; its query and fragment are not part
  /// of the proof) must carry: access_token() (refreshing silently as it does), then for a DPoP-bound
  /// session a proof signed by the session's key (RFC 9449 §7), with the last DPoP-Nonce that URL's server
  /// gave. Errors: those of access_token(); invalid_argument for a method that is not an HTTP token or a
  /// URL that is not absolute http(s); key_unavailable when the session's key is gone (sign in again).
  Result<RequestAuthorization> authorize(std::string_view method, std::string_view url,
                                         const AccessTokenOptions &options = {});

  /// Gives this client a DPoP-Nonce (RFC 9449 §8, §9) that `url`'s server sent to a request the app made with
  /// its own HTTP client (a 401 with `WWW-Authenticate: DPoP error="use_dpop_nonce"` and a `DPoP-Nonce`
  /// header): the next authorize() for that server (scheme, host, port) puts it in the proof. Kept in memory
  /// only, like the nonces send_authorized() sees. Errors: invalid_argument for a URL that is not absolute
  /// http(s) or a nonce that is not a nonce (empty, over 1024 characters, or not NQCHAR, RFC 9449 §8.1).
  Result<void> use_dpop_nonce(std::string_view url, std::string_view nonce);

  /// Sends `request` to an API with authorize()'s headers added, through ClientOptions::platform.http (TLS
  /// verified, bounded, no redirects). Keeps the answer's DPoP-Nonce for that server, and answers a 401 that
  /// asks for one (`WWW-Authenticate: DPoP error="use_dpop_nonce"`, RFC 9449 §9) with one retry carrying it.
  /// Any other status is the API's answer, returned as is.
  Result<platform::HttpResponse> send_authorized(platform::HttpRequest request, const AccessTokenOptions &options = {});

  /// An API refused `token` although it had not expired (HTTP 401, RFC 6750 §3.1 `invalid_token`; git
  /// calling its credential helper's `erase`): if it is still this slot's access token, forgets it, so that
  /// the next access_token() refreshes. The refresh token, the ID token and the rest of the session stay.
  /// A token the slot no longer holds (another thread or process refreshed meanwhile) changes nothing but
  /// this client's memory, which takes the slot's newer tokens: they are the answer already. Runs under
  /// the slot lock, like a refresh; no network. A session without a refresh token keeps its access token,
  /// marked expired, so access_token() then says sign_in_required.
  /// Returns true when the token was forgotten, false when the slot did not hold it (or was empty).
  /// Errors: invalid_argument for an empty token; slot_busy; storage_* from the store (then nothing
  /// changed, in the slot or in memory).
  Result<bool> reject_access_token(const SecretString &token);

  /// Signs out: revokes the refresh token (RFC 7009), ends the provider session in the browser
  /// (RP-initiated logout), and erases the slot — per `options`. Local state is always erased, even
  /// when a remote step fails (those are listed in the report). A refresh running meanwhile in
  /// another thread or process never writes the session back.
  Result<SignOutReport> sign_out(const SignOutOptions &options = {});

  /// Registers a handler for session events; returns an id for unsubscribe(). Thread-safe.
  std::uint64_t subscribe(SessionEventHandler handler);
  /// Removes a handler registered with subscribe(); an unknown id is ignored. Thread-safe.
  void unsubscribe(std::uint64_t id) noexcept;

  /// Every slot of this client's issuer on this machine (all clients and profiles), without secrets.
  /// An unreadable record is listed with SlotInfo::problem set rather than hidden.
  Result<std::vector<SlotInfo>> list_slots();

  /// The issuer this client was created with (ClientOptions::issuer).
  const std::string &issuer() const noexcept;
  /// The client_id this client was created with (ClientOptions::client_id).
  const std::string &client_id() const noexcept;

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Delivers a redirect URL this process received (the OS started it with a custom-scheme redirect,
/// RFC 8252 §7.1) to the process whose sign_in() waits for it: the one with the same issuer, client_id
/// and profile as `options` (or its sign_out(), for the post-logout redirect). Returns that sign-in's verdict (see Client::handle_redirect()), or
/// ErrorCode::no_pending_sign_in when no sign-in waits. Checks the URL against `options.redirect.uri`
/// first when set (or against `options.redirect.post_logout_uri`). Uses `options.platform.relay`, else the platform's (Linux: a Unix socket).
NATIVEAUTH_API Result<void> forward_redirect(const ClientOptions &options, std::string_view url);

}  // namespace nativeauth
