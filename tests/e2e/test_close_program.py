"""Closing programs for real: child processes started by the tests."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from loopgui.core.net.scanner import make_scanner
from loopgui.core.programs import actions
from loopgui.core.programs.actions import ClosePlan, close_plan, close_program, plan_close
from loopgui.core.programs.processes import (
    CloseOutcome,
    CloseResult,
    Identity,
    MemberCode,
    ProcInfo,
    ProtectionContext,
    current_context,
    identity_of,
    read_info,
)
from loopgui.core.programs.protection import protection
from loopgui.core.words.close import protection_text, result_text, retry_text
from loopgui.core.words.programs import program_text


def protected_reason(info: ProcInfo, ctx: ProtectionContext) -> str | None:
    found = protection(info, ctx)
    return protection_text(found) if found is not None else None


pytestmark = pytest.mark.e2e

CHILD = Path(__file__).with_name("child_program.py")


class Child:
    def __init__(self, mode: str) -> None:
        self.proc = subprocess.Popen([sys.executable, str(CHILD), mode], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        first, *children = self.proc.stdout.readline().split()
        self.port = int(first)
        self.children = [int(c) for c in children]
        identity = identity_of(self.proc.pid)
        assert identity is not None
        self.identity = identity

    def cleanup(self) -> None:
        for pid in [self.proc.pid, *self.children]:
            with contextlib.suppress(psutil.Error):
                psutil.Process(pid).kill()
        self.proc.wait(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@pytest.fixture
def child(request: pytest.FixtureRequest) -> Iterator[Child]:
    c = Child(request.param)
    yield c
    c.cleanup()


def listeners_on(port: int) -> list[tuple[int | None, str]]:
    rows = make_scanner().scan().rows.values()
    return [(r.pid, r.program) for r in rows if r.local_port == port and r.state == "LISTEN"]


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_graceful_close_frees_the_port(child: Child) -> None:
    assert listeners_on(child.port) == [(child.proc.pid, child.identity.name)]
    ticks: list[float] = []
    result = close_program(child.identity, progress=ticks.append)
    assert result.outcome == CloseOutcome.CLOSED, result
    child.proc.wait(5)  # (psutil reaped it already: the exit code is not kept)
    assert not psutil.pid_exists(child.proc.pid)
    assert result.members[0].code is MemberCode.CLOSED and result.members[0].is_target


@pytest.mark.parametrize("child", ["stubborn"], indirect=True)
def test_stubborn_program_needs_force(child: Child) -> None:
    ticks: list[float] = []
    result = close_program(child.identity, wait=0.6, progress=ticks.append)
    assert result.outcome == CloseOutcome.STILL_RUNNING
    assert result.still_running == (child.proc.pid,)
    assert len(ticks) >= 2 and ticks[-1] >= 0.6  # progress was reported while waiting
    forced = close_program(child.identity, force=True)
    assert forced.outcome == CloseOutcome.CLOSED
    child.proc.wait(5)
    assert not psutil.pid_exists(child.proc.pid)


@pytest.mark.parametrize("child", ["tree"], indirect=True)
def test_close_with_children(child: Child) -> None:
    assert len(child.children) == 2
    result = close_program(child.identity, include_children=True)
    assert result.outcome == CloseOutcome.CLOSED and "loopgui closed 2 programs it started" in result_text(result)
    child.proc.wait(5)
    for pid in child.children:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


@pytest.mark.parametrize("child", ["tree"], indirect=True)
def test_close_without_children_leaves_them(child: Child) -> None:
    result = close_program(child.identity)
    assert result.outcome == CloseOutcome.CLOSED
    assert all(psutil.pid_exists(pid) for pid in child.children)


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_identity_guard_refuses_a_reused_number(child: Child) -> None:
    stale = Identity(child.proc.pid, child.identity.create_time - 100, "python")
    result = close_program(stale)
    assert result.outcome == CloseOutcome.ALREADY_GONE
    assert "another program" in result_text(result) and "now has its number" in result_text(result)
    assert child.proc.poll() is None  # untouched


def test_gone_program() -> None:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    identity = identity_of(p.pid)
    p.wait()
    assert identity is not None
    assert close_program(identity).outcome == CloseOutcome.ALREADY_GONE


def test_protected_processes_are_refused() -> None:
    ctx = current_context()
    me, parent = read_info(os.getpid()), read_info(os.getppid())
    assert me is not None and parent is not None
    assert "loopgui itself" in (protected_reason(me, ctx) or "")
    assert "started loopgui" in (protected_reason(parent, ctx) or "")
    identity = identity_of(os.getpid())
    assert identity is not None
    assert close_program(identity).outcome == CloseOutcome.PROTECTED


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_access_denied_explains_how_to_retry(child: Child, monkeypatch: pytest.MonkeyPatch) -> None:
    def deny(self: psutil.Process) -> None:
        raise psutil.AccessDenied(self.pid)

    monkeypatch.setattr(psutil.Process, "send_signal", deny)
    monkeypatch.setattr(signal, "pidfd_send_signal", lambda fd, sig: (_ for _ in ()).throw(PermissionError(1, "no")))
    result = close_program(child.identity)
    assert result.outcome == CloseOutcome.DENIED
    assert "another user or to the system" in result_text(result)
    assert result.retry_commands == (
        shlex.join(
            [
                "sudo",
                *actions.loopgui_command(),
                "close",
                "--pid",
                str(child.proc.pid),
                "--started",
                f"{child.identity.create_time:.6f}",
            ]
        ),
    )
    assert result.retry_commands[0] in retry_text(result) and "kill" not in retry_text(result)
    assert child.proc.poll() is None


def test_the_retry_command_is_this_verb_with_the_identity_never_a_bare_kill() -> None:
    """Issue 20: `sudo kill N` checks nothing; the command shown is `loopgui close --pid N --started T`."""
    who = Identity(42, 1_700_000_000.25, "postgres")
    linux = actions.retry_command(who, children=True, force=True, platform="linux")
    assert (
        linux.startswith("sudo ") and " close --pid 42 --started 1700000000.250000 --children --force-after 0" in linux
    )
    assert os.path.isabs(shlex.split(linux)[1])  # the absolute path of loopgui (or of its Python)
    assert "sudo" not in actions.retry_command(who, platform="win32")


# -- issue 12: no wrong kill, ever ---------------------------------------------------------------------------------


def _kill_quietly(*pids: int) -> None:
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).kill()


def _fake_newcomer(identity: Identity, name: str = "newcomer") -> ProcInfo:
    """What a different program holding the same PID looks like: same number, later start."""
    return ProcInfo(identity.pid, name, identity.create_time + 5.0, "/usr/bin/newcomer", 1, 1000, "bob")


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_reused_number_is_never_signalled(child: Child) -> None:
    """Reproduction 1 (through the same code path, with the live lookup faked): the PID now belongs to another
    program; nothing is signalled and the message says what happened."""
    seen = Identity(child.proc.pid, child.identity.create_time, "python", child.identity.exe)
    newcomer = _fake_newcomer(seen)
    sent: list[int] = []
    result = close_program(seen, reader=lambda pid: newcomer if pid == seen.pid else read_info(pid))
    assert result.outcome == CloseOutcome.ALREADY_GONE
    assert "has ended; another program (newcomer) now has its number" in result_text(result)
    assert child.proc.poll() is None and not sent


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_identity_travels_with_the_row_from_the_scan(child: Child) -> None:
    """The row carries the owner's start time and program file from the scan; once that program has ended, closing
    from the row is refused as already ended (a real process, really gone)."""
    rows = make_scanner().scan().rows.values()
    row = next(r for r in rows if r.local_port == child.port and r.state == "LISTEN")
    assert row.pid == child.proc.pid and row.owner_start == pytest.approx(child.identity.create_time)
    assert row.exe and row.exe == child.identity.exe == os.path.realpath(sys.executable)
    child.proc.kill()
    child.proc.wait(5)
    assert row.owner_start is not None
    result = close_program(Identity(row.pid, row.owner_start, row.program, row.exe))
    assert result.outcome == CloseOutcome.ALREADY_GONE and "has already ended" in result_text(result)


def test_a_program_that_became_another_is_left_alone() -> None:
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        identity = identity_of(p.pid)
        assert identity is not None
        other = Identity(identity.pid, identity.create_time, identity.name, "/usr/bin/something-else")
        result = close_program(other)
        assert result.outcome == CloseOutcome.NOT_SAME and "turned into another program" in result_text(result)
        assert p.poll() is None
    finally:
        p.kill()
        p.wait()


def test_a_zombie_is_already_ended() -> None:
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
    identity = identity_of(p.pid)
    assert identity is not None
    deadline = time.monotonic() + 10
    while psutil.Process(p.pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        result = close_program(identity)
        assert result.outcome == CloseOutcome.ALREADY_GONE
        assert result_text(result) == f"{identity.name} (PID {p.pid}) has already ended."
    finally:
        p.wait()


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_number_reused_during_the_wait_is_reported_as_ended(child: Child) -> None:
    """The program closes; by the time loopgui looks again, another program has its number: that is 'it ended;
    another program now has its number', never 'did not close'."""
    seen = child.identity

    def reader(pid: int) -> ProcInfo | None:
        live = read_info(pid)
        if pid == seen.pid and (live is None or live.zombie):
            return _fake_newcomer(seen)
        return live

    result = close_program(seen, reader=reader)
    # it ended after loopgui's signal (its pidfd says so): closed, whoever has the number now
    assert result.outcome == CloseOutcome.CLOSED and result.members[0].code is MemberCode.CLOSED
    assert result_text(result) == f"{program_text(seen.name, seen.pid)} closed."


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_signals_go_through_a_pidfd_on_linux(child: Child, monkeypatch: pytest.MonkeyPatch) -> None:
    if not actions.pidfd_available():
        pytest.skip("this system has no pidfd_open/pidfd_send_signal")
    real = signal.pidfd_send_signal
    through: list[int] = []

    def recording(fd: int, sig: int, *args: object) -> None:
        through.append(sig)
        real(fd, sig)

    def by_number(*args: object) -> None:
        raise AssertionError("signalled by PID, not through the pidfd")

    monkeypatch.setattr(signal, "pidfd_send_signal", recording)
    monkeypatch.setattr(actions, "_send_by_pid", by_number)
    result = close_program(child.identity)
    assert result.outcome == CloseOutcome.CLOSED and through == [signal.SIGTERM]


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_without_pidfd_the_pid_path_still_checks_identity(child: Child, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions, "pidfd_available", lambda: False)
    stale = Identity(child.proc.pid, child.identity.create_time - 100, "python")
    assert close_program(stale).outcome == CloseOutcome.ALREADY_GONE
    assert child.proc.poll() is None
    assert close_program(child.identity).outcome == CloseOutcome.CLOSED


