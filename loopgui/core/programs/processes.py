"""Facts about the programs that own sockets."""

from __future__ import annotations

import contextlib
import ctypes
import enum
import logging
import os
import shlex
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import psutil

from loopgui.core.programs import managers
from loopgui.core.programs.display import display_servers
from loopgui.core.text.plaintext import shown

log = logging.getLogger("loopgui.processes")


@dataclass(frozen=True, slots=True)
class Owner:
    """Who held a socket when the scan saw it: name, start time (None when unreadable) and program file."""

    name: str
    start: float | None
    exe: str


NO_OWNER = Owner("", None, "")


class ProcessNames:
    """Owners (name, start time, program file) by PID, cached until the process is gone.

    Call :meth:`forget_except` once per scan with the PIDs still alive.  A cached owner is checked again (by its
    start time, one cheap read) the first time each scan asks for it, so a PID the system hands to a new program
    between two scans is never reported with the old program's identity.
    """

    def __init__(self) -> None:
        self._owners: dict[int, Owner] = {}
        self._checked: set[int] = set()

    def name(self, pid: int) -> str:
        """The program's name, or "" when it cannot be read (gone, or another user's and hidden)."""
        return self.owner(pid).name

    def owner(self, pid: int) -> Owner:
        cached = self._owners.get(pid)
        if cached is not None and pid in self._checked:
            return cached
        try:
            proc = psutil.Process(pid)
            start: float | None
            try:
                start = float(proc.create_time())
            except psutil.AccessDenied:
                start = None
            if cached is not None and cached.start == start:
                self._checked.add(pid)
                return cached
            try:
                name = shown(str(proc.name()))
            except psutil.AccessDenied:
                name = ""
            exe = ""
            with contextlib.suppress(psutil.AccessDenied):
                exe = _clean_exe(str(proc.exe() or ""))
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            self._owners.pop(pid, None)
            return NO_OWNER
        except psutil.AccessDenied:
            return NO_OWNER
        except (OSError, ValueError) as exc:  # psutil normally wraps these; be safe on odd platforms
            log.debug("cannot read the owner %s: %s", pid, exc)
            return NO_OWNER
        owner = Owner(name, start, exe)
        self._owners[pid] = owner
        self._checked.add(pid)
        return owner

    def forget_except(self, alive: Iterable[int]) -> None:
        keep = set(alive)
        for pid in [p for p in self._owners if p not in keep]:
            del self._owners[pid]
        self._checked.clear()


def _clean_exe(path: str) -> str:
    """Linux marks the program file of a process whose file was replaced (an update) with " (deleted)"."""
    return path[: -len(" (deleted)")] if path.endswith(" (deleted)") else path


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
    manager: managers.Manager | None = None  # what brings it back when it is closed (words/managers.py says it)

    @property
    def command(self) -> str:
        return shown(shlex.join(self.cmdline)) if self.cmdline else ""


def _manager(pid: int, name: str, cmdline: tuple[str, ...], uid: int | None) -> managers.Manager | None:
    try:
        return managers.detect(pid, name, cmdline, uid=uid)
    except Exception as exc:  # naming the manager is a courtesy; it must never hide the other facts
        log.debug("cannot tell what manages %s: %s", pid, exc)
        return None


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
            children.append((child.pid, shown(child.name())))
        except (psutil.Error, OSError):
            continue
    memory = read("memory", proc.memory_info)
    cpu = read("processor use", lambda: proc.cpu_percent(interval=0.1)) if with_cpu else None
    uids = read("user", proc.uids) if hasattr(proc, "uids") else None
    args = tuple(str(a) for a in cmdline) if isinstance(cmdline, list) else ()
    manager = _manager(pid, str(name or ""), args, int(getattr(uids, "real", -1)) if uids is not None else None)
    return ProcessFacts(
        pid=pid,
        name=shown(str(name or "")),
        create_time=float(create_time) if isinstance(create_time, (int, float)) else None,
        exe=str(exe or ""),
        cmdline=tuple(str(a) for a in cmdline) if isinstance(cmdline, list) else (),
        username=str(username or ""),
        ppid=ppid if isinstance(ppid, int) else None,
        parent_name=shown(str(parent_name)),
        children=tuple(children),
        memory_rss=int(getattr(memory, "rss", 0)) if memory is not None else None,
        cpu_percent=float(cpu) if isinstance(cpu, (int, float)) else None,
        hidden=tuple(hidden),
        gone=bool(values.get("gone", False)),
        manager=manager,
    )


