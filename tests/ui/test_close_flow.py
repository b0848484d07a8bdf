"""Closing a program from the window: confirmation, graceful close, force, refusals, port check afterwards."""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import QItemSelectionModel, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from loopgui.core.net import netclose
from loopgui.core.net.scanner import make_scanner
from loopgui.core.net.sockets import Snapshot, SocketRow
from loopgui.core.programs.actions import ClosePlan, Member, Spared
from loopgui.core.programs.managers import from_cgroup
from loopgui.core.programs.processes import Identity, process_facts
from loopgui.core.programs.protection import Guard, Protection
from loopgui.core.words.programs import hidden_text
from loopgui.ui.close_flow import CloseFlow, DialogAsker, confirm_box, connection_texts, plan_texts
from loopgui.ui.main_window import MainWindow
from loopgui.ui.panels.process_panel import ProcessPanel
from loopgui.ui.settings import Settings
from tests.e2e.test_close_program import Child
from tests.helpers import row, scripted_scanner
from tests.ui.test_screenshot import screenshot_dir

# The window scans the machine: in a network namespace of its own it sees only the sockets of these tests' programs
# (tests/netns.py), however many other programs hold.  Not in a PID namespace: there this test would be PID 1, which
# loopgui rightly refuses to close as the system's first program.
pytestmark = pytest.mark.own_netns(pids=False)


class FakeAsker:
    def __init__(
        self, *, confirm: bool = True, children: bool = False, force: bool = True, connection: bool = True
    ) -> None:
        self.answers = (confirm, children)
        self.force = force
        self.connection = connection
        self.offer = confirm
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

    def offer_program(self, text: str) -> bool:
        self.asked.append(("offer", text))
        return self.offer

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
    assert title == "Not allowed" and "another user" in text
    assert f" close --pid {child.proc.pid} --started " in details and "kill" not in details
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
    assert box.text() == "Close python3 -m http.server (PID 4242)?"  # which python3 it is
    assert "Unsaved work in python3 may be lost" in box.informativeText()
    assert "It started 2 programs: worker (PID 5000) and worker (PID 5001)." in box.informativeText()
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
    QTimer.singleShot(100, lambda: click("Close the program…"))
    assert asker.offer_program("Not possible here. Close psql (PID 42) instead?") is True
    QTimer.singleShot(100, lambda: click("Cancel"))
    assert asker.offer_program("Not possible here. Close psql (PID 42) instead?") is False


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
    assert panel.values["manager"].text()  # a manager from this process's cgroup, or "Nothing known…"
    assert panel.close_button.isVisible()
    path = screenshot_dir(tmp_path) / "program-panel.png"
    assert panel.grab().save(str(path), "PNG")
    print(f"\nscreenshot: {path}")
    hidden = type(facts)(pid=1, name="", hidden=("everything",))
    panel.show_facts(hidden, [])
    assert panel.values["exe"].text() == f"hidden ({hidden_text()})"
    assert "of another user or of the system" in panel.intro.text()


