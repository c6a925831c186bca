#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A cold `nativeauth token` process printing a fresh token, beside `secret-tool lookup` of the same item (a
# process that loads libsecret/GLib, joins the session bus and reads one secret) and a C program that only
# starts and exits (the process floor). Two ways to the token are timed: from the kernel-keyring access-token
# cache (the usual case; targets ≤ 0.35 × secret-tool and ≤ 2.0 × the C floor), and with the cache off
# (NATIVEAUTH_NO_KEYRING_CACHE=1: the keychain is read; target ≤ 1.15 × secret-tool). Also `nativeauth token
# --storage encrypted-file` after `nativeauth unlock` with the cache off (the passphrase-protected store itself:
# a file, the key from the kernel keyring, AES-GCM; target ≤ 0.5 × secret-tool). `oidc-token` (Debian
# oidc-agent) is timed too when NATIVEAUTH_BENCH_OIDC_TOKEN names an account that oidc-agent holds (it needs
# a running agent with an account set up by oidc-gen; see docs/performance.md).
#
#   bench/cold_token.sh [--runs N] [--cli PATH] [--baseline PATH]
#
# --baseline: another build of the CLI (e.g. the previous commit's) timed in the same interleaved loop,
# reading the same item: a before/after comparison that a busier machine cannot skew.
#
# Runs inside tests/support/keyring-env (re-executes itself there when needed). Signs in once with
# `nativeauth login` against the dev provider through the headless test browser, stops the provider
# (a fresh token needs no network; a refresh attempt would now fail loudly), then times N interleaved
# rounds — nativeauth token (cache hit), nativeauth token (cache off), secret-tool lookup, the C floor, and
# nativeauth --version (start-up alone: load, relocate, static initializers, argument parsing; no keychain)
# — after 3 warm-up rounds. Interleaving means a machine that gets busier meanwhile slows every column
# alike. Medians are printed, then one machine-readable line:
#   RESULT cold_token nativeauth_ms=… miss_ms=… secret_tool_ms=… floor_ms=… version_ms=… ratio=… miss_ratio=…
#   floor_ratio=… encrypted_ms=… encrypted_ratio=…
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

# The same sign-in into the encrypted store, unlocked once (its key goes to keyring-env's session keyring).
export XDG_STATE_HOME=$work/state
printf 'cold-token bench passphrase\n' | "$cli" unlock --for 1h > "$work/unlock.out" 2>&1 ||
  { cat "$work/unlock.out" >&2; echo "cold_token: nativeauth unlock failed" >&2; exit 1; }
rm -f "$NATIVEAUTH_TEST_BROWSER_RESULT"
"$cli" login --issuer "$issuer" --client-id "$client_id" --storage encrypted-file --timeout 120 > "$work/login2.out" 2>&1 ||
  { cat "$work/login2.out" "$work/browser.log" >&2; echo "cold_token: login --storage encrypted-file failed" >&2; exit 1; }
for ((i = 0; i < 1200; i++)); do [[ -e $NATIVEAUTH_TEST_BROWSER_RESULT ]] && break; sleep 0.05; done

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
encrypted=(env NATIVEAUTH_NO_KEYRING_CACHE=1 "$cli" "${token[@]}" --storage encrypted-file)
[[ -n $("${encrypted[@]}") ]] || { echo "cold_token: token --storage encrypted-file printed no token" >&2; exit 1; }
[[ -n $printed && $record == *"\"access_token\":\"$printed\""* ]] ||
  { echo "cold_token: nativeauth token did not print the stored access token" >&2; exit 1; }
if [[ -n $baseline ]]; then
  [[ $("$baseline" "${token[@]}") == "$printed" ]] || { echo "cold_token: the baseline printed another token" >&2; exit 1; }
