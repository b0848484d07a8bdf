"""Outside churn for the scanner benchmarks: another process opening and closing loopback connections.

    python bench/churn.py --rate 100 --lifetime 120

One process holds a listener on 127.0.0.1 and, ``rate`` times a second, opens one connection to it, accepts it and
closes both ends, so it keeps about the same number of open descriptors (the case that hid new sockets' owners
from a scanner watching descriptor counts).  Prints ``ready <pid>`` once listening, then runs until its standard
input closes or the lifetime ends (SIGALRM as a backstop).  Only 127.0.0.1 is ever used.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fixture import stop


def churn(rate: float, lifetime: float) -> None:
    signal.alarm(int(lifetime) + 1)
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    address = server.getsockname()
    print("ready", os.getpid(), flush=True)
    step = 1.0 / rate
    end = time.monotonic() + lifetime
    due = time.monotonic()
    while time.monotonic() < end:
        client = socket.create_connection(address)
        accepted, _ = server.accept()
        # the accepting side closes last: its end goes to TIME_WAIT only on the client, as a busy server's would
        client.close()
        accepted.close()
        due += step
        wait = due - time.monotonic()
        if wait > 0:
            readable, _, _ = select.select([sys.stdin], [], [], wait)
            if readable and not sys.stdin.readline():
                break
        elif wait < -1.0:
            due = time.monotonic()  # fell behind (a loaded machine): do not burst to catch up


@contextmanager
def churning(rate: float, lifetime: float = 600.0) -> Iterator[int | None]:
    """Run the churn process while the block runs (``rate`` 0: no churn, yields None)."""
    if rate <= 0:
        yield None
        return
    proc = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--rate", str(rate), "--lifetime", str(lifetime)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        if not line or line[0] != "ready":
            raise RuntimeError("the churn process did not start")
        yield proc.pid
    finally:
        stop([proc])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=100.0, help="connections opened and closed per second")
    parser.add_argument("--lifetime", type=float, default=120.0)
    args = parser.parse_args()
    churn(max(1.0, min(args.rate, 10_000.0)), min(args.lifetime, 3600.0))


if __name__ == "__main__":
    main()
