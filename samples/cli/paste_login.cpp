// SPDX-License-Identifier: Apache-2.0
// `nativeauth login --paste`: the sign-in runs on a worker thread waiting for handle_redirect(); this
// thread reads pasted lines from stdin and hands them over, woken (console::PasteInput) when the sign-in ends.
#include "paste_login.hpp"

#include "console.hpp"

#include "util/hex.hpp"
#include "util/secrets.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

namespace cli {
namespace {

constexpr std::size_t kMaxLine = 16 * 1024;  // far above any redirect URL; a longer line is not one

// The reading thread is woken through console::PasteInput: 'u' the URL is shown (the sign-in waits for a
// redirect), 'd' the sign-in ended.

void show_instructions(const LoginArgs &args, const std::string &url, const std::string &redirect_uri) {
  std::cerr << "To sign in to " << args.target.issuer << ", open this URL in a browser on any machine:\n\n  " << url
            << "\n\n"
            << "After you sign in, the browser is sent to "
            << (redirect_uri.empty() ? std::string("a 127.0.0.1 address") : redirect_uri)
            << " and fails to load it (\"This site can't be reached\"): that is expected. Copy the whole address "
               "from the browser's address bar and paste it here. It holds a one-time code: paste it nowhere else.\n"
            << "Waiting up to " << args.timeout_seconds << " s; Ctrl-C cancels.\n"
            << "Address: " << std::flush;
}

/// Reads pasted lines from stdin while the sign-in waits, and hands each to the client.
class PasteReader {
 public:
  PasteReader(nativeauth::Client &client, console::PasteInput &wake, std::mutex &mutex, const std::string &redirect_uri)
      : client_(client), wake_(wake), mutex_(mutex), redirect_uri_(redirect_uri) {}

  /// Returns once the sign-in ended (a 'd' note).
  void run() {
    std::string pending;
    nativeauth::util::WipeOnExit wipe_pending(pending);
    for (;;) {
      const auto woken = wake_.wait(shown_ && reading_);
      if (woken.note == '\0') {
        stop("could not wait for input");
        continue;
      }
      if (woken.note == 'd') return;
      shown_ = shown_ || woken.note == 'u';
      if (woken.input) read_some(pending);
    }
  }

 private:
  /// One read from stdin: complete lines are handed over; end of input cancels.
  void read_some(std::string &pending) {
    char buf[4096];
    const long got = wake_.read(buf, sizeof buf);
    if (got < 0) return;
    if (got == 0) {
      if (!pending.empty()) take_line(pending);  // a last line without a newline
      nativeauth::util::wipe(pending);
      if (reading_) stop("the input ended before an address was pasted");
      return;
    }
    nativeauth::util::reserve_wiping(pending, pending.size() + static_cast<std::size_t>(got));
    pending.append(buf, static_cast<std::size_t>(got));
    nativeauth::util::wipe(buf, sizeof buf);
    for (auto nl = pending.find('\n'); reading_ && nl != std::string::npos; nl = pending.find('\n')) {
      std::string line = pending.substr(0, nl);
      pending.erase(0, nl + 1);
      take_line(line);
    }
    if (pending.size() > kMaxLine) {
      nativeauth::util::wipe(pending);
      refused("that line is too long to be the address; refused", "");
    }
    if (!reading_) nativeauth::util::wipe(pending);
  }

  /// Hands one pasted line to the sign-in; wipes it (and its cleaned copy) whatever happens.
  void take_line(std::string &line) {
    nativeauth::util::WipeOnExit wipe_line(line);
    std::string url = pasted_url(line);
    nativeauth::util::WipeOnExit wipe_url(url);
    if (!reading_) return;
    if (url.empty()) {
      std::cerr << "Address: " << std::flush;
      return;
    }
    auto taken = client_.handle_redirect(url);
    if (taken) {
      reading_ = false;
      std::cerr << "Got it; finishing the sign-in…\n";
      return;
    }
    const nativeauth::Error &e = taken.error();
    if (e.code == nativeauth::ErrorCode::no_pending_sign_in) {
      reading_ = false;  // the sign-in ended meanwhile (timed out, cancelled): its own error says why
      return;
    }
    std::string why = e.message;
    if (e.code == nativeauth::ErrorCode::state_mismatch) {
      why += ". Is it the address of an earlier sign-in? Use the URL printed above, for this sign-in";
    }
    refused(why, shown_part(url));
  }

