// SPDX-License-Identifier: Apache-2.0
// HttpTransport on libcurl. TLS is always verified (>= 1.2), time and size are bounded, the proxy
// environment is honoured (curl reads http_proxy/https_proxy/no_proxy itself), redirects are never
// followed (a token request must not be replayed elsewhere), and nothing is traced.
#include "transport/curl_transport.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <vector>

namespace nativeauth::transport {
namespace {

struct EasyDeleter {
  void operator()(CURL *c) const noexcept { curl_easy_cleanup(c); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist *l) const noexcept { curl_slist_free_all(l); }
};

struct Sink {
  std::string data;
  std::size_t limit = 0;
  bool overflow = false;
};

size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata) {
  auto *sink = static_cast<Sink *>(userdata);
  const size_t n = size * nmemb;
  if (sink->data.size() + n > sink->limit) {
    sink->overflow = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  // Grow explicitly so a reallocation never leaves token bytes in freed memory unwiped.
  if (sink->data.size() + n > sink->data.capacity()) {
    std::string bigger;
    bigger.reserve(std::max(sink->data.capacity() * 2, sink->data.size() + n));
    bigger = sink->data;
    secure_wipe(sink->data.data(), sink->data.capacity());
    sink->data.swap(bigger);
  }
  sink->data.append(ptr, n);
  return n;
}

struct Headers {
  std::string content_type;
  std::string cache_control;
};

size_t on_header(char *buffer, size_t size, size_t nitems, void *userdata) {
  auto *h = static_cast<Headers *>(userdata);
  const size_t n = size * nitems;
  std::string_view line(buffer, n);
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (auto &c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
    if (name == "content-type") h->content_type = std::string(value);
    if (name == "cache-control") h->cache_control = std::string(value);
  }
  return n;
}

ErrorCode map_curl_error(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return ErrorCode::tls;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return ErrorCode::invalid_argument;
    default:
      return ErrorCode::network;
  }
}

class CurlTransport final : public platform::HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  Result<platform::HttpResponse> send(const platform::HttpRequest &request) override {
    Easy easy = take();
    if (!easy) return make_error(ErrorCode::internal, "libcurl could not create a handle");
    auto result = perform(easy.get(), request);
    give_back(std::move(easy));
    return result;
  }

 private:
  // Idle handles keep their connections open: the next request to the provider reuses one.
  Easy take() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!idle_.empty()) {
        Easy e = std::move(idle_.back());
        idle_.pop_back();
        curl_easy_reset(e.get());
        return e;
      }
    }
    return Easy(curl_easy_init());
  }

  void give_back(Easy easy) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.size() < 4) idle_.push_back(std::move(easy));
  }

  Result<platform::HttpResponse> perform(CURL *c, const platform::HttpRequest &request) {
    Sink sink;
    sink.limit = options_.max_response_bytes;
    Headers headers;
    std::unique_ptr<curl_slist, SlistDeleter> header_list;
    for (const auto &[name, value] : request.headers) {
      const std::string line = name + ": " + value;
      curl_slist *next = curl_slist_append(header_list.get(), line.c_str());
      if (!next) return make_error(ErrorCode::internal, "out of memory building request headers");
      (void)header_list.release();
      header_list.reset(next);
    }
    char error_buffer[CURL_ERROR_SIZE] = {0};

    curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");  // http only reaches here for loopback
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    if (!options_.ca_bundle.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_bundle.c_str());
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 0L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, header_list.get());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &headers);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    if (request.method == "POST") {
      // Never on a reused connection: when a kept-alive connection turns out dead before any byte of
      // the answer, libcurl silently sends the request again on a new one. For a refresh-token or
      // code grant that is a second redemption, which providers treat as theft and answer by revoking
      // the grant; nativeauth decides about retries itself (found with tests/support/proxy).
      curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.reveal().data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else if (request.method != "GET") {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }

    const CURLcode rc = curl_easy_perform(c);
    // Detach everything that pointed at this stack frame before the handle goes back to the pool.
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, nullptr);

    platform::HttpResponse response;
    if (rc != CURLE_OK) {
      secure_wipe(sink.data.data(), sink.data.capacity());
      if (sink.overflow) {
        return make_error(ErrorCode::malformed_response,
                          "the response from " + host_of(request.url) + " is larger than " +
                              std::to_string(options_.max_response_bytes) + " bytes");
      }
      Error e = make_error(map_curl_error(rc), std::string(curl_easy_strerror(rc)) +
                                                   (error_buffer[0] ? std::string(" (") + error_buffer + ")" : "") +
                                                   " talking to " + host_of(request.url));
      e.transient = e.code == ErrorCode::network;
      return e;
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    response.content_type = headers.content_type;
    response.cache_control = headers.cache_control;
    response.body = SecretString(sink.data);
    secure_wipe(sink.data.data(), sink.data.capacity());
    return response;
  }

  static std::string host_of(const std::string &url) {
    const auto start = url.find("://");
    if (start == std::string::npos) return "the provider";
    const auto end = url.find_first_of("/?#", start + 3);
    return url.substr(0, end);
  }

  CurlTransportOptions options_;
  std::mutex mutex_;
  std::vector<Easy> idle_;
};

}  // namespace

std::shared_ptr<platform::HttpTransport> make_curl_transport(const CurlTransportOptions &options) {
  return std::make_shared<CurlTransport>(options);
}

}  // namespace nativeauth::transport
