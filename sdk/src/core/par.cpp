// SPDX-License-Identifier: Apache-2.0
// Pushed Authorization Requests (RFC 9126 §2, §4): request, response, and the URL the browser gets.
#include "core/par.hpp"

#include "core/json_util.hpp"
#include "core/token_endpoint.hpp"

namespace nativeauth::core {

platform::HttpRequest make_par_request(const std::string &par_endpoint, Params params, const std::string &client_id,
                                       const SecretString &client_secret) {
  // make_token_request adds client_id for a public client; it is already among the parameters.
  if (client_secret.empty()) {
    for (auto it = params.begin(); it != params.end();) it = it->first == "client_id" ? params.erase(it) : it + 1;
  }
  return make_token_request(par_endpoint, std::move(params), client_id, client_secret);
}

Result<PushedRequest> parse_par_response(const platform::HttpResponse &response) {
  if (response.status < 200 || response.status >= 300) {
    return oauth_error_from_response(response, ErrorCode::authorization_error, "the pushed authorization request");
  }
  // RFC 9126 §2.2: "201 Created"; another 2xx is a server that does not speak PAR at that address.
  if (response.status != 201) {
    Error e = make_error(ErrorCode::malformed_response,
                         "the pushed authorization request endpoint answered HTTP " + std::to_string(response.status) +
                             " instead of 201 Created (RFC 9126 §2.2); check the provider's "
                             "pushed_authorization_request_endpoint");
    e.http_status = response.status;
    return e;
  }
  const auto doc = parse_object(response.body.reveal());
  if (!doc) {
    return make_error(ErrorCode::malformed_response,
                      "the pushed authorization request endpoint answered 201 with a body that is not a JSON object");
  }
  PushedRequest r;
  r.request_uri = get_string(*doc, "request_uri").value_or("");
  if (r.request_uri.empty()) {
    return make_error(ErrorCode::malformed_response,
                      "the pushed authorization response has no request_uri string (RFC 9126 §2.2)");
  }
  const auto expires = doc->find("expires_in");
  const auto seconds = expires != doc->end() && expires->is_number_integer() ? get_int(*doc, "expires_in")
                                                                             : std::optional<std::int64_t>();
  if (!seconds || *seconds <= 0) {
    return make_error(ErrorCode::malformed_response,
                      "the pushed authorization response has no positive integer expires_in (RFC 9126 §2.2)");
  }
  r.expires_in = *seconds;
  return r;
}

std::string pushed_authorization_url(const std::string &authorization_endpoint, const std::string &client_id,
                                     const std::string &request_uri) {
  // RFC 9126 §4: client_id is still sent, so the provider can tie the request_uri to the client.
  return append_query(authorization_endpoint, {{"client_id", client_id}, {"request_uri", request_uri}});
}

}  // namespace nativeauth::core
