#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The completion scripts `nativeauth completion bash|zsh|fish` prints, loaded by the real shells and asked
# to complete: bash through its programmable-completion function (as readline calls it), zsh through a
# real interactive zsh on a pseudo-terminal (zpty) listing choices with ^D, fish through `complete -C`.
# Also: what the build generated (build-files) is what `completion` prints, and every command of the
# parser is offered. Usage: completion_test.sh NATIVEAUTH GENERATED_DIR
set -euo pipefail
cli=$1
generated=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
expect_words() {  # expect_words WHAT "got words" word...
  local what=$1 got=" $(tr '\n\t' '  ' <<<"$2") "; shift 2
  for w in "$@"; do [[ $got == *" $w "* ]] || fail "$what: '$w' not offered (got:$got)"; done
}
reject_words() {  # reject_words WHAT "got words" word...
  local what=$1 got=" $(tr '\n\t' '  ' <<<"$2") "; shift 2
  for w in "$@"; do [[ $got != *" $w "* ]] || fail "$what: '$w' offered but should not be"; done
}

for shell in bash zsh fish; do
  "$cli" completion "$shell" >"$tmp/$shell" || fail "completion $shell exited with $?"
done
cmp -s "$tmp/bash" "$generated/nativeauth.bash" || fail "generated nativeauth.bash differs from 'completion bash'"
cmp -s "$tmp/zsh" "$generated/_nativeauth" || fail "generated _nativeauth differs from 'completion zsh'"
cmp -s "$tmp/fish" "$generated/nativeauth.fish" || fail "generated nativeauth.fish differs from 'completion fish'"
rc=0; "$cli" completion powershell >/dev/null 2>&1 || rc=$?
[[ $rc == 2 ]] || fail "completion powershell: exit $rc, want 2 (usage)"

# The commands the parser knows, from its own --help ("  login   Sign in ..." lines under SUBCOMMANDS).
mapfile -t commands < <("$cli" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF {print $1}')
((${#commands[@]} >= 7)) || fail "could not read the commands from --help (${commands[*]})"

# --- bash: call the function readline would, with COMP_WORDS / COMP_CWORD set as bash sets them.
bash_complete() {  # bash_complete WORD... (the last is the one being completed)
  bash --norc --noprofile -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1));
    _nativeauth_complete; printf "%s\n" "${COMPREPLY[@]}"' _ "$tmp/bash" nativeauth "$@"
}
bash -n "$tmp/bash" || fail "bash -n refuses the bash script"
expect_words "bash: commands" "$(bash_complete '')" "${commands[@]}"
expect_words "bash: lo" "$(bash_complete lo)" login logout
reject_words "bash: lo" "$(bash_complete lo)" token status
expect_words "bash: token options" "$(bash_complete token --)" --issuer --client-id --min-ttl --json --header --id-token \
  --url --method --nonce
expect_words "bash: login options" "$(bash_complete login --)" --dpop --par --device
expect_words "bash: --storage values" "$(bash_complete token --storage '')" keychain file
expect_words "bash: completion shells" "$(bash_complete completion '')" bash zsh fish
[[ -z $(bash_complete token --issuer '') ]] || fail "bash: --issuer's value offered words (want the shell's default)"
[[ -z $(bash_complete completion --bogus-word-x) ]] || fail "bash: an unknown option completed to something"

# --- zsh: a real interactive zsh on a pty; ^D (list-choices) lists what _nativeauth offers.
zsh -n "$tmp/zsh" || fail "zsh -n refuses the zsh script"
mkdir -p "$tmp/fpath" && cp "$tmp/zsh" "$tmp/fpath/_nativeauth"
cat >"$tmp/zsh-driver" <<'ZSH'
# Input typed before zle runs is read in cooked mode, where ^D and ^U mean something else: every input
# waits for the prompt, ZLE42> (written as an expression so the typed command line does not match).
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1=ZLE\$((6*7))'> '; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -d $1/.zcompdump"
zpty -r z out '*ZLE42> *'  # a pattern read returns at a prompt, which ends without a newline
shift
for input in "$@"; do
  zpty -w -n z "$input"$'\x04'        # type the words, then ^D: list the choices
  zpty -w -n z $'\x15echo LISTED$((1+1))\r' # ^U clears the line; the echo marks the end of the listing
  zpty -r z out '*LISTED2*ZLE42> *'
  print -r -- "=== $input"; print -r -- "${out//$'\r'/}"
done
zpty -w z 'kill -KILL $$'
ZSH
zsh_out=$(timeout 60 zsh -f "$tmp/zsh-driver" "$tmp/fpath" 'nativeauth ' 'nativeauth token --' \
  'nativeauth token --storage ' 'nativeauth completion ' | sed 's/\x1b\[[0-9;?]*[A-Za-z]/ /g') ||
  fail "zsh: the driver failed or timed out"
section() { awk -v want="=== $1" '$0 == want {on = 1; next} /^=== / {on = 0} on' <<<"$zsh_out"; }
expect_words "zsh: commands" "$(section 'nativeauth ')" "${commands[@]}"
expect_words "zsh: token options" "$(section 'nativeauth token --')" --issuer --client-id --min-ttl --json
expect_words "zsh: --storage values" "$(section 'nativeauth token --storage ')" keychain file
expect_words "zsh: completion shells" "$(section 'nativeauth completion ')" bash zsh fish

# --- fish: its own completion query.
fish_complete() { fish --no-config -c "source $tmp/fish; complete -C '$1'" | cut -f1; }
fish --no-config -n "$tmp/fish" || fail "fish -n refuses the fish script"
expect_words "fish: commands" "$(fish_complete 'nativeauth ')" "${commands[@]}"
expect_words "fish: token options" "$(fish_complete 'nativeauth token --')" --issuer --client-id --min-ttl --json
expect_words "fish: --storage values" "$(fish_complete 'nativeauth token --storage ')" keychain file
reject_words "fish: --storage values" "$(fish_complete 'nativeauth token --storage ')" README.md
expect_words "fish: completion shells" "$(fish_complete 'nativeauth completion ')" bash zsh fish

((failures == 0)) || exit 1
echo "completions: bash, zsh and fish complete commands, options and values"
