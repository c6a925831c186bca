// SPDX-License-Identifier: Apache-2.0
/// @file
/// Umbrella header: everything an app needs to sign users in with nativeauth.
#pragma once

#include <nativeauth/client.hpp>
#include <nativeauth/error.hpp>
#include <nativeauth/events.hpp>
#include <nativeauth/log.hpp>
#include <nativeauth/memory_store.hpp>
#include <nativeauth/options.hpp>
#include <nativeauth/result.hpp>
#include <nativeauth/secret.hpp>
#include <nativeauth/session.hpp>
#include <nativeauth/storage.hpp>
#include <nativeauth/url_scheme.hpp>
#include <nativeauth/version.hpp>
