// SPDX-License-Identifier: Apache-2.0
// The HttpTransport on WinHTTP, with the behaviour and errors of the libcurl one (platform/libcurl):
// ErrorCode::network (transient) when no complete response came, ErrorCode::tls when the server's
// certificate or the handshake was refused, ErrorCode::malformed_response for a body over the cap,
// ErrorCode::invalid_argument for a URL that is not http(s), ErrorCode::internal when WinHTTP refuses an
// option this file relies on (the request is then never sent). Any HTTP status, 3xx included, is a response.
// Messages name the server as "scheme://host:port", never a path, a query, a header or a body.
//
// Decisions:
// - Synchronous WinHTTP. WinHTTP bounds each call, never a whole exchange, so before every call the
//   request's timeouts are set to what is left of request_timeout (libcurl's CURLOPT_TIMEOUT_MS is one
//   deadline for the whole exchange); connect_timeout bounds name resolution and the TCP connect.
// - Every request on a fresh connection, closed after its response (WINHTTP_DISABLE_KEEP_ALIVE), so the
//   pool stays empty. A POST to the token endpoint must never go out on a kept-alive connection: one found
//   dead may make an HTTP stack send the request again, and a second redemption of a code or refresh token
//   makes providers revoke the grant (libcurl: CURLOPT_FRESH_CONNECT for POSTs). GETs cannot keep theirs
//   either: wine's WinHTTP keeps one pool per host, not per session, and hands a kept-alive connection to
//   any later request, a POST with keep-alive disabled included (tests/windows/winhttp_transport_test.cpp
//   showed it). The cost is a TCP (and TLS) handshake per request; the SDK makes a handful per sign-in.
// - No redirects (WINHTTP_OPTION_REDIRECT_POLICY_NEVER and WINHTTP_DISABLE_REDIRECTS), no cookies, no
//   automatic authentication; TLS 1.2 and 1.3 only (1.3 where Windows has it); the certificate is checked
//   by Windows against its store and no SECURITY_FLAG_IGNORE_* is ever set.
// - The system proxy: WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY (Windows 8.1 and later: WPAD, PAC and the
//   Internet Options settings, resolved by Windows per request); before 8.1 the user's static proxy from
//   Internet Options, else the machine's (netsh winhttp). A PAC file is not evaluated there.
// - Decompression (gzip, deflate) is the one option asked for on a best-effort basis (Windows 8.1 and
//   later): without it WinHTTP advertises no Accept-Encoding, so nothing compressed arrives.
// - Bodies: the request body is handed to WinHTTP from the SecretString without a copy; the header block
//   (which may hold a bearer token) and every buffer of the response body are wiped. WinHTTP's own
//   internal copies are out of reach.
#include "windows/winhttp_transport.hpp"

#include <nativeauth/error.hpp>

#include "util/secrets.hpp"
#include "windows/win32.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

// clang-format off: needs <windows.h> (win32.hpp) first
#include <winhttp.h>
// clang-format on

