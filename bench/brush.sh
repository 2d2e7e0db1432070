#!/usr/bin/env bash
# How smoothly the page's touch-up brush paints on a 12-megapixel photograph: a real `rmbg serve`,
# Chromium driven by playwright-core, rocket.jpg enlarged to 4160x3002, cut out, opened, and an
# erase stroke of 60 pointer moves; prints the time the page takes over each move (median, 95th
# percentile), the time between frames (and the longest), and the page's time as each stroke ends.
#   bench/brush.sh [--strokes N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${RMBG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rmbg}
strokes=3
while [ $# -gt 0 ]; do
  case $1 in
    --strokes) strokes=$2; shift 2 ;;
    *) echo "usage: bench/brush.sh [--strokes N]" >&2; exit 2 ;;
  esac
done
[ -d "$cache/node/node_modules/playwright-core" ] || { echo "missing playwright-core: run scripts/bootstrap --tests" >&2; exit 1; }
RMBG_BINARY=$root/build/rmbg RMBG_TESTDATA_DIR=$cache/testdata RMBG_NODE_DIR=$cache/node BRUSH_STROKES=$strokes \
  exec node "$root/bench/brush.mjs"
