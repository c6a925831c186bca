// SPDX-License-Identifier: Apache-2.0
// The libsecret keychain store against a real gnome-keyring Secret Service, checked through the store
// and from outside with secret-tool. Run it through tests/support/keyring-env, which gives it a private
// bus and a throw-away unlocked keyring; anywhere else it fails rather than touch someone's keyring.
//
// KeychainLocked.* also pass under NATIVEAUTH_KEYRING_LOCKED=1 (the keyring starts locked);
// everything else needs the unlocked keyring.

// secret_service_encode_dbus_secret(): the tests unlock the keyring again with its password.
#define SECRET_API_SUBJECT_TO_CHANGE 1

#include <nativeauth/storage.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <libsecret/secret.h>

extern char **environ;  // POSIX leaves this declaration to the program.

namespace nativeauth {
namespace {

using platform::CredentialStore;
using platform::SlotKey;
using Clock = std::chrono::steady_clock;

constexpr char kAppName[] = "Keychain Test";

// ---------------------------------------------------------------------------------------------
// Child processes (secret-tool plays "another process")

struct ChildResult {
  int status = -1;  // exit code, 128 + signal, or -1 when it could not run
  std::string out;
  std::string err;
};

ChildResult run(const std::vector<std::string> &argv, const std::string &input = {}) {
  ChildResult result;
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) return result;
  if (pipe2(out, O_CLOEXEC) != 0) return result;
  if (pipe2(err, O_CLOEXEC) != 0) return result;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<char *> args;
  for (const auto &a : argv) args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    result.err = std::string("spawn failed: ") + std::strerror(rc);
    return result;
  }
  int in_fd = in[1];
  std::size_t written = 0;
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  int fds[2] = {out[0], err[0]};
  std::string *sinks[2] = {&result.out, &result.err};
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while ((fds[0] >= 0 || fds[1] >= 0 || in_fd >= 0) && Clock::now() < deadline) {
    pollfd p[3] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}, {in_fd, POLLOUT, 0}};
    if (poll(p, 3, 1000) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[8192];
      const ssize_t n = read(fds[i], buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i]);
        fds[i] = -1;
      }
    }
    if (in_fd >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = write(in_fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) written = input.size();
      if (written == input.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
  }
  for (int fd : {fds[0], fds[1], in_fd}) {
    if (fd >= 0) close(fd);
  }
  if (Clock::now() >= deadline) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::vector<std::string> slot_attributes(const SlotKey &key) {
  return {"issuer", key.issuer, "client_id", key.client_id, "profile", key.profile};
}

std::vector<std::string> secret_tool(const std::string &command, const SlotKey &key) {
  std::vector<std::string> argv = {"secret-tool", command};
  if (command == "search") argv.push_back("--all");
  for (auto &a : slot_attributes(key)) argv.push_back(std::move(a));
  return argv;
}

// Items secret-tool search shows: one "[/org/freedesktop/secrets/collection/...]" line each.
int item_count(const std::string &search_output) {
  int n = 0;
  std::istringstream lines(search_output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] == '[') ++n;
  }
  return n;
}

