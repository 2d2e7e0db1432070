#!/usr/bin/env bash
# Warm time per image at 800x600, 1920x1080 and 3840x2160 (decode, inference, refinement, PNG
# encode; medians per stage), the cold start of a new process, and peak RSS.
#   bench/core.sh [--model NAME] [--repeat N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${RMBG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rmbg}
rmbg=$root/build/rmbg
model=()
repeat=3
while [ $# -gt 0 ]; do
  case $1 in
    --model) model=(--model "$2"); shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    *) echo "usage: bench/core.sh [--model NAME] [--repeat N]" >&2; exit 2 ;;
  esac
done
photos=("$cache"/testdata/{astronaut.png,coffee.png,chelsea.png,rocket.jpg})
for p in "${photos[@]}"; do
  [ -f "$p" ] || { echo "missing $p: run scripts/bootstrap --tests" >&2; exit 1; }
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== cold start: a new process cutting out one 640x427 photograph, median of 3"
for _ in 1 2 3; do
  start=$(date +%s%N)
  "$rmbg" remove "$cache/testdata/rocket.jpg" -o "$out/cold.png" --overwrite --quiet "${model[@]}"
  echo $(( ($(date +%s%N) - start) / 1000000 ))
done | sort -n | sed -n 2p | awk '{ printf "%.2f s\n", $1 / 1000 }'

echo "== warm, per size: ${#photos[@]} photographs x $repeat runs"
"$rmbg" bench "${photos[@]}" --repeat "$repeat" "${model[@]}"
