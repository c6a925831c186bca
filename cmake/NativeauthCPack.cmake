# SPDX-License-Identifier: Apache-2.0
# Debian package of nativeauth (cpack -G DEB from a build configured with -DCMAKE_INSTALL_PREFIX=/usr):
# the CLI, the library, its headers and its CMake/pkg-config files in one package, `nativeauth`.
#
# One package rather than libnativeauth0 / libnativeauth-dev / nativeauth-cli: for 0.1 the library's
# only packaged user is the CLI, the ABI is not yet promised (SONAME libnativeauth.so.0, see
# docs/versioning.md), and one package keeps `apt install ./nativeauth_*.deb` a single step. The
# split is a packaging change only (install() components Runtime/Development already exist).
if(NOT PROJECT_IS_TOP_LEVEL)
  return()
endif()

set(CPACK_PACKAGE_NAME nativeauth)
set(CPACK_PACKAGE_VENDOR "nativeauth")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})  # the one version, from project()
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "nativeauth maintainers <maintainers@nativeauth.invalid>")
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # nativeauth_<version>-<release>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PROJECT_HOMEPAGE_URL}")
# The long description only: CPack puts CPACK_PACKAGE_DESCRIPTION_SUMMARY on the first line and
# formats the rest (leading space, " ." for empty lines) itself.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "nativeauth signs users of native apps in through the system browser with
Authorization Code + PKCE and a loopback redirect (RFC 8252), validates the
OpenID Connect ID token, keeps the session in the Secret Service and renews
access tokens silently.

This package holds the nativeauth command-line tool, the C++17 library
libnativeauth, its headers, and its CMake and pkg-config files.")
# Shared-library dependencies of the CLI and the library, as dpkg-shlibdeps finds them
# (libstdc++6, libqrencode4, ...). It cannot see what the library dlopens, so those are named here by
# hand: libcurl.so.4 on its first request (docs/adr/0005), libcrypto.so.3 (package libssl3) on its
# first cryptographic call (docs/adr/0008), and libsecret-1.so.0 with GLib's libgio, libgobject and
# libglib on the keychain's first call (docs/adr/0009). The minimum versions are those of the newest
# function the SDK resolves from each (libsecret 0.18: secret_service_encode_dbus_secret; GLib 2.28:
# g_list_free_full), what dpkg-shlibdeps would have derived from their symbols files.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${CMAKE_INSTALL_FULL_LIBDIR}")
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcurl4 (>= 7.88), libssl3 (>= 3.0.0)")
if(NATIVEAUTH_WITH_LIBSECRET)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libsecret-1-0 (>= 0.18), libglib2.0-0 (>= 2.28)")
endif()
# A shlibs file, and the ldconfig trigger for libnativeauth.so.0 (CPack's own postinst also runs
# ldconfig, which lintian reports as a warning; harmless).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_LIST_DIR}/debian/triggers)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Debian wants the licence beside every package's docs; Debian's own copy of the text is referenced.
install(FILES ${CMAKE_CURRENT_LIST_DIR}/debian/copyright
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${CPACK_PACKAGE_NAME} COMPONENT Runtime)

set(CPACK_GENERATOR DEB)
include(CPack)
