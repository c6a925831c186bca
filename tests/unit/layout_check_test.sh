#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/check-layout must fail on what it is there to refuse: a private copy of a utility, a platform header
# in the core, curl outside platform/libcurl. Each case plants one violation in a copy of the tree.
set -euo pipefail
root=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fresh() { rm -rf "$tmp/tree"; mkdir -p "$tmp/tree"; cp -r "$root/sdk" "$root/platform" "$root/samples" "$tmp/tree/"; }
expect() {  # expect <ok|fail> <what>
  local rc=0
  "$root/scripts/check-layout" "$tmp/tree" >"$tmp/out" 2>&1 || rc=$?
  if [[ $1 == ok && $rc -ne 0 ]] || [[ $1 == fail && $rc -eq 0 ]]; then
    echo "layout_check_test: expected $1 for $2, got exit $rc:"; cat "$tmp/out"; exit 1
  fi
  echo "layout_check_test: $2: $1"
}
fresh; expect ok "the tree as it is"
fresh; printf 'int hex_value(char c) {\n  return c;\n}\n' >>"$tmp/tree/platform/posix/spawn.cpp"
expect fail "a private hex_value() in platform/posix"
fresh; printf 'std::vector<std::string> split_spaces(const std::string &s) {\n  return {};\n}\n' >>"$tmp/tree/samples/cli/common.cpp"
expect fail "a private split_spaces() in the CLI"
fresh; sed -i '0,/^#include/s//#include "posix\/fd.hpp"\n#include/' "$tmp/tree/sdk/src/core/refresh.cpp"
expect fail "a platform header in the core"
fresh; sed -i '0,/^#include/s//#include <curl\/curl.h>\n#include/' "$tmp/tree/platform/posix/spawn.cpp"
expect fail "curl outside platform/libcurl"
fresh; sed -i '0,/^#include/s//#include "oidc\/jwt.hpp"\n#include/' "$tmp/tree/sdk/src/capi/client.cpp"
expect fail "sdk/src internals in the C ABI"
