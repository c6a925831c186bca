// SPDX-License-Identifier: Apache-2.0
// windows::make_ncrypt_key_store(): DPoP keys (RFC 9449) as persisted NCrypt keys that no process can export.
//
// A key is a per-user named key, "nativeauth-dpop-<32 random hex digits>", made with NCRYPT_ECDSA_P256_ALGORITHM
// and export policy 0 in the Platform Crypto Provider (inside the TPM) or the Software Key Storage Provider
// (kept by Windows' key isolation service, LSA's KeyIso, outside this process). The slot's record keeps the
// reference "<provider name>|<key name>": nothing secret, but the interface hands it over as a SecretString.
// Signing hashes with SHA-256 (BCrypt) and signs the hash with NCryptSignHash, whose ECDSA output is already
// R ‖ S (RFC 7518 §3.4). Every NCrypt call passes NCRYPT_SILENT_FLAG: a key that would need a prompt (a
// TPM PIN, a smart-card-like policy) fails instead, since nativeauth never shows UI of its own.
// Not here: which store the core uses for a record (the record's store name), the software key store (the
// core's), the proofs themselves (the core's).

#include "windows/ncrypt_key_store.hpp"

#include <nativeauth/error.hpp>

#include "util/hex.hpp"
#include "windows/win32.hpp"

// clang-format off: these need <windows.h> (from win32.hpp) first
#include <bcrypt.h>
#include <ncrypt.h>
// clang-format on

#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nativeauth::windows {
namespace {

constexpr std::string_view kKeyPrefix = "nativeauth-dpop-";
constexpr std::size_t kCoordinate = 32;  // P-256: bytes of x, of y, of R and of S
constexpr char kSeparator = '|';

const wchar_t *provider_name(NcryptProvider p) {
  return p == NcryptProvider::platform ? MS_PLATFORM_CRYPTO_PROVIDER : MS_KEY_STORAGE_PROVIDER;
}
const char *store_name(NcryptProvider p) { return p == NcryptProvider::platform ? "cng-platform" : "cng-software"; }

/// "the operation is not supported (error 0x80090029)": NCrypt's SECURITY_STATUS as FormatMessage words it.
std::string status_text(SECURITY_STATUS status) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%08lX", static_cast<unsigned long>(status));
  std::string text = system_message(static_cast<DWORD>(status));
  const std::size_t paren = text.rfind(" (error ");
  if (paren != std::string::npos) text.resize(paren);
  return text + " (error " + hex + ")";
}

/// Owns an NCrypt provider or key handle (NCryptFreeObject).
class NcryptObject {
 public:
  NcryptObject() = default;
  explicit NcryptObject(NCRYPT_HANDLE h) noexcept : h_(h) {}
  NcryptObject(const NcryptObject &) = delete;
  NcryptObject &operator=(const NcryptObject &) = delete;
  NcryptObject(NcryptObject &&o) noexcept : h_(std::exchange(o.h_, 0)) {}
  NcryptObject &operator=(NcryptObject &&o) noexcept {
    if (this != &o) reset(std::exchange(o.h_, 0));
    return *this;
  }
  ~NcryptObject() { reset(); }
  void reset(NCRYPT_HANDLE h = 0) noexcept {
    if (h_ != 0) NCryptFreeObject(h_);
    h_ = h;
  }
  NCRYPT_HANDLE get() const noexcept { return h_; }
  /// For NCryptDeleteKey, which frees the handle when it succeeds.
  NCRYPT_HANDLE release() noexcept { return std::exchange(h_, 0); }

 private:
  NCRYPT_HANDLE h_ = 0;
};

SECURITY_STATUS open_provider(NcryptProvider which, NcryptObject &out) {
  NCRYPT_PROV_HANDLE raw = 0;
  const SECURITY_STATUS status = NCryptOpenStorageProvider(&raw, provider_name(which), 0);
  out.reset(status == ERROR_SUCCESS ? raw : 0);
  return status;
}

/// The key is gone or was never there (a deleted key, another user's or machine's key, a cleared TPM).
bool key_missing(SECURITY_STATUS status) {
  return status == NTE_BAD_KEYSET || status == NTE_NO_KEY || status == NTE_INVALID_HANDLE ||
         status == NTE_DEVICE_NOT_FOUND || status == static_cast<SECURITY_STATUS>(ERROR_FILE_NOT_FOUND);
}

