// SPDX-License-Identifier: Apache-2.0
// The Linux wall clock: CLOCK_REALTIME_COARSE.
#pragma once

#include <nativeauth/platform/clock.hpp>

#include <memory>

namespace nativeauth::linux_platform {

/// A Clock reading CLOCK_REALTIME_COARSE: the wall-clock time of the kernel's last timer tick. It is
/// never ahead of the true time, and behind it by at most a tick (clock_getres: 1–4 ms) plus how late
/// that tick was handled (up to ~5 ms in all measured on a KVM guest: tests/unit/clock_test.cpp).
/// access_token() reads the clock on every call: in a tight loop on a KVM guest CLOCK_REALTIME costs
/// ~28 ns a read through the vDSO, the coarse clock ~6.5 ns; in access_token() the switch saved ~12 ns
/// of ~99 ns (docs/performance.md). What nativeauth decides with the clock tolerates seconds: expiries
/// it computes itself (now + expires_in) are compared with the same clock, so the lag cancels out; the
/// ID token's exp/iat/nbf checks allow clock skew, and the provider's clock differs from ours by more
/// than milliseconds anyway. Falls back to CLOCK_REALTIME where the coarse clock is missing.
std::shared_ptr<platform::Clock> make_coarse_clock();

}  // namespace nativeauth::linux_platform
