// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the UserInfo response (OIDC Core §5.3.2) as a sign-in merges it into the ID
// token's claims (core/userinfo.hpp). The input is the response body. Besides crashes and sanitizer
// reports, the harness aborts when a result breaks a promise of the SDK: a response for another subject
// used, a claim of the ID token replaced, or an ID-token-only claim (iss, aud, nonce, ...) taken.
#include "core/userinfo.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

[[noreturn]] void fail(const char *what) {
  std::fprintf(stderr, "fuzz_userinfo: %s\n", what);
  std::abort();
}

void require(bool ok, const char *what) {
  if (!ok) fail(what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  using nativeauth::core::Json;
  const std::string body(reinterpret_cast<const char *>(data), size);
  static const Json id_token = Json::parse(R"({"iss":"https://idp.example","sub":"alice","aud":"app",
                                               "exp":2000000000,"iat":1700000000,"email":"a@idp.example"})");
  Json claims = id_token;
  auto merged = nativeauth::core::merge_userinfo(claims, body);
  if (!merged) {
    require(claims == id_token, "a refused response changed the claims");
    return 0;
  }
  const auto info = nativeauth::core::parse_object(body);
  require(info && nativeauth::core::get_string(*info, "sub") == std::string("alice"), "used another subject's answer");
  for (const auto &[name, value] : id_token.items()) require(claims[name] == value, "replaced a claim of the ID token");
  for (const char *only : {"nbf", "nonce", "auth_time", "acr", "amr", "azp", "sid"}) {
    require(!claims.contains(only), "took an ID-token-only claim from userinfo");
  }
  require(claims.size() == id_token.size() + merged->size(), "the names added do not match the claims added");
  return 0;
}
