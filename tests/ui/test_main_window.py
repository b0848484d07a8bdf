"""The main window with a scripted scanner: investigate, filter, copy, export, settings, pause, errors, closing."""

from __future__ import annotations

import csv
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from loopgui.app import make_excepthook
from loopgui.core.net.sockets import SocketRow
from loopgui.ui.main_window import MainWindow
from loopgui.ui.settings import Settings
from tests.helpers import ScriptedSource, row, scripted_scanner

ROWS = [
    row(62893, program="python3", pid=4242),
    row(50111, remote="127.0.0.1", rport=62893, program="curl", pid=4343),
    row(5432, program="postgres", pid=77),
    row(53, proto="UDP", local="::1", program="resolved", pid=12),
]


@pytest.fixture
def current_rows() -> list[SocketRow]:
    return list(ROWS)


@pytest.fixture
def scripted(current_rows: list[SocketRow]) -> tuple[object, ScriptedSource]:
    return scripted_scanner(lambda: list(current_rows))


@pytest.fixture
def window(qtbot: QtBot, settings: Settings, scripted: tuple[object, ScriptedSource]) -> Iterator[MainWindow]:
    scanner, _ = scripted
    win = MainWindow(scanner, settings)  # type: ignore[arg-type]
    win.set_interval(0.5)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.model.total == len(ROWS), timeout=5000)
    yield win
    win.close()


def shown_ports(win: MainWindow) -> set[int]:
    return {r.local_port for r in win.model.rows() if not win.model.is_gone(r.key)}


def test_investigate_narrows_the_table_and_show_all_restores(window: MainWindow, qtbot: QtBot) -> None:
    qtbot.keyClicks(window.investigate_edit, "Error: connect ECONNREFUSED 127.0.0.1:62893")
    qtbot.keyClick(window.investigate_edit, Qt.Key.Key_Return)
    assert shown_ports(window) == {62893, 50111}
    assert window.banner.isVisible()
    assert "port 62893" in window.banner_label.text()
    assert window.count_label.text() == "2 of 4 sockets shown"
    qtbot.mouseClick(window.show_all_button, Qt.MouseButton.LeftButton)
    assert shown_ports(window) == {62893, 50111, 5432, 53}
    assert not window.banner.isVisible()
    qtbot.waitUntil(lambda: window.explain_panel.diagnosis is not None, timeout=5000)  # the explanation stays
    window.investigate_edit.clear()  # emptying the box forgets the investigation
    assert window.explain_panel.diagnosis is None


def test_investigate_without_an_address_says_so(window: MainWindow, qtbot: QtBot) -> None:
    window.investigate_edit.setText("something went wrong, port 70000")
    window.investigate()
    text = window.banner_label.text()
    assert "No address or port number found" in text and "70000 is not a port number" in text
    window.investigate_edit.setText("port 1")
    window.investigate()
    qtbot.waitUntil(lambda: "Nothing on this computer uses it" in window.banner_label.text(), timeout=3000)


def test_filter_box_and_toggles(window: MainWindow, qtbot: QtBot) -> None:
    qtbot.keyClicks(window.filter_edit, "postgres")
    qtbot.waitUntil(lambda: shown_ports(window) == {5432}, timeout=2000)
    window.filter_edit.clear()
    qtbot.waitUntil(lambda: len(shown_ports(window)) == 4, timeout=2000)
    window.udp_check.setChecked(False)
    assert 53 not in shown_ports(window)
    window.udp_check.setChecked(True)
    window.listening_check.setChecked(True)
    assert shown_ports(window) == {62893, 5432, 53}