// --- The reference kept in the slot's record: "<provider name>|nativeauth-dpop-<hex>".

struct Reference {
  NcryptProvider provider = NcryptProvider::software;
  std::wstring key_name;
};

std::string make_reference(NcryptProvider provider, const std::wstring &key_name) {
  return narrow(provider_name(provider)) + kSeparator + narrow(key_name);
}

std::optional<Reference> parse_reference(std::string_view text) {
  const std::size_t bar = text.find(kSeparator);
  if (bar == std::string_view::npos) return std::nullopt;
  const std::string_view provider = text.substr(0, bar);
  const std::string_view key = text.substr(bar + 1);
  Reference out;
  if (provider == narrow(MS_PLATFORM_CRYPTO_PROVIDER)) {
    out.provider = NcryptProvider::platform;
  } else if (provider != narrow(MS_KEY_STORAGE_PROVIDER)) {
    return std::nullopt;
  }
  if (key.size() != kKeyPrefix.size() + 32 || key.substr(0, kKeyPrefix.size()) != kKeyPrefix) return std::nullopt;
  for (char c : key.substr(kKeyPrefix.size())) {
    if (util::hex_value(c) < 0) return std::nullopt;
  }
  out.key_name = *widen(key);
  return out;
}

Error unavailable(std::string message) { return make_error(ErrorCode::key_unavailable, std::move(message)); }

/// "nativeauth-dpop-" and 32 hex digits of BCryptGenRandom: unguessable, so no other program names it first.
std::optional<std::wstring> new_key_name() {
  std::uint8_t random[16];
  if (BCryptGenRandom(nullptr, random, sizeof random, BCRYPT_USE_SYSTEM_PREFERRED_RNG) < 0) return std::nullopt;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string name(kKeyPrefix);
  for (std::uint8_t b : random) {
    name += kDigits[b >> 4];
    name += kDigits[b & 15];
  }
  return *widen(name);
}

// --- The key's public part and signatures.

std::string base64url(const std::uint8_t *data, std::size_t size) {
  // RFC 7515 §2 (base64url without padding); a copy of core/base64url's encoder, which platform/ cannot see.
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (std::size_t i = 0; i < size; ++i) {
    bits = (bits << 8) | data[i];
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += kAlphabet[(bits >> count) & 63];
    }
  }
  if (count > 0) out += kAlphabet[(bits << (6 - count)) & 63];
  return out;
}

/// RFC 7517/7518 §6.2.1: the key's public JWK with its required members in lexicographic order (RFC 7638 §3.3,
/// so the string is also the thumbprint's input). Empty when the key is not a P-256 ECDSA key.
std::string public_jwk_of(NCRYPT_KEY_HANDLE key, SECURITY_STATUS &status) {
  std::uint8_t blob[sizeof(BCRYPT_ECCKEY_BLOB) + 2 * kCoordinate];
  DWORD written = 0;
  status = NCryptExportKey(key, 0, BCRYPT_ECCPUBLIC_BLOB, nullptr, blob, sizeof blob, &written, NCRYPT_SILENT_FLAG);
  if (status != ERROR_SUCCESS) return {};
  BCRYPT_ECCKEY_BLOB header{};
  std::memcpy(&header, blob, sizeof header);
  if (written != sizeof blob || header.dwMagic != BCRYPT_ECDSA_PUBLIC_P256_MAGIC || header.cbKey != kCoordinate) {
    status = NTE_BAD_KEY;
    return {};
  }
  const std::uint8_t *x = blob + sizeof header;
  return R"({"crv":"P-256","kty":"EC","x":")" + base64url(x, kCoordinate) + R"(","y":")" +
         base64url(x + kCoordinate, kCoordinate) + R"("})";
}

