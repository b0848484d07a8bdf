"""Everything that changes the system: closing programs (and, through :mod:`loopgui.core.net.netclose`, one connection).

Nothing else in loopgui signals a process.  Every signal goes through one identity check: the PID, start time and
program file the user saw (carried with the table row from the scan) must still match the live process.  On Linux
the check is made through a pidfd (``os.pidfd_open``) and the signal sent through the same pidfd
(``signal.pidfd_send_signal``), so a PID handed to another program between check and signal cannot be hit.

The set of programs to close is worked out first (:func:`plan_close`) and shown to the user in full; closing
(:func:`close_plan`) then takes exactly that set, checking each member again.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import logging
import os
import select
import signal
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import psutil

from loopgui.core.programs import managers, processes
from loopgui.core.programs.managers import Manager
from loopgui.core.programs.processes import (
    GRACE_SECONDS,
    CloseOutcome,
    CloseResult,
    Identity,
    ProcInfo,
    ProtectionContext,
    Sameness,
    compare,
    current_context,
    not_same_message,
    protected_reason,
    read_info,
    retry_instructions,
)

log = logging.getLogger("loopgui.actions")

Reader = Callable[[int], ProcInfo | None]
MAX_FAMILY = 500  # a plan never lists more descendants than this (a fork bomb is not something to list)


@dataclass(frozen=True, slots=True)
class Member:
    """One program in the set to close, as it was when the plan was made."""

    identity: Identity
    command: str = ""
    parent: int | None = None

    @property
    def who(self) -> str:
        return self.identity.who


@dataclass(frozen=True, slots=True)
class Spared:
    """A program started by the target that loopgui will leave running, and why."""

    pid: int
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class ClosePlan:
    """Exactly what closing would touch: the program, every program it started (descendants, each checked), the
    ones that will be left running with the reason, and what manages the program."""

    target: Member
    descendants: tuple[Member, ...] = ()
    spared: tuple[Spared, ...] = ()
    manager: Manager | None = None

    def members(self, include_children: bool) -> tuple[Member, ...]:
        return (self.target, *self.descendants) if include_children else (self.target,)


def _children_map(infos: Iterable[ProcInfo]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for info in infos:
        if info.ppid is not None:
            out.setdefault(info.ppid, []).append(info.pid)
    return out


def _live_children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for proc in psutil.process_iter(["ppid"]):
        ppid = proc.info.get("ppid")
        if isinstance(ppid, int):
            out.setdefault(ppid, []).append(proc.pid)
    return out


SANDBOXED = (
    "loopgui runs in a sandbox that numbers programs differently from the list it can see, so it cannot be sure "
    "which program a number belongs to, and it closes none. Close the program from where it was started instead."
)


def plan_close(
    identity: Identity,
    *,
    reader: Reader = read_info,
    children: Callable[[], dict[int, list[int]]] = _live_children,
    context: Callable[[], ProtectionContext] = current_context,
    manager_of: Callable[[ProcInfo], Manager | None] | None = None,
) -> ClosePlan | CloseResult:
    """Check ``identity`` against the live process and work out everything closing it would touch.

    Returns a :class:`CloseResult` instead when loopgui will not close it: it is no longer the program the user
    saw, or it is protected (the reason in plain words).
    """
    if identity.pid <= 0 or not processes.pid_numbers_match():
        return CloseResult(
            CloseOutcome.NOT_SAME, SANDBOXED if identity.pid > 0 else not_same_message(identity, Sameness.UNKNOWN)
        )
    info = reader(identity.pid)
    sameness = compare(identity, info)
    if sameness != Sameness.SAME or info is None:
        outcome = CloseOutcome.ALREADY_GONE if sameness in (Sameness.GONE, Sameness.REUSED) else CloseOutcome.NOT_SAME
        return CloseResult(outcome, not_same_message(identity, sameness, info))
    detect = manager_of or _detect_manager
    manager = detect(info)
    ctx = context()
    service = manager.name if manager is not None and manager.system_service else ""
    reason = protected_reason(info, ctx, service=service, service_hint=manager.instead if manager else "")
    if reason is not None:
        return CloseResult(CloseOutcome.PROTECTED, f"loopgui will not close {info.name or identity.who}. {reason}")
    kids = children()
    target = Member(Identity(info.pid, identity.create_time, info.name or identity.name, identity.exe), info.command)
    descendants: list[Member] = []
    spared: list[Spared] = []
    queue = [(c, info.pid) for c in sorted(kids.get(info.pid, ()))]
    seen = {info.pid}
    while queue and len(descendants) + len(spared) < MAX_FAMILY:
        pid, parent = queue.pop(0)
        if pid in seen:
            continue
        seen.add(pid)
        child = reader(pid)
        if child is None or child.zombie:
            continue  # already ended
        if child.ppid != parent:
            continue  # the listed child ended and its number went to another program (or it moved): not family
        queue.extend((c, pid) for c in sorted(kids.get(pid, ())))
        name = child.name or f"PID {pid}"
        if child.create_time is None:
            spared.append(Spared(pid, name, "its details are hidden, so loopgui cannot be sure which program it is"))
            continue
        why = protected_reason(child, ctx)
        if why is not None:
            spared.append(Spared(pid, name, why))
            continue
        descendants.append(
            Member(Identity(pid, child.create_time, child.name, child.exe or ""), child.command, parent=parent)
        )
    return ClosePlan(target, tuple(descendants), tuple(spared), manager)


def _detect_manager(info: ProcInfo) -> Manager | None:
    try:
        return managers.detect(info.pid, info.name, info.cmdline, uid=info.uid)
    except Exception as exc:  # naming the manager is a courtesy; it must never stop the closing
        log.debug("cannot tell what manages %s: %s", info.pid, exc)
        return None


# -- signalling through one identity check --------------------------------------------------------------------------


class Signalled(str, enum.Enum):
    SENT = "sent"
    GONE = "gone"
    REUSED = "reused"
    CHANGED = "changed"
    UNKNOWN = "unknown"
    DENIED = "denied"


_SAMENESS_TO_SIGNALLED = {
    Sameness.GONE: Signalled.GONE,
    Sameness.REUSED: Signalled.REUSED,
    Sameness.CHANGED: Signalled.CHANGED,
    Sameness.UNKNOWN: Signalled.UNKNOWN,
}


def pidfd_available() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "pidfd_open") and hasattr(signal, "pidfd_send_signal")


@dataclass
class Handle:
    """A verified process: a pidfd on Linux (the signal cannot reach another process), else the PID."""

    identity: Identity
    fd: int | None = None
    via_pidfd: bool = False

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None


def open_verified(identity: Identity, reader: Reader = read_info) -> tuple[Signalled, Handle | None]:
    """Open a handle on the process and check, through it, that it is the one ``identity`` names."""
    fd: int | None = None
    if identity.pid <= 0:  # kill(0) and kill(-n) signal whole process groups, kill(-1) every process there is
        return Signalled.UNKNOWN, None
    if pidfd_available():
        try:
            fd = os.pidfd_open(identity.pid)
        except ProcessLookupError:
            return Signalled.GONE, None
        except OSError as exc:
            if exc.errno not in (errno.ENOSYS, errno.EPERM):  # EINVAL: a thread, not a program; never signal it
                log.debug("pidfd_open(%s) refused: %s", identity.pid, exc)
                return Signalled.UNKNOWN, None
            log.debug("pidfd_open(%s) failed: %s", identity.pid, exc)  # old kernel or a sandbox: use the PID
            fd = None
    if fd is not None:
        # The pidfd must name the very process that /proc (where the check below reads) shows under this number.
        # They differ when loopgui runs in a PID namespace of its own but sees another namespace's /proc: the same
        # number then means two different programs, and the check would vouch for one while the signal hit the other.
        seen = pidfd_pid(fd)
        if seen != identity.pid and (seen is not None or not processes.pid_numbers_match()):
            os.close(fd)
            return (Signalled.GONE if seen == -1 else Signalled.UNKNOWN), None
    elif not processes.pid_numbers_match():
        return Signalled.UNKNOWN, None
    # The check comes after the handle is open: if the PID was handed on before pidfd_open, the check sees the
    # newcomer and refuses; if it is handed on after, the pidfd still names the original (now ended) process.
    info = reader(identity.pid)
    sameness = compare(identity, info)
    if sameness != Sameness.SAME:
        if fd is not None:
            os.close(fd)
        return _SAMENESS_TO_SIGNALLED[sameness], None
    return Signalled.SENT, Handle(identity, fd, fd is not None)


def pidfd_pid(fd: int) -> int | None:
    """The number of the process a pidfd names, as this /proc numbers it (the ``Pid:`` line of its fdinfo): -1 once
    it has ended, 0 when this /proc cannot see it; None when the kernel does not say."""
    try:
        with open(f"/proc/self/fdinfo/{fd}", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Pid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError) as exc:
        log.debug("cannot read the fdinfo of a pidfd: %s", exc)
        return None
    return None


def send(handle: Handle, sig: int) -> Signalled:
    """Send ``sig`` through the verified handle."""
    try:
        if handle.fd is not None:
            signal.pidfd_send_signal(handle.fd, sig)
        else:
            _send_by_pid(handle.identity, sig)
    except ProcessLookupError:
        return Signalled.GONE
    except PermissionError:
        return Signalled.DENIED
    except psutil.AccessDenied:
        return Signalled.DENIED
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return Signalled.GONE
    return Signalled.SENT


def _send_by_pid(identity: Identity, sig: int) -> None:
    """Where there is no pidfd (Windows, macOS, old Linux): psutil checks the start time once more itself."""
    proc = psutil.Process(identity.pid)
    if abs(proc.create_time() - identity.create_time) > 0.01:
        raise psutil.NoSuchProcess(identity.pid)
    if sys.platform == "win32":
        proc.kill() if sig == _KILL else proc.terminate()
    else:
        proc.send_signal(sig)


_TERM = int(getattr(signal, "SIGTERM", 15))
_KILL = int(getattr(signal, "SIGKILL", 9))


def _readable(fds: list[int], timeout: float) -> bool:
    """Wait up to ``timeout`` seconds until one of the pidfds is readable (its process ended).  poll, not select:
    select cannot take a descriptor numbered 1024 or more, and a loopgui with many files open gets such pidfds."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    return bool(poller.poll(int(timeout * 1000)))


