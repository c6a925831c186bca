# SPDX-License-Identifier: Apache-2.0
# The one platform switch: which folders of platform/ this build compiles, which crypto backend the core
# uses, and what they link. Every OS-specific choice of the build is made here and nowhere else; the
# folders themselves wire their parts together (platform/<os>/defaults.cpp).
#
# Sets, for platform/CMakeLists.txt and sdk/CMakeLists.txt:
#   NATIVEAUTH_PLATFORM          linux | windows | apple
#   NATIVEAUTH_PLATFORM_SOURCES  the platform/ sources this build compiles (relative to platform/)
#   NATIVEAUTH_PLATFORM_LIBS     what they link (imported targets or system library names)
#   NATIVEAUTH_PLATFORM_DEFINES  their compile definitions
#   NATIVEAUTH_CRYPTO_SOURCES    the crypto backend (relative to sdk/)
#   NATIVEAUTH_CRYPTO_LINK       what it links; NATIVEAUTH_CRYPTO_DLOPEN when it loads libcrypto on first use
#   NATIVEAUTH_CURL_LINK         what the libcurl transport links (empty where there is none)

# Compiled on every platform: the store and the DPoP key store made of the host app's callbacks (mobile hosts,
# the C ABI).
set(_common host_callbacks/callback_key_store.cpp host_callbacks/callback_store.cpp)

if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(NATIVEAUTH_PLATFORM linux)
  option(NATIVEAUTH_WITH_LIBSECRET "Store sessions in the Secret Service through libsecret" ON)
  find_package(OpenSSL 3 REQUIRED COMPONENTS Crypto)
  find_package(CURL REQUIRED)
  set(NATIVEAUTH_PLATFORM_SOURCES ${_common}
    linux/browser_launcher.cpp linux/clock.cpp linux/defaults.cpp linux/encrypted_store_host.cpp
    linux/kernel_keyring.cpp linux/token_cache.cpp linux/tpm_key_store.cpp linux/tss_loader.cpp linux/url_scheme.cpp
    posix/file_store.cpp posix/loopback_listener.cpp posix/redirect_relay.cpp posix/slot_lock.cpp posix/spawn.cpp
    libcurl/curl_transport.cpp)
  set(NATIVEAUTH_PLATFORM_LIBS "")
  if(NATIVEAUTH_WITH_LIBSECRET)
    # Headers only: libsecret and GLib are loaded on the keychain's first call (docs/adr/0009);
    # platform/CMakeLists.txt adds PkgConfig::LIBSECRET's include directories, nothing links it.
    pkg_check_modules(LIBSECRET REQUIRED IMPORTED_TARGET GLOBAL libsecret-1)
    list(APPEND NATIVEAUTH_PLATFORM_SOURCES linux/secret_store.cpp linux/libsecret_loader.cpp)
  else()
    list(APPEND NATIVEAUTH_PLATFORM_SOURCES linux/no_keychain.cpp)
  endif()
  # The TPM key store uses only tpm2-tss's headers (Debian: libtss2-dev): ESAPI and the TCTI loader are loaded
  # on its first create() or open(); platform/CMakeLists.txt adds PkgConfig::TSS2's include directories.
  pkg_check_modules(TSS2 REQUIRED IMPORTED_TARGET GLOBAL tss2-esys tss2-tctildr tss2-mu tss2-rc)
  # ELF: libcurl, libcrypto and libsecret are loaded on first use, not linked (docs/adr/0005, 0008,
  # 0009); only their headers are used at build time.
  set(NATIVEAUTH_PLATFORM_DEFINES NATIVEAUTH_CURL_DLOPEN)
  set(NATIVEAUTH_CURL_LINK ${CMAKE_DL_LIBS})
  set(NATIVEAUTH_CRYPTO_SOURCES src/crypto/crypto.cpp)
  set(NATIVEAUTH_CRYPTO_DLOPEN ON)
  set(NATIVEAUTH_CRYPTO_LINK ${CMAKE_DL_LIBS})
elseif(WIN32)
  # Windows' own libraries stand where libcurl, OpenSSL and libsecret stand on Linux: WinHTTP, CNG (bcrypt),
  # Credential Manager (advapi32), Winsock; nothing to ship beside nativeauth.dll (platform/windows/README.md).
  set(NATIVEAUTH_PLATFORM windows)
  set(NATIVEAUTH_PLATFORM_SOURCES ${_common}
    windows/browser_launcher.cpp windows/credential_store.cpp windows/defaults.cpp windows/loopback_listener.cpp
    windows/ncrypt_key_store.cpp windows/no_file_store.cpp windows/redirect_relay.cpp windows/slot_lock.cpp
    windows/url_scheme.cpp windows/winhttp_transport.cpp)
  set(NATIVEAUTH_PLATFORM_LIBS winhttp ws2_32 shell32 ole32 advapi32 bcrypt ncrypt)
  set(NATIVEAUTH_CRYPTO_SOURCES src/crypto/crypto_cng.cpp)
  set(NATIVEAUTH_CRYPTO_LINK bcrypt)
elseif(APPLE)
  set(NATIVEAUTH_PLATFORM apple)
  message(FATAL_ERROR
    "nativeauth: Apple platforms have a Keychain store (platform/macos) but no browser launcher or default "
    "platform yet, and nothing here has been built on one; see platform/macos/README.md")
else()
  message(FATAL_ERROR "nativeauth: platform ${CMAKE_SYSTEM_NAME} is not supported")
endif()
unset(_common)
