"""Quitting never waits for background work longer than about a second; work still running is abandoned safely."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from loopgui.core.cancel import Cancel
from loopgui.core.net import probes
from loopgui.ui import background
from loopgui.ui.background import BackgroundOp
from loopgui.ui.main_window import MainWindow
from loopgui.ui.settings import Settings
from tests.helpers import row, scripted_scanner

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Listens (the system completes each connection) and never says anything."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield s.getsockname()[1]


def test_closing_does_not_wait_for_a_stuck_probe(qtbot: QtBot, settings: Settings, silent_server: int) -> None:
    scanner, _ = scripted_scanner(lambda: [row(62893)])
    win = MainWindow(scanner, settings)  # type: ignore[arg-type]
    win.show()  # not handed to qtbot: this test deletes the window itself
    stuck = Cancel()  # a test the window knows nothing about: closing cannot cancel it
    delivered: list[object] = []
    worker = BackgroundOp(
        win, lambda: probes.http_probe("127.0.0.1", silent_server, 30, stuck), delivered.append
    ).start()
    qtbot.wait(200)
    assert worker.is_alive() and worker.daemon

    start = time.monotonic()
    win.close()
    took = time.monotonic() - start
    assert took < 1.5  # it waits about a second for background work, then goes
    assert worker.is_alive()  # abandoned, not waited for

    win.deleteLater()  # the window is gone when the abandoned work ends
    qtbot.wait(50)
    stuck.cancel()
    worker.join(5)
    assert not worker.is_alive()
    qtbot.wait(100)
    assert delivered == []  # the result went nowhere: no call into a deleted window
    assert background.running() == 0


def test_results_still_arrive_while_the_window_lives(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    got: list[object] = []
    failed: list[BaseException] = []
    BackgroundOp(parent, lambda: 42, got.append).start()
    BackgroundOp(parent, lambda: 1 / 0, got.append).on_failure(failed.append).start()
    qtbot.waitUntil(lambda: got == [42] and len(failed) == 1, timeout=5000)
    assert isinstance(failed[0], ZeroDivisionError)
    assert threading.current_thread() is threading.main_thread()
    assert background.wait_for_running(2.0)


SCRIPT = """
import socket, sys, time
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
from loopgui.core.net import probes
from loopgui.ui.background import BackgroundOp
from loopgui.ui.main_window import MainWindow
from loopgui.ui.settings import Settings
from tests.helpers import row, scripted_scanner

silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(8)
port = silent.getsockname()[1]
app = QApplication([])
scanner, _ = scripted_scanner(lambda: [row(62893)])
win = MainWindow(scanner, Settings(QSettings(sys.argv[1], QSettings.Format.IniFormat)))
win.show()
BackgroundOp(win, lambda: probes.http_probe("127.0.0.1", port, 60), print).start()
BackgroundOp(win, lambda: probes.tcp_probe("127.0.0.1", port, 60), print).start()
closing = []
QTimer.singleShot(500, lambda: (closing.append(time.monotonic()), win.close()))
app.exec()
print(f"closed in {time.monotonic() - closing[0]:.2f} s", flush=True)
"""


def test_the_program_exits_promptly_with_a_probe_still_running(tmp_path: Path) -> None:
    """The whole program, as a user quits it: the window closes, the application ends, Python exits — while a
    web-page test hangs on a server that never speaks (the old thread pool made the exit wait for it)."""
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT), str(tmp_path / "settings.ini")],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=40,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    took = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    assert "closed in" in done.stdout
    assert "Traceback" not in done.stderr and "Fatal" not in done.stderr
    assert took < 20  # start-up plus about a second; the probe alone would take 60 s


def test_a_finished_job_is_freed_without_touching_qt(qtbot: QtBot) -> None:
    """The worker thread frees its job when the work ends; nothing Qt may run then (no weak-reference callbacks
    that disconnect signals: they raced the GUI thread and crashed about one run in five)."""
    import weakref

    parent = QWidget()
    qtbot.addWidget(parent)
    relay = background._Relay(parent, lambda _r: None, lambda _e: None)
    job = background._Job(lambda: 1, relay)
    assert weakref.getweakrefcount(job) == 0
    got: list[object] = []
    for _ in range(50):
        BackgroundOp(parent, lambda: 1, got.append).start()
    qtbot.waitUntil(lambda: len(got) == 50, timeout=5000)


def test_relays_are_only_let_go_on_the_gui_thread(qtbot: QtBot) -> None:
    """A relay (a Qt object) stays in the GUI thread's table until its result was delivered there or its parent
    went, so a worker thread never drops the last reference to one."""
    parent = QWidget()
    qtbot.addWidget(parent)
    release = threading.Event()
    got: list[object] = []
    before = len(background._relays)
    for _ in range(20):
        BackgroundOp(parent, lambda: release.wait(5) and 1, got.append).start()
    assert len(background._relays) == before + 20
    release.set()
    qtbot.waitUntil(lambda: len(got) == 20, timeout=5000)
    qtbot.waitUntil(lambda: len(background._relays) == before, timeout=5000)

    gone = QWidget()
    hold = threading.Event()  # not ``release``: it is set already, and the result could beat the deletion
    BackgroundOp(gone, lambda: hold.wait(5) and 2, got.append).start()
    assert len(background._relays) == before + 1
    gone.deleteLater()
    qtbot.waitUntil(lambda: len(background._relays) == before, timeout=5000)
    hold.set()
    assert background.wait_for_running(5)
    assert got == [1] * 20  # the result for the destroyed parent was dropped
