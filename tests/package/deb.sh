#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Consumers of the installed Debian package: builds tests/package/main.cpp (and main.c, the C ABI) with CMake
# (find_package(nativeauth)) and with pkg-config against ROOT/usr, where the .deb was installed with
# apt into a throw-away Debian system, then runs both programs inside that system (chroot ROOT).
# The compiler is the host's: the clean system has only what the package's Depends pulled in.
# Usage: deb.sh ROOT OUTPUT_DIR        (run as root: it uses chroot)
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 ROOT OUTPUT_DIR" >&2
  exit 2
fi
rootfs=$(cd "$1" && pwd)
out=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rm -rf "$out"
mkdir -p "$out" "$rootfs/tmp/nativeauth-consumers"
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
status=0

# CMake: the package's config is relocatable, so ROOT/usr works as a prefix as /usr would.
if cmake -S "$here" -B "$out/cmake" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
     -DCMAKE_PREFIX_PATH="$rootfs/usr" -DCMAKE_FIND_USE_CMAKE_SYSTEM_PATH=OFF >"$out/cmake.log" 2>&1 &&
   cmake --build "$out/cmake" >>"$out/cmake.log" 2>&1 &&
   grep -q "from $rootfs/usr/lib/.*/cmake/nativeauth" "$out/cmake.log" &&
   cp "$out/cmake/package_test" "$rootfs/tmp/nativeauth-consumers/cmake_test" &&
   chroot "$rootfs" /tmp/nativeauth-consumers/cmake_test >>"$out/cmake.log" 2>&1 &&
   cp "$out/cmake/package_test_c" "$rootfs/tmp/nativeauth-consumers/cmake_test_c" &&
   chroot "$rootfs" /tmp/nativeauth-consumers/cmake_test_c >>"$out/cmake.log" 2>&1; then
  echo "deb: cmake consumer ok ($(tail -1 "$out/cmake.log"))"
else
  echo "deb: cmake consumer FAILED (log: $out/cmake.log)"; tail -n 15 "$out/cmake.log" | sed 's/^/  /'; status=1
fi

# pkg-config: the package's nativeauth.pc says prefix=/usr; the sysroot maps it to ROOT. It requires no
# other .pc file (libcurl, libcrypto and libsecret are dlopened: docs/adr/0005, 0008, 0009).
pcdir=$(dirname "$(find "$rootfs/usr/lib" -name nativeauth.pc -path '*/pkgconfig/*' -print -quit)")
if {
     cflags=$(PKG_CONFIG_SYSROOT_DIR=$rootfs PKG_CONFIG_PATH=$pcdir pkg-config --cflags nativeauth) &&
     libs=$(PKG_CONFIG_SYSROOT_DIR=$rootfs PKG_CONFIG_PATH=$pcdir pkg-config --libs nativeauth) &&
     echo "pkg-config: $cflags $libs" &&
     # shellcheck disable=SC2086  # word splitting of pkg-config output is intended
     c++ -std=c++17 -Wall -Wextra -Wpedantic -Werror -o "$out/pkgconfig_test" "$here/main.cpp" $cflags $libs &&
     cp "$out/pkgconfig_test" "$rootfs/tmp/nativeauth-consumers/pkgconfig_test" &&
     chroot "$rootfs" /tmp/nativeauth-consumers/pkgconfig_test &&
     ccflags=$(PKG_CONFIG_SYSROOT_DIR=$rootfs PKG_CONFIG_PATH=$pcdir pkg-config --cflags nativeauth-c) &&
     clibs=$(PKG_CONFIG_SYSROOT_DIR=$rootfs PKG_CONFIG_PATH=$pcdir pkg-config --libs nativeauth-c) &&
     echo "pkg-config (C ABI): $ccflags $clibs" &&
     # shellcheck disable=SC2086
     # (-rpath-link: libnativeauth_c.so needs libnativeauth.so.0, which lives in ROOT here, not in /usr.)
     cc -std=c99 -Wall -Wextra -Wpedantic -Werror -o "$out/pkgconfig_test_c" "$here/main.c" $ccflags $clibs \
       -Wl,-rpath-link,"$(dirname "$pcdir")" &&
     cp "$out/pkgconfig_test_c" "$rootfs/tmp/nativeauth-consumers/pkgconfig_test_c" &&
     chroot "$rootfs" /tmp/nativeauth-consumers/pkgconfig_test_c
   } >"$out/pkgconfig.log" 2>&1; then
  echo "deb: pkg-config consumer ok ($(tail -1 "$out/pkgconfig.log"))"
else
  echo "deb: pkg-config consumer FAILED (log: $out/pkgconfig.log)"; tail -n 15 "$out/pkgconfig.log" | sed 's/^/  /'; status=1
fi
exit $status
