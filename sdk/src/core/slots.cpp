// SPDX-License-Identifier: Apache-2.0
// Reading slots without touching the session in memory: load_session() (this app's slot) and list_slots()
// (every app's slot of the issuer, without secrets). Not here: writing or erasing a slot, which only
// happens under the slot lock (tokens_to_session.cpp, refresh.cpp, sign_out.cpp).
#include "core/client_impl.hpp"

namespace nativeauth {

Result<std::optional<Session>> Client::load_session() {
  if (!impl_) return make_error(ErrorCode::invalid_argument, "this Client was moved from");
  try {
    const platform::SlotKey key = impl_->slot();
    auto record = impl_->platform.store->load(key);
    if (!record) return std::move(record).error();
    if (!record->has_value()) return std::optional<Session>{};
    auto parsed = core::parse_session_record(**record, key);
    if (!parsed) {
      Error e = std::move(parsed).error();
      e.message += " (slot: client '" + key.client_id + "', profile '" + key.profile + "')";
      return e;
    }
    return std::optional<Session>{std::move(parsed->session)};
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("could not load the session: ") + e.what());
  }
}

Result<std::vector<SlotInfo>> Client::list_slots() {
  if (!impl_) return make_error(ErrorCode::invalid_argument, "this Client was moved from");
  try {
    auto keys = impl_->platform.store->list(impl_->options.issuer);
    if (!keys) return std::move(keys).error();
    std::vector<SlotInfo> out;
    for (const auto &key : *keys) {
      auto record = impl_->platform.store->load(key);
      if (!record) return std::move(record).error();
      if (!record->has_value()) continue;  // erased between list and load
      out.push_back(core::describe_record(**record, key));
    }
    return out;
  } catch (const std::exception &e) {
    return make_error(ErrorCode::internal, std::string("could not list sessions: ") + e.what());
  }
}

}  // namespace nativeauth
