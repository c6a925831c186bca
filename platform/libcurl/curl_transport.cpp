// SPDX-License-Identifier: Apache-2.0
// HttpTransport on libcurl. TLS is always verified (>= 1.2), time and size are bounded, the proxy
// environment is honoured (curl reads http_proxy/https_proxy/no_proxy itself), redirects are never
// followed (a token request must not be replayed elsewhere), and nothing is traced.
//
// libcurl is loaded on the first request, not at start-up (NATIVEAUTH_CURL_DLOPEN, set by CMake on
// ELF platforms). Linking Debian 12's libcurl pulls 27 more libraries into every process (TLS, SSH,
// LDAP, Kerberos, RTMP, HTTP/2, ...), whose loading, relocation and constructors cost ~5 ms before
// main, every time, while most runs of an app (a token still fresh in the keychain) never reach the
// network (docs/performance.md). The few curl_* functions used here are resolved once, into a table;
// <curl/curl.h> still provides the types and constants, so the ABI is the one compiled against
// (soname 4). Calls through the table skip curl's compile-time option/type checks (typecheck-gcc.h):
// pass long, pointers and curl_off_t exactly as the option's documentation says.
//
// The library found at run time may be older than the headers, or built without a feature: every
// curl_easy_setopt result is checked, and a request is never sent with an option refused (fail closed,
// ErrorCode::internal like a library that cannot be loaded). The one fallback: CURLOPT_PROTOCOLS_STR
// (libcurl >= 7.85; Ubuntu 22.04 has 7.81) becomes the CURLOPT_PROTOCOLS bitmask it replaced.
#include "libcurl/curl_transport.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "util/secrets.hpp"
#if defined(NATIVEAUTH_CURL_DLOPEN)
#include "util/shared_library.hpp"
#endif