# -- issue 12 ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_delete_with_refreshes_paused_never_closes_a_newcomer(qtbot: QtBot, settings: Settings, child: Child) -> None:
    """Reproduction 1: the row the user looks at came from a program that has since ended, and its PID now belongs
    to another program (the live child here).  Delete must neither ask "Close python (PID n)?" nor kill it."""
    seen = row(
        child.port,
        pid=child.proc.pid,
        program="python",
        owner_start=child.identity.create_time - 50,  # the earlier program that held this PID
        exe=child.identity.exe,
    )
    scanner, _source = scripted_scanner(lambda: [seen])
    asker = FakeAsker()
    win = MainWindow(scanner, settings, asker=asker)
    qtbot.addWidget(win)
    win.show()
    try:
        qtbot.waitUntil(lambda: win.model.row_index(seen.key) >= 0, timeout=10000)
        win.set_paused(True)
        win.table.selectionModel().setCurrentIndex(
            win.model.index(win.model.row_index(seen.key), 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        with qtbot.waitSignal(win.close_flow.finished, timeout=15000) as blocker:
            win.close_action.trigger()
        assert "has ended; another program" in blocker.args[0] and "now has its number" in blocker.args[0]
        assert not [a for a in asker.asked if a[0] == "confirm"]
        assert child.proc.poll() is None
    finally:
        win.close()


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_delete_after_the_program_ended_says_so(make_window, qtbot: QtBot, child: Child) -> None:  # type: ignore[no-untyped-def]
    asker = FakeAsker()
    win = make_window(asker)
    select_port(win, qtbot, child.port)
    win.set_paused(True)
    child.proc.kill()
    child.proc.wait(5)
    with qtbot.waitSignal(win.close_flow.finished, timeout=15000) as blocker:
        win.close_action.trigger()
    assert blocker.args[0] == f"{child.identity.name} (PID {child.proc.pid}) has already ended."
    assert not [a for a in asker.asked if a[0] == "confirm"]


@pytest.mark.parametrize("child", ["deep"], indirect=True)
def test_confirmation_counts_every_descendant(make_window, qtbot: QtBot, child: Child) -> None:  # type: ignore[no-untyped-def]
    """Reproduction 2 from the table: the dialog counts the grandchild too, and the kill takes exactly those."""
    asker = FakeAsker(children=True)
    close_from_table(make_window(asker), qtbot, child.port)
    assert asker.asked[0][3] == "2"
    _question, info, check, details = plan_texts(asker.plans[0])
    assert check == "Also close the 2 programs it started"
    for pid in child.children:
        assert f"(PID {pid})" in info and f"(PID {pid}): {sys.executable}" in details
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_connection_action_only_for_established_tcp_rows(make_window, qtbot: QtBot) -> None:  # type: ignore[no-untyped-def]
    win = make_window(FakeAsker())
    cases = {
        "established": (row(50000, remote="127.0.0.1", rport=5432, program="psql", pid=42), True),
        "listening": (row(5432, program="postgres"), False),
        "udp": (row(5353, proto="UDP", program="avahi"), False),
        "time wait": (row(50001, remote="127.0.0.1", rport=80, state="TIME_WAIT", pid=None, program=""), False),
        "close wait": (row(50002, remote="127.0.0.1", rport=80, state="CLOSE_WAIT"), False),
    }
    for name, (r, expected) in cases.items():
        menu = QMenu(win)
        win.close_flow.add_menu_actions(menu, r)
        texts = [a.text() for a in menu.actions()]
        assert ("Close this connection…" in texts) is expected, name
        menu.deleteLater()
    menu = QMenu(win)
    win.close_flow.add_menu_actions(menu, None)
    assert not menu.actions()


def test_connection_confirmation_names_both_ends_and_the_program(make_window, qtbot: QtBot) -> None:  # type: ignore[no-untyped-def]
    asker = FakeAsker(connection=False)
    win = make_window(asker)
    r = row(50000, remote="::1", local="::1", rport=5432, program="psql", pid=42)
    question, details = connection_texts(r)
    assert question == "Close the connection of psql (PID 42) between [::1]:50000 on this computer and [::1]:5432?"
    assert "the program keeps running" in details
    with qtbot.waitSignal(win.close_flow.finished, timeout=5000) as blocker:
        win.close_flow.close_connection(r)
    assert blocker.args[0] == "Nothing was closed." and asker.asked[-1] == ("connection", question, details)


def test_close_a_real_connection_from_the_window(make_window, qtbot: QtBot) -> None:  # type: ignore[no-untyped-def]
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("closing a connection needs root (CAP_NET_ADMIN) on Linux")
    server = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(server.getsockname(), timeout=5)
    accepted, _ = server.accept()
    try:
        asker = FakeAsker(connection=True)
        win = make_window(asker)
        lport = client.getsockname()[1]

        rport = server.getsockname()[1]

        def find() -> SocketRow | None:  # this test's own connection: both ends and this program
            return next(
                (
                    r
                    for r in win.model.rows()
                    if (r.local_port, r.remote_port) == (lport, rport)
                    and r.state == "ESTABLISHED"
                    and r.pid == os.getpid()
                    and not win.model.is_gone(r.key)
                ),
                None,
            )

        qtbot.waitUntil(lambda: find() is not None, timeout=10000)
        found = find()
        assert found is not None
        with qtbot.waitSignal(win.close_flow.finished, timeout=10000) as blocker:
            win.close_flow.close_connection(found)
        if "administrator rights" in blocker.args[0]:
            pytest.skip("this container does not grant CAP_NET_ADMIN")
        assert asker.asked[-1][1] == "Connection closed"
        with pytest.raises(ConnectionAbortedError):
            client.recv(1)
        qtbot.waitUntil(lambda: find() is None, timeout=10000)  # the table, refreshed, no longer shows it
    finally:
        for s in (server, client, accepted):
            s.close()


def test_confirmation_names_protected_descendants_and_the_manager(qapp: QApplication) -> None:
    plan = ClosePlan(
        _plan(1).target,
        _plan(1).descendants,
        (Spared(5003, "sshd", Protection(Guard.VITAL, 5003, "sshd")),),
        from_cgroup("0::/system.slice/myapp.service\n"),
    )
    _question, info, check, details = plan_texts(plan)
    assert check == "Also close the 1 program it started"
    assert "Left running on purpose, even with the box ticked: sshd (PID 5003). Show Details says why." in info
    assert "This is the service myapp.service" in info and "`systemctl stop myapp.service`" in info
    assert "Left running (1):\n  sshd (PID 5003): sshd is a vital part of the operating system" in details


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_where_single_connections_cannot_be_closed_the_program_is_offered(  # type: ignore[no-untyped-def]
    make_window, qtbot: QtBot, child: Child, monkeypatch: pytest.MonkeyPatch
) -> None:
    """macOS (simulated here): the flow says it is not possible and offers closing the program, which then goes
    through the usual confirmation (accepted, then declined here: nothing is closed)."""
    import loopgui.ui.close_flow as flow

    monkeypatch.setattr(flow, "close_connection", lambda conn: netclose.close_connection(conn, platform="darwin"))
    asker = FakeAsker(confirm=False)
    asker.offer = True
    win = make_window(asker)
    r = row(
        50000,
        remote="127.0.0.1",
        rport=child.port,
        pid=child.proc.pid,
        program=child.identity.name,
        owner_start=child.identity.create_time,
        exe=child.identity.exe,
    )
    with qtbot.waitSignal(win.close_flow.finished, timeout=10000) as blocker:
        win.close_flow.close_connection(r)
    assert blocker.args[0] == "Nothing was closed."
    kinds = [a[0] for a in asker.asked]
    assert kinds == ["connection", "offer", "confirm"] and "offers no way" in asker.asked[1][1]
    question = asker.asked[2][4]  # names the program as the table does: "python child_program.py listen"
    assert question.startswith(f"Close {child.identity.name} ") and question.endswith(f"(PID {child.proc.pid})?")
    assert child.proc.poll() is None


class _Silent(QObject):
    scanned = Signal(object)  # never emitted


def _failing_scan() -> Snapshot:
    raise OSError("the scan after the close failed")


def test_a_failed_port_check_still_ends_in_words(qtbot: QtBot) -> None:
    # Before: the flow waited for a successful scan forever, stayed busy, never said the program closed, and
    # ignored every later Delete.
    child = Child("listen")
    try:
        parent = QWidget()
        qtbot.addWidget(parent)
        asker = FakeAsker()
        silent = _Silent()
        flow = CloseFlow(parent, asker, refresh=lambda: None, snapshots=silent.scanned, grace=2.0, scan=_failing_scan)
        r = row(
            child.port,
            pid=child.proc.pid,
            program=child.identity.name,
            owner_start=child.identity.create_time,
            exe=child.identity.exe,
        )
        with qtbot.waitSignal(flow.finished, timeout=10000) as blocker:
            flow.start_row(r)
        assert child.proc.wait(5) is not None
        assert "closed" in str(blocker.args[0]) and "could not look at its ports again" in str(blocker.args[0])
        assert asker.asked[-1][:2] == ("inform", "Closed")
        assert not flow.busy
    finally:
        child.cleanup()


# -- issue 20 in the window -------------------------------------------------------------------------------------------


def test_stop_waiting_says_so_not_did_not_close_within(qtbot: QtBot) -> None:
    """Before: pressing Stop waiting at once ended in "did not close within 5 seconds"."""
    child = Child("stubborn")
    try:
        parent = QWidget()
        qtbot.addWidget(parent)
        asker = FakeAsker(force=False)
        flow = CloseFlow(parent, asker, refresh=lambda: None, snapshots=_Silent().scanned, grace=5.0)
        r = row(
            child.port,
            pid=child.proc.pid,
            program=child.identity.name,
            owner_start=child.identity.create_time,
            exe=child.identity.exe,
        )
        presser = QTimer(parent)  # the person presses Stop waiting as soon as the progress shows
        presser.setInterval(50)
        presser.timeout.connect(lambda: flow._ticker is not None and flow._on_stop_waiting())
        presser.start()
        with qtbot.waitSignal(flow.finished, timeout=10000) as blocker:
            flow.start_row(r)
        text = str(blocker.args[0])
        assert text.startswith("You stopped waiting after") and "within 5 seconds" not in text, text
        assert [a[0] for a in asker.asked] == ["confirm", "force", "inform"]
        assert child.proc.poll() is None
    finally:
        child.cleanup()


def test_close_this_connection_sends_the_rows_cookie(qtbot: QtBot) -> None:
    """The row's cookie from the scan travels to the destroy: a new connection on the same four addresses (the
    one in the confirmation ended meanwhile) is left alone and the window says so."""
    from tests.e2e.test_close_connection import _can_destroy, _connect_from, _own_row

    why = _can_destroy()
    if why:
        pytest.skip(why)
    import struct

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    sport = server.getsockname()[1]
    first = _connect_from(0, sport)
    cport = first.getsockname()[1]
    first_accepted, _ = server.accept()
    seen = _own_row(cport, sport)
    first.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    first.close()
    first_accepted.close()
    second = _connect_from(cport, sport)
    second_accepted, _ = server.accept()
    try:
        parent = QWidget()
        qtbot.addWidget(parent)
        asker = FakeAsker()
        flow = CloseFlow(parent, asker, refresh=lambda: None, snapshots=_Silent().scanned)
        with qtbot.waitSignal(flow.finished, timeout=10000) as blocker:
            flow.close_connection(seen)
        assert "A new connection now uses the same addresses" in str(blocker.args[0])
        second.sendall(b"x")
        assert second_accepted.recv(1) == b"x"
    finally:
        for s in (server, second, second_accepted):
            s.close()