@pytest.mark.parametrize("child", ["deep"], indirect=True)
def test_plan_lists_every_descendant_and_closing_takes_exactly_them(child: Child) -> None:
    """Reproduction 2: the plan names every descendant (not only direct children) with its command line, and
    closing takes exactly that set."""
    middle, grand = child.children
    plan = plan_close(child.identity)
    assert isinstance(plan, ClosePlan)
    assert [m.identity.pid for m in plan.descendants] == [middle, grand]
    assert all(m.command.startswith(sys.executable) for m in plan.descendants)
    assert plan.descendants[1].parent == middle
    result = close_plan(plan, include_children=True, wait=5)
    assert result.outcome == CloseOutcome.CLOSED and [m.code for m in result.members] == [MemberCode.CLOSED] * 3
    child.proc.wait(5)
    for pid in (middle, grand):
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


@pytest.mark.parametrize("child", ["deep"], indirect=True)
def test_protected_descendant_is_spared_and_named(child: Child) -> None:
    """A descendant that is a vital system program (here the grandchild, made to look like the system's sshd) is
    never in the set, is named in the plan and stays running."""
    middle, grand = child.children

    def reader(pid: int) -> ProcInfo | None:
        info = read_info(pid)
        if pid == grand and info is not None:
            return ProcInfo(pid, "sshd", info.create_time, "/usr/sbin/sshd", info.ppid, 0, "root", ("sshd", "-D"))
        return info

    plan = plan_close(child.identity, reader=reader)
    assert isinstance(plan, ClosePlan)
    assert [m.identity.pid for m in plan.descendants] == [middle]
    assert [(s.pid, s.name) for s in plan.spared] == [(grand, "sshd")]
    assert plan.spared[0].protection is not None and plan.spared[0].protection.code.value == "vital"
    result = close_plan(plan, include_children=True, wait=5, reader=reader)
    assert f"Left running on purpose: sshd (PID {grand})" in result_text(result)
    assert psutil.Process(grand).status() != psutil.STATUS_ZOMBIE  # still running
    _kill_quietly(grand)