namespace nativeauth::windows {
namespace {

using Clock = std::chrono::steady_clock;

struct InternetCloser {
  void operator()(HINTERNET h) const noexcept { WinHttpCloseHandle(h); }
};
/// A WinHTTP session, connect or request handle, closed by its one owner.
using Internet = std::unique_ptr<void, InternetCloser>;

struct GlobalFreer {
  void operator()(wchar_t *p) const noexcept { GlobalFree(p); }
};
using GlobalString = std::unique_ptr<wchar_t, GlobalFreer>;

/// A UTF-16 string that may hold a secret (an Authorization header): wiped when it goes.
struct WipedWide {
  std::wstring text;
  WipedWide() = default;
  WipedWide(const WipedWide &) = delete;
  WipedWide &operator=(const WipedWide &) = delete;
  ~WipedWide() { secure_wipe(text.data(), text.capacity() * sizeof(wchar_t)); }
};

/// "WinHTTP error 12029", or the system's text for a Win32 error (WinHTTP's texts live in winhttp.dll's
/// message table, which not every Windows build ships in every language).
std::string error_text(DWORD code) {
  if (code >= WINHTTP_ERROR_BASE && code <= WINHTTP_ERROR_BASE + 999) return "WinHTTP error " + std::to_string(code);
  return system_message(code);
}

/// What a request needs of its URL.
struct Target {
  std::wstring host;
  INTERNET_PORT port = 0;
  bool secure = false;
  std::wstring object;  ///< path and query; never the fragment
  std::string origin;   ///< "https://host:port", for messages (a path or query may carry a code)
};

/// "https://host:port" of `url` as written, for a URL WinHTTP could not split (libcurl's host_of()).
std::string origin_of(const std::string &url) {
  const auto start = url.find("://");
  if (start == std::string::npos) return "the provider";
  return url.substr(0, url.find_first_of("/?#", start + 3));
}

Result<Target> parse_target(const std::string &url) {
  const auto wide = widen(url);
  if (!wide || wide->size() > MAXDWORD) {
    return make_error(ErrorCode::invalid_argument, "the URL of " + origin_of(url) + " is not valid UTF-8");
  }
  URL_COMPONENTS parts{};
  parts.dwStructSize = sizeof parts;
  parts.dwSchemeLength = parts.dwHostNameLength = parts.dwUrlPathLength = parts.dwExtraInfoLength = MAXDWORD;
  if (!WinHttpCrackUrl(wide->c_str(), static_cast<DWORD>(wide->size()), 0, &parts) ||
      (parts.nScheme != INTERNET_SCHEME_HTTPS && parts.nScheme != INTERNET_SCHEME_HTTP) ||
      parts.dwHostNameLength == 0) {
    return make_error(ErrorCode::invalid_argument, "cannot send a request to " + origin_of(url) +
                                                       ": not an absolute https or http URL (" +
                                                       error_text(GetLastError()) + ")");
  }
  Target t;
  t.secure = parts.nScheme == INTERNET_SCHEME_HTTPS;
  t.host.assign(parts.lpszHostName, parts.dwHostNameLength);
  t.port = parts.nPort;
  if (parts.dwUrlPathLength > 0) t.object.assign(parts.lpszUrlPath, parts.dwUrlPathLength);
  if (parts.dwExtraInfoLength > 0) t.object.append(parts.lpszExtraInfo, parts.dwExtraInfoLength);
  if (const auto hash = t.object.find(L'#'); hash != std::wstring::npos) t.object.resize(hash);
  if (t.object.empty() || t.object.front() != L'/') t.object.insert(0, L"/");
  const bool ipv6 = t.host.find(L':') != std::wstring::npos;
  t.origin = std::string(t.secure ? "https://" : "http://") + (ipv6 ? "[" : "") + narrow(t.host) + (ipv6 ? "]" : "") +
             ":" + std::to_string(t.port);
  return t;
}

/// Appends `s` as UTF-16 to `out` in place (the caller reserved room, so nothing is copied elsewhere).
bool append_wide(std::wstring &out, std::string_view s) {
  if (s.empty()) return true;
  const int len = static_cast<int>(s.size());
  const int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s.data(), len, nullptr, 0);
  if (n <= 0) return false;
  const std::size_t at = out.size();
  out.resize(at + static_cast<std::size_t>(n));
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s.data(), len, &out[at], n);
  return true;
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

/// The request's headers as WinHTTP takes them ("Name: value\r\n" each), plus the two libcurl adds when
/// they are missing: "Accept: */*", and the form Content-Type of a POST. A line break in a header would
/// smuggle in another header, so it is refused rather than sent.
Result<void> header_block(const platform::HttpRequest &request, const Target &target, std::wstring &out) {
  std::size_t room = 96;
  for (const auto &[name, value] : request.headers) room += name.size() + value.size() + 4;
  out.reserve(room);  // UTF-16 never has more units than UTF-8 has bytes: no reallocation leaves a copy
  bool accept = false;
  bool content_type = false;
  for (const auto &[name, value] : request.headers) {
    const bool bad_name = name.empty() || name.find_first_of(":\r\n \t", 0, 5) != std::string::npos;
    if (bad_name || value.find_first_of("\r\n\0", 0, 3) != std::string::npos || !append_wide(out, name) ||
        !append_wide(out, ": ") || !append_wide(out, value) || !append_wide(out, "\r\n")) {
      return make_error(ErrorCode::invalid_argument, "a header of the request to " + target.origin +
                                                         " has an invalid name or value (a line break, a NUL or "
                                                         "invalid UTF-8); nothing was sent");
    }
    accept = accept || same_name(name, "Accept");
    content_type = content_type || same_name(name, "Content-Type");
  }
  if (!accept) out += L"Accept: */*\r\n";
  if (request.method == "POST" && !content_type) out += L"Content-Type: application/x-www-form-urlencoded\r\n";
  return {};
}

/// Opens a session (a connection pool) that uses the system's proxy, as the file's header says.
Internet open_session(const std::wstring &agent) {
  const wchar_t *ua = agent.empty() ? nullptr : agent.c_str();
  Internet automatic(WinHttpOpen(ua, WINHTTP_ACCESS_TYPE_AUTOMATIC_PROXY, WINHTTP_NO_PROXY_NAME,
                                 WINHTTP_NO_PROXY_BYPASS, 0));
  if (automatic) return automatic;
  WINHTTP_CURRENT_USER_IE_PROXY_CONFIG ie{};
  if (WinHttpGetIEProxyConfigForCurrentUser(&ie)) {
    const GlobalString proxy(ie.lpszProxy);
    const GlobalString bypass(ie.lpszProxyBypass);
    const GlobalString script(ie.lpszAutoConfigUrl);
    if (proxy) {
      return Internet(WinHttpOpen(ua, WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy.get(),
                                  bypass ? bypass.get() : WINHTTP_NO_PROXY_BYPASS, 0));
    }
  }
  return Internet(WinHttpOpen(ua, WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS,
                              0));
}

/// TLS 1.2 and 1.3 (Windows before 11 refuses the 1.3 flag: then 1.2 alone), and no redirects.
/// 0, or the Win32 error of the option refused; `what` names it.
DWORD configure_session(HINTERNET session, const char *&what) {
  DWORD protocols = WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2 | WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_3;
  what = "WINHTTP_OPTION_SECURE_PROTOCOLS";
  if (!WinHttpSetOption(session, WINHTTP_OPTION_SECURE_PROTOCOLS, &protocols, sizeof protocols)) {
    protocols = WINHTTP_FLAG_SECURE_PROTOCOL_TLS1_2;
    if (!WinHttpSetOption(session, WINHTTP_OPTION_SECURE_PROTOCOLS, &protocols, sizeof protocols))
      return GetLastError();
  }
  DWORD policy = WINHTTP_OPTION_REDIRECT_POLICY_NEVER;
  what = "WINHTTP_OPTION_REDIRECT_POLICY";
  if (!WinHttpSetOption(session, WINHTTP_OPTION_REDIRECT_POLICY, &policy, sizeof policy)) return GetLastError();
  return 0;
}

/// What the status callback learns while a request runs (on the thread that called WinHTTP).
struct Progress {
  DWORD tls_failure = 0;  ///< WINHTTP_CALLBACK_STATUS_FLAG_* of a refused certificate or handshake
};

void CALLBACK on_status(HINTERNET, DWORD_PTR context, DWORD status, LPVOID info, DWORD length) {
  if (status != WINHTTP_CALLBACK_STATUS_SECURE_FAILURE || context == 0 || info == nullptr || length < sizeof(DWORD))
    return;
  reinterpret_cast<Progress *>(context)->tls_failure |= *static_cast<const DWORD *>(info);
}

/// The failure flags an error code stands for, when the callback reported none.
DWORD tls_flags_of(DWORD code) {
  switch (code) {
    case ERROR_WINHTTP_SECURE_INVALID_CA: return WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA;
    case ERROR_WINHTTP_SECURE_CERT_DATE_INVALID: return WINHTTP_CALLBACK_STATUS_FLAG_CERT_DATE_INVALID;
    case ERROR_WINHTTP_SECURE_CERT_CN_INVALID: return WINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID;
    case ERROR_WINHTTP_SECURE_CERT_REVOKED: return WINHTTP_CALLBACK_STATUS_FLAG_CERT_REVOKED;
    case ERROR_WINHTTP_SECURE_CERT_REV_FAILED: return WINHTTP_CALLBACK_STATUS_FLAG_CERT_REV_FAILED;
    case ERROR_WINHTTP_SECURE_INVALID_CERT: return WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CERT;
    case ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE: return WINHTTP_CALLBACK_STATUS_FLAG_CERT_WRONG_USAGE;
    case ERROR_WINHTTP_SECURE_CHANNEL_ERROR: return WINHTTP_CALLBACK_STATUS_FLAG_SECURITY_CHANNEL_ERROR;
    default: return 0;
  }
}

std::string tls_problem(DWORD flags) {
  if (flags & WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CA) {
    return "its certificate was not issued by an authority Windows trusts (self-signed, or from a private CA: "
           "install that CA in the Windows certificate store, or give the server a certificate from a public CA)";
  }
  if (flags & WINHTTP_CALLBACK_STATUS_FLAG_CERT_DATE_INVALID)
    return "its certificate has expired or is not valid yet (check this computer's clock)";
  if (flags & WINHTTP_CALLBACK_STATUS_FLAG_CERT_CN_INVALID) return "its certificate is for another host name";
  if (flags & WINHTTP_CALLBACK_STATUS_FLAG_CERT_REVOKED) return "its certificate has been revoked";
  if (flags & WINHTTP_CALLBACK_STATUS_FLAG_CERT_REV_FAILED)
    return "whether its certificate was revoked could not be checked";
  if (flags & WINHTTP_CALLBACK_STATUS_FLAG_CERT_WRONG_USAGE) return "its certificate is not one for a TLS server";
  if (flags & WINHTTP_CALLBACK_STATUS_FLAG_INVALID_CERT) return "its certificate is invalid";
  // wine reports a refused certificate this way too (ERROR_WINHTTP_SECURE_CHANNEL_ERROR, no flags)
  return "the TLS handshake failed: its certificate was refused, or it offers nothing newer than TLS 1.1 or no "
         "cipher Windows accepts";
}

bool is_tls_error(DWORD code) {
  return tls_flags_of(code) != 0 || code == ERROR_WINHTTP_SECURE_FAILURE ||
         code == ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED || code == ERROR_WINHTTP_SECURE_FAILURE_PROXY;
}

/// The error of an exchange WinHTTP could not complete: tls for certificates and handshakes, network
/// (transient) for everything else, as map_curl_error() does.
Error exchange_error(DWORD code, const Target &t, DWORD tls_flags, const WinHttpTransportOptions &o) {
  std::string what;
  if (code == ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED) {
    what = t.origin + " asks for a client certificate, which nativeauth does not send";
  } else if (is_tls_error(code)) {
    what = "TLS with " + t.origin + " failed: " + tls_problem(tls_flags != 0 ? tls_flags : tls_flags_of(code));
  } else if (code == ERROR_WINHTTP_TIMEOUT || code == WSAETIMEDOUT) {  // wine: WSAETIMEDOUT from a body read
    what = t.origin + " did not answer in time (connect timeout " + std::to_string(o.connect_timeout.count()) +
           " ms, request timeout " + std::to_string(o.request_timeout.count()) + " ms); try again later";
  } else if (code == ERROR_WINHTTP_CANNOT_CONNECT) {
    what = "could not connect to " + t.origin +
           " (refused or unreachable): check the URL, that the server is running, and the proxy settings";
  } else if (code == ERROR_WINHTTP_NAME_NOT_RESOLVED) {
    what = "the host name of " + t.origin + " could not be resolved: check the URL and the network";
  } else if (code == ERROR_WINHTTP_CONNECTION_ERROR || code == ERROR_WINHTTP_INVALID_SERVER_RESPONSE ||
             code == WSAECONNRESET || code == WSAECONNABORTED) {
    what = "the connection to " + t.origin + " was closed or reset before a complete response arrived; try again";
  } else {
    what = "the request to " + t.origin + " failed";
  }
  Error e = make_error(is_tls_error(code) ? ErrorCode::tls : ErrorCode::network, what + " (" + error_text(code) + ")");
  e.transient = e.code == ErrorCode::network;
  return e;
}

/// One exchange on its own connect and request handles (WinHttpConnect opens no connection: the
/// session's pool decides which one carries the request). Lives on the stack of send(): the callback
/// writes to progress_ through the address given to WinHttpSendRequest.
class Exchange {
 public:
  Exchange(const WinHttpTransportOptions &options, const Target &target)
      : options_(options), target_(target), deadline_(Clock::now() + options.request_timeout) {}

