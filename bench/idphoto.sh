#!/usr/bin/env bash
# Warm time per ID photo (POST /api/idphoto to a running rmbg serve: decode, face detection,
# matting, placement, JPEG) at 1920x1080 and 3840x2160: the astronaut portrait scaled to the
# frame's height, its edges stretched to the frame's width. Median of N runs per size.
#   bench/idphoto.sh [--repeat N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${RMBG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rmbg}
repeat=5
[ "${1:-}" = "--repeat" ] && repeat=$2
portrait=$cache/testdata/astronaut.png
[ -f "$portrait" ] || { echo "missing $portrait: run scripts/bootstrap --tests" >&2; exit 1; }
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$root/build/rmbg" serve --port "$port" 2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
until curl -sf "http://127.0.0.1:$port/api/health" >/dev/null; do
  kill -0 $server 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.2
done
for frame in 1920x1080 3840x2160; do
  width=${frame%x*} height=${frame#*x}
  vips resize "$portrait" "$work/scaled.png" "$(awk -v h="$height" 'BEGIN { print h / 512 }')"
  vips embed "$work/scaled.png" "$work/$frame.jpg" $(( (width - height) / 2 )) 0 "$width" "$height" --extend copy
  for _ in $(seq "$repeat"); do
    curl -sf -o /dev/null -w '%{time_total}\n' -F "image=@$work/$frame.jpg" -F size=2inch -F bg=blue \
      "http://127.0.0.1:$port/api/idphoto"
  done | sort -n | awk -v frame="$frame" '{ t[NR] = $1 } END { printf "%s: %.2f s (median of %d)\n", frame, t[int((NR + 1) / 2)], NR }'
done
