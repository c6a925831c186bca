// SPDX-License-Identifier: Apache-2.0
// Session events: subscribe()/unsubscribe() and delivery. Events are collected while locks are held and
// delivered after they are released, on the thread that caused them; a handler that throws is logged and
// skipped. Not here: deciding when an event happens (sign_in.cpp, refresh.cpp, sign_out.cpp).
#include "core/client_impl.hpp"

namespace nativeauth {

std::uint64_t Client::subscribe(SessionEventHandler handler) {
  if (!impl_ || !handler) return 0;
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  const std::uint64_t id = impl_->next_subscriber++;
  impl_->subscribers.emplace(id, std::move(handler));
  return id;
}

void Client::unsubscribe(std::uint64_t id) noexcept {
  if (!impl_) return;
  try {
    std::lock_guard<std::mutex> lock(impl_->state_mutex);
    impl_->subscribers.erase(id);
  } catch (...) {
  }
}

SessionEvent Client::Impl::event(SessionEventKind kind, const std::string &subject) const {
  SessionEvent e;
  e.kind = kind;
  e.issuer = options.issuer;
  e.client_id = options.client_id;
  e.profile = options.profile;
  e.subject = subject;
  return e;
}

void Client::Impl::emit(const PendingEvents &events) {
  if (events.empty()) return;
  std::vector<SessionEventHandler> handlers;
  {
    std::lock_guard<std::mutex> lock(state_mutex);
    for (const auto &entry : subscribers) handlers.push_back(entry.second);
  }
  for (const auto &e : events) {
    for (const auto &h : handlers) {
      try {
        h(e);
      } catch (...) {
        log.warning("a session event handler threw; ignored");
      }
    }
  }
}

}  // namespace nativeauth