std::string search_line(const std::string &search_output, const std::string &prefix) {
  std::istringstream lines(search_output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// The keyring itself, for the locked-collection tests (libsecret directly, on the test's side)

struct GErrorDeleter {
  void operator()(GError *e) const { g_error_free(e); }
};
using GErrorPtr = std::unique_ptr<GError, GErrorDeleter>;

std::string gerror_text(GError *e) { return e ? e->message : "no error"; }

SecretService *service() {
  GError *raw = nullptr;
  SecretService *s = secret_service_get_sync(SECRET_SERVICE_OPEN_SESSION, nullptr, &raw);
  GErrorPtr err(raw);
  EXPECT_NE(s, nullptr) << gerror_text(raw);
  return s;
}

SecretCollection *default_collection(SecretService *s) {
  GError *raw = nullptr;
  SecretCollection *c = secret_collection_for_alias_sync(s, SECRET_COLLECTION_DEFAULT, SECRET_COLLECTION_NONE, nullptr,
                                                         &raw);
  GErrorPtr err(raw);
  EXPECT_NE(c, nullptr) << gerror_text(raw);
  return c;
}

bool keyring_locked() {
  SecretService *s = service();
  if (!s) return false;
  SecretCollection *c = default_collection(s);
  const bool locked = c && secret_collection_get_locked(c);
  if (c) g_object_unref(c);
  g_object_unref(s);
  return locked;
}

// Secret Service Lock(): no prompt needed.
bool lock_keyring() {
  SecretService *s = service();
  if (!s) return false;
  SecretCollection *c = default_collection(s);
  bool ok = false;
  if (c) {
    GList objects = {c, nullptr, nullptr};
    GError *raw = nullptr;
    ok = secret_service_lock_sync(s, &objects, nullptr, nullptr, &raw) == 1;
    GErrorPtr err(raw);
    EXPECT_TRUE(ok) << gerror_text(raw);
    g_object_unref(c);
  }
  g_object_unref(s);
  return ok;
}

// Unlocking needs the password: gnome-keyring's own interface for that, as its tests do.
bool unlock_keyring() {
  const char *password = std::getenv("NATIVEAUTH_KEYRING_PASSWORD");
  if (!password) return false;
  SecretService *s = service();
  if (!s) return false;
  SecretCollection *c = default_collection(s);
  bool ok = false;
  if (c) {
    SecretValue *value = secret_value_new(password, -1, "text/plain");
    GVariant *secret = secret_service_encode_dbus_secret(s, value);
    secret_value_unref(value);
    GError *raw = nullptr;
    GVariant *reply = g_dbus_connection_call_sync(
        g_dbus_proxy_get_connection(G_DBUS_PROXY(s)), "org.freedesktop.secrets", "/org/freedesktop/secrets",
        "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface", "UnlockWithMasterPassword",
        g_variant_new("(o@(oayays))", g_dbus_proxy_get_object_path(G_DBUS_PROXY(c)), secret), nullptr,
        G_DBUS_CALL_FLAGS_NONE, -1, nullptr, &raw);
    GErrorPtr err(raw);
    ok = reply != nullptr;
    EXPECT_TRUE(ok) << gerror_text(raw);
    if (reply) g_variant_unref(reply);
    g_object_unref(c);
  }
  g_object_unref(s);
  return ok && !keyring_locked();
}

std::string keyring_log() {
  const char *path = std::getenv("NATIVEAUTH_KEYRING_LOG");
  if (!path) return {};
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---------------------------------------------------------------------------------------------

std::string random_text(std::size_t size, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(0x20, 0x7e);
  std::string s = "{\"v\":1,\"blob\":\"";
  while (s.size() < size - 2) {
    char c = static_cast<char>(dist(gen));
    s += (c == '"' || c == '\\') ? 'x' : c;
  }
  return s + "\"}";
}

std::string record_for(const SlotKey &key) {
  return "{\"v\":1,\"refresh_token\":\"rt-" + key.client_id + "-" + key.profile + "-" +
         std::to_string(static_cast<unsigned>(getpid())) + "\"}";
}

class Keychain : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(std::getenv("DBUS_SESSION_BUS_ADDRESS"), nullptr)
        << "no D-Bus session bus: run this test through tests/support/keyring-env";
    const char *marker = std::getenv("NATIVEAUTH_KEYRING_ENV");
    ASSERT_TRUE(marker && std::string(marker) == "1")
        << "run this test through tests/support/keyring-env: it locks, stops and fills the keyring, so it "
           "refuses to run against your own";
    store_ = make(kAppName);
    ASSERT_TRUE(store_);
    const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
    issuer_ = std::string("https://keychain-test.invalid/") + info->name() + "/" + std::to_string(getpid());
  }

  void TearDown() override {
    if (!store_) return;
    for (const auto &issuer : issuers_used()) {
      auto slots = store_->list(issuer);
      if (!slots) continue;
      for (const auto &slot : *slots) (void)store_->erase(slot);
    }
  }

  static std::shared_ptr<CredentialStore> make(const std::string &app_name,
                                               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    KeychainOptions options;
    options.app_name = app_name;
    options.timeout = timeout;
    auto store = make_keychain_store(options);
    EXPECT_TRUE(store) << store.error().to_string();
    return store ? *store : nullptr;
  }

  std::vector<std::string> issuers_used() const { return {issuer_, issuer_ + "/other"}; }

  SlotKey slot(const std::string &client_id = "app-a", const std::string &profile = "default") const {
    return SlotKey{issuer_, client_id, profile};
  }

  void expect_record(const SlotKey &key, const std::string &expected) {
    auto loaded = store_->load(key);
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    ASSERT_TRUE(loaded->has_value()) << key.client_id << "/" << key.profile << " is empty";
    EXPECT_EQ((*loaded)->reveal(), expected) << key.client_id << "/" << key.profile;
  }

  void expect_empty(const SlotKey &key) {
    auto loaded = store_->load(key);
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    EXPECT_FALSE(loaded->has_value()) << key.client_id << "/" << key.profile << " is not empty";
  }

  void save(const SlotKey &key, const std::string &record) {
    auto saved = store_->save(key, SecretString(record));
    ASSERT_TRUE(saved) << saved.error().to_string();
  }

  std::shared_ptr<CredentialStore> store_;
  std::string issuer_;
};

TEST_F(Keychain, SaveLoadListEraseRoundTrip) {
  const SlotKey key = slot();
  const std::string record = record_for(key);
  save(key, record);
  expect_record(key, record);
  auto listed = store_->list(issuer_);
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_EQ(*listed, std::vector<SlotKey>{key});
  auto erased = store_->erase(key);
  ASSERT_TRUE(erased) << erased.error().to_string();
  expect_empty(key);
  listed = store_->list(issuer_);
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_TRUE(listed->empty());
  EXPECT_EQ(item_count(run(secret_tool("search", key)).out), 0);
}

TEST_F(Keychain, SaveReplacesTheItem) {
  const SlotKey key = slot();
  save(key, "{\"v\":1,\"n\":\"first\"}");
  save(key, "{\"v\":1,\"n\":\"second, and longer\"}");
  expect_record(key, "{\"v\":1,\"n\":\"second, and longer\"}");
  auto found = run(secret_tool("search", key));
  ASSERT_EQ(found.status, 0) << found.err;
  EXPECT_EQ(item_count(found.out), 1) << "a save must replace the item, not add one";
  EXPECT_EQ(found.out.find("first"), std::string::npos);
}

// The slot's attributes as libsecret takes them, schema name included; borrows the key's strings.
GHashTable *slot_attribute_table(const SlotKey &key) {
  GHashTable *attrs = g_hash_table_new(g_str_hash, g_str_equal);
  g_hash_table_insert(attrs, const_cast<char *>("xdg:schema"), const_cast<char *>("io.nativeauth.Slot"));
  g_hash_table_insert(attrs, const_cast<char *>("issuer"), const_cast<char *>(key.issuer.c_str()));
  g_hash_table_insert(attrs, const_cast<char *>("client_id"), const_cast<char *>(key.client_id.c_str()));
  g_hash_table_insert(attrs, const_cast<char *>("profile"), const_cast<char *>(key.profile.c_str()));
  return attrs;
}

// A second item of the same slot, made the way no nativeauth save does it (CreateItem without
// replace): what a slot copied between collections, or written by another tool, looks like.
void create_duplicate(const SlotKey &key, const std::string &record) {
  SecretService *s = service();
  ASSERT_NE(s, nullptr);
  SecretCollection *c = default_collection(s);
  ASSERT_NE(c, nullptr);
  GHashTable *attrs = slot_attribute_table(key);
  SecretValue *value = secret_value_new(record.c_str(), -1, "text/plain");
  GError *raw = nullptr;
  SecretItem *item = secret_item_create_sync(c, nullptr, attrs, "a duplicate", value, SECRET_ITEM_CREATE_NONE, nullptr,
                                             &raw);
  GErrorPtr err(raw);
  EXPECT_NE(item, nullptr) << gerror_text(raw);
  if (item) g_object_unref(item);
  secret_value_unref(value);
  g_hash_table_unref(attrs);
  g_object_unref(c);
  g_object_unref(s);
}

// The secret of every item of the slot, in the service's order (secret-tool search --all prints them).
std::vector<std::string> secrets_of_every_item(const SlotKey &key) {
  std::vector<std::string> secrets;
  SecretService *s = service();
  if (!s) return secrets;
  GHashTable *attrs = slot_attribute_table(key);
  GError *raw = nullptr;
  GList *items = secret_service_search_sync(
      s, nullptr, attrs, static_cast<SecretSearchFlags>(SECRET_SEARCH_ALL | SECRET_SEARCH_LOAD_SECRETS), nullptr, &raw);
  GErrorPtr err(raw);
  EXPECT_EQ(raw, nullptr) << gerror_text(raw);
  for (GList *l = items; l != nullptr; l = l->next) {
    SecretValue *value = secret_item_get_secret(SECRET_ITEM(l->data));
    secrets.push_back(value ? secret_value_get_text(value) : "<no secret>");
    if (value) secret_value_unref(value);
  }
  g_list_free_full(items, g_object_unref);
  g_hash_table_unref(attrs);
  g_object_unref(s);
  return secrets;
}

TEST_F(Keychain, SaveUpdatesEveryItemOfTheSlot) {
  // load() reads the first unlocked match in the service's order; if a save left a stale duplicate,
  // a later load could hand back a refresh token already rotated, and the provider would end the
  // session as a replay.
  const SlotKey key = slot();
  save(key, "{\"v\":1,\"n\":\"first\"}");
  create_duplicate(key, "{\"v\":1,\"n\":\"stale copy\"}");
  ASSERT_EQ(secrets_of_every_item(key).size(), 2u);
  save(key, "{\"v\":1,\"n\":\"rotated\"}");
  EXPECT_EQ(secrets_of_every_item(key),
            (std::vector<std::string>{"{\"v\":1,\"n\":\"rotated\"}", "{\"v\":1,\"n\":\"rotated\"}"}));
  expect_record(key, "{\"v\":1,\"n\":\"rotated\"}");
  auto erased = store_->erase(key);
  ASSERT_TRUE(erased) << erased.error().to_string();
  EXPECT_TRUE(secrets_of_every_item(key).empty()) << "erase removes every copy";
}

TEST_F(Keychain, ClientsAndProfilesNeverSeeEachOther) {
  const std::vector<SlotKey> keys = {slot("app-a", "default"), slot("app-a", "work"), slot("app-b", "default"),
                                     slot("app-b", "work")};
  for (const auto &k : keys) save(k, record_for(k));
  for (const auto &k : keys) expect_record(k, record_for(k));
  auto erased = store_->erase(keys[1]);
  ASSERT_TRUE(erased) << erased.error().to_string();
  expect_empty(keys[1]);
  expect_record(keys[0], record_for(keys[0]));
  expect_record(keys[2], record_for(keys[2]));
  expect_record(keys[3], record_for(keys[3]));
  auto listed = store_->list(issuer_);
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_EQ(*listed, (std::vector<SlotKey>{keys[0], keys[2], keys[3]}));
}

TEST_F(Keychain, ListReturnsExactlyThatIssuersSlots) {
  const SlotKey other{issuer_ + "/other", "app-a", "default"};  // a longer issuer, not a prefix match
  save(other, record_for(other));
  const std::vector<SlotKey> mine = {slot("app-b", "default"), slot("app-a", "work"), slot("app-a", "default")};
  for (const auto &k : mine) save(k, record_for(k));
  auto listed = store_->list(issuer_);
  ASSERT_TRUE(listed) << listed.error().to_string();
  std::vector<SlotKey> expected = mine;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*listed, expected) << "sorted, this issuer only";
  auto others = store_->list(other.issuer);
  ASSERT_TRUE(others) << others.error().to_string();
  EXPECT_EQ(*others, std::vector<SlotKey>{other});
  auto none = store_->list("https://keychain-test.invalid/nobody");
  ASSERT_TRUE(none) << none.error().to_string();
  EXPECT_TRUE(none->empty());
}

