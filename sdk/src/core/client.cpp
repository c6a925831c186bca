// SPDX-License-Identifier: Apache-2.0
// Client::sign_in: Authorization Code + PKCE through the system browser and a loopback redirect (RFC 8252).
#include <nativeauth/client.hpp>

#include "core/client_impl.hpp"
#include <nativeauth/memory_store.hpp>
#include <nativeauth/version.hpp>

#include "core/callback.hpp"
#include "core/logger.hpp"
#include "core/pkce.hpp"
#include "core/record.hpp"
#include "core/token_endpoint.hpp"
#include "core/url.hpp"
#include "oidc/discovery.hpp"
#include "oidc/id_token.hpp"
#include "transport/curl_transport.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <sstream>

namespace nativeauth {
namespace {

class SystemClock final : public platform::Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return std::chrono::system_clock::now(); }
};

// Parameters nativeauth computes itself; an app may not override them through extra_params.
const std::vector<std::string_view> kReservedParams = {"response_type", "client_id", "redirect_uri", "scope", "state",
                                           "nonce", "code_challenge", "code_challenge_method", "prompt",
                                           "login_hint", "max_age", "ui_locales", "acr_values", "request",
                                           "request_uri", "response_mode"};

bool valid_scope_token(const std::string &s) {
  // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == 0x21 || (u >= 0x23 && u <= 0x5B) || (u >= 0x5D && u <= 0x7E);
  });
}

std::string join(const std::vector<std::string> &v, const char *sep) {
  std::string out;
  for (const auto &s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::vector<std::string> split_spaces(const std::string &s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string part; in >> part;) out.push_back(part);
  return out;
}

platform::HttpReply text_reply(int status, std::string body) {
  platform::HttpReply r;
  r.status = status;
  r.body = std::move(body);
  return r;
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
    if (options.issuer.empty()) return make_error(ErrorCode::invalid_argument, "issuer is required");
    if (auto ok = core::require_secure_url(options.issuer, "issuer"); !ok) return std::move(ok).error();
    const auto issuer_url = core::parse_url(options.issuer);
    if (!issuer_url->query.empty() || !issuer_url->fragment.empty() ||
        options.issuer.find_first_of("?#") != std::string::npos) {
      return make_error(ErrorCode::invalid_configuration, "issuer must not have a query or fragment (OIDC Discovery §2)");
    }
    if (options.client_id.empty()) return make_error(ErrorCode::invalid_argument, "client_id is required");
    if (options.profile.empty()) return make_error(ErrorCode::invalid_argument, "profile must not be empty");
    core::RedirectTarget redirect;
    if (options.redirect.uri.empty()) {
      const auto &path = options.redirect.path;
      if (path.empty() || path.front() != '/' || path.find_first_of("?# ") != std::string::npos) {
        return make_error(ErrorCode::invalid_argument,
                          "redirect path must start with '/' and contain no query, fragment or spaces: '" + path + "'");
      }
      redirect.path = path;
      redirect.port = options.redirect.port;
    } else {
      auto parsed = core::parse_redirect_uri(options.redirect.uri);
      if (!parsed) return std::move(parsed).error();
      redirect = std::move(*parsed);
    }
    for (const auto &s : options.scopes) {
      if (!valid_scope_token(s)) return make_error(ErrorCode::invalid_argument, "invalid scope '" + s + "'");
    }
    if (options.request_timeout.count() <= 0 || options.connect_timeout.count() <= 0) {
      return make_error(ErrorCode::invalid_argument, "timeouts must be positive");
    }

    auto impl = std::make_unique<Impl>();
    impl->redirect = std::move(redirect);
    impl->log = core::Logger(options.log, options.log_level);
    platform::Platform defaults = platform::default_platform();
    impl->platform = options.platform;
    auto &p = impl->platform;
    if (!p.browser) p.browser = defaults.browser;
    if (!p.loopback) p.loopback = defaults.loopback;
    if (!p.store) {
      Result<std::shared_ptr<platform::CredentialStore>> store = std::shared_ptr<platform::CredentialStore>();
      switch (options.storage) {
        case StorageKind::keychain: {
          KeychainOptions k = options.keychain;
          if (k.app_name.empty()) k.app_name = options.client_id;
          store = make_keychain_store(k);
          break;
        }
        case StorageKind::file:
          store = make_file_store(options.file_store);
          break;
        case StorageKind::memory:
          store = std::shared_ptr<platform::CredentialStore>(std::make_shared<MemoryCredentialStore>());
          break;
      }
      if (!store) return std::move(store).error();
      p.store = std::move(*store);
    }
    if (!p.clock) p.clock = defaults.clock ? defaults.clock : std::make_shared<SystemClock>();
    if (!p.locks) p.locks = defaults.locks;
    if (!p.relay) p.relay = defaults.relay;
    if (!p.http) {
      transport::CurlTransportOptions t;
      t.connect_timeout = options.connect_timeout;
      t.request_timeout = options.request_timeout;
      t.ca_bundle = options.ca_bundle;
      t.user_agent = std::string("nativeauth/") + version();
      p.http = transport::make_curl_transport(t);
    }
    if (!p.loopback && impl->redirect.kind == core::RedirectTarget::Kind::loopback) {
      return make_error(ErrorCode::invalid_configuration,
                        "this platform has no loopback listener; supply one or use an app-handled redirect URI");
    }
    if (!p.locks) return make_error(ErrorCode::invalid_configuration, "this platform has no slot locks; supply one");
    if (options.storage == StorageKind::file && !options.platform.store) {
      impl->log.warning("sessions are kept in files protected only by file permissions (the file store was chosen)");
    }
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

Result<void> Client::handle_redirect(std::string_view url) {
  if (!impl_) return make_error(ErrorCode::invalid_argument, "this Client was moved from");
  return impl_->deliver_redirect(url);
}

Result<void> forward_redirect(const ClientOptions &options, std::string_view url) {
  try {
    if (!options.redirect.uri.empty()) {
      auto target = core::parse_redirect_uri(options.redirect.uri);
      if (!target) return std::move(target).error();
      const auto verdict = core::classify_redirect_url(url, target->uri, "").verdict;
      if (verdict == core::CallbackVerdict::not_found || verdict == core::CallbackVerdict::bad_request) {
        return make_error(ErrorCode::invalid_redirect,
                          "the URL is not a redirect to '" + target->uri + "' with a state; nothing was forwarded");
      }
    }
    auto relay = options.platform.relay ? options.platform.relay : platform::default_platform().relay;
    if (!relay) return make_error(ErrorCode::invalid_configuration, "this platform cannot forward redirects between processes");
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
      case core::CallbackVerdict::bad_request:
        break;
    }
    return make_error(ErrorCode::invalid_redirect,
                      "the redirect URL has no state, repeats a parameter or is malformed; refused");
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("could not take the redirect: ") + e.what());
  }
}

