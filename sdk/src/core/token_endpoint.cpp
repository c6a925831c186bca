// SPDX-License-Identifier: Apache-2.0
// Token endpoint requests and responses (RFC 6749 §4.1.3, §5).
#include "core/token_endpoint.hpp"

#include "core/base64url.hpp"
#include "core/json_util.hpp"
#include "util/quote.hpp"

#include <algorithm>
#include <cctype>

namespace nativeauth::core {
namespace {

std::string base64_std(std::string_view bytes) {
  std::string b = base64url_encode(bytes);
  for (auto &c : b) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (b.size() % 4 != 0) b += '=';
  return b;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

platform::HttpRequest make_token_request(const std::string &token_endpoint, Params form, const std::string &client_id,
                                         const SecretString &client_secret) {
  platform::HttpRequest request;
  request.method = "POST";
  request.url = token_endpoint;
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.headers.emplace_back("Accept", "application/json");
  if (client_secret.empty()) {
    form.emplace_back("client_id", client_id);
  } else {
    // RFC 6749 §2.3.1: both parts form-urlencoded before Basic encoding.
    std::string credentials = percent_encode(client_id) + ":" + percent_encode(client_secret.reveal());
    request.headers.emplace_back("Authorization", "Basic " + base64_std(credentials));
    secure_wipe(credentials.data(), credentials.size());
  }
  std::string body = encode_params(form);
  request.body = SecretString(body);
  secure_wipe(body.data(), body.size());
  for (auto &[name, value] : form) secure_wipe(value.data(), value.size());
  return request;
}

Error oauth_error_from_response(const platform::HttpResponse &response, ErrorCode default_code,
                                const std::string &what) {
  Error e;
  e.http_status = response.status;
  auto doc = parse_object(response.body.reveal());
  if (doc) {
    e.oauth_error = get_string(*doc, "error").value_or("");
    e.oauth_description = get_string(*doc, "error_description").value_or("");
    e.oauth_uri = get_string(*doc, "error_uri").value_or("");
    wipe_json(*doc);
  }
  if (!e.oauth_error.empty()) {
    e.code = e.oauth_error == "invalid_grant" ? ErrorCode::invalid_grant : default_code;
    e.transient = e.oauth_error == "temporarily_unavailable" || e.oauth_error == "server_error" ||
                  response.status >= 500;
    e.message = what + " was refused by the provider";
    if (e.code == ErrorCode::invalid_grant) e.message += ": the grant is invalid, expired or revoked";
  } else {
    e.code = ErrorCode::http_status;
    e.transient = response.status >= 500 || response.status == 429;
    e.message = what + " failed: the provider answered HTTP " + std::to_string(response.status) +
                " without an OAuth error";
  }
  return e;
}

Result<TokenResponse> parse_token_response(const platform::HttpResponse &response) {
  if (response.status != 200) return oauth_error_from_response(response, ErrorCode::token_error, "the token request");
  auto doc = parse_object(response.body.reveal());
  if (!doc) {
    return make_error(ErrorCode::invalid_token_response,
                      "the token endpoint answered 200 with a body that is not a JSON object");
  }
  TokenResponse r;
  r.access_token = take_secret(*doc, "access_token");
  r.refresh_token = take_secret(*doc, "refresh_token");
  r.id_token = take_secret(*doc, "id_token");
  r.token_type = get_string(*doc, "token_type").value_or("");
  r.expires_in = get_int(*doc, "expires_in");
  r.scope = get_string(*doc, "scope");
  wipe_json(*doc);
  if (r.access_token.empty()) {
    return make_error(ErrorCode::invalid_token_response, "the token response has no access_token (RFC 6749 §5.1)");
  }
  // RFC 6749 §5.1: token_type is required and case-insensitive; nativeauth uses Bearer (RFC 6750) and DPoP
  // (RFC 9449 §5) tokens. Whether a DPoP token was asked for is the caller's to check.
  if (iequals(r.token_type, "Bearer")) {
    r.token_type = "Bearer";
  } else if (iequals(r.token_type, "DPoP")) {
    r.token_type = "DPoP";
  } else {
    return make_error(ErrorCode::invalid_token_response, "the token response has token_type " +
                                                             util::quoted(r.token_type, 40) +
                                                             "; only Bearer and DPoP are supported");
  }
  // A negative lifetime means nothing; an absurd one would overflow time arithmetic (tests/fuzz).
  constexpr std::int64_t kMaxLifetime = 10LL * 365 * 24 * 3600;
  if (r.expires_in && *r.expires_in < 0) r.expires_in.reset();
  if (r.expires_in && *r.expires_in > kMaxLifetime) r.expires_in = kMaxLifetime;
  return r;
}

}  // namespace nativeauth::core
