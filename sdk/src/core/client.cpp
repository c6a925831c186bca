// SPDX-License-Identifier: Apache-2.0
// Making a Client: the options checked once, the platform's defaults filled in (platform_defaults.hpp,
// one place per platform), and what lives as long as the Client (identity, cancel()). Not here: any flow
// (sign_in.cpp, device_flow.cpp, refresh.cpp, sign_out.cpp) or slot access (slots.cpp).
#include "core/client_impl.hpp"

#include "core/lock_wait.hpp"
#include "core/platform_defaults.hpp"
#include "core/token_cache.hpp"
#include "core/url.hpp"

namespace nativeauth {
namespace {

/// RedirectOptions → the checked redirect target (RFC 8252 §7).
Result<core::RedirectTarget> check_redirect(const RedirectOptions &redirect) {
  if (!redirect.uri.empty()) return core::parse_redirect_uri(redirect.uri);
  const auto &path = redirect.path;
  if (path.empty() || path.front() != '/' || path.find_first_of("?# ") != std::string::npos) {
    return make_error(ErrorCode::invalid_argument,
                      "redirect path must start with '/' and contain no query, fragment or spaces: '" + path + "'");
  }
  core::RedirectTarget target;
  target.path = path;
  target.port = redirect.port;
  return target;
}

/// Every option checked, in the order a person would fix them; returns the checked redirect target.
Result<core::RedirectTarget> check_options(const ClientOptions &options) {
  if (options.issuer.empty()) return make_error(ErrorCode::invalid_argument, "issuer is required");
  if (auto ok = core::require_secure_url(options.issuer, "issuer"); !ok) return std::move(ok).error();
  const auto issuer_url = core::parse_url(options.issuer);
  if (!issuer_url->query.empty() || !issuer_url->fragment.empty() ||
      options.issuer.find_first_of("?#") != std::string::npos) {
    return make_error(ErrorCode::invalid_configuration, "issuer must not have a query or fragment (OIDC Discovery §2)");
  }
  if (options.client_id.empty()) return make_error(ErrorCode::invalid_argument, "client_id is required");
  if (options.profile.empty()) return make_error(ErrorCode::invalid_argument, "profile must not be empty");
  auto redirect = check_redirect(options.redirect);
  if (!redirect) return std::move(redirect).error();
  for (const auto &s : options.scopes) {
    if (!valid_scope_token(s)) return make_error(ErrorCode::invalid_argument, "invalid scope '" + s + "'");
  }
  if (options.request_timeout.count() <= 0 || options.connect_timeout.count() <= 0) {
    return make_error(ErrorCode::invalid_argument, "timeouts must be positive");
  }
  return redirect;
}

/// Where sign-out's browser comes back: RedirectOptions::post_logout_uri, else `/logout` on the sign-in's
/// loopback port and host (RedirectOptions::port for an app-handled sign-in redirect).
Result<core::RedirectTarget> check_post_logout(const RedirectOptions &options, const core::RedirectTarget &sign_in) {
  if (!options.post_logout_uri.empty()) {
    auto target = core::parse_redirect_uri(options.post_logout_uri);
    if (!target) {
      Error e = std::move(target).error();
      e.message = "post_logout_uri: " + e.message;
      return e;
    }
    return target;
  }
  core::RedirectTarget target;
  target.path = "/logout";
  const bool loopback = sign_in.kind == core::RedirectTarget::Kind::loopback;
  target.port = loopback ? sign_in.port : options.port;
  target.ipv6_host = loopback && sign_in.ipv6_host;
  return target;
}

}  // namespace

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::Client(Client &&) noexcept = default;
Client &Client::operator=(Client &&) noexcept = default;
Client::~Client() = default;

const std::string &Client::issuer() const noexcept { return impl_->options.issuer; }
const std::string &Client::client_id() const noexcept { return impl_->options.client_id; }

Result<Client> Client::create(ClientOptions options) {
  try {
    auto redirect = check_options(options);
    if (!redirect) return std::move(redirect).error();

    auto post_logout = check_post_logout(options.redirect, *redirect);
    if (!post_logout) return std::move(post_logout).error();

    auto impl = std::make_unique<Impl>();
    impl->redirect = std::move(*redirect);
    impl->post_logout = std::move(*post_logout);
    impl->log = core::Logger(options.log, options.log_level);
    auto defaults = platform::complete(options.platform, options);
    if (!defaults) return std::move(defaults).error();
    impl->platform = std::move(defaults->platform);
    const auto &p = impl->platform;
    if (!p.store || !p.http || !p.clock) {
      return make_error(
          ErrorCode::invalid_configuration,
          "this platform has no default store, HTTP transport or clock; supply them in ClientOptions::platform");
    }
    const bool loopback_uri = !options.redirect.post_logout_uri.empty() &&
                              impl->post_logout.kind == core::RedirectTarget::Kind::loopback;
    if (!p.loopback && (impl->redirect.kind == core::RedirectTarget::Kind::loopback || loopback_uri)) {
      return make_error(ErrorCode::invalid_configuration,
                        "this platform has no loopback listener; supply one or use an app-handled redirect URI");
    }
    if (!p.locks) return make_error(ErrorCode::invalid_configuration, "this platform has no slot locks; supply one");
    impl->apps_key_store = options.platform.keys != nullptr;
    if (!p.keys) impl->platform.keys = platform::software_key_store();
    if (!options.token_cache) impl->platform.token_cache.reset();
    if (impl->platform.token_cache) {
      impl->platform.store = core::keep_cache_in_step(p.store, p.token_cache, p.clock, options.refresh_margin,
                                                      impl->log);
    }
    for (const auto &warning : defaults->warnings) impl->log.warning(warning);
    impl->lock_timeout = core::lock_wait(options);
    impl->options = std::move(options);
    return Client(std::move(impl));
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("could not create the client: ") + e.what());
  }
}

void Client::cancel() noexcept {
  if (!impl_) return;
  impl_->cancel_requested = true;
  try {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->active_listener) impl_->active_listener->cancel();
  } catch (...) {
    // lock failure: the flag alone still stops the sign-in at its next step
  }
  try {
    // Taking the mutex orders the flag before the waiter's predicate check: no lost wake-up.
    std::lock_guard<std::mutex> lock(impl_->redirect_mutex);
    impl_->redirect_cv.notify_all();
  } catch (...) {
    // lock failure: the flag alone still stops the sign-in at its next step
  }
}

}  // namespace nativeauth
