// SPDX-License-Identifier: Apache-2.0
// The TPM 2.0 key store through tpm2-tss's ESAPI: a P-256 signing key created under the owner hierarchy's
// ECC storage key, its wrapped blob as the record's reference, ES256 signatures made by the TPM.
//
// Why ESAPI and not OpenSSL's tpm2 provider (tpm2-openssl): the provider takes the TPM's address only from
// the environment (TPM2OPENSSL_TCTI, read by getenv when the provider starts; its "tcti" configuration
// parameter is handed to OpenSSL without a place to write the answer, so it is never read, in 1.1.1 through
// 1.3.0), and a library must not setenv() while other threads may read the environment. ESAPI takes the TCTI
// as an argument. It also lets this file choose the key's attributes (fixedTPM, fixedParent,
// sensitiveDataOrigin: the TPM refuses to duplicate or export it) and gives R and S directly, with no DER.
//
// Each operation opens its own connection (tctildr), re-derives the storage key (CreatePrimary: the same
// template on the same seed gives the same key), loads the DPoP key, uses it and flushes both: nothing stays
// in the TPM, a restarted TPM or resource manager needs no recovery, and remove() has nothing to delete.
// The digest is made by the TPM too (a hash sequence), so this file needs no libcrypto. One operation runs at
// a time per process (a mutex): a TPM without a resource manager (swtpm) has three object slots.
#include "linux/tpm_key_store.hpp"

#include "linux/tss_loader.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <unistd.h>

namespace nativeauth::linux_platform {
namespace {

using platform::CreatedKey;
using platform::ProofKey;
using platform::SlotKey;

constexpr std::string_view kReferencePrefix = "tpm2-v1:";
constexpr std::size_t kCoordinate = 32;  // P-256: 32-byte coordinates, R and S (RFC 7518 §3.4, §6.2.1.2)
constexpr const char *kDefaultTcti = "device:/dev/tpmrm0";
constexpr const char *kSoftwareHint = "set NATIVEAUTH_TPM=off to keep DPoP keys in software instead";

std::mutex &tpm_mutex() {
  static std::mutex mutex;
  return mutex;
}

// --- base64url (RFC 4648 §5, no padding): the platform layer cannot reach the core's ---------------------

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64url(const std::uint8_t *data, std::size_t size) {
  std::string out;
  out.reserve((size * 4 + 2) / 3);
  for (std::size_t i = 0; i < size; i += 3) {
    const std::uint32_t n = (std::uint32_t{data[i]} << 16) | (i + 1 < size ? std::uint32_t{data[i + 1]} << 8 : 0) |
                            (i + 2 < size ? std::uint32_t{data[i + 2]} : 0);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    if (i + 1 < size) out += kAlphabet[(n >> 6) & 63];
    if (i + 2 < size) out += kAlphabet[n & 63];
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> b64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    const char *at = std::strchr(kAlphabet, c);
    if (c == '\0' || !at) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(at - kAlphabet);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<std::uint8_t>((bits >> count) & 0xFF));
    }
  }
  return out;
}

// --- tpm2-tss results ------------------------------------------------------------------------------------

/// What ESAPI calls return, without the parameter/handle number a format-one TPM code carries.
TSS2_RC base_code(TSS2_RC rc) {
  if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER) return rc;
  return (rc & TPM2_RC_FMT1) ? (rc & (TPM2_RC_FMT1 | 0x3F)) : rc;
}

bool from_tpm(TSS2_RC rc) { return (rc & TSS2_RC_LAYER_MASK) == TSS2_TPM_RC_LAYER; }

/// A TPM warning (TPM 2.0 Part 2 §6.6: format zero with the warning bit): busy, locked out, out of memory.
bool tpm_warning(TSS2_RC rc) { return from_tpm(rc) && !(rc & TPM2_RC_FMT1) && (rc & TPM2_RC_WARN) == TPM2_RC_WARN; }

std::string decoded(const TssApi &api, TSS2_RC rc) {
  const char *text = api.Tss2_RC_Decode(rc);
  return text ? std::string(text) : "TSS2_RC " + std::to_string(rc);
}

