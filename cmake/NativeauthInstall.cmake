# SPDX-License-Identifier: Apache-2.0
# Install rules: libnativeauth, its public headers, a CMake config package and a pkg-config file.
include(CMakePackageConfigHelpers)

set(NATIVEAUTH_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/nativeauth" CACHE STRING
    "Where nativeauthConfig.cmake is installed, relative to the prefix")
set(NATIVEAUTH_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig" CACHE STRING
    "Where nativeauth.pc is installed, relative to the prefix")

# Decided by BUILD_SHARED_LIBS in sdk/CMakeLists.txt; read back from the target so the two can never disagree.
get_target_property(_nativeauth_type nativeauth TYPE)
if(_nativeauth_type STREQUAL "STATIC_LIBRARY")
  set(NATIVEAUTH_PACKAGE_STATIC ON)
else()
  set(NATIVEAUTH_PACKAGE_STATIC OFF)
endif()

# What a static archive leaves to its consumer's link line (sdk/CMakeLists.txt): libcurl and
# libcrypto only where they are linked rather than dlopened on first use (ELF: dlopened,
# docs/adr/0005 and docs/adr/0008).
if(NATIVEAUTH_CURL_LINK MATCHES "CURL::libcurl")
  set(NATIVEAUTH_PACKAGE_LINKS_CURL ON)
else()
  set(NATIVEAUTH_PACKAGE_LINKS_CURL OFF)
endif()
if(NATIVEAUTH_CRYPTO_LINK MATCHES "OpenSSL::Crypto")
  set(NATIVEAUTH_PACKAGE_LINKS_CRYPTO ON)
else()
  set(NATIVEAUTH_PACKAGE_LINKS_CRYPTO OFF)
endif()
find_package(Threads REQUIRED)  # for CMAKE_USE_PTHREADS_INIT below (sdk/CMakeLists.txt links Threads::Threads)
# The libraries. nativeauth's exported interface carries the install include dir and, for a static
# build, NATIVEAUTH_STATIC plus $<LINK_ONLY:> links to Threads::Threads and dl (or OpenSSL::Crypto and
# CURL::libcurl off ELF; see sdk/CMakeLists.txt). libsecret is never a link dependency: it is dlopened
# on the keychain's first call (docs/adr/0009). The C ABI library (nativeauth_c,
# sdk/src/capi) joins the same export set as nativeauth::c.
install(TARGETS nativeauth nativeauth_c EXPORT nativeauthTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Runtime NAMELINK_COMPONENT Development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Development)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/include/nativeauth_c/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nativeauth_c COMPONENT Development
  FILES_MATCHING PATTERN "*.h")

# Public headers, including platform/, and the generated version.hpp beside them.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/include/nativeauth/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nativeauth COMPONENT Development
  FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/generated/include/nativeauth/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nativeauth COMPONENT Development)

# CMake package: find_package(nativeauth 0.1 [COMPONENTS cxx c]) -> nativeauth::nativeauth, nativeauth::c.
install(EXPORT nativeauthTargets NAMESPACE nativeauth::
  DESTINATION ${NATIVEAUTH_INSTALL_CMAKEDIR} COMPONENT Development)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/nativeauthConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/nativeauthConfig.cmake
  INSTALL_DESTINATION ${NATIVEAUTH_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/nativeauthConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/package/nativeauthConfig.cmake
  ${PROJECT_BINARY_DIR}/package/nativeauthConfigVersion.cmake
  DESTINATION ${NATIVEAUTH_INSTALL_CMAKEDIR} COMPONENT Development)

# pkg-config. A shared library hides its dependencies, so they are private (needed only for
# --static). A static archive cannot be linked without them, and `pkg-config --static` is unusable
# on Debian (libcurl.pc's Libs.private names -dev packages nobody installs), so a static build
# lists them as plain Requires/Libs. They are the static archive's real link interface, the same as
# the CMake package's: the dynamic loader and threads; not libcurl, libcrypto or libsecret-1 on ELF,
# where they are dlopened (docs/adr/0005, 0008, 0009). Listing libsecret-1 in Requires.private, as
# before ADR 9, would be wrong now: nothing in either library refers to a libsecret or GLib symbol, and
# pkg-config would make every consumer install libsecret-1-dev for headers and flags it never uses.
# That the keychain needs libsecret-1.so.0 at run time is a runtime dependency, which pkg-config cannot
# express: the Debian package declares it (cmake/NativeauthCPack.cmake). nlohmann_json is header-only:
# never needed.
set(_nativeauth_pc_deps "")
if(NATIVEAUTH_PACKAGE_LINKS_CURL)
  list(APPEND _nativeauth_pc_deps libcurl)
