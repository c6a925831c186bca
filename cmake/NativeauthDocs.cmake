# SPDX-License-Identifier: Apache-2.0
# API reference with Doxygen (NATIVEAUTH_BUILD_DOCS): `cmake --build <dir> --target docs` writes
# <dir>/docs/api/html and fails on any warning (an undocumented public symbol is one).
if(NOT NATIVEAUTH_BUILD_DOCS)
  return()
endif()
find_package(Doxygen 1.9.1 REQUIRED)  # FAIL_ON_WARNINGS appeared in 1.9.1; Debian 12 has 1.9.4

set(NATIVEAUTH_DOCS_OUTPUT ${PROJECT_BINARY_DIR}/docs/api)
set(_nativeauth_docs_dirs
  ${PROJECT_SOURCE_DIR}/sdk/include/nativeauth            # includes platform/
  ${PROJECT_BINARY_DIR}/generated/include/nativeauth      # version.hpp
  ${PROJECT_SOURCE_DIR}/sdk/include/nativeauth_c)         # the C ABI
list(JOIN _nativeauth_docs_dirs "\" \"" NATIVEAUTH_DOCS_INPUT)
set(NATIVEAUTH_DOCS_INPUT "\"${NATIVEAUTH_DOCS_INPUT}\"")
set(NATIVEAUTH_DOCS_STRIP
    "\"${PROJECT_SOURCE_DIR}/sdk/include\" \"${PROJECT_BINARY_DIR}/generated/include\"")
configure_file(${PROJECT_SOURCE_DIR}/docs/api/Doxyfile.in ${NATIVEAUTH_DOCS_OUTPUT}/Doxyfile @ONLY)

file(GLOB_RECURSE _nativeauth_docs_headers CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/sdk/include/*.hpp ${PROJECT_SOURCE_DIR}/sdk/include/*.h)
add_custom_command(OUTPUT ${NATIVEAUTH_DOCS_OUTPUT}/html/index.html
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${NATIVEAUTH_DOCS_OUTPUT}/warnings.log ${NATIVEAUTH_DOCS_OUTPUT}/html
  COMMAND Doxygen::doxygen ${NATIVEAUTH_DOCS_OUTPUT}/Doxyfile
  DEPENDS ${NATIVEAUTH_DOCS_OUTPUT}/Doxyfile ${_nativeauth_docs_headers}
          ${PROJECT_BINARY_DIR}/generated/include/nativeauth/version.hpp
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  COMMENT "API reference (Doxygen, warnings are errors)"
  VERBATIM)
add_custom_target(docs DEPENDS ${NATIVEAUTH_DOCS_OUTPUT}/html/index.html)
unset(_nativeauth_docs_dirs)
unset(_nativeauth_docs_headers)
