# SPDX-License-Identifier: Apache-2.0
# Install rules: libnativeauth, its public headers, a CMake config package and a pkg-config file.
include(CMakePackageConfigHelpers)

set(NATIVEAUTH_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/nativeauth" CACHE STRING
    "Where nativeauthConfig.cmake is installed, relative to the prefix")
set(NATIVEAUTH_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig" CACHE STRING
    "Where nativeauth.pc is installed, relative to the prefix")

# Decided by BUILD_SHARED_LIBS in sdk/lib; read back from the target so the two can never disagree.
get_target_property(_nativeauth_type nativeauth TYPE)
if(_nativeauth_type STREQUAL "STATIC_LIBRARY")
  set(NATIVEAUTH_PACKAGE_STATIC ON)
else()
  set(NATIVEAUTH_PACKAGE_STATIC OFF)
endif()

# The library. Its exported interface carries the install include dir and, for a static build,
# NATIVEAUTH_STATIC plus $<LINK_ONLY:> links to OpenSSL::Crypto and CURL::libcurl (see sdk/lib).
install(TARGETS nativeauth EXPORT nativeauthTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Runtime NAMELINK_COMPONENT Development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Development)

# Public headers, including platform/, and the generated version.hpp beside them.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/include/nativeauth/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nativeauth COMPONENT Development
  FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/generated/include/nativeauth/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nativeauth COMPONENT Development)

# CMake package: find_package(nativeauth 0.1) -> nativeauth::nativeauth.
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
# lists them as plain Requires. nlohmann_json is header-only and private: consumers never need it.
set(_nativeauth_pc_deps "libcurl libcrypto")
if(NATIVEAUTH_WITH_LIBSECRET)
  string(APPEND _nativeauth_pc_deps " libsecret-1")
endif()
if(NATIVEAUTH_PACKAGE_STATIC)
  set(NATIVEAUTH_PC_REQUIRES "${_nativeauth_pc_deps}")
  set(NATIVEAUTH_PC_REQUIRES_PRIVATE "")
  set(NATIVEAUTH_PC_CFLAGS " -DNATIVEAUTH_STATIC")
else()
  set(NATIVEAUTH_PC_REQUIRES "")
  set(NATIVEAUTH_PC_REQUIRES_PRIVATE "${_nativeauth_pc_deps}")
  set(NATIVEAUTH_PC_CFLAGS "")
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

# The CLI links libnativeauth.so; let the installed binary find it wherever the prefix is.
if(TARGET nativeauth_cli AND NOT NATIVEAUTH_PACKAGE_STATIC AND UNIX AND NOT APPLE)
  file(RELATIVE_PATH _nativeauth_bin_to_lib
       "${CMAKE_INSTALL_FULL_BINDIR}" "${CMAKE_INSTALL_FULL_LIBDIR}")
  set_target_properties(nativeauth_cli PROPERTIES INSTALL_RPATH "\$ORIGIN/${_nativeauth_bin_to_lib}")
endif()

unset(_nativeauth_type)
unset(_nativeauth_pc_deps)
unset(_nativeauth_bin_to_lib)
