"""Timing shared by the benchmarks."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable


def median_ms(work: Callable[[], object], repeat: int) -> float:
    """The median of ``repeat`` runs of ``work``, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def private_env(home: str, repo: str) -> dict[str, str]:
    """The environment for a loopgui started by a benchmark: its own home and XDG folders (never the user's
    settings or history), the offscreen Qt platform, ``repo``'s loopgui."""
    return {
        **os.environ,
        "HOME": home,
        "XDG_CONFIG_HOME": f"{home}/config",
        "XDG_DATA_HOME": f"{home}/data",
        "XDG_CACHE_HOME": f"{home}/cache",
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": repo,
    }