  Result<platform::HttpResponse> run(HINTERNET session, const platform::HttpRequest &request,
                                     const std::wstring &headers) {
    if (auto opened = open(session, request.method); !opened) return std::move(opened).error();
    if (auto configured = configure(); !configured) return std::move(configured).error();
    if (auto sent = send(headers, request.body.reveal()); !sent) return std::move(sent).error();
    return response(request.method);
  }

 private:
  Result<void> open(HINTERNET session, const std::string &method) {
    if (method.empty() || !std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      return make_error(ErrorCode::invalid_argument, "the HTTP method of the request to " + target_.origin +
                                                         " is not a plain upper-case word; nothing was sent");
    }
    connect_.reset(WinHttpConnect(session, target_.host.c_str(), target_.port, 0));
    if (!connect_) return refused("a connection handle", GetLastError());
    const std::wstring verb(method.begin(), method.end());
    // The URL goes out exactly as given: it is already percent-encoded.
    const DWORD flags = WINHTTP_FLAG_ESCAPE_DISABLE | WINHTTP_FLAG_ESCAPE_DISABLE_QUERY |
                        (target_.secure ? WINHTTP_FLAG_SECURE : 0);
    request_.reset(WinHttpOpenRequest(connect_.get(), verb.c_str(), target_.object.c_str(), nullptr, WINHTTP_NO_REFERER,
                                      WINHTTP_DEFAULT_ACCEPT_TYPES, flags));
    if (!request_) return refused("a request handle", GetLastError());
    return {};
  }

