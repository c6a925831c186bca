// SPDX-License-Identifier: Apache-2.0
// The host's DPoP key callbacks (nativeauth_host_keys) as the client's platform::KeyStore, through
// make_callback_key_store(): each callback's outcome arrives in a nativeauth_key_result, and a failure
// becomes key_unavailable with the host's own message.
#include "capi.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

struct nativeauth_key_result {
  std::optional<nativeauth::platform::HostKey> key;
  std::optional<std::vector<std::uint8_t>> signature;
  std::string message;
};

namespace nativeauth::capi {
namespace {

Error host_key_error(const char *callback, int rc, const nativeauth_key_result &result) {
  std::string message = std::string("the host's ") + callback + " callback failed (returned " + std::to_string(rc) +
                        ")";
  if (!result.message.empty()) message += ": " + result.message;
  return make_error(ErrorCode::key_unavailable, std::move(message));
}

Error nothing_set(const char *callback, const char *setter) {
  return make_error(ErrorCode::key_unavailable,
                    std::string("the host's ") + callback + " callback returned 0 without calling " + setter);
}

struct CSlot {
  explicit CSlot(const platform::SlotKey &k) : key{k.issuer.c_str(), k.client_id.c_str(), k.profile.c_str()} {}
  nativeauth_slot_key key;
};

const std::uint8_t *bytes(const SecretString &s) { return reinterpret_cast<const std::uint8_t *>(s.reveal().data()); }

}  // namespace

int apply_host_keys(ClientOptions &options, const nativeauth_host_keys &keys) {
  if (!keys.create_key || !keys.sign_key || !keys.delete_key) {
    return fail(ErrorCode::invalid_argument, "nativeauth_host_keys: create_key, sign_key and delete_key must be set");
  }
  const nativeauth_host_keys k = keys;
  platform::CallbackKeyStoreFunctions f;
  f.create = [k](const platform::SlotKey &slot, std::string_view algorithm) -> Result<platform::HostKey> {
    nativeauth_key_result result;
    const CSlot s(slot);
    const std::string alg(algorithm);
    const int rc = k.create_key(&result, &s.key, alg.c_str(), k.payload);
    if (rc != 0) return host_key_error("create_key", rc, result);
    if (!result.key) return nothing_set("create_key", "nativeauth_key_result_set_key");
    return std::move(*result.key);
  };
  f.sign = [k](const platform::SlotKey &slot, const SecretString &reference,
               std::string_view input) -> Result<std::vector<std::uint8_t>> {
    nativeauth_key_result result;
    const CSlot s(slot);
    const int rc = k.sign_key(&result, &s.key, bytes(reference), reference.size(),
                              reinterpret_cast<const std::uint8_t *>(input.data()), input.size(), k.payload);
    if (rc != 0) return host_key_error("sign_key", rc, result);
    if (!result.signature) return nothing_set("sign_key", "nativeauth_key_result_set_signature");
    return std::move(*result.signature);
  };
  f.remove = [k](const platform::SlotKey &slot, const SecretString &reference) -> Result<void> {
    nativeauth_key_result result;
    const CSlot s(slot);
    const int rc = k.delete_key(&result, &s.key, bytes(reference), reference.size(), k.payload);
    if (rc != 0) return host_key_error("delete_key", rc, result);
    return {};
  };
  auto store = platform::make_callback_key_store(std::move(f));
  if (!store) return fail(store.error());
  options.platform.keys = std::move(*store);
  return 0;
}

}  // namespace nativeauth::capi

using namespace nativeauth;

extern "C" {

int nativeauth_host_keys_init(nativeauth_host_keys *keys, uint32_t version) {
  return capi::guarded([&] {
    if (!keys) return capi::fail(ErrorCode::invalid_argument, "nativeauth_host_keys_init: keys is NULL");
    if (int rc = capi::check_version("nativeauth_host_keys", version, NATIVEAUTH_HOST_KEYS_VERSION)) return rc;
    const nativeauth_host_keys init = NATIVEAUTH_HOST_KEYS_INIT;
    *keys = init;
    keys->version = version;
    return 0;
  });
}

int nativeauth_key_result_set_key(nativeauth_key_result *result, const uint8_t *reference, size_t reference_size,
                                  const char *public_jwk) {
  return capi::guarded([&] {
    if (!result || !reference || reference_size == 0 || !public_jwk || !*public_jwk) {
      return capi::fail(ErrorCode::invalid_argument,
                        "nativeauth_key_result_set_key: result, reference or public_jwk is NULL or empty");
    }
    platform::HostKey key;
    key.reference = SecretString(std::string(reinterpret_cast<const char *>(reference), reference_size));
    key.public_jwk = public_jwk;
    result->key = std::move(key);
    return 0;
  });
}

int nativeauth_key_result_set_signature(nativeauth_key_result *result, const uint8_t *signature, size_t size) {
  return capi::guarded([&] {
    if (!result || !signature) {
      return capi::fail(ErrorCode::invalid_argument,
                        "nativeauth_key_result_set_signature: result or signature is NULL");
    }
    result->signature.emplace(signature, signature + size);
    return 0;
  });
}

int nativeauth_key_result_set_error(nativeauth_key_result *result, const char *message) {
  return capi::guarded([&] {
    if (!result || !message) {
      return capi::fail(ErrorCode::invalid_argument, "nativeauth_key_result_set_error: result or message is NULL");
    }
    result->message = message;
    return 0;
  });
}

}  // extern "C"
