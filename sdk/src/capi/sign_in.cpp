// SPDX-License-Identifier: Apache-2.0
// nativeauth_sign_in_*: Client::sign_in() (which blocks) run on a library thread, so a host's UI thread
// can start it, hand it the redirect, wait, poll or cancel it — the shape mobile apps need.
#include "capi.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <thread>

namespace nativeauth::capi {

struct SignInState {
  std::shared_ptr<Client> client;
  SignInOptions options;
  nativeauth_sign_in_complete_cb on_complete = nullptr;
  nativeauth_authorization_url_cb on_authorization_url = nullptr;
  void *payload = nullptr;

  std::atomic<bool> cancel_requested{false};
  // Set by nativeauth_sign_in_free() called on the sign-in's own thread (from one of its callbacks): the
  // handle is gone, so on_complete gets NULL. Written and read on that thread only.
  bool handle_freed = false;
  std::mutex mutex;
  std::condition_variable finished_cv;
  bool finished = false;
  ErrorHolder outcome;  // written once, under `mutex`, before `finished`
};

namespace {
thread_local SignInState *tls_sign_in = nullptr;
}

SignInState *current_sign_in() noexcept { return tls_sign_in; }
void set_current_sign_in(SignInState *state) noexcept { tls_sign_in = state; }

// Client::sign_in() forgets a cancel() that arrives before it started (it resets its flag on entry).
// Every sign-in shows its URL (browser or callback) after that reset and before it waits, on its own
// thread: re-issuing a cancel requested meanwhile here makes the wait end at once.
void on_show_url(SignInState *state) noexcept {
  if (state && state->cancel_requested.load()) state->client->cancel();
}

}  // namespace nativeauth::capi

struct nativeauth_sign_in {
  std::shared_ptr<nativeauth::capi::SignInState> state;
  std::thread thread;
};

using namespace nativeauth;
using capi::fail;
using capi::guarded;

namespace {

std::optional<std::string> opt(const char *s) { return s ? std::optional<std::string>(s) : std::nullopt; }

int build_sign_in_options(capi::SignInState &st, const nativeauth_sign_in_options &c) {
  SignInOptions &o = st.options;
  if (c.scopes) {
    std::istringstream in(c.scopes);
    for (std::string part; in >> part;) o.scopes.push_back(part);
  }
  o.prompt = opt(c.prompt);
  o.login_hint = opt(c.login_hint);
  o.ui_locales = opt(c.ui_locales);
  o.acr_values = opt(c.acr_values);
  // Negative: not sent (the C default). Clamped here as well as in Client::sign_in(), so no int64 the
  // host passes is ever added to or sent as it is.
  if (c.max_age_s >= 0) o.max_age = std::min(std::chrono::seconds(c.max_age_s), SignInOptions::kMaxAgeLimit);
  if (c.extra_params_count && !c.extra_params) {
    return fail(ErrorCode::invalid_argument, "nativeauth_sign_in_options.extra_params is NULL but its count is not 0");
  }
  for (size_t i = 0; i < c.extra_params_count; ++i) {
    const char *name = c.extra_params[2 * i];
    const char *value = c.extra_params[2 * i + 1];
    if (!name || !value) {
      return fail(ErrorCode::invalid_argument, "nativeauth_sign_in_options.extra_params has a NULL name or value");
    }
    o.extra_params.emplace_back(name, value);
  }
  if (c.timeout_s) o.timeout = std::chrono::seconds(c.timeout_s);
  o.open_browser = c.no_browser == 0;
  st.on_complete = c.on_complete;
  st.on_authorization_url = c.on_authorization_url;
  st.payload = c.payload;
  if (c.on_authorization_url) {
    capi::SignInState *raw = &st;
    o.on_authorization_url = [raw](const std::string &url, bool opened) {
      capi::on_show_url(raw);
      raw->on_authorization_url(url.c_str(), opened ? 1 : 0, raw->payload);
    };
  }
  return 0;
}

void run(const std::shared_ptr<capi::SignInState> &st, nativeauth_sign_in *handle) noexcept {
  Error error;
  error.code = ErrorCode::ok;
  try {
    if (st->cancel_requested) {
      error = make_error(ErrorCode::cancelled, "sign-in was cancelled");
    } else {
      capi::set_current_sign_in(st.get());
      auto session = st->client->sign_in(st->options);
      capi::set_current_sign_in(nullptr);
      if (!session) error = std::move(session).error();
    }
  } catch (...) {
    capi::set_current_sign_in(nullptr);
    error = make_error(ErrorCode::internal, "unexpected failure during sign-in");
  }
  {
    std::lock_guard<std::mutex> lock(st->mutex);
    try {
      if (error.code == ErrorCode::ok) {
        st->outcome.clear();
      } else {
        st->outcome.set(error);
      }
    } catch (...) {
      st->outcome.set_code_only(-static_cast<std::int32_t>(error.code));
    }
    st->finished = true;
  }
  st->finished_cv.notify_all();
  // A callback may have freed `handle` already (st->handle_freed); from here on on_complete may free it.
  // Either way nothing below touches it.
  if (st->on_complete) {
    st->on_complete(st->handle_freed ? nullptr : handle, st->outcome.code(), st->outcome.get(), st->payload);
  }
}

void cancel(capi::SignInState &st) {
  st.cancel_requested = true;
  bool finished = false;
  {
    std::lock_guard<std::mutex> lock(st.mutex);
    finished = st.finished;
  }
  // Only a running sign-in is cancelled: a finished one must not cancel a later one on the same client.
  if (!finished) st.client->cancel();
}

}  // namespace

