// SPDX-License-Identifier: Apache-2.0
// make_file_store(): round trips, names for awkward keys, permission refusals, corrupt files, and
// crash safety (a forked writer killed at each step of save(), by file-system calls the test wraps,
// never leaves a partial record).
#include "posix/file_store.hpp"

#include <nativeauth/storage.hpp>

#include "provider_process.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nativeauth {
namespace {

namespace fs = std::filesystem;
using platform::CredentialStore;
using platform::SlotKey;
using posix::slot_file_name;
using posix::slot_header;

const SlotKey kKey{"https://id.example.com", "my-app", "default"};

std::string read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string &path, const std::string &content, mode_t mode) {
  ::unlink(path.c_str());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ASSERT_EQ(::fchmod(fd, mode), 0);
  ::close(fd);
}

mode_t mode_of(const std::string &path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

bool exists(const std::string &path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> entries(const std::string &dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto &e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> temp_entries(const std::string &dir) {
  std::vector<std::string> out;
  for (const auto &name : entries(dir))
    if (name.rfind(posix::kTempPrefix, 0) == 0) out.push_back(name);
  return out;
}

bool contains(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

using testing::EnvGuard;

class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "nativeauth-file-store-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    root_ = tmpl;
    dir_ = root_ + "/store";
  }
  void TearDown() override {
    std::error_code ec;
    // Undo the modes tests set, then remove everything (remove_all never follows links).
    for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_directory() && !it->is_symlink()) ::chmod(it->path().c_str(), 0700);
    }
    fs::remove_all(root_, ec);
  }

  std::shared_ptr<CredentialStore> open(const std::string &dir) {
    FileStoreOptions options;
    options.directory = dir;
    auto made = make_file_store(options);
    EXPECT_TRUE(made) << made.error().to_string();
    return made ? *made : nullptr;
  }
  std::shared_ptr<CredentialStore> open() { return open(dir_); }
  // A store in dir_ whose saves make their file-system calls through `ops`.
  std::shared_ptr<CredentialStore> open(const posix::FileOps &ops) {
    FileStoreOptions options;
    options.directory = dir_;
    auto made = posix::make_file_store(options, ops);
    EXPECT_TRUE(made) << made.error().to_string();
    return made ? *made : nullptr;
  }

  std::string path_of(const SlotKey &key) const { return dir_ + "/" + slot_file_name(key); }

  static std::string load_text(CredentialStore &store, const SlotKey &key) {
    auto loaded = store.load(key);
    if (!loaded) return "<error: " + loaded.error().to_string() + ">";
    if (!loaded->has_value()) return "<empty>";
    return std::string((*loaded)->reveal());
  }

  std::string root_;
  std::string dir_;
};

// ---------------------------------------------------------------------------------------------
// Round trips

TEST_F(FileStoreTest, RoundTrip) {
  auto store = open();
  ASSERT_TRUE(store->save(kKey, SecretString(R"({"v":1,"refresh_token":"r"})")));
  EXPECT_EQ(load_text(*store, kKey), R"({"v":1,"refresh_token":"r"})");
  // Another store over the same directory (another process, in effect) reads the same record.
  EXPECT_EQ(load_text(*open(), kKey), R"({"v":1,"refresh_token":"r"})");
  EXPECT_EQ(load_text(*store, SlotKey{kKey.issuer, kKey.client_id, "other"}), "<empty>");
}

TEST_F(FileStoreTest, RecordBytesAreKeptVerbatim) {
  auto store = open();
  const std::string binary("line one\nline two\r\n\0\xff{\"}\n", 25);
  ASSERT_TRUE(store->save(kKey, SecretString(binary)));
  EXPECT_EQ(load_text(*store, kKey), binary);
  ASSERT_TRUE(store->save(kKey, SecretString("")));
  EXPECT_EQ(load_text(*store, kKey), "");  // an empty record is a record, not an empty slot
}

