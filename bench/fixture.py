"""Hold N TCP connections on 127.0.0.1 for a bounded time, for the scanner benchmarks.

    python bench/fixture.py 10000 --lifetime 120

Both ends of every connection live in worker processes (at most PER_WORKER connections each, to stay under the
per-process descriptor limit).  Prints ``ready <n> <pid> <pid>…`` when all connections are open, then waits until
its standard input closes or the lifetime ends; every worker also ends itself at the lifetime (SIGALRM), so
nothing outlives a crashed benchmark.  Only 127.0.0.1 is ever used.
"""

from __future__ import annotations

import argparse
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

PER_WORKER = 4000


def _raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))


def worker(count: int, lifetime: float) -> None:
    signal.alarm(int(lifetime) + 1)
    _raise_fd_limit(2 * count + 64)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(512)
    address = server.getsockname()
    held = []
    for _ in range(count):
        client = socket.create_connection(address)
        accepted, _ = server.accept()
        held.append((client, accepted))
    print("ok", flush=True)
    end = time.monotonic() + lifetime
    while time.monotonic() < end:
        readable, _, _ = select.select([sys.stdin], [], [], 1.0)
        if readable and not sys.stdin.readline():
            break


@contextmanager
def connections(total: int, lifetime: float = 120.0) -> Iterator[list[int]]:
    """Open ``total`` loopback connections in worker processes; yields their PIDs; closes them after."""
    workers: list[subprocess.Popen[str]] = []
    left = total
    try:
        while left > 0:
            n = min(PER_WORKER, left)
            left -= n
            workers.append(
                subprocess.Popen(
                    [sys.executable, os.path.abspath(__file__), "--worker", str(n), "--lifetime", str(lifetime)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        for w in workers:
            assert w.stdout is not None
            line = w.stdout.readline().strip()
            if line != "ok":
                raise RuntimeError(f"fixture worker {w.pid} failed to open its connections")
        yield [w.pid for w in workers]
    finally:
        stop(workers)


def stop(procs: list[subprocess.Popen[str]]) -> None:
    """Close the helpers' standard input (their signal to end), wait for them, kill what does not end in 10 s."""
    for p in procs:
        if p.stdin is not None:
            p.stdin.close()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int, nargs="?", default=1000)
    parser.add_argument("--lifetime", type=float, default=120.0, help="seconds before everything closes itself")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker, args.lifetime)
        return
    lifetime = min(args.lifetime, 3600.0)
    with connections(args.count, lifetime) as pids:
        print("ready", args.count, *pids, flush=True)
        end = time.monotonic() + lifetime
        while time.monotonic() < end:
            readable, _, _ = select.select([sys.stdin], [], [], 1.0)
            if readable and not sys.stdin.readline():
                break


if __name__ == "__main__":
    main()
