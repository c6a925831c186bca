// SPDX-License-Identifier: Apache-2.0
// The loopback listener's HTTP, shared by every platform's listener: strict request-head parsing,
// reply formatting, and the pages the browser shows (RFC 8252 §7.3; RFC 9110, RFC 9112).
#include "loopback/http.hpp"

#include <algorithm>

namespace nativeauth::loopback {
namespace {

bool is_token_char(unsigned char c) {
  // RFC 9110 §5.6.2 tchar, enough for methods.
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '!' || c == '#' ||
         c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' || c == '+' || c == '-' || c == '.' || c == '^' ||
         c == '_' || c == '`' || c == '|' || c == '~';
}

bool is_target_char(unsigned char c) { return c > 0x20 && c < 0x7F; }

// RFC 9110 §15 (431: RFC 6585 §5). An unknown code gets an empty reason, which RFC 9112 §4 allows.
const char *reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

// A header value with CR, LF or another control byte could smuggle extra headers into the reply.
bool unsafe_header_value(std::string_view v) {
  return std::any_of(v.begin(), v.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

}  // namespace

std::string format_reply(const platform::HttpReply &requested) {
  platform::HttpReply fallback;
  const platform::HttpReply *reply = &requested;
  // 1xx cannot end an exchange; a malformed reply from the handler becomes a plain 500.
  if (requested.status < 200 || requested.status > 599 || unsafe_header_value(requested.content_type) ||
      unsafe_header_value(requested.location)) {
    fallback.status = 500;
    fallback.body = "Internal error.\n";
    reply = &fallback;
  }
  std::string out;
  out.reserve(320 + reply->content_type.size() + reply->location.size() + reply->body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(reply->status);
  out += ' ';
  out += reason_phrase(reply->status);
  out += "\r\n";
  if (!reply->content_type.empty()) out += "Content-Type: " + reply->content_type + "\r\n";
  out += "Content-Length: " + std::to_string(reply->body.size()) + "\r\n";
  if (!reply->location.empty()) out += "Location: " + reply->location + "\r\n";
  // The page answers a URL holding the authorization code: no cache may keep it, and links or
  // subresources on it must not carry it away in a Referer (RFC 9700 §4.2.4).
  out += "Cache-Control: no-store\r\n"
         "Connection: close\r\n"
         "Referrer-Policy: no-referrer\r\n"
         "X-Content-Type-Options: nosniff\r\n"
         "\r\n";
  out += reply->body;
  return out;
}

std::string too_large_reply() {
  platform::HttpReply reply;
  reply.status = 431;
  reply.body = "Request header fields too large.\n";
  return format_reply(reply);
}

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

std::size_t head_end(std::string_view buffer, std::size_t searched) noexcept {
  const std::size_t from = searched >= 3 ? searched - 3 : 0;
  const std::size_t end = buffer.find("\r\n\r\n", from);
  return end == std::string_view::npos ? 0 : end + 4;
}

platform::HttpReply text_reply(int status, std::string body) {
  platform::HttpReply r;
  r.status = status;
  r.body = std::move(body);
  return r;
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
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
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

std::string signed_out_page() {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Signed out</title></head>"
         "<body style=\"font-family:system-ui,sans-serif;max-width:32em;margin:4em auto\"><h1>Signed out</h1>"
         "<p>You are signed out. You can close this window.</p></body></html>\n";
}

}  // namespace nativeauth::loopback
