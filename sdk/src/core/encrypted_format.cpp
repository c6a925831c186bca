// SPDX-License-Identifier: Apache-2.0
// The passphrase-protected store's formats (encrypted_format.hpp). store.json, version 1:
//   {"nativeauth_encrypted_store":1,"id":"<32 hex>","kdf":"scrypt","n":32768,"r":8,"p":1,
//    "salt":"<b64url>","cipher":"AES-256-GCM","check_nonce":"<b64url>","check":"<b64url>"}
// A record, version 1 (the bytes the file store keeps after its header line):
//   {"nativeauth_encrypted":1,"nonce":"<b64url 12 bytes>","sealed":"<b64url ciphertext || 16-byte tag>"}
// Additional data (authenticated, not stored): "nativeauth encrypted record 1\n<id>\n" followed by the
// slot's issuer, client_id and profile, each as "<decimal length>:<bytes>", so no two slots share it.
// The key-check value is the constant kCheckPlaintext sealed with the additional data
// "nativeauth encrypted store check 1\n<id>": a key that opens it is the store's key.
#include "core/encrypted_format.hpp"

#include "core/base64url.hpp"
#include "core/json_util.hpp"
#include "util/hex.hpp"
#include "util/secrets.hpp"

#include <nativeauth/error.hpp>

#include <utility>

