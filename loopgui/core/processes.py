"""Facts about the programs that own sockets."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import psutil

log = logging.getLogger("loopgui.processes")


class ProcessNames:
    """Program names by PID, cached until the process is gone.

    Call :meth:`forget_except` once per scan with the PIDs still alive so that a PID the system hands to a
    new program is looked up again.
    """

    def __init__(self) -> None:
        self._names: dict[int, str] = {}

    def name(self, pid: int) -> str:
        """The program's name, or "" when it cannot be read (gone, or another user's and hidden)."""
        cached = self._names.get(pid)
        if cached is not None:
            return cached
        try:
            name = str(psutil.Process(pid).name())
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            return ""
        except psutil.AccessDenied:
            name = ""
        except OSError as exc:  # psutil normally wraps these; be safe on odd platforms
            log.debug("cannot read the name of %s: %s", pid, exc)
            return ""
        self._names[pid] = name
        return name

    def forget_except(self, alive: Iterable[int]) -> None:
        keep = set(alive)
        for pid in [p for p in self._names if p not in keep]:
            del self._names[pid]