namespace nativeauth::libcurl {
namespace {

// --- libcurl, as a table of the functions this file calls, each typed by its declaration in <curl/curl.h>.

// Members drop the curl_ prefix: <curl/typecheck-gcc.h> defines curl_easy_setopt and friends as function-like
// macros, which a call through a member of the same name would expand.
// One row per library area, kept as written:
// clang-format off
#define NATIVEAUTH_LIBCURL_FUNCTIONS(X)                                                                      \
  X(global_init, curl_global_init) X(easy_init, curl_easy_init) X(easy_cleanup, curl_easy_cleanup)           \
  X(easy_reset, curl_easy_reset) X(easy_setopt, curl_easy_setopt) X(easy_perform, curl_easy_perform)         \
  X(easy_getinfo, curl_easy_getinfo) X(easy_strerror, curl_easy_strerror) X(slist_append, curl_slist_append) \
  X(slist_free_all, curl_slist_free_all)
// clang-format on

struct CurlApi {
#define NATIVEAUTH_DECLARE(member, name) decltype(&::name) member = nullptr;
  NATIVEAUTH_LIBCURL_FUNCTIONS(NATIVEAUTH_DECLARE)
#undef NATIVEAUTH_DECLARE
};

/// libcurl, loaded and globally initialized once per process (thread-safe: a function-local static).
/// `api` is null when that failed; `problem` then says why, for an Error.
struct CurlLibrary {
  const CurlApi *api = nullptr;
  std::string problem;
};

CurlLibrary load_curl() {
  static CurlApi table;
  CurlLibrary out;
#if defined(NATIVEAUTH_CURL_DLOPEN)
  // Never closed: libcurl keeps global state (TLS backend, DNS threads) for the life of the process.
  const util::SharedLibrary library = util::open_shared_library("libcurl.so.4");
  if (!library.handle) {
    out.problem = "libcurl could not be loaded (" + library.error + "); install libcurl 4 (Debian: libcurl4)";
    return out;
  }
  util::SymbolResolver resolve(library);
#define NATIVEAUTH_RESOLVE(member, name) resolve(table.member, #name);
  NATIVEAUTH_LIBCURL_FUNCTIONS(NATIVEAUTH_RESOLVE)
#undef NATIVEAUTH_RESOLVE
  if (resolve.missing()) {
    out.problem = std::string("libcurl.so.4 has no ") + resolve.missing() + "; it is too old or not libcurl";
    return out;
  }
#else
#define NATIVEAUTH_ASSIGN(member, name) table.member = &::name;
  NATIVEAUTH_LIBCURL_FUNCTIONS(NATIVEAUTH_ASSIGN)
#undef NATIVEAUTH_ASSIGN
#endif
  if (const CURLcode rc = table.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    out.problem = "libcurl could not be initialized (curl_global_init: " + std::string(table.easy_strerror(rc)) + ")";
    return out;
  }
  out.api = &table;
  return out;
}

const CurlLibrary &curl_library() {
  static const CurlLibrary library = load_curl();
  return library;
}

/// Only valid once curl_library() succeeded: every handle and list below comes from a loaded libcurl.
const CurlApi &curl() { return *curl_library().api; }

struct EasyDeleter {
  void operator()(CURL *c) const noexcept { curl().easy_cleanup(c); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist *l) const noexcept { curl().slist_free_all(l); }
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
  util::reserve_wiping(sink->data, sink->data.size() + n);
  sink->data.append(ptr, n);
  return n;
}

struct Headers {
  std::string content_type;
  std::string cache_control;
  std::string dpop_nonce;
  std::string www_authenticate;  ///< every WWW-Authenticate field, joined with ", " (RFC 9110 §5.3)
};

constexpr std::size_t kMaxChallengeBytes = 8 * 1024;  // what the core parses at most

size_t on_header(char *buffer, size_t size, size_t nitems, void *userdata) {
  auto *h = static_cast<Headers *>(userdata);
  const size_t n = size * nitems;
  std::string_view line(buffer, n);
  if (line.rfind("HTTP/", 0) == 0) *h = Headers{};  // a new response (after a 1xx): only the final one counts
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (auto &c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    if (name == "content-type") h->content_type = std::string(value);
    if (name == "cache-control") h->cache_control = std::string(value);
    if (name == "dpop-nonce") h->dpop_nonce = std::string(value);
    if (name == "www-authenticate" && h->www_authenticate.size() + value.size() < kMaxChallengeBytes) {
      h->www_authenticate += (h->www_authenticate.empty() ? "" : ", ") + std::string(value);
    }
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
    case CURLE_SSL_INVALIDCERTSTATUS: return ErrorCode::tls;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: return ErrorCode::invalid_argument;
    default: return ErrorCode::network;
  }
}

/// "https://host:port" of `url`, for messages (never a path or query, which may carry a code).
std::string host_of(const std::string &url) {
  const auto start = url.find("://");
  if (start == std::string::npos) return "the provider";
  const auto end = url.find_first_of("/?#", start + 3);
  return url.substr(0, end);
}

/// Sets the options of one request on a handle and keeps the first one libcurl refuses; every later
/// set() does nothing then, and result() names it.
class RequestOptions {
 public:
  RequestOptions(CURL *c, const std::string &url) : c_(c), url_(url) {}

  template <typename T>
  void set(CURLoption option, const char *name, T value) {
    if (error_) return;
    if (const CURLcode rc = curl().easy_setopt(c_, option, value); rc != CURLE_OK) error_ = refused(name, rc);
  }

  /// https and http (http only reaches here for loopback, checked before). CURLOPT_PROTOCOLS_STR needs
  /// libcurl 7.85; an older one answers CURLE_UNKNOWN_OPTION, and the bitmask it deprecated does the same.
  void restrict_protocols() {
    if (error_) return;
    const CURLcode rc = curl().easy_setopt(c_, CURLOPT_PROTOCOLS_STR, "https,http");
    if (rc == CURLE_OK) return;
    if (rc != CURLE_UNKNOWN_OPTION) {
      error_ = refused("CURLOPT_PROTOCOLS_STR", rc);
      return;
    }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    set(CURLOPT_PROTOCOLS, "CURLOPT_PROTOCOLS", static_cast<long>(CURLPROTO_HTTPS | CURLPROTO_HTTP));
#pragma GCC diagnostic pop
  }