Error unreachable(const TssApi &api, const std::string &tcti, TSS2_RC rc) {
  Error e = make_error(
      ErrorCode::key_unavailable,
      "no TPM answers at TCTI \"" + tcti + "\" (" + decoded(api, rc) +
          "): for the machine's TPM, /dev/tpmrm0 must exist and be readable and writable by this user (usually: "
          "be in group tss); NATIVEAUTH_TPM_TCTI names another TPM (e.g. swtpm:path=<socket>); " +
          kSoftwareHint);
  e.transient = true;  // a TPM simulator or resource manager that is restarting answers again
  return e;
}

/// An ESAPI failure of `what` ("creating the DPoP key", ...) as the Error a caller can act on.
Error tpm_failure(const TssApi &api, const std::string &tcti, std::string_view what, TSS2_RC rc) {
  const TSS2_RC base = base_code(rc);
  if (!from_tpm(rc)) {
    // the connection broke (a TPM simulator stopped, a device gone): the TCTI or ESAPI layer said so
    const TSS2_RC what_failed = rc & ~TSS2_RC_LAYER_MASK;
    if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TCTI_RC_LAYER || what_failed == TSS2_BASE_RC_NO_CONNECTION ||
        what_failed == TSS2_BASE_RC_IO_ERROR || what_failed == TSS2_BASE_RC_TRY_AGAIN) {
      return unreachable(api, tcti, rc);
    }
    return make_error(ErrorCode::internal, std::string(what) + " failed in tpm2-tss: " + decoded(api, rc));
  }
  if (base == TPM2_RC_BAD_AUTH || base == TPM2_RC_AUTH_FAIL) {
    return make_error(ErrorCode::key_unavailable,
                      std::string(what) +
                          ": the TPM's owner hierarchy has a password; nativeauth makes its keys under the owner "
                          "hierarchy with the empty password (the TCG default): clear the owner password, or " +
                          kSoftwareHint);
  }
  if (tpm_warning(rc)) {
    Error e = make_error(ErrorCode::internal,
                         std::string(what) + ": the TPM is busy or locked out (" + decoded(api, rc) + "); try again");
    e.transient = true;
    return e;
  }
  return make_error(ErrorCode::internal, std::string(what) + ": the TPM refused (" + decoded(api, rc) + ")");
}

// --- one connection ------------------------------------------------------------------------------------

/// A TPM connection and the transient objects loaded through it, flushed and closed on every path.
class Connection {
 public:
  Connection(const TssApi &api, std::string tcti) : api_(api), tcti_(std::move(tcti)) {}
  ~Connection() {
    for (const ESYS_TR handle : loaded_) (void)api_.Esys_FlushContext(esys_, handle);
    if (esys_) api_.Esys_Finalize(&esys_);
    if (tcti_context_) api_.Tss2_TctiLdr_Finalize(&tcti_context_);
  }
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;

  Result<void> open() {
    TSS2_RC rc = api_.Tss2_TctiLdr_Initialize(tcti_.c_str(), &tcti_context_);
    if (rc != TSS2_RC_SUCCESS) return unreachable(api_, tcti_, rc);
    rc = api_.Esys_Initialize(&esys_, tcti_context_, nullptr);
    if (rc != TSS2_RC_SUCCESS) return unreachable(api_, tcti_, rc);
    return {};
  }

  const TssApi &api() const { return api_; }
  ESYS_CONTEXT *esys() const { return esys_; }
  Error failure(std::string_view what, TSS2_RC rc) const { return tpm_failure(api_, tcti_, what, rc); }
  void flush_later(ESYS_TR handle) { loaded_.push_back(handle); }

 private:
  const TssApi &api_;
  std::string tcti_;
  TSS2_TCTI_CONTEXT *tcti_context_ = nullptr;
  ESYS_CONTEXT *esys_ = nullptr;
  std::vector<ESYS_TR> loaded_;
};

/// Memory ESAPI allocated for an output parameter, given back with Esys_Free.
template <typename T>
class EsysOut {
 public:
  explicit EsysOut(const TssApi &api) : api_(api) {}
  ~EsysOut() { api_.Esys_Free(value_); }
  EsysOut(const EsysOut &) = delete;
  EsysOut &operator=(const EsysOut &) = delete;
  T **out() { return &value_; }
  T *operator->() const { return value_; }
  T &operator*() const { return *value_; }

