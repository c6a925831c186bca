// SPDX-License-Identifier: Apache-2.0
// `nativeauth unlock [--for DURATION]` and `nativeauth lock`. The passphrase is read from /dev/tty with echo
// off (the terminal's settings are put back on every way out, Ctrl-C included), or as one line from stdin
// when stdin is not a terminal (scripts, tests). It lives in wiped buffers and a SecretString, and is never
// printed; the SDK derives the key (scrypt) and hands it to the kernel keyring.
#include "unlock.hpp"

#include "common.hpp"
#include "console.hpp"
#include "exit_codes.hpp"
#include "util/secrets.hpp"

#include <nativeauth/storage.hpp>

#include <cctype>
#include <iostream>

namespace cli {
namespace {

/// The passphrase: from the terminal (twice when `confirm`), or one line of stdin.
std::optional<nativeauth::SecretString> read_passphrase(bool confirm, bool *mismatch) {
  if (!console::is_terminal(0)) {
    std::string line;
    nativeauth::util::WipeOnExit wiped(line);
    if (!console::read_stdin_line(line)) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return nativeauth::SecretString(std::string(line));
  }
  auto first = console::ask_hidden(confirm ? "New passphrase for the encrypted store: " : "Passphrase: ");
  if (!first || !confirm) return first;
  auto second = console::ask_hidden("The same passphrase again: ");
  if (!second || *second != *first) {
    *mismatch = true;
    return std::nullopt;
  }
  return first;
}

}  // namespace

std::optional<std::chrono::seconds> parse_duration(const std::string &text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  std::size_t digits = 0;
  long long value = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
    value = value * 10 + (text[digits] - '0');
    ++digits;
  }
  if (digits == 0 || text.size() - digits > 1) return std::nullopt;
  const char unit = digits < text.size() ? text[digits] : 's';
  const long long scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
  if (scale == 0) return std::nullopt;
  const long long seconds = value * scale;
  if (seconds < 1 || seconds > 366LL * 86400) return std::nullopt;
  return std::chrono::seconds(seconds);
}

int run_unlock(const UnlockArgs &args) {
  const auto duration = parse_duration(args.duration);
  if (!duration) {
    std::cerr << "nativeauth: --for must be a duration like 90s, 15m, 8h or 1d (at most 366d), not '" << args.duration
              << "'\n";
    return kUsage;
  }
  auto status = nativeauth::encrypted_store_status();
  if (!status) {
    print_error("unlock", status.error());
    return exit_code_for(status.error());
  }
  const bool creating = !status->exists;
  if (creating) std::cerr << "nativeauth: creating the encrypted store in " << status->directory << '\n';
  bool mismatch = false;
  auto passphrase = read_passphrase(creating, &mismatch);
  if (!passphrase || passphrase->empty()) {
    std::cerr << "nativeauth: " << (mismatch ? "the two passphrases differ" : "no passphrase given") << '\n';
    return kUsage;
  }
  auto unlocked = nativeauth::unlock_encrypted_store(*passphrase, *duration);
  passphrase->clear();
  if (!unlocked) {
    print_error("unlock", unlocked.error());
    return exit_code_for(unlocked.error());
  }
  std::cout << "encrypted store " << unlocked->directory << " unlocked until " << utc(*unlocked->unlocked_until) << " ("
            << describe_duration(*duration) << ")\n";
  return kOk;
}

int run_lock() {
  auto locked = nativeauth::lock_encrypted_store();
  if (!locked) {
    print_error("lock", locked.error());
    return exit_code_for(locked.error());
  }
  std::cout << "encrypted store locked\n";
  return kOk;
}

}  // namespace cli
