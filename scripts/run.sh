#!/usr/bin/env bash
# Start loopgui, installing what it needs first.  Arguments go to loopgui (e.g. an error message to explain).
set -euo pipefail
source "$(dirname "$0")/setup.sh"
install_apt "${APT_PACKAGES[@]}"
make_venv ""
exec "$VENV/bin/python" -m loopgui "$@"