 private:
  const TssApi &api_;
  T *value_ = nullptr;
};

/// The owner hierarchy's ECC storage key by the TCG's template (TCG TPM v2.0 Provisioning Guidance §7.5.1,
/// "SRK" ECC NIST P-256, AES-128-CFB): the same template on the same seed always gives the same key, so
/// nothing needs to be kept in the TPM, and a cleared TPM (a new seed) can no longer load what it wrapped.
TPM2B_PUBLIC storage_key_template() {
  TPM2B_PUBLIC t{};
  TPMT_PUBLIC &area = t.publicArea;
  area.type = TPM2_ALG_ECC;
  area.nameAlg = TPM2_ALG_SHA256;
  area.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
                          TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
  TPMS_ECC_PARMS &ecc = area.parameters.eccDetail;
  ecc.symmetric.algorithm = TPM2_ALG_AES;
  ecc.symmetric.keyBits.aes = 128;
  ecc.symmetric.mode.aes = TPM2_ALG_CFB;
  ecc.scheme.scheme = TPM2_ALG_NULL;
  ecc.curveID = TPM2_ECC_NIST_P256;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  area.unique.ecc.x.size = kCoordinate;  // the template's unique field: 32 zero bytes each
  area.unique.ecc.y.size = kCoordinate;
  return t;
}

/// What the DPoP key must be: an unrestricted ECDSA-SHA256 P-256 signing key that never leaves the TPM.
constexpr TPMA_OBJECT kDpopKeyAttributes = TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                           TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                           TPMA_OBJECT_NODA;

TPM2B_PUBLIC dpop_key_template() {
  TPM2B_PUBLIC t{};
  TPMT_PUBLIC &area = t.publicArea;
  area.type = TPM2_ALG_ECC;
  area.nameAlg = TPM2_ALG_SHA256;
  area.objectAttributes = kDpopKeyAttributes;
  TPMS_ECC_PARMS &ecc = area.parameters.eccDetail;
  ecc.symmetric.algorithm = TPM2_ALG_NULL;
  ecc.scheme.scheme = TPM2_ALG_ECDSA;
  ecc.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  ecc.curveID = TPM2_ECC_NIST_P256;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  return t;
}

bool is_dpop_key(const TPMT_PUBLIC &area) {
  const TPMS_ECC_PARMS &ecc = area.parameters.eccDetail;
  return area.type == TPM2_ALG_ECC && (area.objectAttributes & kDpopKeyAttributes) == kDpopKeyAttributes &&
         !(area.objectAttributes & (TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)) &&
         ecc.curveID == TPM2_ECC_NIST_P256 && ecc.scheme.scheme == TPM2_ALG_ECDSA &&
         ecc.scheme.details.ecdsa.hashAlg == TPM2_ALG_SHA256 && area.unique.ecc.x.size <= kCoordinate &&
         area.unique.ecc.y.size <= kCoordinate;
}

Result<ESYS_TR> storage_key(Connection &tpm) {
  const TPM2B_SENSITIVE_CREATE sensitive{};
  const TPM2B_PUBLIC templ = storage_key_template();
  const TPM2B_DATA outside{};
  const TPML_PCR_SELECTION pcrs{};
  ESYS_TR handle = ESYS_TR_NONE;
  const TSS2_RC rc = tpm.api().Esys_CreatePrimary(tpm.esys(), ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                                  ESYS_TR_NONE, &sensitive, &templ, &outside, &pcrs, &handle, nullptr,
                                                  nullptr, nullptr, nullptr);
  if (rc != TSS2_RC_SUCCESS) return tpm.failure("deriving the TPM's storage key", rc);
  tpm.flush_later(handle);
  return handle;
}

/// Connects, derives the storage key: what every operation starts with.
Result<ESYS_TR> connect(Connection &tpm) {
  if (auto opened = tpm.open(); !opened) return std::move(opened).error();
  return storage_key(tpm);
}