TEST_F(FileStoreTest, FileFormatIsHeaderLineThenRecord) {
  auto store = open();
  ASSERT_TRUE(store->save(kKey, SecretString("{\"v\":1}")));
  EXPECT_EQ(slot_header(kKey),
            R"({"nativeauth_slot":1,"issuer":"https://id.example.com","client_id":"my-app","profile":"default"})");
  EXPECT_EQ(read_file(path_of(kKey)), slot_header(kKey) + "\n{\"v\":1}");
  // The documented name scheme, pinned: docs/storage.md quotes it.
  EXPECT_EQ(slot_file_name(kKey), "https%3A%2F%2Fid.example.com+my-app+default.dc644b49d8713e4b.slot");
  EXPECT_EQ(slot_header(SlotKey{"a\"b\\c", std::string("\n\x01\0", 3), "é"}),
            "{\"nativeauth_slot\":1,\"issuer\":\"a\\\"b\\\\c\",\"client_id\":\"\\u000A\\u0001\\u0000\","
            "\"profile\":\"é\"}");
}

TEST_F(FileStoreTest, OverwriteReplacesTheRecordAndLeavesNoTempFile) {
  auto store = open();
  ASSERT_TRUE(store->save(kKey, SecretString(std::string(5000, 'a'))));
  ASSERT_TRUE(store->save(kKey, SecretString("short")));
  EXPECT_EQ(load_text(*store, kKey), "short");
  EXPECT_EQ(entries(dir_), std::vector<std::string>{slot_file_name(kKey)});
}

TEST_F(FileStoreTest, Erase) {
  auto store = open();
  ASSERT_TRUE(store->save(kKey, SecretString("x")));
  ASSERT_TRUE(store->erase(kKey));
  EXPECT_EQ(load_text(*store, kKey), "<empty>");
  EXPECT_FALSE(exists(path_of(kKey)));
  EXPECT_TRUE(store->erase(kKey));  // erasing an empty slot succeeds
  auto slots = store->list(kKey.issuer);
  ASSERT_TRUE(slots);
  EXPECT_TRUE(slots->empty());
}

TEST_F(FileStoreTest, ListByIssuerReturnsSortedKeysOfThatIssuerOnly) {
  auto store = open();
  std::vector<SlotKey> all;
  for (const char *issuer : {"https://b.example", "https://a.example"})
    for (const char *client : {"cli-2", "cli-1"})
      for (const char *profile : {"work", "default"}) all.push_back(SlotKey{issuer, client, profile});
  for (const auto &key : all) ASSERT_TRUE(store->save(key, SecretString("r")));
  // Temp files and foreign files are not slots.
  write_file(dir_ + "/.tmp-1-0000000000000000", "partial", 0600);
  write_file(dir_ + "/notes.txt", "not a slot", 0644);

  auto slots = store->list("https://a.example");
  ASSERT_TRUE(slots) << slots.error().to_string();
  const std::vector<SlotKey> expected = {
      {"https://a.example", "cli-1", "default"},
      {"https://a.example", "cli-1", "work"},
      {"https://a.example", "cli-2", "default"},
      {"https://a.example", "cli-2", "work"},
  };
  EXPECT_EQ(*slots, expected);
  auto other = store->list("https://b.example");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->size(), 4u);
  auto none = store->list("https://c.example");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  // An issuer is matched exactly, not as a prefix.
  auto prefix = store->list("https://a.exampl");
  ASSERT_TRUE(prefix);
  EXPECT_TRUE(prefix->empty());

  ASSERT_TRUE(store->erase(expected[1]));
  slots = store->list("https://a.example");
  ASSERT_TRUE(slots);
  EXPECT_EQ(slots->size(), 3u);
}

// ---------------------------------------------------------------------------------------------
// Names

TEST_F(FileStoreTest, AwkwardKeysGetDistinctSafeNamesAndRoundTrip) {
  const std::string long_issuer = "https://long.example/" + std::string(279, 'x');
  ASSERT_EQ(long_issuer.size(), 300u);
  const std::vector<SlotKey> keys = {
      kKey,
      {"https://id.example.com/tenant/abc/v2.0", "my-app", "default"},
      {"https://id.example.com/?a=b&c=d#frag%20x", "my-app", "default"},
      {"https://ïdp.example/ünï/日本", "my-app", "default"},
      {long_issuer, "my-app", "default"},
      {long_issuer.substr(0, 299) + "y", "my-app", "default"},  // same readable prefix when cut
      {"https://ID.example.com", "my-app", "default"},          // differs only in case
      {kKey.issuer, "my-app", "a/b"},
      {kKey.issuer, "my-app", ".."},
      {kKey.issuer, "my-app", "."},
      {kKey.issuer, "my-app", ""},
      {kKey.issuer, "my-app", "../../etc/passwd"},
      {kKey.issuer, "my-app", std::string("a\0b", 3)},  // std::string holds NUL; the store keeps it
      {kKey.issuer, "my-app", "a"},
      {kKey.issuer, "my-app", "line\nbreak\t\"quoted\"\\"},
      {kKey.issuer, "my-app+x", "default"},  // the separator inside a component
      {kKey.issuer, "my-app", "x+default"},
      {kKey.issuer, "my-app/", "default"},
      {kKey.issuer, "my-app%2F", "default"},
      {"", "", ""},
  };
  std::set<std::string> names, folded;
  for (const auto &key : keys) {
    const std::string name = slot_file_name(key);
    SCOPED_TRACE(name);
    EXPECT_LE(name.size(), 142u);  // < 200 asked; 143 is eCryptfs's limit
    EXPECT_NE(name[0], '.');
    EXPECT_EQ(name.substr(name.size() - 5), ".slot");
    EXPECT_TRUE(std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("._%+-").find(c) != std::string_view::npos;
    }));
    EXPECT_EQ(name, slot_file_name(key));  // deterministic
    names.insert(name);
    std::string lower = name;
    for (char &c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    folded.insert(lower);
  }
  EXPECT_EQ(names.size(), keys.size());
  EXPECT_EQ(folded.size(), keys.size());  // distinct on case-insensitive file systems too

  auto store = open();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(store->save(keys[i], SecretString("record-" + std::to_string(i)))) << i;
  }
  for (std::size_t i = 0; i < keys.size(); ++i)
    EXPECT_EQ(load_text(*store, keys[i]), "record-" + std::to_string(i)) << i;
  EXPECT_EQ(entries(dir_).size(), keys.size());  // nothing escaped into another directory
  for (const auto &issuer : std::set<std::string>{"", kKey.issuer, long_issuer, "https://ïdp.example/ünï/日本"}) {
    std::vector<SlotKey> expected;
    for (const auto &key : keys)
      if (key.issuer == issuer) expected.push_back(key);
    std::sort(expected.begin(), expected.end());
    auto listed = store->list(issuer);
    ASSERT_TRUE(listed) << listed.error().to_string();
    EXPECT_EQ(*listed, expected) << issuer;
  }
}

