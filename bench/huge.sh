#!/usr/bin/env bash
# A 100-megapixel photograph through `rmbg remove`: wall time and peak RSS (the kernel's VmHWM,
# as /usr/bin/time reports it) for each output format. The photograph is a sample scaled up to
# 12000x8400 with libvips, made afresh in a temporary folder.
#   bench/huge.sh [--size WxH] [--formats png,jpg,webp] [-- extra rmbg remove options]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${RMBG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rmbg}
rmbg=$root/build/rmbg
size=12000x8400
formats=png,jpg,webp
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift 2 ;;
    --formats) formats=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: bench/huge.sh [--size WxH] [--formats png,jpg,webp] [-- rmbg remove options]" >&2; exit 2 ;;
  esac
done
sample=$cache/testdata/coffee.png
[ -f "$sample" ] || { echo "missing $sample: run scripts/bootstrap --tests" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package: time)" >&2; exit 1; }
width=${size%x*} height=${size#*x}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

vips thumbnail "$sample" "$out/huge.jpg[Q=90]" "$width" --height "$height" --size force
echo "== $(vipsheader "$out/huge.jpg"), $(du -h "$out/huge.jpg" | cut -f1)"
printf "%-6s %10s %14s %12s\n" format "time (s)" "peak RSS (MB)" "output (MB)"
for format in ${formats//,/ }; do
  /usr/bin/time -f "%e %M" -o "$out/time" \
    "$rmbg" remove "$out/huge.jpg" -o "$out/cut.$format" --overwrite --quiet "${extra[@]}"
  read -r seconds kilobytes < "$out/time"
  awk -v f="$format" -v s="$seconds" -v k="$kilobytes" -v b="$(stat -c %s "$out/cut.$format")" \
    'BEGIN { printf "%-6s %10.1f %14.0f %12.1f\n", f, s, k / 1024, b / 1048576 }'
done
