// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for what any local process can send to the loopback listener: the request head and redirect.
//
// The input is the request head as the listener would hand it over (up to max_request_bytes). Besides
// crashes, sanitizer reports and escaping exceptions, the harness aborts when a result breaks a promise
// made in core/callback.hpp, e.g. a `matched` verdict for a state that is not ours.

#include "core/callback.hpp"
#include "loopback/http.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

namespace {

using nativeauth::core::CallbackVerdict;

constexpr std::string_view kState = "k3Jd8sQ-Zf0wLx2n_VbT4g";  // what the client put in the request

void require(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_callback: invariant broken: %s\n", what);
    std::abort();
  }
}

bool is_html_safe(std::string_view s) { return s.find_first_of("<>\"'") == std::string_view::npos; }

void check_head(std::string_view input) {
  const auto head = nativeauth::loopback::parse_request_head(input);
  if (!head) return;
  // Strictness promised by the header: origin-form only, the query split off, no fragment kept.
  require(!head->method.empty(), "parsed a request line without a method");
  require(!head->path.empty() && head->path.front() == '/', "parsed a target that is not origin-form");
  require(head->path.find('?') == std::string::npos, "path still holds the query");
  require(head->query.find('#') == std::string::npos, "query still holds a fragment");
  require(input.find(head->path) != std::string_view::npos, "path is not taken from the request");
}

void check_classify(std::string_view input, std::string_view expected_path) {
  const auto result = nativeauth::core::classify_callback(input, expected_path, kState);
  const auto &r = result.response;
  if (result.verdict == CallbackVerdict::matched) {
    require(r.state == kState, "matched a response whose state is not ours");
    const auto head = nativeauth::loopback::parse_request_head(input);
    require(head && head->method == "GET" && head->path == expected_path, "matched a request that is not GET <path>");
  } else {
    require(r.code.empty() && r.state.empty() && r.error.empty(), "response filled for a request that did not match");
  }
  // What the listener shows the browser: the server's error_description, HTML-escaped.
  const std::string page = nativeauth::loopback::result_page(r.error.empty(), r.error_description);
  require(!page.empty(), "empty result page");
  require(is_html_safe(nativeauth::loopback::html_escape(r.error_description)), "html_escape left markup in place");
  require(is_html_safe(nativeauth::loopback::html_escape(input)), "html_escape left markup in place");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char *>(data), size);
  try {
    check_head(input);
    check_classify(input, "/callback");  // RedirectOptions::path's default
    check_classify(input, "/");          // the shortest path an app may configure
  } catch (const std::exception &e) {
    std::fprintf(stderr, "fuzz_callback: exception escaped the SDK: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "fuzz_callback: unknown exception escaped the SDK\n");
    std::abort();
  }
  return 0;
}
