#!/usr/bin/env bash
# The distributed batch's cost (rmbg queue, rmbg worker), on one Redis started here on loopback:
#   1. the queue alone: one stand-in worker whose jobs take no time (build/queue_bench), so every
#      millisecond is the queue's: per job, on the worker and on the Redis server;
#   2. real photographs: `rmbg remove` on a folder against `rmbg queue submit` + one `rmbg worker`
#      on the same folder, per photograph;
#   3. 64 stand-in workers whose jobs sleep for as long as a worker took per photograph, through
#      one Redis: their throughput against the ideal 64 / job time, and Redis's CPU per job;
# then the predicted throughput of 1, 4, 16 and 64 workers, each on a machine like this one.
#
#   bench/queue.sh [--photos N] [--size WxH] [--stand-ins N] [-- rmbg worker options]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${RMBG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rmbg}
rmbg=$root/build/rmbg
bench=$root/build/queue_bench
photos=20
size=1920x1080
stand_ins=64
worker_options=()
while [ $# -gt 0 ]; do
  case $1 in
    --photos) photos=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --stand-ins) stand_ins=$2; shift 2 ;;
    --) shift; worker_options=("$@"); break ;;
    *) echo "usage: bench/queue.sh [--photos N] [--size WxH] [--stand-ins N] [-- rmbg worker options]" >&2; exit 2 ;;
  esac
done
command -v redis-server >/dev/null || { echo "redis-server is missing: run scripts/bootstrap" >&2; exit 1; }
command -v vips >/dev/null || { echo "the vips command is missing: run scripts/bootstrap" >&2; exit 1; }
[ -x "$bench" ] || { echo "missing $bench: run scripts/bootstrap (or cmake --build build)" >&2; exit 1; }

tmp=$(mktemp -d)
redis=
cleanup() {
  [ -n "$redis" ] && kill "$redis" 2>/dev/null && wait "$redis" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" >"$tmp/redis.log" 2>&1 &
redis=$!
url=redis://127.0.0.1:$port
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

now() { date +%s.%N; }
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.3f", (b - a) / n }'; }

echo "== 1. the queue alone: one worker, jobs that take no time"
"$bench" --redis "$url" --workers 1 --jobs 2000 --sleep-ms 0 | tee "$tmp/alone.txt"

echo
echo "== 2. real photographs, $photos at $size: rmbg remove, then the same through the queue"
mkdir -p "$tmp/in"
samples=("$cache"/testdata/{astronaut.png,chelsea.png,coffee.png,rocket.jpg})
[ -f "${samples[0]}" ] || { echo "missing ${samples[0]}: run scripts/bootstrap --tests" >&2; exit 1; }
for i in $(seq "$photos"); do
  vips thumbnail "${samples[$((i % ${#samples[@]}))]}" "$tmp/in/photo-$i.jpg[Q=90]" "${size%x*}" \
    --height "${size#*x}" --size force
done
start=$(now)
nice "$rmbg" remove "$tmp/in" -o "$tmp/out-remove" --quiet "${worker_options[@]}"
remove_per=$(per "$start" "$(now)" "$photos")
"$rmbg" queue submit "$tmp/in" -o "$tmp/out-queue" --redis "$url" >/dev/null
start=$(now)
nice "$rmbg" worker --redis "$url" --exit-when-empty "${worker_options[@]}" 2>"$tmp/worker.log"
worker_per=$(per "$start" "$(now)" "$photos")
[ "$(ls "$tmp/out-queue" | wc -l)" -eq "$photos" ] || { echo "the worker did not write every photograph" >&2; cat "$tmp/worker.log" >&2; exit 1; }
echo "rmbg remove: $remove_per s per photograph (its three stages overlap)"
echo "rmbg worker: $worker_per s per photograph (one job at a time, through the queue)"

echo
sleep_ms=$(awk -v s="$worker_per" 'BEGIN { printf "%d", s * 1000 }')
echo "== 3. $stand_ins stand-in workers whose jobs sleep ${sleep_ms} ms (a worker's time per photograph), one Redis"
"$bench" --redis "$url" --workers "$stand_ins" --jobs $((stand_ins * 5)) --sleep-ms "$sleep_ms" | tee "$tmp/many.txt"

queue_ms=$(awk '/wall time per job/ { print $(NF-1) }' "$tmp/alone.txt")
redis_ms=$(awk '/Redis CPU/ { print $3 }' "$tmp/many.txt")
echo
echo "== predicted throughput, each worker on a machine like this one"
echo "queue per photograph: $queue_ms ms on the worker, $redis_ms ms of Redis CPU; a cut-out: $worker_per s"
printf '| workers | photographs/hour | Redis CPU busy |\n|---:|---:|---:|\n'
for n in 1 4 16 64; do
  awk -v n="$n" -v t="$worker_per" -v q="$queue_ms" -v r="$redis_ms" 'BEGIN {
    rate = n / (t + q / 1000); printf "| %d | %.0f | %.2f%% |\n", n, rate * 3600, rate * r / 10 }'
done
echo
echo "command: bench/queue.sh --photos $photos --size $size --stand-ins $stand_ins${worker_options:+ -- ${worker_options[*]}}"
