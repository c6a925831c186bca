// SPDX-License-Identifier: Apache-2.0
// The Windows keychain: session records in Credential Manager, split over several entries when large.
//
// On-disk format (version 1)
// ==========================
// Every entry is a generic credential (CRED_TYPE_GENERIC) persisted with CRED_PERSIST_LOCAL_MACHINE:
// it survives logoff and reboot, stays on this machine, and does not roam with the user's profile.
// UserName is the client_id and Comment is "<app_name> — <issuer>" (app_name defaults to the client_id);
// both are labels shown by Credential Manager, never secrets. Only CredentialBlob holds the record.
//
// Target names. A slot (issuer, client_id, profile) owns the entries named
//     nativeauth:E(issuer)|E(client_id)|E(profile)#head       the head (always present when the slot is not empty)
//     nativeauth:E(issuer)|E(client_id)|E(profile)#a<i>       chunk i (decimal, from 0) of chunk set A
//     nativeauth:E(issuer)|E(client_id)|E(profile)#b<i>       chunk i of chunk set B
// where E() escapes each byte of the UTF-8 string: a-z, 0-9 and - . _ ~ : / @ ! $ & ' ( ) + , ; = stay as
// they are; an upper-case letter X becomes ^X; every other byte (including | # * % ^ ? space and all
// non-ASCII bytes) becomes %HH, upper-case hex. Credential Manager compares target names without regard
// to case, so upper-case letters are marked rather than kept bare: two slots whose names differ only in
// case ("App" and "app") must not share entries, and no escaped form differs from another only in case.
// Because no E() output contains '|', '#' or '*', the filter "nativeauth:E(issuer)|*" given to
// CredEnumerateW finds exactly one issuer's entries, and "nativeauth:E(issuer)|E(client_id)|E(profile)#*"
// exactly one slot's.
//
// The head blob (integers little-endian):
//     offset  size  field
//      0       4    magic "NAH1"
//      4       1    where the record is: 'i' inline (in this blob), 'a' chunk set A, 'b' chunk set B
//      5       3    zero
//      8       8    generation: the previous head's generation + 1 on every save
//     16       4    chunk count (0 when inline)
//     20       4    record length in bytes
//     24      32    SHA-256 of the record
//     56       -    when inline: the record itself (exactly "record length" bytes); otherwise nothing
// A record of up to 2,504 bytes is stored inline: the slot is then one entry and a save is one write.
//
// A chunk blob:
//     offset  size  field
//      0       4    magic "NAC1"
//      4       8    generation (equals the head's)
//     12       4    index of this chunk (0-based)
//     16       4    chunk count (equals the head's)
//     20       -    payload: bytes [index * 2540, min(length, (index + 1) * 2540)) of the record
// No blob is larger than 2,560 bytes (CRED_MAX_CREDENTIAL_BLOB_SIZE since Windows 7); records are limited
// to 1 MiB (413 chunks).
//
// Saving a chunked record writes every chunk of the set the head does not name (the inactive set) with
// the new generation, then rewrites the head (one CredWriteW, atomic) to name that set, and finally deletes
// every chunk entry the new head does not use: the old set and any surplus of the new one. A reader
// (load) reads the head, then chunks 0..count-1 of the set it names, and requires each chunk's
// (generation, index, count) to match the head, the lengths to add up and the SHA-256 to match; anything
// else is ErrorCode::storage_corrupt ("torn or damaged record"). So a writer that dies before the head is
// rewritten leaves the previous record readable, and one that dies after leaves the new one. A reader in
// another process that loses a race with a writer's clean-up sees the head change and reads again (up to
// three times). Within a process one lock, shared by every store object, serializes all calls; two
// processes must not save one slot at the same time (the SDK holds platform::SlotLock while it writes).
// Saving over a torn or damaged record replaces it; erase deletes the head first, then every entry of the
// slot; list reports the slots that have a head.
//
// KeychainOptions::timeout is not applied: generic credentials never prompt, so these calls do not block
// on the user.
#include <nativeauth/platform/credential_store.hpp>
#include <nativeauth/secret.hpp>
#include <nativeauth/storage.hpp>