TEST_F(FileStoreTest, KeysThatAreNotUtf8AreRefusedCleanly) {
  auto store = open();
  const SlotKey bad_issuer{"https://id.example.com/\xff", "my-app", "default"};
  const SlotKey bad_profile{kKey.issuer, "my-app", "\xc0\xaf"};  // overlong '/'
  const SlotKey surrogate{kKey.issuer, "\xed\xa0\x80", "default"};
  for (const auto &key : {bad_issuer, bad_profile, surrogate}) {
    auto saved = store->save(key, SecretString("r"));
    ASSERT_FALSE(saved);
    EXPECT_EQ(saved.error().code, ErrorCode::invalid_argument);
    auto loaded = store->load(key);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, ErrorCode::invalid_argument);
    auto erased = store->erase(key);
    ASSERT_FALSE(erased);
    EXPECT_EQ(erased.error().code, ErrorCode::invalid_argument);
  }
  auto listed = store->list(bad_issuer.issuer);
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, ErrorCode::invalid_argument);
  EXPECT_FALSE(exists(dir_));
  // The valid twin: four-byte UTF-8 is fine.
  ASSERT_TRUE(store->save(SlotKey{kKey.issuer, "my-app", "\xf0\x9f\x94\x91"}, SecretString("r")));
}

// ---------------------------------------------------------------------------------------------
// Directory and permissions

TEST_F(FileStoreTest, NothingIsCreatedBeforeTheFirstSave) {
  const std::string dir = root_ + "/a/b/store";
  auto store = open(dir);
  EXPECT_EQ(load_text(*store, kKey), "<empty>");
  auto listed = store->list(kKey.issuer);
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
  EXPECT_TRUE(store->erase(kKey));
  EXPECT_FALSE(exists(root_ + "/a"));

  ASSERT_TRUE(store->save(kKey, SecretString("r")));
  EXPECT_EQ(mode_of(root_ + "/a"), 0700u);  // parents it creates are private too
  EXPECT_EQ(mode_of(root_ + "/a/b"), 0700u);
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(dir + "/" + slot_file_name(kKey)), 0600u);
  EXPECT_EQ(mode_of(root_), 0700u);  // an existing parent is left alone (mkdtemp made it 0700)
}

TEST_F(FileStoreTest, ExistingParentModesAreNotChanged) {
  ASSERT_EQ(::mkdir((root_ + "/shared").c_str(), 0755), 0);
  ASSERT_EQ(::chmod((root_ + "/shared").c_str(), 0755), 0);
  auto store = open(root_ + "/shared/store");
  ASSERT_TRUE(store->save(kKey, SecretString("r")));
  EXPECT_EQ(mode_of(root_ + "/shared"), 0755u);
  EXPECT_EQ(mode_of(root_ + "/shared/store"), 0700u);
}

TEST_F(FileStoreTest, RelativeDirectoryIsRefusedAndTrailingSlashIsFine) {
  FileStoreOptions options;
  options.directory = "relative/store";
  auto made = make_file_store(options);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, ErrorCode::invalid_argument);
  EXPECT_TRUE(contains(made.error().message, "relative/store"));

  auto store = open(dir_ + "//");
  ASSERT_TRUE(store->save(kKey, SecretString("r")));
  EXPECT_EQ(load_text(*open(), kKey), "r");
}

std::string octal_name(const ::testing::TestParamInfo<mode_t> &param_info) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "mode%04o", static_cast<unsigned>(param_info.param));
  return buf;
}

class FileStoreDirModeTest : public FileStoreTest, public ::testing::WithParamInterface<mode_t> {};

TEST_P(FileStoreDirModeTest, RefusesGroupOrOtherAccessibleDirectory) {
  auto store = open();
  ASSERT_TRUE(store->save(kKey, SecretString("r")));
  const mode_t mode = GetParam();
  ASSERT_EQ(::chmod(dir_.c_str(), mode), 0);
  char mode_text[8];
  std::snprintf(mode_text, sizeof mode_text, "%04o", static_cast<unsigned>(mode));

  auto check = [&](const Error &e) {
    EXPECT_EQ(e.code, ErrorCode::storage_unavailable);
    EXPECT_TRUE(contains(e.message, dir_)) << e.message;
    EXPECT_TRUE(contains(e.message, mode_text)) << e.message;
    EXPECT_TRUE(contains(e.message, "chmod 700 " + dir_)) << e.message;
  };
  auto loaded = store->load(kKey);
  ASSERT_FALSE(loaded);
  check(loaded.error());
  auto saved = store->save(kKey, SecretString("s"));
  ASSERT_FALSE(saved);
  check(saved.error());
  auto listed = store->list(kKey.issuer);
  ASSERT_FALSE(listed);
  check(listed.error());
  auto erased = store->erase(kKey);
  ASSERT_FALSE(erased);
  check(erased.error());
  EXPECT_EQ(mode_of(dir_), mode);  // never "fixed" silently
  EXPECT_TRUE(exists(path_of(kKey)));

  // The twin: once the user runs the fix, everything works again.
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  EXPECT_EQ(load_text(*store, kKey), "r");
}

