#!/usr/bin/env bash
# `rmbg serve` against abuse, over loopback only, with the server's default queue:
#   - 200 slow clients, each sending its request a byte a second, while a normal client sends
#     small photographs: the normal requests' latency (or their failure);
#   - 50 uploads of a 1920x1080 JPEG at once: how many got 200 and 503, how fast the 503s came,
#     and the server's threads, file descriptors and RSS before and after;
#   - SIGTERM while requests are in flight: every request the server had accepted is answered,
#     and it exits 0.
# The soak (1,000 requests at 2 clients, RSS within 10%) is bench/load.sh --soak 1000.
#
#   bench/soak.sh [--slow N] [--burst N] [-- rmbg serve options]
set -euo pipefail
slow=200
burst=50
serve_options=()
while [ $# -gt 0 ]; do
  case $1 in
    --slow) slow=$2; shift 2 ;;
    --burst) burst=$2; shift 2 ;;
    --) shift; serve_options=("$@"); break ;;
    *) echo "usage: bench/soak.sh [--slow N] [--burst N] [-- rmbg serve options]" >&2; exit 2 ;;
  esac
done
. "$(dirname "$0")/serve-under-test.sh"
jpeg 1920 1080 "$tmp/1080p.jpg"
jpeg 320 240 "$tmp/small.jpg"

echo "== $(nproc) cores; $("$rmbg" --version); server options: ${serve_options[*]:-(defaults)}"
start_server "${serve_options[@]}"
python3 - "$port" "$server" "$slow" "$burst" "$tmp" <<'PYTHON'
import socket, statistics, sys, threading, time, os, uuid
port, pid, slow, burst, tmp = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]

def form(path):
    boundary = uuid.uuid4().hex
    with open(path, "rb") as f:
        data = f.read()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"p.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    head = (f"POST /remove-bg HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    return head + body

def post(request, timeout=120):
    """Status and seconds until the whole answer came, or (None, seconds) on failure."""
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(request)
            answer = b""
            while chunk := s.recv(65536):
                answer += chunk
        return int(answer.split(b" ", 2)[1]), time.monotonic() - started
    except (OSError, IndexError, ValueError):
        return None, time.monotonic() - started

def usage():
    status = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status"))
    return (int(status["Threads"]), len(os.listdir(f"/proc/{pid}/fd")), int(status["VmRSS"].split()[0]) // 1024)

small, big = form(f"{tmp}/small.jpg"), form(f"{tmp}/1080p.jpg")
post(small)  # warm up

# --- slow clients --------------------------------------------------------------------------
stop = threading.Event()
def slow_client():
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            for byte in small:
                if stop.is_set():
                    return
                s.sendall(bytes([byte]))
                stop.wait(1.0)
    except OSError:
        pass
threads = [threading.Thread(target=slow_client, daemon=True) for _ in range(slow)]
for t in threads:
    t.start()
time.sleep(3)
results = [post(small, timeout=20) for _ in range(5)]
stop.set()
ok = [seconds for status, seconds in results if status == 200]
print(f"== {slow} slow clients (a byte a second), 5 normal 320x240 requests one after another:")
print("   " + ", ".join(f"{status or 'failed'} in {seconds:.2f} s" for status, seconds in results))
for t in threads:
    t.join(timeout=5)
time.sleep(2)

# --- a burst of uploads --------------------------------------------------------------------
before = usage()
answers = [None] * burst
def one(i):
    answers[i] = post(big)
threads = [threading.Thread(target=one, args=(i,)) for i in range(burst)]
for t in threads:
    t.start()
for t in threads:
    t.join()
time.sleep(2)
after = usage()
refused = sorted(seconds for status, seconds in answers if status == 503)
served = sorted(seconds for status, seconds in answers if status == 200)
other = [status for status, _ in answers if status not in (200, 503)]
print(f"== {burst} uploads of a 1920x1080 JPEG at once: {len(served)} answered 200, {len(refused)} 503, "
      f"{len(other)} other {other if other else ''}")
if refused:
    print(f"   503 in: median {statistics.median(refused) * 1000:.0f} ms, max {refused[-1] * 1000:.0f} ms")
if served:
    print(f"   200 in: median {statistics.median(served):.2f} s, max {served[-1]:.2f} s")
print(f"   server threads / open files / RSS MB: before {before}, after {after}")
PYTHON

# --- SIGTERM under load ----------------------------------------------------------------------
echo "== SIGTERM with 10 requests of a 1920x1080 JPEG in flight"
for i in $(seq 10); do
  curl -s -o /dev/null -w '%{http_code}\n' -F "image=@$tmp/1080p.jpg" "http://127.0.0.1:$port/remove-bg" \
    >"$tmp/sigterm.$i" &
done
sleep 2
kill -TERM "$server"
status=0
wait "$server" || status=$?
server=
wait
echo "   server exit status $status; answers: $(cat "$tmp"/sigterm.* | sort | uniq -c | awk '{printf "%s x%s ", $2, $1}')"
