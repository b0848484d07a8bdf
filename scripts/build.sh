#!/usr/bin/env bash
# Build the double-clickable loopgui and check that it starts.
#   ./scripts/build.sh           one folder, dist/loopgui/ (run dist/loopgui/loopgui), then the smoke test
#   ONEFILE=1 ./scripts/build.sh one file, dist/onefile/loopgui, then the smoke test
#   ./scripts/build.sh install   build, then add loopgui to the desktop's application menu (~/.local/share)
#   ./scripts/build.sh deb       build, then the Debian package dist/loopgui_VERSION_ARCH.deb (packaging/build_deb.sh)
set -euo pipefail
if [ "${1:-}" = "deb" ] && [ "${ONEFILE:-0}" = "1" ]; then
  echo "build: the Debian package is made from the one-folder bundle (leave ONEFILE out)" >&2
  exit 1
fi
source "$(dirname "$0")/setup.sh"
# binutils: PyInstaller strips and inspects libraries with it; icu-devtools: packaging/trim_icu.py cuts ICU's data;
# patchelf: the spec takes the build machine's library paths out of the bundle
install_apt "${APT_PACKAGES[@]}" binutils icu-devtools patchelf
make_venv "[test,build]"
cd "$ROOT"
export QT_QPA_PLATFORM=offscreen
# PyInstaller's cache of stripped libraries, for this checkout only: the machine-wide one is shared with the builds
# of every other checkout (and other specs) on the machine, which may be running at the same time.
export PYINSTALLER_CONFIG_DIR="$ROOT/build/pyinstaller-config"
"$VENV/bin/python" packaging/make_icons.py --ico --icns build/icons >/dev/null
if [ "${ONEFILE:-0}" = "1" ]; then
  LOOPGUI_ONEFILE=1 "$VENV/bin/pyinstaller" --noconfirm --log-level WARN --distpath dist/onefile \
    --workpath build/pyinstaller-onefile packaging/loopgui.spec
  exe=dist/onefile/loopgui
else
  "$VENV/bin/pyinstaller" --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
    packaging/loopgui.spec
  exe=dist/loopgui/loopgui
fi
./packaging/smoke_test.sh "$exe"
if [ "${1:-}" = "install" ]; then
  "$exe" --install-desktop
fi
if [ "${1:-}" = "deb" ]; then
  install_apt lintian
  ./packaging/build_deb.sh "$(dirname "$exe")"
fi
