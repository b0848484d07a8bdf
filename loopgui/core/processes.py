"""Facts about the programs that own sockets."""

from __future__ import annotations

import logging
import shlex
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class ProcessFacts:
    """What loopgui could read about one process.  ``hidden`` names the facts that permissions hid."""

    pid: int
    name: str
    create_time: float | None = None
    exe: str = ""
    cmdline: tuple[str, ...] = ()
    username: str = ""
    ppid: int | None = None
    parent_name: str = ""
    children: tuple[tuple[int, str], ...] = ()
    memory_rss: int | None = None
    cpu_percent: float | None = None
    hidden: tuple[str, ...] = ()
    gone: bool = False

    @property
    def command(self) -> str:
        return shlex.join(self.cmdline) if self.cmdline else ""


def process_facts(pid: int, *, with_cpu: bool = False) -> ProcessFacts:
    """Read the facts about ``pid`` that permissions allow.  Never raises for a vanished or protected process."""
    try:
        proc = psutil.Process(pid)
    except (psutil.NoSuchProcess, psutil.ZombieProcess, ValueError):
        return ProcessFacts(pid=pid, name="", gone=True)
    except psutil.AccessDenied:
        return ProcessFacts(pid=pid, name="", hidden=("everything",))
    hidden: list[str] = []
    values: dict[str, object] = {}

    def read(label: str, getter: Callable[[], object]) -> object:
        try:
            return getter()
        except psutil.AccessDenied:
            hidden.append(label)
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            values["gone"] = True
        except OSError as exc:
            log.debug("cannot read %s of %s: %s", label, pid, exc)
        return None

    name = read("name", proc.name)
    create_time = read("start time", proc.create_time)
    exe = read("program file", proc.exe)
    cmdline = read("command line", proc.cmdline)
    username = read("user", proc.username)
    ppid = read("parent", proc.ppid)
    parent_name = ""
    if isinstance(ppid, int) and ppid > 0:
        try:
            parent_name = psutil.Process(ppid).name()
        except (psutil.Error, OSError):
            parent_name = ""
    children_raw = read("child programs", proc.children)
    children: list[tuple[int, str]] = []
    for child in children_raw if isinstance(children_raw, list) else []:
        try:
            children.append((child.pid, child.name()))
        except (psutil.Error, OSError):
            continue
    memory = read("memory", proc.memory_info)
    cpu = read("processor use", lambda: proc.cpu_percent(interval=0.1)) if with_cpu else None
    return ProcessFacts(
        pid=pid,
        name=str(name or ""),
        create_time=float(create_time) if isinstance(create_time, (int, float)) else None,
        exe=str(exe or ""),
        cmdline=tuple(str(a) for a in cmdline) if isinstance(cmdline, list) else (),
        username=str(username or ""),
        ppid=ppid if isinstance(ppid, int) else None,
        parent_name=str(parent_name),
        children=tuple(children),
        memory_rss=int(getattr(memory, "rss", 0)) if memory is not None else None,
        cpu_percent=float(cpu) if isinstance(cpu, (int, float)) else None,
        hidden=tuple(hidden),
        gone=bool(values.get("gone", False)),
    )


def started_ago(create_time: float, now: float | None = None) -> str:
    """``"started 12 minutes ago"`` style wording."""
    seconds = max(0.0, (time.time() if now is None else now) - create_time)
    if seconds < 60:
        return "started less than a minute ago"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"started {n} {unit}{'' if n == 1 else 's'} ago"
    return "started just now"
