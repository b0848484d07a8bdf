#!/usr/bin/env bash
# Pictures of the real window for the README, into docs/images/ (run it again after changing the window).
# Each picture is taken under a virtual X server (Xvfb, 1366x768) in a network namespace of its own, where the only
# sockets are a demo web server on 127.0.0.1:8000 and a connection to it: no program or address of this computer
# appears in them.  Settings and history are private to the run.  Needs xvfb and unshare (util-linux).
set -euo pipefail
source "$(dirname "$0")/setup.sh"
install_apt "${APT_PACKAGES[@]}" xvfb
make_venv ""
cd "$ROOT"
OUT="${1:-$ROOT/docs/images}"
mkdir -p "$OUT"
PRIVATE="$(mktemp -d)"
trap 'rm -rf "$PRIVATE"' EXIT

shot() {
  # shot NAME SCALE [screenshots.py arguments...]
  local name="$1" scale="$2"
  shift 2
  env -i PATH="$PATH" HOME="$PRIVATE" XDG_CONFIG_HOME="$PRIVATE/config" XDG_DATA_HOME="$PRIVATE/data" \
    XDG_CACHE_HOME="$PRIVATE/cache" XDG_RUNTIME_DIR="$PRIVATE" LANG=C.UTF-8 QT_SCALE_FACTOR="$scale" \
    unshare --net --map-root-user bash -c '
      set -euo pipefail
      ip link set lo up
      "$0" -m http.server 8000 --bind 127.0.0.1 >/dev/null 2>&1 &
      server=$!
      for _ in $(seq 50); do "$0" -c "import socket; socket.create_connection((\"127.0.0.1\", 8000)).close()" 2>/dev/null && break; sleep 0.1; done
      "$0" -c "import socket, time; s = socket.create_connection((\"127.0.0.1\", 8000)); time.sleep(60)" &
      client=$!
      xvfb-run -a -s "-screen 0 1366x768x24" "$0" scripts/screenshots.py "$@"
      kill "$server" "$client" 2>/dev/null || true
    ' "$VENV/bin/python" "$@" 2>&1 | grep -v "^self-test: window shown" || true
  [ -s "${OUT}/${name}" ] || { echo "screenshots: ${name} was not made" >&2; exit 1; }
  echo "screenshots: ${OUT}/${name}"
}

MESSAGE="Error: listen EADDRINUSE: address already in use 127.0.0.1:8000"
shot window.png 1 "$OUT/window.png" --size 1200x720 "$MESSAGE"
shot window-dark.png 1 "$OUT/window-dark.png" --dark --size 1200x720 "$MESSAGE"
shot window-2x.png 2 "$OUT/window-2x.png" "$MESSAGE"
shot window-2x-dark.png 2 "$OUT/window-2x-dark.png" --dark "$MESSAGE"
shot connectivity.png 1 "$OUT/connectivity.png" --size 1200x720 --tab "Connectivity tests" "$MESSAGE"
