"""The Explain panel and its place in the window: investigate, row selection, clipboard offer, copy report."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from loopgui.core.explain.diagnosis import Command, Diagnosis, Verdict
from loopgui.core.explain.facts import Case, D, F, S, fact
from loopgui.core.words import explain as words
from loopgui.ui.main_window import MainWindow
from loopgui.ui.panels.explain_panel import WELCOME, ExplainPanel
from loopgui.ui.settings import Settings
from tests.helpers import row, scripted_scanner

ROWS = [row(3000, local="::1", program="node", pid=7001), row(5432, program="postgres", pid=911)]


@pytest.fixture
def window(qtbot: QtBot, settings: Settings) -> Iterator[MainWindow]:
    rows = list(ROWS)
    scanner, _ = scripted_scanner(lambda: list(rows))
    win = MainWindow(scanner, settings)  # type: ignore[arg-type]
    win.set_interval(0.5)
    win.rows = rows  # type: ignore[attr-defined]
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.model.total == len(ROWS), timeout=5000)
    yield win
    win.close()


def test_panel_shows_welcome_then_a_diagnosis(qtbot: QtBot) -> None:
    panel = ExplainPanel()
    qtbot.addWidget(panel)
    panel.show()
    assert panel.headline.text() == WELCOME and panel.findings.isHidden()
    d = Diagnosis(
        case=fact(Case.REMOTE, address="<b>Nothing</b>:9"),
        verdict=Verdict.PROBLEM,
        findings=(fact(F.HISTORY_UNREADABLE, error="technical bit"),),
        steps=(fact(S.START_AGAIN), fact(S.RESTART_PROGRAM)),
        command=Command("ss -tulpn | grep :9"),
        details=(fact(D.ADDRESS, value="9"),),
    )
    panel.show_diagnosis(d)
    assert panel.headline.text() == "<b>Nothing</b>:9 is on another computer."
    assert panel.headline.textFormat() == Qt.TextFormat.PlainText  # untrusted text is never HTML
    assert panel.findings.text() == "• loopgui could not read its history of this port."
    assert panel.steps.text() == "1. Start your program again.\n2. If it keeps happening, restart that program."
    assert panel.diy.text() == "ss -tulpn | grep :9"
    assert not panel.details.isVisible()
    qtbot.mouseClick(panel.details_button, Qt.MouseButton.LeftButton)
    assert panel.details.isVisible() and "technical bit" in panel.details.toPlainText()
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text().startswith("loopgui report, ")
    assert not panel.close_button.isVisible()


def test_investigate_shows_the_diagnosis(window: MainWindow, qtbot: QtBot) -> None:
    window.investigate_edit.setText("Error: connect ECONNREFUSED 127.0.0.1:3000")
    window.investigate()
    panel = window.explain_panel
    qtbot.waitUntil(lambda: panel.diagnosis is not None, timeout=5000)
    assert panel.headline.text() == "node (PID 7001) listens on port 3000, but on a different address."
    assert "[::1]:3000" in panel.steps.text()
    conn = window.connectivity_panel
    assert (conn.host_edit.text(), conn.port_spin.value()) == ("127.0.0.1", 3000)
    window.clear_investigation()
    assert panel.headline.text() == WELCOME


def test_a_host_without_port_is_said_in_the_banner_and_the_explanation(window: MainWindow, qtbot: QtBot) -> None:
    window.investigate_edit.setText("ERROR 2003 (HY000): Can't connect to MySQL server on 'localhost' (10061)")
    window.investigate()
    panel = window.explain_panel
    qtbot.waitUntil(lambda: panel.diagnosis is not None, timeout=5000)
    assert panel.headline.text() == "The message names the computer “localhost” but not the port."
    assert window.investigation.banner_text == "The text names the computer “localhost”, but no port number."
    assert "3306" in words.report(panel.diagnosis)  # type: ignore[arg-type]


def test_explanation_updates_when_the_port_changes(window: MainWindow, qtbot: QtBot) -> None:
    window.investigate_edit.setText("connect ECONNREFUSED 127.0.0.1:8080")
    window.investigate()
    panel = window.explain_panel
    qtbot.waitUntil(lambda: panel.diagnosis is not None and "Nothing" in panel.headline.text(), timeout=5000)
    window.rows.append(row(8080, local="0.0.0.0", program="tomcat", pid=4040))  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: panel.headline.text() == "tomcat (PID 4040) is listening on port 8080 now.", timeout=5000)


def test_selecting_a_row_explains_it(window: MainWindow, qtbot: QtBot) -> None:
    at = window.model.row_index(ROWS[1].key)
    window.table.selectionModel().setCurrentIndex(
        window.model.index(at, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    qtbot.waitUntil(lambda: window.explain_panel.diagnosis is not None, timeout=5000)
    assert window.explain_panel.headline.text() == "postgres (PID 911) is listening on port 5432."
    assert "PostgreSQL" in window.explain_panel.findings.text()


def test_clipboard_offer(window: MainWindow, qtbot: QtBot) -> None:
    QGuiApplication.clipboard().setText(
        "Traceback...\nredis.exceptions.ConnectionError: Error 111 connecting to 127.0.0.1:6379. Connection refused."
    )
    window.offer_clipboard()
    qtbot.waitUntil(window.clip_banner.isVisible, timeout=5000)  # parsed off the GUI thread
    assert window.clip_label.text() == "Investigate 127.0.0.1:6379 from your clipboard?"
    qtbot.mouseClick(window.clip_yes, Qt.MouseButton.LeftButton)
    assert not window.clip_banner.isVisible()
    qtbot.waitUntil(lambda: window.explain_panel.diagnosis is not None, timeout=5000)
    assert "6379" in window.explain_panel.headline.text()
    window.offer_clipboard()  # the same text is not offered twice
    assert not window.clip_banner.isVisible()
    QGuiApplication.clipboard().setText("nothing to see here")
    window.offer_clipboard()
    qtbot.wait(300)
    assert not window.clip_banner.isVisible()


def test_explanation_notices_a_new_listener_one_typo_away(window: MainWindow, qtbot: QtBot) -> None:
    window.investigate_edit.setText("connect ECONNREFUSED 127.0.0.1:62839")
    window.investigate()
    panel = window.explain_panel
    qtbot.waitUntil(lambda: panel.diagnosis is not None, timeout=5000)
    assert "Did you mean" not in panel.findings.text()
    window.rows.append(row(62893, program="python3", pid=4242))  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: "Did you mean port 62893?" in panel.findings.text(), timeout=5000)
