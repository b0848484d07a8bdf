#!/usr/bin/env bash
# A cheap stand-in for the clean-system check: every system library that PySide6's modules loopgui uses and Qt's
# xcb, wayland and offscreen platform plugins load must come from a Debian package that scripts/setup.sh installs
# (or one those depend on).  A missing entry in setup.sh's list fails here, with the package to add.
#   packaging/check_system_libs.sh            (needs .venv, dpkg and apt-cache; a few seconds)
#   LEAVE_OUT=libxcb-cursor0 packaging/check_system_libs.sh   must fail: proves the check can fail
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=../scripts/setup.sh
source "$ROOT/scripts/setup.sh"
command -v dpkg >/dev/null && command -v apt-cache >/dev/null || { echo "check_system_libs: not Debian; skipped" >&2; exit 0; }
pyside="$("$VENV/bin/python" -c 'import os, PySide6; print(os.path.dirname(PySide6.__file__))')"

packages=()
for p in "${APT_PACKAGES[@]}"; do
  [ "$p" = "${LEAVE_OUT:-}" ] || packages+=("$p")
done
# What installing setup.sh's packages brings along, plus what every Debian system has (priority required).
allowed="$(mktemp)"
trap 'rm -f "$allowed"' EXIT
{
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
    --no-enhances "${packages[@]}" 2>/dev/null | grep -v '^ ' | grep -v '^<'
  dpkg-query -W -f='${Package} ${Priority} ${Essential}\n' | awk '$2 == "required" || $3 == "yes" {print $1}'
} | sed 's/:.*//' | sort -u > "$allowed"

targets=(
  "$pyside"/QtCore.abi3.so "$pyside"/QtGui.abi3.so "$pyside"/QtWidgets.abi3.so
  "$pyside"/Qt/plugins/platforms/libqxcb.so "$pyside"/Qt/plugins/platforms/libqoffscreen.so
  "$pyside"/Qt/plugins/platforms/libqwayland.so
)
failed=0
declare -A seen=()
while read -r lib path; do
  [ -n "$lib" ] || continue
  if [ "$path" = "not" ]; then
    echo "check_system_libs: $lib is not installed at all" >&2
    failed=1
    continue
  fi
  case "$path" in "$pyside"/*) continue ;; esac  # travels inside the PySide6 wheel
  [ -n "${seen[$path]:-}" ] && continue
  seen[$path]=1
  owner="$(dpkg -S "$path" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null ||
    dpkg -S "${path#/usr}" 2>/dev/null || true)"
  pkg="${owner%%:*}"
  if [ -z "$pkg" ]; then
    echo "check_system_libs: no package provides $path" >&2
    failed=1
  elif ! grep -qx "$pkg" "$allowed"; then
    echo "check_system_libs: $lib comes from $pkg, which scripts/setup.sh does not install (add it to APT_PACKAGES)" >&2
    failed=1
  fi
done < <(for t in "${targets[@]}"; do ldd "$t"; done | awk '/=>/ {print $1, $3}' | sort -u)
[ "$failed" = 0 ] && echo "check_system_libs: every library Qt and PySide6 load comes from scripts/setup.sh's packages"
exit "$failed"
