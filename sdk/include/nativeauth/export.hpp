// SPDX-License-Identifier: Apache-2.0
// Symbol visibility for the nativeauth C++ library: everything is hidden unless marked NATIVEAUTH_API.
#pragma once

#if defined(NATIVEAUTH_STATIC)
#  define NATIVEAUTH_API
#elif defined(_WIN32)
#  if defined(NATIVEAUTH_BUILDING)
#    define NATIVEAUTH_API __declspec(dllexport)
#  else
#    define NATIVEAUTH_API __declspec(dllimport)
#  endif
#else
#  define NATIVEAUTH_API __attribute__((visibility("default")))
#endif
