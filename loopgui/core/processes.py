"""Facts about the programs that own sockets."""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import shlex
import shutil
import sys
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


# -- closing programs safely ------------------------------------------------------------------------------------

GRACE_SECONDS = 5.0

CRITICAL_NAMES = {
    "linux": {
        "init",
        "systemd",
        "kthreadd",
        "dbus-daemon",
        "dbus-broker",
        "Xorg",
        "Xwayland",
        "gnome-shell",
        "kwin_x11",
        "kwin_wayland",
        "plasmashell",
        "sshd",
        "loginctl",
        "systemd-logind",
        "polkitd",
    },
    "win32": {
        "system",
        "system idle process",
        "smss.exe",
        "csrss.exe",
        "wininit.exe",
        "winlogon.exe",
        "services.exe",
        "lsass.exe",
        "svchost.exe",
        "dwm.exe",
        "registry",
        "memory compression",
    },
    "darwin": {"launchd", "kernel_task", "WindowServer", "loginwindow", "opendirectoryd", "configd", "securityd"},
}


@dataclass(frozen=True, slots=True)
class Identity:
    """Which program the user saw: its PID *and* when it started, so a reused PID is never mistaken for it."""

    pid: int
    create_time: float
    name: str = ""


class CloseOutcome(str, enum.Enum):
    CLOSED = "closed"
    STILL_RUNNING = "still_running"
    ALREADY_GONE = "already_gone"
    DENIED = "denied"
    PROTECTED = "protected"


@dataclass(frozen=True, slots=True)
class CloseResult:
    outcome: CloseOutcome
    message: str
    still_running: tuple[int, ...] = ()
    how_to_retry: str = ""


def _platform_key(platform: str) -> str:
    return "linux" if platform.startswith("linux") else platform


def protected_reason(
    pid: int, name: str, *, ppid: int | None = None, exe: str = "", platform: str = sys.platform
) -> str | None:
    """Why loopgui refuses to close this process, in plain words; None when it may."""
    if pid in (0, 1):
        return "It is the core of the operating system; closing it would stop the whole computer."
    if pid == os.getpid():
        return "That is loopgui itself. Use Quit in the File menu instead."
    if pid == os.getppid():
        return "That is the program that started loopgui; closing it would close loopgui too."
    key = _platform_key(platform)
    if key == "linux" and (pid == 2 or ppid == 2) and not exe:
        return "It is part of the Linux kernel, not a program that can be closed."
    lower = name.lower()
    names = CRITICAL_NAMES.get(key, set())
    if name in names or lower in {n.lower() for n in names}:
        return f"{name} is a vital part of the operating system; closing it could crash or lock the computer."
    return None


def identity_of(pid: int) -> Identity | None:
    """The identity of a running process now, or None if it is gone."""
    try:
        proc = psutil.Process(pid)
        return Identity(pid, proc.create_time(), proc.name())
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    except psutil.AccessDenied:
        try:
            return Identity(pid, psutil.Process(pid).create_time(), "")
        except psutil.Error:
            return None


def _verified(identity: Identity) -> psutil.Process | None:
    """The process if it still is the one the user saw (same PID and start time), else None."""
    try:
        proc = psutil.Process(identity.pid)
        if abs(proc.create_time() - identity.create_time) > 0.01:
            return None
        return proc
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None


def retry_instructions(pid: int, platform: str = sys.platform, *, force: bool = False) -> str:
    """How to retry with administrator rights on this system (loopgui never elevates by itself)."""
    key = _platform_key(platform)
    if key == "win32":
        return (
            "Open a Command Prompt as administrator (right-click it, “Run as administrator”) and type: "
            f"taskkill /PID {pid}{' /F' if force else ''}"
        )
    signal_flag = "-9 " if force else ""
    if key == "linux" and shutil.which("pkexec"):
        return f"Run in a terminal: pkexec kill {signal_flag}{pid}   (it asks for an administrator password)"
    return f"Run in a terminal: sudo kill {signal_flag}{pid}   (it asks for your password)"


def _family(proc: psutil.Process, include_children: bool) -> list[psutil.Process]:
    procs = [proc]
    if include_children:
        with contextlib.suppress(psutil.Error):
            procs += proc.children(recursive=True)
    return procs


def _denied(identity: Identity, force: bool) -> CloseResult:
    who = identity.name or f"PID {identity.pid}"
    return CloseResult(
        CloseOutcome.DENIED,
        f"{who} belongs to another user or to the system, so loopgui may not close it.",
        how_to_retry=retry_instructions(identity.pid, force=force),
    )


def close_program(
    identity: Identity,
    *,
    include_children: bool = False,
    force: bool = False,
    wait: float = GRACE_SECONDS,
    progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> CloseResult:
    """Ask the program to close (SIGTERM / terminate), or force it (SIGKILL / kill), and wait up to ``wait`` s.

    Refuses when the process is no longer the one the user saw, or is protected.  ``progress(seconds waited)``
    is called about four times a second; ``should_stop`` ends the wait early (the program may still close).
    """
    who = identity.name or f"PID {identity.pid}"
    proc = _verified(identity)
    if proc is None:
        return CloseResult(CloseOutcome.ALREADY_GONE, "That program has already closed (or another took its number).")
    try:
        name, ppid = proc.name(), proc.ppid()
        exe = ""
        with contextlib.suppress(psutil.Error):
            exe = proc.exe()
    except psutil.AccessDenied:
        name, ppid, exe = identity.name, None, "?"
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return CloseResult(CloseOutcome.ALREADY_GONE, f"{who} has already closed.")
    reason = protected_reason(identity.pid, name, ppid=ppid, exe=exe)
    if reason is not None:
        return CloseResult(CloseOutcome.PROTECTED, f"loopgui will not close {name or who}. {reason}")
    family = _family(proc, include_children)
    for p in reversed(family):  # children first, so a parent does not restart them
        try:
            p.kill() if force else p.terminate()
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        except psutil.AccessDenied:
            if p.pid == identity.pid:
                return _denied(identity, force)
    started = time.monotonic()
    alive = list(family)
    while alive:
        waited = time.monotonic() - started
        if progress is not None:
            progress(waited)
        if waited >= wait or (should_stop is not None and should_stop()):
            break
        _, alive = psutil.wait_procs(alive, timeout=min(0.25, max(0.01, wait - waited)))
    if not alive:
        extra = f" and {len(family) - 1} program(s) it started" if len(family) > 1 else ""
        return CloseResult(CloseOutcome.CLOSED, f"{who}{extra} closed.")
    return CloseResult(
        CloseOutcome.STILL_RUNNING,
        f"{who} did not close within {wait:g} seconds." if not force else f"{who} is still running.",
        still_running=tuple(p.pid for p in alive),
    )


def after_close(port: int, closed: Identity, listeners: Iterable[tuple[int | None, str]]) -> str:
    """What happened to ``port`` after closing a program, from the listeners seen in a fresh scan:
    (pid, program) pairs on that port."""
    holders = [(pid, name) for pid, name in listeners if pid != closed.pid]
    if not holders:
        return f"Port {port} is free now."
    pid, name = holders[0]
    if closed.name and name == closed.name:
        return (
            f"{name} started again (now PID {pid}) and has port {port} once more: a service manager restarts it. "
            "Stop it in that manager instead (for example with systemctl stop, or in the Services settings)."
        )
    return f"Another program took port {port}: {name or 'a hidden program'}" + (f" (PID {pid})." if pid else ".")