/// SHA-256 with BCrypt's provider, opened once per process and kept (as crypto_cng.cpp keeps its own).
bool sha256(std::string_view data, std::uint8_t (&out)[32]) {
  static std::once_flag once;
  static BCRYPT_ALG_HANDLE alg = nullptr;
  std::call_once(once, [] {
    if (BCryptOpenAlgorithmProvider(&alg, BCRYPT_SHA256_ALGORITHM, nullptr, 0) < 0) alg = nullptr;
  });
  BCRYPT_HASH_HANDLE hash = nullptr;
  if (alg == nullptr || BCryptCreateHash(alg, &hash, nullptr, 0, nullptr, 0, 0) < 0) return false;
  bool ok = true;
  while (ok && !data.empty()) {
    const std::size_t chunk = data.size() < 0x40000000u ? data.size() : 0x40000000u;
    ok = BCryptHashData(hash, reinterpret_cast<PUCHAR>(const_cast<char *>(data.data())), static_cast<ULONG>(chunk),
                        0) >= 0;
    data.remove_prefix(chunk);
  }
  ok = ok && BCryptFinishHash(hash, out, sizeof out, 0) >= 0;
  BCryptDestroyHash(hash);
  return ok;
}

class NcryptProofKey final : public platform::ProofKey {
 public:
  NcryptProofKey(NcryptObject key, std::string jwk, std::string name)
      : key_(std::move(key)), jwk_(std::move(jwk)), name_(std::move(name)) {}
  std::string algorithm() const override { return "ES256"; }
  std::string public_jwk() const override { return jwk_; }

  Result<std::vector<std::uint8_t>> sign(std::string_view signing_input) override {
    std::uint8_t hash[32];
    if (!sha256(signing_input, hash)) return make_error(ErrorCode::internal, "CNG could not compute SHA-256");
    std::vector<std::uint8_t> signature(2 * kCoordinate);
    DWORD written = 0;
    SECURITY_STATUS status = 0;
    {
      // One handle, several threads: NCrypt does not promise that key handles may be shared, so they are not.
      const std::lock_guard<std::mutex> lock(mutex_);
      status = NCryptSignHash(key_.get(), nullptr, hash, sizeof hash, signature.data(),
                              static_cast<DWORD>(signature.size()), &written, NCRYPT_SILENT_FLAG);
    }
    if (key_missing(status)) {
      return unavailable("the DPoP key " + name_ + " is gone (" + status_text(status) + "): sign in again");
    }
    if (status != ERROR_SUCCESS || written != signature.size()) {
      return make_error(ErrorCode::internal,
                        "CNG could not sign with the DPoP key " + name_ + " (" + status_text(status) + ")");
    }
    return signature;
  }

 private:
  std::mutex mutex_;
  NcryptObject key_;
  std::string jwk_;
  std::string name_;  ///< "<provider>|<key name>", for messages
};

/// A ProofKey for an opened `key`, or key_unavailable when its public part is not a P-256 point.
Result<std::unique_ptr<platform::ProofKey>> proof_key(NcryptObject key, const std::string &reference) {
  SECURITY_STATUS status = 0;
  std::string jwk = public_jwk_of(key.get(), status);
  if (jwk.empty()) {
    return unavailable("the DPoP key " + reference + " is not a usable P-256 key (" + status_text(status) + ")");
  }
  return std::unique_ptr<platform::ProofKey>(std::make_unique<NcryptProofKey>(std::move(key), std::move(jwk),
                                                                              reference));
}

class NcryptKeyStore final : public platform::KeyStore {
 public:
  explicit NcryptKeyStore(NcryptProvider provider) : provider_(provider) {}
  std::string name() const override { return store_name(provider_); }

  Result<platform::CreatedKey> create(const platform::SlotKey &, std::string_view algorithm) override;
  Result<std::unique_ptr<platform::ProofKey>> open(const platform::SlotKey &, const SecretString &reference) override;
  Result<void> remove(const platform::SlotKey &, const SecretString &reference) override;

 private:
  NcryptProvider provider_;
};

