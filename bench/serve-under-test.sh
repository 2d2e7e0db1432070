# Sourced by bench/load.sh and bench/soak.sh: a scratch folder removed on exit, the sample
# photograph cut to any size, and `rmbg serve` started on a loopback port and stopped on exit.
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${RMBG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rmbg}
rmbg=$root/build/rmbg
photo=$cache/testdata/rocket.jpg
[ -f "$photo" ] || { echo "missing $photo: run scripts/bootstrap --tests" >&2; exit 1; }
command -v vips >/dev/null || { echo "the vips command is missing: run scripts/bootstrap" >&2; exit 1; }

tmp=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# The sample photograph scaled and cropped to exactly the size wanted, as a camera's JPEG.
jpeg() {  # WIDTH HEIGHT OUTPUT
  vips thumbnail "$photo" "$3[Q=90]" "$1" --height "$2" --crop centre --size both
}

# Starts `rmbg serve OPTIONS...` and waits until its model is loaded; sets port, url and server.
start_server() {
  port=$((20000 + RANDOM % 20000))
  url=http://127.0.0.1:$port
  "$rmbg" serve --port "$port" "$@" 2>>"$tmp/serve.log" &
  server=$!
  until curl -sf "$url/api/health" >/dev/null; do
    kill -0 "$server" 2>/dev/null || { cat "$tmp/serve.log" >&2; exit 1; }
    sleep 0.2
  done
}
