// SPDX-License-Identifier: Apache-2.0
// The software DPoP key store: P-256 keys made by the crypto backend, the private key kept in the slot's
// record (a private JWK, RFC 7517 §4, inside the record that the credential store keeps as a whole).
#include "core/base64url.hpp"
#include "core/json_util.hpp"
#include "crypto/crypto.hpp"
#include "util/secrets.hpp"

#include <nativeauth/platform/key_store.hpp>

namespace nativeauth::platform {
namespace {

std::string b64(const crypto::Bytes &b) { return core::base64url_encode(b.data(), b.size()); }

class SoftwareProofKey final : public ProofKey {
 public:
  explicit SoftwareProofKey(crypto::EcSigningKey key)
      : key_(std::move(key)),
        jwk_(R"({"crv":"P-256","kty":"EC","x":")" + b64(key_.x()) + R"(","y":")" + b64(key_.y()) + "\"}") {}
  std::string algorithm() const override { return "ES256"; }
  std::string public_jwk() const override { return jwk_; }
  Result<std::vector<std::uint8_t>> sign(std::string_view signing_input) override { return key_.sign(signing_input); }

 private:
  crypto::EcSigningKey key_;
  std::string jwk_;
};

Error unusable(const std::string &why) {
  return make_error(ErrorCode::key_unavailable, "the session's software DPoP key " + why + "; sign in again");
}

class SoftwareKeyStore final : public KeyStore {
 public:
  std::string name() const override { return "software"; }

  Result<CreatedKey> create(const SlotKey &, std::string_view algorithm) override {
    if (algorithm != "ES256") {
      return make_error(ErrorCode::invalid_argument, "the software key store signs ES256 only");
    }
    auto key = crypto::EcSigningKey::generate();
    if (!key) return std::move(key).error();
    auto d = key->private_scalar();
    if (!d) return std::move(d).error();
    core::Json jwk = {{"kty", "EC"}, {"crv", "P-256"}, {"x", b64(key->x())}, {"y", b64(key->y())}};
    std::string encoded = core::base64url_encode(d->reveal());
    jwk["d"] = std::move(encoded);  // the buffer moves into the JSON, which is wiped below
    util::wipe(encoded);
    std::string text = jwk.dump();
    core::wipe_json(jwk);
    CreatedKey out;
    out.reference = SecretString(std::move(text));
    out.key = std::make_unique<SoftwareProofKey>(std::move(*key));
    return out;
  }

  Result<std::unique_ptr<ProofKey>> open(const SlotKey &, const SecretString &reference) override {
    auto jwk = core::parse_object(reference.reveal());
    if (!jwk) return unusable("is not readable");
    const auto x = core::base64url_decode(core::get_string(*jwk, "x").value_or(""));
    const auto y = core::base64url_decode(core::get_string(*jwk, "y").value_or(""));
    const bool p256 = core::get_string(*jwk, "crv").value_or("") == "P-256";
    SecretString d_text = core::take_secret(*jwk, "d");
    auto d = core::base64url_decode(d_text.reveal());
    core::wipe_json(*jwk);
    if (!x || !y || !d || !p256) {
      if (d) util::wipe(*d);
      return unusable("is not a P-256 key");
    }
    SecretString scalar(std::move(*d));
    auto key = crypto::EcSigningKey::import(scalar, crypto::Bytes(x->begin(), x->end()),
                                            crypto::Bytes(y->begin(), y->end()));
    if (!key) return unusable("is not a valid P-256 key pair");
    return std::unique_ptr<ProofKey>(std::make_unique<SoftwareProofKey>(std::move(*key)));
  }

  Result<void> remove(const SlotKey &, const SecretString &) override { return {}; }  // it lives in the record
};

}  // namespace

std::shared_ptr<KeyStore> software_key_store() {
  static const auto store = std::make_shared<SoftwareKeyStore>();
  return store;
}

}  // namespace nativeauth::platform
