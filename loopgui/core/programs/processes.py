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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import psutil

from loopgui.core.programs import managers
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
    manager: str = ""  # what brings it back when it is closed, and the proper way to stop it (core.managers)

    @property
    def command(self) -> str:
        return shown(shlex.join(self.cmdline)) if self.cmdline else ""


def _manager_text(pid: int, name: str, cmdline: tuple[str, ...], uid: int | None) -> str:
    try:
        found = managers.detect(pid, name, cmdline, uid=uid)
    except Exception as exc:  # naming the manager is a courtesy; it must never hide the other facts
        log.debug("cannot tell what manages %s: %s", pid, exc)
        return ""
    return found.text if found is not None else ""


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
    manager = _manager_text(pid, str(name or ""), args, int(getattr(uids, "real", -1)) if uids is not None else None)
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

# What some vital programs do, in plain words, for the refusal.
VITAL_PURPOSE: Mapping[str, str] = MappingProxyType(
    {
        "sshd": "it lets people log in to this computer over the network",
        "sshd-session": "it carries someone's remote login session",
        "Xorg": "it draws your screen",
        "X": "it draws your screen",
        "Xwayland": "it draws the windows of older programs",
        "gnome-shell": "it draws your desktop",
        "gnome-session-binary": "it runs your desktop session",
        "NetworkManager": "it keeps this computer connected to the network",
        "wpa_supplicant": "it keeps the wireless network connected",
        "dbus-daemon": "other programs use it to talk to each other",
        "pipewire": "it plays and records sound",
        "login": "it carries someone's login session",
        "agetty": "it offers the text login screen",
        "gdm3": "it shows the login screen",
        "lightdm": "it shows the login screen",
        "sddm": "it shows the login screen",
        "containerd": "it runs containers",
        "dockerd": "it runs Docker containers",
        "cron": "it starts scheduled jobs",
        "polkitd": "it decides which programs may do administrator tasks",
        "csrss.exe": "Windows itself depends on it",
        "lsass.exe": "it checks passwords and signs you in",
        "winlogon.exe": "it handles signing in and out",
        "wininit.exe": "it starts Windows",
        "services.exe": "it runs every Windows service",
        "svchost.exe": "it hosts Windows services",
        "WindowServer": "it draws your screen",
        "loginwindow": "it runs your login session",
        "launchd": "it starts and keeps every other program running",
    }
)

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


@dataclass(frozen=True, slots=True)
class Identity:
    """Which program the user saw: its PID *and* when it started (and its program file when known), so a reused
    PID is never mistaken for it."""

    pid: int
    create_time: float
    name: str = ""
    exe: str = ""

    @property
    def who(self) -> str:
        return f"{self.name} (PID {self.pid})" if self.name else f"the program with PID {self.pid}"


class CloseOutcome(str, enum.Enum):
    CLOSED = "closed"
    STILL_RUNNING = "still_running"
    ALREADY_GONE = "already_gone"
    DENIED = "denied"
    PROTECTED = "protected"
    NOT_SAME = "not_same"  # no longer (or not surely) the program the user saw, yet not ended: left alone


@dataclass(frozen=True, slots=True)
class CloseResult:
    outcome: CloseOutcome
    message: str
    still_running: tuple[int, ...] = ()
    how_to_retry: str = ""


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
    zombie: bool = False

    @property
    def command(self) -> str:
        return shown(shlex.join(self.cmdline)) if self.cmdline else ""


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
    for attr in ("create_time", "name", "exe", "ppid", "uids", "username", "cmdline", "status"):
        try:
            values[attr] = getattr(proc, attr)()
        except psutil.ZombieProcess:
            zombie = True
        except psutil.NoSuchProcess:
            return None
        except (psutil.AccessDenied, OSError, AttributeError):  # AttributeError: uids() does not exist on Windows
            continue
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
        zombie=zombie or values.get("status") == psutil.STATUS_ZOMBIE,
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
    return Identity(pid, info.create_time, info.name, info.exe or "")


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
    if abs(info.create_time - identity.create_time) > 0.01:
        return Sameness.REUSED
    if identity.exe and info.exe and info.exe != identity.exe:
        return Sameness.CHANGED
    return Sameness.SAME


