#!/usr/bin/env bash
# The first run as a new user does it: a fresh Debian 12 minbase (debootstrap) with Debian's usual /etc/hosts
# (localhost also on ::1).  1. When dist/loopgui_*.deb exists (./scripts/build.sh deb; or DEB=path): apt installs
# it on a fresh copy, the menu entry, icons and AppStream file are checked, loopgui --self-test runs, apt remove must
# leave nothing behind.  2. On another fresh copy, a copy of this checkout and the README's two commands:
#   ./scripts/test.sh            and            ./scripts/run.sh --self-test /tmp/first-run.png  (offscreen)
# The logs stay in .ci/logs/ (LOG_DIR).  LOOPGUI_SOAK=1 is passed on (the soak test runs then too).
# Prints how long each took.  Needs root, debootstrap (installed when missing) and a Debian mirror; everything runs
# in a private mount namespace, so no mount outlives the script.  The base tree is kept in CHROOT_CACHE and copied
# afresh for every run.
#   sudo packaging/test_first_run.sh            (10–20 minutes; SKIP_TESTS=1 runs only the self-test)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cache="${CHROOT_CACHE:-/var/tmp/loopgui-debian12-minbase}"
mirror="$("$(dirname "$0")/debian_mirror.sh")"
[ -n "$mirror" ] || { echo "no Debian archive in this machine's apt sources; set DEBIAN_MIRROR" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || { echo "first run: needs root (debootstrap, chroot, mounts)" >&2; exit 1; }
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }

if [ "${1:-}" != "--inside-namespace" ]; then
  exec unshare -m --propagation private "$0" --inside-namespace "$@"
fi

if [ ! -x "$cache/usr/bin/apt-get" ]; then
  start=$SECONDS
  rm -rf "$cache.partial"
  debootstrap --variant=minbase bookworm "$cache.partial" "$mirror" >/dev/null
  mv "$cache.partial" "$cache"
  echo "first run: debootstrap took $((SECONDS - start)) s"
fi
work="$(mktemp -d /var/tmp/loopgui-first-run.XXXXXX)"
logs="${LOG_DIR:-$ROOT/.ci/logs}"  # kept after the run (the work folder is not)
mkdir -p "$logs"
roots=()
cleanup() {
  for r in "${roots[@]}"; do umount -R "$r" 2>/dev/null || true; done
  rm -rf --one-file-system "$work"  # never into a mount that is still there (/dev of the machine)
}
trap cleanup EXIT

prepare() {
  # prepare DIR: a fresh copy of the base tree, Debian's usual /etc/hosts, and /proc, /dev, /sys inside.  DIR is
  # bind-mounted onto itself first, so that / is a mount point inside the chroot: the tests' private mount
  # namespaces (unshare -m --propagation private) need that.
  local dir="$1"
  cp -a "$cache" "$dir"
  mount --bind "$dir" "$dir"
  roots=("$dir" "${roots[@]}")
  cat > "$dir/etc/hosts" <<'HOSTS'
127.0.0.1	localhost
127.0.1.1	debian

# The following lines are desirable for IPv6 capable hosts
::1     localhost ip6-localhost ip6-loopback
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
HOSTS
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  mount -t proc proc "$dir/proc"
  mount --rbind /dev "$dir/dev"
  mount --rbind /sys "$dir/sys"
}
in_root() {
  # in_root DIR COMMAND: run COMMAND with bash as root inside DIR, with a clean environment
  chroot "$1" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    TERM=dumb "${pip_env[@]}" "${extra_env[@]}" bash -c "$2"
}
# pip's own settings of this machine come along (a package index or a proxy's certificate), nothing else.
pip_env=()
extra_env=()
for var in PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_DEFAULT_TIMEOUT LOOPGUI_SOAK; do
  [ -n "${!var:-}" ] && pip_env+=("$var=${!var}")
done