TEST_F(Keychain, SecretToolFindsTheSlotAndPrintsTheRecord) {
  const SlotKey key = slot("app-a", "work");
  const std::string record = record_for(key);
  save(key, record);
  auto found = run(secret_tool("search", key));
  ASSERT_EQ(found.status, 0) << found.err;
  EXPECT_EQ(item_count(found.out), 1) << found.out;
  EXPECT_EQ(search_line(found.out, "label = "), std::string("label = ") + kAppName + " \u2014 " + issuer_);
  EXPECT_EQ(search_line(found.out, "schema = "), "schema = io.nativeauth.Slot");
  // secret-tool 0.20 prints the attributes on stderr.
  const std::string all = found.out + found.err;
  EXPECT_EQ(search_line(all, "attribute.issuer = "), "attribute.issuer = " + issuer_) << all;
  EXPECT_EQ(search_line(all, "attribute.client_id = "), "attribute.client_id = app-a");
  EXPECT_EQ(search_line(all, "attribute.profile = "), "attribute.profile = work");
  auto looked_up = run(secret_tool("lookup", key));
  ASSERT_EQ(looked_up.status, 0) << looked_up.err;
  EXPECT_EQ(looked_up.out, record) << "secret-tool lookup prints exactly the record";
  auto cleared = run(secret_tool("clear", key));
  ASSERT_EQ(cleared.status, 0) << cleared.err;
  expect_empty(key);
}

