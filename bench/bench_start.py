"""From launch to the first table on screen, with N loopback connections on the machine.

    python bench/bench_start.py --sizes 10000 --rounds 5 [--command dist/loopgui/loopgui]

Runs in network and PID namespaces of its own (as root; ``unshare -n -p -f --mount-proc``) holding the benchmark's
connections (``fixture.py``).  Each round starts loopgui's window with ``--self-test`` (offscreen, a fresh home
folder), which prints when the window was shown and when the first table (the first scan, owners included) was
painted, both counted from launch: the process's start time in ``/proc``, so a one-file bundle's unpacking counts.
``--command`` measures a bundle (``dist/loopgui/loopgui`` or the one file) instead of this checkout's Python;
``--before PATH`` also starts another checkout's loopgui, the two taking turns round by round (the ratio is what
a shared machine can tell).  A checkout is compiled to bytecode first, as an installed loopgui is.
Target (issue 25): first table ≤ 0.5 s at 10k connections.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench import fixture  # noqa: E402
from bench.timing import compiled, isolate, private_env  # noqa: E402

_SHOWN = re.compile(r"window shown ([0-9.]+) s")
_TABLE = re.compile(r"first table \((\d+) rows?\) shown ([0-9.]+) s")


def one_start(cmd: list[str], repo: str) -> tuple[float, float, int]:
    """(window shown, first table painted, rows in it) in seconds from launch."""
    with tempfile.TemporaryDirectory() as home:
        env = {**private_env(home, repo), "LANGUAGE": "en"}
        out = subprocess.run(
            [*cmd, "--self-test", f"{home}/shot.png"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    shown, table = _SHOWN.search(out.stdout), _TABLE.search(out.stdout)
    if out.returncode != 0 or shown is None or table is None:
        raise SystemExit(f"{' '.join(cmd)} --self-test failed ({out.returncode}):\n{out.stdout}{out.stderr}")
    return float(shown.group(1)), float(table.group(2)), int(table.group(1))


def inside(args: argparse.Namespace) -> None:
    repo = os.path.abspath(args.repo)
    cmd = args.command.split() if args.command else [sys.executable, "-m", "loopgui"]
    # what is measured: name -> (command, checkout); with --before, the two take turns round by round
    starts = {"loopgui": (cmd, repo)}
    if args.before:
        starts["before"] = ([sys.executable, "-m", "loopgui"], os.path.abspath(args.before))
    for command, checkout in starts.values():
        if command[:3] == [sys.executable, "-m", "loopgui"]:
            compiled(checkout)
    load = os.getloadavg()[0]
    print(f"{' '.join(cmd)}; {os.cpu_count()} cores; load {load:.1f}; times from launch, median (min-max)")
    for size in args.sizes:
        with fixture.connections(size) as pids:
            shown: dict[str, list[float]] = {name: [] for name in starts}
            table: dict[str, list[float]] = {name: [] for name in starts}
            rows = 0
            for _ in range(args.rounds):
                for name, (command, checkout) in starts.items():
                    s, t, rows = one_start(command, checkout)
                    shown[name].append(s)
                    table[name].append(t)
                    if rows < 2 * size:
                        raise SystemExit(f"the first table had {rows} rows; the fixture holds {2 * size} ends")
            print(f"-- {size:,} connections ({len(pids)} holders): first table {rows:,} rows", flush=True)
            for name in starts:
                first = statistics.median(table[name])
                ratio = f"  {first / statistics.median(table['loopgui']):.2f}x loopgui" if name != "loopgui" else ""
                print(
                    f"   {name:8s} window shown {statistics.median(shown[name]):.2f} s "
                    f"({min(shown[name]):.2f}-{max(shown[name]):.2f}), "
                    f"first table {first:.2f} s ({min(table[name]):.2f}-{max(table[name]):.2f}){ratio}",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--command", default="", help="the program to start (default: this checkout's Python)")
    parser.add_argument("--repo", default=str(HERE.parent))
    parser.add_argument("--before", default="", metavar="PATH", help="also start this checkout's loopgui, in turns")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside or not isolate(__file__):
        inside(args)


if __name__ == "__main__":
    main()
