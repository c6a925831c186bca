// SPDX-License-Identifier: Apache-2.0
// Linux's part of the passphrase-protected store (core/platform_encrypted_store.hpp): the records are the
// file store's files in the store's directory (same rules: 0700 directory, 0600 files, atomic writes), the
// parameter file store.json sits beside them, and the unlocked key waits in the kernel keyring
// (linux/kernel_keyring.hpp: @u, or @s with NATIVEAUTH_KEYRING=session). The format and the cryptography
// are the core's; nothing here sees a key but to pass it to the keyring.
//
// store.json is created once and never rewritten: a temp file (0600, O_EXCL) is written and flushed, then
// link(2)ed to its name, which fails with EEXIST when another first unlock was faster; the loser's
// passphrase is then checked against the winner's store. The directory is refused, like the file store's,
// unless it is a real directory owned by this user with no group/other bits.
#include "core/platform_encrypted_store.hpp"

#include "linux/kernel_keyring.hpp"
#include "linux/token_cache.hpp"
#include "posix/fd.hpp"
#include "posix/file_store.hpp"
#include "posix/private_fs.hpp"

#include <cerrno>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace nativeauth::platform {
namespace {

using posix::UniqueFd;

constexpr char kParameters[] = "store.json";
constexpr std::size_t kMaxParameters = 64 << 10;

Error unavailable(std::string message) {
  return make_error(ErrorCode::storage_unavailable, "encrypted store: " + std::move(message));
}

Error os_error(const std::string &what, const std::string &path, int err) {
  return unavailable("cannot " + what + " " + path + ": " + posix::errno_text(err));
}

// A directory or file only this user can reach, as the file store insists (file_store.cpp).
Result<void> check_private(const std::string &path, const struct stat &st, bool dir) {
  if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
    return unavailable(path + " is " + posix::kind_text(st.st_mode) + "; links and special files are refused");
  }
  if (st.st_uid != ::geteuid()) {
    return unavailable(path + " is owned by uid " + std::to_string(st.st_uid) + ", not by this user");
  }
  if ((st.st_mode & 077) != 0) {
    return unavailable(path + " has mode " + posix::mode_text(st.st_mode) +
                       ": group or others can access it; run `chmod " + (dir ? "700 " : "600 ") +
                       posix::shell_word(path) + "`");
  }
  return {};
}

class LinuxHost final : public EncryptedStoreHost {
 public:
  LinuxHost(std::string directory, std::shared_ptr<CredentialStore> records, kernel_keyring::Ring ring)
      : dir_(std::move(directory)), records_(std::move(records)), ring_(ring) {}

  const std::string &directory() const override { return dir_; }
  CredentialStore &records() override { return *records_; }
  std::string record_path(const SlotKey &key) const override { return dir_ + "/" + posix::slot_file_name(key); }
  std::string parameters_path() const override { return dir_ + "/" + kParameters; }

  Result<std::optional<std::string>> read_parameters() override {
    auto dir = open_dir();
    if (!dir) return std::move(dir).error();
    if (!dir->valid()) return std::optional<std::string>();
    const std::string path = parameters_path();
    UniqueFd fd(::openat(dir->get(), kParameters, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid()) {
      if (errno == ENOENT) return std::optional<std::string>();
      return os_error("open", path, errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return os_error("stat", path, errno);
    if (auto ok = check_private(path, st, false); !ok) return std::move(ok).error();
    std::string text;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return os_error("read", path, errno);
      if (n == 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      if (text.size() > kMaxParameters) {
        return make_error(ErrorCode::storage_corrupt, "encrypted store: " + path + " is larger than 64 KiB");
      }
    }
    return std::optional<std::string>(std::move(text));
  }

  Result<bool> create_parameters(const std::string &content) override {
    if (auto failed = posix::make_private_directories(dir_)) {
      return os_error("create directory", failed->first, failed->second);
    }
    auto dir = open_dir();
    if (!dir) return std::move(dir).error();
    if (!dir->valid()) return os_error("open directory", dir_, ENOENT);
    const std::string temp = ".tmp-store-" + std::to_string(::getpid());
    (void)::unlinkat(dir->get(), temp.c_str(), 0);  // a leftover of a killed unlock with this pid
    UniqueFd fd(::openat(dir->get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) return os_error("create a temp file in", dir_, errno);
    std::size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;
        (void)::unlinkat(dir->get(), temp.c_str(), 0);
        return os_error("write", dir_ + "/" + temp, err);
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) {
      const int err = errno;
      (void)::unlinkat(dir->get(), temp.c_str(), 0);
      return os_error("flush", dir_ + "/" + temp, err);
    }
    const int linked = ::linkat(dir->get(), temp.c_str(), dir->get(), kParameters, 0);
    const int err = errno;
    (void)::unlinkat(dir->get(), temp.c_str(), 0);
    if (linked != 0 && err == EEXIST) return false;
    if (linked != 0) return os_error("create", parameters_path(), err);
    (void)::fsync(dir->get());  // the new name survives a power loss; a file system that cannot is no worse
    return true;
  }

  Result<void> put_key(const std::string &name, const SecretString &key, std::chrono::seconds lifetime) override {
    return kernel_keyring::put(ring_, name, key, lifetime);
  }
  Result<std::optional<SecretString>> get_key(const std::string &name) override {
    return kernel_keyring::get(ring_, name);
  }
  Result<void> remove_key(const std::string &name) override { return kernel_keyring::remove(ring_, name); }
  Result<void> drop_cached_tokens() override {
    auto dropped = kernel_keyring::remove_matching(
        ring_, linux_platform::token_cache_prefix(linux_platform::token_cache_store_name(StorageKind::encrypted_file)));
    if (!dropped) return std::move(dropped).error();
    return {};
  }

 private:
  // The checked directory; an empty UniqueFd when it does not exist.
  Result<UniqueFd> open_dir() const {
    UniqueFd fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) return UniqueFd{};
      return os_error("open directory", dir_, errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return os_error("stat directory", dir_, errno);
    if (auto ok = check_private(dir_, st, true); !ok) return std::move(ok).error();
    return fd;
  }

  const std::string dir_;
  const std::shared_ptr<CredentialStore> records_;
  const kernel_keyring::Ring ring_;
};

}  // namespace

Result<std::shared_ptr<EncryptedStoreHost>> make_encrypted_store_host(const EncryptedStoreOptions &options) {
  if (auto bad = kernel_keyring::ring_setting_error()) return std::move(*bad);
  std::string directory = options.directory;
  if (directory.empty()) {
    auto state = posix::state_directory();
    if (!state) {
      return unavailable("no directory: HOME is not an absolute path and the user has no home directory; set "
                         "EncryptedStoreOptions::directory");
    }
    directory = *state + "/encrypted";
  } else if (directory[0] != '/') {
    return make_error(ErrorCode::invalid_argument,
                      "EncryptedStoreOptions::directory must be an absolute path, not \"" + directory + "\"");
  }
  while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
  auto records = make_file_store(FileStoreOptions{directory});
  if (!records) return std::move(records).error();
  return std::shared_ptr<EncryptedStoreHost>(std::make_shared<LinuxHost>(std::move(directory), std::move(*records),
                                                                         kernel_keyring::ring_from_environment()));
}

}  // namespace nativeauth::platform
