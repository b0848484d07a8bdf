"""GUI-thread time per refresh of the socket table at N rows with 1% churn, and memory.

    python bench/bench_gui.py --rows 10000 50000 --refreshes 40

Each refresh replaces 1% of the rows (removes N/100, adds N/100) and changes the state of another N/100, like a
busy machine.  The snapshot and its diff are made off the clock (the scanner thread does that); what is timed is
what the GUI thread does: ``apply_snapshot``, the highlight ``tick`` and painting the visible rows
(``processEvents`` with the table shown, offscreen).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil
from PySide6.QtWidgets import QApplication

from loopgui.core.net.sockets import Snapshot, SocketRow, diff_rows, make_key
from loopgui.ui.socket_model import SocketTableModel
from loopgui.ui.socket_view import SocketTableView


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make_row(i: int, state: str = "ESTABLISHED") -> SocketRow:
    lport = 1024 + i % 60000
    rport = 1 + i // 60000
    local = f"127.0.{(i // 250) % 250}.{i % 250 + 1}"
    return SocketRow(
        key=make_key("TCP", 4, local, lport, "127.0.0.1", rport),
        proto="TCP",
        family=4,
        local_addr=local,
        local_port=lport,
        remote_addr="127.0.0.1",
        remote_port=rport,
        state=state,
        pid=1000 + i % 50,
        program=f"program{i % 50}",
        first_seen=time.time(),
    )


def run(n: int, refreshes: int, sort_column: int) -> dict[str, float]:
    rng = random.Random(n)
    rss_before = psutil.Process().memory_info().rss
    clock = Clock()
    model = SocketTableModel(clock=clock)
    view = SocketTableView(model)
    view.resize(1100, 700)
    view.sortByColumn(sort_column, view.horizontalHeader().sortIndicatorOrder())
    view.show()
    rows = {r.key: r for r in (make_row(i) for i in range(n))}
    next_id = n
    snap = Snapshot.of(dict(rows), taken_at=0.0, duration=0.0, diff=diff_rows({}, rows))
    start = time.perf_counter()
    model.apply_snapshot(snap)
    QApplication.processEvents()
    first = time.perf_counter() - start
    k = max(1, n // 100)
    times = []
    cpu = []  # the process's CPU time: what a busy, shared machine distorts least
    for _ in range(refreshes):
        new = dict(rows)
        keys = list(new)
        for key in rng.sample(keys, k):
            del new[key]
        for _ in range(k):
            r = make_row(next_id)
            next_id += 1
            new[r.key] = r
        for key in rng.sample(list(new), k):
            old = new[key]
            new[key] = make_row_like(old, "TIME_WAIT" if old.state != "TIME_WAIT" else "ESTABLISHED")
        snap = Snapshot.of(new, taken_at=0.0, duration=0.0, diff=diff_rows(rows, new))
        rows = new
        clock.now += 1.0
        t0 = time.perf_counter()
        c0 = time.process_time()
        model.apply_snapshot(snap)
        model.tick()
        QApplication.processEvents()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    rss_after = psutil.Process().memory_info().rss
    view.close()
    times.sort()
    return {
        "first": first,
        "median": statistics.median(times),
        "p95": times[int(len(times) * 0.95) - 1],
        "max": times[-1],
        "cpu": statistics.median(cpu),
        "rss": rss_after,
        "rss_growth": rss_after - rss_before,
    }


def make_row_like(row: SocketRow, state: str) -> SocketRow:
    return SocketRow(**{**{f: getattr(row, f) for f in SocketRow.__dataclass_fields__}, "state": state})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10000])
    parser.add_argument("--refreshes", type=int, default=40)
    parser.add_argument("--sort-column", type=int, default=2, help="0-8; 2 = local port, 5 = state")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    del app
    print(f"load {os.getloadavg()[0]:.1f}")
    print(f"{'rows':>7} {'first load':>11} {'median':>9} {'p95':>9} {'max':>9} {'CPU med':>9} {'RSS':>9}")
    for n in args.rows:
        r = run(n, args.refreshes, args.sort_column)
        print(
            f"{n:>7,} {r['first'] * 1000:>9.1f}ms {r['median'] * 1000:>7.1f}ms {r['p95'] * 1000:>7.1f}ms "
            f"{r['max'] * 1000:>7.1f}ms {r['cpu'] * 1000:>7.1f}ms {r['rss'] / 2**20:>7.0f}MB",
            flush=True,
        )


if __name__ == "__main__":
    main()
