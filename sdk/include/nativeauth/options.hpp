// SPDX-License-Identifier: Apache-2.0
/// @file
/// Options for a Client (who it is, where it signs in) and for one sign-in (how the request looks).
#pragma once

#include <nativeauth/log.hpp>
#include <nativeauth/platform/platform.hpp>
#include <nativeauth/secret.hpp>
#include <nativeauth/storage.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nativeauth {

/// Where the provider sends the browser back to.
struct RedirectOptions {
  /// The redirect URI as registered at the provider. Empty (the default): a loopback redirect built
  /// from `path`, `port` and `ipv6` below. Otherwise one of (RFC 8252 §7):
  ///  - `http://127.0.0.1[:port]/path` or `http://[::1][:port]/path`: loopback, nativeauth listens
  ///    (unless SignInOptions::listen is false); without a port the OS picks one per sign-in. `localhost`
  ///    and other hosts are refused.
  ///  - a private-use scheme named after a domain the app controls, e.g. `com.example.app:/callback`
  ///    (a scheme without a dot is refused), or a claimed `https` URL: no listener is opened; the app
  ///    (or a second instance the OS started, through forward_redirect()) hands the redirect it
  ///    receives to Client::handle_redirect().
  /// No query or fragment.
  std::string uri;
  /// Path of the loopback redirect URI, e.g. http://127.0.0.1:PORT/callback.
  std::string path = "/callback";
  /// Fixed loopback port; 0 lets the OS choose one per sign-in (RFC 8252 §7.3, recommended).
  std::uint16_t port = 0;
  /// Also listen on [::1] (the redirect URI still names 127.0.0.1).
  bool ipv6 = false;
  /// Where the provider sends the browser after sign-out (`post_logout_redirect_uri`, OpenID Connect
  /// RP-Initiated Logout 1.0 §2: it must be registered at the provider). Empty (the default): a loopback
  /// URI `http://127.0.0.1:PORT/logout` on the sign-in's port (`port`, or the port of a loopback `uri`;
  /// with an app-handled `uri`, `port`), chosen by the OS per sign-out when none is fixed; register it
  /// with that port at a provider that matches ports exactly. Otherwise a URI of the kinds `uri`
  /// accepts: loopback (nativeauth listens on its port and path), or a private-use scheme or claimed
  /// https URL such as `com.example.app:/logout`, which the app hands to Client::handle_redirect().
  std::string post_logout_uri;
};

/// Whether Client::sign_in() pushes its authorization request to the provider before the browser opens
/// (Pushed Authorization Requests, RFC 9126). Pushed, the request's parameters (scope, redirect URI, state,
/// nonce, PKCE challenge, prompt, extra parameters, ...) travel in a POST from the app to the provider's
/// `pushed_authorization_request_endpoint`, and the browser gets only `client_id` and the `request_uri` the
/// provider answered: nothing of the request is in the browser's address bar or history. The device flow
/// never uses it.
enum class PushedAuthorization {
  /// Push when the provider's metadata sets `require_pushed_authorization_requests` (the default); else the
  /// parameters go in the authorization URL as before.
  when_required,
  /// Always push. A provider without a `pushed_authorization_request_endpoint` makes sign_in() fail with
  /// ErrorCode::missing_endpoint before any browser opens.
  always,
};

/// Whether sessions are sender-constrained with DPoP (RFC 9449): the provider binds the refresh token and the
/// access tokens to a key pair of this slot (platform::KeyStore), so a copied token is useless without the key.
/// A session bound at sign-in stays bound until it ends, whatever this option says later: its refreshes and
/// Client::authorize() always sign proofs with its key.
enum class Dpop {
  off,  ///< Bearer tokens (the default).
  /// Bind when the provider's metadata lists ES256 in `dpop_signing_alg_values_supported`; else Bearer.
  when_offered,
  /// Always bind. A provider that answers a DPoP token request with a Bearer token fails the sign-in with
  /// ErrorCode::invalid_token_response (nothing is stored).
  required,
};

/// Who the app is and where it signs in. Only `issuer` and `client_id` are required.
/// Ownership: Client::create() takes it by value and keeps it; the app's copy is independent.
struct ClientOptions {
  /// The provider's issuer identifier, exactly as its metadata states it (a path is allowed).
  /// Must be https, except for loopback hosts (development).
  std::string issuer;
  /// This app's client_id at the provider. Every app of a product has its own.
  std::string client_id;
  /// Only for confidential clients (rare for native apps; RFC 8252 §8.5). Sent with HTTP Basic.
  SecretString client_secret;
  /// Scopes requested by default. `offline_access` asks for a refresh token.
  std::vector<std::string> scopes = {"openid", "profile", "offline_access"};
  /// Names the storage slot together with issuer and client_id: one per account of this app.
  std::string profile = "default";

