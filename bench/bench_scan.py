"""Scan time at N loopback connections: loopgui beside psutil, ``ss -tanp`` and lsof, interleaved, in one run.

    python bench/bench_scan.py --sizes 10000 50000 --rounds 7 --churn 100

For each size the fixture holds N connections (2N sockets) on 127.0.0.1, then every round runs each tool once, in
an order that rotates from round to round (so a busy moment of the machine does not fall on one tool only):

* loopgui warm: the same scanner scanning again, ``--warm`` scans per round, ``--gap`` seconds apart;
* loopgui cold: a fresh Python process that builds a scanner and takes one scan (only the scan is timed, not
  starting Python or importing);
* psutil: ``psutil.net_connections("inet")`` in this process;
* ``ss -tanp`` and ``lsof -nP -i`` as programs (output read and parsed, as a person's pipe would).

Every tool's answer is checked each round: it must see every fixture socket (2N connection ends plus each worker's
listener) with its owner's PID, or the run stops.  Each size runs quiet and, with ``--churn R``, again while
another process opens and closes R loopback connections a second.  ``--repo PATH`` measures the loopgui in another
checkout (an older commit, for before/after figures).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
_pre = argparse.ArgumentParser(add_help=False)
_pre.add_argument("--repo", default=str(HERE.parent))
REPO = os.path.abspath(_pre.parse_known_args()[0].repo)
sys.path.insert(0, str(HERE.parent))  # bench.fixture, bench.churn

import psutil  # noqa: E402

from bench.churn import churning  # noqa: E402
from bench.fixture import connections  # noqa: E402

sys.path.insert(0, REPO)  # the loopgui measured
from loopgui.core.net.scanner import NetlinkSource, Scanner  # noqa: E402

Tool = Callable[[set[int]], tuple[float, int]]

_COLD = """
import sys, time
sys.path.insert(0, sys.argv[1])
from loopgui.core.net.scanner import NetlinkSource, Scanner
pids = {int(p) for p in sys.argv[2:]}
start = time.perf_counter()
snap = Scanner(NetlinkSource()).scan()
took = time.perf_counter() - start
print(took, sum(1 for r in snap.rows.values() if r.pid in pids))
"""

_SS_PID = re.compile(r"pid=(\d+),")


def cold(pids: set[int]) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-c", _COLD, REPO, *map(str, sorted(pids))], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), int(out[1])


def psutil_tool(pids: set[int]) -> tuple[float, int]:
    start = time.perf_counter()
    conns = psutil.net_connections("inet")
    took = time.perf_counter() - start
    return took, sum(1 for c in conns if c.pid in pids)


def ss_tool(pids: set[int]) -> tuple[float, int]:
    start = time.perf_counter()
    text = subprocess.run(["ss", "-tanp"], capture_output=True, text=True, check=True).stdout
    took = time.perf_counter() - start
    seen = 0
    for line in text.splitlines():
        seen += sum(1 for p in _SS_PID.findall(line) if int(p) in pids)
    return took, seen


def lsof_tool(pids: set[int]) -> tuple[float, int]:
    start = time.perf_counter()
    text = subprocess.run(["lsof", "-nP", "-i"], capture_output=True, text=True, check=False).stdout
    took = time.perf_counter() - start
    seen = 0
    for line in text.splitlines()[1:]:
        fields = line.split(None, 2)
        if len(fields) > 1 and fields[1].isdigit() and int(fields[1]) in pids:
            seen += 1
    return took, seen


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(n: int, rounds: int, churn: float, warm_per_round: int, gap: float) -> dict[str, list[float]]:
    with connections(n, lifetime=1800) as worker_pids, churning(churn):
        pids = set(worker_pids)
        expected = 2 * n + len(pids)
        scanner = Scanner(NetlinkSource())
        scanner.scan()
        time.sleep(gap)

        def warm(pids: set[int]) -> tuple[float, int]:
            took: list[float] = []
            seen = 0
            for i in range(warm_per_round):
                if i:
                    time.sleep(gap)
                start = time.perf_counter()
                snap = scanner.scan()
                took.append(time.perf_counter() - start)
                seen = sum(1 for r in snap.rows.values() if r.pid in pids)
                warm_samples.extend(took[-1:])
            return statistics.median(took), seen

        warm_samples: list[float] = []
        tools: dict[str, Tool] = {"loopgui warm": warm, "loopgui cold": cold, "psutil": psutil_tool}
        if shutil.which("ss"):
            tools["ss -tanp"] = ss_tool
        if shutil.which("lsof"):
            tools["lsof"] = lsof_tool
        samples: dict[str, list[float]] = {name: [] for name in tools}
        names = list(tools)
        for r in range(rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                took, seen = tools[name](pids)
                if seen != expected:
                    raise SystemExit(f"{name} saw {seen} of the {expected} fixture sockets (round {r + 1})")
                samples[name].append(took)
        samples["loopgui warm"] = warm_samples
        return samples


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds >= 0.1 else f"{seconds * 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], parents=[_pre])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--churn", type=float, default=100.0, help="outside churn, connections/s (0: quiet only)")
    parser.add_argument("--warm", type=int, default=5, help="warm scans per round")
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between two warm scans")
    args = parser.parse_args()
    load = os.getloadavg()
    print(
        f"python {sys.version.split()[0]}, psutil {psutil.__version__}, {psutil.cpu_count()} cores, "
        f"load {load[0]:.1f}; loopgui from {REPO}"
    )
    print("times in ms: median (p95; min-max) over the rounds; warm: every warm scan")
    for n in args.sizes:
        for churn in [0.0, args.churn] if args.churn > 0 else [0.0]:
            samples = run(n, args.rounds, churn, args.warm, args.gap)
            warm = statistics.median(samples["loopgui warm"])
            label = f"{n:,} connections, " + (f"churn {churn:g}/s" if churn else "quiet")
            print(f"-- {label}")
            for name, values in samples.items():
                med = statistics.median(values)
                ratio = "" if name.startswith("loopgui") else f"  {med / warm:.1f}x loopgui warm"
                print(
                    f"   {name:<13} {ms(med):>7} ({ms(p95(values))}; {ms(min(values))}-{ms(max(values))}; "
                    f"n={len(values)}){ratio}",
                    flush=True,
                )
            print(f"   warm p95 / median = {p95(samples['loopgui warm']) / warm:.2f}", flush=True)


if __name__ == "__main__":
    main()
