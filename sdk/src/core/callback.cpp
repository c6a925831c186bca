// SPDX-License-Identifier: Apache-2.0
// The authorization response, wherever it arrives: on the loopback listener (RFC 8252 §7.3) or as a URL
// the app hands over (§7.1, §7.2); and the configured redirect URI's checks. Not here: the listener's HTTP
// (loopback/http.hpp), what happens to a response once classified (core/redirects.cpp, core/sign_in.cpp).
#include "core/callback.hpp"

#include "loopback/http.hpp"
#include "util/secrets.hpp"
#include "util/strings.hpp"
#include "util/uri_scheme.hpp"

#include <cctype>

namespace nativeauth::core {
namespace {

// The OAuth parameters of a redirect's query, shared by the loopback listener and app-delivered URLs.
CallbackResult classify_query(std::string_view query, std::string_view expected_state) {
  CallbackResult result;
  auto params = parse_params(query);
  if (!params) {
    result.verdict = CallbackVerdict::bad_request;
    return result;
  }
  // RFC 6749 §3.1: request and response parameters must not be included more than once.
  for (const char *name : {"state", "code", "iss", "error", "error_description", "error_uri"}) {
    if (count_param(*params, name) > 1) {
      result.verdict = CallbackVerdict::bad_request;
      return result;
    }
  }
  const auto state = find_param(*params, "state");
  if (!state) {
    result.verdict = CallbackVerdict::bad_request;
    return result;
  }
  if (!util::constant_time_equal(*state, expected_state)) {
    result.verdict = CallbackVerdict::wrong_state;
    return result;
  }
  result.verdict = CallbackVerdict::matched;
  auto &r = result.response;
  r.state = *state;
  r.iss = find_param(*params, "iss");
  r.error = find_param(*params, "error").value_or("");
  r.error_description = find_param(*params, "error_description").value_or("");
  r.error_uri = find_param(*params, "error_uri").value_or("");
  for (auto &[name, value] : *params) {
    if (name == "code") r.code = SecretString(value);
    secure_wipe(value.data(), value.size());
  }
  return result;
}

}  // namespace

CallbackResult classify_callback(std::string_view head, std::string_view expected_path,
                                 std::string_view expected_state) {
  CallbackResult result;
  const auto request = loopback::parse_request_head(head);
  if (!request) {
    result.verdict = CallbackVerdict::bad_request;
    return result;
  }
  if (request->path != expected_path) {
    result.verdict = CallbackVerdict::not_found;
    return result;
  }
  if (request->method != "GET") {
    result.verdict = CallbackVerdict::bad_method;
    return result;
  }
  return classify_query(request->query, expected_state);
}

CallbackResult classify_redirect_url(std::string_view url, std::string_view expected, std::string_view expected_state) {
  CallbackResult result;
  if (const auto hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  const auto q = url.find('?');
  const std::string_view base = url.substr(0, q);
  const auto colon = base.find(':');
  if (colon == std::string_view::npos) {
    result.verdict = CallbackVerdict::bad_request;
    return result;
  }
  // Schemes compare case-insensitively (RFC 3986 §3.1); the rest exactly (RFC 6749 §3.1.2.2).
  if (util::lower_ascii(base.substr(0, colon)) + std::string(base.substr(colon)) != expected) {
    result.verdict = CallbackVerdict::not_found;
    return result;
  }
  if (q == std::string_view::npos) {
    result.verdict = CallbackVerdict::bad_request;
    return result;
  }
  return classify_query(url.substr(q + 1), expected_state);
}

Result<RedirectTarget> parse_redirect_uri(std::string_view uri) {
  const auto refuse = [&](const std::string &why) {
    return make_error(ErrorCode::invalid_configuration, "redirect URI '" + std::string(uri) + "' " + why);
  };
  for (unsigned char c : uri) {
    if (c <= 0x20 || c >= 0x7F) return refuse("contains spaces or non-ASCII characters");
  }
  if (uri.find('#') != std::string_view::npos) return refuse("must not have a fragment (RFC 6749 §3.1.2)");
  if (uri.find('?') != std::string_view::npos) return refuse("must not have a query");
  const auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(uri[0]))) {
    return refuse("has no scheme");
  }
  for (std::size_t i = 0; i < colon; ++i) {
    if (!util::is_scheme_char(uri[i])) return refuse("has an invalid scheme");
  }
  RedirectTarget t;
  t.scheme = util::lower_ascii(uri.substr(0, colon));
  const std::string rest(uri.substr(colon + 1));
  if (t.scheme == "http" || t.scheme == "https") {
    const auto url = parse_url(uri);
    if (!url) return refuse("is not a valid URL");
    if (uri.find('@') != std::string_view::npos) return refuse("must not carry user information");
    if (t.scheme == "https") {
      t.kind = RedirectTarget::Kind::app;  // RFC 8252 §7.2: the OS hands the claimed URL to the app
      t.uri = t.scheme + ":" + rest;
      return t;
    }
    if (url->host == "localhost") {
      return refuse("names 'localhost'; use 127.0.0.1 or [::1] so no resolver or firewall can redirect it "
                    "(RFC 8252 §8.3)");
    }
    if (url->host != "127.0.0.1" && url->host != "::1") {
      return refuse("uses plain http to a host that is not loopback; the authorization code would cross the "
                    "network unprotected (RFC 8252 §8.3: http only for 127.0.0.1 / [::1])");
    }
    t.kind = RedirectTarget::Kind::loopback;
    t.ipv6_host = url->host == "::1";
    t.path = url->path.empty() ? "/" : url->path;
    if (url->port > 65535) return refuse("has an invalid port");
    t.port = url->port < 0 ? 0 : static_cast<std::uint16_t>(url->port);
    return t;
  }
  // RFC 8252 §7.1: a private-use scheme based on a domain name under the app's control, e.g.
  // com.example.app. A scheme without a dot could be anybody's.
  if (t.scheme.find('.') == std::string::npos) {
    return refuse("uses a custom scheme without a dot; use a reverse domain name the app controls, e.g. "
                  "'com.example.app:/callback' (RFC 8252 §7.1)");
  }
  if (rest.empty()) return refuse("has no path after the scheme");
  t.kind = RedirectTarget::Kind::app;
  t.uri = t.scheme + ":" + rest;
  return t;
}

}  // namespace nativeauth::core