fi
# What the token path loads (the dynamic loader's own account): on a cache hit, none of libcurl, libcrypto,
# libsecret and GLib should be there.
loaded=$(LD_DEBUG=libs "$cli" "${token[@]}" 2>&1 >/dev/null | sed -nE 's/.*calling init: (.*)/\1/p' | sort -u)
lazy=$( (grep -oE 'lib(curl|crypto|secret-1|glib-2\.0|gio-2\.0|gobject-2\.0|dbus-1)\.so[.0-9]*' <<<"$loaded" || true) |
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

# The process floor: a C program that starts and exits, built here with the system's compiler.
printf 'int main(void) { return 0; }\n' > "$work/floor.c"
cc -O2 -o "$work/floor" "$work/floor.c" || { echo "cold_token: cannot build the C floor program" >&2; exit 1; }
# The cache must hold the token now (login put it there): a hit reads no keychain at all.
DBUS_SESSION_BUS_ADDRESS=unix:path=$work/no-bus "$cli" "${token[@]}" > /dev/null 2>&1 ||
  { echo "cold_token: the token is not in the kernel-keyring cache" >&2; exit 1; }
oidc_account=${NATIVEAUTH_BENCH_OIDC_TOKEN:-}
[[ -z $oidc_account ]] || command -v oidc-token > /dev/null || oidc_account=

a=() b=() c=() d=() e=() f=() g=() h=()
for ((i = -3; i < runs; i++)); do
  time_us x "$cli" "${token[@]}"
  time_us m env NATIVEAUTH_NO_KEYRING_CACHE=1 "$cli" "${token[@]}"
  time_us y secret-tool "${lookup[@]}"
  time_us fl "$work/floor"
  time_us z "$cli" --version
  time_us v "${encrypted[@]}"
  w=0 o=0
  [[ -z $baseline ]] || time_us w "$baseline" "${token[@]}"
  [[ -z $oidc_account ]] || time_us o oidc-token "$oidc_account"
  ((i < 0)) && continue  # warm-up: page cache, dynamic loader cache
  a+=("$x") b+=("$y") c+=("$z") d+=("$w") e+=("$m") f+=("$fl") g+=("$o") h+=("$v")
done

median_ms() {  # median of microsecond values, in ms with 2 decimals
  printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%.2f", m / 1000}'
}
na=$(median_ms "${a[@]}") st=$(median_ms "${b[@]}") ver=$(median_ms "${c[@]}")
miss=$(median_ms "${e[@]}") floor=$(median_ms "${f[@]}") enc=$(median_ms "${h[@]}")
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
ratio=$(ratio_of "$na" "$st") miss_ratio=$(ratio_of "$miss" "$st") floor_ratio=$(ratio_of "$na" "$floor")
enc_ratio=$(ratio_of "$enc" "$st")
printf 'cold process, %d interleaved runs each (medians):\n' "$runs"
printf '  nativeauth token (kernel-keyring cache)  %8s ms   %s x secret-tool (target <= 0.35), %s x the C floor (target <= 2.0)\n' \
  "$na" "$ratio" "$floor_ratio"
printf '  nativeauth token (cache off: keychain)   %8s ms   %s x secret-tool (target <= 1.15)\n' "$miss" "$miss_ratio"
printf '  nativeauth token (encrypted-file store)  %8s ms   %s x secret-tool (after unlock, cache off; target <= 0.5)\n' \
  "$enc" "$enc_ratio"
printf '  secret-tool lookup                       %8s ms\n' "$st"
printf '  a C program that starts and exits        %8s ms\n' "$floor"
printf '  nativeauth --version                     %8s ms   (start-up alone, no keychain)\n' "$ver"
if [[ -n $oidc_account ]]; then
  oidc=$(median_ms "${g[@]}")
  printf '  oidc-token %-29s %8s ms   nativeauth token is %s x it (goal <= 1.0)\n' "$oidc_account" "$oidc" \
    "$(ratio_of "$na" "$oidc")"
else
  printf '  oidc-token                               (not timed: set NATIVEAUTH_BENCH_OIDC_TOKEN to an oidc-agent account)\n'
fi
if [[ -n $baseline ]]; then
  base=$(median_ms "${d[@]}")
  printf '  baseline nativeauth token   %8s ms   (%s; ratio %s)\n' "$base" "$baseline" \
    "$(awk -v a="$base" -v b="$st" 'BEGIN {printf "%.2f", a / b}')"
fi
printf '  shared objects initialized by nativeauth token: %d (%s)\n' "$(grep -c . <<<"$loaded")" \
  "${lazy:+among them: $lazy}${lazy:-none of libcurl, libcrypto, libsecret, GLib}"
echo "RESULT cold_token nativeauth_ms=$na miss_ms=$miss secret_tool_ms=$st floor_ms=$floor version_ms=$ver" \
  "ratio=$ratio miss_ratio=$miss_ratio floor_ratio=$floor_ratio encrypted_ms=$enc encrypted_ratio=$enc_ratio${baseline:+ baseline_ms=$base}"
