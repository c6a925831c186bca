// SPDX-License-Identifier: Apache-2.0
// make_coarse_clock(): see clock.hpp.

#include "linux/clock.hpp"

#include <chrono>
#include <ctime>

namespace nativeauth::linux_platform {
namespace {

clockid_t probe() {
  timespec now{};
  return clock_gettime(CLOCK_REALTIME_COARSE, &now) == 0 ? CLOCK_REALTIME_COARSE : CLOCK_REALTIME;
}

class CoarseClock final : public platform::Clock {
 public:
  CoarseClock() : id_(probe()) {}

  std::chrono::system_clock::time_point now() const override {
    timespec ts{};
    if (clock_gettime(id_, &ts) != 0) return std::chrono::system_clock::now();
    const auto since_epoch = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
  }

 private:
  const clockid_t id_;
};

}  // namespace

std::shared_ptr<platform::Clock> make_coarse_clock() { return std::make_shared<CoarseClock>(); }

}  // namespace nativeauth::linux_platform