  Result<void> configure() {
    DWORD disabled = WINHTTP_DISABLE_COOKIES | WINHTTP_DISABLE_REDIRECTS | WINHTTP_DISABLE_AUTHENTICATION |
                     WINHTTP_DISABLE_KEEP_ALIVE;  // a fresh connection each time: see the file's header
    if (!WinHttpSetOption(request_.get(), WINHTTP_OPTION_DISABLE_FEATURE, &disabled, sizeof disabled)) {
      return refused("WINHTTP_OPTION_DISABLE_FEATURE", GetLastError());
    }
    DWORD decompression = WINHTTP_DECOMPRESSION_FLAG_ALL;  // best effort, see the file's header
    decompressing_ = WinHttpSetOption(request_.get(), WINHTTP_OPTION_DECOMPRESSION, &decompression,
                                      sizeof decompression);
    if (WinHttpSetStatusCallback(request_.get(), &on_status, WINHTTP_CALLBACK_FLAG_SECURE_FAILURE, 0) ==
        WINHTTP_INVALID_STATUS_CALLBACK) {
      return refused("a status callback", GetLastError());
    }
    return {};
  }

  /// Bounds the next WinHTTP call by what is left of request_timeout (0 would mean "no limit" to WinHTTP).
  Result<void> bound() {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
    if (left <= 0) return exchange_error(ERROR_WINHTTP_TIMEOUT, target_, 0, options_);
    const int total = static_cast<int>(std::min<long long>(left, INT_MAX));
    const auto connect = options_.connect_timeout.count();
    const int first = connect > 0 ? static_cast<int>(std::min<long long>(connect, total)) : total;
    if (!WinHttpSetTimeouts(request_.get(), first, first, total, total)) return refused("the timeouts", GetLastError());
    DWORD headers = static_cast<DWORD>(total);
    if (!WinHttpSetOption(request_.get(), WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT, &headers, sizeof headers)) {
      return refused("WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT", GetLastError());
    }
    return {};
  }

