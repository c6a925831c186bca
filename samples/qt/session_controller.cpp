// SPDX-License-Identifier: Apache-2.0
// The Qt sample's controller: blocking SDK calls on workers, results and session events back on the UI
// thread, the slot watched for other processes, silent renewal, and the userinfo call.
#include "session_controller.hpp"

#include <QMetaObject>
#include <QtConcurrent/QtConcurrent>

#include <algorithm>

namespace qtsample {
namespace {

using Clock = std::chrono::system_clock;

SessionView view_of(const nativeauth::Session &session) {
  const nativeauth::Claims &claims = session.claims;
  SessionView view;
  view.subject = QString::fromStdString(claims.subject());
  view.name = QString::fromStdString(claims.string("name").value_or(claims.string("email").value_or(claims.subject())));
  view.expires_at = session.access_token_expiry;
  // The slot keeps issued_at to the millisecond: the same precision here, so that a session compares equal
  // to itself read back from the slot.
  view.issued_at = std::chrono::floor<std::chrono::milliseconds>(session.issued_at);
  return view;
}

/// The slot read with load_session(): a view, nullopt for an empty slot, or the error in words.
struct SlotRead {
  std::optional<SessionView> view;
  QString error;
};

SlotRead read_slot(nativeauth::Client &client) {
  SlotRead out;
  auto loaded = client.load_session();
  if (!loaded) {
    out.error = describe(loaded.error());
  } else if (loaded->has_value()) {
    out.view = view_of(**loaded);
  }
  return out;
}

}  // namespace

std::unique_ptr<SessionController> SessionController::create(AppConfig config, QString *why) {
  QString redirect_uri = QString::fromStdString(config.client.redirect.uri);
  auto client = nativeauth::Client::create(std::move(config.client));
  if (!client) {
    *why = describe(client.error());
    return nullptr;
  }
  return std::unique_ptr<SessionController>(new SessionController(std::move(config), std::move(redirect_uri),
                                                                  std::move(*client)));
}

SessionController::SessionController(AppConfig config, QString redirect_uri, nativeauth::Client client)
    : config_(std::move(config)), redirect_uri_(std::move(redirect_uri)), client_(std::move(client)) {
  // At most one sign-in or sign-out, one slot read and one token call run at once.
  workers_.setMaxThreadCount(4);
  // Session events arrive on the thread whose call caused them (a worker here): queue them to this one.
  subscription_ = client_.subscribe([this](const nativeauth::SessionEvent &event) {
    const nativeauth::SessionEventKind kind = event.kind;
    const QString why = event.reason ? describe(*event.reason) : QString();
    post([this, kind, why] { on_session_event(kind, why); });
  });
  watch_timer_.setInterval(static_cast<int>(config_.watch_interval.count()));
  connect(&watch_timer_, &QTimer::timeout, this, &SessionController::watch_slot);
  tick_timer_.setInterval(1000);
  connect(&tick_timer_, &QTimer::timeout, this, &SessionController::tick);
}

SessionController::~SessionController() {
  client_.unsubscribe(subscription_);
  client_.cancel();        // a sign-in or a sign-out's browser wait ends at once
  workers_.waitForDone();  // a refresh or keychain read in flight finishes within its own timeouts
}

void SessionController::run_worker(std::function<void()> work) {
  // The future is not kept: each job reports back through post().
  (void)QtConcurrent::run(&workers_, std::move(work));
}

void SessionController::post(std::function<void()> fn) {
  // Queued to this object's thread; a call still queued when the controller is destroyed is dropped.
  QMetaObject::invokeMethod(this, std::move(fn), Qt::QueuedConnection);
}

std::optional<std::int64_t> SessionController::seconds_left() const {
  if (!view_ || !view_->expires_at) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(*view_->expires_at - Clock::now()).count();
}

void SessionController::set_state(State next) {
  if (state_ == next) return;
  state_ = next;
  emit state_changed(next);
}

void SessionController::show(std::optional<SessionView> view) {
  view_ = std::move(view);
  emit session_changed();
}

void SessionController::start() {
  const std::uint64_t epoch = epoch_;
  run_worker([this, epoch] {
    SlotRead read = read_slot(client_);
    post([this, epoch, read] {
      if (epoch == epoch_ && state_ == State::signed_out && read.view) {
        show(read.view);
        set_state(State::signed_in);
        emit status("Signed in from an earlier run as " + read.view->name);
      } else if (!read.error.isEmpty()) {
        emit status("Could not read the stored session: " + read.error);
      } else {
        emit status("Signed out. Sign in opens your browser.");
      }
      watch_timer_.start();
      tick_timer_.start();
    });
  });
}

void SessionController::sign_in() {
  if (state_ != State::signed_out) return;
  ++epoch_;
  set_state(State::signing_in);
  emit status("Signing in: opening your browser…");
  run_worker([this] {
    nativeauth::SignInOptions options;
    options.timeout = config_.sign_in_timeout;
    options.on_authorization_url = [this](const std::string &url, bool opened) {
      // Not a secret (single-use): shown only when no browser opened, for the user to open by hand.
      const QString line = opened ? QString("Waiting for you to finish in the browser (Cancel stops)…")
                                  : "No browser could be opened: open " + QString::fromStdString(url);
      post([this, line] { emit status(line); });
    };
    auto signed_in = client_.sign_in(options);
    std::optional<SessionView> view;
    QString error;
    bool cancelled = false;
    if (signed_in) {
      view = view_of(*signed_in);
    } else {
      error = describe(signed_in.error());
      cancelled = signed_in.error().code == nativeauth::ErrorCode::cancelled;
    }
    post([this, view, error, cancelled] {
      ++epoch_;
      if (view) {
        show(view);
        set_state(State::signed_in);
        emit status("Signed in as " + view->name);
        return;
      }
      show(std::nullopt);
      set_state(State::signed_out);
      emit status(cancelled ? QString("Sign-in cancelled.") : "Sign-in failed: " + error);
    });
  });
}

void SessionController::cancel() {
  // Safe from any thread and quick: it wakes the worker's sign_in() (or sign_out()), which then returns.
  client_.cancel();
  emit status("Cancelling…");
}

void SessionController::handle_redirect(const QString &url) {
  run_worker([this, url] {
    auto taken = client_.handle_redirect(url.toStdString());
    if (!taken) {
      const QString why = describe(taken.error());
      post([this, why] { emit status("The redirect was refused: " + why); });
    }
  });
}

void SessionController::on_session_event(nativeauth::SessionEventKind kind, const QString &why) {
  ++epoch_;  // a slot read started before this change must not undo it
  switch (kind) {
    case nativeauth::SessionEventKind::signed_in:
    case nativeauth::SessionEventKind::refreshed:
      emit status(kind == nativeauth::SessionEventKind::signed_in ? "Session event: signed in."
                                                                  : "Session event: tokens renewed.");
      reload();
      return;
    case nativeauth::SessionEventKind::signed_out:
    case nativeauth::SessionEventKind::ended:
      emit status(kind == nativeauth::SessionEventKind::ended ? "Session event: the provider ended the session: " + why
                                                              : QString("Session event: signed out."));
      // A sign-in or sign-out in progress settles the state when it returns.
      if (state_ == State::signed_in) {
        show(std::nullopt);
        set_state(State::signed_out);
      }
      return;
  }
}

void SessionController::reload() {
  const std::uint64_t epoch = epoch_;
  run_worker([this, epoch] {
    SlotRead read = read_slot(client_);
    post([this, epoch, read] {
      if (epoch != epoch_ || state_ != State::signed_in || !read.view) return;
      show(read.view);
    });
  });
}

void SessionController::watch_slot() {
  // Session events report this process's own calls only: another process (the CLI) refreshing or
  // signing out the same slot shows up in the slot itself, read here off the UI thread.
  if (watching_ || state_ == State::signing_in || state_ == State::signing_out) return;
  watching_ = true;
  const std::uint64_t epoch = epoch_;
  run_worker([this, epoch] {
    SlotRead read = read_slot(client_);
    post([this, epoch, read] {
      watching_ = false;
      if (epoch != epoch_ || !read.error.isEmpty()) return;  // a change of ours came first; or try next time
      if (state_ == State::signed_in && !read.view) {
        ++epoch_;
        show(std::nullopt);
        set_state(State::signed_out);
        emit status("Signed out by another app on this computer (the stored session is gone).");
      } else if (state_ == State::signed_in && view_ && read.view->issued_at != view_->issued_at) {
        show(read.view);
        emit status("Tokens renewed by another app on this computer.");
      } else if (state_ == State::signed_out && read.view) {
        show(read.view);
        set_state(State::signed_in);
        emit status("Signed in by another app on this computer as " + read.view->name);
      }
      emit slot_watched();
    });
  });
}

void SessionController::tick() {
  if (state_ != State::signed_in || renewing_ || !view_ || !view_->expires_at) return;
  // The SDK's own rule (ClientOptions::refresh_margin, 60 s): renew with less than the margin left, but
  // never in the first half of the token's lifetime. access_token() then refreshes; earlier it would
  // just return the token in memory.
  const auto lifetime = *view_->expires_at - view_->issued_at;
  const auto due = std::min<Clock::duration>(std::chrono::seconds(60), lifetime / 2);
  if (*view_->expires_at - Clock::now() > due) return;
  renew();
}

void SessionController::renew() {
  renewing_ = true;
  run_worker([this] {
    auto token = client_.access_token();
    const QString error = token ? QString() : describe(token.error());
    const bool transient = !token && token.error().transient;
    post([this, error, transient] {
      // On success the `refreshed` event has already updated the view. A transient failure is tried
      // again in 10 s; sign_in_required comes with an `ended` or `signed_out` event.
      if (!error.isEmpty()) emit status("Renewing the access token failed: " + error);
      if (transient) {
        QTimer::singleShot(10'000, this, [this] { renewing_ = false; });
      } else {
        renewing_ = false;
      }
    });
  });
}

void SessionController::sign_out() { start_sign_out(false); }
void SessionController::sign_out_all_apps() { start_sign_out(true); }

void SessionController::start_sign_out(bool all_apps) {
  if (state_ == State::signing_in || state_ == State::signing_out) return;
  ++epoch_;
  set_state(State::signing_out);
  emit status(all_apps ? "Signing out of every app of this provider…" : "Signing out…");
  run_worker([this, all_apps] {
    nativeauth::SignOutOptions options;
    options.all_apps = all_apps;
    auto report = client_.sign_out(options);
    QString line;
    if (!report) {
      line = "Sign-out failed: " + describe(report.error());
    } else {
      line = QString("Signed out: %1 session(s) erased on this computer, %2 refresh token(s) revoked, %3.")
                 .arg(report->slots_erased)
                 .arg(report->tokens_revoked)
                 .arg(report->provider_session_ended ? "provider session ended" : "provider session not ended");
      for (const nativeauth::Error &problem : report->problems) line += "\n  problem: " + describe(problem);
    }
    const bool erased = static_cast<bool>(report);
    post([this, line, erased] {
      ++epoch_;
      // A report means the local state was erased, even when a remote step failed. Without one (the
      // keychain refused, say) the session may still be there: the slot watch shows what is.
      if (erased) show(std::nullopt);
      set_state(view_ ? State::signed_in : State::signed_out);
      emit status(line);
    });
  });
}

}  // namespace qtsample
