#!/usr/bin/env bash
# `rmbg serve` under load, over loopback only:
#   - requests per second and latency (median, p95) for 1920x1080 JPEG uploads, with 1 and with 4
#     clients at once (latency includes the wait in the server's queue, as a client sees it);
#   - the server's peak RSS;
#   - a soak: many requests of a small JPEG, RSS after the first 100 and at the end, which must
#     be within 10% of each other (exit status 1 otherwise).
#
#   bench/load.sh [--requests N] [--soak N] [--soak-size WxH] [-- rmbg serve options]
#
# Every inference runs the model at 1024x1024, whatever the photograph's size, so the soak takes
# about as long per request as the 1080p runs; a small photograph keeps the rest of the work low.
# --soak 0 skips it. The defaults take about half an hour on two busy cores.
set -euo pipefail
requests=20
soak=200
soak_size=320x240
soak_warmup=100
serve_options=()
while [ $# -gt 0 ]; do
  case $1 in
    --requests) requests=$2; shift 2 ;;
    --soak) soak=$2; shift 2 ;;
    --soak-size) soak_size=$2; shift 2 ;;
    --) shift; serve_options=("$@"); break ;;
    *) echo "usage: bench/load.sh [--requests N] [--soak N] [--soak-size WxH] [-- rmbg serve options]" >&2; exit 2 ;;
  esac
done
. "$(dirname "$0")/serve-under-test.sh"
jpeg 1920 1080 "$tmp/1080p.jpg"
jpeg "${soak_size%x*}" "${soak_size#*x}" "$tmp/soak.jpg"
start_server --queue 64 "${serve_options[@]}"

rss_mb() {  # FIELD: VmRSS now, VmHWM the peak
  awk -v field="$1:" '$1 == field { printf "%.0f", $2 / 1024 }' "/proc/$server/status"
}

# Sends COUNT uploads of FILE with CLIENTS at once; prints req/s, median and p95 latency, errors.
load() {  # CLIENTS COUNT FILE
  local started ended
  started=$(date +%s.%N)
  seq "$2" | xargs -P "$1" -I{} curl -s -o /dev/null -w '%{http_code} %{time_total}\n' \
    -F "image=@$3" "$url/remove-bg" >"$tmp/times"
  ended=$(date +%s.%N)
  sort -k2 -n "$tmp/times" | awk -v count="$2" -v started="$started" -v ended="$ended" '
    { latency[NR] = $2; if ($1 != 200) errors++ }
    END {
      seconds = ended - started
      median = NR % 2 ? latency[(NR + 1) / 2] : (latency[NR / 2] + latency[NR / 2 + 1]) / 2
      p95 = latency[int(0.95 * NR + 0.999999)]
      printf "%7.2f  %7.2f s  %7.2f s  %d\n", count / seconds, median, p95, errors + 0
    }'
}

echo "== $(nproc) cores; $("$rmbg" --version); server options: --queue 64 ${serve_options[*]}"
echo "== 1920x1080 JPEG uploads, $requests requests per run"
echo "clients    req/s    median       p95  errors"
for clients in 1 4; do
  printf "%7d  %s\n" "$clients" "$(load "$clients" "$requests" "$tmp/1080p.jpg")"
done
echo "== server peak RSS: $(rss_mb VmHWM) MB (now $(rss_mb VmRSS) MB)"

[ "$soak" -gt "$soak_warmup" ] || exit 0
echo "== soak: $soak requests of a $soak_size JPEG, 2 clients"
load 2 "$soak_warmup" "$tmp/soak.jpg" >/dev/null
before=$(rss_mb VmRSS)
result=$(load 2 "$((soak - soak_warmup))" "$tmp/soak.jpg")
after=$(rss_mb VmRSS)
echo "clients    req/s    median       p95  errors"
printf "%7d  %s\n" 2 "$result"
awk -v before="$before" -v after="$after" -v warmup="$soak_warmup" -v total="$soak" 'BEGIN {
  change = 100 * (after - before) / before
  printf "RSS after %d requests: %d MB; after %d: %d MB (%+.1f%%)\n", warmup, before, total, after, change
  if (change > 10 || change < -10) { print "FAIL: memory did not stay within 10%"; exit 1 }
  print "memory stayed within 10%"
}'
