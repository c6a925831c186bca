#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds tests/package/main.cpp (and main.c against nativeauth-c, when installed) against an installed
# nativeauth using only pkg-config, then runs them.
# Usage: pkgconfig.sh PREFIX [OUTPUT_DIR]
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 PREFIX [OUTPUT_DIR]" >&2
  exit 2
fi
prefix=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ $# -eq 2 ]]; then
  out=$2
  mkdir -p "$out"
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi

pc=$(find "$prefix" -name nativeauth.pc -path '*/pkgconfig/*' -print -quit)
if [[ -z $pc ]]; then
  echo "pkgconfig.sh: no nativeauth.pc under $prefix" >&2
  exit 1
fi
pcdir=$(dirname "$pc")
export PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

libdir=$(pkg-config --variable=libdir nativeauth)
cflags=$(pkg-config --cflags nativeauth)
libs=$(pkg-config --libs nativeauth)
echo "pkgconfig.sh: nativeauth $(pkg-config --modversion nativeauth): $cflags $libs"

# A static archive must come with -DNATIVEAUTH_STATIC (export.hpp), a shared library without it.
if [[ -e $libdir/libnativeauth.so ]]; then
  [[ $cflags != *NATIVEAUTH_STATIC* ]] || { echo "pkgconfig.sh: shared build but Cflags has NATIVEAUTH_STATIC" >&2; exit 1; }
else
  [[ $cflags == *-DNATIVEAUTH_STATIC* ]] || { echo "pkgconfig.sh: static build but Cflags lacks -DNATIVEAUTH_STATIC" >&2; exit 1; }
fi

# Word splitting of the pkg-config output is intended.
# shellcheck disable=SC2086
c++ -std=c++17 -Wall -Wextra -Wpedantic -Werror -o "$out/package_test" "$here/main.cpp" $cflags $libs
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$out/package_test"

# The C ABI from C99, when nativeauth-c.pc is installed.
if pkg-config --exists nativeauth-c; then
  ccflags=$(pkg-config --cflags nativeauth-c)
  clibs=$(pkg-config --libs nativeauth-c)
  echo "pkgconfig.sh: nativeauth-c $(pkg-config --modversion nativeauth-c): $ccflags $clibs"
  # A shared C ABI library hides everything behind it: C apps get no libsecret/glib include paths. (A
  # static one requires nativeauth outright, and with it their flags.)
  if [[ -e $libdir/libnativeauth_c.so ]]; then
    # (The include directories' names, not bare words: a prefix path may contain "secret".)
    [[ $ccflags != *glib-2.0* && $ccflags != *libsecret-1* ]] || { echo "pkgconfig.sh: nativeauth-c's Cflags pull in $ccflags" >&2; exit 1; }
  fi
  # shellcheck disable=SC2086
  cc -std=c99 -Wall -Wextra -Wpedantic -Werror -o "$out/package_test_c" "$here/main.c" $ccflags $clibs
  LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$out/package_test_c"
fi
