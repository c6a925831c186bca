// SPDX-License-Identifier: Apache-2.0
/// @file
/// HttpTransport: the HTTP client nativeauth talks to the provider through (libcurl by default).
#pragma once

#include <nativeauth/result.hpp>
#include <nativeauth/secret.hpp>

#include <string>
#include <utility>
#include <vector>

namespace nativeauth::platform {

/// One request to the provider.
struct HttpRequest {
  /// "GET" or "POST".
  std::string method = "GET";
  std::string url;  ///< Never carries a secret (secrets go in the body).
  /// Request headers to add, in order (name, value).
  std::vector<std::pair<std::string, std::string>> headers;
  SecretString body;  ///< application/x-www-form-urlencoded for token requests; may hold secrets.
};

/// The provider's answer, whatever its status.
struct HttpResponse {
  /// The HTTP status code.
  int status = 0;
  /// The Content-Type header; empty when absent.
  std::string content_type;
  /// The Cache-Control header; empty when absent.
  std::string cache_control;
  /// The DPoP-Nonce header (RFC 9449 §8, §9); empty when absent.
  std::string dpop_nonce;
  /// The WWW-Authenticate header (RFC 9110 §11.6.1): several joined with ", ", as RFC 9110 §5.3 allows;
  /// empty when absent.
  std::string www_authenticate;
  SecretString body;  ///< May hold tokens: wiped when the response is destroyed.
};

/// Sends one request. Implementations verify TLS, bound time and size, and never log bodies or
/// headers. Transport failures map to ErrorCode::network (transient) or ErrorCode::tls.
/// Thread safety: send() may be called from several threads at once.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  /// Sends `request`; any HTTP status is a response, an error means no response came.
  virtual Result<HttpResponse> send(const HttpRequest &request) = 0;
};

}  // namespace nativeauth::platform