def test_copy_selected_rows_as_text(window: MainWindow) -> None:
    model = window.model
    at = model.row_index(ROWS[2].key)
    window.table.selectionModel().select(
        model.index(at, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    )
    window.copy_action.trigger()
    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines[0].startswith("Protocol\tLocal address\tLocal port")
    assert lines[1].split("\t")[:3] == ["TCP", "127.0.0.1", "5432"] and "postgres" in lines[1]


def test_export_csv_and_json(window: MainWindow, tmp_path: Path) -> None:
    window.listening_check.setChecked(True)
    window.export_to(tmp_path / "t.csv", "csv")
    window.export_to(tmp_path / "t.json", "json")
    with (tmp_path / "t.csv").open() as f:
        ports = {int(r["local_port"]) for r in csv.DictReader(f)}
    assert ports == {62893, 5432, 53}
    data = json.loads((tmp_path / "t.json").read_text())
    assert {d["program"] for d in data} == {"python3", "postgres", "resolved"}


def test_settings_are_remembered(window: MainWindow, qtbot: QtBot, settings: Settings) -> None:
    window.filter_edit.setText("post")
    window.listening_check.setChecked(True)
    window.udp_check.setChecked(False)
    window.set_interval(2.5)
    window.table.setColumnWidth(1, 333)
    window.resize(800, 520)  # above the window's minimum size (the test buttons take three rows)
    window.close()
    scanner, _ = scripted_scanner(lambda: ROWS)
    again = MainWindow(scanner, settings, start=False)
    qtbot.addWidget(again)
    assert again.filter_edit.text() == ""  # a filter left from last time would hide rows without a word
    assert again.listening_check.isChecked() and not again.udp_check.isChecked() and again.tcp_check.isChecked()
    assert again.interval_spin.value() == 2.5 and again.scan_thread.interval == 2.5
    assert again.table.columnWidth(1) == 333
    assert (again.size().width(), again.size().height()) == (800, 520)


def test_pause_and_refresh_now(window: MainWindow, qtbot: QtBot, scripted: tuple[object, ScriptedSource]) -> None:
    _, source = scripted
    window.pause_button.click()
    assert window.scan_thread.paused and window.pause_button.text() == "Resume"
    assert "paused" in window.notice_label.text()
    qtbot.wait(100)
    calls = source.calls
    qtbot.wait(1200)
    assert source.calls <= calls + 1  # at most the scan that was already running
    calls = source.calls
    window.refresh_button.click()
    qtbot.waitUntil(lambda: source.calls > calls, timeout=3000)
    window.pause_action.trigger()
    assert not window.scan_thread.paused and window.pause_button.text() == "Pause"


def test_new_socket_appears_and_closed_one_goes(
    window: MainWindow, qtbot: QtBot, current_rows: list[SocketRow]
) -> None:
    current_rows.append(row(8080, program="node"))
    del current_rows[2]  # postgres goes
    qtbot.waitUntil(lambda: 8080 in shown_ports(window) and 5432 not in shown_ports(window), timeout=3000)
    assert window.model.total == 4


def test_a_failed_scan_is_shown_and_scanning_goes_on(
    window: MainWindow, qtbot: QtBot, scripted: tuple[object, ScriptedSource], caplog: pytest.LogCaptureFixture
) -> None:
    _, source = scripted
    with caplog.at_level(logging.ERROR, logger="loopgui.scan"):
        source.fail_next = RuntimeError("the kernel said no")
        qtbot.waitUntil(lambda: "failed" in window.notice_label.text(), timeout=3000)
    assert "keeps trying" in window.notice_label.text()
    assert any("scan failed" in r.message for r in caplog.records)
    qtbot.waitUntil(lambda: window.notice_label.text() == "", timeout=3000)


def test_hidden_owners_are_explained(qtbot: QtBot, settings: Settings) -> None:
    from loopgui.core.net.scanner import Scanner, SourceResult
    from loopgui.core.net.sockets import ScanProblem, ScanProblemCode

    class HiddenSource(ScriptedSource):
        def read(self, previous, now, should_stop):  # type: ignore[no-untyped-def]
            refused = ScanProblem(ScanProblemCode.OTHERS_REFUSED, count=2)
            return SourceResult({r.key: r for r in ROWS}, hidden_sockets=3, problems=(refused,))

    win = MainWindow(Scanner(HiddenSource(lambda: [])), settings)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: "3 sockets belong to other users" in win.notice_label.text(), timeout=3000)
    # Administrator rights are suggested only to whoever does not have them.
    assert ("administrator" in win.notice_label.text()) == (os.geteuid() != 0)
    assert "2 programs belong to other users or the system, so their connections are not listed." in (
        win.notice_label.text()
    )
    win.close()