Error not_this_tpm() {
  return make_error(ErrorCode::key_unavailable,
                    "this TPM cannot load the session's DPoP key: the key was made by another TPM (the record "
                    "came from another machine or TPM), or this TPM was cleared since; sign in again to make a "
                    "new key");
}

Result<ESYS_TR> load(Connection &tpm, ESYS_TR parent, const TPM2B_PUBLIC &pub, const TPM2B_PRIVATE &priv) {
  ESYS_TR handle = ESYS_TR_NONE;
  const TSS2_RC rc = tpm.api().Esys_Load(tpm.esys(), parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub,
                                         &handle);
  // Any TPM answer to Load means the blob is not this TPM's (integrity, size, a key it cannot unwrap).
  if (rc != TSS2_RC_SUCCESS)
    return from_tpm(rc) && !tpm_warning(rc) ? not_this_tpm() : tpm.failure("loading the DPoP key", rc);
  tpm.flush_later(handle);
  return handle;
}

/// SHA-256 of `data` by the TPM (a hash sequence, 1024 bytes at a time), for TPM2_Sign.
Result<TPM2B_DIGEST> tpm_sha256(Connection &tpm, std::string_view data) {
  const TssApi &api = tpm.api();
  const TPM2B_AUTH auth{};
  ESYS_TR sequence = ESYS_TR_NONE;
  TSS2_RC rc = api.Esys_HashSequenceStart(tpm.esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &auth, TPM2_ALG_SHA256,
                                          &sequence);
  if (rc != TSS2_RC_SUCCESS) return tpm.failure("hashing the DPoP proof", rc);
  TPM2B_MAX_BUFFER chunk{};
  constexpr std::size_t kChunk = sizeof(chunk.buffer);
  for (;;) {
    const std::size_t n = std::min(kChunk, data.size());
    chunk.size = static_cast<UINT16>(n);
    std::memcpy(chunk.buffer, data.data(), n);
    data.remove_prefix(n);
    if (data.empty()) break;
    rc = api.Esys_SequenceUpdate(tpm.esys(), sequence, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &chunk);
    if (rc != TSS2_RC_SUCCESS) {
      tpm.flush_later(sequence);
      return tpm.failure("hashing the DPoP proof", rc);
    }
  }
  EsysOut<TPM2B_DIGEST> digest(api);
  EsysOut<TPMT_TK_HASHCHECK> ticket(api);
  rc = api.Esys_SequenceComplete(tpm.esys(), sequence, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &chunk,
                                 ESYS_TR_RH_NULL, digest.out(), ticket.out());
  if (rc != TSS2_RC_SUCCESS) {
    tpm.flush_later(sequence);
    return tpm.failure("hashing the DPoP proof", rc);
  }
  return *digest;
}

/// A big-endian TPM number as exactly `kCoordinate` bytes (the TPM may drop leading zeros).
bool put_fixed(const TPM2B_ECC_PARAMETER &value, std::uint8_t *out) {
  if (value.size > kCoordinate) return false;
  std::memset(out, 0, kCoordinate - value.size);
  std::memcpy(out + kCoordinate - value.size, value.buffer, value.size);
  return true;
}

std::string public_jwk_of(const TPMT_PUBLIC &area) {
  std::uint8_t x[kCoordinate], y[kCoordinate];
  (void)put_fixed(area.unique.ecc.x, x);  // sizes checked by is_dpop_key()
  (void)put_fixed(area.unique.ecc.y, y);
  // RFC 7638 §3.2's member order, so the core may hash it as the thumbprint input as it is.
  return R"({"crv":"P-256","kty":"EC","x":")" + b64url(x, kCoordinate) + R"(","y":")" + b64url(y, kCoordinate) +
         R"("})";
}

// --- the reference ---------------------------------------------------------------------------------------

struct WrappedKey {
  TPM2B_PUBLIC pub{};
  TPM2B_PRIVATE priv{};
};