Result<platform::CreatedKey> NcryptKeyStore::create(const platform::SlotKey &, std::string_view algorithm) {
  if (algorithm != "ES256") {
    return make_error(ErrorCode::invalid_argument,
                      "the CNG key store signs only ES256; \"" + std::string(algorithm.substr(0, 16)) + "\" asked");
  }
  const std::string where = narrow(provider_name(provider_));
  NcryptObject provider;
  if (SECURITY_STATUS s = open_provider(provider_, provider); s != ERROR_SUCCESS) {
    return unavailable("the " + where + " cannot be opened (" + status_text(s) + ")");
  }
  const std::optional<std::wstring> key_name = new_key_name();
  if (!key_name) return make_error(ErrorCode::internal, "Windows' random number generator (BCryptGenRandom) failed");
  const std::string reference = make_reference(provider_, *key_name);
  NCRYPT_KEY_HANDLE raw = 0;
  // Per user (no NCRYPT_MACHINE_KEY_FLAG); never NCRYPT_OVERWRITE_KEY_FLAG: a name taken is a failure.
  SECURITY_STATUS status = NCryptCreatePersistedKey(provider.get(), &raw, NCRYPT_ECDSA_P256_ALGORITHM,
                                                    key_name->c_str(), 0, 0);
  NcryptObject key(status == ERROR_SUCCESS ? raw : 0);
  if (status == ERROR_SUCCESS) {
    DWORD policy = 0;  // no export of any kind, not even wrapped; a TPM key can never leave the TPM anyway
    status = NCryptSetProperty(key.get(), NCRYPT_EXPORT_POLICY_PROPERTY, reinterpret_cast<PBYTE>(&policy),
                               sizeof policy, NCRYPT_PERSIST_FLAG | NCRYPT_SILENT_FLAG);
    if (status == NTE_NOT_SUPPORTED && provider_ == NcryptProvider::platform) status = ERROR_SUCCESS;
  }
  if (status == ERROR_SUCCESS) status = NCryptFinalizeKey(key.get(), NCRYPT_SILENT_FLAG);
  if (status != ERROR_SUCCESS) {
    // Leave nothing half-made behind; NCryptDeleteKey frees the handle when it succeeds.
    if (key.get() != 0 && NCryptDeleteKey(key.get(), NCRYPT_SILENT_FLAG) == ERROR_SUCCESS) key.release();
    return unavailable("the " + where + " could not make a P-256 key (" + status_text(status) + "): " +
                       (provider_ == NcryptProvider::platform
                            ? "check that the TPM is ready in tpm.msc"
                            : "check that the CNG Key Isolation service (KeyIso) is running"));
  }
  Result<std::unique_ptr<platform::ProofKey>> made = proof_key(std::move(key), reference);
  if (!made) return std::move(made).error();
  platform::CreatedKey out;
  out.key = std::move(*made);
  out.reference = SecretString(reference);
  return out;
}

Result<std::unique_ptr<platform::ProofKey>> NcryptKeyStore::open(const platform::SlotKey &,
                                                                 const SecretString &reference) {
  const std::optional<Reference> ref = parse_reference(reference.reveal());
  if (!ref) return unavailable("the session's DPoP key reference is not one the CNG key store made");
  const std::string name = std::string(reference.reveal());
  NcryptObject provider;
  if (SECURITY_STATUS s = open_provider(ref->provider, provider); s != ERROR_SUCCESS) {
    return unavailable("the DPoP key " + name + " cannot be reached: its provider does not open (" + status_text(s) +
                       ")");
  }
  NCRYPT_KEY_HANDLE raw = 0;
  const SECURITY_STATUS status = NCryptOpenKey(provider.get(), &raw, ref->key_name.c_str(), 0, NCRYPT_SILENT_FLAG);
  if (status != ERROR_SUCCESS) {
    return unavailable("the DPoP key " + name + " cannot be opened (" + status_text(status) +
                       "); the session bound to it cannot be refreshed: sign in again");
  }
  return proof_key(NcryptObject(raw), name);
}

