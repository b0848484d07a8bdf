"""Soak: many scan/refresh cycles with real socket churn; RSS, descriptors and threads must stay flat.

    python bench/soak.py --cycles 50000 --max-seconds 600

The test suite runs the same loop for 5,000 cycles (tests/e2e/test_soak.py).
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil
from PySide6.QtWidgets import QApplication

from loopgui.core.net.scanner import make_scanner
from loopgui.ui.socket_model import SocketTableModel
from loopgui.ui.socket_view import SocketTableView


@dataclass
class SoakResult:
    cycles: int
    seconds: float
    rss_warm: int
    rss_end: int
    fds_warm: int
    fds_end: int
    threads_warm: int
    threads_end: int
    rows_last: int

    @property
    def rss_growth(self) -> float:
        return (self.rss_end - self.rss_warm) / self.rss_warm


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else psutil.Process().num_fds()


def run_soak(cycles: int, max_seconds: float = 3600.0, warm: int = 500, seed: int = 1) -> SoakResult:
    """Scan, churn loopback sockets, apply to the real model and view, repeat."""
    app = QApplication.instance() or QApplication([])
    rng = random.Random(seed)
    now = [0.0]
    model = SocketTableModel(clock=lambda: now[0])
    view = SocketTableView(model)
    view.resize(1000, 600)
    view.show()
    scanner = make_scanner()
    held: list[socket.socket] = []
    started = time.monotonic()
    proc = psutil.Process()
    warm_state = (0, 0, 0)
    done = 0
    rows = 0
    try:
        for i in range(cycles):
            if time.monotonic() - started > max_seconds:
                break
            if held and (len(held) >= 20 or rng.random() < 0.5):
                held.pop(rng.randrange(len(held))).close()
            else:
                s = socket.socket(socket.AF_INET6 if rng.random() < 0.3 else socket.AF_INET)
                s.bind(("::1" if s.family == socket.AF_INET6 else "127.0.0.1", 0))
                s.listen()
                held.append(s)
            snapshot = scanner.scan()
            rows = len(snapshot.rows)
            now[0] += 1.0
            model.apply_snapshot(snapshot)
            model.tick()
            app.processEvents()
            done = i + 1
            if done == warm:  # descriptors other than the test's own sockets
                warm_state = (proc.memory_info().rss, open_fds() - len(held), threading.active_count())
    finally:
        for s in held:
            s.close()
        view.close()
        view.deleteLater()
        app.processEvents()
    if done < warm:
        warm_state = (proc.memory_info().rss, open_fds(), threading.active_count())
    held.clear()
    return SoakResult(
        cycles=done,
        seconds=time.monotonic() - started,
        rss_warm=warm_state[0],
        rss_end=proc.memory_info().rss,
        fds_warm=warm_state[1],
        fds_end=open_fds(),
        threads_warm=warm_state[2],
        threads_end=threading.active_count(),
        rows_last=rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=50000)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    args = parser.parse_args()
    r = run_soak(args.cycles, args.max_seconds)
    print(
        f"{r.cycles:,} cycles in {r.seconds:.0f} s; RSS {r.rss_warm / 2**20:.1f} → {r.rss_end / 2**20:.1f} MB "
        f"({r.rss_growth:+.1%} after warm-up); descriptors {r.fds_warm} → {r.fds_end}; "
        f"threads {r.threads_warm} → {r.threads_end}"
    )


if __name__ == "__main__":
    main()
