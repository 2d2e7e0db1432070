#!/usr/bin/env bash
# The container image made by scripts/package-image (no registry: mmdebstrap and buildah): smaller
# than 450 MB; run, it answers /remove-bg from outside; run with no network at all, it still cuts
# out a photograph (the model is in it). Runs it with `buildah run` (chroot isolation), which needs
# no daemon and works where podman's runtime cannot set resource limits. Needs root, mmdebstrap,
# buildah, podman (to read the image's size) and Debian's mirror; takes a few minutes.
#   tests/packaging/image_test.sh BUILD_DIR PHOTO
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$1 photo=$2
source "$root/tests/packaging/support.sh"
buildah=(buildah --storage-driver vfs)
work=$(mktemp -d)
container="" server=""
cleanup() {
  [ -z "$server" ] || kill -TERM -- "-$server" 2>/dev/null || true
  [ -z "$server" ] || wait "$server" 2>/dev/null || true
  [ -z "$container" ] || "${buildah[@]}" rm "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

read -r image _ < <("$root/scripts/package-image" "$build")
bytes=$(podman --storage-driver vfs image inspect --format '{{.Size}}' "$image")
echo "$image: $((bytes / 1000000)) MB"
[ "$bytes" -lt 450000000 ] || fail "the image is $bytes bytes, over 450 MB"

# The image's own user, environment and command; the port from the environment, as a container
# manager would give it. Its own process group, so that the server stops with it.
container=$("${buildah[@]}" from "$image")
port=$(free_port)
mkdir -p "$work/shared"
setsid "${buildah[@]}" run --isolation chroot --env RMBG_PORT="$port" "$container" -- /usr/bin/rmbg serve \
  >"$work/serve.log" 2>&1 &
server=$!
wait_for_health "$port" "$server" "$work/serve.log"
check_remove_bg "$port" "$photo"
grep -q "0.0.0.0:$port" "$work/serve.log" || fail "the image's server does not listen on every address"

# Offline: in a network namespace of its own, with no network at all.
cp "$photo" "$work/shared/in.png"
chmod -R a+rwx "$work/shared"
unshare --net "${buildah[@]}" run --isolation chroot -v "$work/shared:/shared" "$container" -- \
  /usr/bin/rmbg remove /shared/in.png -o /shared/out.png >/dev/null
[ "$(vipsheader -f bands "$work/shared/out.png")" = 4 ] || fail "offline, the image did not write an RGBA PNG"
echo "the image answered /remove-bg, and cut out a photograph with no network"