endif()
if(NATIVEAUTH_PACKAGE_LINKS_CRYPTO)
  list(APPEND _nativeauth_pc_deps libcrypto)
endif()
list(JOIN _nativeauth_pc_deps " " _nativeauth_pc_deps)
set(_nativeauth_pc_libs "")
foreach(_lib IN LISTS CMAKE_DL_LIBS)
  string(APPEND _nativeauth_pc_libs " -l${_lib}")
endforeach()
if(CMAKE_USE_PTHREADS_INIT)
  string(APPEND _nativeauth_pc_libs " -pthread")
endif()
if(NATIVEAUTH_PACKAGE_STATIC)
  set(NATIVEAUTH_PC_REQUIRES "${_nativeauth_pc_deps}")
  set(NATIVEAUTH_PC_REQUIRES_PRIVATE "")
  set(NATIVEAUTH_PC_CFLAGS " -DNATIVEAUTH_STATIC")
  set(NATIVEAUTH_PC_LIBS "${_nativeauth_pc_libs}")
  set(NATIVEAUTH_PC_LIBS_PRIVATE "")
else()
  set(NATIVEAUTH_PC_REQUIRES "")
  set(NATIVEAUTH_PC_REQUIRES_PRIVATE "${_nativeauth_pc_deps}")
  set(NATIVEAUTH_PC_CFLAGS "")
  set(NATIVEAUTH_PC_LIBS "")
  set(NATIVEAUTH_PC_LIBS_PRIVATE "${_nativeauth_pc_libs}")
endif()
foreach(_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_dir}}")
    set(NATIVEAUTH_PC_${_dir} "${CMAKE_INSTALL_${_dir}}")
  else()
    set(NATIVEAUTH_PC_${_dir} "\${prefix}/${CMAKE_INSTALL_${_dir}}")
  endif()
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/nativeauth.pc.in ${PROJECT_BINARY_DIR}/package/nativeauth.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/nativeauth.pc
  DESTINATION ${NATIVEAUTH_INSTALL_PKGCONFIGDIR} COMPONENT Development)
# nativeauth-c.pc: the C ABI library sits on libnativeauth, and a static one also on the C++ runtime.
if(NATIVEAUTH_PACKAGE_STATIC)
  set(NATIVEAUTH_C_PC_REQUIRES "nativeauth")
  set(NATIVEAUTH_C_PC_LIBS " -lstdc++")
  set(NATIVEAUTH_C_PC_LIBS_PRIVATE "")
else()
  set(NATIVEAUTH_C_PC_REQUIRES "")
  set(NATIVEAUTH_C_PC_LIBS "")
  set(NATIVEAUTH_C_PC_LIBS_PRIVATE " -lnativeauth -lstdc++")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/nativeauth-c.pc.in ${PROJECT_BINARY_DIR}/package/nativeauth-c.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/nativeauth-c.pc
  DESTINATION ${NATIVEAUTH_INSTALL_PKGCONFIGDIR} COMPONENT Development)

# The CLI links libnativeauth.so; let the installed binary find it wherever the prefix is. Not when
# the library goes to a directory the loader searches anyway (a /usr install, the Debian package):
# an RPATH there is useless and packaging policy forbids it.
list(FIND CMAKE_C_IMPLICIT_LINK_DIRECTORIES "${CMAKE_INSTALL_FULL_LIBDIR}" _nativeauth_libdir_is_system)
if(TARGET nativeauth_cli AND NOT NATIVEAUTH_PACKAGE_STATIC AND UNIX AND NOT APPLE
   AND _nativeauth_libdir_is_system EQUAL -1)
  file(RELATIVE_PATH _nativeauth_bin_to_lib
       "${CMAKE_INSTALL_FULL_BINDIR}" "${CMAKE_INSTALL_FULL_LIBDIR}")
  set_target_properties(nativeauth_cli PROPERTIES INSTALL_RPATH "\$ORIGIN/${_nativeauth_bin_to_lib}")
endif()
# The same for the C ABI library, which finds libnativeauth.so.0 beside it.
if(TARGET nativeauth_c AND NOT NATIVEAUTH_PACKAGE_STATIC AND UNIX AND NOT APPLE
   AND _nativeauth_libdir_is_system EQUAL -1)
  set_target_properties(nativeauth_c PROPERTIES INSTALL_RPATH "\$ORIGIN")
endif()

unset(_nativeauth_type)
unset(_nativeauth_pc_deps)
unset(_nativeauth_pc_libs)
unset(_nativeauth_install_targets)
unset(_nativeauth_bin_to_lib)
unset(_nativeauth_libdir_is_system)
