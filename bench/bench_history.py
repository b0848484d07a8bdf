"""History recording cost on the scan thread: ms per refresh at N sockets with 1% churn, and the file's growth.

python bench/bench_history.py --rows 10000 --refreshes 300

Synthetic snapshots made of the real SocketRow/Snapshot/diff types (as the scanner makes them): N sockets
owned by 200 programs; each refresh N/100 sockets close, N/100 new ones open, N/200 change state.  Timed: the
whole ``Recorder.record`` call (diff walk, one transaction, the session heartbeat, and the pruning step when it
is due).  Program facts come from a stub (reading a real process's start time and command line happens once
per new program, not per socket).  The file lives in a temporary folder on this machine's disk.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loopgui.core.history.recorder import Recorder
from loopgui.core.history.store import ProgramInfo
from loopgui.core.net.sockets import Snapshot, SocketRow, diff_rows, make_key

STATES = ("ESTABLISHED", "TIME_WAIT", "CLOSE_WAIT")


class Synthetic:
    def __init__(self, n: int, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.next_port = 1024
        self.rows: dict[bytes, SocketRow] = {}
        self.now = time.time()
        for _ in range(n):
            self._add()

    def _row(self, lport: int, rport: int, state: str, pid: int, first: float) -> SocketRow:
        local, remote = "127.0.0.1", "10.0.0.1" if rport else ""
        return SocketRow(
            key=make_key("TCP", 4, local, lport, remote, rport),
            proto="TCP",
            family=4,
            local_addr=local,
            local_port=lport,
            remote_addr=remote,
            remote_port=rport,
            state=state,
            pid=pid,
            program=f"prog{pid}",
            first_seen=first,
        )

    def _add(self) -> None:
        self.next_port = self.next_port + 1 if self.next_port < 65000 else 1024
        listening = self.rng.random() < 0.05
        r = self._row(
            self.next_port,
            0 if listening else self.rng.randrange(1, 65535),
            "LISTEN" if listening else "ESTABLISHED",
            1000 + self.rng.randrange(200),
            self.now,
        )
        self.rows[r.key] = r

    def step(self, churn: float, interval: float) -> Snapshot:
        old = self.rows
        self.rows = dict(old)
        self.now += interval
        n = len(old)
        keys = list(self.rows)
        for key in self.rng.sample(keys, int(n * churn)):
            del self.rows[key]
        for _ in range(int(n * churn)):
            self._add()
        for key in self.rng.sample(list(self.rows), int(n * churn / 2)):
            r = self.rows[key]
            if r.state != "LISTEN":
                self.rows[key] = self._row(
                    r.local_port, r.remote_port, self.rng.choice(STATES), r.pid or 0, r.first_seen
                )
        return Snapshot.of(self.rows, taken_at=self.now, duration=0.0, diff=diff_rows(old, self.rows))

    def first(self) -> Snapshot:
        return Snapshot.of(dict(self.rows), taken_at=self.now, duration=0.0, diff=diff_rows({}, self.rows))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[10000])
    parser.add_argument("--refreshes", type=int, default=300)
    parser.add_argument("--churn", type=float, default=0.01)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between refreshes (for the per-day size)")
    parser.add_argument(
        "--pause",
        type=float,
        default=0.25,
        help="real seconds the bench waits between refreshes (the scan thread is idle that long; 0.25 = 4x faster "
        "than the usual one refresh a second, so background checkpoints get less time than in real use)",
    )
    args = parser.parse_args()
    for n in args.rows:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "history.sqlite3"
            rec = Recorder(path, lookup=lambda pid: ProgramInfo(1.0, f"/usr/bin/prog{pid} --serve", "alice"))
            syn = Synthetic(n)
            start = time.perf_counter()
            rec.record(syn.first())
            first_ms = (time.perf_counter() - start) * 1000
            size0 = _size(path)
            times = []
            for _ in range(args.refreshes):
                snap = syn.step(args.churn, args.interval)
                time.sleep(args.pause)
                start = time.perf_counter()
                rec.record(snap)
                times.append((time.perf_counter() - start) * 1000)
            assert rec.status == "recording", rec.take_notices()
            grown = _size(path) - size0
            # at the bound: from now on every closed socket older than 60 s goes, so each refresh also prunes
            rec.max_age = 60.0
            bound = []
            for _ in range(args.refreshes):
                snap = syn.step(args.churn, args.interval)
                time.sleep(args.pause)
                start = time.perf_counter()
                rec.record(snap)
                bound.append((time.perf_counter() - start) * 1000)
            assert rec.status == "recording", rec.take_notices()
            rec.close()
            checkpoints = rec.checkpoint_seconds * 1000 / (2 * args.refreshes)
            per_refresh = grown / args.refreshes
            per_day = per_refresh * 86400 / args.interval
            times.sort()
            bound.sort()
            print(
                f"{n:>7} sockets, {args.churn:.0%} churn: median {statistics.median(times):.2f} ms, "
                f"p95 {times[int(len(times) * 0.95)]:.2f} ms, max {times[-1]:.2f} ms per refresh "
                f"(first snapshot {first_ms:.0f} ms); file +{per_refresh / 1024:.1f} KiB per refresh "
                f"= {per_day / 2**20:.0f} MiB per day at one refresh every {args.interval:g} s; "
                f"at the age or size bound (pruning as it goes): median {statistics.median(bound):.2f} ms, "
                f"p95 {bound[int(len(bound) * 0.95)]:.2f} ms; background "
                f"checkpoints {checkpoints:.1f} ms per refresh on their own thread"
            )
    return 0


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


if __name__ == "__main__":
    raise SystemExit(main())
