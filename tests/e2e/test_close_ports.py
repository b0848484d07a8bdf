"""What became of the closed program's ports (issues 18, 20 and 21): computed from its own sockets and a scan taken
after it is confirmed gone; "restarted" only when its manager or parent brought the same program back."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import psutil
import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from loopgui.core.net.scanner import make_scanner
from loopgui.core.programs.actions import ClosePlan, PortAfter, check_ports, close_plan, plan_close
from loopgui.core.programs.processes import CloseOutcome, identity_of, process_facts
from loopgui.core.words.close import ports_text
from loopgui.ui.close_flow import CloseFlow
from tests.e2e.test_close_program import CHILD, Child
from tests.ui.test_close_flow import FakeAsker

pytestmark = pytest.mark.e2e


@pytest.fixture
def child(request: pytest.FixtureRequest) -> Iterator[Child]:
    c = Child(request.param)
    yield c
    c.cleanup()


def _rows() -> list[object]:
    return list(make_scanner().scan().rows.values())


def _plan(child: Child) -> ClosePlan:
    plan = plan_close(child.identity, manager_of=lambda _i: None)
    assert isinstance(plan, ClosePlan), plan
    return plan


@pytest.mark.parametrize("child", ["forked"], indirect=True)
def test_a_forked_worker_sharing_the_socket_is_not_the_program_restarted(child: Child) -> None:
    """Before: "python started again … a service manager restarts it; stop it with systemctl" (same name)."""
    (worker,) = child.children
    plan = _plan(child)
    assert [m.identity.pid for m in plan.descendants] == [worker]
    result = close_plan(plan, include_children=False, wait=5)  # only the parent
    assert result.outcome is CloseOutcome.CLOSED
    checks = check_ports(plan, result, _rows())  # type: ignore[arg-type]
    assert [(c.code, c.port) for c in checks] == [(PortAfter.HELD_BY_LEFT_RUNNING, child.port)]
    assert checks[0].holder is not None and checks[0].holder.pid == worker
    text = ports_text(checks)
    assert "which it started and which was not closed" in text and "started again" not in text
    assert "systemctl" not in text


def test_the_check_looks_at_the_closed_programs_own_port_not_the_pasted_one(qtbot: QtBot) -> None:
    """Before: the pasted message named port B (another program of the same name); after closing the program on
    port A the window said "python started again (now PID …) and has port B once more"."""
    a, b = Child("listen"), Child("listen")
    try:
        assert a.identity.name == b.identity.name  # two programs of the same name
        parent = QWidget()
        qtbot.addWidget(parent)
        asker = FakeAsker()
        flow = CloseFlow(parent, asker, refresh=lambda: None, snapshots=_Quiet().scanned, grace=5.0)
        with qtbot.waitSignal(flow.finished, timeout=15000) as blocker:
            flow.start(process_facts(a.proc.pid), port=b.port)  # explaining port B, closing A
        text = str(blocker.args[0])
        assert text.endswith(f"Port {a.port} is free now."), text
        assert "started again" not in text and str(b.port) not in text
        assert b.proc.poll() is None
    finally:
        a.cleanup()
        b.cleanup()


class _Quiet(QObject):
    scanned = Signal(object)


def test_the_same_program_brought_back_by_its_parent_is_restarted() -> None:
    supervisor = subprocess.Popen([sys.executable, str(CHILD), "supervisor"], stdout=subprocess.PIPE, text=True)
    try:
        assert supervisor.stdout is not None
        port, pid = (int(x) for x in supervisor.stdout.readline().split())
        identity = identity_of(pid)
        assert identity is not None
        plan = plan_close(identity, manager_of=lambda _i: None)
        assert isinstance(plan, ClosePlan) and plan.parent == supervisor.pid
        result = close_plan(plan, wait=5)
        assert result.outcome is CloseOutcome.CLOSED
        _port, again = (int(x) for x in supervisor.stdout.readline().split())
        checks = check_ports(plan, result, _rows())  # type: ignore[arg-type]
        assert [(c.code, c.port, c.via, c.via_pid) for c in checks] == [
            (PortAfter.RESTARTED_BY_MANAGER, port, "parent", supervisor.pid)
        ]
        assert checks[0].holder is not None and checks[0].holder.pid == again
        assert "started the same program once more" in ports_text(checks)
    finally:
        supervisor.kill()
        supervisor.wait()
        subprocess.run(["pkill", "-KILL", "-P", str(supervisor.pid)], check=False)
        if supervisor.stdout is not None:
            supervisor.stdout.close()


def test_another_program_on_the_port_afterwards_is_named_not_restarted() -> None:
    """A program of the same name but not the same manager or parent takes the port: "another program"."""
    c = Child("listen")
    try:
        plan = _plan(c)
        result = close_plan(plan, wait=5)
        # started by another parent (a shell) than the closed program's
        line = f'"{sys.executable}" "{CHILD}" listen-on {c.port} & wait'
        taker = subprocess.Popen(["sh", "-c", line], stdout=subprocess.PIPE, text=True)
        assert taker.stdout is not None
        taker.stdout.readline()
        try:
            checks = check_ports(plan, result, _rows())  # type: ignore[arg-type]
            assert [(ch.code, ch.port) for ch in checks] == [(PortAfter.OTHER_PROGRAM, c.port)]
            assert checks[0].holder is not None and psutil.Process(checks[0].holder.pid).ppid() == taker.pid
        finally:
            for kid in psutil.Process(taker.pid).children():
                kid.kill()
            taker.kill()
            taker.wait()
            taker.stdout.close()
    finally:
        c.cleanup()


@pytest.mark.parametrize("attempt", range(7))
def test_after_a_forced_close_the_port_is_judged_from_a_scan_taken_after_it_is_gone(qtbot: QtBot, attempt: int) -> None:
    """Issue 21: "Another program took port N: a hidden program" in 4 of 7 tries after Force close (a scan taken
    while the program was still ending).  Seven tries, each must say the port is free."""
    c = Child("stubborn")
    try:
        parent = QWidget()
        qtbot.addWidget(parent)
        asker = FakeAsker(force=True)
        flow = CloseFlow(parent, asker, refresh=lambda: None, snapshots=_Quiet().scanned, grace=0.3)
        with qtbot.waitSignal(flow.finished, timeout=15000) as blocker:
            flow.start(process_facts(c.proc.pid), port=c.port)
        text = str(blocker.args[0])
        assert [a[0] for a in asker.asked] == ["confirm", "force", "inform"]
        assert text.endswith(f"Port {c.port} is free now."), text
        assert "hidden" not in text and "Another program" not in text
    finally:
        c.cleanup()
