#!/usr/bin/env bash
# The Debian package installed into a fresh Debian 12 root, made here from Debian's mirror, and its
# service started as its systemd unit says (its user, its environment, /etc/default/rmbg): it
# answers /api/health and cuts out a photograph. Needs root (chroot), mmdebstrap and the mirror;
# takes a few minutes.
#   tests/packaging/deb_test.sh BUILD_DIR PHOTO
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$1 photo=$2
source "$root/tests/packaging/support.sh"
work=$(mktemp -d)
server=""
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  [ -z "$server" ] || wait "$server" 2>/dev/null || true
  umount "$work/root/proc" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

deb=$("$root/scripts/package-deb" "$build")
debian=http://deb.debian.org/debian
mmdebstrap --quiet --variant=apt --mode=root bookworm "$work/root" \
  "deb $debian bookworm main" "deb $debian bookworm-updates main" \
  "deb http://deb.debian.org/debian-security bookworm-security main" </dev/null
cp "$deb" "$work/root/tmp/"
mount -t proc proc "$work/root/proc"
# As on any fresh system, apt reads the package lists first (mmdebstrap leaves none behind).
{ chroot "$work/root" apt-get update -qq &&
  chroot "$work/root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "/tmp/$(basename "$deb")"
} >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get could not install the package"; }

in_root() { chroot "$work/root" "$@"; }
in_root getent passwd rmbg | grep -q ':/var/lib/rmbg:' || fail "no user rmbg with home /var/lib/rmbg"
[ "$(in_root stat -c %U /var/lib/rmbg)" = rmbg ] || fail "/var/lib/rmbg does not belong to rmbg"
unit=$work/root/lib/systemd/system/rmbg.service
[ -f "$unit" ] || fail "no systemd unit"
in_root rmbg models list | grep -E '^isnet-qdq \* .* (verified|present) ' >/dev/null || fail "the default model is not installed"

# The service as its unit starts it: its user, its Environment= lines, /etc/default/rmbg, ExecStart.
port=$(free_port)
echo "RMBG_PORT=$port" >>"$work/root/etc/default/rmbg"
unit_value() { sed -n "s/^$1=//p" "$unit"; }
mapfile -t environment < <(unit_value Environment; grep -E '^[A-Z_]+=' "$work/root/etc/default/rmbg")
read -r -a exec_start <<<"$(unit_value ExecStart)"
chroot --userspec="$(unit_value User):$(unit_value Group)" "$work/root" \
  env -i PATH=/usr/bin:/bin "${environment[@]}" "${exec_start[@]}" >"$work/serve.log" 2>&1 &
server=$!
wait_for_health "$port" "$server" "$work/serve.log"
check_remove_bg "$port" "$photo"
ls "$work/root/var/lib/rmbg/optimized"/*.onnx >/dev/null 2>&1 ||
  fail "the service did not keep its optimised model in /var/lib/rmbg"
echo "the Debian package installed into a fresh Debian 12 root and its service answered"
