"""Everything that changes the system: closing programs (and, through :mod:`loopgui.core.net.netclose`, one connection).

Nothing else in loopgui signals a process.  Every signal goes through one identity check: the PID, start time and
program file the user saw (carried with the table row from the scan) must still match the live process.  On Linux
the check is made through a pidfd (``os.pidfd_open``) and the signal sent through the same pidfd
(``signal.pidfd_send_signal``), so a PID handed to another program between check and signal cannot be hit.

The set of programs to close is worked out first (:func:`plan_close`) and shown to the user in full; closing
(:func:`close_plan`) then takes exactly that set, checking each member again.  On Linux the plan opens a pidfd on
every member when it is made (when the confirmation opens) and keeps it until the signal or :func:`release`: a
process that ends while the question is open is seen as ended (its pidfd turns readable), and a program that gets
its number afterwards cannot be signalled through it, whatever its start time and program file.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import logging
import os
import select
import shlex
import shutil
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import psutil

from loopgui.core.net.sockets import SocketRow
from loopgui.core.programs import managers, processes
from loopgui.core.programs.managers import Manager
from loopgui.core.programs.processes import (
    ENDED_CODES,
    GRACE_SECONDS,
    RUNNING_CODES,
    CloseOutcome,
    CloseResult,
    Identity,
    MemberCode,
    MemberResult,
    ProcInfo,
    ProtectionContext,
    Sameness,
    compare,
    current_context,
    read_info,
    started_text,
)
from loopgui.core.programs.protection import Protection, protection

log = logging.getLogger("loopgui.actions")

Reader = Callable[[int], ProcInfo | None]
MAX_FAMILY = 500  # a plan never lists more descendants than this (a fork bomb is not something to list)


@dataclass(frozen=True, slots=True)
class Member:
    """One program in the set to close, as it was when the plan was made."""

    identity: Identity
    command: str = ""
    parent: int | None = None


@dataclass(frozen=True, slots=True)
class Spared:
    """A program started by the target that loopgui will leave running, and why (``protection`` None: its details
    are hidden, so loopgui cannot be sure which program it is)."""

    pid: int
    name: str
    protection: Protection | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "pid": self.pid,
            "name": self.name or None,
            "protection": self.protection.as_dict() if self.protection is not None else None,
        }


class Hold:
    """The pidfds a plan opened when it was made, by PID; closed by :func:`release` (or when garbage-collected)."""

    def __init__(self) -> None:
        self.handles: dict[int, Handle] = {}

    def take(self, pid: int) -> Handle | None:
        return self.handles.pop(pid, None)

    def release(self) -> None:
        for handle in self.handles.values():
            handle.close()
        self.handles.clear()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.release()


@dataclass(frozen=True, slots=True)
class ClosePlan:
    """Exactly what closing would touch: the program, every program it started (descendants, each checked), the
    ones that will be left running with the reason, and what manages the program."""

    target: Member
    descendants: tuple[Member, ...] = ()
    spared: tuple[Spared, ...] = ()
    manager: Manager | None = None
    hold: Hold = field(default_factory=Hold, compare=False, repr=False)
    parent: int | None = None  # the target's parent when planned
    ports: tuple[tuple[str, int], ...] | None = None  # (protocol, port) it and its members listen on; None: unreadable
    as_admin: bool = False  # loopgui runs with administrator rights
    other_user: str = ""  # the account the target runs as, when it is not loopgui's own (as administrator)

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


def _listening_ports(pids: Iterable[int]) -> tuple[tuple[str, int], ...] | None:
    """(protocol, port) of the listening sockets these processes hold now; None when they cannot be read."""
    found: set[tuple[str, int]] = set()
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            if proc.status() == psutil.STATUS_ZOMBIE and proc.num_threads() > 1:
                # Its first thread has ended: its descriptors are read through a thread that still runs.
                proc = psutil.Process(next(t.id for t in proc.threads() if t.id != pid))
            conns = proc.net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.ZombieProcess, StopIteration):
            continue
        except (psutil.AccessDenied, OSError) as exc:
            log.debug("cannot read the sockets of %s: %s", pid, exc)
            return None
        for c in conns:
            if not c.laddr:
                continue
            if c.type == socket.SOCK_STREAM and c.status == psutil.CONN_LISTEN:
                found.add(("TCP", int(c.laddr.port)))
            elif c.type == socket.SOCK_DGRAM and not c.raddr:
                found.add(("UDP", int(c.laddr.port)))
    return tuple(sorted(found))


def _refused(identity: Identity, status: Signalled, info: ProcInfo | None) -> CloseResult:
    sameness = {
        Signalled.GONE: Sameness.GONE,
        Signalled.REUSED: Sameness.REUSED,
        Signalled.CHANGED: Sameness.CHANGED,
    }.get(status, Sameness.UNKNOWN)
    outcome = CloseOutcome.ALREADY_GONE if sameness in (Sameness.GONE, Sameness.REUSED) else CloseOutcome.NOT_SAME
    newcomer = info.name if sameness == Sameness.REUSED and info is not None else ""
    return CloseResult(outcome, identity, sameness=sameness, newcomer=newcomer)


def plan_close(
    identity: Identity,
    *,
    reader: Reader = read_info,
    children: Callable[[], dict[int, list[int]]] = _live_children,
    context: Callable[[], ProtectionContext] = current_context,
    manager_of: Callable[[ProcInfo], Manager | None] | None = None,
    ports_of: Callable[[Iterable[int]], tuple[tuple[str, int], ...] | None] = _listening_ports,
    pidfds: bool = True,
) -> ClosePlan | CloseResult:
    """Check ``identity`` against the live process and work out everything closing it would touch.

    Opens (and keeps, in ``plan.hold``) a pidfd on the program and each program it started: call :func:`release`
    when the user cancels; :func:`close_plan` releases them itself.  Returns a :class:`CloseResult` instead when
    loopgui will not close it: it is no longer the program the user saw, or it is protected.  ``pidfds=False``
    checks with ``reader`` alone (made-up process facts in tests; the signal still re-checks the live process).
    """

    def verify(ident: Identity) -> tuple[Signalled, Handle | None]:
        if pidfds:
            return open_verified(ident, reader)
        same = compare(ident, reader(ident.pid))
        return (Signalled.SENT, Handle(ident)) if same == Sameness.SAME else (_SAMENESS_TO_SIGNALLED[same], None)

    if identity.pid <= 0:
        return CloseResult(CloseOutcome.NOT_SAME, identity, sameness=Sameness.UNKNOWN)
    if not processes.pid_numbers_match():
        return CloseResult(CloseOutcome.NOT_SAME, identity, sameness=Sameness.UNKNOWN, sandboxed=True)
    hold = Hold()
    status, handle = verify(identity)
    info = reader(identity.pid)
    if handle is None or info is None:
        return _refused(identity, status if handle is None else Signalled.GONE, info)
    hold.handles[identity.pid] = handle
    detect = manager_of or _detect_manager
    manager = detect(info)
    ctx = context()
    service = manager.name if manager is not None and manager.system_service else ""
    found = protection(info, ctx, service=service, manager=manager)
    if found is not None:
        hold.release()
        return CloseResult(CloseOutcome.PROTECTED, identity, protection=found)
    kids = children()
    target = Member(
        Identity(
            info.pid, identity.create_time, info.name or identity.name, identity.exe, identity.exe_id or info.exe_id
        ),
        info.command,
    )
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
        name = child.name
        if child.create_time is None:
            spared.append(Spared(pid, name, None))
            continue
        why = protection(child, ctx)
        if why is not None:
            spared.append(Spared(pid, name, why))
            continue
        member_id = Identity(pid, child.create_time, child.name, child.exe or "", child.exe_id)
        _status, child_handle = verify(member_id)
        if child_handle is None:
            continue  # it ended (or changed) in the meantime: not part of what closing touches
        hold.handles[pid] = child_handle
        descendants.append(Member(member_id, child.command, parent=parent))
    me = os.getuid() if hasattr(os, "getuid") else None
    other_user = info.username if ctx.as_admin and info.uid is not None and info.uid != me else ""
    return ClosePlan(
        target,
        tuple(descendants),
        tuple(spared),
        manager,
        hold=hold,
        parent=info.ppid,
        ports=ports_of([target.identity.pid, *(m.identity.pid for m in descendants)]),
        as_admin=ctx.as_admin,
        other_user=other_user,
    )


def release(plan: ClosePlan) -> None:
    """The user cancelled: close the pidfds the plan holds."""
    plan.hold.release()


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


def loopgui_command() -> tuple[str, ...]:
    """How this very loopgui is started from a terminal, by absolute path (for the command shown to a person)."""
    if getattr(sys, "frozen", False):
        return (os.path.abspath(sys.executable),)
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 and os.path.basename(argv0).startswith("loopgui") and os.path.isfile(argv0):
        return (os.path.abspath(argv0),)
    found = shutil.which("loopgui")
    if found:
        return (os.path.abspath(found),)
    return (os.path.abspath(sys.executable), "-m", "loopgui")


def retry_command(
    identity: Identity, *, children: bool = False, force: bool = False, platform: str = sys.platform
) -> str:
    """The command that closes exactly this program with administrator rights: this verb with the identity it must
    find again (never a bare ``kill N``, which checks nothing)."""
    args = [*loopgui_command(), "close", "--pid", str(identity.pid), "--started", started_text(identity.create_time)]
    if children:
        args.append("--children")
    if force:
        args += ["--force-after", "0"]
    if platform == "win32":
        return " ".join(f'"{a}"' if " " in a else a for a in args)
    return shlex.join(["sudo", *args])


def close_plan(
    plan: ClosePlan,
    *,
    include_children: bool = False,
    force: bool = False,
    wait: float = GRACE_SECONDS,
    progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    reader: Reader = read_info,
    signalled_before: Iterable[int] = (),
) -> CloseResult:
    """Ask each program of the plan to close (SIGTERM / terminate), or force it (SIGKILL / kill), and wait.

    ``signalled_before``: the PIDs an earlier round of this closing already signalled (the force after a polite
    ask): one that has ended since was closed by loopgui, not "ended on its own".

    Takes exactly the plan's members (the target, and its listed descendants when ``include_children``), each
    checked again against its identity right before its signal, through the pidfd the plan opened.  Children are
    signalled first so that a parent does not start them again.  Says per process exactly what happened.
    """
    members = plan.members(include_children)
    sig = _KILL if force else _TERM
    codes: dict[int, MemberCode] = {}
    threads: set[int] = set()
    handles: list[Handle] = []
    target = plan.target.identity
    started_at = time.time()
    waited = 0.0
    try:
        held = {m.identity.pid: plan.hold.take(m.identity.pid) for m in members}
        # Ended before loopgui did anything: by itself (a child: exited on its own), not closed by loopgui.
        for m in members:
            h = held.get(m.identity.pid)
            if h is not None and h.fd is not None and _readable([h.fd], 0.0):
                codes[m.identity.pid] = MemberCode.ENDED_BEFORE_SIGNAL
                h.close()
                held[m.identity.pid] = None
        if len(members) > 1 and target.pid not in codes and not _may_signal(target, held.get(target.pid), reader):
            # Children go first; when the program itself may not be closed, closing them alone would leave it
            # half-closed.  Touch nothing.
            return CloseResult(
                CloseOutcome.DENIED,
                target,
                tuple(
                    MemberResult(codes.get(m.identity.pid, MemberCode.DENIED), m.identity, m is plan.target)
                    for m in members
                ),
                force=force,
                spared=plan.spared,
                retry_commands=(retry_command(target, children=True, force=force),),
                as_admin=plan.as_admin,
            )
        signalled_children = False
        for member in reversed(members):
            pid = member.identity.pid
            if pid in codes:
                continue
            handle = held.get(pid)
            is_target = member is plan.target
            if handle is not None and handle.fd is not None:
                if _readable([handle.fd], 0.0):
                    handle.close()
                    codes[pid] = (
                        MemberCode.ENDED_AFTER_CHILDREN
                        if is_target and signalled_children
                        else MemberCode.ENDED_BEFORE_SIGNAL
                    )
                    continue
                info = reader(pid)
                sameness = compare(member.identity, info)
                if sameness in (Sameness.CHANGED, Sameness.UNKNOWN):
                    handle.close()
                    codes[pid] = MemberCode.CHANGED if sameness == Sameness.CHANGED else MemberCode.UNKNOWN
                    continue
                if info is not None and info.main_thread_exited:
                    threads.add(pid)
            else:
                if handle is not None:
                    handle.close()
                status, handle = open_verified(member.identity, reader)
                if handle is None:
                    codes[pid] = {
                        Signalled.GONE: MemberCode.ENDED_BEFORE_SIGNAL,
                        Signalled.REUSED: MemberCode.NUMBER_REUSED,
                        Signalled.CHANGED: MemberCode.CHANGED,
                    }.get(status, MemberCode.UNKNOWN)
                    if is_target and signalled_children and codes[pid] == MemberCode.ENDED_BEFORE_SIGNAL:
                        codes[pid] = MemberCode.ENDED_AFTER_CHILDREN
                    continue
            sent = send(handle, sig)
            if sent == Signalled.SENT:
                handles.append(handle)
                codes[pid] = MemberCode.STILL_RUNNING
                signalled_children = signalled_children or not is_target
            else:
                handle.close()
                if sent == Signalled.DENIED:
                    codes[pid] = MemberCode.DENIED
                else:
                    codes[pid] = (
                        MemberCode.ENDED_AFTER_CHILDREN
                        if is_target and signalled_children
                        else MemberCode.ENDED_BEFORE_SIGNAL
                    )
        started = time.monotonic()
        pending = list(handles)
        stopped = False
        while pending:
            still: list[Handle] = []
            for h in pending:
                state = ended(h, reader)
                if state == Sameness.SAME:
                    still.append(h)
                else:
                    codes[h.identity.pid] = MemberCode.CLOSED
            pending = still
            waited = time.monotonic() - started
            if progress is not None:
                progress(waited)
            if not pending or waited >= wait:
                break
            if should_stop is not None and should_stop():
                stopped = True
                break
            fds = [h.fd for h in pending if h.fd is not None]
            timeout = min(0.25, max(0.01, wait - waited))
            if fds and len(fds) == len(pending):
                _readable(fds, timeout)
            else:
                time.sleep(min(timeout, 0.05))
        for h in pending:
            codes[h.identity.pid] = MemberCode.STOPPED_WAITING if stopped else MemberCode.STILL_RUNNING
            info = reader(h.identity.pid)
            if info is not None and info.main_thread_exited:
                threads.add(h.identity.pid)
    finally:
        for h in handles:
            h.close()
        plan.hold.release()
    earlier = set(signalled_before)
    for pid in earlier:
        if codes.get(pid) in (
            MemberCode.ENDED_BEFORE_SIGNAL,
            MemberCode.ENDED_AFTER_CHILDREN,
            MemberCode.NUMBER_REUSED,
        ):
            codes[pid] = MemberCode.CLOSED
    results = tuple(
        MemberResult(
            codes.get(m.identity.pid, MemberCode.UNKNOWN),
            m.identity,
            m is plan.target,
            m.identity.pid in threads and codes.get(m.identity.pid) in RUNNING_CODES,
        )
        for m in members
    )
    return _summarise(plan, results, force, wait, waited, started_at)


def _may_signal(identity: Identity, handle: Handle | None, reader: Reader) -> bool:
    """Whether the system lets loopgui signal this process (signal 0 checks the right and sends nothing).  True
    when it cannot be asked (Windows has no signal 0) or the process is no longer the one named."""
    if sys.platform == "win32":
        return True
    if handle is not None:
        return send(handle, 0) != Signalled.DENIED
    _status, opened = open_verified(identity, reader)
    if opened is None:
        return True
    try:
        return send(opened, 0) != Signalled.DENIED
    finally:
        opened.close()


def _summarise(
    plan: ClosePlan, results: tuple[MemberResult, ...], force: bool, grace: float, waited: float, started_at: float
) -> CloseResult:
    target = plan.target.identity
    mine = results[0] if results and results[0].is_target else next(r for r in results if r.is_target)
    others = [r for r in results if not r.is_target]
    common = {
        "force": force,
        "waited": waited,
        "grace": grace,
        "spared": plan.spared,
        "as_admin": plan.as_admin,
        "started_at": started_at,
    }
    code = mine.code
    if code == MemberCode.DENIED:
        return CloseResult(
            CloseOutcome.DENIED,
            target,
            results,
            retry_commands=(retry_command(target, children=len(results) > 1, force=force),),
            **common,  # type: ignore[arg-type]
        )
    closed_others = [r for r in others if r.code == MemberCode.CLOSED]
    running_others = [r for r in others if r.code in RUNNING_CODES]
    retry = tuple(retry_command(r.identity, force=force) for r in others if r.code == MemberCode.DENIED)
    if code in (MemberCode.STILL_RUNNING, MemberCode.STOPPED_WAITING):
        outcome = CloseOutcome.STOPPED_WAITING if code == MemberCode.STOPPED_WAITING else CloseOutcome.STILL_RUNNING
        return CloseResult(outcome, target, results, retry_commands=retry, **common)  # type: ignore[arg-type]
    if code in (MemberCode.CHANGED, MemberCode.UNKNOWN) and not closed_others:
        sameness = Sameness.CHANGED if code == MemberCode.CHANGED else Sameness.UNKNOWN
        return CloseResult(CloseOutcome.NOT_SAME, target, results, sameness=sameness, **common)  # type: ignore[arg-type]
    if code in (MemberCode.ENDED_BEFORE_SIGNAL, MemberCode.NUMBER_REUSED) and not closed_others:
        return CloseResult(CloseOutcome.ENDED_BY_ITSELF, target, results, **common)  # type: ignore[arg-type]
    if running_others:
        return CloseResult(CloseOutcome.PARTLY_CLOSED, target, results, retry_commands=retry, **common)  # type: ignore[arg-type]
    if code in ENDED_CODES or closed_others:
        return CloseResult(CloseOutcome.CLOSED, target, results, **common)  # type: ignore[arg-type]
    return CloseResult(CloseOutcome.NOT_SAME, target, results, sameness=Sameness.UNKNOWN, **common)  # type: ignore[arg-type]


def signalled_pids(result: CloseResult) -> tuple[int, ...]:
    """The PIDs this result's round signalled (for the next round's ``signalled_before``)."""
    sent = {MemberCode.CLOSED, MemberCode.STILL_RUNNING, MemberCode.STOPPED_WAITING}
    return tuple(m.identity.pid for m in result.members if m.code in sent)


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


# -- what became of the ports it held ---------------------------------------------------------------------------------


class PortAfter(str, enum.Enum):
    """What holds a port of the closed program after it is confirmed gone (stable codes, see docs/JSON.md)."""

    FREE = "free"
    RESTARTED_BY_MANAGER = "restarted_by_manager"  # the same program, brought back by its manager (unit, container,
    # or parent), holds it again
    HELD_BY_LEFT_RUNNING = "held_by_left_running"  # a program of the plan that was not closed still holds it
    OTHER_PROGRAM = "other_program"  # another program holds it (``holder`` None: hidden, another user's)
    UNKNOWN = "unknown"  # the closed program's sockets or the new scan could not be read


@dataclass(frozen=True, slots=True)
class PortCheck:
    """One port the closed program listened on, and who holds it now.  ``via`` names how the same program came
    back: a manager kind ("systemd", "docker", …) with ``via_name`` its unit or container, or "parent" with
    ``via_name`` the parent's name and ``via_pid`` its PID."""

    code: PortAfter
    proto: str = ""
    port: int = 0
    holder: Identity | None = None
    via: str = ""
    via_name: str = ""
    via_pid: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code.value,
            "protocol": self.proto or None,
            "port": self.port or None,
            "holder": self.holder.as_dict() if self.holder is not None else None,
            "via": self.via or None,
            "via_name": self.via_name or None,
            "via_pid": self.via_pid,
        }


