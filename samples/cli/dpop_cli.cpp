// SPDX-License-Identifier: Apache-2.0
// `login --dpop` resolved against the profile, and `token --header`'s lines for one request (RFC 9449 §7.1).
#include "dpop_cli.hpp"

#include "exit_codes.hpp"

#include <iostream>

namespace cli {
namespace {

/// The access token refused: the same words as `token`, and the hint to sign in when that is what it needs.
int no_token(const Target &target, const nativeauth::Error &e) {
  print_error("no access token", e);
  if (e.code == nativeauth::ErrorCode::sign_in_required) {
    std::cerr << "  sign in with: nativeauth login --issuer " << target.issuer << " --client-id " << target.client_id
              << '\n';
  }
  return exit_code_for(e);
}

/// No --url: the one line a Bearer token needs, as `token --header` always printed it.
int print_without_url(nativeauth::Client &client, const Target &target, const nativeauth::AccessTokenOptions &options) {
  auto token = client.access_token(options);
  if (!token) return no_token(target, token.error());
  if (token->token_type != "Bearer" && token->token_type != "bearer") {
    std::cerr << "nativeauth: token --header: this session is DPoP-bound (token type " << token->token_type
              << "): its proof is made for one request, so pass --url URL (and --method METHOD unless GET)\n";
    return kUsage;
  }
  std::cout << "Authorization: Bearer " << token->value.reveal() << std::endl;
  return std::cout ? kOk : kFailure;
}

}  // namespace

std::optional<nativeauth::Dpop> parse_dpop(const std::string &value) {
  if (value == "required") return nativeauth::Dpop::required;
  if (value == "offered") return nativeauth::Dpop::when_offered;
  if (value == "off") return nativeauth::Dpop::off;
  return std::nullopt;
}

std::vector<std::string> dpop_names() { return {"required", "offered", "off"}; }

std::optional<int> resolve_dpop(const std::optional<std::string> &flag, const std::optional<std::string> &profile,
                                nativeauth::Dpop *out) {
  *out = nativeauth::Dpop::off;
  const std::optional<std::string> &value = flag ? flag : profile;
  if (!value) return std::nullopt;
  const auto dpop = parse_dpop(*value);
  if (!dpop) {
    std::cerr << "nativeauth: dpop must be required, offered or off, not '" << *value << "'\n";
    return kUsage;
  }
  *out = *dpop;
  return std::nullopt;
}

int run_token_headers(const Target &target, int min_ttl_seconds, const HeaderRequest &request) {
  auto client = nativeauth::Client::create(client_options(target));
  if (!client) {
    print_error("token", client.error());
    return exit_code_for(client.error());
  }
  nativeauth::AccessTokenOptions options;
  if (min_ttl_seconds >= 0) options.min_ttl = std::chrono::seconds(min_ttl_seconds);
  if (!request.url) return print_without_url(*client, target, options);
  if (request.nonce) {
    // RFC 9449 §9: the script's previous request was refused with this nonce; the proof below carries it.
    if (auto used = client->use_dpop_nonce(*request.url, *request.nonce); !used) {
      print_error("token --nonce", used.error());
      return kUsage;
    }
  }
  auto headers = client->authorize(request.method, *request.url, options);
  if (!headers) {
    if (headers.error().code == nativeauth::ErrorCode::invalid_argument) {
      print_error("token --header (check --method and --url)", headers.error());
      return kUsage;
    }
    return no_token(target, headers.error());
  }
  std::cout << "Authorization: " << headers->authorization.reveal() << '\n';
  if (!headers->dpop.empty()) std::cout << "DPoP: " << headers->dpop.reveal() << '\n';
  std::cout.flush();
  return std::cout ? kOk : kFailure;
}

}  // namespace cli