#include "util/hex.hpp"
#include "util/secrets.hpp"
#include "windows/win32.hpp"  // <windows.h>, narrow(), system_message()

// clang-format off: these need <windows.h> first
#include <bcrypt.h>
#include <wincred.h>
// clang-format on

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nativeauth {
namespace {

using platform::SlotKey;
using Digest = std::array<unsigned char, 32>;

// mingw-w64's <wincred.h> still says 512 (the Vista value); Windows 7 and later take 5 * 512.
constexpr std::size_t kMaxBlob = 2560;
constexpr std::size_t kHeadSize = 56;
constexpr std::size_t kChunkHeaderSize = 20;
constexpr std::size_t kInlineMax = kMaxBlob - kHeadSize;            // 2504
constexpr std::size_t kChunkPayload = kMaxBlob - kChunkHeaderSize;  // 2540
constexpr std::size_t kMaxRecord = std::size_t{1} << 20;
constexpr std::size_t kMaxChunks = (kMaxRecord + kChunkPayload - 1) / kChunkPayload;
static_assert(kMaxChunks == 413, "the format description above gives this number");
static_assert(kHeadSize == 4 + 1 + 3 + 8 + 4 + 4 + 32 && kChunkHeaderSize == 4 + 8 + 4 + 4, "blob layouts");
constexpr int kLoadAttempts = 3;
constexpr char kPrefix[] = "nativeauth:";
// Credential Manager's limits for the two label fields, in UTF-16 units (CRED_MAX_STRING_LENGTH = 256,
// CRED_MAX_USERNAME_LENGTH = 513); one less each, to leave room for the terminator whichever way it counts.
constexpr std::size_t kMaxComment = 255;
constexpr std::size_t kMaxUserName = 512;

// ---- bytes ---------------------------------------------------------------------------------------------

void put_le(std::string &out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xffu));
}

std::uint64_t get_le(std::string_view s, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  return v;
}

using util::wipe;
using WipeGuard = util::WipeOnExit;

// Moves a buffer into a SecretString and wipes what the move may leave behind (a short string's bytes).
SecretString take_secret(std::string &s) {
  SecretString out(std::move(s));
  wipe(s);
  return out;
}

// ---- UTF-8 <-> UTF-16 ----------------------------------------------------------------------------------

using windows::narrow;
using windows::system_message;

// Lenient, unlike windows::widen(): invalid UTF-8 in a display field (UserName, Comment) becomes U+FFFD
// rather than an error. Target names go through it too, but they are plain ASCII (escaped byte by byte).
std::wstring widen(std::string_view s) {
  if (s.empty() || s.size() > static_cast<std::size_t>(INT_MAX)) return {};
  const int len = static_cast<int>(s.size());
  const int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), len, nullptr, 0);
  if (n <= 0) return {};
  std::wstring w(static_cast<std::size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, s.data(), len, w.data(), n);
  return w;
}

// Cuts a label to Credential Manager's limit without splitting a surrogate pair.
std::wstring truncated(std::wstring w, std::size_t max) {
  if (w.size() <= max) return w;
  w.resize(max);
  if (!w.empty() && w.back() >= 0xD800 && w.back() <= 0xDBFF) w.pop_back();
  return w;
}

// ---- errors --------------------------------------------------------------------------------------------

Error win_error(const char *what, DWORD code) {
  if (code == ERROR_NO_SUCH_LOGON_SESSION)
    return make_error(ErrorCode::storage_unavailable,
                      std::string("Windows Credential Manager is not available in this logon session (no loaded user "
                                  "profile, as for a service or a network logon): ") +
                          what + ": " + system_message(code));
  return make_error(ErrorCode::storage_unavailable,
                    std::string("Windows Credential Manager: ") + what + " failed: " + system_message(code));
}

Error corrupt(const std::string &detail) {
  return make_error(ErrorCode::storage_corrupt,
                    "Windows Credential Manager holds a torn or damaged record for this session (" + detail +
                        "); signing in again replaces it");
}