Result<core::AuthorizationResponse> Client::Impl::await_app_redirect(const std::string &state,
                                                                     std::chrono::steady_clock::time_point deadline) {
  AwaitedRedirect mine{redirect.uri, state, std::nullopt};
  std::unique_lock<std::mutex> lock(redirect_mutex);
  awaited = &mine;
  struct Clear {
    AwaitedRedirect *&slot;
    ~Clear() { slot = nullptr; }
  } clear{awaited};  // runs while `lock` is still held: declared after it
  const bool woke = redirect_cv.wait_until(lock, deadline, [&] { return mine.response || cancel_requested; });
  if (mine.response) return std::move(*mine.response);
  if (cancel_requested) return make_error(ErrorCode::cancelled, "sign-in was cancelled");
  (void)woke;
  return make_error(ErrorCode::timeout, "timed out");
}

Result<std::optional<Session>> Client::load_session() {
  if (!impl_) return make_error(ErrorCode::invalid_argument, "this Client was moved from");
  try {
    const platform::SlotKey key{impl_->options.issuer, impl_->options.client_id, impl_->options.profile};
    auto record = impl_->platform.store->load(key);
    if (!record) return std::move(record).error();
    if (!record->has_value()) return std::optional<Session>{};
    auto parsed = core::parse_session_record(**record, key);
    if (!parsed) {
      Error e = std::move(parsed).error();
      e.message += " (slot: client '" + key.client_id + "', profile '" + key.profile + "')";
      return e;
    }
    return std::optional<Session>{std::move(parsed->session)};
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("could not load the session: ") + e.what());
  }
}

