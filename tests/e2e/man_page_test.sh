#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# nativeauth.1 as the build generated it: `man -l` renders it, groff finds nothing to warn about, and it
# documents every command and option the parser knows (read off the program's own --help) and every exit
# code, without a trace of the machine that built it. Usage: man_page_test.sh NATIVEAUTH GENERATED_DIR
set -euo pipefail
cli=$1
page=$2/nativeauth.1
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

[[ -s $page ]] || { echo "FAIL: $page is missing or empty" >&2; exit 1; }
warnings=$(groff -ww -z -man "$page" 2>&1) || fail "groff failed on the page"
[[ -z $warnings ]] || fail "groff warns: $warnings"
rendered=$(MANWIDTH=200 MAN_KEEP_FORMATTING= man -l "$page" 2>&1 | col -b) || fail "man -l failed"
for section in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS ENVIRONMENT FILES 'EXIT STATUS' 'SEE ALSO'; do
  grep -q "^$section\$" <<<"$rendered" || fail "no $section section"
done

mapfile -t commands < <("$cli" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF {print $1}')
((${#commands[@]} >= 7)) || fail "could not read the commands from --help"
for command in "${commands[@]}"; do
  grep -q "^ *nativeauth $command\$" <<<"$rendered" || fail "no heading for '$command'"
  # Every long option of the command's own --help is described under its heading.
  body=$(awk -v head="nativeauth $command" '$0 ~ "^ *" head "$" {on = 1; next} /^ *nativeauth [a-z-]+$/ {on = 0}
    /^[A-Z]/ {on = 0} on' <<<"$rendered")
  for option in $("$cli" "$command" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
    grep -qE -- "(^|[ ,])$option( |,|\$)" <<<"$body" || fail "'$command $option' is not in the page"
  done
done
exit_status=$(awk '/^EXIT STATUS$/ {on = 1; next} /^[A-Z]/ {on = 0} on' <<<"$rendered")
for code in 0 1 2 3 4 5 6; do
  grep -qE "^ +$code( |\$)" <<<"$exit_status" || fail "exit code $code is not in EXIT STATUS"
done
! grep -qE "build-files|$HOME|$(pwd)" <<<"$rendered" || fail "the page names the hidden command or the build machine"

((failures == 0)) || exit 1
echo "man page: renders, no groff warnings, ${#commands[@]} commands with all their options, 7 exit codes"
