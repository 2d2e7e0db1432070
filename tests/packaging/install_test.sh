#!/usr/bin/env bash
# `cmake --install` into a staging folder, then the installed rmbg run with neither the build tree
# nor any cache to lean on: it finds ONNX Runtime, the video module and the models it was
# installed with.
#   tests/packaging/install_test.sh BUILD_DIR PHOTO
set -euo pipefail
build=$1 photo=$2
source "$(dirname "$0")/support.sh"
work=$(mktemp -d)
server=""
trap '[ -z "$server" ] || kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

DESTDIR=$work/stage cmake --install "$build" --prefix /usr/local >/dev/null
prefix=$work/stage/usr/local
rmbg=$prefix/bin/rmbg

# The binary looks for its libraries beside itself, never in the cache of whoever built it.
runpath=$(readelf -d "$rmbg" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
[ "$runpath" = '$ORIGIN/../lib/rmbg' ] || fail "RUNPATH is '$runpath'"
resolved=$(ldd "$rmbg" | sed -n 's/.*libonnxruntime\.so\.1 => \(.*\) (0x.*/\1/p')
[ "$(realpath "$resolved")" = "$(realpath "$prefix/lib/rmbg/libonnxruntime.so.1")" ] ||
  fail "ONNX Runtime resolves to '$resolved', not to the installed copy"
# FFmpeg and OpenCV come with the video module, which rmbg loads only to cut a video.
! ldd "$rmbg" | grep -E 'libav|libopencv' || fail "rmbg itself links FFmpeg or OpenCV"
module=$prefix/lib/rmbg/librmbg-video.so
[ -f "$module" ] || fail "the video module was not installed"
runpath=$(readelf -d "$module" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
[ -z "$runpath" ] || fail "the video module's RUNPATH is '$runpath': it needs only the system's libraries"
for file in share/doc/rmbg/onnxruntime/LICENSE share/doc/rmbg/onnxruntime/ThirdPartyNotices.txt \
            share/doc/rmbg/MODELS share/man/man1/rmbg.1 share/man/man1/rmbg-serve.1 \
            share/bash-completion/completions/rmbg share/zsh/site-functions/_rmbg; do
  [ -s "$prefix/$file" ] || fail "$file was not installed"
done

# A user with an empty home: no cache, no RMBG_CACHE, nothing of the build on any path.
home=$work/home
mkdir -p "$home"
run() { env -i HOME="$home" PATH=/usr/bin:/bin "$@"; }
run "$rmbg" models list | grep -E '^isnet-qdq \* .* (verified|present) ' >/dev/null ||
  fail "the installed default model is not found: $(run "$rmbg" models list)"
run "$rmbg" remove "$photo" -o "$work/out.png" >/dev/null
[ "$(vipsheader -f bands "$work/out.png")" = 4 ] || fail "rmbg remove did not write an RGBA PNG"
ffmpeg -v error -loop 1 -framerate 4 -i "$photo" -frames:v 2 -vf scale=128:-2 -pix_fmt yuv420p \
  -c:v libx264 "$work/clip.mp4"
run "$rmbg" video "$work/clip.mp4" -o "$work/cutout.webm" --model-side 256 --quiet
frames=$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$work/cutout.webm")
[ "$frames" = 2 ] || fail "rmbg video wrote $frames frames of 2"

# The server, its port given the way a service manager gives it.
port=$(free_port)
env -i HOME="$home" PATH=/usr/bin:/bin RMBG_PORT="$port" "$rmbg" serve >"$work/serve.log" 2>&1 &
server=$!
wait_for_health "$port" "$server" "$work/serve.log"
[ ! -e "$home/.cache/rmbg/models" ] || fail "models were written to the user's cache"
echo "installed rmbg ran from $prefix with an empty home"