Result<std::vector<SlotInfo>> Client::list_slots() {
  if (!impl_) return make_error(ErrorCode::invalid_argument, "this Client was moved from");
  try {
    auto keys = impl_->platform.store->list(impl_->options.issuer);
    if (!keys) return std::move(keys).error();
    std::vector<SlotInfo> out;
    for (const auto &key : *keys) {
      auto record = impl_->platform.store->load(key);
      if (!record) return std::move(record).error();
      if (!record->has_value()) continue;  // erased between list and load
      out.push_back(core::describe_record(**record, key));
    }
    return out;
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("could not list sessions: ") + e.what());
  }
}

Result<Session> Client::sign_in(const SignInOptions &options) {
  if (!impl_) return make_error(ErrorCode::invalid_argument, "this Client was moved from");
  return impl_->exclusive_sign_in([&] { return impl_->run_sign_in(options); });
}

std::shared_ptr<oidc::JwksCache> Client::Impl::jwks_for(const std::string &uri) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!jwks || jwks_uri_of_cache != uri) {
    jwks = std::make_shared<oidc::JwksCache>(platform.http, uri, log);
    jwks_uri_of_cache = uri;
  }
  return jwks;
}

Client::Impl::ListenerScope::ListenerScope(Impl &impl, platform::LoopbackListener *listener) : impl_(impl) {
  std::lock_guard<std::mutex> lock(impl_.mutex);
  impl_.active_listener = listener;
}

