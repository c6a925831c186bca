// SPDX-License-Identifier: Apache-2.0
// make_file_store(): the opt-in CredentialStore for machines without a keychain, one 0600 file per slot
// in a 0700 directory, every record replaced atomically (write temp, fsync, rename, fsync directory).
//
// Directory: FileStoreOptions::directory, else $XDG_STATE_HOME/nativeauth (XDG Base Directory spec:
// a relative XDG_STATE_HOME is invalid and ignored), else $HOME/.local/state/nativeauth. It is
// created (0700, and 0700 for any parent created with it) by the first save, never by anything else.
// Every operation opens it with O_NOFOLLOW and refuses it unless it is a real directory owned by the
// effective uid with no group/other permission bits; the store never changes a mode itself.
//
// File name of a slot: "<issuer>+<client_id>+<profile>.<hash>.slot" where each component is
// percent-encoded (bytes other than A-Z a-z 0-9 - _ and a non-leading '.' become %XX), the readable
// part is cut to 120 bytes at an escape boundary, and <hash> is the 16 lower-case hex digits of the
// 64-bit FNV-1a hash of the slot's header line. The hash is always present: it keeps names distinct
// when the readable part is cut and on case-insensitive file systems (APFS, HFS+), where "A" and "a"
// would otherwise share a file. Names are at most 142 bytes (eCryptfs allows 143), never start with
// '.', and never contain '/'. Nothing parses names: list() reads headers, and a file whose header
// does not produce its own name is reported corrupt.
//
// File format: the header line, '\n', then the record bytes verbatim up to end of file. The header
// is canonical JSON written by slot_header(): {"nativeauth_slot":1,"issuer":"…","client_id":"…",
// "profile":"…"}, strings escaped with \" \\ and \u00XX (control characters) only, other UTF-8 as is.
// load() compares the first line byte for byte with the header of the slot asked for.
//
// Temp files: ".tmp-<pid>-<16 hex>", created O_EXCL in the same directory (rename(2) is atomic only
// within one file system). A writer killed before its rename leaves one behind; it is ignored by
// load() and list() (its name starts with '.'), and each successful save() removes temp files whose
// mtime is more than 10 minutes old. Age, not "is the writer's pid alive", decides: pids are reused
// and are meaningless across the pid namespaces of containers that share a home directory. A writer
// stalled for longer than that loses its temp file and its save() fails cleanly at rename.
//
// Concurrency: one mutex per store orders its calls. Across processes rename(2) gives
// last-writer-wins, and a reader sees either the whole old file or the whole new one.
//
// The calls that make that order (create, write, flush, rename) go through a FileOps (file_store.hpp)
// so that the tests can kill a writer between any two of them; the store always gets the real ones.

#include "posix/file_store.hpp"

#include "posix/fd.hpp"
#include "posix/private_fs.hpp"
#include "util/secrets.hpp"
#include "util/slot_hash.hpp"

#include <nativeauth/storage.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

namespace nativeauth::posix {

namespace {

using platform::SlotKey;

constexpr char kSlotSuffix[] = ".slot";
constexpr std::size_t kReadableNameMax = 120;
constexpr char kHeaderStart[] = "{\"nativeauth_slot\":1,\"issuer\":";
// A temp name collides only with a leftover of an earlier process with the same pid; O_EXCL catches
// that and a new name is drawn.
constexpr int kTempAttempts = 16;

// ---------------------------------------------------------------------------------------------
// Names and headers

// RFC 3629 §4: rejects overlong forms, surrogates and code points above U+10FFFF, so that the
// header is JSON (RFC 8259 §8.1 requires UTF-8) and a keychain could hold the same key.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return false;
    }
    i += len;
  }
  return true;
}

constexpr char kHex[] = "0123456789ABCDEF";

// RFC 8259 §7: only '"', '\\' and control characters must be escaped; nothing else is, so that the
// header has exactly one spelling and can be compared byte for byte.
void append_json_string(std::string &out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
  out += '"';
}