def ended(handle: Handle, reader: Reader = read_info) -> Sameness:
    """GONE or REUSED once the process has ended (a zombie counts as ended); SAME while it runs."""
    if handle.fd is not None:
        if not _readable([handle.fd], 0.0):
            return Sameness.SAME
        info = reader(handle.identity.pid)
        return Sameness.REUSED if compare(handle.identity, info) == Sameness.REUSED else Sameness.GONE
    info = reader(handle.identity.pid)
    result = compare(handle.identity, info)
    return Sameness.SAME if result in (Sameness.SAME, Sameness.CHANGED, Sameness.UNKNOWN) else result


@dataclass(frozen=True, slots=True)
class MemberOutcome:
    member: Member
    state: str  # "closed", "reused" (ended; another program has the number), "gone" (ended before), "denied",
    # "changed" (became another program: left alone), "running"


def close_plan(
    plan: ClosePlan,
    *,
    include_children: bool = False,
    force: bool = False,
    wait: float = GRACE_SECONDS,
    progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    reader: Reader = read_info,
) -> CloseResult:
    """Ask each program of the plan to close (SIGTERM / terminate), or force it (SIGKILL / kill), and wait.

    Takes exactly the plan's members (the target, and its listed descendants when ``include_children``), each
    checked again against its identity right before its signal.  Children are signalled first so that a parent
    does not start them again.
    """
    members = plan.members(include_children)
    sig = _KILL if force else _TERM
    outcomes: dict[int, str] = {}
    handles: list[Handle] = []
    if len(members) > 1 and not _may_signal(plan.target.identity, reader):
        # Children go first; when the program itself may not be closed, closing them alone would leave it
        # half-closed (and the result would speak of it alone).  Touch nothing.
        target = plan.target.identity
        return CloseResult(
            CloseOutcome.DENIED,
            f"{target.name or target.who} belongs to another user or to the system, so loopgui may not close it. "
            "Nothing was closed, not even the programs it started.",
            still_running=(target.pid,),
            how_to_retry=retry_instructions(target.pid, force=force),
        )
    try:
        for member in reversed(members):
            status, handle = open_verified(member.identity, reader)
            if handle is None:
                outcomes[member.identity.pid] = {
                    Signalled.GONE: "gone",
                    Signalled.REUSED: "reused",
                    Signalled.CHANGED: "changed",
                }.get(status, "unknown")
                continue
            sent = send(handle, sig)
            if sent == Signalled.SENT:
                handles.append(handle)
                outcomes[member.identity.pid] = "running"
            else:
                handle.close()
                outcomes[member.identity.pid] = "denied" if sent == Signalled.DENIED else "gone"
        started = time.monotonic()
        pending = list(handles)
        while pending:
            still: list[Handle] = []
            for h in pending:
                state = ended(h, reader)
                if state == Sameness.SAME:
                    still.append(h)
                else:
                    outcomes[h.identity.pid] = "reused" if state == Sameness.REUSED else "closed"
            pending = still
            waited = time.monotonic() - started
            if progress is not None:
                progress(waited)
            if not pending or waited >= wait or (should_stop is not None and should_stop()):
                break
            fds = [h.fd for h in pending if h.fd is not None]
            timeout = min(0.25, max(0.01, wait - waited))
            if fds and len(fds) == len(pending):
                _readable(fds, timeout)
            else:
                time.sleep(min(timeout, 0.05))
    finally:
        for h in handles:
            h.close()
    return _summarise(plan, members, outcomes, force, wait)