@pytest.mark.parametrize("child", ["deep"], indirect=True)
def test_closing_an_ancestor_of_loopgui_is_refused(child: Child) -> None:
    """A real tree where 'loopgui' (here the grandchild) descends from the target: the target and the middle
    program are refused, and nothing is signalled."""
    middle, grand = child.children
    ctx = ProtectionContext(me=grand, ancestors=(middle, child.proc.pid, os.getpid()))
    for identity in (child.identity, identity_of(middle)):
        assert identity is not None
        plan = plan_close(identity, context=lambda: ctx)
        assert isinstance(plan, CloseResult) and plan.outcome == CloseOutcome.PROTECTED
        assert "close loopgui too" in result_text(plan)
    assert child.proc.poll() is None and psutil.pid_exists(middle) and psutil.pid_exists(grand)


def test_loopgui_and_its_real_ancestors_are_never_planned() -> None:
    for pid in (os.getpid(), *current_context().ancestors):
        identity = identity_of(pid)
        if identity is None or pid == 1:
            continue
        plan = plan_close(identity)
        assert isinstance(plan, CloseResult) and plan.outcome == CloseOutcome.PROTECTED, pid


@pytest.mark.parametrize("child", ["tree"], indirect=True)
def test_a_denied_child_is_named_as_still_running(child: Child, monkeypatch: pytest.MonkeyPatch) -> None:
    denied = child.children[0]
    real_send = actions.send

    def send(handle: actions.Handle, sig: int) -> actions.Signalled:
        if handle.identity.pid == denied:
            return actions.Signalled.DENIED
        return real_send(handle, sig)

    monkeypatch.setattr(actions, "send", send)
    plan = plan_close(child.identity)
    assert isinstance(plan, ClosePlan)
    result = close_plan(plan, include_children=True, wait=5)
    # issue 20: a child that could not be closed does not leave the outcome "closed"; the command finishes the job
    assert result.outcome == CloseOutcome.PARTLY_CLOSED
    assert result.member(denied).code is MemberCode.DENIED  # type: ignore[union-attr]
    assert f"Still running, because loopgui was not allowed to close them: python (PID {denied})" in result_text(result)
    assert result.retry_commands and f"--pid {denied} " in result.retry_commands[0]
    assert psutil.pid_exists(denied) and psutil.Process(denied).status() != psutil.STATUS_ZOMBIE