TEST_F(Keychain, LabelNamesTheAppAndIssuerNeverTheSecret) {
  const SlotKey key = slot();
  const std::string record = "{\"v\":1,\"refresh_token\":\"label-must-not-show-this\"}";
  save(key, record);
  auto found = run(secret_tool("search", key));
  ASSERT_EQ(found.status, 0) << found.err;
  const std::string label = search_line(found.out, "label = ");
  EXPECT_NE(label.find(kAppName), std::string::npos) << label;
  EXPECT_NE(label.find(issuer_), std::string::npos) << label;
  EXPECT_EQ(label.find("label-must-not-show-this"), std::string::npos) << label;

  // Without an app name, the label names the client_id.
  store_ = make("");
  ASSERT_TRUE(store_);
  const SlotKey other = slot("app-without-name");
  save(other, record);
  found = run(secret_tool("search", other));
  EXPECT_EQ(search_line(found.out, "label = "), "label = app-without-name \u2014 " + issuer_);
}

TEST_F(Keychain, LargeAndBinaryRecordsRoundTrip) {
  const SlotKey key = slot();
  const std::string large = random_text(64 * 1024, 7);
  save(key, large);
  expect_record(key, large);
  EXPECT_EQ(run(secret_tool("lookup", key)).out, large);

  std::string binary;
  for (int i = 0; i < 512; ++i) binary += static_cast<char>(i & 0xff);  // NULs and non-UTF-8 included
  save(key, binary);
  expect_record(key, binary);

  auto too_large = store_->save(key, SecretString(std::string((1u << 20) + 1, 'x')));
  ASSERT_FALSE(too_large);
  EXPECT_EQ(too_large.error().code, ErrorCode::invalid_argument);
  expect_record(key, binary);  // untouched
}