INSTANTIATE_TEST_SUITE_P(Modes, FileStoreDirModeTest, ::testing::Values(0755, 0750, 0705, 0710, 0701, 0770, 0777),
                         octal_name);

class FileStoreFileModeTest : public FileStoreTest, public ::testing::WithParamInterface<mode_t> {};

TEST_P(FileStoreFileModeTest, RefusesGroupOrOtherAccessibleFile) {
  auto store = open();
  ASSERT_TRUE(store->save(kKey, SecretString("r")));
  const mode_t mode = GetParam();
  const std::string path = path_of(kKey);
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  char mode_text[8];
  std::snprintf(mode_text, sizeof mode_text, "%04o", static_cast<unsigned>(mode));

  auto loaded = store->load(kKey);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::storage_unavailable);
  EXPECT_TRUE(contains(loaded.error().message, path)) << loaded.error().message;
  EXPECT_TRUE(contains(loaded.error().message, mode_text)) << loaded.error().message;
  EXPECT_TRUE(contains(loaded.error().message, "chmod 600 " + path)) << loaded.error().message;
  auto listed = store->list(kKey.issuer);
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, ErrorCode::storage_unavailable);
  EXPECT_TRUE(contains(listed.error().message, path)) << listed.error().message;
  EXPECT_EQ(mode_of(path), mode);

  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_EQ(load_text(*store, kKey), "r");
}

INSTANTIATE_TEST_SUITE_P(Modes, FileStoreFileModeTest, ::testing::Values(0644, 0640, 0604, 0660, 0666), octal_name);

TEST_F(FileStoreTest, RefusesSymlinkedSlotFile) {
  auto store = open();
  ASSERT_TRUE(store->save(kKey, SecretString("r")));
  const std::string path = path_of(kKey);
  const std::string elsewhere = root_ + "/elsewhere.slot";
  ASSERT_EQ(::rename(path.c_str(), elsewhere.c_str()), 0);
  ASSERT_EQ(::symlink(elsewhere.c_str(), path.c_str()), 0);

  auto loaded = store->load(kKey);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::storage_unavailable);
  EXPECT_TRUE(contains(loaded.error().message, path)) << loaded.error().message;
  EXPECT_TRUE(contains(loaded.error().message, "symbolic link")) << loaded.error().message;
  auto listed = store->list(kKey.issuer);
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, ErrorCode::storage_unavailable);

  // save replaces the link itself (rename never follows it) and never writes through it.
  ASSERT_TRUE(store->save(kKey, SecretString("new")));
  EXPECT_EQ(read_file(elsewhere), slot_header(kKey) + "\nr");
  EXPECT_EQ(load_text(*store, kKey), "new");
}

TEST_F(FileStoreTest, RefusesSymlinkedDirectory) {
  const std::string real = root_ + "/real";
  ASSERT_EQ(::mkdir(real.c_str(), 0700), 0);
  ASSERT_EQ(::symlink(real.c_str(), dir_.c_str()), 0);
  auto store = open();
  for (int op = 0; op < 4; ++op) {
    Error e;
    if (op == 0) e = store->load(kKey).error();
    if (op == 1) e = store->save(kKey, SecretString("r")).error();
    if (op == 2) e = store->list(kKey.issuer).error();
    if (op == 3) e = store->erase(kKey).error();
    EXPECT_EQ(e.code, ErrorCode::storage_unavailable) << op;
    EXPECT_TRUE(contains(e.message, dir_)) << e.message;
    EXPECT_TRUE(contains(e.message, "symbolic link")) << e.message;
  }
  EXPECT_TRUE(entries(real).empty());
  // The twin: the real directory itself is fine.
  EXPECT_TRUE(open(real)->save(kKey, SecretString("r")));
}

TEST_F(FileStoreTest, RefusesSpecialFilesWithoutBlocking) {
  auto store = open();
  ASSERT_TRUE(store->save(SlotKey{kKey.issuer, "other", "default"}, SecretString("r")));
  // A FIFO under a slot's name would block a plain open(); a directory cannot be read.
  ASSERT_EQ(::mkfifo(path_of(kKey).c_str(), 0600), 0);
  auto loaded = store->load(kKey);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::storage_unavailable);
  EXPECT_TRUE(contains(loaded.error().message, "special file")) << loaded.error().message;
  ASSERT_EQ(::unlink(path_of(kKey).c_str()), 0);
  ASSERT_EQ(::mkdir(path_of(kKey).c_str(), 0700), 0);
  loaded = store->load(kKey);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::storage_unavailable);
}

TEST_F(FileStoreTest, StoreDirectoryThatIsAFileIsRefused) {
  write_file(dir_, "not a directory", 0600);
  auto store = open();
  auto saved = store->save(kKey, SecretString("r"));
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().code, ErrorCode::storage_unavailable);
  EXPECT_TRUE(contains(saved.error().message, dir_)) << saved.error().message;
}

