// SPDX-License-Identifier: Apache-2.0
// default_platform() for Linux: the $BROWSER/xdg-open/gio launcher and the POSIX loopback listener.

#include <nativeauth/platform/platform.hpp>

#include "linux/browser_launcher.hpp"
#include "posix/loopback_listener.hpp"

namespace nativeauth::platform {

// store, http and clock stay empty: the Client fills them with its own defaults.
Platform default_platform() {
  Platform platform;
  platform.browser = linux_platform::make_browser_launcher();
  platform.loopback = posix::make_loopback_listener_factory();
  return platform;
}

}  // namespace nativeauth::platform
