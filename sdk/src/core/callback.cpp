// SPDX-License-Identifier: Apache-2.0
// Parsing the redirect request on the loopback listener (RFC 8252 §7.3) and answering the browser.
#include "core/callback.hpp"

#include "crypto/crypto.hpp"

namespace nativeauth::core {
namespace {

bool is_token_char(unsigned char c) {
  // RFC 9110 §5.6.2 tchar, enough for methods.
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' ||
         c == '+' || c == '-' || c == '.' || c == '^' || c == '_' || c == '`' || c == '|' || c == '~';
}

bool is_target_char(unsigned char c) { return c > 0x20 && c < 0x7F; }

}  // namespace

std::optional<RequestHead> parse_request_head(std::string_view head) {
  const auto line_end = head.find("\r\n");
  if (line_end == std::string_view::npos) return std::nullopt;
  const std::string_view line = head.substr(0, line_end);

  const auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return std::nullopt;
  const auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return std::nullopt;
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);

  for (unsigned char c : method)
    if (!is_token_char(c)) return std::nullopt;
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return std::nullopt;
  if (target.empty() || target.front() != '/') return std::nullopt;  // origin-form only
  for (unsigned char c : target)
    if (!is_target_char(c)) return std::nullopt;

  // Header lines: only their shape is checked (no NUL/bare CR); their content is not needed.
  std::string_view rest = head.substr(line_end + 2);
  for (unsigned char c : rest)
    if (c == 0) return std::nullopt;

  RequestHead out;
  out.method = std::string(method);
  const auto q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) {
    std::string_view query = target.substr(q + 1);
    if (const auto hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
    out.query = std::string(query);
  }
  return out;
}

CallbackResult classify_callback(std::string_view head, std::string_view expected_path,
                                 std::string_view expected_state) {
  CallbackResult result;
  const auto request = parse_request_head(head);
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
  auto params = parse_params(request->query);
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
  if (!crypto::constant_time_equal(*state, expected_state)) {
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

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string result_page(bool success, std::string_view detail) {
  const char *title = success ? "Signed in" : "Sign-in failed";
  const char *lead = success ? "You are signed in. You can close this window and return to the app."
                             : "Sign-in did not complete. Return to the app to try again.";
  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>";
  page += title;
  page += "</title><style>body{font-family:system-ui,sans-serif;max-width:32em;margin:4em auto;"
          "padding:0 1em;color:#222}h1{font-size:1.4em}p.detail{color:#666}</style></head><body><h1>";
  page += title;
  page += "</h1><p>";
  page += lead;
  page += "</p>";
  if (!detail.empty()) {
    page += "<p class=\"detail\">";
    page += html_escape(detail.substr(0, 500));
    page += "</p>";
  }
  page += "</body></html>\n";
  return page;
}

}  // namespace nativeauth::core