Error out_of_memory() {
  return make_error(ErrorCode::storage_unavailable, "out of memory in the Windows credential store");
}

Error unexpected() { return make_error(ErrorCode::internal, "unexpected exception in the Windows credential store"); }

// ---- target names --------------------------------------------------------------------------------------

bool is_plain(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("-._~:/@!$&'()+,;=", c) != nullptr;
}

std::string escape(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_plain(c)) {
      out.push_back(ch);
    } else if (c >= 'A' && c <= 'Z') {
      out.push_back('^');
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

// escape() writes upper-case hex digits only.
int upper_hex_value(char c) { return c >= 'a' && c <= 'f' ? -1 : util::hex_value(c); }

// Exact inverse of escape(): nullopt for any name escape() cannot have written (Credential Manager hands
// names back as they were written, so a name in another case is not one of ours).
std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '^') {
      if (i + 1 >= s.size() || s[i + 1] < 'A' || s[i + 1] > 'Z') return std::nullopt;
      out.push_back(s[++i]);
    } else if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = upper_hex_value(s[i + 1]), lo = upper_hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      const auto byte = static_cast<unsigned char>(hi * 16 + lo);
      if (is_plain(byte) || (byte >= 'A' && byte <= 'Z')) return std::nullopt;
      out.push_back(static_cast<char>(byte));
      i += 2;
    } else if (is_plain(static_cast<unsigned char>(c))) {
      out.push_back(c);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::string slot_base(const SlotKey &key) {
  return kPrefix + escape(key.issuer) + '|' + escape(key.client_id) + '|' + escape(key.profile);
}

std::string head_name(const std::string &base) { return base + "#head"; }

std::string chunk_name(const std::string &base, char set, std::size_t index) {
  return base + '#' + set + std::to_string(index);
}

// A chunk entry's suffix ("a3", "b0"): its set and index; nullopt for anything else.
std::optional<std::pair<char, std::size_t>> parse_chunk_suffix(std::string_view suffix) {
  if (suffix.size() < 2 || suffix.size() > 7) return std::nullopt;
  const char set = suffix[0];
  if (set != 'a' && set != 'b') return std::nullopt;
  std::size_t index = 0;
  for (const char c : suffix.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<std::size_t>(c - '0');
  }
  return std::make_pair(set, index);
}

// A head entry's name back to its slot; nullopt for chunks and for names nativeauth did not write.
std::optional<SlotKey> parse_head_name(std::string_view name) {
  const std::string_view prefix(kPrefix);
  if (name.size() < prefix.size() || name.substr(0, prefix.size()) != prefix) return std::nullopt;
  name.remove_prefix(prefix.size());
  const std::size_t hash = name.find('#');
  if (hash == std::string_view::npos) return std::nullopt;
  if (name.substr(hash + 1) != "head") return std::nullopt;
  const std::string_view fields = name.substr(0, hash);
  const std::size_t bar1 = fields.find('|');
  if (bar1 == std::string_view::npos) return std::nullopt;
  const std::size_t bar2 = fields.find('|', bar1 + 1);
  if (bar2 == std::string_view::npos || fields.find('|', bar2 + 1) != std::string_view::npos) return std::nullopt;
  auto issuer = unescape(fields.substr(0, bar1));
  auto client = unescape(fields.substr(bar1 + 1, bar2 - bar1 - 1));
  auto profile = unescape(fields.substr(bar2 + 1));
  if (!issuer || !client || !profile) return std::nullopt;
  SlotKey key;
  key.issuer = std::move(*issuer);
  key.client_id = std::move(*client);
  key.profile = std::move(*profile);
  return key;
}

// ---- blobs ---------------------------------------------------------------------------------------------

struct Head {
  char set = 'i';
  std::uint64_t generation = 0;
  std::uint32_t count = 0;
  std::uint32_t length = 0;
  Digest digest{};
};

std::string encode_head(const Head &h) {
  std::string out("NAH1", 4);
  out.push_back(h.set);
  out.append(3, '\0');
  put_le(out, h.generation, 8);
  put_le(out, h.count, 4);
  put_le(out, h.length, 4);
  out.append(reinterpret_cast<const char *>(h.digest.data()), h.digest.size());
  return out;
}

std::optional<Head> decode_head(std::string_view blob) {
  if (blob.size() < kHeadSize || blob.substr(0, 4) != "NAH1") return std::nullopt;
  if (blob[5] != '\0' || blob[6] != '\0' || blob[7] != '\0') return std::nullopt;
  Head h;
  h.set = blob[4];
  h.generation = get_le(blob, 8, 8);
  h.count = static_cast<std::uint32_t>(get_le(blob, 16, 4));
  h.length = static_cast<std::uint32_t>(get_le(blob, 20, 4));
  std::memcpy(h.digest.data(), blob.data() + 24, h.digest.size());
  if (h.length > kMaxRecord) return std::nullopt;
  if (h.set == 'i') {
    if (h.count != 0 || blob.size() != kHeadSize + h.length) return std::nullopt;
  } else if (h.set == 'a' || h.set == 'b') {
    // Exactly as many chunks as the length needs: a head that disagrees with itself is damaged.
    if (blob.size() != kHeadSize || h.length == 0 || h.count != (h.length + kChunkPayload - 1) / kChunkPayload)
      return std::nullopt;
  } else {
    return std::nullopt;
  }
  return h;
}

std::string encode_chunk_header(std::uint64_t generation, std::size_t index, std::size_t count) {
  std::string out("NAC1", 4);
  put_le(out, generation, 8);
  put_le(out, index, 4);
  put_le(out, count, 4);
  return out;
}

// Frees a credential array from CredEnumerateW (or one credential from CredReadW) after wiping the blobs.
class CredentialList {
 public:
  CredentialList() = default;
  CredentialList(const CredentialList &) = delete;
  CredentialList &operator=(const CredentialList &) = delete;
  ~CredentialList() {
    if (list_ != nullptr) {
      for (DWORD i = 0; i < count_; ++i) wipe_blob(list_[i]);
      CredFree(list_);
    }
    if (one_ != nullptr) {
      wipe_blob(one_);
      CredFree(one_);
    }
  }
  PCREDENTIALW **list_out() { return &list_; }
  DWORD *count_out() { return &count_; }
  PCREDENTIALW *one_out() { return &one_; }
  DWORD count() const { return count_; }
  const CREDENTIALW &at(DWORD i) const { return *list_[i]; }
  const CREDENTIALW &one() const { return *one_; }

 private:
  static void wipe_blob(PCREDENTIALW c) {
    if (c != nullptr && c->CredentialBlob != nullptr && c->CredentialBlobSize > 0)
      SecureZeroMemory(c->CredentialBlob, c->CredentialBlobSize);
  }
  PCREDENTIALW *list_ = nullptr;
  DWORD count_ = 0;
  PCREDENTIALW one_ = nullptr;
};

// ---- the store -----------------------------------------------------------------------------------------

// One lock for every store object of the process: two Clients saving one slot must not interleave their
// chunk sets, and Credential Manager calls are short enough that nothing is gained by finer locks.
std::mutex &process_mutex() {
  static std::mutex mu;
  return mu;
}

class WindowsCredentialStore final : public platform::CredentialStore {
 public:
  explicit WindowsCredentialStore(std::string app_name) : app_name_(std::move(app_name)) {}
  WindowsCredentialStore(const WindowsCredentialStore &) = delete;
  WindowsCredentialStore &operator=(const WindowsCredentialStore &) = delete;
  ~WindowsCredentialStore() override {
    if (sha256_ != nullptr) BCryptCloseAlgorithmProvider(sha256_, 0);
  }

  Result<std::optional<SecretString>> load(const SlotKey &key) override {
    try {
      std::lock_guard<std::mutex> lock(process_mutex());
      return load_locked(key);
    } catch (const std::bad_alloc &) {
      return out_of_memory();
    } catch (...) {
      return unexpected();
    }
  }

  Result<void> save(const SlotKey &key, const SecretString &record) override {
    try {
      std::lock_guard<std::mutex> lock(process_mutex());
      return save_locked(key, record.reveal());
    } catch (const std::bad_alloc &) {
      return out_of_memory();
    } catch (...) {
      return unexpected();
    }
  }

  Result<void> erase(const SlotKey &key) override {
    try {
      std::lock_guard<std::mutex> lock(process_mutex());
      const std::string base = slot_base(key);
      // The head first: from then on readers see an empty slot, never a torn one.
      if (auto r = delete_entry(head_name(base)); !r) return r;
      auto names = enumerate(base + "#*");
      if (!names) return std::move(names).error();
      for (const auto &name : *names)
        if (auto r = delete_entry(name); !r) return r;
      return {};
    } catch (const std::bad_alloc &) {
      return out_of_memory();
    } catch (...) {
      return unexpected();
    }
  }

  Result<std::vector<SlotKey>> list(const std::string &issuer) override {
    try {
      std::lock_guard<std::mutex> lock(process_mutex());
      auto names = enumerate(kPrefix + escape(issuer) + "|*");
      if (!names) return std::move(names).error();
      std::vector<SlotKey> keys;
      for (const auto &name : *names) {
        auto key = parse_head_name(name);
        if (key && key->issuer == issuer) keys.push_back(std::move(*key));
      }
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      return keys;
    } catch (const std::bad_alloc &) {
      return out_of_memory();
    } catch (...) {
      return unexpected();
    }
  }

 private:
  Result<std::optional<SecretString>> load_locked(const SlotKey &key) {
    const std::string base = slot_base(key);
    std::optional<Error> failure;
    Head previous;
    for (int attempt = 0; attempt < kLoadAttempts; ++attempt) {
      auto blob = read_entry(head_name(base));
      if (!blob) return std::move(blob).error();
      if (!*blob) return std::optional<SecretString>();
      const std::string_view bytes = (*blob)->reveal();
      const auto head = decode_head(bytes);
      if (!head) return corrupt("the head entry is malformed");
      // Nothing moved since the last attempt: the damage is real, not a writer we raced with.
      if (failure && head->generation == previous.generation && head->set == previous.set) break;
      if (head->set == 'i') {
        const std::string_view inline_record = bytes.substr(kHeadSize);
        if (auto r = verify(inline_record, *head); !r) return std::move(r).error();
        std::string copy(inline_record);
        return std::optional<SecretString>(take_secret(copy));
      }
      auto record = read_chunks(base, *head);
      if (record) return std::optional<SecretString>(std::move(*record));
      if (record.error().code != ErrorCode::storage_corrupt) return std::move(record).error();
      failure = std::move(record).error();
      previous = *head;
    }
    return std::move(*failure);
  }

  Result<SecretString> read_chunks(const std::string &base, const Head &head) {
    std::string record;
    WipeGuard guard(record);
    record.reserve(head.length);
    for (std::size_t i = 0; i < head.count; ++i) {
      const std::string where = "chunk " + std::to_string(i + 1) + " of " + std::to_string(head.count);
      auto blob = read_entry(chunk_name(base, head.set, i));
      if (!blob) return std::move(blob).error();
      if (!*blob) return corrupt(where + " is missing");
      const std::string_view bytes = (*blob)->reveal();
      if (bytes.size() < kChunkHeaderSize || bytes.substr(0, 4) != "NAC1") return corrupt(where + " is malformed");
      if (get_le(bytes, 4, 8) != head.generation || get_le(bytes, 12, 4) != i || get_le(bytes, 16, 4) != head.count)
        return corrupt(where + " belongs to another save");
      const std::size_t want = std::min<std::size_t>(kChunkPayload, head.length - record.size());
      if (bytes.size() - kChunkHeaderSize != want) return corrupt(where + " has the wrong length");
      record.append(bytes.substr(kChunkHeaderSize));
    }
    if (auto r = verify(record, head); !r) return std::move(r).error();
    return take_secret(record);
  }

  Result<void> verify(std::string_view record, const Head &head) {
    if (record.size() != head.length) return corrupt("the length does not match");
    auto digest = sha256(record);
    if (!digest) return std::move(digest).error();
    if (*digest != head.digest) return corrupt("the checksum does not match");
    return {};
  }

  Result<void> save_locked(const SlotKey &key, std::string_view record) {
    if (record.size() > kMaxRecord)
      return make_error(ErrorCode::invalid_argument,
                        "the session record (" + std::to_string(record.size()) +
                            " bytes) exceeds the Windows credential store's limit of 1 MiB");
    const std::string base = slot_base(key);
    Head previous;
    previous.set = 0;
    auto old = read_entry(head_name(base));
    if (!old) return std::move(old).error();
    if (*old) {
      // A damaged head is replaced and the generations start again from 1: safe, because every chunk the
      // new head names is rewritten before it, and readers check the checksum as well.
      if (auto h = decode_head((*old)->reveal())) previous = *h;
    }
    Head head;
    head.generation = previous.generation + 1 == 0 ? 1 : previous.generation + 1;
    head.length = static_cast<std::uint32_t>(record.size());
    auto digest = sha256(record);
    if (!digest) return std::move(digest).error();
    head.digest = *digest;

    const std::wstring user = truncated(widen(key.client_id), kMaxUserName);
    const std::string label = (app_name_.empty() ? key.client_id : app_name_) + " \xE2\x80\x94 " + key.issuer;
    if (record.size() <= kInlineMax) {
      head.set = 'i';
      head.count = 0;
      std::string blob;
      WipeGuard guard(blob);
      blob.reserve(kHeadSize + record.size());  // no reallocation leaves a copy of the record behind
      blob += encode_head(head);
      blob.append(record);
      if (auto r = write_entry(head_name(base), blob, user, truncated(widen(label), kMaxComment)); !r) return r;
      delete_chunks_except(base, 0, 0);
      return {};
    }

    head.set = previous.set == 'a' ? 'b' : 'a';
    const std::size_t count = (record.size() + kChunkPayload - 1) / kChunkPayload;
    head.count = static_cast<std::uint32_t>(count);
    for (std::size_t i = 0; i < count; ++i) {
      std::string blob;
      WipeGuard guard(blob);
      blob.reserve(kMaxBlob);
      blob += encode_chunk_header(head.generation, i, count);
      blob.append(record.substr(i * kChunkPayload, kChunkPayload));
      const std::string part = label + " (part " + std::to_string(i + 1) + " of " + std::to_string(count) + ")";
      // A failure here leaves the head, and so the previous record, as it was.
      auto r = write_entry(chunk_name(base, head.set, i), blob, user, truncated(widen(part), kMaxComment));
      if (!r) return r;
    }
    auto r = write_entry(head_name(base), encode_head(head), user, truncated(widen(label), kMaxComment));
    if (!r) return r;
    delete_chunks_except(base, head.set, count);
    return {};
  }

  // Best effort: the record is saved already; what is left here is removed by the next save or erase.
  void delete_chunks_except(const std::string &base, char keep_set, std::size_t keep_count) {
    auto names = enumerate(base + "#*");
    if (!names) return;
    for (const auto &name : *names) {
      if (name.size() <= base.size() + 1) continue;
      const auto chunk = parse_chunk_suffix(std::string_view(name).substr(base.size() + 1));
      if (!chunk || (chunk->first == keep_set && chunk->second < keep_count)) continue;
      (void)delete_entry(name);
    }
  }

  Result<std::optional<SecretString>> read_entry(const std::string &target) {
    CredentialList cred;
    if (!CredReadW(widen(target).c_str(), CRED_TYPE_GENERIC, 0, cred.one_out())) {
      const DWORD code = GetLastError();
      if (code == ERROR_NOT_FOUND) return std::optional<SecretString>();
      return win_error("reading a credential", code);
    }
    const CREDENTIALW &c = cred.one();
    std::string bytes;
    if (c.CredentialBlob != nullptr)
      bytes.assign(reinterpret_cast<const char *>(c.CredentialBlob), c.CredentialBlobSize);
    return std::optional<SecretString>(take_secret(bytes));
  }

  Result<void> write_entry(const std::string &target, std::string_view blob, const std::wstring &user,
                           const std::wstring &comment) {
    std::wstring name = widen(target);
    CREDENTIALW c{};
    c.Type = CRED_TYPE_GENERIC;
    c.TargetName = name.data();
    c.Comment = comment.empty() ? nullptr : const_cast<LPWSTR>(comment.c_str());
    c.CredentialBlobSize = static_cast<DWORD>(blob.size());
    c.CredentialBlob = blob.empty() ? nullptr : reinterpret_cast<LPBYTE>(const_cast<char *>(blob.data()));
    c.Persist = CRED_PERSIST_LOCAL_MACHINE;
    c.UserName = user.empty() ? nullptr : const_cast<LPWSTR>(user.c_str());
    if (!CredWriteW(&c, 0)) return win_error("writing a credential", GetLastError());
    return {};
  }

  Result<void> delete_entry(const std::string &target) {
    if (!CredDeleteW(widen(target).c_str(), CRED_TYPE_GENERIC, 0)) {
      const DWORD code = GetLastError();
      if (code != ERROR_NOT_FOUND) return win_error("deleting a credential", code);
    }
    return {};
  }

  // Names (UTF-8) of the generic credentials matching a CredEnumerateW filter (a prefix ending in '*').
  Result<std::vector<std::string>> enumerate(const std::string &filter) {
    CredentialList creds;
    std::vector<std::string> names;
    if (!CredEnumerateW(widen(filter).c_str(), 0, creds.count_out(), creds.list_out())) {
      const DWORD code = GetLastError();
      if (code == ERROR_NOT_FOUND) return names;
      return win_error("listing credentials", code);
    }
    for (DWORD i = 0; i < creds.count(); ++i) {
      const CREDENTIALW &c = creds.at(i);
      if (c.Type == CRED_TYPE_GENERIC && c.TargetName != nullptr) names.push_back(narrow(c.TargetName));
    }
    return names;
  }

  Result<Digest> sha256(std::string_view data) {
    NTSTATUS status = 0;
    if (sha256_ == nullptr) {
      status = BCryptOpenAlgorithmProvider(&sha256_, BCRYPT_SHA256_ALGORITHM, nullptr, 0);
      if (!BCRYPT_SUCCESS(status)) {
        sha256_ = nullptr;
        return hash_error(status);
      }
    }
    BCRYPT_HASH_HANDLE hash = nullptr;
    status = BCryptCreateHash(sha256_, &hash, nullptr, 0, nullptr, 0, 0);
    if (!BCRYPT_SUCCESS(status)) return hash_error(status);
    Digest out{};
    // BCryptHashData takes a ULONG length; records are at most 1 MiB.
    auto *input = reinterpret_cast<PUCHAR>(const_cast<char *>(data.data()));
    status = BCryptHashData(hash, input, static_cast<ULONG>(data.size()), 0);
    if (BCRYPT_SUCCESS(status)) status = BCryptFinishHash(hash, out.data(), static_cast<ULONG>(out.size()), 0);
    BCryptDestroyHash(hash);
    if (!BCRYPT_SUCCESS(status)) return hash_error(status);
    return out;
  }

  static Error hash_error(NTSTATUS status) {
    return make_error(ErrorCode::storage_unavailable, "Windows CNG (bcrypt) could not compute SHA-256: NTSTATUS " +
                                                          std::to_string(static_cast<unsigned long>(status)));
  }

  const std::string app_name_;
  BCRYPT_ALG_HANDLE sha256_ = nullptr;  // opened on first use, under the lock
};

}  // namespace

Result<std::shared_ptr<platform::CredentialStore>> make_keychain_store(const KeychainOptions &options) {
  try {
    return std::shared_ptr<platform::CredentialStore>(std::make_shared<WindowsCredentialStore>(options.app_name));
  } catch (const std::bad_alloc &) {
    return out_of_memory();
  }
}

}  // namespace nativeauth