# 1. The Debian package, on a fresh system of its own: apt installs it with what it needs; the menu entry and
#    icon are there; it starts; apt remove leaves nothing behind.
deb="${DEB:-$(ls -t "$ROOT"/dist/loopgui_*.deb 2>/dev/null | head -n 1 || true)}"
if [ -n "$deb" ]; then
  start=$SECONDS
  droot="$work/deb-root"
  prepare "$droot"
  cp "$deb" "$droot/tmp/"
  name="$(basename "$deb")"
  in_root "$droot" "apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /tmp/$name" \
    > "$logs/first-run-deb.log" 2>&1 ||
    { tail -30 "$logs/first-run-deb.log" >&2; echo "first run: apt install ./$name FAILED ($logs/first-run-deb.log)" >&2; exit 1; }
  in_root "$droot" '
    set -e
    dpkg -L loopgui > /tmp/loopgui.files
    id=io.github.loopgui.loopgui
    desktop=/usr/share/applications/$id.desktop
    test -f "$desktop" || { echo "no menu entry $desktop"; exit 1; }
    grep -qx "Exec=loopgui" "$desktop" && grep -qx "Icon=$id" "$desktop" || { echo "menu entry: wrong Exec/Icon"; exit 1; }
    for size in 16 32 48 64 128 256 512 scalable; do
      ls /usr/share/icons/hicolor/${size}*/apps/$id.* >/dev/null || { echo "no $size icon"; exit 1; }
    done
    test -f /usr/share/metainfo/$id.metainfo.xml || { echo "no AppStream file"; exit 1; }
    test "$(command -v loopgui)" = /usr/bin/loopgui
    loopgui --version
    mkdir -p /tmp/home
    HOME=/tmp/home QT_QPA_PLATFORM=offscreen loopgui --self-test /tmp/deb.png
    DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq loopgui > /dev/null
    left=$(while read -r f; do if [ -e "$f" ] && [ ! -d "$f" ]; then echo "$f"; fi; done < /tmp/loopgui.files)
    [ ! -e /opt/loopgui ] || left="$left /opt/loopgui"
    status=$(dpkg-query -W -f="\${Status}" loopgui 2>/dev/null || true)
    case "$status" in ""|*not-installed) ;; *) left="$left (dpkg: $status)";; esac
    [ -z "$left" ] || { echo "apt remove left behind: $left"; exit 1; }
  ' || { echo "first run: the Debian package test FAILED" >&2; exit 1; }
  echo "first run: apt install ./$name, menu entry, icons, --self-test and apt remove passed in $((SECONDS - start)) s"
  echo "first run: apt pulled in: $(grep -o 'Unpacking [^ ]*' "$logs/first-run-deb.log" | cut -d' ' -f2 | grep -vx loopgui | tr '\n' ' ')"
else
  echo "first run: no dist/loopgui_*.deb (./scripts/build.sh deb makes it): the package test is left out"
fi

# 2. The README's two commands on another fresh copy.
dir="$work/root"
prepare "$dir"
mkdir -p "$dir/home/user/loopgui"
# What a clone holds: the tracked files (and new ones not ignored), never this machine's .venv or build output.
git -C "$ROOT" ls-files -z --cached --others --exclude-standard | (cd "$ROOT" && tar --null -T - -cf -) |
  tar -xf - -C "$dir/home/user/loopgui"
if [ -n "${PIP_CERT:-}" ] && [ -f "$PIP_CERT" ]; then
  cp "$PIP_CERT" "$dir/etc/pip-host-ca.crt"
  pip_env+=(PIP_CERT=/etc/pip-host-ca.crt)
fi
inside() {
  in_root "$dir" "cd /home/user/loopgui && $1"
}
tests_rc=0
if [ "${SKIP_TESTS:-0}" != "1" ]; then
  start=$SECONDS
  set +e
  inside "./scripts/test.sh -q -p no:cacheprovider -rs" > "$logs/first-run-tests.log" 2>&1
  tests_rc=$?
  set -e
  grep -E "passed|failed|^FAILED|^ERROR|^SKIPPED" "$logs/first-run-tests.log" | tail -25
  echo "first run: the whole test log: $logs/first-run-tests.log"
  if [ "$tests_rc" = 0 ]; then
    echo "first run: ./scripts/test.sh passed in $((SECONDS - start)) s (including apt and pip set-up)"
  else
    echo "first run: ./scripts/test.sh FAILED (exit $tests_rc) after $((SECONDS - start)) s" >&2
  fi
fi
start=$SECONDS
inside "QT_QPA_PLATFORM=offscreen ./scripts/run.sh --self-test /tmp/first-run.png"
echo "first run: ./scripts/run.sh --self-test passed in $((SECONDS - start)) s"
start=$SECONDS
inside "QT_QPA_PLATFORM=offscreen ./scripts/run.sh --self-test /tmp/first-run.png" >/dev/null
echo "first run: a second ./scripts/run.sh --self-test (nothing to install) took $((SECONDS - start)) s"
inside "./scripts/run.sh explain 'connect ECONNREFUSED 127.0.0.1:9'" | head -2
mkdir -p "$ROOT/dist"
cp "$dir/tmp/first-run.png" "$ROOT/dist/first-run.png"
[ "$tests_rc" = 0 ] || exit "$tests_rc"
echo "first run: passed on Debian 12 minbase with ::1 localhost (picture: dist/first-run.png)"
