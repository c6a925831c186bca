// SPDX-License-Identifier: Apache-2.0
// The Qt sample's logic: owns the nativeauth::Client, runs every call that can block (sign-in, sign-out,
// refresh, keychain reads) on its own worker threads, and brings results and session events back to the
// UI thread. The window (main_window.hpp) only shows what this says; tests drive it through the window.
#pragma once

#include "app_config.hpp"

#include <nativeauth/nativeauth.hpp>

#include <QNetworkAccessManager>
#include <QObject>
#include <QString>
#include <QThreadPool>
#include <QTimer>
#include <QUrl>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

namespace qtsample {

/// What the window shows about the slot: who, and until when the access token is valid (never the token).
struct SessionView {
  QString name;     ///< `name`, else `email`, else `sub`.
  QString subject;  ///< `sub`.
  std::optional<std::chrono::system_clock::time_point> expires_at;
  std::chrono::system_clock::time_point issued_at{};  ///< Tells one set of tokens from the next.
};

/// The signed-in state of one slot, kept on the UI thread.
///
/// Threading: every public function and every signal runs on the thread that created the controller (the
/// UI thread). Blocking calls run on `workers_`; their results and the SDK's session events (which arrive
/// on whichever thread caused them) come back through QMetaObject::invokeMethod(this, ..., QueuedConnection).
/// Destroying the controller cancels a running sign-in or sign-out and waits for the workers.
class SessionController : public QObject {
  Q_OBJECT

 public:
  enum class State { signed_out, signing_in, signed_in, signing_out };
  Q_ENUM(State)

  /// nullptr, with the SDK's message in `*why`, when the options are invalid (Client::create()).
  static std::unique_ptr<SessionController> create(AppConfig config, QString *why);
  ~SessionController() override;

  State state() const { return state_; }
  /// Who is signed in; nullopt when nobody is.
  const std::optional<SessionView> &session() const { return view_; }
  /// Seconds the access token has left (negative: expired); nullopt when signed out or not stated.
  std::optional<std::int64_t> seconds_left() const;
  /// The sign-in's redirect URI: loopback (empty) or the custom scheme.
  QString redirect_uri() const { return redirect_uri_; }

  /// Reads the slot once: a session kept from an earlier run shows at once. Then watches it.
  void start();
  void sign_in();
  /// Ends a running sign-in (or a sign-out's wait for the browser) at once: Client::cancel().
  void cancel();
  /// GET on the provider's userinfo endpoint with the access token (refreshed first when due).
  void call_api();
  void sign_out();
  void sign_out_all_apps();
  /// A redirect URL this process received itself (a single-instance app): Client::handle_redirect().
  void handle_redirect(const QString &url);

 signals:
  void state_changed(qtsample::SessionController::State state);
  /// The name or the token's expiry changed (signed in, renewed here or elsewhere, signed out).
  void session_changed();
  /// A line for the status area: what happened, in words a user understands. Never a token.
  void status(const QString &line);
  /// "Call API" finished: the HTTP status (0 when no request was sent) and a summary.
  void api_finished(int http_status, const QString &summary);
  /// A read of the slot by the watch (every AppConfig::watch_interval) was applied.
  void slot_watched();

 private:
  SessionController(AppConfig config, QString redirect_uri, nativeauth::Client client);
  void set_state(State next);
  void show(std::optional<SessionView> view);
  /// Runs `work` on a worker thread.
  void run_worker(std::function<void()> work);
  /// Runs `fn` on the UI thread later (from any thread); dropped when the controller is gone.
  void post(std::function<void()> fn);
  void on_session_event(nativeauth::SessionEventKind kind, const QString &why);
  void start_sign_out(bool all_apps);
  void reload();
  void watch_slot();
  void tick();
  void renew();
  void send_userinfo(const std::shared_ptr<nativeauth::AccessToken> &token);
  void fetch_userinfo_endpoint(std::function<void()> then);

  AppConfig config_;  ///< its `client` was moved into client_
  QString redirect_uri_;
  nativeauth::Client client_;
  std::uint64_t subscription_ = 0;
  State state_ = State::signed_out;
  std::optional<SessionView> view_;
  /// Bumped by each change this process makes, so that a slot read started before it is not applied after.
  std::uint64_t epoch_ = 0;
  bool watching_ = false;  ///< a slot read is running
  bool renewing_ = false;  ///< an access_token() for renewal is running
  QTimer watch_timer_;     ///< reads the slot every config_.watch_interval
  QTimer tick_timer_;      ///< once a second: the lifetime shown, and renewal when due
  QNetworkAccessManager network_;
  QUrl userinfo_endpoint_;  ///< from the provider's discovery document, once
  QThreadPool workers_;     ///< declared last: destroyed (joined) first
};

}  // namespace qtsample