  Result<void> send(const std::wstring &headers, std::string_view body) {
    if (body.size() > MAXDWORD) {
      return make_error(ErrorCode::invalid_argument, "the body of the request to " + target_.origin + " is too large");
    }
    if (auto bounded = bound(); !bounded) return bounded;
    const DWORD size = static_cast<DWORD>(body.size());
    void *data = body.empty() ? WINHTTP_NO_REQUEST_DATA : const_cast<char *>(body.data());
    if (!WinHttpSendRequest(request_.get(), headers.c_str(), static_cast<DWORD>(headers.size()), data, size, size,
                            reinterpret_cast<DWORD_PTR>(&progress_))) {
      return failed(GetLastError());
    }
    if (auto bounded = bound(); !bounded) return bounded;
    if (!WinHttpReceiveResponse(request_.get(), nullptr)) return failed(GetLastError());
    return {};
  }

  Result<platform::HttpResponse> response(const std::string &method) {
    DWORD status = 0;
    DWORD size = sizeof status;
    if (!WinHttpQueryHeaders(request_.get(), WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                             WINHTTP_HEADER_NAME_BY_INDEX, &status, &size, WINHTTP_NO_HEADER_INDEX)) {
      return make_error(ErrorCode::internal, "WinHTTP gave no HTTP status for the response from " + target_.origin);
    }
    platform::HttpResponse out;
    out.status = static_cast<int>(status);
    out.content_type = header(WINHTTP_QUERY_CONTENT_TYPE);
    out.cache_control = header(WINHTTP_QUERY_CACHE_CONTROL);
    // RFC 9449 §8 and §9: the nonce a server wants in the next proof, and (§7.1) a resource server's challenge,
    // which may come as several WWW-Authenticate headers (Bearer and DPoP side by side).
    out.dpop_nonce = header_at(WINHTTP_QUERY_CUSTOM, L"DPoP-Nonce", nullptr).value_or("");
    out.www_authenticate = every_header(WINHTTP_QUERY_WWW_AUTHENTICATE);
    std::string body;
    util::WipeOnExit wipe_body(body);
    if (auto read = read_body(body); !read) return std::move(read).error();
    if (auto complete = whole(method, status, body.size()); !complete) return std::move(complete).error();
    out.body = SecretString(std::move(body));  // the moved-from string is wiped on the way out all the same
    return out;
  }

