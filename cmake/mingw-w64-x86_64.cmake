# SPDX-License-Identifier: Apache-2.0
# Cross-compiling nativeauth for 64-bit Windows with Debian's mingw-w64 (g++-mingw-w64-x86-64-posix):
#   cmake --toolchain cmake/mingw-w64-x86_64.cmake -B build-win -G Ninja
#   cmake --build build-win
# The posix thread model is the one whose libstdc++ has std::thread and std::mutex. The programs it builds
# run on Windows, and here under wine (scripts/test-windows).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_SYSTEM_VERSION 10)

set(_mingw x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${_mingw}-gcc-posix)
set(CMAKE_CXX_COMPILER ${_mingw}-g++-posix)
set(CMAKE_RC_COMPILER ${_mingw}-windres)

# Libraries and headers for the target come from the mingw sysroot only; programs (node, wine) from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${_mingw})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config must not hand the host's libraries (libqrencode, ...) to the target.
set(ENV{PKG_CONFIG_LIBDIR} /usr/${_mingw}/lib/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# Header-only dependencies have no mingw package in Debian: the build takes the host's copies of exactly
# these directories (never the whole /usr/include, whose C library headers are glibc's), see
# cmake/NativeauthHostHeaders.cmake. GoogleTest is built from Debian's sources (package googletest).
set(NATIVEAUTH_HOST_HEADERS /usr/include CACHE PATH "Where the host's nlohmann/ and CLI/ header directories are")
set(NATIVEAUTH_GOOGLETEST_SOURCE /usr/src/googletest CACHE PATH "GoogleTest's sources, built for the target")

# Link the C and C++ runtimes and winpthread statically: nativeauth.dll and the programs then need only
# Windows' own DLLs (kernel32, advapi32, winhttp, ws2_32, bcrypt, shell32, ole32, crypt32).
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static")
unset(_mingw)
