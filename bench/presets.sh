#!/usr/bin/env bash
# Warm time per photograph for each preset at one size, the presets interleaved round by round
# (raw fast balanced best, raw fast ...) so that machine noise hits them alike; medians, and each
# preset's cost against raw. Photographs with a small subject show what best's second look costs.
#   bench/presets.sh [--size WxH] [--rounds N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${RMBG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rmbg}
rmbg=$root/build/rmbg
size=1920x1080
rounds=3
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "usage: bench/presets.sh [--size WxH] [--rounds N]" >&2; exit 2 ;;
  esac
done
photos=("$cache"/testdata/{astronaut.png,coffee.png,chelsea.png,rocket.jpg})
for p in "${photos[@]}"; do
  [ -f "$p" ] || { echo "missing $p: run scripts/bootstrap --tests" >&2; exit 1; }
done
presets=(raw fast balanced best)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for round in $(seq "$rounds"); do
  for preset in "${presets[@]}"; do
    "$rmbg" bench "${photos[@]}" --sizes "$size" --repeat 1 --preset "$preset" \
      --json "$out/$preset-$round.json" >/dev/null
  done
done

node - "$out" "$size" "$rounds" "${presets[@]}" <<'JS'
const fs = require("node:fs");
const [dir, size, rounds, ...presets] = process.argv.slice(2);
const median = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const stage = (preset, key) =>
  median(Array.from({ length: Number(rounds) }, (_, i) =>
    JSON.parse(fs.readFileSync(`${dir}/${preset}-${i + 1}.json`)).sizes[size][key]));
const raw = stage("raw", "total_s");
console.log(`warm time per photograph at ${size}, median of ${rounds} interleaved rounds (each the median over 4 photographs)`);
console.log("| preset | total | inference | refinement | against raw |");
console.log("|---|---|---|---|---|");
for (const p of presets) {
  const total = stage(p, "total_s");
  console.log(`| ${p} | ${total.toFixed(2)} s | ${stage(p, "inference_s").toFixed(2)} s | ` +
              `${stage(p, "refine_s").toFixed(2)} s | ${total / raw >= 1 ? "+" : ""}${((total / raw - 1) * 100).toFixed(0)}% |`);
}
JS
