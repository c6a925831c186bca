// SPDX-License-Identifier: Apache-2.0
// default_platform() for Linux: the $BROWSER/xdg-open/gio launcher, the POSIX loopback listener and
// flock slot locks, the Unix socket redirect relay, the coarse wall clock.

#include <nativeauth/platform/platform.hpp>

#include "linux/browser_launcher.hpp"
#include "linux/clock.hpp"
#include "posix/loopback_listener.hpp"
#include "posix/redirect_relay.hpp"
#include "posix/slot_lock.hpp"

namespace nativeauth::platform {

// store and http stay empty: the Client fills them with its own defaults.
Platform default_platform() {
  Platform platform;
  platform.browser = linux_platform::make_browser_launcher();
  platform.loopback = posix::make_loopback_listener_factory();
  platform.locks = posix::make_slot_lock_factory();
  platform.relay = posix::make_redirect_relay();
  platform.clock = linux_platform::make_coarse_clock();
  return platform;
}

}  // namespace nativeauth::platform