  /// Reads the body through one stack buffer, wiped after, into `body`, which grows without leaving copies.
  Result<void> read_body(std::string &body) {
    std::array<char, 16 * 1024> chunk;
    struct WipeChunk {
      std::array<char, 16 * 1024> &c;
      ~WipeChunk() { secure_wipe(c.data(), c.size()); }
    } wipe_chunk{chunk};
    for (;;) {
      if (auto bounded = bound(); !bounded) return bounded;
      DWORD n = 0;
      if (!WinHttpReadData(request_.get(), chunk.data(), static_cast<DWORD>(chunk.size()), &n)) {
        return failed(GetLastError());
      }
      if (n == 0) return {};
      if (body.size() + n > options_.max_response_bytes) {
        return make_error(ErrorCode::malformed_response, "the response from " + target_.origin + " is larger than " +
                                                             std::to_string(options_.max_response_bytes) + " bytes");
      }
      util::reserve_wiping(body, body.size() + n);
      body.append(chunk.data(), n);
    }
  }

  /// A body cut short by a closed connection may end like a complete one for WinHttpReadData: the
  /// length the server announced tells them apart (libcurl: CURLE_PARTIAL_FILE, a network error).
  /// A body WinHTTP decompressed is not compared: its announced length is the compressed one.
  Result<void> whole(const std::string &method, DWORD status, std::size_t got) const {
    if (method == "HEAD" || status == 204 || status == 304 || status < 200) return {};
    const std::string announced = header(WINHTTP_QUERY_CONTENT_LENGTH);
    if (announced.empty() || announced == std::to_string(got)) return {};
    if (decompressing_ && !header(WINHTTP_QUERY_CONTENT_ENCODING).empty()) return {};
    Error e = make_error(ErrorCode::network, "the connection to " + target_.origin + " was closed after " +
                                                 std::to_string(got) + " of the " + announced +
                                                 " bytes of the response it announced; try again");
    e.transient = true;
    return e;
  }

