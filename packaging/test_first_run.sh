#!/usr/bin/env bash
# The first run as a new user does it: a fresh Debian 12 minbase (debootstrap) with Debian's usual /etc/hosts
# (localhost also on ::1), a copy of this checkout, then the README's two commands inside it:
#   ./scripts/test.sh            and            ./scripts/run.sh --self-test /tmp/first-run.png  (offscreen)
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
trap 'umount -R "$work/root/proc" "$work/root/dev" "$work/root/sys" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -a "$cache" "$work/root"
dir="$work/root"
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
mkdir -p "$dir/home/user/loopgui"
# What a clone holds: the tracked files (and new ones not ignored), never this machine's .venv or build output.
git -C "$ROOT" ls-files -z --cached --others --exclude-standard | (cd "$ROOT" && tar --null -T - -cf -) |
  tar -xf - -C "$dir/home/user/loopgui"
# pip's own settings of this machine come along (a package index or a proxy's certificate), nothing else.
pip_env=()
for var in PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_DEFAULT_TIMEOUT; do
  [ -n "${!var:-}" ] && pip_env+=("$var=${!var}")
done
if [ -n "${PIP_CERT:-}" ] && [ -f "$PIP_CERT" ]; then
  cp "$PIP_CERT" "$dir/etc/pip-host-ca.crt"
  pip_env+=(PIP_CERT=/etc/pip-host-ca.crt)
fi
inside() {
  chroot "$dir" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    TERM=dumb "${pip_env[@]}" bash -c "cd /home/user/loopgui && $1"
}
tests_rc=0
if [ "${SKIP_TESTS:-0}" != "1" ]; then
  start=$SECONDS
  set +e
  inside "./scripts/test.sh -q -p no:cacheprovider" > "$work/tests.log" 2>&1
  tests_rc=$?
  set -e
  grep -E "passed|failed|^FAILED|^ERROR" "$work/tests.log" | tail -15
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
