// SPDX-License-Identifier: Apache-2.0
// Small POSIX helpers shared by the listener and the spawner: an owning descriptor and errno text.
#pragma once

#include <cstring>
#include <string>
#include <utility>

#include <unistd.h>

namespace nativeauth::posix {

/// Owns a file descriptor; closes it once.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd &operator=(UniqueFd &&other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd &) = delete;
  UniqueFd &operator=(const UniqueFd &) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  // close() is not retried on EINTR: Linux releases the descriptor even then, and a retry could
  // close a descriptor another thread just opened.
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

namespace detail {
// strerror() may use a static buffer; strerror_r exists in a GNU and an XSI flavour, and these two
// overloads accept whichever one the C library declares.
[[maybe_unused]] inline std::string strerror_result(int rc, const char *buf, int err) {
  return rc == 0 ? std::string(buf) : "error " + std::to_string(err);
}
[[maybe_unused]] inline std::string strerror_result(const char *text, const char *, int) { return text; }
}  // namespace detail

/// Thread-safe text for an errno value.
inline std::string errno_text(int err) {
  char buf[256] = {};
  return detail::strerror_result(strerror_r(err, buf, sizeof buf), buf, err);
}

}  // namespace nativeauth::posix
