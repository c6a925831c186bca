// SPDX-License-Identifier: Apache-2.0
// Client::sign_in: Authorization Code + PKCE through the system browser (RFC 8252, RFC 7636), from the
// request to a validated Session. Not here: how the redirect arrives (redirects.cpp), the step from the
// token response to a stored session that every flow shares (tokens_to_session.cpp), the device flow.
#include "core/client_impl.hpp"

#include "core/par.hpp"
#include "core/token_endpoint.hpp"
#include "core/url.hpp"
#include "util/quote.hpp"
#include "util/strings.hpp"

namespace nativeauth {
namespace {

// Parameters nativeauth computes itself; an app may not override them through extra_params.
const std::vector<std::string_view> kReservedParams = {
    "response_type",         "client_id",     "redirect_uri", "scope",   "state",      "nonce",      "code_challenge",
    "code_challenge_method", "prompt",        "login_hint",   "max_age", "ui_locales", "acr_values", "request",
    "request_uri",           "response_mode", "dpop_jkt"};

Error cancelled() { return make_error(ErrorCode::cancelled, "sign-in was cancelled"); }

}  // namespace

Result<Session> Client::sign_in(const SignInOptions &options) {
  if (!impl_) return make_error(ErrorCode::invalid_argument, "this Client was moved from");
  return impl_->exclusive_sign_in([&] { return impl_->run_sign_in(options); });
}

Result<Session> Client::Impl::run_sign_in(const SignInOptions &opts) {
  if (opts.timeout.count() <= 0) return make_error(ErrorCode::invalid_argument, "sign-in timeout must be positive");
  auto scopes = request_scopes(opts.scopes, opts.extra_params, kReservedParams);
  if (!scopes) return std::move(scopes).error();
  auto max_age = oidc::bounded_max_age(opts.max_age);
  if (!max_age) return std::move(max_age).error();

  log.info("signing in to " + options.issuer + " as client " + options.client_id);
  auto metadata = oidc::discover(*platform.http, options.issuer, log);
  if (!metadata) return std::move(metadata).error();
  const oidc::ProviderMetadata &md = **metadata;
  if (md.jwks_uri.empty()) return make_error(ErrorCode::missing_endpoint, "provider metadata has no jwks_uri");
  auto pushed = use_pushed_authorization(md);
  if (!pushed) return std::move(pushed).error();
  if (cancel_requested) return cancelled();
  auto dpop = dpop_key_for_sign_in(md);
  if (!dpop) return std::move(dpop).error();
  NewKeyGuard discard{*this, *dpop};  // deleted again unless the session it binds is stored

  auto pkce = core::make_pkce();
  if (!pkce) return std::move(pkce).error();
  auto state = core::random_token();
  if (!state) return std::move(state).error();
  auto nonce = core::random_token();
  if (!nonce) return std::move(nonce).error();
  const AuthorizationRequest request{md,
                                     opts,
                                     std::move(*scopes),
                                     std::move(*pkce),
                                     std::move(*state),
                                     std::move(*nonce),
                                     std::chrono::steady_clock::now() + opts.timeout,
                                     *max_age,
                                     *pushed,
                                     *dpop ? &**dpop : nullptr};

  auto session = redirect.kind == core::RedirectTarget::Kind::app ? sign_in_through_app(request)
                 : opts.listen                                    ? sign_in_through_loopback(request)
                                                                  : sign_in_without_listener(request);
  if (!session) return std::move(session).error();
  discard.keep = session->dpop.has_value();
  return store_signed_in(std::move(*session), md);
}

Result<bool> Client::Impl::use_pushed_authorization(const oidc::ProviderMetadata &md) const {
  const bool always = options.pushed_authorization == PushedAuthorization::always;
  if (!always && !md.require_pushed_authorization_requests) return false;
  if (!md.pushed_authorization_request_endpoint.empty()) return true;
  // Checked before any listener or browser: a sign-in that cannot be pushed must not half start.
  if (always) {
    return make_error(ErrorCode::missing_endpoint,
                      "pushed authorization requests were asked for (ClientOptions::pushed_authorization is "
                      "always), but the provider " +
                          util::quoted(md.issuer) +
                          " advertises no pushed_authorization_request_endpoint (RFC 9126 §5); sign in without "
                          "them (when_required), or turn them on at the provider");
  }
  return make_error(ErrorCode::missing_endpoint,
                    "the provider " + util::quoted(md.issuer) +
                        " requires pushed authorization requests (require_pushed_authorization_requests) but "
                        "advertises no pushed_authorization_request_endpoint; its metadata contradicts itself: "
                        "tell the provider's administrator");
}

core::Params Client::Impl::authorization_params(const AuthorizationRequest &request,
                                                const std::string &redirect_uri) const {
  const SignInOptions &opts = request.opts;
  core::Params params = {{"response_type", "code"},
                         {"client_id", options.client_id},
                         {"redirect_uri", redirect_uri},
                         {"scope", util::join(request.scopes, " ")},
                         {"state", request.state},
                         {"nonce", request.nonce},
                         {"code_challenge", request.pkce.challenge},
                         {"code_challenge_method", "S256"}};
  if (opts.prompt) params.emplace_back("prompt", *opts.prompt);
  if (opts.login_hint) params.emplace_back("login_hint", *opts.login_hint);
  if (request.max_age) params.emplace_back("max_age", std::to_string(request.max_age->count()));
  if (opts.ui_locales) params.emplace_back("ui_locales", *opts.ui_locales);
  if (opts.acr_values) params.emplace_back("acr_values", *opts.acr_values);
  // RFC 9449 §10: the code is bound to the session's key too, so a stolen code is useless without it.
  if (request.dpop) params.emplace_back("dpop_jkt", request.dpop->binding.jkt);
  for (const auto &p : opts.extra_params) params.push_back(p);
  return params;
}

Result<std::string> Client::Impl::authorization_url(const AuthorizationRequest &request,
                                                    const std::string &redirect_uri) {
  core::Params params = authorization_params(request, redirect_uri);
  std::string url = core::append_query(request.md.authorization_endpoint, params);
  // The same redacted view of the request whichever way it travels: state, nonce and challenge as ***.
  log.debug("authorization request: " + core::redact_url(url));
  if (!request.pushed) return url;
  auto request_uri = push_authorization_request(request.md, std::move(params));
  if (!request_uri) return std::move(request_uri).error();
  url = core::pushed_authorization_url(request.md.authorization_endpoint, options.client_id, *request_uri);
  log.debug("the browser gets only the pushed request's reference: " + core::redact_url(url));
  return url;
}

Result<std::string> Client::Impl::push_authorization_request(const oidc::ProviderMetadata &md, core::Params params) {
  const std::string &endpoint = md.pushed_authorization_request_endpoint;
  log.debug("pushing the authorization request to " + core::redact_url(endpoint) + " (RFC 9126)");
  auto http_request = core::make_par_request(endpoint, std::move(params), options.client_id, options.client_secret);
  auto http_response = platform.http->send(http_request);
  if (!http_response) {
    Error e = std::move(http_response).error();
    e.message = "the pushed authorization request to " + core::redact_url(endpoint) + " failed: " + e.message;
    return e;
  }
  auto pushed = core::parse_par_response(*http_response);
  if (!pushed) {
    Error e = std::move(pushed).error();
    if (!e.oauth_error.empty()) {
      // RFC 9126 §2.3: the provider refused the request itself (scope, redirect_uri, client, ...).
      e.message += ": " + util::quoted(e.oauth_error, 80) +
                   (e.oauth_description.empty() ? "" : " (" + util::quoted(e.oauth_description, 300) + ")") +
                   "; check the sign-in's parameters and the client's registration at the provider";
    }
    return e;
  }
  log.debug("the provider took the pushed authorization request; its request_uri is valid for " +
            std::to_string(pushed->expires_in) + " s");
  return std::move(pushed->request_uri);
}

Error Client::Impl::sign_in_timed_out(const SignInOptions &opts, bool os_chosen_port) const {
  std::string message = "the browser did not return to the app within " + std::to_string(opts.timeout.count()) +
                        " s; was the sign-in page opened and completed?";
  if (os_chosen_port) {
    // RFC 8252 §7.3 says a provider must accept any loopback port; many match the registered one exactly
    // and show the user an error page instead of redirecting, which looks like a browser that never returns.
    message += std::string(" The redirect URI's port was chosen by the OS, and some providers accept only the exact "
                           "port registered: if the provider complained about redirect_uri, register ") +
               (redirect.ipv6_host ? "http://[::1]:PORT" : "http://127.0.0.1:PORT") + redirect.path +
               " there with a fixed PORT and pass that port (redirect.port in ClientOptions; --port in the CLI).";
  }
  return make_error(ErrorCode::timeout, message);
}

Result<Session> Client::Impl::sign_in_through_app(const AuthorizationRequest &request) {
  // RFC 8252 §7.1/§7.2: the OS hands the redirect to the app, which passes it to handle_redirect().
  // Another instance of the app, started by the OS with the redirect, may forward it here instead.
  std::unique_ptr<platform::RedirectEndpoint> endpoint;
  if (platform.relay) {
    auto listening = platform.relay->listen(slot(), [this](std::string_view u) { return deliver_redirect(u); });
    if (!listening) return std::move(listening).error();
    endpoint = std::move(*listening);
  }
  return sign_in_through_handover(request, redirect.uri, false);
}

Result<Session> Client::Impl::sign_in_through_handover(const AuthorizationRequest &request,
                                                       const std::string &redirect_uri, bool os_chosen_port) {
  auto url = authorization_url(request, redirect_uri);
  if (!url) return std::move(url).error();
  if (cancel_requested) return cancelled();
  // The wait is registered before the URL is shown: a redirect handed over at once is not refused.
  auto response = await_app_redirect(redirect_uri, request.state, request.deadline, [&]() -> Result<void> {
    auto shown = show_url(*url, request.opts.open_browser, request.opts.on_authorization_url, "sign in");
    if (shown) log.info("waiting for the app to hand over the redirect to " + redirect_uri);
    return shown;
  });
  if (!response) {
    if (response.error().code == ErrorCode::timeout) return sign_in_timed_out(request.opts, os_chosen_port);
    return std::move(response).error();
  }
  return complete(*response, request, redirect_uri);
}

Result<Session> Client::Impl::sign_in_without_listener(const AuthorizationRequest &request) {
  // The browser's navigation to the redirect URI fails (nothing listens), and the app hands over the URL
  // it was sent to: checked exactly like a redirect on a listener (classify_redirect_url, complete()).
  std::uint16_t port = redirect.port;
  if (port == 0) {
    auto chosen = loopback_port();
    if (!chosen) return std::move(chosen).error();
    port = *chosen;
  }
  // RFC 8252 §7.3: the IP literal, not "localhost", as for a listener.
  const std::string redirect_uri = std::string(redirect.ipv6_host ? "http://[::1]:" : "http://127.0.0.1:") +
                                   std::to_string(port) + redirect.path;
  return sign_in_through_handover(request, redirect_uri, redirect.port == 0);
}

Result<std::uint16_t> Client::Impl::loopback_port() {
  platform::LoopbackListenerOptions lo;
  lo.ipv4 = !redirect.ipv6_host;
  lo.ipv6 = redirect.ipv6_host;
  auto probe = platform.loopback->listen(lo);
  if (!probe) return std::move(probe).error();
  const std::uint16_t port = (*probe)->port();
  probe->reset();  // released: nothing listens on the redirect URI's port
  return port;
}

Result<Session> Client::Impl::sign_in_through_loopback(const AuthorizationRequest &request) {
  platform::LoopbackListenerOptions lo;
  lo.port = redirect.port;
  lo.ipv4 = !redirect.ipv6_host;
  lo.ipv6 = redirect.ipv6_host || options.redirect.ipv6;
  auto listener = platform.loopback->listen(lo);
  if (!listener) return std::move(listener).error();
  // RFC 8252 §7.3: the IP literal, not "localhost", so no resolver or firewall can redirect it.
  const std::string redirect_uri = std::string(redirect.ipv6_host ? "http://[::1]:" : "http://127.0.0.1:") +
                                   std::to_string((*listener)->port()) + redirect.path;
  auto url = authorization_url(request, redirect_uri);
  if (!url) return std::move(url).error();

  ListenerScope registered(*this, listener->get());
  if (cancel_requested) return cancelled();
  if (auto shown = show_url(*url, request.opts.open_browser, request.opts.on_authorization_url, "sign in"); !shown) {
    return std::move(shown).error();
  }
  log.info("waiting for the browser to return to " + redirect_uri);
  std::optional<Result<Session>> outcome;
  auto served = (*listener)->serve(loopback_handler(request, redirect_uri, outcome), request.deadline);
  if (!served) {
    Error e = std::move(served).error();
    if (e.code == ErrorCode::timeout) return sign_in_timed_out(request.opts, redirect.port == 0);
    if (e.code == ErrorCode::cancelled) e.message = "sign-in was cancelled";
    return e;
  }
  if (!outcome) return make_error(ErrorCode::internal, "the sign-in finished without a response");
  return std::move(*outcome);
}

Result<Session> Client::Impl::complete(const core::AuthorizationResponse &response, const AuthorizationRequest &request,
                                       const std::string &redirect_uri) {
  const oidc::ProviderMetadata &md = request.md;
  // RFC 9207 §2.4: check iss before anything else in the response, errors included.
  if (response.iss) {
    if (*response.iss != md.issuer) {
      return make_error(ErrorCode::issuer_param_mismatch,
                        "the authorization response came from issuer " + util::quoted(*response.iss, 200) +
                            ", not from " + util::quoted(md.issuer) + "; refused (possible mix-up attack)");
    }
  } else if (md.authorization_response_iss_parameter_supported) {
    return make_error(
        ErrorCode::issuer_param_mismatch,
        "the provider promises an iss parameter in authorization responses but this one has none; refused");
  }
  if (!response.error.empty()) {
    Error e;
    e.code = response.error == "access_denied" ? ErrorCode::access_denied : ErrorCode::authorization_error;
    e.message = e.code == ErrorCode::access_denied ? "sign-in was declined or denied at the provider"
                                                   : "the provider refused the sign-in request";
    e.oauth_error = response.error;
    e.oauth_description = response.error_description;
    e.oauth_uri = response.error_uri;
    e.transient = response.error == "temporarily_unavailable" || response.error == "server_error";
    return e;
  }
  if (response.code.empty()) return make_error(ErrorCode::invalid_redirect, "the authorization response has no code");
  if (cancel_requested) return cancelled();

  core::Params form = {{"grant_type", "authorization_code"},
                       {"code", std::string(response.code.reveal())},
                       {"redirect_uri", redirect_uri},
                       {"code_verifier", std::string(request.pkce.verifier.reveal())}};
  auto http_request = core::make_token_request(md.token_endpoint, std::move(form), options.client_id,
                                               options.client_secret);
  log.debug("exchanging the authorization code at " + md.token_endpoint);
  auto http_response = send_with_proof(std::move(http_request), request.dpop ? request.dpop->key.get() : nullptr);
  if (!http_response) {
    Error e = std::move(http_response).error();
    e.message = "the token request failed: " + e.message;
    return e;
  }
  return session_from_tokens(*http_response, md, std::optional<std::string>(request.nonce), request.max_age,
                             request.scopes, request.dpop);
}

Result<void> Client::Impl::show_url(const std::string &url, bool open_browser,
                                    const std::function<void(const std::string &, bool)> &notify,
                                    const std::string &what) {
  bool launched = false;
  if (open_browser && platform.browser) {
    auto opened = platform.browser->open(url);
    launched = opened.has_value();
    if (!opened) log.warning("could not open a browser to " + what + ": " + opened.error().message);
  }
  if (notify) {
    try {
      notify(url, launched);
    } catch (...) {
      log.warning("the app's URL callback threw; ignored");
    }
  } else if (!launched) {
    return make_error(ErrorCode::browser_unavailable,
                      "no browser could be opened to " + what + " and no callback was given to show the URL");
  }
  return {};
}

}  // namespace nativeauth
