"""Closing programs for real: child processes started by the tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from loopgui.core.actions import close_program
from loopgui.core.processes import (
    CloseOutcome,
    Identity,
    after_close,
    current_context,
    identity_of,
    protected_reason,
    read_info,
    retry_instructions,
)
from loopgui.core.scanner import make_scanner

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
    assert after_close(child.port, child.identity, listeners_on(child.port)) == f"Port {child.port} is free now."


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
    assert result.outcome == CloseOutcome.CLOSED and "2 program(s) it started" in result.message
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
    assert "another program" in result.message and "now has its number" in result.message
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
    assert "another user or to the system" in result.message
    assert f"kill {child.proc.pid}" in result.how_to_retry
    assert child.proc.poll() is None


def test_retry_instructions_per_system() -> None:
    assert "taskkill /PID 42 /F" in retry_instructions(42, "win32", force=True)
    assert "sudo kill 42" in retry_instructions(42, "darwin")
    assert "kill -9 42" in retry_instructions(42, "linux", force=True)


def test_after_close_messages() -> None:
    gone = Identity(10, time.time(), "postgres")
    assert after_close(5432, gone, [(10, "postgres")]) == "Port 5432 is free now."
    assert "started again (now PID 11)" in after_close(5432, gone, [(11, "postgres")])
    assert after_close(5432, gone, [(12, "nginx")]) == "Another program took port 5432: nginx (PID 12)."