  /// A response header's value (UTF-8), empty when absent.
  std::string header(DWORD which) const { return header_at(which, WINHTTP_HEADER_NAME_BY_INDEX, nullptr).value_or(""); }

  /// One occurrence of a response header, nullopt when there is none: `which` is a WINHTTP_QUERY_* id, or
  /// WINHTTP_QUERY_CUSTOM with `name`. `index` (null: the first) is the occurrence asked for, and WinHTTP
  /// moves it on to the next one when it answers.
  std::optional<std::string> header_at(DWORD which, const wchar_t *name, DWORD *index) const {
    DWORD size = 0;
    WinHttpQueryHeaders(request_.get(), which, name, WINHTTP_NO_OUTPUT_BUFFER, &size, index);
    if (GetLastError() != ERROR_INSUFFICIENT_BUFFER || size == 0) return std::nullopt;
    std::wstring value(size / sizeof(wchar_t) + 1, L'\0');
    if (!WinHttpQueryHeaders(request_.get(), which, name, value.data(), &size, index)) return std::nullopt;
    value.resize(size / sizeof(wchar_t));
    return narrow(value);
  }

  /// Every occurrence of a response header, joined with ", " (RFC 9110 §5.3), empty when absent. At most 32
  /// are read: more is no answer a client acts on, and the loop must end whatever WinHTTP's index does.
  std::string every_header(DWORD which, const wchar_t *name = WINHTTP_HEADER_NAME_BY_INDEX) const {
    std::string joined;
    DWORD index = 0;
    for (int i = 0; i < 32; ++i) {
      const DWORD asked = index;
      std::optional<std::string> value = header_at(which, name, &index);
      if (!value) break;
      if (!joined.empty()) joined += ", ";
      joined += *value;
      if (index == asked) break;
    }
    return joined;
  }

  Error failed(DWORD code) const { return exchange_error(code, target_, progress_.tls_failure, options_); }

  /// WinHTTP refused something this file relies on: not transient, the same Windows refuses it again.
  Error refused(const char *what, DWORD code) const {
    return make_error(ErrorCode::internal, std::string("WinHTTP refused ") + what + " (" + error_text(code) +
                                               "), so the request to " + target_.origin + " was not sent");
  }

  const WinHttpTransportOptions &options_;
  const Target &target_;
  Clock::time_point deadline_;
  Internet connect_;  // declared before request_: a request handle is closed before its connect handle
  Internet request_;
  Progress progress_;
  bool decompressing_ = false;
};

class WinHttpTransport final : public platform::HttpTransport {
 public:
  explicit WinHttpTransport(WinHttpTransportOptions options) : options_(std::move(options)) {
    const std::wstring agent = widen(options_.user_agent).value_or(std::wstring());
    session_ = open_session(agent);
    const char *what = "a session";
    DWORD error = !session_ ? GetLastError() : configure_session(session_.get(), what);
    if (error != 0) {
      problem_ = std::string("WinHTTP refused ") + what + " (" + error_text(error) +
                 "), so nativeauth cannot send requests: this Windows lacks something nativeauth relies on";
    }
  }

  // Thread safety: the session is only read after construction, and WinHTTP handles may be used from
  // several threads; each send() has its own connect and request handles.
  Result<platform::HttpResponse> send(const platform::HttpRequest &request) override {
    if (!problem_.empty()) return make_error(ErrorCode::internal, problem_);  // not transient
    auto target = parse_target(request.url);
    if (!target) return std::move(target).error();
    WipedWide headers;
    if (auto built = header_block(request, *target, headers.text); !built) return std::move(built).error();
    Exchange exchange(options_, *target);
    return exchange.run(session_.get(), request, headers.text);
  }

 private:
  WinHttpTransportOptions options_;
  Internet session_;
  std::string problem_;
};

}  // namespace

std::shared_ptr<platform::HttpTransport> make_winhttp_transport(const WinHttpTransportOptions &options) {
  return std::make_shared<WinHttpTransport>(options);
}

}  // namespace nativeauth::windows