TEST_F(FileStoreTest, RefusesDirectoryAndFileOwnedBySomeoneElse) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file away";
  auto store = open();
  ASSERT_TRUE(store->save(kKey, SecretString("r")));
  ASSERT_EQ(::chown(path_of(kKey).c_str(), 65534, 65534), 0);
  auto loaded = store->load(kKey);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::storage_unavailable);
  EXPECT_TRUE(contains(loaded.error().message, "uid 65534")) << loaded.error().message;
  ASSERT_EQ(::chown(path_of(kKey).c_str(), 0, 0), 0);
  EXPECT_EQ(load_text(*store, kKey), "r");

  ASSERT_EQ(::chown(dir_.c_str(), 65534, 65534), 0);
  loaded = store->load(kKey);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::storage_unavailable);
  EXPECT_TRUE(contains(loaded.error().message, dir_)) << loaded.error().message;
  EXPECT_TRUE(contains(loaded.error().message, "uid 65534")) << loaded.error().message;
}

// ---------------------------------------------------------------------------------------------
// Default directory

TEST_F(FileStoreTest, DefaultDirectoryIsUnderXdgStateHome) {
  const EnvGuard xdg("XDG_STATE_HOME", (root_ + "/state").c_str());
  const EnvGuard home("HOME", (root_ + "/home").c_str());
  auto made = make_file_store();
  ASSERT_TRUE(made);
  ASSERT_TRUE((*made)->save(kKey, SecretString("r")));
  EXPECT_TRUE(exists(root_ + "/state/nativeauth/" + slot_file_name(kKey)));
  EXPECT_EQ(mode_of(root_ + "/state"), 0700u);
  EXPECT_FALSE(exists(root_ + "/home"));
}

TEST_F(FileStoreTest, RelativeXdgStateHomeIsIgnoredForHome) {
  const EnvGuard xdg("XDG_STATE_HOME", "relative/state");
  const EnvGuard home("HOME", (root_ + "/home").c_str());
  ASSERT_EQ(::mkdir((root_ + "/home").c_str(), 0755), 0);
  auto made = make_file_store();
  ASSERT_TRUE(made);
  ASSERT_TRUE((*made)->save(kKey, SecretString("r")));
  EXPECT_TRUE(exists(root_ + "/home/.local/state/nativeauth/" + slot_file_name(kKey)));
  EXPECT_EQ(mode_of(root_ + "/home/.local"), 0700u);
  EXPECT_EQ(mode_of(root_ + "/home/.local/state"), 0700u);
  EXPECT_EQ(mode_of(root_ + "/home/.local/state/nativeauth"), 0700u);
  EXPECT_EQ(mode_of(root_ + "/home"), 0755u);
  EXPECT_FALSE(exists("relative"));
}

TEST_F(FileStoreTest, UnsetXdgStateHomeUsesHome) {
  const EnvGuard xdg("XDG_STATE_HOME", nullptr);
  const EnvGuard home("HOME", (root_ + "/home/").c_str());
  auto made = make_file_store();
  ASSERT_TRUE(made);
  EXPECT_FALSE(exists(root_ + "/home"));  // making the store creates nothing
  ASSERT_TRUE((*made)->save(kKey, SecretString("r")));
  EXPECT_TRUE(exists(root_ + "/home/.local/state/nativeauth/" + slot_file_name(kKey)));
}

// ---------------------------------------------------------------------------------------------
// Corrupt files

TEST_F(FileStoreTest, CorruptFilesAreReportedWithTheirPath) {
  auto store = open();
  ASSERT_TRUE(store->save(kKey, SecretString("r")));
  const std::string path = path_of(kKey);
  const std::string header = slot_header(kKey);
  const std::vector<std::string> bad = {
      "",                                                // empty
      "no header at all",                                // no newline
      header,                                            // header without its newline
      "{\"issuer\":\"x\"}\nrecord",                      // JSON, but not a nativeauth header
      header.substr(0, header.size() - 1) + "\nrecord",  // truncated header
      "\xff\xfe garbage\n\x01\x02",
      header + " \nrecord",  // not the canonical spelling
  };
  for (const auto &content : bad) {
    write_file(path, content, 0600);
    auto loaded = store->load(kKey);
    ASSERT_FALSE(loaded) << content;
    EXPECT_EQ(loaded.error().code, ErrorCode::storage_corrupt) << content;
    EXPECT_TRUE(contains(loaded.error().message, path)) << loaded.error().message;
    auto listed = store->list(kKey.issuer);
    ASSERT_FALSE(listed) << content;
    EXPECT_EQ(listed.error().code, ErrorCode::storage_corrupt) << content;
  }
  // The twin, and the way out: a save replaces a corrupt file.
  ASSERT_TRUE(store->save(kKey, SecretString("fresh")));
  EXPECT_EQ(load_text(*store, kKey), "fresh");
}

TEST_F(FileStoreTest, OversizedFileIsCorrupt) {
  auto store = open();
  ASSERT_TRUE(store->save(kKey, SecretString("r")));
  ASSERT_EQ(::truncate(path_of(kKey).c_str(), static_cast<off_t>(posix::kMaxSlotFileSize + 1)), 0);
  auto loaded = store->load(kKey);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::storage_corrupt);
  EXPECT_TRUE(contains(loaded.error().message, path_of(kKey)));
}

TEST_F(FileStoreTest, RecordSizeLimit) {
  auto store = open();
  const std::size_t room = posix::kMaxSlotFileSize - slot_header(kKey).size() - 1;
  ASSERT_TRUE(store->save(kKey, SecretString(std::string(room, 'x'))));
  EXPECT_EQ(load_text(*store, kKey).size(), room);
  auto too_big = store->save(kKey, SecretString(std::string(room + 1, 'x')));
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(load_text(*store, kKey).size(), room);
}

