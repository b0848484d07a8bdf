"""Idle cost: how much of one core the window and ``loopgui record`` use while nothing changes.

    python bench/bench_idle.py --seconds 60 --rounds 3

Runs in network and PID namespaces of its own (``unshare -n -p -f --mount-proc``, as root; elsewhere in these)
holding 7 loopback connections and one listener (15 sockets), so other programs' sockets and processes do not
change under the measurement (``--no-isolate``: the machine as it is, other processes included).  Each
round starts the window (offscreen, default 1 s refresh) and ``loopgui record`` (1 s interval) one after the other,
each with a fresh home folder, lets it settle for ``--settle`` seconds, then reads its CPU time (user + system, all
threads) over ``--seconds`` seconds.  ``--before PATH`` measures another checkout in the same rounds
(before/after figures from one run).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.timing import isolate, private_env  # noqa: E402


def hold_sockets() -> list[socket.socket]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held = [server]
    for _ in range(7):
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
        held += [client, accepted]
    return held


def measure(cmd: list[str], repo: str, settle: float, seconds: float) -> float:
    """Percent of one core used by ``cmd`` over ``seconds``, after ``settle``."""
    with tempfile.TemporaryDirectory() as home:
        env = private_env(home, repo)
        proc = subprocess.Popen(cmd, cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(settle)
            watched = psutil.Process(proc.pid)
            if proc.poll() is not None:
                raise SystemExit(f"{' '.join(cmd)} ended early ({proc.returncode})")
            before = watched.cpu_times()
            start = time.monotonic()
            time.sleep(seconds)
            after = watched.cpu_times()
            took = time.monotonic() - start
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    used = (after.user - before.user) + (after.system - before.system)
    return 100.0 * used / took


def inside(args: argparse.Namespace) -> None:
    held = hold_sockets()
    repo = os.path.abspath(args.repo)
    window = [sys.executable, "-m", "loopgui"]
    record = [sys.executable, "-m", "loopgui", "record", "--interval", "1"]
    targets = {"window": (window, repo), "record": (record, repo)}
    if args.before:
        before = os.path.abspath(args.before)
        targets |= {"before window": (window, before), "before record": (record, before)}
    results: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(args.rounds):
        for name, (cmd, where) in targets.items():
            results[name].append(measure(cmd, where, args.settle, args.seconds))
    print(
        f"loopgui from {repo}"
        + (f", before: {args.before}" if args.before else "")
        + f"; {len(held)} sockets; {args.rounds} rounds of {args.seconds:g} s; load {os.getloadavg()[0]:.1f}"
    )
    for name, values in results.items():
        print(
            f"   {name:<13} {statistics.median(values):.2f}% of a core "
            f"(min {min(values):.2f}, max {max(values):.2f}; {', '.join(f'{v:.2f}' for v in values)})",
            flush=True,
        )
    for s in held:
        s.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repo", default=str(HERE.parent))
    parser.add_argument("--before", default=None, metavar="PATH", help="also measure this checkout, interleaved")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-isolate", action="store_true", help="network namespace only, all processes seen")
    args = parser.parse_args()
    if args.inside or not isolate(__file__, processes=not args.no_isolate):
        inside(args)


if __name__ == "__main__":
    main()