Result<void> NcryptKeyStore::remove(const platform::SlotKey &, const SecretString &reference) {
  const std::optional<Reference> ref = parse_reference(reference.reveal());
  if (!ref) return unavailable("the session's DPoP key reference is not one the CNG key store made");
  const std::string name = std::string(reference.reveal());
  NcryptObject provider;
  if (SECURITY_STATUS s = open_provider(ref->provider, provider); s != ERROR_SUCCESS) {
    return unavailable("the DPoP key " + name + " cannot be deleted: its provider does not open (" + status_text(s) +
                       ")");
  }
  NCRYPT_KEY_HANDLE raw = 0;
  SECURITY_STATUS status = NCryptOpenKey(provider.get(), &raw, ref->key_name.c_str(), 0, NCRYPT_SILENT_FLAG);
  if (key_missing(status)) return {};  // already gone: what remove() is for
  NcryptObject key(status == ERROR_SUCCESS ? raw : 0);
  if (status == ERROR_SUCCESS) status = NCryptDeleteKey(key.get(), NCRYPT_SILENT_FLAG);
  if (status == ERROR_SUCCESS) {
    key.release();  // freed by NCryptDeleteKey
    return {};
  }
  return unavailable("the DPoP key " + name + " could not be deleted (" + status_text(status) + ")");
}

/// PCP_PLATFORM_TYPE of the Platform Crypto Provider, e.g. "TPM-Version:2.0 -Level:0-Revision:1.38-…".
std::string platform_type(NCRYPT_PROV_HANDLE provider, SECURITY_STATUS &status) {
  wchar_t buf[256] = {};
  DWORD written = 0;
  status = NCryptGetProperty(provider, NCRYPT_PCP_PLATFORM_TYPE_PROPERTY, reinterpret_cast<PBYTE>(buf),
                             sizeof buf - sizeof(wchar_t), &written, 0);
  if (status != ERROR_SUCCESS) return {};
  std::wstring type(buf, written / sizeof(wchar_t));
  while (!type.empty() && type.back() == L'\0') type.pop_back();
  return narrow(type);
}

}  // namespace

std::string ncrypt_provider_problem(NcryptProvider which) {
  const std::string where = narrow(provider_name(which));
  NcryptObject provider;
  SECURITY_STATUS status = open_provider(which, provider);
  if (status != ERROR_SUCCESS) return where + " does not open: " + status_text(status);
  if (which == NcryptProvider::platform) {
    // A TPM 2.0 (PC Client profile) always has ECC P-256; a TPM 1.2 has no ECC at all. Asking costs nothing,
    // where making a test key in the TPM would cost every process start tens of milliseconds.
    const std::string type = platform_type(provider.get(), status);
    if (status != ERROR_SUCCESS) return where + " does not say which TPM it has: " + status_text(status);
    if (type.rfind("TPM-Version:2.0", 0) != 0) return where + " has no TPM 2.0 (\"" + type.substr(0, 40) + "\")";
  }
  if (status = NCryptIsAlgSupported(provider.get(), NCRYPT_ECDSA_P256_ALGORITHM, NCRYPT_SILENT_FLAG);
      status != ERROR_SUCCESS) {
    return where + " has no ECDSA P-256: " + status_text(status);
  }
  if (which == NcryptProvider::software) {
    // Wine's NCryptIsAlgSupported says yes to anything: make an ephemeral (unnamed, never stored) key to be sure.
    NCRYPT_KEY_HANDLE raw = 0;
    status = NCryptCreatePersistedKey(provider.get(), &raw, NCRYPT_ECDSA_P256_ALGORITHM, nullptr, 0, 0);
    const NcryptObject key(status == ERROR_SUCCESS ? raw : 0);
    if (status == ERROR_SUCCESS) status = NCryptFinalizeKey(key.get(), NCRYPT_SILENT_FLAG);
    if (status != ERROR_SUCCESS) return where + " cannot make a P-256 key: " + status_text(status);
  }
  return "";
}

std::shared_ptr<platform::KeyStore> make_ncrypt_key_store(NcryptProvider provider) {
  return std::make_shared<NcryptKeyStore>(provider);
}

std::shared_ptr<platform::KeyStore> make_ncrypt_key_store() {
  static std::once_flag once;
  static std::shared_ptr<platform::KeyStore> chosen;
  std::call_once(once, [] {
    for (NcryptProvider p : {NcryptProvider::platform, NcryptProvider::software}) {
      if (ncrypt_provider_problem(p).empty()) {
        chosen = make_ncrypt_key_store(p);
        return;
      }
    }
  });
  return chosen;
}

}  // namespace nativeauth::windows