def not_same_message(identity: Identity, sameness: Sameness, info: ProcInfo | None = None) -> str:
    """What to tell the user when the process is no longer the one they saw."""
    who = identity.who
    if who.startswith("the "):
        who = "T" + who[1:]  # program names keep their own spelling; only our own words get a capital
    if sameness == Sameness.GONE:
        return f"{who} has already ended."
    if sameness == Sameness.REUSED:
        newcomer = f" ({info.name})" if info is not None and info.name else ""
        return f"{who} has ended; another program{newcomer} now has its number, so loopgui did not touch it."
    if sameness == Sameness.CHANGED:
        return (
            f"{who} has turned into another program since loopgui saw it, so loopgui did not "
            "touch it. Look at the table again and choose once more."
        )
    still = identity.name or "the same program"
    return f"loopgui cannot tell for sure that PID {identity.pid} is still {still}, so it will not close it."


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


def current_context(infos: Iterable[ProcInfo] | None = None, platform: str = sys.platform) -> ProtectionContext:
    """The protection facts of this computer now: loopgui's ancestors and the desktop session's programs."""
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
    return ProtectionContext(me, ancestors_of(me, parent_of), frozenset(session), as_admin, platform)


def _all_infos() -> list[ProcInfo]:
    out = []
    for proc in psutil.process_iter(["name", "exe", "ppid"]):
        d = proc.info
        out.append(ProcInfo(proc.pid, str(d.get("name") or ""), None, d.get("exe"), d.get("ppid")))
    return out


def protected_reason(
    info: ProcInfo, ctx: ProtectionContext, *, service: str = "", service_hint: str = ""
) -> str | None:
    """Why loopgui refuses to close this process, in plain words; None when it may.

    ``service`` names the system service the process is the main program of (a systemd unit of the system, a
    Windows service), with ``service_hint`` the proper way to stop it.
    """
    key = _platform_key(ctx.platform)
    pid, name = info.pid, info.name or f"PID {info.pid}"
    if pid == 0 or (pid == 1 and key != "win32") or (key == "win32" and pid == 4):
        return "It is the core of the operating system; closing it would stop the whole computer."
    if key == "linux" and (pid == 2 or info.ppid == 2) and not info.exe:
        return "It is part of the Linux kernel, not a program that can be closed."
    if pid == ctx.me:
        return "That is loopgui itself. Use Quit in the File menu instead."
    if ctx.ancestors and pid == ctx.ancestors[0]:
        return "That is the program that started loopgui; closing it would close loopgui too."
    if pid in ctx.ancestors:
        return (
            "loopgui was started through it (it is one of loopgui's parent programs); closing it would close "
            "loopgui too."
        )
    if named_by_its_file(info, lambda n: is_vital_name(n, ctx.platform)) and is_system_program(info, ctx.platform):
        purpose = VITAL_PURPOSE.get(info.name)
        why = f" ({purpose})" if purpose else ""
        return f"{name} is a vital part of the operating system{why}; closing it could crash or lock the computer."
    if pid in ctx.session:
        return (
            f"{name} carries your desktop session (the screen, your windows and your login); closing it would log "
            "you out or close every window."
        )
    if service and (info.ppid in (1, None) or key == "win32"):  # Windows names only a service's own process
        hint = f" {service_hint}" if service_hint else ""
        return f"{name} is the system service {service}, started by the system itself.{hint}"
    if ctx.as_admin and info.ppid == 1 and system_owner(info, ctx.platform) and is_system_program(info, ctx.platform):
        return (
            f"{name} is a background service of the system (it runs as a system account and was started with the "
            "computer); closing it could stop things the computer needs."
        )
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