TEST_F(FileStoreTest, AnotherSlotsFileUnderThisSlotsNameIsCorrupt) {
  auto store = open();
  const SlotKey a{kKey.issuer, "app-a", "default"};
  const SlotKey b{kKey.issuer, "app-b", "default"};
  ASSERT_TRUE(store->save(a, SecretString("record-a")));
  ASSERT_TRUE(store->save(b, SecretString("record-b")));
  write_file(path_of(b), read_file(path_of(a)), 0600);

  auto loaded = store->load(b);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, ErrorCode::storage_corrupt);
  EXPECT_TRUE(contains(loaded.error().message, path_of(b))) << loaded.error().message;
  EXPECT_TRUE(contains(loaded.error().message, "another slot")) << loaded.error().message;
  auto listed = store->list(kKey.issuer);
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, ErrorCode::storage_corrupt);
  EXPECT_TRUE(contains(listed.error().message, path_of(b))) << listed.error().message;
  EXPECT_EQ(load_text(*store, a), "record-a");
}

// ---------------------------------------------------------------------------------------------
// Crash safety
//
// The writer is a forked child whose store makes its file-system calls through a posix::FileOps that
// wraps the real calls and SIGKILLs the child at one step of save(). The fault is injected here,
// through the store's seam; the store has no crash hook of its own.

// The step of save() at which the writer dies.
enum class CrashPoint {
  none,
  after_temp_created,             ///< The temp file exists, empty.
  mid_write,                      ///< Half of header + record written to the temp file.
  after_write_before_fsync,       ///< Everything written, not yet flushed.
  after_fsync_before_rename,      ///< Temp file complete and flushed; the slot still holds the old record.
  after_rename_before_dir_fsync,  ///< The slot names the new file; the directory entry is not yet flushed.
};

// Set only in the forked writer (FileOps holds plain function pointers, so the step is a global).
CrashPoint g_crash_point = CrashPoint::none;

void die_at(CrashPoint point) {
  if (g_crash_point == point) ::kill(::getpid(), SIGKILL);
}

int dying_openat(int dir_fd, const char *name, int flags, mode_t mode) {
  const int fd = posix::system_file_ops().openat(dir_fd, name, flags, mode);
  if (fd >= 0) die_at(CrashPoint::after_temp_created);
  return fd;
}

ssize_t dying_write(int fd, const void *data, std::size_t size) {
  if (g_crash_point == CrashPoint::mid_write) {
    // A torn write: the first half of what save() asked for reaches the file, then the writer dies.
    (void)posix::system_file_ops().write(fd, data, size / 2);
    die_at(CrashPoint::mid_write);
  }
  return posix::system_file_ops().write(fd, data, size);
}

// The first flush is the temp file's in a correct save(); if save() ever renamed first, dying here
// would show the new record where the test expects the old one.
int dying_fsync(int fd) {
  die_at(CrashPoint::after_write_before_fsync);
  const int rc = posix::system_file_ops().fsync(fd);
  if (rc == 0) die_at(CrashPoint::after_fsync_before_rename);
  return rc;
}

int dying_renameat(int from_dir_fd, const char *from, int to_dir_fd, const char *to) {
  const int rc = posix::system_file_ops().renameat(from_dir_fd, from, to_dir_fd, to);
  if (rc == 0) die_at(CrashPoint::after_rename_before_dir_fsync);
  return rc;
}

constexpr posix::FileOps kDyingFileOps{&dying_openat, &dying_write, &dying_fsync, &dying_renameat};

struct CrashCase {
  CrashPoint point;
  bool renamed;  // whether the new record is in place when the writer dies
  const char *name;
};

void PrintTo(const CrashCase &c, std::ostream *os) { *os << c.name; }

class FileStoreCrashTest : public FileStoreTest, public ::testing::WithParamInterface<CrashCase> {
 protected:
  // Forks a child that saves `record` through kDyingFileOps with the crash point set; expects it to
  // die by SIGKILL.
  void save_and_die(const SlotKey &key, const std::string &record) {
    auto store = open(kDyingFileOps);
    ASSERT_TRUE(store);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      g_crash_point = GetParam().point;
      auto saved = store->save(key, SecretString(record));
      ::_exit(saved ? 0 : 1);  // reaching this is a failure: the crash point was not hit
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited with " << WEXITSTATUS(status);
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
  }
};