  void refused(const std::string &why, const std::string &shown) {
    ++refused_;
    std::cerr << "nativeauth: " << why << '\n';
    if (!shown.empty()) std::cerr << "  you pasted: " << shown << '\n';
    if (refused_ >= kMaxRefusedPastes) {
      stop(std::to_string(refused_) + " pasted addresses were refused");
      return;
    }
    std::string expected;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      expected = redirect_uri_;
    }
    std::cerr << "Paste the whole address" << (expected.empty() ? "" : " (it starts with " + expected + "?)") << "; "
              << kMaxRefusedPastes - refused_ << " tries left, Ctrl-C cancels.\nAddress: " << std::flush;
  }

  /// Ends the reading and the sign-in (ErrorCode::cancelled), saying why.
  void stop(const std::string &why) {
    reading_ = false;
    std::cerr << "\nnativeauth: " << why << "; cancelling the sign-in.\n";
    client_.cancel();
  }

  nativeauth::Client &client_;
  console::PasteInput &wake_;
  std::mutex &mutex_;
  const std::string &redirect_uri_;  ///< guarded by mutex_
  bool shown_ = false;
  bool reading_ = true;
  int refused_ = 0;
};

}  // namespace

std::string pasted_url(std::string_view line) {
  std::string out(line);
  for (const char *marker : {"\x1b[200~", "\x1b[201~"}) {
    for (auto at = out.find(marker); at != std::string::npos; at = out.find(marker)) out.erase(at, std::strlen(marker));
  }
  std::size_t begin = 0, end = out.size();
  while (begin < end && nativeauth::util::is_space(out[begin])) ++begin;
  while (end > begin && nativeauth::util::is_space(out[end - 1])) --end;
  std::string url = out.substr(begin, end - begin);
  nativeauth::util::wipe(out);
  if (url.rfind("127.0.0.1:", 0) == 0 || url.rfind("[::1]:", 0) == 0) url.insert(0, "http://");
  return url;
}

std::string shown_part(std::string_view text) {
  constexpr std::size_t kMaxShown = 120;
  const auto end = std::min(text.find_first_of("?#&="), kMaxShown);
  return std::string(text.substr(0, end)) + (end < text.size() ? "…" : "");
}

std::string redirect_uri_of(std::string_view url) {
  const auto q = url.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = url.substr(q + 1);
  query = query.substr(0, query.find('#'));
  for (std::size_t at = 0; at <= query.size();) {
    const auto amp = std::min(query.find('&', at), query.size());
    const std::string_view pair = query.substr(at, amp - at);
    if (pair.rfind("redirect_uri=", 0) == 0) {
      std::string out;
      for (std::size_t i = 13; i < pair.size(); ++i) {
        const int hi = pair[i] == '%' && i + 2 < pair.size() ? nativeauth::util::hex_value(pair[i + 1]) : -1;
        const int lo = hi >= 0 ? nativeauth::util::hex_value(pair[i + 2]) : -1;
        if (lo >= 0) {
          out += static_cast<char>(hi * 16 + lo);
          i += 2;
        } else {
          out += pair[i] == '+' ? ' ' : pair[i];
        }
      }
      return out;
    }
    at = amp + 1;
  }
  return {};
}

nativeauth::Result<nativeauth::Session> paste_sign_in(const LoginArgs &args, nativeauth::Client &client,
                                                      nativeauth::SignInOptions options, bool automatic) {
  console::PasteInput wake;
  if (!wake.ok()) return nativeauth::make_error(nativeauth::ErrorCode::internal, wake.error());
  if (automatic) {
    std::cerr << "So nativeauth signs in by paste-back: open the URL below on any machine, then paste back the "
                 "address the browser ends on (--browser uses a browser on this machine instead).\n";
  }
  std::mutex mutex;
  std::string redirect_uri;
  options.open_browser = false;  // nobody could see it
  options.listen = false;        // the browser is elsewhere: the redirect comes back through stdin
  options.on_authorization_url = [&](const std::string &url, bool) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      redirect_uri = redirect_uri_of(url);
    }
    show_instructions(args, url, redirect_uri_of(url));
    wake.notify('u');
  };
  std::optional<nativeauth::Result<nativeauth::Session>> outcome;
  std::thread worker([&] {
    outcome.emplace(client.sign_in(options));
    wake.notify('d');
  });
  try {
    PasteReader(client, wake, mutex, redirect_uri).run();
  } catch (...) {
    client.cancel();  // the worker must end before its thread object goes away
    worker.join();
    throw;
  }
  worker.join();
  return std::move(*outcome);
}

}  // namespace cli
