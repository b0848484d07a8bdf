"""Scan time at 10k loopback connections with the table's "Files, containers" switch off and on, and with N
listening file sockets held by a worker process.

python bench/bench_files.py --connections 10000 --files 0 1000 10000 --repeat 9

On a shared machine, run it in a network namespace of its own so that nobody else's sockets are counted:
sudo unshare -n sh -c 'ip link set lo up && .venv/bin/python bench/bench_files.py'
The two scanners (switch off, switch on) take turns, so both see the same load; medians and bests are printed.

"On" reads, in each scan: the same TCP/UDP dumps, one sock_diag dump of listening AF_UNIX sockets (owners found in
the same /proc walk), and every other network namespace's listeners (whatever namespaces this computer has while
the bench runs; their count is printed).  Target: the scanner's own, <= 100 ms at 10k connections, with file sockets
included when shown.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil

from bench.fixture import connections
from loopgui.core.net import namespaces
from loopgui.core.net.scanner import NetlinkSource, Scanner


def alternate(first: Callable[[], object], second: Callable[[], object], repeat: int) -> list[tuple[float, float]]:
    """(median, best) seconds of each, called in turns ``repeat`` times."""
    times: list[list[float]] = [[], []]
    for _ in range(repeat):
        for i, fn in enumerate((first, second)):
            start = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - start)
    return [(statistics.median(t), min(t)) for t in times]


def hold_files(count: int, folder: str) -> None:
    """Worker: ``count`` listening file sockets in ``folder`` until standard input closes."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(count + 64, hard), hard))
    held = []
    for i in range(count):
        s = socket.socket(socket.AF_UNIX)
        s.bind(os.path.join(folder, f"s{i}.sock"))
        s.listen(1)
        held.append(s)
    print("ok", flush=True)
    sys.stdin.read()


@contextmanager
def file_sockets(count: int) -> Iterator[None]:
    if not count:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="loopgui-bench-") as folder:
        worker = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", str(count), folder],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert worker.stdout is not None
            if worker.stdout.readline().strip() != "ok":
                raise SystemExit("the file socket worker failed")
            yield
        finally:
            assert worker.stdin is not None
            worker.stdin.close()
            worker.wait(30)


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        hold_files(int(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--files", type=int, nargs="+", default=[0, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, psutil {psutil.__version__}, {psutil.cpu_count()} cores")
    print(f"other network namespaces now: {len(namespaces.other_namespaces())}")
    print(f"{'connections':>11} {'files':>6} {'off':>9} {'(best)':>9} {'on':>9} {'(best)':>9} {'rows':>7} {'extra':>7}")
    with connections(args.connections):
        for n in args.files:
            with file_sockets(n):
                sources = [NetlinkSource(), NetlinkSource()]
                for source in sources:
                    source.tcp_recheck = 0  # every scan asks the kernel (the cost when something changed)
                off, on = Scanner(sources[0]), Scanner(sources[1])
                on.show_elsewhere = True
                off.scan()
                snap = on.scan()
                (off_med, off_best), (on_med, on_best) = alternate(off.scan, on.scan, args.repeat)
                files = sum(1 for r in snap.extra.values() if r.proto == "UNIX")
                if files < n:
                    raise SystemExit(f"expected at least {n} file sockets, saw {files}")
                print(
                    f"{args.connections:>11,} {n:>6,} {off_med * 1000:>7.1f}ms {off_best * 1000:>7.1f}ms "
                    f"{on_med * 1000:>7.1f}ms {on_best * 1000:>7.1f}ms {len(snap.rows):>7,} {len(snap.extra):>7,}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
