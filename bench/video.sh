#!/usr/bin/env bash
# Video: flicker with the temporal filter and without it, speed, and peak memory of `rmbg video`.
#   bench/video.sh [--frames N] [--model-side PX] [--only flicker|warp|speed|memory] [--baseline RMBG]
#                  [--variants "STRENGTH:AGREEMENT:FLOW_SIDE:COLOUR:CONSISTENCY ..."]
# Needs `scripts/bootstrap --tests --bench` (sample photographs, and real clips from Debian's
# opencv-doc in the cache). Figures are medians or means as printed; run it on a quiet machine.
#  - flicker: a subject with an exact alpha (scikit-image's horse silhouette filled with cat fur)
#    moves, turns, grows and pauses over real footage; per-frame MAE and dtSSD against the truth,
#    every frame on its own ("alone", what other tools do) and filtered, from the same model runs;
#    --variants compares other settings of the filter on those same runs (the default when none),
#    and chooses among them leaving one clip out at a time.
#  - warp: no ground truth, the real clips themselves: mean |a_t - warp(a_{t+1})| where the flow
#    is consistent.
#  - speed: frames per second of `rmbg video` to WebM at 480p, 720p and 1080p, with the default
#    model input and with --model-side 512; with --baseline, another build of rmbg too, each run
#    of it just before the same run of this one, to see what a change bought.
#  - memory: peak RSS for a 10-second and a 60-second clip (the same, or memory grows with length).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${RMBG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rmbg}
rmbg=$root/build/rmbg
bench=$root/build/video_bench
frames=90
side=0
only=""
baseline=""
variants=""
while [ $# -gt 0 ]; do
  case $1 in
    --frames) frames=$2; shift 2 ;;
    --model-side) side=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    --variants) variants=$2; shift 2 ;;
    *) echo "usage: bench/video.sh [--frames N] [--model-side PX] [--only flicker|warp|speed|memory] [--baseline RMBG]" \
            "[--variants \"STRENGTH:AGREEMENT:FLOW_SIDE:COLOUR:CONSISTENCY ...\"]" >&2; exit 2 ;;
  esac
done
clips=$cache/video
for f in "$clips"/{vtest.avi,tree.avi,Megamind.avi,box.mp4,cup.mp4} "$cache/testdata/horse.png"; do
  [ -f "$f" ] || { echo "missing $f: run scripts/bootstrap --tests --bench" >&2; exit 1; }
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
wants() { [ -z "$only" ] || [ "$only" = "$1" ]; }

# With several variants: each clip held out in turn, the variant the others choose (the most
# dtSSD taken off on average, with no more than 3% more MAE on any of them), and its figures on
# the clip held out.
leave_one_clip_out() {  # the composite lines of every clip
  awk '
    /frames: every frame alone/ { clip = $1; sub(/,$/, "", clip); sub(/.*\//, "", clip); clips[++n] = clip }
    /filtered \(/ {
      variant = $0; sub(/.*filtered \(/, "", variant); sub(/\):.*/, "", variant)
      mae = $0; sub(/.*MAE x100 [0-9.]+ \(/, "", mae); sub(/%.*/, "", mae)
      dt = $0; sub(/.*dtSSD x100 [0-9.]+ \(/, "", dt); sub(/%.*/, "", dt)
      if (!(variant in seen)) { seen[variant] = 1; variants[++m] = variant }
      mae_of[clip, variant] = mae + 0; dt_of[clip, variant] = dt + 0
    }
    END {
      print "== leave one clip out: chosen on the other clips, figures on the clip held out"
      for (h = 1; h <= n; ++h) {
        best = ""
        for (v = 1; v <= m; ++v) {
          worst_mae = -1e9; dt_sum = 0
          for (t = 1; t <= n; ++t) if (t != h) {
            if (mae_of[clips[t], variants[v]] > worst_mae) worst_mae = mae_of[clips[t], variants[v]]
            dt_sum += dt_of[clips[t], variants[v]]
          }
          fits = worst_mae <= 3
          if (best == "" || (fits && !best_fits) || (fits == best_fits && (fits ? dt_sum < best_dt : worst_mae < best_mae))) {
            best = variants[v]; best_fits = fits; best_dt = dt_sum; best_mae = worst_mae
          }
        }
        printf "  %s held out: %s: MAE %+.1f%%, dtSSD %+.1f%%\n", clips[h], best, mae_of[clips[h], best], dt_of[clips[h], best]
      }
    }'
}

if wants flicker; then
  echo "== flicker against ground truth ($frames frames per clip, model side ${side/#0/default})"
  for clip in vtest.avi tree.avi Megamind.avi box.mp4 cup.mp4; do
    # shellcheck disable=SC2086
    RMBG_TESTDATA=$cache/testdata nice "$bench" composite "$clips/$clip" "$frames" "$side" $variants
  done | tee "$out/composite.txt"
  # shellcheck disable=SC2086
  [ "$(echo $variants | wc -w)" -lt 2 ] || leave_one_clip_out < "$out/composite.txt"
fi

if wants warp; then
  echo "== flow-warped alpha error on the real clips ($frames frames per clip)"
  for clip in box.mp4 cup.mp4 Megamind.avi vtest.avi; do
    # shellcheck disable=SC2086
    nice "$bench" warp "$clips/$clip" "$frames" "$side" $variants
  done
fi

# A clip of box.mp4 (29.97 fps) looped to SECONDS at HEIGHT lines, without sound.
make_clip() {
  ffmpeg -v error -y -stream_loop -1 -i "$clips/box.mp4" -t "$2" -vf "scale=-2:$1" -an -c:v libx264 -crf 18 "$3"
}

# Frames per second of RMBG making a WebM of CLIP (90 frames) with OPTIONS.
fps_of() {  # RMBG CLIP OPTIONS...
  local start
  start=$(date +%s%N)
  nice "$1" video "$2" -o "$out/speed.webm" --overwrite --quiet "${@:3}"
  awk -v ns=$(( $(date +%s%N) - start )) 'BEGIN { printf "%.2f", 90 / (ns / 1e9) }'
}

if wants speed; then
  echo "== speed: frames per second of rmbg video to WebM (3 s clips, 90 frames)${baseline:+; baseline $baseline first}"
  printf "%-6s %16s %24s\n" size "default (fps)" "--model-side 512 (fps)"
  for height in 480 720 1080; do
    make_clip "$height" 3 "$out/$height.mp4"
    line=$(printf "%-6s" "${height}p")
    for option in "" "--model-side 512"; do
      result=""
      # shellcheck disable=SC2086
      [ -z "$baseline" ] || result="$(fps_of "$baseline" "$out/$height.mp4" $option) -> "
      # shellcheck disable=SC2086
      line+=$(printf " %24s" "$result$(fps_of "$rmbg" "$out/$height.mp4" $option)")
    done
    echo "$line"
  done
fi

if wants memory; then
  echo "== peak RSS: a 10-second and a 60-second clip at 240p, 10 fps (--model-side 256 for time)"
  for seconds in 10 60; do
    ffmpeg -v error -y -stream_loop -1 -i "$clips/box.mp4" -t "$seconds" -vf "scale=-2:240,fps=10" -an \
      -c:v libx264 "$out/$seconds.mp4"
    /usr/bin/time -f "%M" -o "$out/rss" nice "$rmbg" video "$out/$seconds.mp4" -o "$out/$seconds.webm" \
      --overwrite --quiet --model-side 256
    awk -v s="$seconds" '{ printf "%3d s: %6.1f MB\n", s, $1 / 1024 }' "$out/rss"
  done
fi
