# bash completion for rmbg. The commands, options and choices are read from rmbg's own --help
# texts, so that completion never falls behind the program.

# Prints the commands listed by `rmbg [COMMAND...] --help`, one a line.
_rmbg_commands() {
  "$@" --help 2>/dev/null | awk '/^Subcommands:/ { listed = 1; next } listed && /^  [a-z]/ { print $1 }'
}

# Prints "name<TAB>takes a value (0/1)<TAB>choices" for each option of `rmbg [COMMAND...] --help`.
_rmbg_options() {
  "$@" --help 2>/dev/null | awk '/^  -/ {
    rest = substr($0, length($1) + 3)
    value = rest ~ /^ [^ ]/ && rest !~ /^ (Needs:|Excludes:|\(Env:)/
    choices = ""
    if (match(rest, /:\{[^}]*\}/)) choices = substr(rest, RSTART + 2, RLENGTH - 3)
    gsub(/,/, " ", choices)
    n = split($1, names, ",")
    for (i = 1; i <= n; i++) printf "%s\t%d\t%s\n", names[i], value, choices
  }'
}

_rmbg() {
  local cur prev words cword
  _init_completion || return
  # The commands typed so far: `rmbg models fetch` is the program, then each word that names a
  # command of the one before it.
  local -a command=("${words[0]}")
  local i
  for ((i = 1; i < cword; i++)); do
    if _rmbg_commands "${command[@]}" | grep -qxF -- "${words[i]}"; then
      command+=("${words[i]}")
    fi
  done

  local options name value choices
  options=$(_rmbg_options "${command[@]}")
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(cut -f1 <<<"$options")" -- "$cur")
    return
  fi
  while IFS=$'\t' read -r name value choices; do
    if [[ $name == "$prev" && $value == 1 ]]; then
      if [[ -n $choices ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$choices" -- "$cur")
      else
        _filedir
      fi
      return
    fi
  done <<<"$options"
  local commands
  commands=$(_rmbg_commands "${command[@]}")
  if [[ -n $commands ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
  else
    _filedir
  fi
}
complete -F _rmbg rmbg