namespace nativeauth::core::encrypted {
namespace {

using crypto::Bytes;
using Json = nlohmann::json;

constexpr char kCheckPlaintext[] = "nativeauth encrypted store key check";
constexpr std::size_t kSaltSize = 16;
constexpr char kKeyPrefix[] = "nativeauth:encrypted-store:";

std::string as_string(const Bytes &b) { return std::string(b.begin(), b.end()); }
Bytes as_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::string check_aad(const std::string &id) { return "nativeauth encrypted store check 1\n" + id; }

std::string record_aad(const std::string &id, const platform::SlotKey &slot) {
  std::string out = "nativeauth encrypted record 1\n" + id + "\n";
  for (const std::string *part : {&slot.issuer, &slot.client_id, &slot.profile}) {
    out += std::to_string(part->size());
    out += ':';
    out += *part;
  }
  return out;
}

Error corrupt(const std::string &path, const std::string &problem) {
  return make_error(ErrorCode::storage_corrupt,
                    "encrypted store: " + path + " " + problem +
                        "; restore it from a backup, or remove it (what it protects is lost)");
}

std::optional<Bytes> b64_member(const Json &j, const char *name) {
  auto text = get_string(j, name);
  if (!text) return std::nullopt;
  auto raw = base64url_decode(*text);
  if (!raw) return std::nullopt;
  return as_bytes(*raw);
}

bool is_hex(std::string_view s) {
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// RFC 7914 §2: N a power of 2 above 1, r * p < 2^30; here also within the 64 MiB scrypt may use
// (128 * N * r for V, 128 * r * p for B), so a changed store.json cannot ask for more.
bool scrypt_in_range(const crypto::ScryptParameters &k) {
  if (k.n < 2 || (k.n & (k.n - 1)) != 0 || k.r < 1 || k.r > 64 || k.p < 1 || k.p > 16) return false;
  const std::uint64_t memory = 128 * k.n * k.r + 128 * std::uint64_t{k.r} * k.p;
  return k.n <= (std::uint64_t{1} << 24) && memory < crypto::kScryptMaxMemory;
}

}  // namespace

Result<NewStore> create_store(const SecretString &passphrase) {
  if (passphrase.empty()) return make_error(ErrorCode::invalid_argument, "encrypted store: an empty passphrase");
  auto id = crypto::random_bytes(16);
  auto salt = crypto::random_bytes(kSaltSize);
  auto nonce = crypto::random_bytes(crypto::kGcmNonceSize);
  if (!id) return std::move(id).error();
  if (!salt) return std::move(salt).error();
  if (!nonce) return std::move(nonce).error();
  NewStore out;
  std::uint64_t halves[2] = {0, 0};
  for (std::size_t i = 0; i < 16; ++i) halves[i / 8] = (halves[i / 8] << 8) | (*id)[i];
  out.parameters.id = util::hex16(halves[0]) + util::hex16(halves[1]);
  out.parameters.kdf = kNewStoreScrypt;
  out.parameters.salt = std::move(*salt);
  out.parameters.check_nonce = std::move(*nonce);
  auto key = crypto::scrypt(passphrase, out.parameters.salt, out.parameters.kdf, kKeySize);
  if (!key) return std::move(key).error();
  auto check = crypto::aes_256_gcm_seal(*key, out.parameters.check_nonce, check_aad(out.parameters.id),
                                        kCheckPlaintext);
  if (!check) return std::move(check).error();
  out.parameters.check = std::move(*check);
  out.key = std::move(*key);
  return out;
}

std::string serialize(const StoreParameters &p) {
  // Member order is nlohmann's (sorted); nothing reads the file by position.
  Json j = {{"nativeauth_encrypted_store", kStoreFormat},
            {"id", p.id},
            {"kdf", "scrypt"},
            {"n", p.kdf.n},
            {"r", p.kdf.r},
            {"p", p.kdf.p},
            {"salt", base64url_encode(p.salt.data(), p.salt.size())},
            {"cipher", "AES-256-GCM"},
            {"check_nonce", base64url_encode(p.check_nonce.data(), p.check_nonce.size())},
            {"check", base64url_encode(p.check)}};
  return j.dump() + "\n";
}

Result<StoreParameters> parse_parameters(std::string_view text, const std::string &path) {
  auto j = parse_object(text);
  if (!j) return corrupt(path, "is not a JSON object (cut short or changed?)");
  auto version = get_int(*j, "nativeauth_encrypted_store");
  if (!version) return corrupt(path, "is not an encrypted store's parameter file");
  if (*version != kStoreFormat) {
    return make_error(ErrorCode::storage_unavailable,
                      "encrypted store: " + path + " has format " + std::to_string(*version) +
                          "; this nativeauth reads "
                          "format " +
                          std::to_string(kStoreFormat) + ": use the nativeauth that created the store");
  }
  StoreParameters p;
  auto id = get_string(*j, "id");
  auto kdf = get_string(*j, "kdf");
  auto cipher = get_string(*j, "cipher");
  auto n = get_int(*j, "n"), r = get_int(*j, "r"), par = get_int(*j, "p");
  auto salt = b64_member(*j, "salt");
  auto check_nonce = b64_member(*j, "check_nonce");
  auto check = b64_member(*j, "check");
  if (!id || id->size() != 32 || !is_hex(*id) || !salt || !check_nonce || !check || !n || !r || !par) {
    return corrupt(path, "lacks a member or has one of the wrong form");
  }
  if (!kdf || *kdf != "scrypt" || !cipher || *cipher != "AES-256-GCM") {
    return corrupt(path, "names a KDF or cipher other than scrypt and AES-256-GCM");
  }
  if (*n < 0 || *r < 0 || *par < 0) return corrupt(path, "has negative scrypt parameters");
  p.kdf = {static_cast<std::uint64_t>(*n), static_cast<std::uint32_t>(*r), static_cast<std::uint32_t>(*par)};
  if (*r > 64 || *par > 16 || !scrypt_in_range(p.kdf)) {
    return corrupt(path, "has scrypt parameters out of range (N a power of 2, at most 64 MiB of memory)");
  }
  if (salt->size() < kSaltSize || salt->size() > 64 || check_nonce->size() != crypto::kGcmNonceSize ||
      check->size() != sizeof kCheckPlaintext - 1 + crypto::kGcmTagSize) {
    return corrupt(path, "has a salt, nonce or key-check value of the wrong length");
  }
  p.id = std::move(*id);
  p.salt = std::move(*salt);
  p.check_nonce = std::move(*check_nonce);
  p.check = as_string(*check);
  return p;
}

Result<bool> key_fits(const StoreParameters &p, const SecretString &key) {
  if (key.size() != kKeySize) return false;
  auto opened = crypto::aes_256_gcm_open(key, p.check_nonce, check_aad(p.id), p.check);
  if (!opened) return std::move(opened).error();
  return opened->has_value() && (*opened)->reveal() == kCheckPlaintext;
}

Result<SecretString> derive_key(const StoreParameters &p, const SecretString &passphrase) {
  if (passphrase.empty()) return make_error(ErrorCode::invalid_argument, "encrypted store: an empty passphrase");
  auto key = crypto::scrypt(passphrase, p.salt, p.kdf, kKeySize);
  if (!key) return std::move(key).error();
  auto fits = key_fits(p, *key);
  if (!fits) return std::move(fits).error();
  if (!*fits) {
    return make_error(ErrorCode::storage_locked,
                      "wrong passphrase: it does not open this encrypted store (the store stays locked)");
  }
  return std::move(*key);
}

std::string key_name(const StoreParameters &p) { return kKeyPrefix + p.id; }

SecretString pack_key(const SecretString &key, std::chrono::system_clock::time_point until) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(until.time_since_epoch()).count();
  std::string out = "1 " + std::to_string(seconds) + " ";
  out.append(key.reveal());
  return SecretString(std::move(out));
}

std::optional<HeldKey> unpack_key(const SecretString &payload) {
  const std::string_view s = payload.reveal();
  if (s.size() < 2 + kKeySize || s.substr(0, 2) != "1 ") return std::nullopt;
  const std::size_t space = s.find(' ', 2);
  if (space == std::string_view::npos || space == 2 || s.size() - space - 1 != kKeySize) return std::nullopt;
  long long seconds = 0;
  for (std::size_t i = 2; i < space; ++i) {
    if (s[i] < '0' || s[i] > '9' || seconds > 1'000'000'000'000LL) return std::nullopt;
    seconds = seconds * 10 + (s[i] - '0');
  }
  HeldKey out{SecretString(std::string(s.substr(space + 1))),
              std::chrono::system_clock::time_point(std::chrono::seconds(seconds))};
  return out;
}

Result<SecretString> seal_record(const StoreParameters &p, const SecretString &key, const platform::SlotKey &slot,
                                 const SecretString &record) {
  auto nonce = crypto::random_bytes(crypto::kGcmNonceSize);
  if (!nonce) return std::move(nonce).error();
  auto sealed = crypto::aes_256_gcm_seal(key, *nonce, record_aad(p.id, slot), record.reveal());
  if (!sealed) return std::move(sealed).error();
  Json j = {{"nativeauth_encrypted", kRecordFormat},
            {"nonce", base64url_encode(nonce->data(), nonce->size())},
            {"sealed", base64url_encode(*sealed)}};
  return SecretString(j.dump() + "\n");
}

Result<SecretString> open_record(const StoreParameters &p, const SecretString &key, const platform::SlotKey &slot,
                                 const SecretString &sealed, const std::string &path) {
  auto j = parse_object(sealed.reveal());
  if (!j) return corrupt(path, "does not hold an encrypted record (cut short or changed?)");
  auto version = get_int(*j, "nativeauth_encrypted");
  if (!version) return corrupt(path, "does not hold an encrypted record");
  if (*version != kRecordFormat) {
    return corrupt(path, "holds a record of unknown format " + std::to_string(*version));
  }
  auto nonce = b64_member(*j, "nonce");
  auto text = get_string(*j, "sealed");
  std::optional<std::string> bytes = text ? base64url_decode(*text) : std::nullopt;
  if (!nonce || nonce->size() != crypto::kGcmNonceSize || !bytes || bytes->size() < crypto::kGcmTagSize) {
    return corrupt(path, "holds an encrypted record with a missing or cut nonce or ciphertext");
  }
  auto opened = crypto::aes_256_gcm_open(key, *nonce, record_aad(p.id, slot), *bytes);
  if (!opened) return std::move(opened).error();
  if (!opened->has_value()) {
    return corrupt(path,
                   "does not authenticate (AES-GCM tag): it was changed, cut, or moved from another slot or store");
  }
  return std::move(**opened);
}

}  // namespace nativeauth::core::encrypted