  /// The loopback redirect URI: path, port, address family.
  RedirectOptions redirect;
  /// When sign_in() uses Pushed Authorization Requests (RFC 9126). A refused push fails the sign-in with
  /// ErrorCode::authorization_error and the provider's `error` / `error_description`, before any browser
  /// opens.
  PushedAuthorization pushed_authorization = PushedAuthorization::when_required;
  /// Whether sign-ins bind the session to a DPoP key (RFC 9449). The key is made at sign-in in
  /// platform.keys, its thumbprint sent as `dpop_jkt` so the code is bound too, and it is replaced at the
  /// next sign-in and deleted at sign-out.
  Dpop dpop = Dpop::off;

  /// Where the session is kept between runs (ignored when platform.store is set). The default, the
  /// platform keychain, never falls back silently: without one, storing fails with a clear error.
  StorageKind storage = StorageKind::keychain;
  /// Options of the keychain store (StorageKind::keychain).
  KeychainOptions keychain;
  /// Options of the file store (StorageKind::file).
  FileStoreOptions file_store;
  /// Options of the passphrase-protected store (StorageKind::encrypted_file).
  EncryptedStoreOptions encrypted_store;
  /// Also keep the access token (with its expiry, type and scopes; never the refresh token) in the
  /// platform's per-user memory cache, so that access_token() in a new process answers without loading
  /// the store (Linux: the kernel keyring, docs/storage.md). Off here, or with the environment variable
  /// NATIVEAUTH_NO_KEYRING_CACHE set to anything, and nothing is cached or read from there.
  bool token_cache = true;

  /// access_token() refreshes when the access token has less than this left, but never in the first half of
  /// its lifetime: for a token shorter-lived than twice the margin (say 8 s), half its lifetime counts instead.
  /// "Left" is the earlier of the wall-clock expiry and a monotonic deadline (a clock set back stretches nothing).
  std::chrono::seconds refresh_margin{60};
  /// Longest wait for another thread or process that is refreshing, signing in or signing out the same
  /// slot; past it the call fails with ErrorCode::slot_busy (transient). Unset (the default): as long as
  /// one refresh may hold the lock, each of its steps at its own bound:
  /// 4 × request_timeout (discovery, the refresh grant and its one retry, the JWKS) + 2 × keychain.timeout
  /// (reading and writing the slot) — 140 s with the defaults. Set it only to give up sooner (an
  /// interactive app that would rather say "busy, try again"); a wait shorter than the other holder's
  /// refresh makes this call fail although nothing is wrong.
  std::optional<std::chrono::milliseconds> lock_timeout;

