#!/usr/bin/env bash
# Decompression bombs: for each format rmbg reads (PNG, JPEG, WebP, TIFF, GIF, HEIC, AVIF), a file
# of under 1 KB whose header claims 16000 to 100000 pixels a side goes through `rmbg remove`;
# prints its exit status and peak RSS (ru_maxrss from wait4, what /usr/bin/time -v reports).
# The bombs are made by the test that holds these figures to under 200 MB:
# Cli.DecompressionBombsAreRefusedFromTheirHeadersInLittleMemory (tests/bombs.hpp).
#   bench/bombs.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tests=$root/build/tests/cli_tests
[ -x "$tests" ] || { echo "missing $tests: run scripts/bootstrap --tests" >&2; exit 1; }
"$tests" --gtest_filter=Cli.DecompressionBombsAreRefusedFromTheirHeadersInLittleMemory 2>/dev/null |
  grep -E '^bomb |OK|FAILED'