  Result<void> result() && {
    if (error_) return std::move(*error_);
    return {};
  }

 private:
  // Not transient: the same library refuses it again.
  Error refused(const char *name, CURLcode rc) const {
    return make_error(ErrorCode::internal, std::string("libcurl refused ") + name + " (" + curl().easy_strerror(rc) +
                                               "), so the request to " + host_of(url_) +
                                               " was not sent: the libcurl.so.4 found is too old or built without "
                                               "a feature nativeauth relies on");
  }

  CURL *c_;
  const std::string &url_;
  std::optional<Error> error_;
};

class CurlTransport final : public platform::HttpTransport {
 public:
  // Creating a transport loads nothing: libcurl is loaded by the first send().
  explicit CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {}

  Result<platform::HttpResponse> send(const platform::HttpRequest &request) override {
    if (const CurlLibrary &library = curl_library(); !library.api) {
      return make_error(ErrorCode::internal, library.problem);  // not transient: retrying cannot help
    }
    Easy easy = take();
    if (!easy) return make_error(ErrorCode::internal, "libcurl could not create a handle");
    bool reusable = false;
    auto result = perform(easy.get(), request, reusable);
    if (reusable) give_back(std::move(easy));
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
        curl().easy_reset(e.get());
        return e;
      }
    }
    return Easy(curl().easy_init());
  }

