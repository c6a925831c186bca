// SPDX-License-Identifier: Apache-2.0
// make_callback_key_store(): a DPoP KeyStore over functions the host app supplies (the Secure Enclave, the
// Android Keystore, through the C ABI's nativeauth_host_keys). The SDK never sees the private key: it keeps
// the host's reference and the public JWK in the slot's record, and asks the host for every signature.
#include <nativeauth/platform/key_store.hpp>

#include "util/hex.hpp"
#include "util/secrets.hpp"

#include <exception>
#include <optional>
#include <string>
#include <utility>

namespace nativeauth::platform {
namespace {

// The record's reference: "host-key:1:<hex of the host's reference>:<public JWK>". The JWK comes last, so
// its own colons need no escaping; version 1 is the only one.
constexpr std::string_view kPrefix = "host-key:1:";
constexpr std::size_t kEs256SignatureSize = 64;  // RFC 7518 §3.4: R and S, 32 octets each

Error host_failure(const std::string &what) {
  return make_error(ErrorCode::key_unavailable, "the host app's " + what + " function failed with an exception");
}

Error unusable(const std::string &store, const std::string &why) {
  return make_error(ErrorCode::key_unavailable,
                    "the session's DPoP key in the " + store + " key store " + why + "; sign in again");
}

struct Decoded {
  SecretString host_reference;
  std::string public_jwk;
};

std::optional<Decoded> decode(std::string_view text) {
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon % 2 != 0 || colon + 1 >= text.size()) return std::nullopt;
  std::string bytes;
  bytes.reserve(colon / 2);
  for (std::size_t i = 0; i < colon; i += 2) {
    const int hi = util::hex_value(text[i]);
    const int lo = util::hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) {
      util::wipe(bytes);
      return std::nullopt;
    }
    bytes += static_cast<char>(hi * 16 + lo);
  }
  return Decoded{SecretString(std::move(bytes)), std::string(text.substr(colon + 1))};
}

std::string encode(const HostKey &key) {
  std::string hex = util::hex_bytes(key.reference.reveal());
  std::string out = std::string(kPrefix) + hex + ":" + key.public_jwk;
  util::wipe(hex);
  return out;
}

class HostProofKey final : public ProofKey {
 public:
  HostProofKey(std::shared_ptr<const CallbackKeyStoreFunctions> f, SlotKey slot, Decoded key)
      : f_(std::move(f)), slot_(std::move(slot)), key_(std::move(key)) {}
  std::string algorithm() const override { return "ES256"; }
  std::string public_jwk() const override { return key_.public_jwk; }

  Result<std::vector<std::uint8_t>> sign(std::string_view signing_input) override {
    Result<std::vector<std::uint8_t>> signature = make_error(ErrorCode::internal, "not signed");
    try {
      signature = f_->sign(slot_, key_.host_reference, signing_input);
    } catch (...) {
      return host_failure("sign");
    }
    if (signature && signature->size() != kEs256SignatureSize) {
      return make_error(ErrorCode::key_unavailable,
                        "the host app's sign function returned " + std::to_string(signature->size()) +
                            " bytes, not the 64 of an ES256 signature (R and S, 32 bytes each; convert DER "
                            "signatures, RFC 7518 §3.4)");
    }
    return signature;
  }

 private:
  std::shared_ptr<const CallbackKeyStoreFunctions> f_;
  SlotKey slot_;
  Decoded key_;
};

class CallbackKeyStore final : public KeyStore {
 public:
  explicit CallbackKeyStore(CallbackKeyStoreFunctions f)
      : f_(std::make_shared<const CallbackKeyStoreFunctions>(std::move(f))) {}

  std::string name() const override { return f_->name; }

  Result<CreatedKey> create(const SlotKey &slot, std::string_view algorithm) override {
    if (algorithm != "ES256") return make_error(ErrorCode::invalid_argument, "host key stores sign ES256 only");
    Result<HostKey> made = make_error(ErrorCode::internal, "not made");
    try {
      made = f_->create(slot, algorithm);
    } catch (...) {
      return host_failure("create");
    }
    if (!made) return std::move(made).error();
    if (made->reference.empty() || made->public_jwk.empty()) {
      return make_error(ErrorCode::key_unavailable,
                        "the host app's create function gave no key reference or no public JWK");
    }
    CreatedKey out;
    out.reference = SecretString(encode(*made));
    out.key = std::make_unique<HostProofKey>(f_, slot, Decoded{std::move(made->reference), made->public_jwk});
    return out;
  }

  Result<std::unique_ptr<ProofKey>> open(const SlotKey &slot, const SecretString &reference) override {
    auto decoded = decode(reference.reveal());
    if (!decoded) return unusable(f_->name, "has a reference this version cannot read");
    return std::unique_ptr<ProofKey>(std::make_unique<HostProofKey>(f_, slot, std::move(*decoded)));
  }

  Result<void> remove(const SlotKey &slot, const SecretString &reference) override {
    auto decoded = decode(reference.reveal());
    if (!decoded) return unusable(f_->name, "has a reference this version cannot read");
    try {
      return f_->remove(slot, decoded->host_reference);
    } catch (...) {
      return host_failure("remove");
    }
  }

 private:
  std::shared_ptr<const CallbackKeyStoreFunctions> f_;
};

}  // namespace

Result<std::shared_ptr<KeyStore>> make_callback_key_store(CallbackKeyStoreFunctions functions) {
  if (!functions.create || !functions.sign || !functions.remove || functions.name.empty()) {
    return make_error(ErrorCode::invalid_argument, "a callback key store needs a name and create, sign and remove");
  }
  return std::shared_ptr<KeyStore>(std::make_shared<CallbackKeyStore>(std::move(functions)));
}

}  // namespace nativeauth::platform
