// SPDX-License-Identifier: Apache-2.0
// How the authorization redirect reaches a waiting sign-in: on the loopback listener (the request
// handler, RFC 8252 §7.3), handed over by the app (Client::handle_redirect, §7.1/§7.2), or forwarded by
// a second instance of the app through the redirect relay (forward_redirect). Not here: the sign-in
// that waits (sign_in.cpp), the listener's sockets and HTTP (platform/, loopback/http.hpp).
#include "core/client_impl.hpp"

#include "loopback/http.hpp"

namespace nativeauth {

Result<void> Client::handle_redirect(std::string_view url) {
  if (!impl_) return make_error(ErrorCode::invalid_argument, "this Client was moved from");
  return impl_->deliver_redirect(url);
}

Result<void> forward_redirect(const ClientOptions &options, std::string_view url) {
  try {
    // The URL must be for one of the app's redirect URIs: the sign-in's or the post-logout one.
    std::string expected;
    bool ours = false;
    for (const std::string *uri : {&options.redirect.uri, &options.redirect.post_logout_uri}) {
      if (uri->empty()) continue;
      auto target = core::parse_redirect_uri(*uri);
      if (!target) return std::move(target).error();
      if (target->kind != core::RedirectTarget::Kind::app) continue;  // a loopback one is never handed over
      const auto verdict = core::classify_redirect_url(url, target->uri, "").verdict;
      ours = ours || (verdict != core::CallbackVerdict::not_found && verdict != core::CallbackVerdict::bad_request);
      expected += (expected.empty() ? "'" : " or '") + target->uri + "'";
    }
    if (!expected.empty() && !ours) {
      return make_error(ErrorCode::invalid_redirect,
                        "the URL is not a redirect to " + expected + " with a state; nothing was forwarded");
    }
    auto relay = options.platform.relay ? options.platform.relay : platform::default_platform().relay;
    if (!relay)
      return make_error(ErrorCode::invalid_configuration, "this platform cannot forward redirects between processes");
    return relay->forward({options.issuer, options.client_id, options.profile}, url, std::chrono::seconds(30));
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("could not forward the redirect: ") + e.what());
  }
}

Result<void> Client::Impl::deliver_redirect(std::string_view url) {
  try {
    std::lock_guard<std::mutex> lock(redirect_mutex);
    auto *waiting = awaited;
    if (!waiting) {
      return make_error(ErrorCode::no_pending_sign_in,
                        "no sign-in is waiting for a redirect (none was started here, or it completed, timed out "
                        "or was cancelled)");
    }
    if (waiting->response) {
      return make_error(ErrorCode::no_pending_sign_in, "the sign-in in progress already received its redirect");
    }
    auto cb = core::classify_redirect_url(url, waiting->uri, waiting->state);
    switch (cb.verdict) {
      case core::CallbackVerdict::matched:
        waiting->response = std::move(cb.response);
        redirect_cv.notify_all();
        return {};
      case core::CallbackVerdict::wrong_state:
        log.warning("refused a redirect whose state belongs to no pending sign-in");
        return make_error(ErrorCode::state_mismatch,
                          "the redirect's state belongs to no sign-in in progress (an old or foreign response); "
                          "refused");
      case core::CallbackVerdict::not_found:
        return make_error(ErrorCode::invalid_redirect,
                          "the URL is not for this app's redirect URI '" + waiting->uri + "'; refused");
      case core::CallbackVerdict::bad_method:
      case core::CallbackVerdict::bad_request: break;
    }
    return make_error(ErrorCode::invalid_redirect,
                      "the redirect URL has no state, repeats a parameter or is malformed; refused");
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("could not take the redirect: ") + e.what());
  }
}

Result<core::AuthorizationResponse> Client::Impl::await_app_redirect(const std::string &uri, const std::string &state,
                                                                     std::chrono::steady_clock::time_point deadline,
                                                                     const std::function<Result<void>()> &waiting) {
  AwaitedRedirect mine{uri, state, std::nullopt};
  std::unique_lock<std::mutex> lock(redirect_mutex);
  if (awaited) {
    return make_error(ErrorCode::invalid_argument,
                      "a sign-in or sign-out of this client is already waiting for a redirect; try again after it");
  }
  awaited = &mine;
  struct Clear {
    AwaitedRedirect *&slot;
    ~Clear() { slot = nullptr; }
  } clear{awaited};  // runs while `lock` is still held: declared after it
  if (waiting) {
    Result<void> shown;
    {
      // Unlocked meanwhile: the app's callback may call cancel() or handle_redirect(), which take this
      // mutex. Locked again on every way out, exceptions included, before `clear` runs.
      struct Relock {
        std::unique_lock<std::mutex> &held;
        ~Relock() { held.lock(); }
      } relock{lock};
      lock.unlock();
      shown = waiting();
    }
    if (!shown) return std::move(shown).error();
  }
  redirect_cv.wait_until(lock, deadline, [&] { return mine.response || cancel_requested; });
  if (mine.response) return std::move(*mine.response);
  if (cancel_requested) return make_error(ErrorCode::cancelled, "sign-in was cancelled");
  return make_error(ErrorCode::timeout, "timed out");
}

platform::RequestHandler Client::Impl::loopback_handler(const AuthorizationRequest &request,
                                                        const std::string &redirect_uri,
                                                        std::optional<Result<Session>> &outcome) {
  return [this, &request, &redirect_uri, &outcome](std::string_view head) -> platform::HandlerOutcome {
    platform::HandlerOutcome out;
    const auto cb = core::classify_callback(head, redirect.path, request.state);
    switch (cb.verdict) {
      case core::CallbackVerdict::not_found:
        log.debug("loopback listener: ignored a request for another path");
        out.reply = loopback::text_reply(404, "Not found.\n");
        return out;
      case core::CallbackVerdict::bad_method:
        out.reply = loopback::text_reply(405, "Method not allowed.\n");
        return out;
      case core::CallbackVerdict::bad_request:
        log.debug("loopback listener: ignored a malformed request");
        out.reply = loopback::text_reply(400, "This request is not a sign-in response.\n");
        return out;
      case core::CallbackVerdict::wrong_state:
        log.warning("loopback listener: ignored a response with a state that belongs to no pending sign-in");
        out.reply = loopback::text_reply(400, "This sign-in response does not belong to the sign-in in progress.\n");
        return out;
      case core::CallbackVerdict::matched: break;
    }
    // The token exchange happens while the browser waits, so the page it shows tells the truth.
    outcome.emplace(complete(cb.response, request, redirect_uri));
    out.done = true;
    const bool ok = outcome->has_value();
    const std::string &target = ok ? request.opts.success_redirect_url : request.opts.failure_redirect_url;
    if (!target.empty()) {
      out.reply.status = 302;
      out.reply.location = target;
      out.reply.body.clear();
      return out;
    }
    out.reply.status = 200;
    out.reply.content_type = "text/html; charset=utf-8";
    std::string detail;
    if (!ok) {
      const Error &e = outcome->error();
      detail = e.oauth_description.empty() ? e.message : e.oauth_description;
    }
    out.reply.body = loopback::result_page(ok, detail);
    return out;
  };
}

Client::Impl::ListenerScope::ListenerScope(Impl &impl, platform::LoopbackListener *listener) : impl_(impl) {
  std::lock_guard<std::mutex> lock(impl_.mutex);
  impl_.active_listener = listener;
}

Client::Impl::ListenerScope::~ListenerScope() {
  std::lock_guard<std::mutex> lock(impl_.mutex);
  impl_.active_listener = nullptr;
}

}  // namespace nativeauth