// Reads one string as append_json_string() writes it, advancing `pos`. Anything else (other escapes
// included) is not a header; the caller also re-serializes to insist on the canonical spelling.
std::optional<std::string> read_json_string(std::string_view s, std::size_t &pos) {
  if (pos >= s.size() || s[pos] != '"') return std::nullopt;
  ++pos;
  std::string out;
  while (pos < s.size()) {
    const char ch = s[pos++];
    if (ch == '"') return out;
    if (static_cast<unsigned char>(ch) < 0x20) return std::nullopt;
    if (ch != '\\') {
      out += ch;
      continue;
    }
    if (pos >= s.size()) return std::nullopt;
    const char esc = s[pos++];
    if (esc == '"' || esc == '\\') {
      out += esc;
    } else if (esc == 'u' && s.size() - pos >= 4 && s.compare(pos, 2, "00") == 0) {
      int value = 0;
      for (std::size_t k = 2; k < 4; ++k) {
        const char h = s[pos + k];
        const int digit = (h >= '0' && h <= '9') ? h - '0' : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
        if (digit < 0) return std::nullopt;
        value = value * 16 + digit;
      }
      out += static_cast<char>(value);
      pos += 4;
    } else {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

bool consume(std::string_view s, std::size_t &pos, std::string_view literal) {
  if (s.compare(pos, literal.size(), literal) != 0) return false;
  pos += literal.size();
  return true;
}

std::optional<SlotKey> parse_header(std::string_view line) {
  std::size_t pos = 0;
  SlotKey key;
  if (!consume(line, pos, kHeaderStart)) return std::nullopt;
  auto issuer = read_json_string(line, pos);
  if (!issuer || !consume(line, pos, ",\"client_id\":")) return std::nullopt;
  auto client_id = read_json_string(line, pos);
  if (!client_id || !consume(line, pos, ",\"profile\":")) return std::nullopt;
  auto profile = read_json_string(line, pos);
  if (!profile || !consume(line, pos, "}") || pos != line.size()) return std::nullopt;
  key.issuer = std::move(*issuer);
  key.client_id = std::move(*client_id);
  key.profile = std::move(*profile);
  if (!valid_utf8(key.issuer) || !valid_utf8(key.client_id) || !valid_utf8(key.profile)) return std::nullopt;
  if (slot_header(key) != line) return std::nullopt;  // one spelling only
  return key;
}

void append_name_component(std::string &out, std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || (c == '.' && i > 0);
    if (keep) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
}

Error invalid_key(const char *what) {
  return make_error(ErrorCode::invalid_argument, std::string("file store: the slot's ") + what + " is not valid UTF-8");
}

Result<void> check_key(const SlotKey &key) {
  if (!valid_utf8(key.issuer)) return invalid_key("issuer");
  if (!valid_utf8(key.client_id)) return invalid_key("client_id");
  if (!valid_utf8(key.profile)) return invalid_key("profile");
  if (slot_header(key).size() > kMaxHeaderSize) {
    return make_error(ErrorCode::invalid_argument,
                      "file store: the slot's issuer, client_id and profile are longer than " +
                          std::to_string(kMaxHeaderSize) + " bytes together");
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Messages

Error unavailable(std::string message) {
  return make_error(ErrorCode::storage_unavailable, "file store: " + std::move(message));
}

Error os_error(const std::string &what, const std::string &path, int err) {
  return unavailable("cannot " + what + " " + path + ": " + errno_text(err));
}

Error corrupt(const std::string &path, const std::string &problem) {
  return make_error(ErrorCode::storage_corrupt,
                    "file store: " + path + " " + problem + "; remove it (the slot's session is lost) or restore it");
}

// Refuses what the store must not trust, naming the path, the mode found and the fix. `want_dir`
// selects the directory's rules (0700) or a slot file's (0600).
Result<void> check_owned_private(const std::string &path, const struct stat &st, bool want_dir) {
  const std::string what = want_dir ? "directory " : "slot file ";
  const std::string mode = mode_text(st.st_mode);
  const bool right_kind = want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
  if (!right_kind) {
    const std::string fix = want_dir ? "replace it with a directory created by `mkdir -m 700 " + shell_word(path) +
                                           "`, or choose another directory"
                                     : "remove it (`rm " + shell_word(path) + "`)";
    return unavailable(what + path + " is " + kind_text(st.st_mode) + " (mode " + mode +
                       "); the file store never follows links or uses special files: " + fix);
  }
  if (st.st_uid != ::geteuid()) {
    return unavailable(what + path + " (mode " + mode + ") is owned by uid " + std::to_string(st.st_uid) +
                       ", not by this process's user (uid " + std::to_string(::geteuid()) + "): use a " +
                       (want_dir ? "directory" : "file") + " this user owns");
  }
  if ((st.st_mode & 077) != 0) {
    return unavailable(what + path + " has mode " + mode +
                       ": group or others can access it. The file store is protected only by permissions and "
                       "never changes them itself; run `chmod " +
                       (want_dir ? "700 " : "600 ") + shell_word(path) + "`");
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// I/O

int system_openat(int dir_fd, const char *name, int flags, mode_t mode) { return ::openat(dir_fd, name, flags, mode); }

int system_fsync(int fd) {
#ifdef F_FULLFSYNC
  // macOS fsync(2): fsync only hands the data to the drive, which may cache it; F_FULLFSYNC asks the
  // drive to flush. File systems without it (network, FUSE) fall back to fsync below.
  if (::fcntl(fd, F_FULLFSYNC) == 0) return 0;
#endif
  return ::fsync(fd);
}

int full_fsync(const FileOps &ops, int fd) {
  while (ops.fsync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

int write_all(const FileOps &ops, int fd, const char *data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ops.write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return 0;
}

using util::wipe;
using util::WipeOnExit;

// Appends from `fd` to `out` until end of file, `stop_at` is seen (when not '\0'), or `out` holds
// more than `limit` bytes. Grows `out` by moving into a wiped-behind buffer, never leaving a copy.
int read_bounded(int fd, std::string &out, std::size_t limit, char stop_at) {
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      secure_wipe(chunk, sizeof chunk);
      return err;
    }
    if (n == 0) break;
    const auto got = static_cast<std::size_t>(n);
    if (out.size() + got > out.capacity()) {
      std::string bigger;
      bigger.reserve(std::max(out.size() + got, out.capacity() * 2));
      bigger.append(out);
      wipe(out);
      out.swap(bigger);
    }
    out.append(chunk, got);
    if (out.size() > limit) break;
    if (stop_at != '\0' && std::string_view(chunk, got).find(stop_at) != std::string_view::npos) break;
  }
  secure_wipe(chunk, sizeof chunk);
  return 0;
}

// Opens a slot file for reading and checks it. An empty UniqueFd means "no such file".
Result<UniqueFd> open_slot_file(int dir_fd, const std::string &name, const std::string &path, struct stat &st) {
  // O_NONBLOCK: a FIFO planted under a slot's name must not block open(); reads of a regular file
  // ignore the flag.
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd.valid()) {
    const int err = errno;
    if (err == ENOENT) return UniqueFd{};
    // O_NOFOLLOW on a link fails with ELOOP (EMLINK on FreeBSD): describe what is there instead.
    struct stat lst {};
    if ((err == ELOOP || err == EMLINK) && ::fstatat(dir_fd, name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) == 0) {
      auto refused = check_owned_private(path, lst, false);
      if (!refused) return std::move(refused).error();
    }
    return os_error("open", path, err);
  }
  if (::fstat(fd.get(), &st) != 0) return os_error("stat", path, errno);
  auto checked = check_owned_private(path, st, false);
  if (!checked) return std::move(checked).error();
  return fd;
}

std::string random_suffix() {
  // Unique within the process by the counter, across processes by the pid in the name; the clock
  // and address only make leftovers of an earlier process with a reused pid unlikely to collide.
  static std::atomic<std::uint64_t> counter{0};
  std::uint64_t x = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  x ^= counter.fetch_add(1, std::memory_order_relaxed) * 0x9E3779B97F4A7C15ULL;
  x ^= reinterpret_cast<std::uintptr_t>(&x);
  // splitmix64 finalizer
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  x ^= x >> 31;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(x));
  return buf;
}

// ---------------------------------------------------------------------------------------------
// The store

class FileStore final : public platform::CredentialStore {
 public:
  FileStore(std::string directory, const FileOps &ops) : ops_(ops), dir_(std::move(directory)) {}

  Result<std::optional<SecretString>> load(const SlotKey &key) override {
    if (auto ok = check_key(key); !ok) return std::move(ok).error();
    std::lock_guard<std::mutex> lock(mu_);
    auto dir = open_dir(false);
    if (!dir) return std::move(dir).error();
    if (!dir->valid()) return std::optional<SecretString>{};

    const std::string name = slot_file_name(key);
    const std::string path = path_of(name);
    struct stat st {};
    auto fd = open_slot_file(dir->get(), name, path, st);
    if (!fd) return std::move(fd).error();
    if (!fd->valid()) return std::optional<SecretString>{};
    if (static_cast<std::uint64_t>(st.st_size) > kMaxSlotFileSize) {
      return corrupt(path, "is larger than " + std::to_string(kMaxSlotFileSize) + " bytes");
    }

    std::string content;
    WipeOnExit wipe_content{content};
    content.reserve(static_cast<std::size_t>(st.st_size) + 1);
    if (const int err = read_bounded(fd->get(), content, kMaxSlotFileSize, '\0')) return os_error("read", path, err);
    if (content.size() > kMaxSlotFileSize) {
      return corrupt(path, "is larger than " + std::to_string(kMaxSlotFileSize) + " bytes");
    }
    const std::size_t newline = content.find('\n');
    if (newline == std::string::npos) return corrupt(path, "has no nativeauth header line");
    const std::string expected = slot_header(key);
    const std::string_view header(content.data(), newline);
    if (header != expected) {
      if (parse_header(header)) return corrupt(path, "holds another slot's record (its header names a different slot)");
      return corrupt(path, "has no valid nativeauth header line");
    }
    return std::optional<SecretString>{SecretString(std::string(content, newline + 1))};
  }

  Result<void> save(const SlotKey &key, const SecretString &record) override {
    if (auto ok = check_key(key); !ok) return ok;
    const std::string header = slot_header(key);
    if (header.size() + 1 + record.size() > kMaxSlotFileSize) {
      return make_error(ErrorCode::invalid_argument, "file store: the record is larger than the store's limit of " +
                                                         std::to_string(kMaxSlotFileSize) + " bytes per slot");
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto dir = open_dir(true);
    if (!dir) return std::move(dir).error();
    const int dir_fd = dir->get();
    const std::string name = slot_file_name(key);

    std::string temp;
    UniqueFd fd;
    for (int attempt = 0; attempt < kTempAttempts && !fd.valid(); ++attempt) {
      temp = kTempPrefix + std::to_string(::getpid()) + "-" + random_suffix();
      fd.reset(ops_.openat(dir_fd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                           0600));
      if (!fd.valid() && errno != EEXIST) return os_error("create a temp file in", dir_, errno);
    }
    if (!fd.valid()) return os_error("create a temp file in", dir_, EEXIST);
    // From here every failure removes the temp file; a successful rename makes it the slot file.
    struct UnlinkOnFailure {
      int in;
      const std::string &temp_name;
      bool armed = true;
      ~UnlinkOnFailure() {
        if (armed) ::unlinkat(in, temp_name.c_str(), 0);
      }
    } cleanup{dir_fd, temp};

    std::string content;
    WipeOnExit wipe_content{content};
    content.reserve(header.size() + 1 + record.size());
    content.append(header).append(1, '\n').append(record.reveal());
    const std::string temp_path = path_of(temp);
    if (const int err = write_all(ops_, fd.get(), content.data(), content.size())) {
      return os_error("write", temp_path, err);
    }
    // The data must be on disk before the rename publishes it, or a power loss could leave the slot
    // naming an empty file (ext4 auto_da_alloc helps only some cases; other file systems not at all).
    if (const int err = full_fsync(ops_, fd.get())) return os_error("flush", temp_path, err);
    // close() could report deferred write errors (NFS), but the fsync above already did.
    fd.reset();
    if (ops_.renameat(dir_fd, temp.c_str(), dir_fd, name.c_str()) != 0) {
      return os_error("rename " + temp_path + " to", path_of(name), errno);
    }
    cleanup.armed = false;
    // The rename lives in the directory: flush it so that the new name survives a power loss.
    if (const int err = fsync_dir(dir_fd)) return os_error("flush the directory", dir_, err);
    remove_stale_temps(dir_fd);
    return {};
  }

  Result<void> erase(const SlotKey &key) override {
    if (auto ok = check_key(key); !ok) return ok;
    std::lock_guard<std::mutex> lock(mu_);
    auto dir = open_dir(false);
    if (!dir) return std::move(dir).error();
    if (!dir->valid()) return {};
    const std::string name = slot_file_name(key);
    if (::unlinkat(dir->get(), name.c_str(), 0) != 0) {
      if (errno == ENOENT) return {};
      return os_error("remove", path_of(name), errno);
    }
    if (const int err = fsync_dir(dir->get())) return os_error("flush the directory", dir_, err);
    return {};
  }

  Result<std::vector<SlotKey>> list(const std::string &issuer) override {
    if (!valid_utf8(issuer)) return invalid_key("issuer");
    std::lock_guard<std::mutex> lock(mu_);
    auto dir = open_dir(false);
    if (!dir) return std::move(dir).error();
    std::vector<SlotKey> out;
    if (!dir->valid()) return out;

    auto names = slot_names(dir->get());
    if (!names) return std::move(names).error();
    for (const std::string &name : *names) {
      const std::string path = path_of(name);
      struct stat st {};
      auto fd = open_slot_file(dir->get(), name, path, st);
      if (!fd) return std::move(fd).error();
      if (!fd->valid()) continue;  // erased since readdir
      std::string head;
      WipeOnExit wipe_head{head};  // may hold the start of the record
      if (const int err = read_bounded(fd->get(), head, kMaxHeaderSize, '\n')) return os_error("read", path, err);
      const std::size_t newline = head.find('\n');
      if (newline == std::string::npos) return corrupt(path, "has no nativeauth header line");
      auto key = parse_header(std::string_view(head.data(), newline));
      if (!key) return corrupt(path, "has no valid nativeauth header line");
      // A file copied or renamed from another slot would otherwise list that slot twice.
      if (slot_file_name(*key) != name)
        return corrupt(path, "holds another slot's record (its header names a different slot)");
      if (key->issuer == issuer) out.push_back(std::move(*key));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::string path_of(const std::string &name) const { return dir_ + "/" + name; }

  // The checked directory; an empty UniqueFd when it does not exist and `create` is false.
  Result<UniqueFd> open_dir(bool create) {
    constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    UniqueFd fd(::open(dir_.c_str(), kFlags));
    if (!fd.valid() && errno == ENOENT && create) {
      auto made = make_directories();
      if (!made) return std::move(made).error();
      fd.reset(::open(dir_.c_str(), kFlags));
    }
    if (!fd.valid()) {
      const int err = errno;
      if (err == ENOENT) return UniqueFd{};
      struct stat lst {};
      if ((err == ELOOP || err == EMLINK || err == ENOTDIR) && ::lstat(dir_.c_str(), &lst) == 0) {
        auto refused = check_owned_private(dir_, lst, true);
        if (!refused) return std::move(refused).error();
      }
      return os_error("open directory", dir_, err);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return os_error("stat directory", dir_, errno);
    auto checked = check_owned_private(dir_, st, true);
    if (!checked) return std::move(checked).error();
    return fd;
  }

  // mkdir -p with 0700 for every directory it creates; existing parents are left as they are.
  Result<void> make_directories() {
    if (auto failed = make_private_directories(dir_))
      return os_error("create directory", failed->first, failed->second);
    return {};
  }

  // Slot files by name: temp files and anything not named like a slot file are not ours to read.
  Result<std::vector<std::string>> slot_names(int dir_fd) {
    // A descriptor of its own: closedir() closes it, and readdir needs a fresh offset.
    const int own = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (own < 0) return os_error("open directory", dir_, errno);
    std::unique_ptr<DIR, int (*)(DIR *)> d(::fdopendir(own), &::closedir);
    if (!d) {
      const int err = errno;
      ::close(own);
      return os_error("read directory", dir_, err);
    }
    std::vector<std::string> names;
    const std::string_view suffix = kSlotSuffix;
    for (;;) {
      errno = 0;
      const dirent *entry = ::readdir(d.get());
      if (!entry) {
        if (errno != 0) return os_error("read directory", dir_, errno);
        break;
      }
      const std::string_view name = entry->d_name;
      if (name.empty() || name[0] == '.') continue;
      if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix) continue;
      names.emplace_back(name);
    }
    return names;
  }

  int fsync_dir(int dir_fd) const {
    const int err = full_fsync(ops_, dir_fd);
    // Some file systems cannot flush a directory (EINVAL, ENOTSUP); the rename stands regardless and
    // there is nothing better to do than what SQLite does: carry on.
    if (err == EINVAL || err == ENOTSUP) return 0;
    return err;
  }

  // Best effort: a temp file older than kStaleTempAge was left by a writer that died or stalled.
  void remove_stale_temps(int dir_fd) {
    const int own = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (own < 0) return;
    std::unique_ptr<DIR, int (*)(DIR *)> d(::fdopendir(own), &::closedir);
    if (!d) {
      ::close(own);
      return;
    }
    const std::time_t cutoff = std::time(nullptr) -
                               std::chrono::duration_cast<std::chrono::seconds>(kStaleTempAge).count();
    const std::string_view prefix = kTempPrefix;
    while (const dirent *entry = ::readdir(d.get())) {
      const std::string_view name = entry->d_name;
      if (name.substr(0, prefix.size()) != prefix) continue;
      struct stat st {};
      if (::fstatat(dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      if (S_ISREG(st.st_mode) && st.st_uid == ::geteuid() && st.st_mtime < cutoff) {
        ::unlinkat(dir_fd, entry->d_name, 0);
      }
    }
  }

  std::mutex mu_;
  const FileOps ops_;
  const std::string dir_;
};

Result<std::string> default_directory() {
  // XDG Base Directory spec: "All paths set in these environment variables must be absolute. If an
  // implementation encounters a relative path in any of these variables it should consider the path
  // invalid and ignore it."
  auto dir = state_directory();
  if (!dir) {
    return make_error(ErrorCode::storage_unavailable,
                      "file store: no directory for records: HOME is not an absolute path and the user has no home "
                      "directory; set FileStoreOptions::directory");
  }
  return *dir;
}

}  // namespace

const FileOps &system_file_ops() noexcept {
  static constexpr FileOps kSystem{&system_openat, &::write, &system_fsync, &::renameat};
  return kSystem;
}

std::string slot_header(const SlotKey &key) {
  std::string out = kHeaderStart;
  append_json_string(out, key.issuer);
  out += ",\"client_id\":";
  append_json_string(out, key.client_id);
  out += ",\"profile\":";
  append_json_string(out, key.profile);
  out += '}';
  return out;
}

std::string slot_file_name(const SlotKey &key) {
  std::string readable;
  append_name_component(readable, key.issuer);
  readable += '+';
  append_name_component(readable, key.client_id);
  readable += '+';
  append_name_component(readable, key.profile);
  if (readable.size() > kReadableNameMax) {
    std::size_t cut = kReadableNameMax;
    // Do not split a %XX escape: the readable part is for people, and half an escape misleads them.
    if (readable[cut - 1] == '%') cut -= 1;
    else if (readable[cut - 2] == '%') cut -= 2;
    readable.resize(cut);
  }
  return readable + "." + util::hex16(util::fnv1a64(slot_header(key))) + kSlotSuffix;
}

Result<std::shared_ptr<platform::CredentialStore>> make_file_store(const FileStoreOptions &options,
                                                                   const FileOps &ops) {
  std::string directory;
  if (!options.directory.empty()) {
    if (options.directory[0] != '/') {
      return make_error(ErrorCode::invalid_argument,
                        "FileStoreOptions::directory must be an absolute path, not \"" + options.directory + "\"");
    }
    directory = options.directory;
  } else {
    auto found = default_directory();
    if (!found) return std::move(found).error();
    directory = std::move(*found);
  }
  while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
  return std::shared_ptr<platform::CredentialStore>(std::make_shared<FileStore>(std::move(directory), ops));
}

}  // namespace nativeauth::posix

namespace nativeauth {

Result<std::shared_ptr<platform::CredentialStore>> make_file_store(const FileStoreOptions &options) {
  return posix::make_file_store(options, posix::system_file_ops());
}

}  // namespace nativeauth
