// SPDX-License-Identifier: Apache-2.0
// reject_access_token(): an API refused an access token before its expiry (RFC 6750 §3.1 `invalid_token`;
// git calls its credential helper's `erase`). Under the slot lock the token is forgotten only while the
// slot still holds it: another process may have refreshed since the API saw it, and that successor must
// not be dropped. The refresh token stays, so the next access_token() refreshes instead of handing the
// refused token out again until it expires. Not here: the refresh itself (refresh.cpp).
#include "core/client_impl.hpp"

namespace nativeauth {
namespace {

std::shared_ptr<SessionState> state_of(core::SessionRecord record, const platform::Clock &clock) {
  auto next = std::make_shared<SessionState>();
  next->token = token_of(record.session);
  next->record = std::move(record);
  set_deadlines(*next, clock);
  return next;
}

}  // namespace

Result<bool> Client::reject_access_token(const SecretString &token) {
  if (!impl_) return make_error(ErrorCode::invalid_argument, "this Client was moved from");
  if (token.empty()) {
    return make_error(ErrorCode::invalid_argument, "reject_access_token() needs the access token the API refused");
  }
  Impl &impl = *impl_;
  PendingEvents events;
  Result<bool> result = false;
  try {
    result = impl.forget_access_token(token, events);
  } catch (const std::exception &e) {
    result = make_error(ErrorCode::internal, std::string("unexpected failure: ") + e.what());
  }
  impl.emit(events);  // after the slot lock is released, as refresh.cpp delivers its events
  return result;
}

Result<bool> Client::Impl::forget_access_token(const SecretString &token, PendingEvents &events) {
  const platform::SlotKey key = slot();
  auto slot_now = lock_and_read_slot(key, events);
  if (!slot_now) return std::move(slot_now).error();
  if (!slot_now->record) return false;  // signed out: nothing to forget, nothing of the slot in memory
  const std::shared_ptr<const SessionState> &mine = slot_now->mine;
  core::SessionRecord &record = *slot_now->record;

  // Our own rotation that the store refused is newer than the slot and was never handed out; the next
  // access_token() stores it, which replaces the refused token. Rewriting the slot now would lose it.
  if (mine && mine->dirty && mine->record.session.issued_at >= record.session.issued_at) return false;

  if (!(record.session.access_token == token)) {
    // Already replaced (another thread or process refreshed): the slot's tokens are the answer. This
    // client takes them too when it still held the refused one.
    if (mine && mine->token.value == token) {
      const std::string subject = record.session.claims.subject();
      publish(state_of(std::move(record), *platform.clock));
      events.push_back(event(SessionEventKind::refreshed, subject));
    }
    return false;
  }

  Session next = core::clone_session(record.session);
  // Expired from now on: access_token() finds it due whatever margin it asks for, and listings say so.
  const auto now = platform.clock->now();
  next.access_token_expiry = now;
  // Forgotten, unless it is all the record holds (a record without any token cannot be read back): a
  // session without a refresh token keeps it, expired, and access_token() says sign_in_required.
  if (!next.refresh_token.empty()) next.access_token = SecretString();
  auto saved = platform.store->save(key,
                                    core::serialize_session(next, record.token_endpoint, record.unknown_members, now));
  if (!saved) {
    Error e = std::move(saved).error();
    e.message = "the refused access token could not be forgotten: " + e.message;
    return e;
  }
  record.session = std::move(next);
  record.written_at = now;
  publish(state_of(std::move(record), *platform.clock));
  log.info("an API refused the access token: forgotten, the next access_token() refreshes");
  return true;
}

}  // namespace nativeauth
