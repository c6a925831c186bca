# SPDX-License-Identifier: Apache-2.0
# nativeauth_warnings(target): the warning set every nativeauth target is compiled with.
function(nativeauth_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
      -Wno-sign-conversion -Wnon-virtual-dtor -Wcast-qual -Wformat=2 -Wundef)
    if(NATIVEAUTH_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 $<$<BOOL:${NATIVEAUTH_WARNINGS_AS_ERRORS}>:/WX>)
  endif()
endfunction()