def target_confirmed_gone(result: CloseResult) -> bool:
    """The program has ended for sure (its pidfd turned readable, or the system no longer lists it)."""
    if result.target is None:
        return False
    mine = result.member(result.target.pid)
    return mine is not None and mine.code in ENDED_CODES


def check_ports(
    plan: ClosePlan,
    result: CloseResult,
    rows: Iterable[SocketRow] | None,
    *,
    reader: Reader = read_info,
    manager_of: Callable[[ProcInfo], Manager | None] | None = None,
) -> tuple[PortCheck, ...]:
    """Who holds the closed program's own listening ports now, from ``rows`` (a scan taken after the program was
    confirmed gone).  "Restarted" only when a new process of the same program file was started after the closing
    began by the same manager (service unit, container) or the same parent: never by name."""
    if plan.ports is None or rows is None:
        return (PortCheck(PortAfter.UNKNOWN),)
    detect = manager_of or _detect_manager
    members = {m.identity.pid: m.identity for m in (plan.target, *plan.descendants)}
    spared = {s.pid for s in plan.spared}
    by_port: dict[tuple[str, int], list[SocketRow]] = {}
    for row in rows:
        if row.is_listening and (row.proto, row.local_port) in plan.ports:
            by_port.setdefault((row.proto, row.local_port), []).append(row)
    out: list[PortCheck] = []
    target = plan.target.identity
    for proto, port in plan.ports:
        holders = by_port.get((proto, port), [])
        if not holders:
            out.append(PortCheck(PortAfter.FREE, proto, port))
            continue
        row = sorted(holders, key=lambda r: (r.pid is None, r.pid or 0))[0]
        if row.pid is None:
            out.append(PortCheck(PortAfter.OTHER_PROGRAM, proto, port))
            continue
        known = members.get(row.pid)
        if (
            known is not None
            and row.owner_start is not None
            and processes.same_start(row.owner_start, known.create_time)
        ):
            out.append(PortCheck(PortAfter.HELD_BY_LEFT_RUNNING, proto, port, known))
            continue
        info = reader(row.pid)
        start = info.create_time if info is not None and info.create_time is not None else row.owner_start
        holder = Identity(row.pid, start or 0.0, row.program, row.exe)
        if row.pid in spared:
            out.append(PortCheck(PortAfter.HELD_BY_LEFT_RUNNING, proto, port, holder))
            continue
        check = PortCheck(PortAfter.OTHER_PROGRAM, proto, port, holder)
        same_file = bool(target.exe) and info is not None and bool(info.exe) and info.exe == target.exe
        started_after = start is not None and start >= result.started_at - 1.0
        if info is not None and same_file and started_after:
            found = detect(info)
            if (
                plan.manager is not None
                and found is not None
                and (found.kind, found.name)
                == (
                    plan.manager.kind,
                    plan.manager.name,
                )
            ):
                check = replace(check, code=PortAfter.RESTARTED_BY_MANAGER, via=found.kind.value, via_name=found.name)
            elif plan.parent is not None and plan.parent > 1 and info.ppid == plan.parent:
                parent = reader(plan.parent)
                check = replace(
                    check,
                    code=PortAfter.RESTARTED_BY_MANAGER,
                    via="parent",
                    via_name=parent.name if parent is not None else "",
                    via_pid=plan.parent,
                )
        out.append(check)
    return tuple(out)
