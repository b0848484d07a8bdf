#!/usr/bin/env bash
# Shared set-up for run.sh and test.sh: system libraries Qt needs, a virtual environment, the package.
# Source it; it leaves VENV set.  SKIP_APT=1 skips the system packages.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LOOPGUI_VENV:-$ROOT/.venv}"

# shellcheck disable=SC2034  # APT_PACKAGES and TEST_APT_PACKAGES are read by the scripts that source this file
APT_PACKAGES=(
  libgl1 libegl1 libdbus-1-3 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
  libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0 fonts-dejavu-core python3-venv
  libglib2.0-0  # Qt itself links GLib; minimal images lack it
  libwayland-cursor0  # Qt's Wayland platform plugin (a Wayland desktop)
)
# What the tests use besides (./scripts/test.sh installs them, so nothing is skipped on a fresh system):
# shellcheck disable=SC2034
TEST_APT_PACKAGES=(
  openssl             # the HTTPS test makes a certificate
  iproute2            # ip and ss: the network-namespace reach tests, the ss command loopgui offers
  nftables iptables   # firewall rules inside a test's own network namespace; reading them (legacy and nft)
  ufw                 # the reach ground truth reads ufw's rules too
  xvfb                # the first-run test starts a real X server
  desktop-file-utils  # desktop-file-validate checks the menu entry
  util-linux          # unshare, setpriv (already in every Debian system)
  procps              # pkill: the close tests stop a supervisor's children (a minbase system lacks it)
  shellcheck          # actionlint checks the release workflow's scripts with it
)

install_apt() {
  # install_apt PKG...: install the Debian/Ubuntu packages that are missing.
  [ "${SKIP_APT:-0}" = "1" ] && return 0
  command -v dpkg-query >/dev/null 2>&1 || { echo "setup: not a Debian/Ubuntu system; skipping system packages" >&2; return 0; }
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing system packages: ${missing[*]}" >&2
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: please install as root: apt-get install ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

make_venv() {
  # make_venv EXTRAS: create the virtual environment and install loopgui with EXTRAS (e.g. "[test]").  Installs
  # again only when pyproject.toml changed or an extra is missing; extras installed before are kept, so switching
  # between run.sh, test.sh and build.sh does not reinstall every time.
  local extras="$1" python="${PYTHON:-python3}"
  if [ ! -x "$VENV/bin/python" ]; then
    "$python" -m venv "$VENV"
  fi
  local stamp="$VENV/.loopgui-installed" hash have want=() e
  hash="$(sha256sum < "$ROOT/pyproject.toml" | cut -c1-16)"
  have="$(cat "$stamp" 2>/dev/null || true)"
  local -a installed=()
  if [ "${have%% *}" = "$hash" ] && [ "$have" != "${have#* }" ]; then
    read -r -a installed <<< "$(tr ',' ' ' <<< "${have#* }")"
  fi
  local reinstall=0
  IFS=',' read -r -a want <<< "$(tr -d '[] ' <<< "$extras")"
  for e in "${want[@]}"; do
    [ -n "$e" ] || continue
    [[ " ${installed[*]} " == *" $e "* ]] || { reinstall=1; installed+=("$e"); }
  done
  if [ "${have%% *}" != "$hash" ] || [ "$reinstall" = 1 ]; then
    local all
    all="$(IFS=','; echo "${installed[*]}")"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip >/dev/null
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT${all:+[$all]}"
    echo "$hash ${all:-none}" > "$stamp"
  fi
  "$VENV/bin/python" "$ROOT/scripts/catalogs.py" compile >/dev/null  # the languages' .po -> .mo (a second or so)
}
