// SPDX-License-Identifier: Apache-2.0
/// @file
/// BrowserLauncher: how a platform opens a URL in the user's system browser (RFC 8252 §4, §8.12).
#pragma once

#include <nativeauth/result.hpp>

#include <string>

namespace nativeauth::platform {

/// Opens URLs in the system browser, never in an embedded web view.
/// Thread safety: open() may be called from any thread.
class BrowserLauncher {
 public:
  virtual ~BrowserLauncher() = default;

  /// Starts the browser on `url` and returns as soon as it was launched; never waits for the
  /// browser to exit. Returns ErrorCode::browser_unavailable when nothing could be launched (the
  /// caller then shows the URL to the user). Implementations must not pass the URL through a shell.
  virtual Result<void> open(const std::string &url) = 0;
};

}  // namespace nativeauth::platform
