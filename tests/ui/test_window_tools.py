"""The table's tools a connections-table user expects: Properties, the row and header menus, the whole-port filter;
the Explanation tab follows Investigate and starts each subject at its top; nothing moves when a bar appears."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QPlainTextEdit
from pytestqt.qtbot import QtBot

from loopgui.core.programs.processes import ProcessFacts
from loopgui.core.words.window import properties_text
from loopgui.ui.main_window import MainWindow
from loopgui.ui.settings import Settings
from loopgui.ui.socket_model import Column
from tests.helpers import row, scripted_scanner

ME = os.getpid()
ROWS = [
    row(8080, program="python3", pid=ME),
    row(48080, program="node", pid=ME),
    row(41000, remote="127.0.0.1", rport=8080, program="curl", pid=ME),
    dataclasses.replace(
        row(42000, remote="127.0.0.1", rport=3000, state="TIME_WAIT", pid=None, program=""),
        expires_at=time.time() + 50,
    ),
]


@pytest.fixture
def window(qtbot: QtBot, settings: Settings) -> Iterator[MainWindow]:
    scanner, _ = scripted_scanner(lambda: list(ROWS))
    win = MainWindow(scanner, settings)  # type: ignore[arg-type]
    qtbot.addWidget(win)
    win.resize(1100, 700)
    win.show()
    qtbot.waitUntil(lambda: win.model.total == len(ROWS), timeout=5000)
    yield win
    win.close()


def _select(win: MainWindow, port: int) -> None:
    index = next(i for i in range(win.model.rowCount()) if win.model.row_at(i).local_port == port)  # type: ignore[union-attr]
    win.table.setCurrentIndex(win.model.index(index, Column.PROGRAM))


def test_typing_8080_in_the_filter_shows_port_8080_not_48080(window: MainWindow, qtbot: QtBot) -> None:
    window.filter_edit.setText("8080")
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=3000)
    assert {r.local_port for r in window.model.rows()} == {8080, 41000}


def test_enter_and_double_click_open_properties_with_every_fact_as_plain_text(window: MainWindow, qtbot: QtBot) -> None:
    _select(window, 8080)
    window.table.setFocus()
    qtbot.waitUntil(window.table.hasFocus, timeout=2000)
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert window.properties_dialogs, "Enter opened no Properties"
    dialog = window.properties_dialogs[-1]
    text = dialog.findChild(QPlainTextEdit)
    assert text is not None and text.isReadOnly()
    qtbot.waitUntil(lambda: "Command line:" in text.toPlainText(), timeout=5000)  # the program's facts arrive
    shown = text.toPlainText()
    for line in ("Protocol: TCP", "Local address: 127.0.0.1", "Local port: 8080", "PID: " + str(ME), "State: "):
        assert line in shown
    assert dialog.windowTitle() == "Properties of 127.0.0.1:8080"
    dialog.close()
    index = window.table.currentIndex()
    window.table.doubleClicked.emit(index)
    assert window.properties_dialogs[-1] is not dialog and window.properties_dialogs[-1].isVisible()


def test_properties_words_for_a_leftover_and_a_hidden_command_line_secret() -> None:
    leftover = ROWS[3]
    text = properties_text(leftover, None)
    assert "Clears at:" in text and "Why no program:" in text and "PID:" not in text
    facts = ProcessFacts(pid=5, name="mysql", cmdline=("mysql", "-u", "root", "-psecret"), username="me")
    text = properties_text(row(3306, pid=5), facts)
    assert "secret" not in text and "Command line: mysql -u root" in text and "User: me" in text


def test_the_row_menu_has_what_a_connections_table_offers(window: MainWindow, qtbot: QtBot) -> None:
    _select(window, 41000)
    menu = window.row_menu(window.table.currentIndex())
    assert menu is not None
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    for wanted in (
        "Explain this port",
        "Test this port",
        "Copy the address",
        "Copy this cell",
        "Copy the row",
        "C&lose this program…",
        "Close this connection…",
        "&Properties",
    ):
        assert wanted in texts
    by_text = {a.text(): a for a in menu.actions()}
    by_text["Copy this cell"].trigger()
    assert QGuiApplication.clipboard().text() == "curl"  # the Program cell that was right-clicked
    by_text["Copy the address"].trigger()
    assert QGuiApplication.clipboard().text() == "127.0.0.1:41000"
    by_text["Copy the row"].trigger()
    assert QGuiApplication.clipboard().text().splitlines()[1].startswith("TCP\t127.0.0.1\t41000")
    by_text["Test this port"].trigger()  # a connection: its other side
    assert window.tabs.current_page() is window.connectivity_panel
    assert window.connectivity_panel.port_spin.value() == 8080


def test_the_header_menu_hides_columns_and_remembers_them(qtbot: QtBot, window: MainWindow, tmp_path: object) -> None:
    menu = window.column_menu()
    pid = next(a for a in menu.actions() if a.text() == "PID")
    assert pid.isChecked()
    pid.trigger()  # unchecks: the PID column goes
    assert window.table.horizontalHeader().isSectionHidden(Column.PID)
    path = window._settings._q.fileName()
    window.save_settings()
    scanner, _ = scripted_scanner(lambda: list(ROWS))
    again = MainWindow(scanner, Settings(QSettings(path, QSettings.Format.IniFormat)), start=False)  # type: ignore[arg-type]
    qtbot.addWidget(again)
    assert again.table.horizontalHeader().isSectionHidden(Column.PID)
    for column in range(again.model.columnCount()):  # hiding every column leaves the last one
        again.set_column_shown(column, False)
    header = again.table.horizontalHeader()
    assert header.count() - header.hiddenSectionCount() == 1


def test_investigate_shows_the_explanation_from_its_top(window: MainWindow, qtbot: QtBot) -> None:
    window.tabs.setCurrentWidget(window.process_panel)
    window.investigate_edit.setText("8080")  # a bare port number is accepted
    window.investigate()
    assert window.tabs.current_page() is window.explain_panel
    assert window.investigation.port == 8080
    qtbot.waitUntil(lambda: window.explain_panel.diagnosis is not None, timeout=5000)
    panel = window.explain_panel
    bar = panel.scroll_area.verticalScrollBar()
    window.splitter.setSizes([120, 500])  # a short explanation area: it scrolls
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=3000)
    bar.setValue(bar.maximum())
    window.investigate_edit.setText("connect ECONNREFUSED 127.0.0.1:48080")
    window.investigate()
    qtbot.waitUntil(
        lambda: (
            panel.diagnosis is not None
            and panel.diagnosis.endpoint is not None
            and panel.diagnosis.endpoint.port == 48080
        ),
        timeout=5000,
    )
    assert bar.value() == 0  # the new headline is in view


def test_nothing_moves_when_a_bar_appears_or_a_row_is_picked(window: MainWindow, qtbot: QtBot) -> None:
    def place() -> tuple[int, int, int]:
        return window.table.mapTo(window, window.table.rect().topLeft()).y(), window.tabs.y(), window.filter_edit.y()

    qtbot.wait(100)
    before = place()
    assert window.idle_hint.isVisible() and "right-click a row" in window.idle_hint.text()  # no blank band
    QGuiApplication.clipboard().setText("Error: connect ECONNREFUSED 127.0.0.1:3000")
    window.offer_clipboard()
    assert window.clip_banner.isVisible()
    qtbot.wait(50)
    assert place() == before  # the offer lies over the reserved place
    window.clip_no.click()
    window.table.setFocus()
    _select(window, 48080)  # picking a row: the explanation changes, the table stays where it was
    qtbot.waitUntil(lambda: window.explain_panel.diagnosis is not None, timeout=5000)
    qtbot.wait(100)
    assert place() == before
    window.investigate_edit.setText("port 8080")
    window.investigate()  # the bar above the table appears in its reserved place
    qtbot.waitUntil(window.banner.isVisible, timeout=2000)
    qtbot.wait(50)
    assert place()[2] == before[2] and not window.idle_hint.isVisible()
    assert window.idle_hint.geometry() == window.banner.geometry()  # the tip lay exactly where the bar is


def test_a_leftover_reads_the_kernels_time_in_the_table(window: MainWindow) -> None:
    index = window.model.index(window.model.row_index(ROWS[3].key), Column.STATE)
    text = window.model.data(index)
    left = (ROWS[3].expires_at or 0) - time.time()
    assert text in {f"Closing (leftover, clears in {int(left) - d} s) (TIME_WAIT)" for d in (0, 1)} or left < 1
    assert window.model.counting_down