TEST_F(Keychain, EmptySlotLoadsNulloptAndErasesFine) {
  expect_empty(slot("never-saved"));
  auto erased = store_->erase(slot("never-saved"));
  EXPECT_TRUE(erased) << erased.error().to_string();
  auto listed = store_->list(issuer_);
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_TRUE(listed->empty());
}

TEST_F(Keychain, InvalidSlotsAreRefusedBeforeTheKeyring) {
  for (const SlotKey &bad :
       {SlotKey{"", "app", "default"}, SlotKey{issuer_, "", "default"},
        SlotKey{issuer_, std::string("a\0b", 3), "default"}, SlotKey{issuer_, "app", "\xff\xfe"}}) {
    auto saved = store_->save(bad, SecretString("x"));
    ASSERT_FALSE(saved);
    EXPECT_EQ(saved.error().code, ErrorCode::invalid_argument) << saved.error().to_string();
    auto loaded = store_->load(bad);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, ErrorCode::invalid_argument);
  }
  auto bad_options = make_keychain_store(KeychainOptions{"x", std::chrono::milliseconds(0)});
  ASSERT_FALSE(bad_options);
  EXPECT_EQ(bad_options.error().code, ErrorCode::invalid_argument);
}

TEST_F(Keychain, ConcurrentCallsOnDistinctSlotsAllSucceed) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 15;
  std::atomic<int> failures{0};
  std::vector<std::string> problems(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const SlotKey key = slot("app-" + std::to_string(t));
      for (int i = 0; i < kRounds; ++i) {
        const std::string record = "{\"v\":1,\"thread\":" + std::to_string(t) + ",\"round\":" + std::to_string(i) + "}";
        auto saved = store_->save(key, SecretString(record));
        auto loaded = store_->load(key);
        if (!saved || !loaded || !loaded->has_value() || (*loaded)->reveal() != record) {
          ++failures;
          problems[static_cast<std::size_t>(t)] = !saved    ? saved.error().to_string()
                                                  : !loaded ? loaded.error().to_string()
                                                            : "wrong or missing record in round " + std::to_string(i);
          return;
        }
      }
    });
  }
  for (auto &th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  for (const auto &p : problems) EXPECT_TRUE(p.empty()) << p;
  auto listed = store_->list(issuer_);
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_EQ(listed->size(), static_cast<std::size_t>(kThreads));
}

