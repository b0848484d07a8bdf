#!/usr/bin/env bash
# Lint, type-check and run the tests (offscreen, no display needed), installing what they need first.
# Arguments go to pytest, e.g. ./scripts/test.sh -k model
set -euo pipefail
source "$(dirname "$0")/setup.sh"
install_apt "${APT_PACKAGES[@]}" "${TEST_APT_PACKAGES[@]}"
make_venv "[test]"
cd "$ROOT"
export QT_QPA_PLATFORM=offscreen
"$VENV/bin/ruff" check loopgui tests bench packaging resources
"$VENV/bin/ruff" format --check loopgui tests bench packaging resources
"$VENV/bin/mypy"
exec "$VENV/bin/python" -m pytest "$@"
