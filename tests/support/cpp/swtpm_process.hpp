// SPDX-License-Identifier: Apache-2.0
// A real TPM 2.0 for tests: swtpm (Debian's software TPM, libtpms) as a child process, on Unix sockets the
// fixture binds itself before swtpm starts (no ports to race for; ready when the process exists), its state
// in a throw-away directory. POSIX only.
#pragma once

#include <string>

#include <sys/types.h>

namespace nativeauth::testing {

/// Whether the swtpm program is on PATH (scripts/bootstrap installs it).
bool swtpm_installed();

/// One swtpm process: a TPM 2.0 whose state lives in its own directory, reached at tcti(). Started by the
/// constructor; stop() and start() again keep the state (a restarted TPM, like a reboot). Killed and reaped,
/// its directory removed, on destruction.
class Swtpm {
 public:
  Swtpm();
  ~Swtpm();
  Swtpm(const Swtpm &) = delete;
  Swtpm &operator=(const Swtpm &) = delete;

  /// "swtpm:path=<dir>/sock": the value of NATIVEAUTH_TPM_TCTI (and of make_tpm_key_store()'s argument).
  std::string tcti() const { return "swtpm:path=" + dir_ + "/sock"; }

  /// Starts swtpm on the state directory (the constructor already did). The sockets are listening before
  /// swtpm runs: a client that connects at once waits in the backlog.
  void start();
  /// Ends swtpm (SIGTERM) and reaps it; its state stays.
  void stop();

 private:
  std::string dir_;
  pid_t pid_ = -1;
};

}  // namespace nativeauth::testing
