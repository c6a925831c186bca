// SPDX-License-Identifier: Apache-2.0
// The device authorization response (RFC 8628 §3.2), parsed apart from the flow so it can be fuzzed.
#pragma once

#include <nativeauth/options.hpp>
#include <nativeauth/platform/http_transport.hpp>
#include <nativeauth/result.hpp>
#include <nativeauth/secret.hpp>

#include <chrono>

namespace nativeauth::core {

struct DeviceAuthorization {
  SecretString device_code;  ///< Never shown, never logged.
  DeviceCode shown;          ///< What the user is shown; expires_at is left for the caller to set.
  std::chrono::seconds expires_in{0};
};

/// Maps the device authorization endpoint's answer to a DeviceAuthorization or an Error: an OAuth error
/// body becomes ErrorCode::authorization_error with the server's fields; missing members, a non-positive
/// expires_in or a verification URI that is neither https nor loopback http are refused. `interval`
/// defaults to 5 s; expires_in and interval are capped at a day.
Result<DeviceAuthorization> parse_device_authorization(const platform::HttpResponse &response);

}  // namespace nativeauth::core
