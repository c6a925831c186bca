#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A cold `nativeauth token` process reading a fresh token from the keychain, beside `secret-tool lookup`
# of the same item (the floor: a process that loads libsecret/GLib, joins the session bus and reads one
# secret). Target (docs/performance.md): nativeauth ≤ 1.2 × secret-tool.
#
#   bench/cold_token.sh [--runs N] [--cli PATH] [--baseline PATH]
#
# --baseline: another build of the CLI (e.g. the previous commit's) timed in the same interleaved loop,
# reading the same item: a before/after comparison that a busier machine cannot skew.
#
# Runs inside tests/support/keyring-env (re-executes itself there when needed). Signs in once with
# `nativeauth login` against the dev provider through the headless test browser, stops the provider
# (a fresh token needs no network; a refresh attempt would now fail loudly), then times N interleaved
# pairs of runs — nativeauth token, secret-tool lookup, and nativeauth --version (start-up alone: load,
# relocate, static initializers, argument parsing; no keychain), and with --baseline that CLI's token and
# --version — after 3 warm-up pairs. Interleaving
# means a machine that gets busier meanwhile slows every column alike. Medians are printed, then one
# machine-readable line:  RESULT cold_token nativeauth_ms=… secret_tool_ms=… version_ms=… ratio=…
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=30
cli=${NATIVEAUTH_CLI:-${NATIVEAUTH_BUILD_ROOT:-$root/build}/bench/samples/cli/nativeauth}
baseline=
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --cli) cli=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    *) echo "usage: bench/cold_token.sh [--runs N] [--cli PATH] [--baseline PATH]" >&2; exit 2 ;;
  esac
done
[[ -x $cli ]] || { echo "cold_token: $cli is missing: build it (scripts/bench does)" >&2; exit 1; }
cli=$(cd "$(dirname "$cli")" && pwd)/$(basename "$cli")
if [[ -n $baseline ]]; then
  [[ -x $baseline ]] || { echo "cold_token: $baseline is missing" >&2; exit 1; }
  baseline=$(cd "$(dirname "$baseline")" && pwd)/$(basename "$baseline")
fi

if [[ ${NATIVEAUTH_KEYRING_ENV-} != 1 ]]; then
  exec "$root/tests/support/keyring-env" "$0" --runs "$runs" --cli "$cli" ${baseline:+--baseline "$baseline"}
fi

