/* SPDX-License-Identifier: Apache-2.0 */
/* The nativeauth C ABI in one include: OAuth 2.0 / OpenID Connect sign-in for native apps (RFC 8252). */
#ifndef NATIVEAUTH_C_NATIVEAUTH_H
#define NATIVEAUTH_C_NATIVEAUTH_H

#include <nativeauth_c/client.h>
#include <nativeauth_c/common.h>
#include <nativeauth_c/errors.h>
#include <nativeauth_c/host.h>
#include <nativeauth_c/sign_in.h>

#endif /* NATIVEAUTH_C_NATIVEAUTH_H */
