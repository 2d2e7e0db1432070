#!/usr/bin/env bash
# Chooses the steps of the default and best presets the way docs/ACCURACY.md says: every
# candidate of bench/candidates-default.txt and bench/candidates-best.txt measured on the
# evaluation sets, then the choice among them cross-validated (5 folds drawn within each set,
# frames of a video clip kept in one fold): only figures on photographs a choice was not made on
# are reported, with the photographs that came out worse than the bare model.
#   bench/choose.sh [--data DIR] [--out DIR] [-- options for rmbg eval, e.g. --model isnet-fp32]
# The model's outputs are kept in $RMBG_CACHE/predictions, so a second run takes minutes, not an hour.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${RMBG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rmbg}
data=$root/../shared/evaldata
out=.
while [ $# -gt 0 ]; do
  case $1 in
    --data) data=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: bench/choose.sh [--data DIR] [--out DIR] [-- rmbg eval options]" >&2; exit 2 ;;
  esac
done
[ -d "$data" ] || { echo "no evaluation data at $data (--data DIR)" >&2; exit 1; }
mkdir -p "$out"
# The default may leave no photograph worse than the bare model by more than 0.05 MAE; best, which
# a user asks for, by 0.1.
for preset in default:0.05 best:0.1; do
  name=${preset%:*}
  echo "== $name: bench/candidates-$name.txt, no photograph worse by more than ${preset#*:} MAE"
  "$root/build/rmbg" eval --data "$data" --choose "$root/bench/candidates-$name.txt" --folds 5 \
    --max-loss "${preset#*:}" --prediction-cache "$cache/predictions" --json "$out/choose-$name.json" "$@"
  echo
done
echo "reports: $out/choose-default.json, $out/choose-best.json"