support=$root/tests/support
work=$(mktemp -d "${TMPDIR:-/tmp}/cold-token.XXXXXX")
provider_pid= prov_in= prov_out=
cleanup() {
  if [[ -n $provider_pid ]]; then
    [[ -z $prov_in ]] || exec {prov_in}>&-
    kill -TERM "$provider_pid" 2>/dev/null || true
    wait "$provider_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The dev provider, its stdin a pipe we hold (it stops when the pipe closes); one JSON line when ready.
mkfifo "$work/in" "$work/out"
node "$support/provider/server.js" --port 0 < "$work/in" > "$work/out" 2> "$work/provider.log" &
provider_pid=$!
exec {prov_in}> "$work/in" {prov_out}< "$work/out"
IFS= read -r -t 60 -u "$prov_out" ready || { cat "$work/provider.log" >&2; echo "cold_token: the provider did not start" >&2; exit 1; }
[[ $ready =~ \"issuer\":\"([^\"]+)\" ]] || { echo "cold_token: unexpected ready line: $ready" >&2; exit 1; }
issuer=${BASH_REMATCH[1]}
client_id=nativeauth-cli
profile=default

# One real sign-in: `nativeauth login` opens $BROWSER, the headless test browser clicks through.
export BROWSER="node $support/browser/browser.js"
export NATIVEAUTH_TEST_BROWSER_PROFILE=$work/browser-profile NATIVEAUTH_TEST_BROWSER_RESULT=$work/result.json
export NATIVEAUTH_TEST_BROWSER_LOG=$work/browser.log
mkdir -p "$NATIVEAUTH_TEST_BROWSER_PROFILE"
"$cli" login --issuer "$issuer" --client-id "$client_id" --timeout 120 > "$work/login.out" 2>&1 ||
  { cat "$work/login.out" "$work/browser.log" >&2; echo "cold_token: nativeauth login failed" >&2; exit 1; }
# The result file appears once Chromium has shut down: wait for it so it does not share the CPU.
for ((i = 0; i < 1200; i++)); do [[ -e $NATIVEAUTH_TEST_BROWSER_RESULT ]] && break; sleep 0.05; done
[[ -e $NATIVEAUTH_TEST_BROWSER_RESULT ]] || { echo "cold_token: the browser did not finish" >&2; exit 1; }

# From here on nothing may need the network.
exec {prov_in}>&-
prov_in=
wait "$provider_pid" 2>/dev/null || true
provider_pid=
exec {prov_out}<&-

token=(token --issuer "$issuer" --client-id "$client_id")
lookup=(lookup issuer "$issuer" client_id "$client_id" profile "$profile")
record=$(secret-tool "${lookup[@]}") || { echo "cold_token: secret-tool finds no item" >&2; exit 1; }
printed=$("$cli" "${token[@]}") || { echo "cold_token: nativeauth token failed" >&2; exit 1; }
[[ -n $printed && $record == *"\"access_token\":\"$printed\""* ]] ||
  { echo "cold_token: nativeauth token did not print the stored access token" >&2; exit 1; }
if [[ -n $baseline ]]; then
  [[ $("$baseline" "${token[@]}") == "$printed" ]] || { echo "cold_token: the baseline printed another token" >&2; exit 1; }
fi
# What the token path loads (the dynamic loader's own account): libcurl and libcrypto should not be there.
loaded=$(LD_DEBUG=libs "$cli" "${token[@]}" 2>&1 >/dev/null | sed -nE 's/.*calling init: (.*)/\1/p' | sort -u)
lazy=$( (grep -oE 'lib(curl|crypto)\.so[.0-9]*' <<<"$loaded" || true) | sort -u | tr '\n' ' ')
# Start-up alone should not load the keychain's libraries either (libsecret and GLib: docs/adr/0009).
loaded_version=$(LD_DEBUG=libs "$cli" --version 2>&1 >/dev/null | sed -nE 's/.*calling init: (.*)/\1/p' | sort -u)
glib_version=$( (grep -oE 'lib(secret-1|gio-2\.0|gobject-2\.0|glib-2\.0)\.so[.0-9]*' <<<"$loaded_version" || true) |
  sort -u | tr '\n' ' ')

# time_us VAR COMMAND...: runs COMMAND with its output discarded; fails the script if it fails.
time_us() {
  local -n out=$1; shift
  local t0 t1
  t0=${EPOCHREALTIME/./}
  "$@" > /dev/null 2>&1 || { echo "cold_token: failed: $*" >&2; exit 1; }
  t1=${EPOCHREALTIME/./}
  out=$((10#$t1 - 10#$t0))
}

a=() b=() c=() d=() e=()
for ((i = -3; i < runs; i++)); do
  time_us x "$cli" "${token[@]}"
  time_us y secret-tool "${lookup[@]}"
  time_us z "$cli" --version
  w=0 v=0
  [[ -z $baseline ]] || time_us w "$baseline" "${token[@]}"
  [[ -z $baseline ]] || time_us v "$baseline" --version
  ((i < 0)) && continue  # warm-up: page cache, dynamic loader cache
  a+=("$x") b+=("$y") c+=("$z") d+=("$w") e+=("$v")
done

median_ms() {  # median of microsecond values, in ms with 2 decimals
  printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%.2f", m / 1000}'
}
na=$(median_ms "${a[@]}") st=$(median_ms "${b[@]}") ver=$(median_ms "${c[@]}")
ratio=$(awk -v a="$na" -v b="$st" 'BEGIN {printf "%.2f", a / b}')
printf 'cold process, %d interleaved runs each (medians):\n' "$runs"
printf '  nativeauth token            %8s ms\n' "$na"
printf '  secret-tool lookup (floor)  %8s ms\n' "$st"
printf '  nativeauth --version        %8s ms   (start-up alone, no keychain)\n' "$ver"
printf '  ratio token / secret-tool   %8s     (target <= 1.2)\n' "$ratio"
if [[ -n $baseline ]]; then
  base=$(median_ms "${d[@]}")
  printf '  baseline nativeauth token   %8s ms   (%s; ratio %s)\n' "$base" "$baseline" \
    "$(awk -v a="$base" -v b="$st" 'BEGIN {printf "%.2f", a / b}')"
  printf '  baseline nativeauth --version %6s ms\n' "$(median_ms "${e[@]}")"
fi
printf '  shared objects initialized by nativeauth token: %d (%s)\n' "$(grep -c . <<<"$loaded")" \
  "${lazy:+among them: $lazy}${lazy:-neither libcurl nor libcrypto}"
printf '  shared objects initialized by nativeauth --version: %d (%s)\n' "$(grep -c . <<<"$loaded_version")" \
  "${glib_version:+among them: $glib_version}${glib_version:-no libsecret or GLib}"
echo "RESULT cold_token nativeauth_ms=$na secret_tool_ms=$st version_ms=$ver ratio=$ratio${baseline:+ baseline_ms=$base}"