  /// Leeway for exp/iat/auth_time checks, absorbing clock skew between this device and the provider.
  std::chrono::seconds clock_leeway{120};
  /// Connect timeout and whole-request timeout for calls to the provider.
  std::chrono::milliseconds connect_timeout{10'000};
  /// Whole-request timeout for calls to the provider.
  std::chrono::milliseconds request_timeout{30'000};
  /// PEM CA bundle to trust instead of the system's (empty: system default). TLS is always verified.
  std::string ca_bundle;

  LogSink log;  ///< Empty: no logging at all.
  /// Lines below this level are not handed to `log`.
  LogLevel log_level = LogLevel::info;

  /// Replace parts of the platform (browser, listener, store, HTTP, clock). Empty members: defaults
  /// (the store then follows `storage`).
  platform::Platform platform;
};

/// Per-call options of Client::access_token().
struct AccessTokenOptions {
  /// Refresh unless the token is valid for at least this long (taken as given, even beyond the token's
  /// lifetime); unset: ClientOptions::refresh_margin, scaled to short-lived tokens.
  std::optional<std::chrono::seconds> min_ttl;
  /// Refresh even if the token in hand is still valid (e.g. the API rejected it).
  bool force_refresh = false;
};

/// Per-call options of Client::sign_out().
struct SignOutOptions {
  /// Only forget the session on this machine: no revocation, no provider sign-out.
  bool local_only = false;
  /// Sign out every app of this provider on this machine (every slot of the issuer), not just this one.
  bool all_apps = false;
  /// End the provider's session in the system browser (RP-initiated logout) when the provider has an
  /// end_session_endpoint. Ignored with local_only.
  bool end_provider_session = true;
  std::chrono::seconds timeout{120};  ///< For the browser leg.
  /// false: do not launch a browser; the app shows the URL from on_logout_url itself.
  bool open_browser = true;
  /// Called with the logout URL once it is ready, and whether a browser was launched. The URL carries
  /// client_id, state and the post-logout redirect URI, never a token (OIDC RP-Initiated Logout 1.0 §2
  /// lets client_id replace id_token_hint); show it when `browser_opened` is false.
  std::function<void(const std::string &url, bool browser_opened)> on_logout_url;
};

/// Per-call options of Client::sign_in(). Everything is optional.
struct SignInOptions {
  /// Scopes for this sign-in; empty means ClientOptions::scopes.
  std::vector<std::string> scopes;
  std::optional<std::string> prompt;  ///< e.g. "login", "consent", "select_account".
  /// Who is expected to sign in, e.g. an email address (OIDC Core §3.1.2.1).
  std::optional<std::string> login_hint;
  /// OIDC Core §3.1.2.1: how long ago the user may have last authenticated; also makes auth_time
  /// mandatory in the ID token. Negative: sign_in() fails with ErrorCode::invalid_argument. Longer than
  /// kMaxAgeLimit: kMaxAgeLimit is sent and checked instead (no user's last authentication is that old).
  std::optional<std::chrono::seconds> max_age;
  /// The largest max_age sent: 2^31 - 1 s (68 years), so a provider that reads it into a 32-bit
  /// integer can, and the ID token check stays far from overflow.
  static constexpr std::chrono::seconds kMaxAgeLimit{2'147'483'647};
  /// Preferred languages of the provider's pages: space-separated BCP 47 tags.
  std::optional<std::string> ui_locales;
  /// Requested authentication context class references, space-separated.
  std::optional<std::string> acr_values;
  /// Further authorization request parameters, e.g. {"organization", "acme"}. They may not replace
  /// the ones nativeauth owns (state, nonce, code_challenge, redirect_uri, ...).
  std::vector<std::pair<std::string, std::string>> extra_params;

  /// How long to wait for the browser to come back.
  std::chrono::seconds timeout{300};
  /// false: do not launch a browser; the app shows the URL from on_authorization_url itself.
  bool open_browser = true;
  /// Called once the authorization URL is ready, with whether a browser was launched. The URL is
  /// not secret but is single-use; show it when `browser_opened` is false.
  std::function<void(const std::string &url, bool browser_opened)> on_authorization_url;
  /// false: for a loopback redirect URI, no loopback listener is opened. The browser's navigation to
  /// `http://127.0.0.1:PORT/PATH?code=...` then fails (nothing answers there), and the app hands that URL
  /// to Client::handle_redirect() itself, e.g. after the user pasted it from the address bar of a browser
  /// on another machine (`nativeauth login --paste`). It is checked as if it had arrived on a listener:
  /// the exact redirect URI (scheme, host, port, path), `state`, `iss` (RFC 9207), an error response from
  /// the provider (ErrorCode::access_denied, authorization_error), and the code is redeemed with the PKCE
  /// verifier. The redirect URI needs a port: RedirectOptions::port when set, else one the OS chose (bound
  /// on the loopback address and released at once, so nothing listens on it). A provider that matches
  /// ports exactly needs RedirectOptions::port. `on_authorization_url` is called once the sign-in waits for
  /// handle_redirect(), so a redirect handed over from inside it, or right after, is taken. Ignored for an
  /// app-handled RedirectOptions::uri (no listener is opened for those anyway). Sign-out is not affected.
  bool listen = true;

  /// After the redirect arrives the browser is sent here (302) instead of nativeauth's small page.
  std::string success_redirect_url;
  /// Where the browser is sent (302) when the sign-in failed; empty: nativeauth's small page.
  std::string failure_redirect_url;
};

/// What the user needs to finish a device sign-in on another device (RFC 8628 §3.2). Show
/// `verification_uri` and `user_code` (and `verification_uri_complete`, e.g. as a QR code). Not
/// secret: the user types it; still, nativeauth logs the user code at debug level only.
struct DeviceCode {
  std::string verification_uri;                          ///< Where the user goes, on any device.
  std::optional<std::string> verification_uri_complete;  ///< The same page with the code filled in.
  std::string user_code;                                 ///< What the user types there.
  std::chrono::system_clock::time_point expires_at;      ///< After this the code is useless.
  std::chrono::seconds interval{5};                      ///< Poll interval the provider asked for.
};

/// Per-call options of Client::sign_in_with_device_code() (RFC 8628).
struct DeviceSignInOptions {
  /// Scopes for this sign-in; empty means ClientOptions::scopes. `openid` is always added.
  std::vector<std::string> scopes;
  /// Further device authorization request parameters. They may not replace client_id or scope.
  std::vector<std::pair<std::string, std::string>> extra_params;
  /// Required. Called once, before polling starts, with what to show the user. Called on the thread
  /// of sign_in_with_device_code(); Client::cancel() may be called from inside it.
  std::function<void(const DeviceCode &code)> on_user_code;
  /// Longest wait for the user; the device code's own lifetime (`expires_in`) also ends the wait.
  std::chrono::seconds timeout{1800};
};

}  // namespace nativeauth