def _may_signal(identity: Identity, reader: Reader) -> bool:
    """Whether the system lets loopgui signal this process (signal 0 checks the right and sends nothing).  True
    when it cannot be asked (Windows has no signal 0) or the process is no longer the one named."""
    if sys.platform == "win32":
        return True
    _status, handle = open_verified(identity, reader)
    if handle is None:
        return True
    try:
        return send(handle, 0) != Signalled.DENIED
    finally:
        handle.close()


def _summarise(
    plan: ClosePlan, members: tuple[Member, ...], outcomes: dict[int, str], force: bool, wait: float
) -> CloseResult:
    target = plan.target
    who = target.who
    state = outcomes.get(target.identity.pid, "running")
    others = [m for m in members if m is not target]
    notes: list[str] = []
    if state == "denied":
        return CloseResult(
            CloseOutcome.DENIED,
            f"{target.identity.name or who} belongs to another user or to the system, so loopgui may not close it.",
            still_running=(target.identity.pid,),
            how_to_retry=retry_instructions(target.identity.pid, force=force),
        )
    if state in ("gone", "changed", "unknown") and not any(
        outcomes.get(m.identity.pid) in ("closed", "reused") for m in others
    ):
        if state == "gone":
            return CloseResult(CloseOutcome.ALREADY_GONE, not_same_message(target.identity, Sameness.GONE))
        sameness = Sameness.CHANGED if state == "changed" else Sameness.UNKNOWN
        return CloseResult(CloseOutcome.NOT_SAME, not_same_message(target.identity, sameness))
    closed_children = [m for m in others if outcomes.get(m.identity.pid) in ("closed", "reused", "gone")]
    running = [m for m in members if outcomes.get(m.identity.pid) == "running"]
    denied = [m for m in others if outcomes.get(m.identity.pid) == "denied"]
    changed = [m for m in others if outcomes.get(m.identity.pid) in ("changed", "unknown")]
    reused = [m for m in others if outcomes.get(m.identity.pid) == "reused"]
    for m in reused:
        notes.append(f"{m.who} ended; another program now has its number.")
    if denied:
        notes.append("Still running (loopgui was not allowed to close them): " + ", ".join(m.who for m in denied) + ".")
    if changed:
        notes.append(
            "Left alone (they had turned into other programs, or loopgui could not be sure which programs they "
            "were): " + ", ".join(m.who for m in changed) + "."
        )
    if plan.spared and len(members) > 1:
        notes.append("Left running on purpose: " + ", ".join(f"{s.name} (PID {s.pid})" for s in plan.spared) + ".")
    if running:
        head = (
            f"{who} did not close within {wait:g} seconds."
            if target in running and not force
            else f"{who} is still running."
            if target in running
            else f"{who} closed, but not everything it started did."
        )
        if target not in running:
            notes.insert(0, "Still running: " + ", ".join(m.who for m in running) + ".")
        return CloseResult(
            CloseOutcome.STILL_RUNNING,
            " ".join([head, *notes]),
            still_running=tuple(m.identity.pid for m in running),
        )
    extra = f" and {len(closed_children)} program(s) it started" if closed_children else ""
    if state == "reused":
        head = f"{who} ended; another program now has its number." + (
            f" {len(closed_children)} program(s) it started closed too." if closed_children else ""
        )
    elif state == "gone":
        head = f"{who} had already ended; {len(closed_children)} program(s) it started closed."
    else:
        head = f"{who}{extra} closed."
    return CloseResult(CloseOutcome.CLOSED, " ".join([head, *notes]))


def close_program(
    identity: Identity,
    *,
    include_children: bool = False,
    force: bool = False,
    wait: float = GRACE_SECONDS,
    progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    reader: Reader = read_info,
) -> CloseResult:
    """Plan and close in one step (for callers that showed the plan already, or need no children)."""
    plan = plan_close(identity, reader=reader)
    if isinstance(plan, CloseResult):
        return plan
    return close_plan(
        plan,
        include_children=include_children,
        force=force,
        wait=wait,
        progress=progress,
        should_stop=should_stop,
        reader=reader,
    )
