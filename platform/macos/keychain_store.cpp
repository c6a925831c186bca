// SPDX-License-Identifier: Apache-2.0
// make_keychain_store() for macOS: one generic-password item per slot in the data protection keychain.
//
// NOT COMPILED OR TESTED on this project's CI machines (Linux, no Apple SDK); reviewed by reading
// only. platform/macos/README.md says how to build it and what to check before trusting it.
//
// Item layout (Security framework, "Keychain Services" / SecItem.h):
//   kSecClass           kSecClassGenericPassword
//   kSecAttrService     issuer
//   kSecAttrAccount     escape(client_id) + "/" + profile   ('%' -> %25 and '/' -> %2F in client_id
//                       only, so the first '/' splits the two and the mapping is one-to-one)
//   kSecAttrLabel       app_name + " — " + issuer           (what Keychain Access shows; app_name
//                       defaults to the client_id, as KeychainOptions documents)
//   kSecAttrAccessible  kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly: readable by a background
//                       refresh after the first unlock, never synced or restored to another device
//   kSecValueData       the record
// kSecUseDataProtectionKeychain (macOS 10.15+) selects the iOS-style keychain: items are scoped to
// the app's keychain access group and calls never show an access prompt. It needs a signed app with
// the keychain-access-groups (or application-identifier) entitlement; without one every call fails
// with errSecMissingEntitlement, reported as storage_unavailable with that explanation.
//
// KeychainOptions::timeout is not enforced here: SecItem calls cannot be cancelled, and with the
// data protection keychain they do not wait for a person (a locked keychain answers
// errSecInteractionNotAllowed at once, mapped to storage_locked). Before 10.15 the legacy keychain
// is used and may show a prompt; that is the remaining gap.

#include <nativeauth/storage.hpp>

#include <CoreFoundation/CoreFoundation.h>
#include <Security/Security.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nativeauth {
namespace {

using platform::SlotKey;

// Owns one Core Foundation reference (the "Create/Copy rule": we release what those functions return).
template <typename T>
class CfRef {
 public:
  CfRef() = default;
  explicit CfRef(T ref) noexcept : ref_(ref) {}
  CfRef(CfRef &&other) noexcept : ref_(std::exchange(other.ref_, nullptr)) {}
  CfRef &operator=(CfRef &&) = delete;
  CfRef(const CfRef &) = delete;
  CfRef &operator=(const CfRef &) = delete;
  ~CfRef() {
    if (ref_) CFRelease(ref_);
  }
  T get() const noexcept { return ref_; }
  explicit operator bool() const noexcept { return ref_ != nullptr; }