  void give_back(Easy easy) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.size() < 4) idle_.push_back(std::move(easy));
  }

  /// Everything a request sets on the handle; the first option libcurl refuses fails it (nothing is sent).
  Result<void> configure(CURL *c, const platform::HttpRequest &request, Sink &sink, Headers &headers,
                         curl_slist *header_list, char *error_buffer) const {
    RequestOptions o(c, request.url);
#define NATIVEAUTH_SET(option, value) o.set(option, #option, value)
    NATIVEAUTH_SET(CURLOPT_URL, request.url.c_str());
    o.restrict_protocols();
    NATIVEAUTH_SET(CURLOPT_FOLLOWLOCATION, 0L);
    NATIVEAUTH_SET(CURLOPT_SSL_VERIFYPEER, 1L);
    NATIVEAUTH_SET(CURLOPT_SSL_VERIFYHOST, 2L);
    NATIVEAUTH_SET(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    if (!options_.ca_bundle.empty()) NATIVEAUTH_SET(CURLOPT_CAINFO, options_.ca_bundle.c_str());
    NATIVEAUTH_SET(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    NATIVEAUTH_SET(CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
    NATIVEAUTH_SET(CURLOPT_NOSIGNAL, 1L);
    NATIVEAUTH_SET(CURLOPT_VERBOSE, 0L);
    NATIVEAUTH_SET(CURLOPT_USERAGENT, options_.user_agent.c_str());
    NATIVEAUTH_SET(CURLOPT_ACCEPT_ENCODING, "");
    NATIVEAUTH_SET(CURLOPT_HTTPHEADER, header_list);
    NATIVEAUTH_SET(CURLOPT_WRITEFUNCTION, &on_body);
    NATIVEAUTH_SET(CURLOPT_WRITEDATA, &sink);
    NATIVEAUTH_SET(CURLOPT_HEADERFUNCTION, &on_header);
    NATIVEAUTH_SET(CURLOPT_HEADERDATA, &headers);
    NATIVEAUTH_SET(CURLOPT_ERRORBUFFER, error_buffer);
    if (request.method == "POST") {
      // Never on a reused connection: when a kept-alive connection turns out dead before any byte of
      // the answer, libcurl silently sends the request again on a new one. For a refresh-token or
      // code grant that is a second redemption, which providers treat as theft and answer by revoking
      // the grant; nativeauth decides about retries itself (found with tests/support/proxy).
      NATIVEAUTH_SET(CURLOPT_FRESH_CONNECT, 1L);
      NATIVEAUTH_SET(CURLOPT_POST, 1L);
      NATIVEAUTH_SET(CURLOPT_POSTFIELDS, request.body.reveal().data());
      NATIVEAUTH_SET(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else if (request.method != "GET") {
      NATIVEAUTH_SET(CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
#undef NATIVEAUTH_SET
    return std::move(o).result();
  }

  /// Sends `request` on `c`. `reusable`: whether the handle may go back to the pool (it refused nothing
  /// and points at nothing in this frame any more).
  Result<platform::HttpResponse> perform(CURL *c, const platform::HttpRequest &request, bool &reusable) {
    const CurlApi &api = curl();
    Sink sink;
    sink.limit = options_.max_response_bytes;
    Headers headers;
    std::unique_ptr<curl_slist, SlistDeleter> header_list;
    for (const auto &[name, value] : request.headers) {
      const std::string line = name + ": " + value;
      curl_slist *next = api.slist_append(header_list.get(), line.c_str());
      if (!next) return make_error(ErrorCode::internal, "out of memory building request headers");
      (void)header_list.release();
      header_list.reset(next);
    }
    char error_buffer[CURL_ERROR_SIZE] = {0};
    if (auto configured = configure(c, request, sink, headers, header_list.get(), error_buffer); !configured) {
      return std::move(configured).error();
    }

    const CURLcode rc = api.easy_perform(c);
    // Detach everything that pointed at this stack frame before the handle goes back to the pool.
    reusable = api.easy_setopt(c, CURLOPT_HTTPHEADER, nullptr) == CURLE_OK &&
               api.easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr) == CURLE_OK &&
               api.easy_setopt(c, CURLOPT_POSTFIELDS, nullptr) == CURLE_OK;
    long status = 0;
    if (rc != CURLE_OK || api.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
      secure_wipe(sink.data.data(), sink.data.capacity());
      return failed(rc, request, sink, error_buffer);
    }
    platform::HttpResponse response;
    response.status = static_cast<int>(status);
    response.content_type = headers.content_type;
    response.cache_control = headers.cache_control;
    response.dpop_nonce = headers.dpop_nonce;
    response.www_authenticate = headers.www_authenticate;
    response.body = SecretString(sink.data);
    secure_wipe(sink.data.data(), sink.data.capacity());
    return response;
  }

  /// The error of a request that libcurl could not complete (`rc`), or whose status it could not say.
  Error failed(CURLcode rc, const platform::HttpRequest &request, const Sink &sink, const char *error_buffer) const {
    if (rc == CURLE_OK) {
      return make_error(ErrorCode::internal,
                        "libcurl gave no HTTP status for the response from " + host_of(request.url));
    }
    if (sink.overflow) {
      return make_error(ErrorCode::malformed_response, "the response from " + host_of(request.url) +
                                                           " is larger than " +
                                                           std::to_string(options_.max_response_bytes) + " bytes");
    }
    Error e = make_error(map_curl_error(rc), std::string(curl().easy_strerror(rc)) +
                                                 (error_buffer[0] ? std::string(" (") + error_buffer + ")" : "") +
                                                 " talking to " + host_of(request.url));
    e.transient = e.code == ErrorCode::network;
    return e;
  }

  CurlTransportOptions options_;
  std::mutex mutex_;
  std::vector<Easy> idle_;
};

}  // namespace

std::shared_ptr<platform::HttpTransport> make_curl_transport(const CurlTransportOptions &options) {
  return std::make_shared<CurlTransport>(options);
}

}  // namespace nativeauth::libcurl
