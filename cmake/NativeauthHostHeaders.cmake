# SPDX-License-Identifier: Apache-2.0
# For a cross build whose target has no package of nlohmann/json or CLI11 (mingw-w64 on Debian): imported
# targets over the host's copies of these header-only libraries. Only their own directories are put on the
# include path, through links in the build tree, so the target's C library headers stay the target's.
set(_nativeauth_hh ${PROJECT_BINARY_DIR}/host-headers)
file(MAKE_DIRECTORY ${_nativeauth_hh})
foreach(_dir nlohmann CLI)
  if(NOT IS_DIRECTORY ${NATIVEAUTH_HOST_HEADERS}/${_dir})
    message(FATAL_ERROR "nativeauth: ${NATIVEAUTH_HOST_HEADERS}/${_dir} is missing "
                        "(Debian: nlohmann-json3-dev, libcli11-dev)")
  endif()
  file(CREATE_LINK ${NATIVEAUTH_HOST_HEADERS}/${_dir} ${_nativeauth_hh}/${_dir} SYMBOLIC)
endforeach()
add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED GLOBAL)
target_include_directories(nlohmann_json::nlohmann_json SYSTEM INTERFACE ${_nativeauth_hh})
add_library(CLI11::CLI11 INTERFACE IMPORTED GLOBAL)
target_include_directories(CLI11::CLI11 SYSTEM INTERFACE ${_nativeauth_hh})
set(nlohmann_json_FOUND TRUE)
set(CLI11_FOUND TRUE)
unset(_nativeauth_hh)
