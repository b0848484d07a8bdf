"""A program for the termination tests to close: ``python child_program.py MODE``.

Modes: ``listen`` (listens on 127.0.0.1, exits on SIGTERM), ``stubborn`` (listens and ignores SIGTERM),
``tree`` (listens and starts two child programs), ``deep`` (listens and starts a child that starts a grandchild:
prints the child's and the grandchild's PIDs).  Prints ``<port> <child pids…>`` once ready.  Every mode ends
itself after 60 seconds, so nothing outlives a failed test.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time


def main() -> None:
    mode = sys.argv[1]
    signal.alarm(60)
    if mode == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    children = []
    if mode == "tree":
        for _ in range(2):
            children.append(
                subprocess.Popen([sys.executable, "-c", "import signal, time; signal.alarm(60); time.sleep(60)"])
            )
    if mode == "deep":
        grand = (
            "import signal, subprocess, sys, time; signal.alarm(60); "
            "p = subprocess.Popen([sys.executable, '-c', 'import signal, time; signal.alarm(60); time.sleep(60)']); "
            "print(p.pid, flush=True); time.sleep(60)"
        )
        middle = subprocess.Popen([sys.executable, "-c", grand], stdout=subprocess.PIPE, text=True)
        assert middle.stdout is not None
        grandchild = int(middle.stdout.readline())
        print(server.getsockname()[1], middle.pid, grandchild, flush=True)
    else:
        print(server.getsockname()[1], *[c.pid for c in children], flush=True)
    while True:
        time.sleep(0.1)


if __name__ == "__main__":
    main()