# -- who a process is, and whether loopgui may close it -----------------------------------------------------------

GRACE_SECONDS = 5.0

# Vital programs of each system.  A name alone never protects: the program file must be one of the system's own
# (see :func:`protected_reason`), so a user's own program that happens to be called "systemd" can be closed.
VITAL_NAMES: dict[str, frozenset[str]] = {
    "linux": frozenset(
        {
            "init",
            "systemd",
            "kthreadd",
            "dbus-daemon",
            "dbus-broker",
            "dbus-broker-launch",
            "Xorg",
            "X",
            "Xwayland",
            "gnome-shell",
            "gnome-session-binary",
            "gnome-session-b",  # the kernel cuts names to 15 characters
            "gnome-session",
            "kwin_x11",
            "kwin_wayland",
            "plasmashell",
            "ksmserver",
            "xfce4-session",
            "lxsession",
            "mate-session",
            "cinnamon-session",
            "sshd",
            "sshd-session",
            "login",
            "agetty",
            "getty",
            "gdm",
            "gdm3",
            "gdm-session-worker",
            "gdm-session-wor",
            "gdm-wayland-session",
            "gdm-x-session",
            "lightdm",
            "sddm",
            "sddm-helper",
            "polkitd",
            "NetworkManager",
            "wpa_supplicant",
            "dhclient",
            "dhcpcd",
            "containerd",
            "dockerd",
            "pipewire",
            "pipewire-pulse",
            "wireplumber",
            "pulseaudio",
            "cron",
            "crond",
            "rsyslogd",
            "auditd",
            "udevd",
            "accounts-daemon",
            "udisksd",
            "upowerd",
        }
    ),
    "win32": frozenset(
        {
            "system",
            "system idle process",
            "registry",
            "memory compression",
            "secure system",
            "smss.exe",
            "csrss.exe",
            "wininit.exe",
            "winlogon.exe",
            "services.exe",
            "lsass.exe",
            "lsaiso.exe",
            "svchost.exe",
            "dwm.exe",
            "fontdrvhost.exe",
        }
    ),
    "darwin": frozenset(
        {
            "launchd",
            "kernel_task",
            "WindowServer",
            "loginwindow",
            "opendirectoryd",
            "configd",
            "securityd",
            "logd",
            "notifyd",
            "coreservicesd",
        }
    ),
}
# Name prefixes of vital Linux programs (systemd-journald, systemd-udevd, systemd-logind, containerd-shim…).
VITAL_PREFIXES: dict[str, tuple[str, ...]] = {"linux": ("systemd-", "containerd-shim")}

# Programs that carry a desktop or login session: they and the programs that started them are protected.
SESSION_NAMES: frozenset[str] = frozenset(
    {
        "Xorg",
        "X",
        "Xwayland",
        "gnome-shell",
        "gnome-session-binary",
        "gnome-session-b",
        "kwin_wayland",
        "kwin_x11",
        "ksmserver",
        "plasmashell",
        "xfce4-session",
        "lxsession",
        "mate-session",
        "cinnamon-session",
        "sway",
        "weston",
        "WindowServer",
        "loginwindow",
        "explorer.exe",
        "dwm.exe",
    }
)

SYSTEM_DIRS: dict[str, tuple[str, ...]] = {
    "linux": ("/usr/bin/", "/usr/sbin/", "/usr/lib/", "/usr/lib64/", "/usr/libexec/", "/bin/", "/sbin/", "/lib/"),
    "darwin": ("/System/", "/usr/libexec/", "/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/", "/Library/Apple/"),
    "win32": ("c:\\windows\\",),
}


def clock_ticks_per_second() -> int:
    """The unit the kernel counts start times in (``/proc/PID/stat`` field 22): 100 on every usual Linux."""
    try:
        return int(os.sysconf("SC_CLK_TCK")) if hasattr(os, "sysconf") else 0
    except (ValueError, OSError):
        return 0