TEST_P(FileStoreCrashTest, KilledWriterLeavesTheOldOrTheNewRecordWhole) {
  const std::string a = "{\"record\":\"A\",\"pad\":\"" + std::string(20000, 'a') + "\"}";
  const std::string b = "{\"record\":\"B\",\"pad\":\"" + std::string(30000, 'b') + "\"}";
  auto store = open();
  ASSERT_TRUE(store->save(kKey, SecretString(a)));
  save_and_die(kKey, b);

  EXPECT_EQ(load_text(*store, kKey), GetParam().renamed ? b : a);
  auto listed = store->list(kKey.issuer);
  ASSERT_TRUE(listed) << listed.error().to_string();
  EXPECT_EQ(*listed, std::vector<SlotKey>{kKey});

  const auto temps = temp_entries(dir_);
  EXPECT_EQ(temps.size(), GetParam().renamed ? 0u : 1u);
  if (temps.empty()) return;
  EXPECT_EQ(mode_of(dir_ + "/" + temps[0]), 0600u);

  // A fresh leftover may belong to a live writer: the next save keeps it.
  ASSERT_TRUE(store->save(kKey, SecretString("C")));
  EXPECT_EQ(temp_entries(dir_), temps);
  // Once older than the limit it is stale, and the next save removes it.
  const struct timespec old[2] = {{0, UTIME_OMIT}, {::time(nullptr) - 11 * 60, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (dir_ + "/" + temps[0]).c_str(), old, 0), 0);
  ASSERT_TRUE(store->save(kKey, SecretString("D")));
  EXPECT_TRUE(temp_entries(dir_).empty());
  EXPECT_EQ(load_text(*store, kKey), "D");
}

TEST_P(FileStoreCrashTest, KilledFirstWriterLeavesTheSlotEmptyOrWhole) {
  auto store = open();
  ASSERT_TRUE(store->save(SlotKey{kKey.issuer, "other", "default"}, SecretString("x")));  // the directory exists
  save_and_die(kKey, "first record");
  EXPECT_EQ(load_text(*store, kKey), GetParam().renamed ? "first record" : "<empty>");
  auto listed = store->list(kKey.issuer);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), GetParam().renamed ? 2u : 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Points, FileStoreCrashTest,
    ::testing::Values(CrashCase{CrashPoint::after_temp_created, false, "after_temp_created"},
                      CrashCase{CrashPoint::mid_write, false, "mid_write"},
                      CrashCase{CrashPoint::after_write_before_fsync, false, "after_write_before_fsync"},
                      CrashCase{CrashPoint::after_fsync_before_rename, false, "after_fsync_before_rename"},
                      CrashCase{CrashPoint::after_rename_before_dir_fsync, true, "after_rename_before_dir_fsync"}),
    [](const ::testing::TestParamInfo<CrashCase> &param_info) { return std::string(param_info.param.name); });

// ---------------------------------------------------------------------------------------------
// The order of a save's calls, and calls that fail

// A SIGKILL cannot show a missing flush (the page cache outlives the process), so the order of the
// calls is checked as well: the temp file is written and flushed before the rename publishes it,
// and the directory is flushed after the rename (and after an erase).
std::vector<std::string> g_calls;  // what kRecordingFileOps saw, in order
int g_temp_fd = -1;

std::string describe_name(const char *name) {
  const std::string s = name;
  if (s.rfind(posix::kTempPrefix, 0) == 0) return "temp";
  return s == slot_file_name(kKey) ? "slot" : s;
}

std::string describe_fd(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) return "directory";
  return fd == g_temp_fd ? "temp" : "fd " + std::to_string(fd);
}

int recording_openat(int dir_fd, const char *name, int flags, mode_t mode) {
  const int fd = posix::system_file_ops().openat(dir_fd, name, flags, mode);
  if (fd >= 0) g_temp_fd = fd;
  g_calls.push_back("create " + describe_name(name));
  return fd;
}

ssize_t recording_write(int fd, const void *data, std::size_t size) {
  const std::string call = "write " + describe_fd(fd);
  if (g_calls.empty() || g_calls.back() != call) g_calls.push_back(call);  // one entry per run of writes
  return posix::system_file_ops().write(fd, data, size);
}

int recording_fsync(int fd) {
  g_calls.push_back("fsync " + describe_fd(fd));
  return posix::system_file_ops().fsync(fd);
}

int recording_renameat(int from_dir_fd, const char *from, int to_dir_fd, const char *to) {
  g_calls.push_back("rename " + describe_name(from) + " to " + describe_name(to));
  return posix::system_file_ops().renameat(from_dir_fd, from, to_dir_fd, to);
}

constexpr posix::FileOps kRecordingFileOps{&recording_openat, &recording_write, &recording_fsync, &recording_renameat};

TEST_F(FileStoreTest, SaveFlushesTheTempFileBeforeTheRenameAndTheDirectoryAfter) {
  g_calls.clear();
  auto store = open(kRecordingFileOps);
  ASSERT_TRUE(store->save(kKey, SecretString("first")));   // creates the directory
  ASSERT_TRUE(store->save(kKey, SecretString("second")));  // replaces the record
  const std::vector<std::string> one_save{"create temp", "write temp", "fsync temp", "rename temp to slot",
                                          "fsync directory"};
  std::vector<std::string> expected = one_save;
  expected.insert(expected.end(), one_save.begin(), one_save.end());
  EXPECT_EQ(g_calls, expected);
  EXPECT_EQ(load_text(*store, kKey), "second");

  g_calls.clear();
  ASSERT_TRUE(store->erase(kKey));
  EXPECT_EQ(g_calls, std::vector<std::string>{"fsync directory"});
}

// write(2) may write less than asked, and a signal may interrupt write and fsync (EINTR).
int g_interruptions = 0;

ssize_t interrupted_short_write(int fd, const void *data, std::size_t size) {
  if (g_interruptions++ % 2 == 0) {
    errno = EINTR;
    return -1;
  }
  return posix::system_file_ops().write(fd, data, std::min<std::size_t>(size, 7));
}

