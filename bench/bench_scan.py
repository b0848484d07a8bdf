"""Scan time at N loopback connections: loopgui beside psutil, ``ss -tanp`` and lsof, interleaved, in one run.

    python bench/bench_scan.py --sizes 10000 50000 --rounds 7 --churn 100

For each size the fixture holds N connections (2N sockets) on 127.0.0.1, then every round runs each tool once, in
an order that rotates from round to round (so a busy moment of the machine does not fall on one tool only):

* loopgui warm: one long-lived process keeps a scanner and scans again, ``--warm`` scans per round, ``--gap``
  seconds apart;
* loopgui cold: a fresh Python process that builds a scanner and takes one scan (only the scan is timed, not
  starting Python or importing);
* psutil: ``psutil.net_connections("inet")`` in this process;
* ``ss -tanp`` and ``lsof -nP -i`` as programs (output read and parsed, as a person's pipe would).

Every tool's answer is checked each round: it must see every fixture socket (2N connection ends plus each worker's
listener) with its owner's PID, or the run stops.  Each size runs quiet and, with ``--churn R``, again while
another process opens and closes R loopback connections a second.  ``--before PATH`` adds the loopgui of another
checkout (an older commit) as two more tools, interleaved with the others: before/after figures from one run,
which a shared, busy machine cannot give from two runs.

As root it runs in network and PID namespaces of its own (``unshare -n -p -f --mount-proc``): every tool sees the
fixture's sockets and processes only, not those of whatever else runs on the machine (``--no-isolate``: the
machine as it is).  The kernel still walks its one connection table, other namespaces' sockets included.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil

from bench.churn import churning
from bench.fixture import connections
from bench.timing import isolate

REPO = str(Path(__file__).resolve().parent.parent)

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

# A long-lived scanner: each input line "N GAP" asks for N scans GAP seconds apart; answers one line per scan.
_WARM = """
import sys, time
sys.path.insert(0, sys.argv[1])
from loopgui.core.net.scanner import NetlinkSource, Scanner
pids = {int(p) for p in sys.argv[2:]}
source = NetlinkSource()
if hasattr(source, "tcp_recheck"):
    source.tcp_recheck = 0  # every scan asks the kernel: the cost of a scan when something changed
scanner = Scanner(source)
scanner.scan()
print("ready", flush=True)
for line in sys.stdin:
    n, gap = line.split()
    for i in range(int(n)):
        if i:
            time.sleep(float(gap))
        start = time.perf_counter()
        snap = scanner.scan()
        took = time.perf_counter() - start
        print(took, sum(1 for r in snap.rows.values() if r.pid in pids), flush=True)
"""

_SS_PID = re.compile(r"pid=(\d+),")


def cold_tool(repo: str) -> Tool:
    def cold(pids: set[int]) -> tuple[float, int]:
        out = subprocess.run(
            [sys.executable, "-c", _COLD, repo, *map(str, sorted(pids))], capture_output=True, text=True, check=True
        ).stdout.split()
        return float(out[0]), int(out[1])

    return cold


class Warm:
    """A scanner in a process of its own (``repo``'s loopgui), scanning when asked; keeps every scan's time."""

    def __init__(self, repo: str, pids: set[int], per_round: int, gap: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _WARM, repo, *map(str, sorted(pids))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise SystemExit(f"the warm scanner of {repo} did not start")
        self.per_round = per_round
        self.gap = gap
        self.samples: list[float] = []

    def __call__(self, pids: set[int]) -> tuple[float, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{self.per_round} {self.gap}\n")
        self.proc.stdin.flush()
        took: list[float] = []
        seen = 0
        for _ in range(self.per_round):
            t, n = self.proc.stdout.readline().split()
            took.append(float(t))
            seen = int(n)
        self.samples += took
        return statistics.median(took), seen

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


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


def run(
    n: int, rounds: int, churn: float, warm_per_round: int, gap: float, before: str | None
) -> dict[str, list[float]]:
    with connections(n, lifetime=1800) as worker_pids, churning(churn):
        pids = set(worker_pids)
        expected = 2 * n + len(pids)
        warm = {"loopgui warm": Warm(REPO, pids, warm_per_round, gap)}
        tools: dict[str, Tool] = {"loopgui warm": warm["loopgui warm"], "loopgui cold": cold_tool(REPO)}
        if before:
            warm["before warm"] = Warm(before, pids, warm_per_round, gap)
            tools["before warm"] = warm["before warm"]
            tools["before cold"] = cold_tool(before)
        tools["psutil"] = psutil_tool
        if shutil.which("ss"):
            tools["ss -tanp"] = ss_tool
        if shutil.which("lsof"):
            tools["lsof"] = lsof_tool
        samples: dict[str, list[float]] = {name: [] for name in tools}
        names = list(tools)
        try:
            for r in range(rounds):
                order = names[r % len(names) :] + names[: r % len(names)]
                for name in order:
                    took, seen = tools[name](pids)
                    if seen != expected:
                        raise SystemExit(f"{name} saw {seen} of the {expected} fixture sockets (round {r + 1})")
                    samples[name].append(took)
        finally:
            for w in warm.values():
                w.close()
        for name, w in warm.items():
            samples[name] = w.samples
        return samples


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds >= 0.1 else f"{seconds * 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--churn", type=float, default=100.0, help="outside churn, connections/s (0: quiet only)")
    parser.add_argument("--warm", type=int, default=5, help="warm scans per round")
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between two warm scans")
    parser.add_argument("--before", default=None, metavar="PATH", help="also measure the loopgui in this checkout")
    parser.add_argument("--no-isolate", action="store_true", help="do not run in namespaces of its own")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (args.inside or args.no_isolate) and isolate(__file__):
        return
    load = os.getloadavg()
    print(
        f"python {sys.version.split()[0]}, psutil {psutil.__version__}, {psutil.cpu_count()} cores, "
        f"load {load[0]:.1f}; loopgui from {REPO}"
        + (f", before: {args.before}" if args.before else "")
        + ("; own network and PID namespaces" if args.inside else "")
    )
    print("times in ms: median (p95; min-max) over the rounds; warm: every warm scan")
    for n in args.sizes:
        for churn in [0.0, args.churn] if args.churn > 0 else [0.0]:
            samples = run(n, args.rounds, churn, args.warm, args.gap, args.before)
            warm = statistics.median(samples["loopgui warm"])
            label = f"{n:,} connections, " + (f"churn {churn:g}/s" if churn else "quiet")
            print(f"-- {label}")
            for name, values in samples.items():
                med = statistics.median(values)
                ratio = "" if name.startswith("loopgui") else f"  {med / warm:.1f}x loopgui warm"
                if name == "before cold":
                    ratio = f"  {med / statistics.median(samples['loopgui cold']):.1f}x loopgui cold"
                print(
                    f"   {name:<13} {ms(med):>7} ({ms(p95(values))}; {ms(min(values))}-{ms(max(values))}; "
                    f"n={len(values)}){ratio}",
                    flush=True,
                )
            for name in ("loopgui warm", "before warm"):
                if name in samples:
                    ratio = p95(samples[name]) / statistics.median(samples[name])
                    print(f"   {name}: p95 / median = {ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
