// SPDX-License-Identifier: Apache-2.0
// Claims from the UserInfo endpoint (OIDC Core §5.3) for a sign-in whose ID token lacks those of the
// scopes granted: which scopes, the request with the access token (RFC 6750 §2.1), and the merge. A
// failure here never fails the sign-in: it is a warning, and the session goes on with the ID token's
// claims. Not here: when in a flow it runs (tokens_to_session.cpp).
#include "core/userinfo.hpp"

#include "core/client_impl.hpp"
#include "core/url.hpp"
#include "util/secrets.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <map>

namespace nativeauth {
namespace core {
namespace {

// OIDC Core §5.4: the claims each scope value requests.
const std::map<std::string, std::vector<std::string>> kScopeClaims = {
    {"profile",
     {"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username", "profile", "picture",
      "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"}},
    {"email", {"email", "email_verified"}},
    {"address", {"address"}},
    {"phone", {"phone_number", "phone_number_verified"}},
};

// What only the ID token may say (OIDC Core §2, §3.1.3.6, §5.6.2): never taken from UserInfo, even when the
// ID token lacks it.
const std::vector<std::string> kIdTokenOnly = {
    "iss", "sub", "aud", "exp",     "iat",    "nbf",    "jti", "nonce",        "auth_time",
    "acr", "amr", "azp", "at_hash", "c_hash", "s_hash", "sid", "_claim_names", "_claim_sources"};

}  // namespace

std::vector<std::string> scopes_without_claims(const Json &id_token_claims, const std::vector<std::string> &scopes) {
  std::vector<std::string> out;
  for (const auto &scope : scopes) {
    const auto it = kScopeClaims.find(scope);
    if (it == kScopeClaims.end() || std::find(out.begin(), out.end(), scope) != out.end()) continue;
    const auto &names = it->second;
    if (std::none_of(names.begin(), names.end(), [&](const std::string &n) { return id_token_claims.contains(n); })) {
      out.push_back(scope);
    }
  }
  return out;
}

Result<std::vector<std::string>> merge_userinfo(Json &claims, std::string_view body) {
  auto info = parse_object(body);
  if (!info) return make_error(ErrorCode::malformed_response, "the userinfo response is not a JSON object");
  const auto sub = get_string(*info, "sub");
  if (!sub || sub != get_string(claims, "sub")) {
    // OIDC Core §5.3.2: a token substitution; the response must not be used.
    return make_error(ErrorCode::malformed_response,
                      sub ? "the userinfo response names another subject than the ID token; ignored"
                          : "the userinfo response has no sub; ignored");
  }
  std::vector<std::string> added;
  for (auto &[name, value] : info->items()) {
    if (claims.contains(name) || std::find(kIdTokenOnly.begin(), kIdTokenOnly.end(), name) != kIdTokenOnly.end()) {
      continue;  // the signed ID token wins
    }
    claims[name] = std::move(value);
    added.push_back(name);
  }
  return added;
}

}  // namespace core

void Client::Impl::add_userinfo_claims(core::Json &claims, const Session &session, const oidc::ProviderMetadata &md) {
  if (md.userinfo_endpoint.empty() || session.access_token.empty()) return;
  const auto scopes = core::scopes_without_claims(claims, session.scopes);
  if (scopes.empty()) return;
  const std::string which = util::join(scopes, ", ");
  const std::string type = util::lower_ascii(session.token_type);
  if (!type.empty() && type != "bearer" && type != "dpop") {
    log.warning("the ID token has no claims of scope " + which + " and the access token is neither a Bearer nor " +
                "a DPoP token; signed in without them");
    return;
  }
  platform::HttpRequest request;
  request.url = md.userinfo_endpoint;
  request.headers.emplace_back("Accept", "application/json");
  // RFC 6750 §2.1 (RFC 9449 §7.1): the header, never the query (a URL is logged and kept by servers).
  std::string problem;
  auto headers = resource_headers(session.access_token, session.token_type.empty() ? "Bearer" : session.token_type,
                                  session.dpop ? &*session.dpop : nullptr, request.method, request.url);
  if (!headers) {
    log.warning("could not add the claims of scope " + which + " from the userinfo endpoint (" +
                headers.error().message + "); signed in without them");
    return;
  }
  for (auto &[name, value] : *headers) request.headers.emplace_back(name, std::string(value.reveal()));
  log.debug("the ID token has no claims of scope " + which + ": asking " + core::redact_url(md.userinfo_endpoint));
  auto response = platform.http->send(request);
  for (auto &header : request.headers) util::wipe(header.second);
  if (response) dpop_nonces.remember(request.url, *response);
  if (!response) {
    problem = response.error().message;
  } else if (response->status != 200) {
    problem = "it answered HTTP " + std::to_string(response->status);
  } else if (util::lower_ascii(response->content_type).rfind("application/jwt", 0) == 0) {
    problem = "it answered with a signed JWT, which nativeauth does not read";
  } else if (auto merged = core::merge_userinfo(claims, response->body.reveal()); !merged) {
    problem = merged.error().message;
  } else {
    log.debug("claims from the userinfo endpoint: " + (merged->empty() ? "none new" : util::join(*merged, ", ")));
    return;
  }
  log.warning("could not add the claims of scope " + which + " from the userinfo endpoint (" + problem +
              "); signed in without them");
}

}  // namespace nativeauth