TEST_F(Keychain, ReadsARecordAnotherProcessStored) {
  const SlotKey key = slot("app-from-elsewhere", "ci");
  const std::string record = "{\"v\":1,\"from\":\"secret-tool\"}";
  std::vector<std::string> argv = {"secret-tool", "store", "--label=stored by another process", "xdg:schema",
                                   "io.nativeauth.Slot"};
  for (auto &a : slot_attributes(key)) argv.push_back(std::move(a));
  auto stored = run(argv, record);
  ASSERT_EQ(stored.status, 0) << stored.err;
  expect_record(key, record);
  auto listed = store_->list(issuer_);
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_EQ(*listed, std::vector<SlotKey>{key});
}

TEST_F(Keychain, ItemsOfOtherSchemasAreNeverTouched) {
  // The same attribute names without xdg:schema=io.nativeauth.Slot: another application's item.
  const SlotKey key = slot("someone-else");
  std::vector<std::string> argv = {"secret-tool", "store", "--label=not ours"};
  for (auto &a : slot_attributes(key)) argv.push_back(std::move(a));
  ASSERT_EQ(run(argv, "theirs").status, 0);
  expect_empty(key);
  auto listed = store_->list(issuer_);
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_TRUE(listed->empty());
  auto erased = store_->erase(key);
  EXPECT_TRUE(erased) << erased.error().to_string();
  EXPECT_EQ(run(secret_tool("lookup", key)).out, "theirs") << "erase() left the foreign item alone";
  EXPECT_EQ(run(secret_tool("clear", key)).status, 0);
}

