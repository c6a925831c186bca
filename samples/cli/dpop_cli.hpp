// SPDX-License-Identifier: Apache-2.0
// The CLI's DPoP parts (RFC 9449): `login --dpop` and the profile's "dpop" key, and `token --header` printing
// the headers one request needs (`Authorization: DPoP ...` and its `DPoP:` proof, or `Authorization: Bearer`).
#pragma once

#include "common.hpp"

#include <optional>
#include <string>

namespace cli {

/// "required", "offered" or "off" (what `login --dpop=` and the profile's "dpop" take); nullopt otherwise.
std::optional<nativeauth::Dpop> parse_dpop(const std::string &value);
/// What `login --dpop=` accepts.
std::vector<std::string> dpop_names();

/// The flag wins over the profile; neither: off. Returns an exit code (kUsage) when the profile's value is
/// not one of dpop_names().
std::optional<int> resolve_dpop(const std::optional<std::string> &flag, const std::optional<std::string> &profile,
                                nativeauth::Dpop *out);

/// `token --header`'s request: the method and URL the proof is for (RFC 9449 §4.2 htm, htu), and a nonce
/// the script got from that server's 401 (`DPoP-Nonce`, RFC 9449 §9).
struct HeaderRequest {
  std::string method = "GET";
  std::optional<std::string> url;
  std::optional<std::string> nonce;
};

/// `token --header`: prints `Authorization: <type> <token>`, then `DPoP: <proof>` for a DPoP-bound session, one
/// header per line (what `curl -H @-` reads). Without --url only a Bearer session can answer: a DPoP-bound one
/// is a usage error (2), its proof needs the request's method and URL. Exit codes otherwise as run_token().
int run_token_headers(const Target &target, int min_ttl_seconds, const HeaderRequest &request);

}  // namespace cli
