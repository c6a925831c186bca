// SPDX-License-Identifier: Apache-2.0
// make_callback_store(): the host app's functions are called as given, and their throws are contained.
#include <nativeauth/storage.hpp>

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

namespace nativeauth {
namespace {

using platform::SlotKey;

TEST(CallbackStore, RoundTripThroughHostFunctions) {
  std::map<SlotKey, std::string> host;  // what the host's keychain would hold
  CallbackStoreFunctions f;
  f.load = [&](const SlotKey &k) -> Result<std::optional<SecretString>> {
    const auto it = host.find(k);
    if (it == host.end()) return std::optional<SecretString>{};
    return std::optional<SecretString>{SecretString(it->second)};
  };
  f.save = [&](const SlotKey &k, const SecretString &r) -> Result<void> {
    host[k] = std::string(r.reveal());
    return {};
  };
  f.erase = [&](const SlotKey &k) -> Result<void> {
    host.erase(k);
    return {};
  };
  f.list = [&](const std::string &issuer) -> Result<std::vector<SlotKey>> {
    std::vector<SlotKey> out;
    for (const auto &e : host)
      if (e.first.issuer == issuer) out.push_back(e.first);
    return out;
  };
  auto store = make_callback_store(f);
  ASSERT_TRUE(store);
  const SlotKey a{"https://i", "app-a", "default"};
  const SlotKey b{"https://i", "app-b", "default"};
  ASSERT_TRUE((*store)->save(a, SecretString("record-a")));
  ASSERT_TRUE((*store)->save(b, SecretString("record-b")));
  auto loaded = (*store)->load(a);
  ASSERT_TRUE(loaded);
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->reveal(), "record-a");
  auto slots = (*store)->list("https://i");
  ASSERT_TRUE(slots);
  EXPECT_EQ(slots->size(), 2u);
  ASSERT_TRUE((*store)->erase(a));
  auto gone = (*store)->load(a);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(host.size(), 1u);
}

TEST(CallbackStore, MissingFunctionIsRefused) {
  CallbackStoreFunctions f;
  f.load = [](const SlotKey &) -> Result<std::optional<SecretString>> { return std::optional<SecretString>{}; };
  auto store = make_callback_store(f);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::invalid_argument);
}

TEST(CallbackStore, HostExceptionsBecomeErrors) {
  CallbackStoreFunctions f;
  f.load = [](const SlotKey &) -> Result<std::optional<SecretString>> { throw std::runtime_error("keystore gone"); };
  f.save = [](const SlotKey &, const SecretString &) -> Result<void> { throw 42; };
  f.erase = [](const SlotKey &) -> Result<void> { return make_error(ErrorCode::storage_locked, "device locked"); };
  f.list = [](const std::string &) -> Result<std::vector<SlotKey>> { return std::vector<SlotKey>{}; };
  auto store = make_callback_store(f);
  ASSERT_TRUE(store);
  auto l = (*store)->load({"i", "c", "p"});
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code, ErrorCode::storage_unavailable);
  auto s = (*store)->save({"i", "c", "p"}, SecretString("x"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::storage_unavailable);
  auto e = (*store)->erase({"i", "c", "p"});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, ErrorCode::storage_locked) << "the host's own error passes through";
}

}  // namespace
}  // namespace nativeauth