_HZ = clock_ticks_per_second() if sys.platform.startswith("linux") else 0


def same_start(a: float, b: float, hz: int | None = None) -> bool:
    """Whether two start times are the same moment: exactly the same clock tick on Linux (where the kernel counts
    start times in ticks and psutil adds them to the boot time), the same microsecond elsewhere."""
    per_second = _HZ if hz is None else hz
    if per_second > 0:
        return round(a * per_second) == round(b * per_second)
    return abs(a - b) < 1e-6


def started_text(create_time: float) -> str:
    """A start time written so that :func:`same_start` finds the same tick again (``--started`` of ``close``)."""
    return f"{create_time:.6f}"


@dataclass(frozen=True, slots=True)
class Identity:
    """Which program the user saw: its PID *and* when it started (and its program file when known), so a reused
    PID is never mistaken for it.  ``exe_id`` is the program file's (device, inode) once read: a file replaced
    at the same path (an update, another build) is another program."""

    pid: int
    create_time: float
    name: str = ""
    exe: str = ""
    exe_id: tuple[int, int] | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "pid": self.pid,
            "name": self.name or None,
            "started": started_text(self.create_time),
            "program_file": self.exe or None,
        }


class CloseOutcome(str, enum.Enum):
    """What became of closing a program, as a whole (stable codes, see docs/JSON.md)."""

    CLOSED = "closed"  # it ended after loopgui's signal (and so did every program of the plan)
    STILL_RUNNING = "still_running"  # signalled, it did not end within the wait
    ALREADY_GONE = "already_gone"  # it had ended before loopgui looked again (number free or reused)
    DENIED = "denied"  # the system did not allow it: nothing was closed; retry_commands says how
    PROTECTED = "protected"  # loopgui never closes it; protection says why
    NOT_SAME = "not_same"  # no longer (or not surely) the program the user saw, yet not ended: left alone
    ENDED_BY_ITSELF = "ended_by_itself"  # it ended on its own after the confirmation opened, before any signal
    PARTLY_CLOSED = "partly_closed"  # it ended, some programs it started are still running (retry_commands)
    STOPPED_WAITING = "stopped_waiting"  # the user pressed Stop waiting while it was still running


class MemberCode(str, enum.Enum):
    """What happened to one process of a closing (stable codes, see docs/JSON.md)."""

    CLOSED = "closed"  # it ended after loopgui's signal
    ENDED_BEFORE_SIGNAL = "ended_before_signal"  # it ended by itself before any signal (a child: exited on its own)
    ENDED_AFTER_CHILDREN = "ended_after_children"  # not signalled: it ended when the programs it started were closed
    NUMBER_REUSED = "number_reused"  # it ended before its signal; another program has its number now (left alone)
    CHANGED = "changed"  # it turned into another program (exec): left alone
    UNKNOWN = "unknown"  # loopgui could not be sure which program it is: left alone
    DENIED = "denied"  # the system did not allow it: still running
    STILL_RUNNING = "still_running"  # signalled, still running after the wait
    STOPPED_WAITING = "stopped_waiting"  # signalled, still running when the user stopped waiting


ENDED_CODES = frozenset(
    {MemberCode.CLOSED, MemberCode.ENDED_BEFORE_SIGNAL, MemberCode.ENDED_AFTER_CHILDREN, MemberCode.NUMBER_REUSED}
)
RUNNING_CODES = frozenset({MemberCode.DENIED, MemberCode.STILL_RUNNING, MemberCode.STOPPED_WAITING})


