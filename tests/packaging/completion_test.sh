#!/usr/bin/env bash
# bash and zsh completion of rmbg's commands, options and choices, as rmbg's --help gives them.
#   tests/packaging/completion_test.sh RMBG_BINARY
set -euo pipefail
rmbg=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/tests/packaging/support.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
touch "$work/photo.jpg" "$work/portrait.png"

# bash: what `rmbg WORDS<Tab>` offers, one a line (the last word is the one being completed).
bash_offers() {
  bash -c 'source /usr/share/bash-completion/bash_completion
           source "$1/packaging/completion/rmbg.bash"
           shift
           COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
           _rmbg; printf "%s\n" "${COMPREPLY[@]}" | sort' bash "$root" "$rmbg" "$@"
}
# zsh: the same, with zsh's completion builtins printing what they are given instead of offering it.
zsh_offers() {
  zsh -f -c 'root=$1; shift; words=("$@"); CURRENT=$#; PREFIX=${words[CURRENT]}
             _describe() { local array=${@[-1]}; print -l -- ${${(P)array}%%:*} }
             compadd() { [[ $1 == -- ]] && shift; print -l -- "$@" }
             _files() { print -- "(files)" }
             source "$root/packaging/completion/_rmbg" | sort' zsh "$root" "$rmbg" "$@"
}

expect() {  # expect SHELL "WORDS" OFFERED...: each OFFERED is among what SHELL offers
  local shell=$1 line=$2; shift 2
  local offered; read -r -a words <<<"$line"
  [[ -z $line || $line == *" " ]] && words+=("")
  offered=$("${shell}_offers" "${words[@]}")
  for want in "$@"; do
    grep -qxF -- "$want" <<<"$offered" || fail "$shell, 'rmbg $line': '$want' not offered among: $(echo $offered)"
  done
}

for shell in bash zsh; do
  expect $shell "se" serve
  expect $shell "" serve remove idphoto models eval bench
  expect $shell "serve --po" --port
  expect $shell "serve --preset " raw fast balanced best
  expect $shell "serve --device " auto cpu cuda
  expect $shell "models " list fetch quantize
  expect $shell "models quantize --" --percentile
  expect $shell "remove --steps balanced --" --model --overwrite
done
expect bash "remove $work/p" "$work/photo.jpg" "$work/portrait.png"
expect zsh "remove $work/p" "(files)"
echo "bash and zsh complete rmbg's commands, options and choices"
