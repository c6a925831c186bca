// SPDX-License-Identifier: Apache-2.0
// Client::Impl: the state behind a Client, shared by sign-in (client.cpp), refresh (refresh.cpp) and
// sign-out (sign_out.cpp).
#pragma once

#include <nativeauth/client.hpp>

#include "core/callback.hpp"
#include "core/logger.hpp"
#include "core/pkce.hpp"
#include "core/record.hpp"
#include "oidc/discovery.hpp"
#include "oidc/jwks.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace nativeauth {

/// The session this process holds for its slot. Immutable once published: readers on the fast path
/// keep a shared_ptr to it without locks.
struct SessionState {
  AccessToken token;           ///< What access_token() hands out.
  core::SessionRecord record;  ///< Everything needed to refresh and to write the slot back.
  bool dirty = false;          ///< Rotated tokens not yet stored (the store failed): store before use.
};

/// The outcome of one refresh, shared by every caller that waited for it.
struct RefreshFlight {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::optional<Result<AccessToken>> result;
};

/// Events are collected while locks are held and delivered after they are released.
using PendingEvents = std::vector<SessionEvent>;

// Hidden although Client is exported: its members are internals, never ABI.
struct __attribute__((visibility("hidden"))) Client::Impl {
  ClientOptions options;
  core::Logger log;
  platform::Platform platform;

  // Sign-in.
  core::RedirectTarget redirect;  ///< RedirectOptions checked once, in create().
  std::atomic<bool> signing_in{false};
  std::atomic<bool> cancel_requested{false};
  std::mutex mutex;  ///< guards active_listener and jwks
  platform::LoopbackListener *active_listener = nullptr;
  std::shared_ptr<oidc::JwksCache> jwks;
  std::string jwks_uri_of_cache;

  /// A sign-in waiting for the app to hand over the redirect (RedirectTarget::Kind::app).
  struct AwaitedRedirect {
    std::string uri;    ///< The redirect URI, as classify_redirect_url() compares it.
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

  Result<Session> run_sign_in(const SignInOptions &opts);
  /// Checks what an app adds to a sign-in request: `extra` may not name a parameter in `reserved`, and the
  /// scopes (`requested`, else the client's) must be RFC 6749 §3.3 tokens. Returns the scopes with
  /// `openid` first when it was missing.
  Result<std::vector<std::string>> request_scopes(const std::vector<std::string> &requested,
                                                  const std::vector<std::pair<std::string, std::string>> &extra,
                                                  const std::vector<std::string_view> &reserved) const;
  /// Runs one sign-in flow (browser or device) as the only one on this client: a second concurrent call
  /// fails with invalid_argument (both write the same slot); no exception escapes.
  template <typename Flow>
  Result<Session> exclusive_sign_in(Flow &&flow) noexcept;
  /// handle_redirect(): from the app, or from another instance through the redirect relay.
  Result<void> deliver_redirect(std::string_view url);
  /// Waits until handle_redirect() delivers the response for `state`, the deadline passes or cancel().
  Result<core::AuthorizationResponse> await_app_redirect(const std::string &state,
                                                         std::chrono::steady_clock::time_point deadline);
  Result<Session> complete(const core::AuthorizationResponse &response, const oidc::ProviderMetadata &metadata,
                           const std::string &redirect_uri, const core::Pkce &pkce, const std::string &nonce,
                           const SignInOptions &opts, const std::vector<std::string> &scopes);
  /// A token endpoint response → a Session with a validated ID token (OIDC Core §3.1.3.7). `nonce`:
  /// the one sent (browser flow), or nullopt when the flow has none (device flow, RFC 8628).
  Result<Session> session_from_tokens(const platform::HttpResponse &response, const oidc::ProviderMetadata &md,
                                      const std::optional<std::string> &nonce,
                                      std::optional<std::chrono::seconds> max_age,
                                      const std::vector<std::string> &scopes);
  /// After a successful sign-in (any flow): stores the session in the slot under the slot lock,
  /// publishes it and emits `signed_in`.
  Result<Session> store_signed_in(Session session, const oidc::ProviderMetadata &md);
  /// The device authorization grant (device_flow.cpp).
  Result<Session> run_device_sign_in(const DeviceSignInOptions &opts);
  std::shared_ptr<oidc::JwksCache> jwks_for(const std::string &uri);

  /// Publishes a new state (nullptr: signed out) for the fast path.
  void publish(std::shared_ptr<const SessionState> next);
  /// Stores `session` in the slot while the slot lock is held by the caller, then publishes it.
  Result<void> store_and_publish(const Session &session, const std::string &token_endpoint,
                                 const std::string &unknown_members);
  Result<AccessToken> refresh(std::chrono::seconds min_ttl, bool force, PendingEvents &events);
  void emit(const PendingEvents &events);

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
  /// Opens `url` in the system browser (when `open_browser`) and tells the app through `notify`;
  /// ErrorCode::browser_unavailable when neither could happen. `what` names the step in messages.
  Result<void> show_url(const std::string &url, bool open_browser,
                        const std::function<void(const std::string &, bool)> &notify, const std::string &what);
  Result<void> end_provider_session(const oidc::ProviderMetadata &md, const SecretString &id_token,
                                    const SignOutOptions &opts);
  SessionEvent event(SessionEventKind kind, const std::string &subject) const;
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

/// A copy of an access token result (AccessToken owns a SecretString and is move-only).
Result<AccessToken> copy_token_result(const Result<AccessToken> &r);

}  // namespace nativeauth