 private:
  T ref_ = nullptr;
};

// nullptr when `s` is not valid UTF-8.
CfRef<CFStringRef> cf_string(std::string_view s) {
  return CfRef<CFStringRef>(CFStringCreateWithBytes(kCFAllocatorDefault, reinterpret_cast<const UInt8 *>(s.data()),
                                                    static_cast<CFIndex>(s.size()), kCFStringEncodingUTF8, false));
}

std::string utf8(CFStringRef s) {
  if (!s) return {};
  const CFIndex length = CFStringGetLength(s);
  const CFIndex max = CFStringGetMaximumSizeForEncoding(length, kCFStringEncodingUTF8);
  if (max == kCFNotFound) return {};
  std::string out(static_cast<std::size_t>(max), '\0');
  CFIndex used = 0;
  CFStringGetBytes(s, CFRangeMake(0, length), kCFStringEncodingUTF8, 0, false, reinterpret_cast<UInt8 *>(out.data()),
                   max, &used);
  out.resize(static_cast<std::size_t>(used));
  return out;
}

std::string escape_client_id(std::string_view client_id) {
  std::string out;
  for (const char c : client_id) {
    if (c == '%') out += "%25";
    else if (c == '/') out += "%2F";
    else out += c;
  }
  return out;
}

// The inverse of escape_client_id + "/" + profile; nullopt for accounts nativeauth did not write.
std::optional<std::pair<std::string, std::string>> split_account(std::string_view account) {
  const std::size_t slash = account.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string client_id;
  for (std::size_t i = 0; i < slash; ++i) {
    if (account[i] != '%') {
      client_id += account[i];
    } else if (account.substr(i, 3) == "%25") {
      client_id += '%';
      i += 2;
    } else if (account.substr(i, 3) == "%2F") {
      client_id += '/';
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  return std::make_pair(std::move(client_id), std::string(account.substr(slash + 1)));
}

Error keychain_error(OSStatus status, const std::string &what) {
  if (status == errSecInteractionNotAllowed) {
    return make_error(ErrorCode::storage_locked,
                      "macOS Keychain: cannot " + what +
                          ": the keychain is locked until the user logs in or unlocks the Mac");
  }
  CfRef<CFStringRef> text(SecCopyErrorMessageString(status, nullptr));
  std::string message = "macOS Keychain: cannot " + what + ": OSStatus " + std::to_string(status);
  if (text) message += " (" + utf8(text.get()) + ")";
  if (status == errSecMissingEntitlement) {
    message += "; the data protection keychain needs an app signed with a keychain-access-groups entitlement "
               "(see platform/macos/README.md), or use make_file_store()";
  }
  return make_error(ErrorCode::storage_unavailable, std::move(message));
}

Error not_utf8(const char *what) {
  return make_error(ErrorCode::invalid_argument,
                    std::string("macOS Keychain: the slot's ") + what + " is not valid UTF-8");
}

CfRef<CFMutableDictionaryRef> new_dictionary() {
  return CfRef<CFMutableDictionaryRef>(CFDictionaryCreateMutable(kCFAllocatorDefault, 0, &kCFTypeDictionaryKeyCallBacks,
                                                                 &kCFTypeDictionaryValueCallBacks));
}

// The attributes every query names: class, service, data protection keychain; account when given.
Result<CfRef<CFMutableDictionaryRef>> base_query(const std::string &issuer, const std::optional<SlotKey> &key) {
  auto query = new_dictionary();
  auto service = cf_string(issuer);
  if (!query) return make_error(ErrorCode::internal, "macOS Keychain: out of memory");
  if (!service) return not_utf8("issuer");
  CFDictionarySetValue(query.get(), kSecClass, kSecClassGenericPassword);
  CFDictionarySetValue(query.get(), kSecAttrService, service.get());
  if (key) {
    auto account = cf_string(escape_client_id(key->client_id) + "/" + key->profile);
    if (!account) return not_utf8("client_id or profile");
    CFDictionarySetValue(query.get(), kSecAttrAccount, account.get());
  }
  if (__builtin_available(macOS 10.15, *)) {
    CFDictionarySetValue(query.get(), kSecUseDataProtectionKeychain, kCFBooleanTrue);
  }
  return std::move(query);  // CfRef is move-only and Result takes its value by value
}

class KeychainStore final : public platform::CredentialStore {
 public:
  explicit KeychainStore(KeychainOptions options) : options_(std::move(options)) {}

  Result<std::optional<SecretString>> load(const SlotKey &key) override {
    auto query = base_query(key.issuer, key);
    if (!query) return std::move(query).error();
    CFDictionarySetValue(query->get(), kSecReturnData, kCFBooleanTrue);
    CFDictionarySetValue(query->get(), kSecMatchLimit, kSecMatchLimitOne);
    CFTypeRef out = nullptr;
    const OSStatus status = SecItemCopyMatching(query->get(), &out);
    CfRef<CFTypeRef> owned(out);
    if (status == errSecItemNotFound) return std::optional<SecretString>{};
    if (status != errSecSuccess) return keychain_error(status, "read " + key.issuer);
    if (!owned || CFGetTypeID(owned.get()) != CFDataGetTypeID()) {
      return make_error(ErrorCode::storage_corrupt, "macOS Keychain: the item for " + key.issuer + " holds no data");
    }
    const auto data = static_cast<CFDataRef>(owned.get());
    const UInt8 *bytes = CFDataGetBytePtr(data);
    const auto size = static_cast<std::size_t>(CFDataGetLength(data));
    SecretString record(std::string(reinterpret_cast<const char *>(bytes), size));
    // SecItemCopyMatching made this CFData for this call and we hold its only reference, so its
    // bytes are ours to overwrite; CFData has no mutable view, hence the cast.
    if (bytes && size > 0) secure_wipe(const_cast<UInt8 *>(bytes), size);
    return std::optional<SecretString>{std::move(record)};
  }

  Result<void> save(const SlotKey &key, const SecretString &record) override {
    auto query = base_query(key.issuer, key);
    if (!query) return std::move(query).error();
    // No copy of the record in Core Foundation memory: the CFData points at the SecretString.
    CfRef<CFDataRef> data(CFDataCreateWithBytesNoCopy(kCFAllocatorDefault,
                                                      reinterpret_cast<const UInt8 *>(record.reveal().data()),
                                                      static_cast<CFIndex>(record.size()), kCFAllocatorNull));
    const std::string app = options_.app_name.empty() ? key.client_id : options_.app_name;
    auto label = cf_string(app + " \xE2\x80\x94 " + key.issuer);  // U+2014 EM DASH
    auto update = new_dictionary();
    if (!data || !update) return make_error(ErrorCode::internal, "macOS Keychain: out of memory");
    if (!label) return not_utf8("app_name");
    CFDictionarySetValue(update.get(), kSecValueData, data.get());
    CFDictionarySetValue(update.get(), kSecAttrLabel, label.get());
    CFDictionarySetValue(update.get(), kSecAttrAccessible, kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly);

    // Update in place when the item exists (one keychain write, the item is never absent); add it
    // otherwise. Another process may add or delete between the two, hence one more round.
    for (int round = 0; round < 2; ++round) {
      OSStatus status = SecItemUpdate(query->get(), update.get());
      if (status == errSecSuccess) return {};
      if (status != errSecItemNotFound) return keychain_error(status, "update " + key.issuer);
      auto add = CfRef<CFMutableDictionaryRef>(CFDictionaryCreateMutableCopy(kCFAllocatorDefault, 0, query->get()));
      if (!add) return make_error(ErrorCode::internal, "macOS Keychain: out of memory");
      CFDictionarySetValue(add.get(), kSecValueData, data.get());
      CFDictionarySetValue(add.get(), kSecAttrLabel, label.get());
      CFDictionarySetValue(add.get(), kSecAttrAccessible, kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly);
      status = SecItemAdd(add.get(), nullptr);
      if (status == errSecSuccess) return {};
      if (status != errSecDuplicateItem) return keychain_error(status, "add " + key.issuer);
    }
    return make_error(ErrorCode::storage_unavailable,
                      "macOS Keychain: the item for " + key.issuer + " kept changing while it was being saved");
  }

  Result<void> erase(const SlotKey &key) override {
    auto query = base_query(key.issuer, key);
    if (!query) return std::move(query).error();
    const OSStatus status = SecItemDelete(query->get());
    if (status == errSecSuccess || status == errSecItemNotFound) return {};
    return keychain_error(status, "delete " + key.issuer);
  }

  Result<std::vector<SlotKey>> list(const std::string &issuer) override {
    auto query = base_query(issuer, std::nullopt);
    if (!query) return std::move(query).error();
    CFDictionarySetValue(query->get(), kSecReturnAttributes, kCFBooleanTrue);
    CFDictionarySetValue(query->get(), kSecMatchLimit, kSecMatchLimitAll);
    CFTypeRef out = nullptr;
    const OSStatus status = SecItemCopyMatching(query->get(), &out);
    CfRef<CFTypeRef> owned(out);
    std::vector<SlotKey> keys;
    if (status == errSecItemNotFound) return keys;
    if (status != errSecSuccess) return keychain_error(status, "list " + issuer);
    if (!owned || CFGetTypeID(owned.get()) != CFArrayGetTypeID()) return keys;
    const auto items = static_cast<CFArrayRef>(owned.get());
    for (CFIndex i = 0, n = CFArrayGetCount(items); i < n; ++i) {
      const auto item = static_cast<CFDictionaryRef>(CFArrayGetValueAtIndex(items, i));
      if (!item || CFGetTypeID(item) != CFDictionaryGetTypeID()) continue;
      const auto account = static_cast<CFStringRef>(CFDictionaryGetValue(item, kSecAttrAccount));
      if (!account || CFGetTypeID(account) != CFStringGetTypeID()) continue;
      auto parts = split_account(utf8(account));
      if (!parts) continue;  // an item of this service that nativeauth did not write
      keys.push_back(SlotKey{issuer, std::move(parts->first), std::move(parts->second)});
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

 private:
  const KeychainOptions options_;
};

}  // namespace

Result<std::shared_ptr<platform::CredentialStore>> make_keychain_store(const KeychainOptions &options) {
  return std::shared_ptr<platform::CredentialStore>(std::make_shared<KeychainStore>(options));
}

}  // namespace nativeauth