std::string reference_of(const TssApi &api, const WrappedKey &key) {
  std::vector<std::uint8_t> bytes(sizeof(TPM2B_PUBLIC) + sizeof(TPM2B_PRIVATE));
  std::size_t offset = 0;
  // Marshalling into a buffer of the structures' own size cannot run out of room.
  (void)api.Tss2_MU_TPM2B_PUBLIC_Marshal(&key.pub, bytes.data(), bytes.size(), &offset);
  (void)api.Tss2_MU_TPM2B_PRIVATE_Marshal(&key.priv, bytes.data(), bytes.size(), &offset);
  return std::string(kReferencePrefix) + b64url(bytes.data(), offset);
}

Result<WrappedKey> parse_reference(const TssApi &api, std::string_view reference) {
  const Error malformed = make_error(ErrorCode::key_unavailable,
                                     "the session's DPoP key reference is not a TPM key blob this version of "
                                     "nativeauth reads; sign in again to make a new key");
  if (reference.substr(0, kReferencePrefix.size()) != kReferencePrefix) return malformed;
  const auto bytes = b64url_decode(reference.substr(kReferencePrefix.size()));
  if (!bytes || bytes->empty()) return malformed;
  WrappedKey key;
  std::size_t offset = 0;
  if (api.Tss2_MU_TPM2B_PUBLIC_Unmarshal(bytes->data(), bytes->size(), &offset, &key.pub) != TSS2_RC_SUCCESS ||
      api.Tss2_MU_TPM2B_PRIVATE_Unmarshal(bytes->data(), bytes->size(), &offset, &key.priv) != TSS2_RC_SUCCESS ||
      offset != bytes->size()) {
    return malformed;
  }
  if (!is_dpop_key(key.pub.publicArea)) {
    return make_error(ErrorCode::key_unavailable,
                      "the session's TPM key is not a non-exportable P-256 ES256 signing key; sign in again to "
                      "make a new key");
  }
  return key;
}

// --- the key and the store ---------------------------------------------------------------------------------

Result<const TssApi *> tss() {
  const TssLibrary &library = tss_library();
  if (!library.api)
    return make_error(ErrorCode::key_unavailable, "the TPM key store needs tpm2-tss: " + library.problem);
  return library.api;
}

class TpmProofKey final : public ProofKey {
 public:
  TpmProofKey(const TssApi &api, std::string tcti, WrappedKey key)
      : api_(api), tcti_(std::move(tcti)), key_(key), jwk_(public_jwk_of(key.pub.publicArea)) {}

  std::string algorithm() const override { return "ES256"; }
  std::string public_jwk() const override { return jwk_; }

  Result<std::vector<std::uint8_t>> sign(std::string_view signing_input) override {
    const std::lock_guard<std::mutex> lock(tpm_mutex());
    Connection tpm(api_, tcti_);
    auto parent = connect(tpm);
    if (!parent) return std::move(parent).error();
    auto digest = tpm_sha256(tpm, signing_input);  // before Load: a TPM without a resource manager has 3 slots
    if (!digest) return std::move(digest).error();
    auto handle = load(tpm, *parent, key_.pub, key_.priv);
    if (!handle) return std::move(handle).error();
    TPMT_SIG_SCHEME scheme{};
    scheme.scheme = TPM2_ALG_ECDSA;
    scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    TPMT_TK_HASHCHECK no_ticket{};  // an unrestricted key needs no proof that the TPM made the digest
    no_ticket.tag = TPM2_ST_HASHCHECK;
    no_ticket.hierarchy = TPM2_RH_NULL;
    EsysOut<TPMT_SIGNATURE> signature(api_);
    const TSS2_RC rc = api_.Esys_Sign(tpm.esys(), *handle, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &*digest,
                                      &scheme, &no_ticket, signature.out());
    if (rc != TSS2_RC_SUCCESS) return tpm.failure("signing the DPoP proof", rc);
    // RFC 7518 §3.4: R and S, each left-padded to 32 bytes, concatenated
    std::vector<std::uint8_t> out(2 * kCoordinate);
    if (signature->sigAlg != TPM2_ALG_ECDSA || !put_fixed(signature->signature.ecdsa.signatureR, out.data()) ||
        !put_fixed(signature->signature.ecdsa.signatureS, out.data() + kCoordinate)) {
      return make_error(ErrorCode::internal, "the TPM returned a signature that is not a P-256 ECDSA one");
    }
    return out;
  }

