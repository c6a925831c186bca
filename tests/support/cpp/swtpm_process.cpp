// SPDX-License-Identifier: Apache-2.0
// swtpm as a test's child process (swtpm_process.hpp).
#include "swtpm_process.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace nativeauth::testing {
namespace {

int listen_unix(const std::string &path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  ::unlink(path.c_str());
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0 || ::listen(fd, 8) != 0) {
    ADD_FAILURE() << "cannot listen on " << path << ": " << std::strerror(errno);
  }
  return fd;
}

}  // namespace

bool swtpm_installed() { return std::system("command -v swtpm >/dev/null 2>&1") == 0; }

Swtpm::Swtpm() {
  char templ[] = "/tmp/nativeauth-swtpm-XXXXXX";
  dir_ = ::mkdtemp(templ);
  start();
}

Swtpm::~Swtpm() {
  stop();
  (void)std::system(("rm -rf '" + dir_ + "'").c_str());
}

void Swtpm::start() {
  const int server = listen_unix(dir_ + "/sock");
  const int ctrl = listen_unix(dir_ + "/sock.ctrl");
  const std::string state = "dir=" + dir_;
  const std::string server_arg = "type=unixio,fd=" + std::to_string(server);
  const std::string ctrl_arg = "type=unixio,fd=" + std::to_string(ctrl);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a crashed test leaves no swtpm behind
    ::fcntl(server, F_SETFD, 0);
    ::fcntl(ctrl, F_SETFD, 0);
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 1);
    ::dup2(null, 2);  // swtpm reports each client's disconnect there
    ::execlp("swtpm", "swtpm", "socket", "--tpm2", "--tpmstate", state.c_str(), "--server", server_arg.c_str(),
             "--ctrl", ctrl_arg.c_str(), "--flags", "not-need-init,startup-clear", static_cast<char *>(nullptr));
    ::_exit(127);
  }
  ::close(server);
  ::close(ctrl);
}

void Swtpm::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace nativeauth::testing
