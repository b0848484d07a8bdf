"""Scan time at N loopback connections: loopgui's scanners vs psutil and ``ss -tanp``, side by side in one run.

python bench/bench_scan.py --sizes 1000 10000 --repeat 7
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil

from bench.fixture import connections
from loopgui.core.net.scanner import NetlinkSource, PsutilSource, Scanner


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, best) seconds over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def run_ss() -> None:
    subprocess.run(["ss", "-tanp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)


def bench(n: int, repeat: int) -> dict[str, float]:
    with connections(n):
        results: dict[str, float] = {}
        cold_start = time.perf_counter()
        netlink = Scanner(NetlinkSource())
        snap = netlink.scan()
        results["netlink_cold"] = time.perf_counter() - cold_start
        ours = sum(1 for r in snap.rows.values() if r.local_addr == "127.0.0.1" and r.remote_port)
        if ours < 2 * n:
            raise SystemExit(f"expected at least {2 * n} loopback connections, saw {ours}")
        results["rows"] = len(snap.rows)
        results["netlink"] = timed(netlink.scan, repeat)[0]
        portable = Scanner(PsutilSource())
        portable.scan()
        results["loopgui_psutil"] = timed(portable.scan, repeat)[0]
        results["psutil"] = timed(lambda: psutil.net_connections("inet"), repeat)[0]
        if shutil.which("ss"):
            results["ss"] = timed(run_ss, repeat)[0]
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, psutil {psutil.__version__}, {psutil.cpu_count()} cores")
    header = (
        f"{'connections':>11} {'sockets':>8} {'loopgui':>9} {'(cold)':>9} {'loopgui/psutil':>15} "
        f"{'psutil':>9} {'ss -tanp':>9} {'vs psutil':>10} {'vs ss':>7}"
    )
    print(header)
    for n in args.sizes:
        r = bench(n, args.repeat)
        ms = {k: v * 1000 for k, v in r.items() if k != "rows"}
        ss = ms.get("ss", float("nan"))
        print(
            f"{n:>11,} {int(r['rows']):>8,} {ms['netlink']:>7.1f}ms {ms['netlink_cold']:>7.1f}ms "
            f"{ms['loopgui_psutil']:>13.1f}ms {ms['psutil']:>7.1f}ms {ss:>7.1f}ms "
            f"{ms['psutil'] / ms['netlink']:>9.1f}x {ss / ms['netlink']:>6.1f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