 private:
  const TssApi &api_;
  const std::string tcti_;
  const WrappedKey key_;
  const std::string jwk_;
};

class TpmKeyStore final : public platform::KeyStore {
 public:
  explicit TpmKeyStore(std::string tcti) : tcti_(std::move(tcti)) {}

  std::string name() const override { return "tpm"; }

  Result<CreatedKey> create(const SlotKey &, std::string_view algorithm) override {
    if (algorithm != "ES256") {
      return make_error(ErrorCode::invalid_argument,
                        "the TPM key store signs ES256 only, not \"" + std::string(algorithm) + "\"");
    }
    auto api = tss();
    if (!api) return std::move(api).error();
    const std::lock_guard<std::mutex> lock(tpm_mutex());
    Connection tpm(**api, tcti_);
    auto parent = connect(tpm);
    if (!parent) return std::move(parent).error();
    const TPM2B_SENSITIVE_CREATE sensitive{};
    const TPM2B_PUBLIC templ = dpop_key_template();
    const TPM2B_DATA outside{};
    const TPML_PCR_SELECTION pcrs{};
    EsysOut<TPM2B_PRIVATE> priv(**api);
    EsysOut<TPM2B_PUBLIC> pub(**api);
    const TSS2_RC rc = (*api)->Esys_Create(tpm.esys(), *parent, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                           &sensitive, &templ, &outside, &pcrs, priv.out(), pub.out(), nullptr, nullptr,
                                           nullptr);
    if (rc != TSS2_RC_SUCCESS) return tpm.failure("creating the DPoP key in the TPM", rc);
    WrappedKey key{*pub, *priv};
    if (!is_dpop_key(key.pub.publicArea)) {
      return make_error(ErrorCode::internal, "the TPM made a key other than the P-256 signing key asked for");
    }
    CreatedKey out;
    out.reference = SecretString(reference_of(**api, key));
    out.key = std::make_unique<TpmProofKey>(**api, tcti_, key);
    return out;
  }

  Result<std::unique_ptr<ProofKey>> open(const SlotKey &, const SecretString &reference) override {
    auto api = tss();
    if (!api) return std::move(api).error();
    auto key = parse_reference(**api, reference.reveal());
    if (!key) return std::move(key).error();
    // Loading it now says at once whether this TPM can use it (another machine's blob, a cleared TPM).
    const std::lock_guard<std::mutex> lock(tpm_mutex());
    Connection tpm(**api, tcti_);
    auto parent = connect(tpm);
    if (!parent) return std::move(parent).error();
    if (auto loaded = load(tpm, *parent, key->pub, key->priv); !loaded) return std::move(loaded).error();
    return std::unique_ptr<ProofKey>(std::make_unique<TpmProofKey>(**api, tcti_, *key));
  }

  // The key exists only as the blob in the record, which the caller erases: nothing is kept in the TPM.
  Result<void> remove(const SlotKey &, const SecretString &) override { return {}; }

 private:
  const std::string tcti_;
};

bool opted_out() {
  const char *value = std::getenv("NATIVEAUTH_TPM");
  if (!value) return false;
  const std::string_view v(value);
  return v == "off" || v == "0" || v == "no" || v == "false";
}

}  // namespace

std::string tpm_tcti_from_environment() {
  const char *tcti = std::getenv("NATIVEAUTH_TPM_TCTI");
  return tcti && *tcti ? std::string(tcti) : std::string(kDefaultTcti);
}

std::shared_ptr<platform::KeyStore> make_tpm_key_store(std::string tcti) {
  return std::make_shared<TpmKeyStore>(std::move(tcti));
}

std::shared_ptr<platform::KeyStore> make_tpm_key_store_if_present() {
  if (opted_out()) return nullptr;
  const char *tcti = std::getenv("NATIVEAUTH_TPM_TCTI");
  if (tcti && *tcti) return make_tpm_key_store(tcti);
  if (::access("/dev/tpmrm0", R_OK | W_OK) != 0) return nullptr;
  return make_tpm_key_store(kDefaultTcti);
}

}  // namespace nativeauth::linux_platform