// A keyring that does not answer (here: its daemon stopped) costs at most the timeout per call.
TEST_F(Keychain, CallsGiveUpAfterTheTimeout) {
  const char *pid_text = std::getenv("NATIVEAUTH_KEYRING_PID");
  ASSERT_NE(pid_text, nullptr) << "keyring-env exports NATIVEAUTH_KEYRING_PID";
  const pid_t daemon = static_cast<pid_t>(std::atoi(pid_text));
  ASSERT_GT(daemon, 0);
  store_ = make(kAppName, std::chrono::milliseconds(1000));
  const SlotKey key = slot();
  save(key, "{\"v\":1}");  // connected, session open: what times out below is the operation itself

  struct Resume {
    pid_t pid;
    ~Resume() { kill(pid, SIGCONT); }
  } resume{daemon};
  ASSERT_EQ(kill(daemon, SIGSTOP), 0) << std::strerror(errno);

  auto start = Clock::now();
  auto loaded = store_->load(key);
  auto elapsed = Clock::now() - start;
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::storage_locked) << loaded.error().to_string();
  EXPECT_NE(loaded.error().message.find("did not answer within 1 s"), std::string::npos) << loaded.error().message;
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::seconds(3));

  start = Clock::now();
  auto saved = store_->save(key, SecretString("{\"v\":2}"));
  elapsed = Clock::now() - start;
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().code, ErrorCode::storage_locked) << saved.error().to_string();
  EXPECT_LT(elapsed, std::chrono::seconds(3));

  ASSERT_EQ(kill(daemon, SIGCONT), 0);
  // The daemon answers the cancelled calls late; that must not disturb the next ones.
  expect_record(key, "{\"v\":1}");
  save(key, "{\"v\":3}");
  expect_record(key, "{\"v\":3}");
}

// The first call of a process connects and opens a Secret Service session: bounded the same way, and a
// cancelled connect leaves nothing behind that breaks the next call. (Run alone, as ctest does, this is
// the process's first call; after other tests in one process it times out in the operation instead.)
TEST_F(Keychain, FirstCallGivesUpAfterTheTimeoutToo) {
  const char *pid_text = std::getenv("NATIVEAUTH_KEYRING_PID");
  ASSERT_NE(pid_text, nullptr) << "keyring-env exports NATIVEAUTH_KEYRING_PID";
  const pid_t daemon = static_cast<pid_t>(std::atoi(pid_text));
  ASSERT_GT(daemon, 0);
  store_ = make(kAppName, std::chrono::milliseconds(700));
  {
    struct Resume {
      pid_t pid;
      ~Resume() { kill(pid, SIGCONT); }
    } resume{daemon};
    ASSERT_EQ(kill(daemon, SIGSTOP), 0) << std::strerror(errno);
    for (int i = 0; i < 2; ++i) {
      const auto start = Clock::now();
      auto loaded = store_->load(slot());
      const auto elapsed = Clock::now() - start;
      ASSERT_FALSE(loaded);
      EXPECT_EQ(loaded.error().code, ErrorCode::storage_locked) << loaded.error().to_string();
      EXPECT_NE(loaded.error().message.find("did not answer within 0.7 s"), std::string::npos)
          << loaded.error().message;
      EXPECT_LT(elapsed, std::chrono::milliseconds(2700));
    }
  }
  save(slot(), "{\"v\":1}");
  expect_record(slot(), "{\"v\":1}");
}

// ---------------------------------------------------------------------------------------------
// A locked default collection: every operation says so, and nothing shows a prompt.

class KeychainLocked : public Keychain {
 protected:
  void SetUp() override {
    Keychain::SetUp();
    if (HasFatalFailure()) return;
    was_locked_ = keyring_locked();
  }
  void TearDown() override {
    // Leave the keyring as found: unlocked normally, locked under NATIVEAUTH_KEYRING_LOCKED=1.
    if (!keyring_locked()) {
      Keychain::TearDown();
    } else if (!was_locked_) {
      EXPECT_TRUE(unlock_keyring());
      Keychain::TearDown();
    } else {
      if (unlock_keyring()) {
        Keychain::TearDown();
        EXPECT_TRUE(lock_keyring());
      }
    }
  }