@dataclass(frozen=True, slots=True)
class MemberResult:
    """One process of a closing and exactly what happened to it.  ``threads_keep_it``: its first thread has ended
    but other threads still run (and keep its sockets)."""

    code: MemberCode
    identity: Identity
    is_target: bool = False
    threads_keep_it: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code.value,
            "target": self.is_target,
            "threads_keep_it": self.threads_keep_it,
            **self.identity.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class CloseResult:
    """The facts of one closing (or of the refusal to start it).  Sentences: :mod:`loopgui.core.words.close`.

    ``sameness``/``newcomer`` say why a program was not touched at the re-check (and who has its number now);
    ``protection`` why it is protected; ``retry_commands`` the terminal commands that finish the job with
    administrator rights (this verb with the identity it must find); ``waited`` and ``grace`` the seconds waited
    and allowed; ``spared`` the programs it started that stay running on purpose.
    """

    outcome: CloseOutcome
    target: Identity | None = None
    members: tuple[MemberResult, ...] = ()
    protection: Any = None  # protection.Protection (typed there; kept loose here to avoid an import cycle)
    sameness: Sameness | None = None
    newcomer: str = ""
    sandboxed: bool = False
    force: bool = False
    waited: float = 0.0
    grace: float = 0.0
    spared: tuple[Any, ...] = ()  # actions.Spared
    retry_commands: tuple[str, ...] = ()
    as_admin: bool = False
    started_at: float = 0.0  # when the closing began (epoch seconds)

    @property
    def still_running(self) -> tuple[int, ...]:
        return tuple(m.identity.pid for m in self.members if m.code in RUNNING_CODES)

    def member(self, pid: int) -> MemberResult | None:
        return next((m for m in self.members if m.identity.pid == pid), None)

    def as_dict(self) -> dict[str, object]:
        return {
            "outcome": self.outcome.value,
            "target": self.target.as_dict() if self.target is not None else None,
            "processes": [m.as_dict() for m in self.members],
            "protection": self.protection.as_dict() if self.protection is not None else None,
            "sameness": self.sameness.value if self.sameness is not None else None,
            "newcomer": self.newcomer or None,
            "sandboxed": self.sandboxed,
            "forced": self.force,
            "waited_seconds": round(self.waited, 2),
            "spared": [s.as_dict() for s in self.spared],
            "retry_commands": list(self.retry_commands),
        }


@dataclass(frozen=True, slots=True)
class ProcInfo:
    """The facts about one live process that identity checks and protection rules look at.

    ``exe`` is None when it is hidden (another user's process); ``uid`` None when unknown (Windows).
    """

    pid: int
    name: str
    create_time: float | None
    exe: str | None
    ppid: int | None
    uid: int | None = None
    username: str = ""
    cmdline: tuple[str, ...] = ()
    zombie: bool = False  # ended: only its exit status is left (not when other threads of it still run)
    exe_id: tuple[int, int] | None = None  # the program file's (device, inode), when readable
    main_thread_exited: bool = False  # its first thread has ended while other threads keep it (and its sockets)

    @property
    def command(self) -> str:
        return shown(shlex.join(self.cmdline)) if self.cmdline else ""


