// SPDX-License-Identifier: Apache-2.0
// HttpTransport: the HTTP client nativeauth talks to the provider through (libcurl by default).
#pragma once

#include <nativeauth/result.hpp>
#include <nativeauth/secret.hpp>

#include <string>
#include <utility>
#include <vector>

namespace nativeauth::platform {

struct HttpRequest {
  std::string method = "GET";
  std::string url;  ///< Never carries a secret (secrets go in the body).
  std::vector<std::pair<std::string, std::string>> headers;
  SecretString body;  ///< application/x-www-form-urlencoded for token requests; may hold secrets.
};

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string cache_control;
  SecretString body;  ///< May hold tokens: wiped when the response is destroyed.
};

/// Sends one request. Implementations verify TLS, bound time and size, and never log bodies or
/// headers. Transport failures map to ErrorCode::network (transient) or ErrorCode::tls.
/// Thread safety: send() may be called from several threads at once.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual Result<HttpResponse> send(const HttpRequest &request) = 0;
};

}  // namespace nativeauth::platform
