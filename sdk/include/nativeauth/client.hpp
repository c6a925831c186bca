// SPDX-License-Identifier: Apache-2.0
// Client: signs a user in through the system browser with Authorization Code + PKCE (RFC 8252).
#pragma once

#include <nativeauth/export.hpp>
#include <nativeauth/options.hpp>
#include <nativeauth/result.hpp>
#include <nativeauth/session.hpp>

#include <memory>
#include <optional>
#include <vector>

namespace nativeauth {

/// One app's connection to one provider.
///
/// Thread safety: a Client may be used from several threads; only one sign_in() runs at a time
/// (a second concurrent call fails with ErrorCode::invalid_argument). cancel() is safe from any
/// thread, including from inside callbacks.
class NATIVEAUTH_API Client {
 public:
  /// Validates the options (no network). Fails with invalid_argument / invalid_configuration.
  static Result<Client> create(ClientOptions options);

  Client(Client &&) noexcept;
  Client &operator=(Client &&) noexcept;
  Client(const Client &) = delete;
  Client &operator=(const Client &) = delete;
  ~Client();

  /// Signs the user in: discovers the provider, opens the system browser on an authorization
  /// request (PKCE S256, state, nonce), waits for the redirect on a loopback listener, checks it
  /// (state, iss), exchanges the code, validates the ID token and stores the session in the
  /// client's slot. Blocks until done, failed, timed out or cancelled.
  Result<Session> sign_in(const SignInOptions &options = {});

  /// Ends a sign_in() in progress with ErrorCode::cancelled. No effect when none is running.
  void cancel() noexcept;

  /// The session stored in this client's slot (issuer, client_id, profile), or nullopt when the slot
  /// is empty. No network. ErrorCode::storage_corrupt / storage_slot_mismatch when the record cannot
  /// be used (it is left in place, untouched); storage_unavailable / storage_locked from the store.
  Result<std::optional<Session>> load_session();

  /// Every slot of this client's issuer on this machine (all clients and profiles), without secrets.
  /// An unreadable record is listed with SlotInfo::problem set rather than hidden.
  Result<std::vector<SlotInfo>> list_slots();

  const std::string &issuer() const noexcept;
  const std::string &client_id() const noexcept;

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nativeauth