int interrupted_fsync(int fd) {
  if (g_interruptions++ % 2 == 0) {
    errno = EINTR;
    return -1;
  }
  return posix::system_file_ops().fsync(fd);
}

TEST_F(FileStoreTest, ShortAndInterruptedWritesAndFlushesAreRetried) {
  g_interruptions = 0;
  posix::FileOps ops = posix::system_file_ops();
  ops.write = &interrupted_short_write;
  ops.fsync = &interrupted_fsync;
  auto store = open(ops);
  const std::string record(300, 'r');
  ASSERT_TRUE(store->save(kKey, SecretString(record)));
  EXPECT_GT(g_interruptions, 40);  // 300 bytes and a header, 7 bytes a call, every other call interrupted
  EXPECT_EQ(load_text(*open(), kKey), record);
  EXPECT_TRUE(temp_entries(dir_).empty());
}

// The negative twin: a write or flush that fails for good fails the save, which leaves the old record
// and removes its temp file.
bool g_failed = false;

ssize_t disk_full_write(int fd, const void *data, std::size_t size) {
  if (g_failed) {
    errno = ENOSPC;
    return -1;
  }
  g_failed = true;  // the first bytes fit
  return posix::system_file_ops().write(fd, data, std::min<std::size_t>(size, 10));
}

int failing_fsync(int) {
  errno = EIO;
  return -1;
}

TEST_F(FileStoreTest, FailedWriteOrFlushKeepsTheOldRecordAndRemovesTheTempFile) {
  ASSERT_TRUE(open()->save(kKey, SecretString("old")));
  const posix::FileOps &real = posix::system_file_ops();
  const struct {
    posix::FileOps ops;
    int err;
    const char *what;
  } cases[] = {{{real.openat, &disk_full_write, real.fsync, real.renameat}, ENOSPC, "cannot write"},
               {{real.openat, real.write, &failing_fsync, real.renameat}, EIO, "cannot flush"}};
  for (const auto &c : cases) {
    SCOPED_TRACE(c.what);
    g_failed = false;
    auto saved = open(c.ops)->save(kKey, SecretString(std::string(100, 'n')));
    ASSERT_FALSE(saved);
    EXPECT_EQ(saved.error().code, ErrorCode::storage_unavailable);
    EXPECT_TRUE(contains(saved.error().message, c.what)) << saved.error().message;
    EXPECT_TRUE(contains(saved.error().message, std::strerror(c.err))) << saved.error().message;
    EXPECT_EQ(load_text(*open(), kKey), "old");
    EXPECT_TRUE(temp_entries(dir_).empty());
  }
}

// ---------------------------------------------------------------------------------------------
// Concurrency

bool is_whole(const std::string &record, std::size_t size) {
  return record.size() == size && std::all_of(record.begin(), record.end(), [&](char c) { return c == record[0]; });
}

TEST_F(FileStoreTest, ConcurrentThreadsSeeWholeRecords) {
  auto store = open();
  constexpr std::size_t kSize = 40000;
  ASSERT_TRUE(store->save(kKey, SecretString(std::string(kSize, 'z'))));
  std::atomic<int> torn{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const SlotKey own{kKey.issuer, "thread-" + std::to_string(t), "default"};
      for (int i = 0; i < 40; ++i) {
        if (!store->save(kKey, SecretString(std::string(kSize, static_cast<char>('a' + t))))) ++failed;
        if (!store->save(own, SecretString("own"))) ++failed;
        auto loaded = store->load(kKey);
        if (!loaded || !loaded->has_value()) ++failed;
        else if (!is_whole(std::string((*loaded)->reveal()), kSize)) ++torn;
        if (!store->list(kKey.issuer)) ++failed;
      }
    });
  }
  for (auto &t : threads) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  auto listed = store->list(kKey.issuer);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 5u);
  EXPECT_TRUE(temp_entries(dir_).empty());
}

TEST_F(FileStoreTest, ConcurrentProcessesSeeWholeRecords) {
  constexpr std::size_t kSize = 100000;
  ASSERT_TRUE(open()->save(kKey, SecretString(std::string(kSize, 'z'))));
  std::vector<pid_t> writers;
  for (char letter : {'a', 'b'}) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = open();
      for (int i = 0; i < 100; ++i)
        if (!store || !store->save(kKey, SecretString(std::string(kSize, letter)))) ::_exit(1);
      ::_exit(0);
    }
    writers.push_back(pid);
  }
  auto reader = open();
  int torn = 0, failed = 0, reads = 0, running = 2;
  while (running > 0) {
    auto loaded = reader->load(kKey);
    ++reads;
    if (!loaded || !loaded->has_value()) ++failed;
    else if (!is_whole(std::string((*loaded)->reveal()), kSize)) ++torn;
    for (pid_t &pid : writers) {
      int status = 0;
      if (pid > 0 && ::waitpid(pid, &status, WNOHANG) == pid) {
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        pid = 0;
        --running;
      }
    }
  }
  EXPECT_EQ(torn, 0);
  EXPECT_EQ(failed, 0);
  EXPECT_GT(reads, 0);
  const std::string last = load_text(*reader, kKey);
  EXPECT_TRUE(is_whole(last, kSize) && (last[0] == 'a' || last[0] == 'b'));
  EXPECT_TRUE(temp_entries(dir_).empty());
}

}  // namespace
}  // namespace nativeauth
