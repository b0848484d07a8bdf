"""Timing shared by the benchmarks."""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
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


def compiled(repo: str) -> None:
    """Compile ``repo``'s loopgui to bytecode, as an installed loopgui is (pip, the .deb and the bundles ship it
    compiled).  Without this, a shell with ``PYTHONDONTWRITEBYTECODE=1`` (or a checkout whose ``__pycache__`` is
    older than its sources) makes every start compile the changed modules again: about 75 ms for 40 modules."""
    compileall.compile_dir(os.path.join(repo, "loopgui"), quiet=2)


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


def isolate(script: str, *, processes: bool = True) -> bool:
    """Run the benchmark ``script`` again with the same arguments and ``--inside``, in a network namespace of its
    own with loopback up, and with ``processes`` a PID namespace with its own /proc too (root only); False when it
    cannot (the caller then runs where it is)."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    cmd = [sys.executable, os.path.abspath(script), "--inside", *(a for a in sys.argv[1:] if a != "--inside")]
    spaces = ["-n", "-p", "-f", "--mount-proc"] if processes else ["-n"]
    subprocess.run(["unshare", *spaces, "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *cmd], check=True)
    return True
