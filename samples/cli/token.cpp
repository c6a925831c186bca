// SPDX-License-Identifier: Apache-2.0
// `nativeauth token`: the access token from the keychain, refreshed silently when it is about to expire.
#include "token.hpp"

#include "exit_codes.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>

#include <iostream>

namespace cli {
namespace {

int print_token(nativeauth::Client &client, const nativeauth::AccessToken &token, TokenForm form) {
  if (form == TokenForm::bare) {
    std::cout << token.value.reveal() << std::endl;
    return kOk;
  }
  if (form == TokenForm::header) {
    std::cout << "Authorization: " << token.token_type << ' ' << token.value.reveal() << std::endl;
    return kOk;
  }
  if (form == TokenForm::id_token) {
    // The session as stored with this token (access_token() stored it first): its ID token.
    auto session = client.load_session();
    if (!session || !session->has_value()) {
      const nativeauth::Error e = session ? nativeauth::make_error(nativeauth::ErrorCode::sign_in_required,
                                                                   "the session was signed out meanwhile")
                                          : session.error();
      print_error("token", e);
      return exit_code_for(e);
    }
    const nativeauth::Session &s = **session;
    if (s.id_token.empty()) {
      const auto e = nativeauth::make_error(nativeauth::ErrorCode::sign_in_required,
                                            "this session holds no ID token; sign in again to get one");
      print_error("token --id-token", e);
      return exit_code_for(e);
    }
    std::cout << s.id_token.reveal() << std::endl;
    return kOk;
  }
  nlohmann::json j;
  j["access_token"] = std::string(token.value.reveal());
  j["token_type"] = token.token_type;
  if (token.expires_at) {
    j["expires_at"] = utc(*token.expires_at);
    j["expires_in"] = std::max<std::int64_t>(
        0,
        std::chrono::duration_cast<std::chrono::seconds>(*token.expires_at - std::chrono::system_clock::now()).count());
  }
  j["scopes"] = token.scopes;
  std::string text = j.dump();
  std::cout << text << std::endl;
  nativeauth::secure_wipe(text.data(), text.size());
  auto &copy = j["access_token"].get_ref<std::string &>();
  nativeauth::secure_wipe(copy.data(), copy.size());
  return kOk;
}

}  // namespace

int run_token(const Target &target, int min_ttl_seconds, TokenForm form) {
  auto client = nativeauth::Client::create(client_options(target));
  if (!client) {
    print_error("token", client.error());
    return exit_code_for(client.error());
  }
  nativeauth::AccessTokenOptions options;
  if (min_ttl_seconds >= 0) options.min_ttl = std::chrono::seconds(min_ttl_seconds);
  auto token = client->access_token(options);
  if (!token) {
    print_error("no access token", token.error());
    if (token.error().code == nativeauth::ErrorCode::sign_in_required) {
      std::cerr << "  sign in with: nativeauth login --issuer " << target.issuer << " --client-id " << target.client_id
                << '\n';
    }
    return exit_code_for(token.error());
  }
  return print_token(client.value(), *token, form);
}

}  // namespace cli
