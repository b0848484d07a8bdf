#!/usr/bin/env bash
# Prove the Linux bundle needs nothing but the system libraries packaging/README.md lists: run it inside a
# minimal Debian 12 (debootstrap --variant=minbase) that has only those added.  Needs root; takes a few minutes
# the first time (the Debian tree is kept in CHROOT_DIR for the next run).
#   sudo packaging/test_clean_system.sh [dist/loopgui]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
bundle="$(cd "${1:-$ROOT/dist/loopgui}" && pwd)"
dir="${CHROOT_DIR:-/tmp/loopgui-clean-debian}"
mirror="$("$(dirname "$0")/debian_mirror.sh")"
[ -n "$mirror" ] || { echo "no Debian archive in this machine's apt sources; set DEBIAN_MIRROR" >&2; exit 1; }
# The documented run-time needs of the bundle (everything else travels inside it):
NEEDS=(libgl1 libegl1 libfontconfig1 fonts-dejavu-core)

[ "$(id -u)" -eq 0 ] || { echo "run as root (debootstrap and chroot need it)" >&2; exit 1; }
[ -x "$bundle/loopgui" ] || { echo "no bundle at $bundle: run ./scripts/build.sh first" >&2; exit 1; }
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
if [ ! -x "$dir/usr/bin/apt-get" ]; then
  debootstrap --variant=minbase bookworm "$dir" "$mirror" >/dev/null
fi
cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
cleanup() { umount "$dir/proc" 2>/dev/null || true; }
trap cleanup EXIT
mount -t proc proc "$dir/proc"
chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get -qq update
chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${NEEDS[@]}" >/dev/null
rm -rf "$dir/opt/loopgui"
cp -a "$bundle" "$dir/opt/loopgui"
run() { chroot "$dir" env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen "$@"; }
run /opt/loopgui/loopgui --self-test /tmp/clean-system.png
run /opt/loopgui/loopgui explain "connect ECONNREFUSED 127.0.0.1:9" | head -3
cp "$dir/tmp/clean-system.png" "$ROOT/dist/clean-system.png"
echo "clean system: passed with only ${NEEDS[*]} added to Debian 12 minbase (picture: dist/clean-system.png)"
