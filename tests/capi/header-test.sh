#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Each public C header compiles on its own as strict C99 (-pedantic -Werror) and as C++ (extern "C"
# guards), so apps in either language and FFI generators can include it.
# Usage: header-test.sh <c compiler> <c++ compiler> <include dir>
set -euo pipefail
cc=$1 cxx=$2 inc=$3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0
for h in "$inc"/nativeauth_c/*.h; do
  name=nativeauth_c/$(basename "$h")
  printf '#include <%s>\n#include <%s>\nint main(void) { return 0; }\n' "$name" "$name" >"$tmp/t.c"
  "$cc" -std=c99 -pedantic -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -I"$inc" \
    -fsyntax-only "$tmp/t.c"
  cp "$tmp/t.c" "$tmp/t.cpp"
  "$cxx" -std=c++17 -pedantic -Wall -Wextra -Werror -I"$inc" -fsyntax-only "$tmp/t.cpp"
  n=$((n + 1))
done
((n >= 5)) || { echo "header test: only $n headers found in $inc/nativeauth_c"; exit 1; }
echo "header test: $n headers ok as C99 and C++17"
