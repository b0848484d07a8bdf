"""The investigation: one subject, one explanation that follows every change of the facts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from loopgui.core.net.sockets import SocketRow
from loopgui.ui.investigation import Showing
from loopgui.ui.main_window import MainWindow
from loopgui.ui.settings import Settings
from tests.helpers import row, scripted_scanner

ROWS = [
    row(8000, local="::1", program="python3", pid=4242),
    row(5432, program="postgres", pid=77),
    row(50111, remote="127.0.0.1", rport=5432, program="psql", pid=4343),
    row(40000, remote="127.0.0.1", rport=8000, state="TIME_WAIT", pid=None, program=""),
]
PASTED = "Error: connect ECONNREFUSED 127.0.0.1:8000"


@pytest.fixture
def current_rows() -> list[SocketRow]:
    return list(ROWS)


@pytest.fixture
def window(qtbot: QtBot, settings: Settings, current_rows: list[SocketRow]) -> Iterator[MainWindow]:
    scanner, _ = scripted_scanner(lambda: list(current_rows))
    win = MainWindow(scanner, settings)  # type: ignore[arg-type]
    win.set_interval(0.5)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.model.total == len(ROWS), timeout=5000)
    yield win
    win.close()


def pick(win: MainWindow, port: int) -> None:
    key = next(r.key for r in win.model.rows() if r.local_port == port)
    at = win.model.row_index(key)
    win.table.selectionModel().setCurrentIndex(
        win.model.index(at, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )


def headline(win: MainWindow) -> str:
    return win.explain_panel.headline.text()


def paste(win: MainWindow, qtbot: QtBot, text: str = PASTED) -> str:
    win.investigate_edit.setText(text)
    win.investigate()
    qtbot.waitUntil(lambda: win.explain_panel.diagnosis is not None, timeout=5000)
    return headline(win)


def test_picking_a_row_does_not_replace_the_pasted_explanation(window: MainWindow, qtbot: QtBot) -> None:
    pasted = paste(window, qtbot)
    assert "different address" in pasted  # the IPv4/IPv6 mismatch
    window.show_all_sockets()
    pick(window, 5432)
    qtbot.waitUntil(window.explain_panel.explain_row_button.isVisible, timeout=3000)
    qtbot.wait(400)  # longer than the row timer: nothing replaces the explanation behind the user's back
    assert headline(window) == pasted
    assert window.investigation.showing is Showing.PASTED
    assert "5432" in window.explain_panel.switch_label.text()
    assert window.connectivity_panel.port_spin.value() == 8000  # the tests stay on the pasted address too

    qtbot.mouseClick(window.explain_panel.explain_row_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "5432" in headline(window), timeout=5000)
    assert window.explain_panel.back_button.isVisible()
    assert window.connectivity_panel.port_spin.value() == 5432

    qtbot.mouseClick(window.explain_panel.back_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: headline(window) == pasted, timeout=5000)
    assert window.connectivity_panel.port_spin.value() == 8000


def test_tab_into_the_table_keeps_the_pasted_explanation(window: MainWindow, qtbot: QtBot) -> None:
    pasted = paste(window, qtbot)
    window.table.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.wait(500)
    assert headline(window) == pasted
    assert window.investigation.showing is Showing.PASTED


def test_without_a_paste_a_picked_row_is_explained_at_once(window: MainWindow, qtbot: QtBot) -> None:
    pick(window, 5432)
    qtbot.waitUntil(lambda: "5432" in headline(window), timeout=5000)
    assert not window.explain_panel.switch_bar.isVisible()
    assert window.investigation.showing is Showing.ROW


def test_a_picked_socket_that_goes_is_explained_again_at_once(
    window: MainWindow, qtbot: QtBot, current_rows: list[SocketRow]
) -> None:
    pick(window, 5432)
    qtbot.waitUntil(lambda: "postgres" in headline(window), timeout=5000)
    del current_rows[1]  # postgres closed (the Delete key or another window)
    qtbot.waitUntil(lambda: "postgres" not in headline(window), timeout=3000)
    findings = window.explain_panel.findings.text()
    assert "is gone" in findings
    assert window.explain_panel.diagnosis is not None and not window.explain_panel.close_button.isVisible()


def test_a_close_refreshes_the_explanation_without_waiting_for_the_port_to_change(
    window: MainWindow, qtbot: QtBot
) -> None:
    paste(window, qtbot, "port 5432 already in use")
    shown: list[object] = []
    window.investigation.diagnosis_shown.connect(shown.append)
    window.close_flow.finished.emit("postgres (PID 77) closed. Port 5432 is free now.")
    qtbot.waitUntil(lambda: len(shown) >= 1, timeout=3000)
    assert "Port 5432 is free now." in window.message_label.text()


def test_status_messages_show(window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    window.table.selectAll()
    window.copy_action.trigger()
    assert window.message_label.text() == "Copied 4 rows"
    assert window.message_label.isVisible() and window.message_label.width() > 50
    window.export_to(tmp_path / "t.csv", "csv")
    assert window.message_label.text().startswith("Saved 4 rows to ")
    pick(window, 40000)
    window.close_selected_program()
    text = window.message_label.text()
    assert "loopgui cannot close it" in text and "connection already closed" in text
    assert window.message_label.isVisible()


def test_a_program_without_a_name_is_not_a_pick_a_row_prompt(window: MainWindow, qtbot: QtBot) -> None:
    pick(window, 40000)
    qtbot.waitUntil(lambda: "already closed" in window.process_panel.intro.text(), timeout=3000)
    assert "Pick a row" not in window.process_panel.intro.text()


def test_extension_points(window: MainWindow) -> None:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QLabel

    index = window.add_tab(QLabel("x"), "Extra")
    assert window.tabs.tabText(index) == "Extra"
    menu = window.add_menu("&Extra")
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles.index(menu.title()) == titles.index("&Help") - 1
    action = QAction("Do something", window)
    window.add_row_action(action)
    assert action in window._row_actions


def test_the_switch_says_when_the_picked_row_has_closed(
    window: MainWindow, qtbot: QtBot, current_rows: list[SocketRow]
) -> None:
    paste(window, qtbot)
    window.show_all_sockets()
    pick(window, 5432)
    qtbot.waitUntil(lambda: "You picked a row" in window.explain_panel.switch_label.text(), timeout=3000)
    del current_rows[1]
    qtbot.waitUntil(lambda: "has closed since" in window.explain_panel.switch_label.text(), timeout=3000)
    assert "still about your message" in window.explain_panel.switch_label.text()


def test_a_finished_test_explains_again_but_not_every_repeat(window: MainWindow, qtbot: QtBot) -> None:
    paste(window, qtbot)
    shown: list[object] = []
    window.investigation.diagnosis_shown.connect(shown.append)
    window.connectivity_panel.finished.emit()
    qtbot.waitUntil(lambda: len(shown) >= 1, timeout=3000)
    window.connectivity_panel.repeat_button.blockSignals(True)
    window.connectivity_panel.repeat_button.setChecked(True)  # as in repeat mode, without starting it
    window.set_interval(10)  # no scan re-runs it meanwhile
    qtbot.wait(300)
    count = len(shown)
    for _ in range(5):
        window.connectivity_panel.finished.emit()
    qtbot.wait(500)
    assert len(shown) == count


def test_the_program_tab_says_which_program(qtbot: QtBot) -> None:
    from loopgui.core.programs.processes import ProcessFacts
    from loopgui.ui.panels.process_panel import ProcessPanel

    panel = ProcessPanel()
    qtbot.addWidget(panel)
    facts = ProcessFacts(pid=4242, name="python3", create_time=1.0, cmdline=("python3", "-m", "http.server", "8000"))
    panel.show_facts(facts, ())
    assert panel.values["name"].text() == "python3 -m http.server 8000"
    panel.show()
    panel.show_facts(ProcessFacts(pid=4242, name="", gone=True), ())  # it closed: one sentence, no dashes
    assert panel.intro.text() == "python3 -m http.server 8000 (PID 4242) has closed."
    assert not any(v.isVisible() for v in panel.values.values())
    assert not panel.close_button.isVisible()


def test_the_program_tab_follows_the_explanation_without_a_picked_row(
    window: MainWindow, qtbot: QtBot, current_rows: list[SocketRow]
) -> None:
    from loopgui.core.programs.processes import ProcessFacts

    alive = {4242}
    window.investigation._read_facts = lambda pid: ProcessFacts(  # no such process here
        pid=pid, name="python3", gone=pid not in alive
    )
    paste(window, qtbot, "Error: listen EADDRINUSE: address already in use :::8000")
    qtbot.waitUntil(lambda: window.process_panel.facts is not None, timeout=3000)
    assert window.process_panel.facts is not None and window.process_panel.facts.pid == 4242
    assert "Pick a row" not in window.process_panel.intro.text()
    assert window.process_panel.close_button.isVisibleTo(window.process_panel)
    alive.clear()  # the program ends: the Program tab says so, and offers no close any more
    current_rows[:] = [r for r in current_rows if r.local_port != 8000]
    qtbot.waitUntil(lambda: "has closed" in window.process_panel.intro.text(), timeout=5000)
    assert not window.process_panel.close_button.isVisibleTo(window.process_panel)


def test_a_new_paste_forgets_a_picked_row_that_closed(
    window: MainWindow, qtbot: QtBot, current_rows: list[SocketRow]
) -> None:
    paste(window, qtbot, "Error: connect ECONNREFUSED 127.0.0.1:5432")
    pick(window, 5432)
    qtbot.waitUntil(lambda: window.explain_panel.switch_bar.isVisibleTo(window.explain_panel), timeout=3000)
    current_rows[:] = [r for r in current_rows if r.local_port != 5432]
    qtbot.waitUntil(lambda: "closed since" in window.explain_panel.switch_label.text(), timeout=5000)
    paste(window, qtbot, PASTED)  # another investigation: the old pick is not talked about
    assert not window.explain_panel.switch_bar.isVisibleTo(window.explain_panel)
    assert "5432" not in window.explain_panel.switch_label.text()
