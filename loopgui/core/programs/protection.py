"""Which programs loopgui never closes, and why, as facts (the words are in :mod:`loopgui.core.words.close`).

A refusal is decided from evidence only: the process's number and parent, its program file and owner, the service
unit its control group names, when it started relative to the computer, and which process owns the display loopgui
draws on.  A name alone never protects (anyone can call a program "sshd"), and a parent of PID 1 alone never makes
a program a service of the system (an orphaned server, or every program when loopgui is the first process of a
namespace or container).
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from loopgui.core.programs.managers import Manager
from loopgui.core.programs.processes import (
    ProcInfo,
    ProtectionContext,
    _platform_key,
    is_system_program,
    is_vital_name,
    named_by_its_file,
    system_owner,
)

log = logging.getLogger("loopgui.protection")

BOOT_WINDOW = 300.0  # a program of the system started this many seconds after the computer at most "came with it"


class Guard(str, enum.Enum):
    """Why a process is protected (stable codes, see docs/JSON.md)."""

    KERNEL_CORE = "kernel_core"  # PID 0/1 (4 on Windows): the system itself
    KERNEL_THREAD = "kernel_thread"
    LOOPGUI_ITSELF = "loopgui_itself"
    LOOPGUI_PARENT = "loopgui_parent"
    LOOPGUI_ANCESTOR = "loopgui_ancestor"
    VITAL = "vital"  # a vital program of the system, by name *and* program file in a system folder
    DESKTOP_SESSION = "desktop_session"  # carries the desktop session, or started a program that does
    DISPLAY_SERVER = "display_server"  # owns the display loopgui draws on (DISPLAY / WAYLAND_DISPLAY), or Xwayland
    SYSTEM_SERVICE = "system_service"  # the main program of a service unit of the system (cgroup), or a Windows one
    BOOT_SERVICE = "boot_service"  # started by init with the computer, as a system account, from a system folder


@dataclass(frozen=True, slots=True)
class Protection:
    """A refusal with its evidence.  ``name`` the program's name (may be empty), ``service`` the unit or service
    and ``manager`` what manages it (with the proper way to stop it); ``seconds_after_boot`` and ``account`` back
    BOOT_SERVICE; ``display`` the display name (":1", "wayland-0") for DISPLAY_SERVER."""

    code: Guard
    pid: int
    name: str = ""
    service: str = ""
    manager: Manager | None = None
    seconds_after_boot: float | None = None
    account: str = ""
    display: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code.value,
            "pid": self.pid,
            "name": self.name or None,
            "service": self.service or None,
            "manager": self.manager.as_dict() if self.manager is not None else None,
            "seconds_after_boot": self.seconds_after_boot,
            "account": self.account or None,
            "display": self.display or None,
        }


# -- the decision ----------------------------------------------------------------------------------------------------


def protection(
    info: ProcInfo, ctx: ProtectionContext, *, service: str = "", manager: Manager | None = None
) -> Protection | None:
    """Why loopgui refuses to close this process (a fact with its evidence); None when it may.

    ``service`` names the system service the process is the main program of (a systemd unit of the system from its
    control group, a Windows service), with ``manager`` what manages it (its proper way to stop it).
    """
    key = _platform_key(ctx.platform)
    pid, name = info.pid, info.name

    def refuse(code: Guard, **evidence: object) -> Protection:
        return Protection(code, pid, name, **evidence)  # type: ignore[arg-type]

    if pid == 0 or (pid == 1 and key != "win32" and ctx.me != 1) or (key == "win32" and pid == 4):
        return refuse(Guard.KERNEL_CORE)
    if key == "linux" and (pid == 2 or info.ppid == 2) and not info.exe:
        return refuse(Guard.KERNEL_THREAD)
    if pid == ctx.me:
        return refuse(Guard.LOOPGUI_ITSELF)
    if ctx.ancestors and pid == ctx.ancestors[0]:
        return refuse(Guard.LOOPGUI_PARENT)
    if pid in ctx.ancestors:
        return refuse(Guard.LOOPGUI_ANCESTOR)
    if pid in ctx.display:
        return refuse(Guard.DISPLAY_SERVER, display=ctx.display[pid])
    if key == "linux" and named_by_its_file(info, lambda n: n == "Xwayland"):
        return refuse(Guard.DISPLAY_SERVER)
    if named_by_its_file(info, lambda n: is_vital_name(n, ctx.platform)) and is_system_program(info, ctx.platform):
        return refuse(Guard.VITAL)
    if pid in ctx.session:
        return refuse(Guard.DESKTOP_SESSION)
    started_by_init = info.ppid in (1, None) and ctx.me != 1  # loopgui as PID 1 starts programs, it is no init
    if service and (started_by_init or key == "win32"):  # Windows names only a service's own process
        return refuse(Guard.SYSTEM_SERVICE, service=service, manager=manager)
    if (
        ctx.as_admin
        and info.ppid == 1
        and ctx.me != 1
        and ctx.boot_time is not None
        and info.create_time is not None
        and 0 <= info.create_time - ctx.boot_time <= BOOT_WINDOW
        and system_owner(info, ctx.platform)
        and is_system_program(info, ctx.platform)
    ):
        return refuse(
            Guard.BOOT_SERVICE, seconds_after_boot=round(info.create_time - ctx.boot_time, 2), account=info.username
        )
    return None