Client::Impl::ListenerScope::~ListenerScope() {
  std::lock_guard<std::mutex> lock(impl_.mutex);
  impl_.active_listener = nullptr;
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

Result<std::vector<std::string>> Client::Impl::request_scopes(
    const std::vector<std::string> &requested, const std::vector<std::pair<std::string, std::string>> &extra,
    const std::vector<std::string_view> &reserved) const {
  for (const auto &[name, value] : extra) {
    if (name.empty()) return make_error(ErrorCode::invalid_argument, "extra parameter with an empty name");
    if (std::find(reserved.begin(), reserved.end(), name) != reserved.end()) {
      return make_error(ErrorCode::invalid_argument,
                        "extra parameter '" + name + "' is set by nativeauth or has its own option");
    }
  }
  std::vector<std::string> scopes = requested.empty() ? options.scopes : requested;
  for (const auto &s : scopes)
    if (!valid_scope_token(s)) return make_error(ErrorCode::invalid_argument, "invalid scope '" + s + "'");
  if (std::find(scopes.begin(), scopes.end(), "openid") == scopes.end()) scopes.insert(scopes.begin(), "openid");
  return scopes;
}

Result<Session> Client::Impl::run_sign_in(const SignInOptions &opts) {
  const auto cancelled = [] { return make_error(ErrorCode::cancelled, "sign-in was cancelled"); };
  if (opts.timeout.count() <= 0) return make_error(ErrorCode::invalid_argument, "sign-in timeout must be positive");
  auto checked = request_scopes(opts.scopes, opts.extra_params, kReservedParams);
  if (!checked) return std::move(checked).error();
  const std::vector<std::string> scopes = std::move(*checked);

  log.info("signing in to " + options.issuer + " as client " + options.client_id);
  auto metadata = oidc::discover(*platform.http, options.issuer, log);
  if (!metadata) return std::move(metadata).error();
  const oidc::ProviderMetadata &md = **metadata;
  if (md.jwks_uri.empty()) return make_error(ErrorCode::missing_endpoint, "provider metadata has no jwks_uri");
  if (cancel_requested) return cancelled();

  auto pkce = core::make_pkce();
  if (!pkce) return std::move(pkce).error();
  auto state = core::random_token();
  if (!state) return std::move(state).error();
  auto nonce = core::random_token();
  if (!nonce) return std::move(nonce).error();

  const auto authorization_url = [&](const std::string &redirect_uri) {
    core::Params params = {{"response_type", "code"},
                           {"client_id", options.client_id},
                           {"redirect_uri", redirect_uri},
                           {"scope", join(scopes, " ")},
                           {"state", *state},
                           {"nonce", *nonce},
                           {"code_challenge", pkce->challenge},
                           {"code_challenge_method", "S256"}};
    if (opts.prompt) params.emplace_back("prompt", *opts.prompt);
    if (opts.login_hint) params.emplace_back("login_hint", *opts.login_hint);
    if (opts.max_age) params.emplace_back("max_age", std::to_string(opts.max_age->count()));
    if (opts.ui_locales) params.emplace_back("ui_locales", *opts.ui_locales);
    if (opts.acr_values) params.emplace_back("acr_values", *opts.acr_values);
    for (const auto &p : opts.extra_params) params.push_back(p);
    std::string url = core::append_query(md.authorization_endpoint, params);
    log.debug("authorization request: " + core::redact_url(url));
    return url;
  };
  const auto timed_out = [&] {
    return make_error(ErrorCode::timeout, "the browser did not return to the app within " +
                                              std::to_string(opts.timeout.count()) +
                                              " s; was the sign-in page opened and completed?");
  };
  const auto deadline = std::chrono::steady_clock::now() + opts.timeout;

  std::optional<Result<Session>> outcome;
  if (redirect.kind == core::RedirectTarget::Kind::app) {
    // RFC 8252 §7.1/§7.2: the OS hands the redirect to the app, which passes it to handle_redirect().
    // Another instance of the app, started by the OS with the redirect, may forward it here instead.
    std::unique_ptr<platform::RedirectEndpoint> endpoint;
    if (platform.relay) {
      auto listening = platform.relay->listen(slot(), [this](std::string_view u) { return deliver_redirect(u); });
      if (!listening) return std::move(listening).error();
      endpoint = std::move(*listening);
    }
    const std::string url = authorization_url(redirect.uri);
    if (cancel_requested) return cancelled();
    if (auto shown = show_url(url, opts.open_browser, opts.on_authorization_url, "sign in"); !shown) {
      return std::move(shown).error();
    }
    log.info("waiting for the app to hand over the redirect to " + redirect.uri);
    auto response = await_app_redirect(*state, deadline);
    endpoint.reset();
    if (!response) {
      if (response.error().code == ErrorCode::timeout) return timed_out();
      return std::move(response).error();
    }
    outcome.emplace(complete(*response, md, redirect.uri, *pkce, *nonce, opts, scopes));
  } else {
    platform::LoopbackListenerOptions lo;
    lo.port = redirect.port;
    lo.ipv4 = !redirect.ipv6_host;
    lo.ipv6 = redirect.ipv6_host || options.redirect.ipv6;
    auto listener = platform.loopback->listen(lo);
    if (!listener) return std::move(listener).error();
    // RFC 8252 §7.3: the IP literal, not "localhost", so no resolver or firewall can redirect it.
    const std::string redirect_uri = std::string(redirect.ipv6_host ? "http://[::1]:" : "http://127.0.0.1:") +
                                     std::to_string((*listener)->port()) + redirect.path;
    const std::string url = authorization_url(redirect_uri);

    ListenerScope registered(*this, listener->get());
    if (cancel_requested) return cancelled();
    if (auto shown = show_url(url, opts.open_browser, opts.on_authorization_url, "sign in"); !shown) {
      return std::move(shown).error();
    }
    log.info("waiting for the browser to return to " + redirect_uri);

    const auto handler = [&](std::string_view head) -> platform::HandlerOutcome {
      platform::HandlerOutcome out;
      const auto cb = core::classify_callback(head, redirect.path, *state);
      switch (cb.verdict) {
        case core::CallbackVerdict::not_found:
          log.debug("loopback listener: ignored a request for another path");
          out.reply = text_reply(404, "Not found.\n");
          return out;
        case core::CallbackVerdict::bad_method:
          out.reply = text_reply(405, "Method not allowed.\n");
          return out;
        case core::CallbackVerdict::bad_request:
          log.debug("loopback listener: ignored a malformed request");
          out.reply = text_reply(400, "This request is not a sign-in response.\n");
          return out;
        case core::CallbackVerdict::wrong_state:
          log.warning("loopback listener: ignored a response with a state that belongs to no pending sign-in");
          out.reply = text_reply(400, "This sign-in response does not belong to the sign-in in progress.\n");
          return out;
        case core::CallbackVerdict::matched:
          break;
      }
      outcome.emplace(complete(cb.response, md, redirect_uri, *pkce, *nonce, opts, scopes));
      out.done = true;
      const bool ok = outcome->has_value();
      const std::string &target = ok ? opts.success_redirect_url : opts.failure_redirect_url;
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
      out.reply.body = core::result_page(ok, detail);
      return out;
    };
    auto served = (*listener)->serve(handler, deadline);
    if (!served) {
      Error e = std::move(served).error();
      if (e.code == ErrorCode::timeout) return timed_out();
      if (e.code == ErrorCode::cancelled) e.message = "sign-in was cancelled";
      return e;
    }
  }
  if (!outcome) return make_error(ErrorCode::internal, "the sign-in finished without a response");
  if (!outcome->has_value()) return std::move(*outcome).error();

  return store_signed_in(std::move(*outcome).value(), md);
}

Result<Session> Client::Impl::store_signed_in(Session session, const oidc::ProviderMetadata &md) {
  {
    // The slot lock keeps a refresh or sign-out in another process from interleaving with this write.
    auto held = platform.locks->acquire(slot(), options.lock_timeout);
    Result<void> stored = held ? store_and_publish(session, md.token_endpoint, "{}") : Result<void>(held.error());
    if (!stored) {
      Error e = std::move(stored).error();
      e.message = "signed in, but the session could not be stored: " + e.message;
      return e;
    }
  }
  emit({event(SessionEventKind::signed_in, session.claims.subject())});
  log.info("signed in");
  return session;
}

Result<Session> Client::Impl::complete(const core::AuthorizationResponse &response, const oidc::ProviderMetadata &md,
                                       const std::string &redirect_uri, const core::Pkce &pkce, const std::string &nonce,
                                       const SignInOptions &opts, const std::vector<std::string> &scopes) {
  // RFC 9207 §2.4: check iss before anything else in the response, errors included.
  if (response.iss) {
    if (*response.iss != md.issuer) {
      return make_error(ErrorCode::issuer_param_mismatch,
                        "the authorization response came from issuer '" + *response.iss + "', not from '" + md.issuer +
                            "'; refused (possible mix-up attack)");
    }
  } else if (md.authorization_response_iss_parameter_supported) {
    return make_error(ErrorCode::issuer_param_mismatch,
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
  if (cancel_requested) return make_error(ErrorCode::cancelled, "sign-in was cancelled");

  core::Params form = {{"grant_type", "authorization_code"},
                       {"code", std::string(response.code.reveal())},
                       {"redirect_uri", redirect_uri},
                       {"code_verifier", std::string(pkce.verifier.reveal())}};
  auto request = core::make_token_request(md.token_endpoint, std::move(form), options.client_id, options.client_secret);
  log.debug("exchanging the authorization code at " + md.token_endpoint);
  auto http_response = platform.http->send(request);
  if (!http_response) {
    Error e = std::move(http_response).error();
    e.message = "the token request failed: " + e.message;
    return e;
  }
  return session_from_tokens(*http_response, md, std::optional<std::string>(nonce), opts.max_age, scopes);
}

Result<Session> Client::Impl::session_from_tokens(const platform::HttpResponse &http_response,
                                                  const oidc::ProviderMetadata &md,
                                                  const std::optional<std::string> &nonce,
                                                  std::optional<std::chrono::seconds> max_age,
                                                  const std::vector<std::string> &scopes) {
  auto tokens = core::parse_token_response(http_response);
  if (!tokens) return std::move(tokens).error();
  if (tokens->id_token.empty()) {
    return make_error(ErrorCode::invalid_token_response,
                      "the token response has no id_token although the openid scope was requested");
  }

  oidc::IdTokenCheck check;
  check.issuer = md.issuer;
  check.client_id = options.client_id;
  check.nonce = nonce;
  check.max_age = max_age;
  check.allowed_algs = md.id_token_signing_alg_values_supported;
  check.leeway = options.clock_leeway;
  check.now = platform.clock->now();
  auto keys = jwks_for(md.jwks_uri);
  auto claims = oidc::validate_id_token(tokens->id_token.reveal(), check, *keys);
  if (!claims) return std::move(claims).error();

  Session s;
  s.issuer = md.issuer;
  s.client_id = options.client_id;
  s.profile = options.profile;
  s.access_token = std::move(tokens->access_token);
  s.refresh_token = std::move(tokens->refresh_token);
  s.id_token = std::move(tokens->id_token);
  s.token_type = tokens->token_type;
  if (tokens->expires_in) s.access_token_expiry = check.now + std::chrono::seconds(*tokens->expires_in);
  s.scopes = tokens->scope ? split_spaces(*tokens->scope) : scopes;
  s.claims = Claims(claims->dump(-1, ' ', false, core::Json::error_handler_t::replace));
  s.issued_at = check.now;
  return s;
}

}  // namespace nativeauth
