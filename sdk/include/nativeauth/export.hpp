// SPDX-License-Identifier: Apache-2.0
/// @file
/// Symbol visibility for the nativeauth C++ library: everything is hidden unless marked NATIVEAUTH_API.
#pragma once

/// @def NATIVEAUTH_API
/// Marks a symbol exported from the nativeauth library; everything else is hidden. Empty when
/// NATIVEAUTH_STATIC is defined (static archive: the CMake package and pkg-config file define it).
#if defined(NATIVEAUTH_STATIC)
#define NATIVEAUTH_API
#elif defined(_WIN32)
#if defined(NATIVEAUTH_BUILDING)
#define NATIVEAUTH_API __declspec(dllexport)
#else
#define NATIVEAUTH_API __declspec(dllimport)
#endif
#else
#define NATIVEAUTH_API __attribute__((visibility("default")))
#endif