  void expect_locked(const char *what, const Error &e) {
    EXPECT_EQ(e.code, ErrorCode::storage_locked) << what << ": " << e.to_string();
    EXPECT_NE(e.message.find("unlock"), std::string::npos) << what << ": " << e.message;
    EXPECT_NE(e.message.find("never shows an unlock prompt"), std::string::npos) << what << ": " << e.message;
  }

  bool was_locked_ = false;
};

TEST_F(KeychainLocked, EveryOperationReportsTheLockWithoutAPrompt) {
  if (keyring_locked()) {
    ASSERT_TRUE(unlock_keyring());
  }
  const SlotKey stored = slot("stored-before-lock");
  save(stored, record_for(stored));
  ASSERT_TRUE(lock_keyring());
  ASSERT_TRUE(keyring_locked());
  const std::size_t log_before = keyring_log().size();

  auto saved = store_->save(slot(), SecretString("{\"v\":1}"));
  ASSERT_FALSE(saved);
  expect_locked("save", saved.error());

  auto replaced = store_->save(stored, SecretString("{\"v\":1,\"n\":\"replaced while locked\"}"));
  ASSERT_FALSE(replaced) << "an existing item in a locked keyring is not replaced";
  expect_locked("save over a locked item", replaced.error());

  auto loaded = store_->load(stored);  // the item exists but is locked
  ASSERT_FALSE(loaded) << "a locked item must not read as an empty slot";
  expect_locked("load of a locked item", loaded.error());

  auto missing = store_->load(slot("never-saved"));  // nothing found, in a locked collection
  ASSERT_FALSE(missing) << "an empty search in a locked collection must not read as an empty slot";
  expect_locked("load of an empty slot", missing.error());

  auto erased = store_->erase(stored);
  ASSERT_FALSE(erased);
  expect_locked("erase", erased.error());

  // gnome-keyring shows the attributes of locked items, so list() still answers.
  auto listed = store_->list(issuer_);
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_EQ(*listed, std::vector<SlotKey>{stored});
  auto listed_empty = store_->list(issuer_ + "/other");
  ASSERT_FALSE(listed_empty);
  expect_locked("list with nothing found", listed_empty.error());

  const std::string log = keyring_log();
  const std::string after = log.substr(std::min(log_before, log.size()));
  EXPECT_EQ(after.find("prompt"), std::string::npos) << "the keyring was asked for a prompt:\n" << after;

  // The twin that shows the check above can fail: secret-tool does ask to unlock a locked item.
  auto prompted = run(secret_tool("lookup", stored));
  EXPECT_NE(prompted.status, 0);
  EXPECT_NE(keyring_log().find("prompt", log.size()), std::string::npos) << "prompts leave no trace in the log";

  ASSERT_TRUE(unlock_keyring());
  expect_record(stored, record_for(stored));
}

TEST_F(KeychainLocked, AFreshlyLockedKeyringRefusesEverything) {
  if (!keyring_locked()) {
    ASSERT_TRUE(lock_keyring());
  }
  const std::size_t log_before = keyring_log().size();
  auto saved = store_->save(slot(), SecretString("{\"v\":1}"));
  ASSERT_FALSE(saved);
  expect_locked("save", saved.error());
  auto loaded = store_->load(slot());
  ASSERT_FALSE(loaded);
  expect_locked("load", loaded.error());
  auto listed = store_->list(issuer_);
  ASSERT_FALSE(listed);
  expect_locked("list", listed.error());
  const std::string log = keyring_log();
  EXPECT_EQ(log.find("prompt", std::min(log_before, log.size())), std::string::npos) << log;
}

}  // namespace
}  // namespace nativeauth
