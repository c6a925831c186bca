#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/demo on a machine without a desktop session (no D-Bus session bus, no display): it must sign in
# anyway, in a throw-away keyring that it announces, and exit 0. The twin run, with the Secret Service of
# the keyring-env that ctest runs in, must use that one and announce nothing. NATIVEAUTH_DEMO_CLI points
# the demo at this build's CLI, so nothing is installed or built here.
#   demo_test.sh ROOT CLI
set -uo pipefail
root=$1
cli=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail=0
throwaway="demo: no Secret Service here; using a throw-away keyring that disappears when the demo ends"

run() {  # run <what> [env args...]: the demo with `env` args, its output in $out; returns its exit code
  local what=$1 rc=0
  shift
  echo "== demo_test: $what"
  env "$@" NATIVEAUTH_DEMO_CLI="$cli" "$root/scripts/demo" --timeout 60 >"$out" 2>&1 || rc=$?
  cat "$out"
  if ((rc != 0)); then echo "demo_test: $what: the demo exited with $rc"; fail=1; fi
}
expect() {  # expect <what> <text>
  grep -qF -- "$2" "$out" || { echo "demo_test: $1: missing from the output: $2"; fail=1; }
}
refuse() {  # refuse <what> <text>
  ! grep -qF -- "$2" "$out" || { echo "demo_test: $1: should not say: $2"; fail=1; }
}

what="no session bus, no display"
run "$what" -u DBUS_SESSION_BUS_ADDRESS -u DISPLAY -u WAYLAND_DISPLAY -u BROWSER
expect "$what" "$throwaway"
expect "$what" "Signed in as Alice Example (subject alice)"
expect "$what" "Session stored in the keychain"
expect "$what" "demo: nativeauth login exited with 0"

if [[ -n ${DBUS_SESSION_BUS_ADDRESS:-} ]]; then
  what="a running Secret Service"
  run "$what" -u DISPLAY -u WAYLAND_DISPLAY -u BROWSER
  refuse "$what" "$throwaway"
  expect "$what" "Session stored in the keychain"
else
  echo "demo_test: no session bus here (run inside tests/support/keyring-env): the twin run is skipped"
  fail=1
fi
exit $fail
