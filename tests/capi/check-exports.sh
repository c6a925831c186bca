#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# libnativeauth_c.so exports exactly the C ABI: every defined dynamic symbol is nativeauth_*, every
# function the headers declare (NATIVEAUTH_C_API) is exported, and the SONAME carries the ABI major.
# Usage: check-exports.sh <libnativeauth_c.so> <abi major> <include dir>
set -euo pipefail
lib=$1 major=$2 inc=$3
fail=0
# Functions (T) and the symbol-version node (A, named nativeauth_c_<major>).
symbols=$(nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | sort -u)
foreign=$(grep -v '^nativeauth_' <<<"$symbols" || true)
if [[ -n $foreign ]]; then
  echo "exports: symbols outside nativeauth_*:"; echo "$foreign" | sed 's/^/  /'; fail=1
fi
declared=$(grep -h 'NATIVEAUTH_C_API' "$inc"/nativeauth_c/*.h | grep -o 'nativeauth_[a-z0-9_]*(' | tr -d '(' | sort -u)
functions=$(nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sed 's/@.*//' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$functions"))
extra=$(comm -13 <(echo "$declared") <(echo "$functions"))
if [[ -n $missing ]]; then echo "exports: declared but not exported:"; echo "$missing" | sed 's/^/  /'; fail=1; fi
if [[ -n $extra ]]; then echo "exports: exported but not declared:"; echo "$extra" | sed 's/^/  /'; fail=1; fi
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
if [[ $soname != "libnativeauth_c.so.$major" ]]; then echo "exports: SONAME is '$soname'"; fail=1; fi
((fail == 0)) || exit 1
echo "exports: $(grep -c . <<<"$functions") functions, all nativeauth_*, all declared; SONAME $soname: ok"
