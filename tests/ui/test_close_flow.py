"""Closing a program from the window: confirmation, graceful close, force, refusals, port check afterwards."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import QItemSelectionModel, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from loopgui.core.actions import ClosePlan, Member
from loopgui.core.processes import Identity, process_facts
from loopgui.core.scanner import make_scanner
from loopgui.ui.close_flow import DialogAsker, confirm_box, plan_texts
from loopgui.ui.main_window import MainWindow
from loopgui.ui.panels.process_panel import HIDDEN, ProcessPanel
from loopgui.ui.settings import Settings
from tests.e2e.test_close_program import Child
from tests.ui.test_screenshot import screenshot_dir


class FakeAsker:
    def __init__(
        self, *, confirm: bool = True, children: bool = False, force: bool = True, connection: bool = True
    ) -> None:
        self.answers = (confirm, children)
        self.force = force
        self.connection = connection
        self.asked: list[tuple[str, ...]] = []
        self.plans: list[ClosePlan] = []

    def confirm(self, plan: ClosePlan) -> tuple[bool, bool]:
        self.plans.append(plan)
        question, _info, _check, _details = plan_texts(plan)
        t = plan.target.identity
        self.asked.append(("confirm", t.name, str(t.pid), str(len(plan.descendants)), question))
        return self.answers

    def confirm_connection(self, question: str, details: str) -> bool:
        self.asked.append(("connection", question, details))
        return self.connection

    def ask_force(self, name: str, pid: int) -> bool:
        self.asked.append(("force", name, str(pid)))
        return self.force

    def inform(self, title: str, text: str, details: str = "") -> None:
        self.asked.append(("inform", title, text, details))


@pytest.fixture
def make_window(qtbot: QtBot, settings: Settings) -> Iterator[object]:
    windows: list[MainWindow] = []

    def make(asker: FakeAsker) -> MainWindow:
        win = MainWindow(make_scanner(), settings, asker=asker)
        win.set_interval(0.5)
        win.close_flow.grace = 0.8
        qtbot.addWidget(win)
        win.show()
        windows.append(win)
        return win

    yield make
    for w in windows:
        w.close()


@pytest.fixture
def child(request: pytest.FixtureRequest) -> Iterator[Child]:
    c = Child(request.param)
    yield c
    c.cleanup()


def select_port(win: MainWindow, qtbot: QtBot, port: int) -> None:
    def find() -> int:
        return next((i for i, r in enumerate(win.model.rows()) if r.local_port == port and r.state == "LISTEN"), -1)

    qtbot.waitUntil(lambda: find() >= 0, timeout=10000)
    win.table.selectionModel().setCurrentIndex(
        win.model.index(find(), 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )


def close_from_table(win: MainWindow, qtbot: QtBot, port: int) -> str:
    """Select the program listening on ``port``, press Delete's action, and return the final message."""
    select_port(win, qtbot, port)
    with qtbot.waitSignal(win.close_flow.finished, timeout=15000) as blocker:
        win.close_action.trigger()
    return str(blocker.args[0])


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_cancel_closes_nothing(make_window, qtbot: QtBot, child: Child) -> None:  # type: ignore[no-untyped-def]
    asker = FakeAsker(confirm=False)
    message = close_from_table(make_window(asker), qtbot, child.port)
    assert message == "Nothing was closed."
    assert asker.asked[0][:3] == ("confirm", child.identity.name, str(child.proc.pid))
    assert child.proc.poll() is None


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_close_and_confirm_the_port_is_free(make_window, qtbot: QtBot, child: Child) -> None:  # type: ignore[no-untyped-def]
    asker = FakeAsker()
    message = close_from_table(make_window(asker), qtbot, child.port)
    assert message.endswith(f"Port {child.port} is free now.")
    assert asker.asked[-1][1] == "Closed"
    assert not psutil.pid_exists(child.proc.pid) or child.proc.wait(5) is not None


@pytest.mark.parametrize("child", ["stubborn"], indirect=True)
def test_stubborn_program_is_forced_after_asking(make_window, qtbot: QtBot, child: Child) -> None:  # type: ignore[no-untyped-def]
    asker = FakeAsker(force=True)
    message = close_from_table(make_window(asker), qtbot, child.port)
    assert [a[0] for a in asker.asked] == ["confirm", "force", "inform"]
    assert f"Port {child.port} is free now." in message


@pytest.mark.parametrize("child", ["stubborn"], indirect=True)
def test_stubborn_program_left_running_when_not_forced(make_window, qtbot: QtBot, child: Child) -> None:  # type: ignore[no-untyped-def]
    asker = FakeAsker(force=False)
    message = close_from_table(make_window(asker), qtbot, child.port)
    assert "still running" in message
    assert child.proc.poll() is None