def exe_id_of(pid: int, proc: str = "/proc") -> tuple[int, int] | None:
    """(device, inode) of the file a process runs (Linux; the file itself, even when deleted or replaced)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        st = os.stat(f"{proc}/{pid}/exe")
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def read_info(pid: int) -> ProcInfo | None:
    """Read :class:`ProcInfo` for ``pid`` now; None when no such process exists."""
    try:
        proc = psutil.Process(pid)
    except (psutil.NoSuchProcess, ValueError):
        return None
    except psutil.AccessDenied:
        return ProcInfo(pid, "", None, None, None)
    values: dict[str, object] = {}
    zombie = False
    for attr in ("create_time", "name", "exe", "ppid", "uids", "username", "cmdline", "status", "num_threads"):
        try:
            values[attr] = getattr(proc, attr)()
        except psutil.ZombieProcess:
            zombie = True
        except psutil.NoSuchProcess:
            return None
        except (psutil.AccessDenied, OSError, AttributeError):  # AttributeError: uids() does not exist on Windows
            continue
    threads = values.get("num_threads")
    # A program whose first thread called pthread_exit shows as a zombie while its other threads run on and keep
    # its sockets: it has not ended.
    leader_gone = (zombie or values.get("status") == psutil.STATUS_ZOMBIE) and isinstance(threads, int) and threads > 1
    uids = values.get("uids")
    create_time = values.get("create_time")
    ppid = values.get("ppid")
    cmdline = values.get("cmdline")
    exe = values.get("exe")
    return ProcInfo(
        pid=pid,
        name=shown(str(values.get("name") or "")),  # a process picks its own name: no controls, no bidi overrides
        create_time=float(create_time) if isinstance(create_time, (int, float)) else None,
        exe=_clean_exe(str(exe or "")) if "exe" in values else None,
        ppid=ppid if isinstance(ppid, int) else None,
        uid=int(getattr(uids, "real", -1)) if uids is not None else None,
        username=str(values.get("username") or ""),
        cmdline=tuple(str(a) for a in cmdline) if isinstance(cmdline, list) else (),
        zombie=(zombie or values.get("status") == psutil.STATUS_ZOMBIE) and not leader_gone,
        exe_id=exe_id_of(pid),
        main_thread_exited=leader_gone,
    )


def pid_numbers_match() -> bool:
    """Whether /proc numbers processes as the kernel does for loopgui (Linux; elsewhere there is no /proc to differ).

    Not so when loopgui runs in a PID namespace of its own while it sees another namespace's /proc (``unshare -p``
    without a new /proc): a number read there names another program than the same number given to kill().
    """
    if not sys.platform.startswith("linux"):
        return True
    try:
        return os.readlink("/proc/self") == str(os.getpid())
    except OSError:
        return False


def identity_of(pid: int) -> Identity | None:
    """The identity of a running process now, or None if it is gone or its start time cannot be read."""
    info = read_info(pid)
    if info is None or info.zombie or info.create_time is None:
        return None
    return Identity(pid, info.create_time, info.name, info.exe or "", info.exe_id)


class Sameness(str, enum.Enum):
    SAME = "same"
    GONE = "gone"  # no such process, or it has ended and only its exit status is left (a zombie)
    REUSED = "reused"  # another program now has the number
    CHANGED = "changed"  # same process, but it has replaced its program by another (exec)
    UNKNOWN = "unknown"  # its start time cannot be read


def compare(identity: Identity, info: ProcInfo | None) -> Sameness:
    """Whether the live process ``info`` is the one ``identity`` names: PID, start time and program file."""
    if info is None or info.zombie:
        return Sameness.GONE
    if info.create_time is None:
        return Sameness.UNKNOWN
    if not same_start(info.create_time, identity.create_time):
        return Sameness.REUSED
    if identity.exe and info.exe and info.exe != identity.exe:
        return Sameness.CHANGED
    if identity.exe_id is not None and info.exe_id is not None and info.exe_id != identity.exe_id:
        return Sameness.CHANGED  # same path, another file: replaced (and started again) or exec'd another build
    return Sameness.SAME


# -- protection ----------------------------------------------------------------------------------------------------


def _platform_key(platform: str) -> str:
    return "linux" if platform.startswith("linux") else platform


def in_system_dir(exe: str, platform: str = sys.platform) -> bool:
    key = _platform_key(platform)
    dirs = SYSTEM_DIRS.get(key, ())
    if key == "win32":
        root = os.environ.get("SYSTEMROOT", "C:\\Windows").lower().rstrip("\\") + "\\"
        low = exe.lower()
        return low.startswith(root) or any(low.startswith(d) for d in dirs)
    return any(exe.startswith(d) for d in dirs)


def system_owner(info: ProcInfo, platform: str = sys.platform) -> bool:
    """Owned by the administrator or a system account (not a person's account)."""
    key = _platform_key(platform)
    if key == "win32":
        user = info.username.lower()
        return user.endswith(("\\system", "\\local service", "\\network service")) or user in (
            "system",
            "local service",
            "network service",
        )
    if info.uid is not None:
        limit = 500 if key == "darwin" else 1000
        return info.uid < limit or info.uid == 65534
    return info.username == "root" or info.username.startswith("_")


def is_vital_name(name: str, platform: str = sys.platform) -> bool:
    key = _platform_key(platform)
    names = VITAL_NAMES.get(key, frozenset())
    if key == "win32":
        return name.lower() in names
    return name in names or name.startswith(VITAL_PREFIXES.get(key, ()))


def file_name(exe: str) -> str:
    """The last part of a program file's path, with / or \\ between folders."""
    return exe.replace("\\", "/").rsplit("/", 1)[-1]


def named_by_its_file(info: ProcInfo, names: Callable[[str], bool]) -> bool:
    """Whether ``info`` has a name from ``names`` *and* its program file has one too (hidden file: the name alone).

    A process's name is its own to choose: started through a link called "sshd", or renamed with prctl, a person's
    python3 script is called "sshd" while its file is /usr/bin/python3, a system file.  The name of the file itself
    cannot be chosen that way.  (Both are asked to be vital, not equal: pipewire-pulse runs the file pipewire, getty
    agetty, X the file Xorg.)
    """
    if not names(info.name):
        return False
    return info.exe is None or not info.exe or names(file_name(info.exe))


def is_system_program(info: ProcInfo, platform: str = sys.platform) -> bool:
    """The system's own copy of a program: its file lies in a system folder, or (file hidden) a system account
    runs it."""
    if info.exe:
        return in_system_dir(info.exe, platform)
    return info.exe is None and system_owner(info, platform)


@dataclass(frozen=True, slots=True)
class ProtectionContext:
    """Facts about this computer that protection rules need beyond the process itself."""

    me: int
    ancestors: tuple[int, ...]  # loopgui's parent, grandparent, … (nearest first)
    session: frozenset[int] = frozenset()  # desktop/display session programs and the programs that started them
    as_admin: bool = False
    platform: str = sys.platform
    display: Mapping[int, str] = field(default_factory=dict)  # PID -> display name of the display loopgui draws on
    boot_time: float | None = None  # when the computer started (epoch seconds), None when unknown


def ancestors_of(pid: int, parent_of: Callable[[int], int | None], limit: int = 256) -> tuple[int, ...]:
    """Parent, grandparent, … of ``pid`` (stops at PID 0/1 or a loop)."""
    chain: list[int] = []
    seen = {pid}
    current: int | None = pid
    while current is not None and len(chain) < limit:
        parent = parent_of(current)
        if parent is None or parent in seen or parent <= 0:
            break
        chain.append(parent)
        seen.add(parent)
        if parent == 1:
            break
        current = parent
    return tuple(chain)


def _ppid(pid: int) -> int | None:
    try:
        return int(psutil.Process(pid).ppid())
    except (psutil.Error, OSError):
        return None


def current_context(
    infos: Iterable[ProcInfo] | None = None,
    platform: str = sys.platform,
    environ: Mapping[str, str] | None = None,
) -> ProtectionContext:
    """The protection facts of this computer now: loopgui's ancestors, the desktop session's programs, the
    display server loopgui draws on (from ``environ``'s DISPLAY and WAYLAND_DISPLAY) and the boot time."""
    me = os.getpid()
    if infos is None:
        infos = _all_infos()
    table = {i.pid: i for i in infos}

    def parent_of(pid: int) -> int | None:
        info = table.get(pid)
        return info.ppid if info is not None else _ppid(pid)

    session: set[int] = set()
    for info in table.values():
        if named_by_its_file(info, lambda n: n in SESSION_NAMES or is_vital_name(n, platform)) and (
            info.exe is None or not info.exe or is_system_program(info, platform)
        ):
            session.add(info.pid)
            session.update(p for p in ancestors_of(info.pid, parent_of) if p > 1)
    as_admin = bool(getattr(os, "geteuid", lambda: -1)() == 0)
    try:
        display = MappingProxyType(display_servers(environ))
    except Exception as exc:  # protecting the display is on top of the other rules; never stop on it
        log.debug("cannot tell which program owns the display: %s", exc)
        display = MappingProxyType({})
    try:
        boot: float | None = float(psutil.boot_time())
    except (psutil.Error, OSError):
        boot = None
    return ProtectionContext(
        me, ancestors_of(me, parent_of), frozenset(session), as_admin, platform, display=display, boot_time=boot
    )


def _all_infos() -> list[ProcInfo]:
    out = []
    for proc in psutil.process_iter(["name", "exe", "ppid"]):
        d = proc.info
        out.append(ProcInfo(proc.pid, str(d.get("name") or ""), None, d.get("exe"), d.get("ppid")))
    return out


def running_as_admin() -> bool:
    """Whether loopgui runs with administrator (root) rights, so asking for them would be pointless."""
    if hasattr(os, "geteuid"):
        return os.geteuid() == 0
    shell32 = getattr(getattr(ctypes, "windll", None), "shell32", None)  # Windows only
    if shell32 is not None:  # pragma: no cover - Windows only
        try:
            return bool(shell32.IsUserAnAdmin())
        except (AttributeError, OSError):
            return False
    return False
