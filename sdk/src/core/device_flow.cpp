// SPDX-License-Identifier: Apache-2.0
// Client::sign_in_with_device_code: the OAuth 2.0 Device Authorization Grant (RFC 8628), from the device
// authorization request through polling to a validated Session. Not here: the step from the token
// response to a stored session it shares with the browser flow (tokens_to_session.cpp).
#include "core/client_impl.hpp"
#include "core/device_authorization.hpp"
#include "core/json_util.hpp"
#include "core/token_endpoint.hpp"
#include "core/url.hpp"
#include "util/strings.hpp"

#include <algorithm>

namespace nativeauth {
namespace {

using Steady = std::chrono::steady_clock;

constexpr const char *kDeviceGrantType = "urn:ietf:params:oauth:grant-type:device_code";
// RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default."
constexpr std::chrono::seconds kDefaultInterval{5};
// RFC 8628 §3.5: slow_down increases the interval "by 5 seconds for this and all subsequent requests".
constexpr std::chrono::seconds kSlowDownStep{5};
// An absurd interval or lifetime from a provider must not overflow time arithmetic.
constexpr std::int64_t kMaxSeconds = 24 * 3600;

// Parameters nativeauth sets in the device authorization request.
const std::vector<std::string_view> kReservedParams = {"client_id", "scope", "grant_type", "device_code"};

Error cancelled() { return make_error(ErrorCode::cancelled, "sign-in was cancelled"); }

}  // namespace

namespace core {

Result<DeviceAuthorization> parse_device_authorization(const platform::HttpResponse &response) {
  if (response.status != 200) {
    Error e = oauth_error_from_response(response, ErrorCode::authorization_error, "the device authorization request");
    if (e.code == ErrorCode::invalid_grant) e.code = ErrorCode::authorization_error;
    return e;
  }
  auto doc = parse_object(response.body.reveal());
  if (!doc) {
    return make_error(ErrorCode::malformed_response,
                      "the device authorization endpoint answered 200 with a body that is not a JSON object");
  }
  DeviceAuthorization out;
  out.device_code = take_secret(*doc, "device_code");
  out.shown.user_code = get_string(*doc, "user_code").value_or("");
  // Some providers predate the RFC's name and send verification_url.
  out.shown.verification_uri =
      get_string(*doc, "verification_uri").value_or(get_string(*doc, "verification_url").value_or(""));
  out.shown.verification_uri_complete = get_string(*doc, "verification_uri_complete");
  const auto expires_in = get_int(*doc, "expires_in");
  const auto interval = get_int(*doc, "interval");
  wipe_json(*doc);
  if (out.device_code.empty() || out.shown.user_code.empty() || out.shown.verification_uri.empty() || !expires_in) {
    return make_error(ErrorCode::malformed_response,
                      "the device authorization response lacks device_code, user_code, verification_uri or "
                      "expires_in (RFC 8628 §3.2)");
  }
  if (*expires_in <= 0) {
    return make_error(ErrorCode::malformed_response, "the device authorization response has a non-positive expires_in");
  }
  out.expires_in = std::chrono::seconds(std::min(*expires_in, kMaxSeconds));
  out.shown.interval = interval && *interval > 0 ? std::chrono::seconds(std::min(*interval, kMaxSeconds))
                                                 : kDefaultInterval;
  // The user opens these: they must not send the user to a plain-http page on the network.
  if (auto ok = require_secure_url(out.shown.verification_uri, "verification_uri"); !ok) {
    return std::move(ok).error();
  }
  if (out.shown.verification_uri_complete) {
    if (auto ok = require_secure_url(*out.shown.verification_uri_complete, "verification_uri_complete"); !ok) {
      return std::move(ok).error();
    }
  }
  return out;
}

}  // namespace core

Result<Session> Client::sign_in_with_device_code(const DeviceSignInOptions &options) {
  if (!impl_) return make_error(ErrorCode::invalid_argument, "this Client was moved from");
  return impl_->exclusive_sign_in([&] { return impl_->run_device_sign_in(options); });
}

Result<Session> Client::Impl::run_device_sign_in(const DeviceSignInOptions &opts) {
  if (!opts.on_user_code) {
    return make_error(ErrorCode::invalid_argument,
                      "on_user_code is required: the user must be shown the code to enter (RFC 8628 §3.3)");
  }
  if (opts.timeout.count() <= 0) return make_error(ErrorCode::invalid_argument, "sign-in timeout must be positive");
  auto scopes = request_scopes(opts.scopes, opts.extra_params, kReservedParams);
  if (!scopes) return std::move(scopes).error();
  const auto started = Steady::now();

  log.info("signing in to " + options.issuer + " as client " + options.client_id + " with a device code");
  auto metadata = oidc::discover(*platform.http, options.issuer, log);
  if (!metadata) return std::move(metadata).error();
  const oidc::ProviderMetadata &md = **metadata;
  if (md.device_authorization_endpoint.empty()) {
    return make_error(ErrorCode::missing_endpoint,
                      "the provider advertises no device_authorization_endpoint (RFC 8628 §4): it does not offer the "
                      "device flow to this app; sign in through the browser instead");
  }
  if (md.jwks_uri.empty()) return make_error(ErrorCode::missing_endpoint, "provider metadata has no jwks_uri");
  if (cancel_requested) return cancelled();
  // RFC 9449 works with any grant: the polls carry proofs, and the tokens are bound to this key.
  auto dpop = dpop_key_for_sign_in(md);
  if (!dpop) return std::move(dpop).error();
  NewKeyGuard discard{*this, *dpop};

  DeviceWait wait;
  auto authorization = request_device_code(md, *scopes, opts, wait.expires);
  if (!authorization) return std::move(authorization).error();
  core::DeviceAuthorization &da = *authorization;
  wait.timeout_at = started + opts.timeout;
  wait.deadline = std::min(wait.expires, wait.timeout_at);
  wait.timeout = opts.timeout;

  log.info("waiting for the user to enter the code at " + core::redact_url(da.shown.verification_uri) +
           " (expires in " + std::to_string(da.expires_in.count()) + " s, polling every " +
           std::to_string(da.shown.interval.count()) + " s)");
  log.debug("user code: " + da.shown.user_code);
  if (cancel_requested) return cancelled();
  try {
    opts.on_user_code(da.shown);
  } catch (...) {
    return make_error(ErrorCode::invalid_argument,
                      "the on_user_code callback threw, so the user may never have seen the code; sign-in abandoned");
  }
  auto session = poll_device_token(md, da, *scopes, wait, *dpop ? &**dpop : nullptr);
  discard.keep = session && session->dpop;
  return session;
}

Result<core::DeviceAuthorization> Client::Impl::request_device_code(const oidc::ProviderMetadata &md,
                                                                    const std::vector<std::string> &scopes,
                                                                    const DeviceSignInOptions &opts,
                                                                    Steady::time_point &expires) {
  // RFC 8628 §3.1: public clients identify themselves with client_id in the body.
  core::Params form = {{"scope", util::join(scopes, " ")}};
  for (const auto &p : opts.extra_params) form.push_back(p);
  auto request = core::make_token_request(md.device_authorization_endpoint, std::move(form), options.client_id,
                                          options.client_secret);
  log.debug("device authorization request to " + md.device_authorization_endpoint);
  const auto requested_at = Steady::now();
  const auto requested_at_wall = platform.clock->now();
  auto response = platform.http->send(request);
  if (!response) {
    Error e = std::move(response).error();
    e.message = "the device authorization request failed: " + e.message;
    return e;
  }
  auto authorization = core::parse_device_authorization(*response);
  if (!authorization) return std::move(authorization).error();
  // Counted from before the request, so this side gives up no later than the provider does.
  expires = requested_at + authorization->expires_in;
  authorization->shown.expires_at = requested_at_wall + authorization->expires_in;
  return authorization;
}

Result<Session> Client::Impl::poll_device_token(const oidc::ProviderMetadata &md, const core::DeviceAuthorization &da,
                                                const std::vector<std::string> &scopes, const DeviceWait &wait,
                                                const NewDpopKey *dpop) {
  std::chrono::seconds interval = da.shown.interval;
  int transient_failures = 0;
  for (;;) {
    // RFC 8628 §3.4: wait `interval` between requests. The wait ends early only for cancel().
    const auto next_poll = Steady::now() + interval;
    log.trace("waiting " + std::to_string(interval.count()) + " s before the next poll");
    {
      std::unique_lock<std::mutex> lock(redirect_mutex);
      if (redirect_cv.wait_until(lock, std::min(next_poll, wait.deadline), [&] { return cancel_requested.load(); })) {
        return cancelled();
      }
    }
    // §3.5: stop polling once the code has expired; never poll early to squeeze one in.
    if (next_poll > wait.deadline) return wait.ran_out();

    core::Params poll = {{"grant_type", kDeviceGrantType}, {"device_code", std::string(da.device_code.reveal())}};
    auto poll_request = core::make_token_request(md.token_endpoint, std::move(poll), options.client_id,
                                                 options.client_secret);
    log.trace("polling the token endpoint for the device code");
    // A cancel() during the request is seen by the next wait: an answer already on its way is used, as
    // the browser flow uses a token response that was requested before cancel().
    auto answer = send_with_proof(std::move(poll_request), dpop ? dpop->key.get() : nullptr);
    if (!answer) {
      Error e = std::move(answer).error();
      if (!e.transient && e.code != ErrorCode::network) {
        e.message = "the token request failed: " + e.message;
        return e;
      }
      // §3.5: after a connection failure, poll less often; doubling is the RFC's recommendation.
      ++transient_failures;
      interval = std::min(interval * 2, std::chrono::seconds(kMaxSeconds));
      log.warning("polling the token endpoint failed (" + e.message + "); trying again in " +
                  std::to_string(interval.count()) + " s");
      continue;
    }
    if (answer->status == 200) {
      // The first success ends polling: polling again after it would revoke the grant at some providers.
      auto session = session_from_tokens(*answer, md, std::nullopt, std::nullopt, scopes, dpop);
      if (!session) return std::move(session).error();
      if (transient_failures > 0) log.debug("signed in after " + std::to_string(transient_failures) + " failed polls");
      return store_signed_in(std::move(*session), md);
    }
    Error e = core::oauth_error_from_response(*answer, ErrorCode::token_error, "the device code poll");
    const bool transient = e.transient;
    if (auto refused = device_poll_refusal(std::move(e), interval, wait)) return std::move(*refused);
    if (transient) ++transient_failures;
  }
}

std::optional<Error> Client::Impl::device_poll_refusal(Error e, std::chrono::seconds &interval,
                                                       const DeviceWait &wait) {
  // RFC 8628 §3.5: the error codes of the device grant.
  if (e.oauth_error == "authorization_pending") return std::nullopt;
  if (e.oauth_error == "slow_down") {
    interval += kSlowDownStep;
    log.debug("the provider asked to slow down; polling every " + std::to_string(interval.count()) + " s");
    return std::nullopt;
  }
  if (e.oauth_error == "access_denied") {
    e.code = ErrorCode::access_denied;
    e.transient = false;
    e.message = "the sign-in was declined or denied at the provider";
    return e;
  }
  if (e.oauth_error == "expired_token" || (e.code == ErrorCode::invalid_grant && Steady::now() >= wait.expires)) {
    // (A provider that forgets expired codes answers invalid_grant instead of expired_token.)
    e.code = ErrorCode::device_code_expired;
    e.transient = false;
    e.message = "the device code expired before the user completed the sign-in; start a new sign-in";
    return e;
  }
  if (e.transient) {
    log.warning("the token endpoint failed while polling (" + e.to_string() + "); trying again");
    return std::nullopt;
  }
  return e;
}

Error DeviceWait::ran_out() const {
  if (deadline == timeout_at && timeout_at < expires) {
    return make_error(ErrorCode::timeout,
                      "the user did not complete the device sign-in within " + std::to_string(timeout.count()) + " s");
  }
  return make_error(ErrorCode::device_code_expired,
                    "the device code expired before the user completed the sign-in; start a new sign-in");
}

}  // namespace nativeauth