@pytest.mark.parametrize("child", ["tree"], indirect=True)
def test_tree_option_closes_children(make_window, qtbot: QtBot, child: Child) -> None:  # type: ignore[no-untyped-def]
    asker = FakeAsker(children=True)
    close_from_table(make_window(asker), qtbot, child.port)
    assert asker.asked[0][3] == "2"
    for pid in child.children:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_access_denied_shows_how_to_retry(  # type: ignore[no-untyped-def]
    make_window, qtbot: QtBot, child: Child, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signal, "pidfd_send_signal", lambda fd, sig: (_ for _ in ()).throw(PermissionError(1, "no")))
    monkeypatch.setattr(
        psutil.Process, "send_signal", lambda self, sig: (_ for _ in ()).throw(psutil.AccessDenied(self.pid))
    )
    asker = FakeAsker()
    close_from_table(make_window(asker), qtbot, child.port)
    _, title, text, details = asker.asked[-1]
    assert title == "Not allowed" and "another user" in text and f"kill {child.proc.pid}" in details
    assert child.proc.poll() is None


def test_refuses_to_close_loopgui_itself(make_window, qtbot: QtBot) -> None:  # type: ignore[no-untyped-def]
    asker = FakeAsker()
    win = make_window(asker)
    with qtbot.waitSignal(win.close_flow.finished, timeout=10000) as blocker:
        win.close_flow.start(process_facts(os.getpid()), None)
    assert "loopgui itself" in blocker.args[0]


def _plan(children: int = 2) -> ClosePlan:
    kids = tuple(Member(Identity(5000 + i, 1.0, "worker"), f"worker --n {i}", parent=4242) for i in range(children))
    return ClosePlan(Member(Identity(4242, 1.0, "python3"), "python3 -m http.server"), kids)


def test_confirmation_dialog_names_the_program_and_defaults_to_cancel(qapp: QApplication, tmp_path: Path) -> None:
    box, close_button, check = confirm_box(None, _plan(2))
    assert close_button.text() == "Close the program"
    assert box.text() == "Close python3 (PID 4242)?"
    assert "Unsaved work in python3 may be lost" in box.informativeText()
    assert "It started 2 programs: worker (PID 5000), worker (PID 5001)." in box.informativeText()
    assert "worker (PID 5001): worker --n 1" in box.detailedText()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    assert box.escapeButton() is box.button(QMessageBox.StandardButton.Cancel)
    assert check is not None and not check.isChecked() and check.text() == "Also close the 2 programs it started"
    box.show()
    QApplication.processEvents()
    path = screenshot_dir(tmp_path) / "close-dialog.png"
    assert box.grab().save(str(path), "PNG")
    print(f"\nscreenshot: {path}")
    box.close()


def test_dialog_asker_returns_the_choice(qapp: QApplication) -> None:
    asker = DialogAsker(None)  # type: ignore[arg-type]

    def click(name: str) -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        for b in box.buttons():
            if b.text() == name:
                b.click()

    QTimer.singleShot(100, lambda: click("Close the program"))
    assert asker.confirm(_plan(0)) == (True, False)
    QTimer.singleShot(100, lambda: click("Cancel"))
    assert asker.confirm(_plan(0))[0] is False
    QTimer.singleShot(100, lambda: click("Leave it running"))
    assert asker.ask_force("node", 1) is False
    QTimer.singleShot(100, lambda: click("Close the connection"))
    assert asker.confirm_connection("Close it?", "") is True
    QTimer.singleShot(100, lambda: click("Cancel"))
    assert asker.confirm_connection("Close it?", "") is False


def test_process_panel_shows_facts_and_hidden_fields(qtbot: QtBot, tmp_path: Path) -> None:
    panel = ProcessPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 420)
    panel.show()
    assert not panel.close_button.isVisible()
    facts = process_facts(os.getpid(), with_cpu=True)
    from tests.helpers import row

    panel.show_facts(facts, [row(8080, pid=os.getpid(), program="python")])
    assert panel.values["pid"].text() == str(os.getpid())
    assert panel.values["started"].text().startswith("started ")
    assert "TCP 127.0.0.1:8080 (listen)" in panel.values["sockets"].text()
    assert "of memory" in panel.values["usage"].text()
    assert panel.close_button.isVisible()
    path = screenshot_dir(tmp_path) / "program-panel.png"
    assert panel.grab().save(str(path), "PNG")
    print(f"\nscreenshot: {path}")
    hidden = type(facts)(pid=1, name="", hidden=("everything",))
    panel.show_facts(hidden, [])
    assert panel.values["exe"].text() == HIDDEN
    assert "belongs to another user" in panel.intro.text()
