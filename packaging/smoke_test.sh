#!/usr/bin/env bash
# Smoke test of a built loopgui: it starts its real window, scans once, saves a picture, explains a message.
#   packaging/smoke_test.sh dist/loopgui/loopgui
set -euo pipefail
exe="${1:?usage: smoke_test.sh PATH-TO-LOOPGUI}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
"$exe" --version
timeout 120 "$exe" --self-test "$out/window.png"
[ -s "$out/window.png" ] || { echo "smoke test: no picture was saved" >&2; exit 1; }
timeout 60 "$exe" explain --json "connect ECONNREFUSED 127.0.0.1:9" > "$out/explain.json"
grep -q '"error_kind": "refused"' "$out/explain.json" || { echo "smoke test: explain failed" >&2; exit 1; }
echo "smoke test: passed ($(du -sh "$(dirname "$exe")" | cut -f1) in $(dirname "$exe"))"
