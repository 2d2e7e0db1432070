# Helpers of the packaging tests, which are shell scripts: they install rmbg as a user would.

fail() { echo "FAIL: $*" >&2; exit 1; }

# A port nothing listens on now (other tests run at the same time: never a fixed one).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until http://127.0.0.1:PORT/api/health answers 200 while process PID lives (60 s at most);
# shows the server's LOG if it does not.
wait_for_health() {
  local port=$1 pid=$2 log=$3
  for _ in $(seq 600); do
    curl -fs "http://127.0.0.1:$port/api/health" >/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log" >&2
  fail "no healthy answer on port $port"
}

# Sends PHOTO to /remove-bg on PORT and checks that the answer is a PNG with an alpha channel.
check_remove_bg() {
  local port=$1 photo=$2 out
  out=$(mktemp --suffix=.png)
  curl -fsS -F "image=@$photo" "http://127.0.0.1:$port/remove-bg" -o "$out" ||
    fail "POST /remove-bg failed"
  [ "$(vipsheader -f bands "$out")" = 4 ] || fail "/remove-bg did not answer an RGBA PNG"
  rm -f "$out"
}
