// SPDX-License-Identifier: Apache-2.0
// The HttpTransport on libcurl (Linux and other POSIX systems): TLS always verified, bounded time and size,
// connections reused. The only folder that includes <curl/curl.h>.
#pragma once

#include <nativeauth/platform/http_transport.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace nativeauth::libcurl {

struct CurlTransportOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{30'000};
  std::string ca_bundle;   ///< PEM file; empty: the system's trust store
  std::string user_agent;  ///< "nativeauth/<version>"
  std::size_t max_response_bytes = 1 << 20;
};

std::shared_ptr<platform::HttpTransport> make_curl_transport(const CurlTransportOptions &options);

}  // namespace nativeauth::libcurl