def test_closing_mid_scan_stops_the_thread(
    window: MainWindow, qtbot: QtBot, scripted: tuple[object, ScriptedSource]
) -> None:
    _, source = scripted
    source.block.set()
    window.refresh_now()
    qtbot.waitUntil(source.blocking.is_set, timeout=3000)
    assert window.scan_thread.isRunning()
    window.close()
    assert window.scan_thread.isFinished()


def test_excepthook_shows_a_plain_dialog_and_logs(qapp: object, caplog: pytest.LogCaptureFixture) -> None:
    shown: list[tuple[str, str]] = []
    hook = make_excepthook(show=lambda text, details: shown.append((text, details)))
    try:
        raise ValueError("bad thing")
    except ValueError as exc:
        with caplog.at_level(logging.CRITICAL, logger="loopgui"):
            hook(type(exc), exc, exc.__traceback__)
    ((text, details),) = shown
    assert "Something went wrong inside loopgui" in text and "ValueError: bad thing" in text
    assert "Traceback" in details and "bad thing" in details
    assert any("unexpected error" in r.message for r in caplog.records)


def test_the_bar_counts_every_socket_and_never_contradicts_the_headline_under_a_filter(
    window: MainWindow, qtbot: QtBot
) -> None:
    """With text in the filter box, the bar used to count the filtered rows and say "Nothing on this computer uses
    it right now" while the headline said "Port 5432 is taken by postgres"."""
    window.filter_edit.setText("zzz")  # matches no row
    window._apply_filter()
    window.investigate_edit.setText("listen EADDRINUSE: address already in use :::5432")
    window.investigate()
    qtbot.waitUntil(lambda: window.explain_panel.diagnosis is not None, timeout=5000)
    assert window.explain_panel.headline.text() == "Port 5432 is taken by postgres (PID 77)."
    qtbot.waitUntil(lambda: "hidden by your filter" in window.banner_label.text(), timeout=3000)
    text = window.banner_label.text()
    assert "Nothing on this computer uses it" not in text
    assert text == "Showing what uses port 5432 (found: [::]:5432). 1 row is hidden by your filter."
    assert window.clear_filter_button.isVisibleTo(window)
    qtbot.mouseClick(window.clear_filter_button, Qt.MouseButton.LeftButton)
    assert window.filter_edit.text() == "" and shown_ports(window) == {5432}
    assert window.banner_label.text() == "Showing what uses port 5432 (found: [::]:5432)."
    assert not window.clear_filter_button.isVisibleTo(window)


def test_one_wording_for_a_program_of_another_user_on_every_surface() -> None:
    """The table, the explanation, History, watch notices and the Program tab name a hidden program alike."""
    from loopgui.core.explain.diagnosis import Holder
    from loopgui.core.history.store import Span
    from loopgui.core.watch import WatchEvent, WatchKind
    from loopgui.core.words import watch as watch_words
    from loopgui.core.words.explain import who
    from loopgui.core.words.history import span_program
    from loopgui.core.words.labels import owner_text
    from loopgui.core.words.programs import hidden_text

    hidden = row(8000, pid=None, program="")
    span = Span("TCP", "127.0.0.1", 8000, "", 0, 1.0, 2.0, True, "LISTEN", "LISTEN", True)
    one = hidden_text()
    assert {owner_text(hidden), who(Holder(hidden).ref), span_program(span)} == {one}
    notice = watch_words.text(WatchEvent(WatchKind.STARTED, 8000, "127.0.0.1:8000", "", None))
    assert notice.startswith(one + " started listening")