extern "C" {

int nativeauth_sign_in_options_init(nativeauth_sign_in_options *options, uint32_t version) {
  return guarded([&] {
    if (!options) return fail(ErrorCode::invalid_argument, "nativeauth_sign_in_options_init: options is NULL");
    if (int rc = capi::check_version("nativeauth_sign_in_options", version, NATIVEAUTH_SIGN_IN_OPTIONS_VERSION))
      return rc;
    const nativeauth_sign_in_options init = NATIVEAUTH_SIGN_IN_OPTIONS_INIT;
    *options = init;
    options->version = version;
    return 0;
  });
}

int nativeauth_sign_in_start(nativeauth_sign_in **out, nativeauth_client *client,
                             const nativeauth_sign_in_options *options) {
  return guarded([&] {
    if (!out) return fail(ErrorCode::invalid_argument, "nativeauth_sign_in_start: out is NULL");
    *out = nullptr;
    if (!client) return fail(ErrorCode::invalid_argument, "nativeauth_sign_in_start: client is NULL");
    auto st = std::make_shared<capi::SignInState>();
    st->client = client->client;
    if (options) {
      if (int rc = capi::check_version("nativeauth_sign_in_options", options->version,
                                       NATIVEAUTH_SIGN_IN_OPTIONS_VERSION)) {
        return rc;
      }
      if (int rc = build_sign_in_options(*st, *options)) return rc;
    }
    auto handle = std::make_unique<nativeauth_sign_in>();
    handle->state = st;
    try {
      handle->thread = std::thread([st, raw = handle.get()] { run(st, raw); });
    } catch (const std::system_error &e) {
      return fail(ErrorCode::internal, std::string("could not start the sign-in thread: ") + e.what());
    }
    *out = handle.release();
    return 0;
  });
}

int nativeauth_sign_in_wait(nativeauth_sign_in *sign_in, int32_t timeout_ms) {
  return guarded([&] {
    if (!sign_in) return fail(ErrorCode::invalid_argument, "nativeauth_sign_in_wait: sign_in is NULL");
    auto &st = *sign_in->state;
    std::unique_lock<std::mutex> lock(st.mutex);
    const auto done = [&] { return st.finished; };
    if (timeout_ms < 0) {
      st.finished_cv.wait(lock, done);
    } else if (!st.finished_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), done)) {
      return fail(capi::kInProgress, "the sign-in has not finished yet");
    }
    const nativeauth_error &e = *st.outcome.get();
    if (e.code == 0) return 0;
    Error copy = make_error(static_cast<ErrorCode>(-e.code), e.message);
    copy.oauth_error = e.oauth_error;
    copy.oauth_description = e.oauth_error_description;
    copy.oauth_uri = e.oauth_error_uri;
    copy.http_status = e.http_status;
    copy.transient = e.transient != 0;
    return fail(copy);
  });
}

int nativeauth_sign_in_poll(nativeauth_sign_in *sign_in) { return nativeauth_sign_in_wait(sign_in, 0); }

int nativeauth_sign_in_cancel(nativeauth_sign_in *sign_in) {
  return guarded([&] {
    if (!sign_in) return fail(ErrorCode::invalid_argument, "nativeauth_sign_in_cancel: sign_in is NULL");
    cancel(*sign_in->state);
    return 0;
  });
}

int nativeauth_sign_in_handle_redirect(nativeauth_sign_in *sign_in, const char *url) {
  return guarded([&] {
    if (!sign_in || !url) {
      return fail(ErrorCode::invalid_argument, "nativeauth_sign_in_handle_redirect: sign_in or url is NULL");
    }
    auto handled = sign_in->state->client->handle_redirect(url);
    if (!handled) return fail(handled.error());
    return 0;
  });
}

void nativeauth_sign_in_free(nativeauth_sign_in *sign_in) {
  if (!sign_in) return;
  try {
    cancel(*sign_in->state);
    if (sign_in->thread.joinable()) {
      if (sign_in->thread.get_id() == std::this_thread::get_id()) {
        // Freed from one of its own callbacks (on_authorization_url, the host's open_url or store
        // callbacks, on_complete): a thread cannot join itself. It ends on its own once run() returns,
        // and run() hands on_complete NULL instead of this handle, which is deleted below.
        sign_in->state->handle_freed = true;
        sign_in->thread.detach();
      } else {
        sign_in->thread.join();
      }
    }
  } catch (...) {
    // join() only throws for a thread that cannot be joined; nothing is left to wait for then.
  }
  delete sign_in;
}

}  // extern "C"
