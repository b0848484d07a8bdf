"""The split between the explanation and the table follows what they show, until the user drags the handle."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from loopgui.ui.main_window import MainWindow
from loopgui.ui.screen import split_sizes
from loopgui.ui.settings import Settings
from loopgui.ui.socket_model import Column, SocketTableModel
from loopgui.ui.socket_view import FIRST_WINDOW_WIDTH, SocketTableView
from tests.helpers import row, scripted_scanner

ROWS = [row(5000 + i, program=f"p{i}", pid=1000 + i) for i in range(40)] + [row(62893, program="python3", pid=4242)]


@pytest.fixture
def window(qtbot: QtBot, settings: Settings) -> Iterator[MainWindow]:
    scanner, _ = scripted_scanner(lambda: list(ROWS))
    win = MainWindow(scanner, settings)
    qtbot.addWidget(win)
    win.resize(1100, 760)
    win.show()
    qtbot.waitUntil(lambda: win.model.total == len(ROWS), timeout=5000)
    yield win
    win.close()


def _settled(qtbot: QtBot) -> None:
    qtbot.wait(50)


def test_split_sizes_share() -> None:
    assert split_sizes(600, 80, None) == (240, 360)  # a short welcome: the table gets most of it
    assert split_sizes(600, 400, None) == (270, 330)  # every socket listed: the table keeps more than half
    assert split_sizes(600, 400, 100) == (400, 200)  # narrowed table: the explanation gets what it needs
    assert split_sizes(600, 700, 100) == (480, 120)  # but the table keeps a fifth at least
    assert split_sizes(0, 50, None) == (0, 0)


def test_first_start_leaves_the_table_most_of_the_window(window: MainWindow, qtbot: QtBot) -> None:
    _settled(qtbot)
    top, table = window.splitter.sizes()
    assert table >= 3 * top // 2 - 2, (top, table)


def test_an_explanation_is_not_cut_off_above_a_narrowed_table(window: MainWindow, qtbot: QtBot) -> None:
    qtbot.keyClicks(window.investigate_edit, "connect ECONNREFUSED 127.0.0.1:62893")
    qtbot.keyClick(window.investigate_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.explain_panel.diagnosis is not None, timeout=5000)
    _settled(qtbot)
    top, table = window.splitter.sizes()
    bar = window.explain_panel.scroll_area.verticalScrollBar()
    assert bar.maximum() == 0, (top, table, bar.maximum())  # everything readable without scrolling
    assert table >= window.table.horizontalHeader().height() + 2 * window.table.verticalHeader().defaultSectionSize()
    window.investigate_edit.clear()  # back to the welcome: the table gets its room back
    _settled(qtbot)
    top, table = window.splitter.sizes()
    assert table >= 3 * top // 2 - 2


def test_a_dragged_handle_stays_where_the_user_put_it(window: MainWindow, qtbot: QtBot, settings: Settings) -> None:
    _settled(qtbot)
    window.splitter.setSizes([300, 300])
    window.splitter.splitterMoved.emit(window.splitter.sizes()[0], 1)  # what a drag of the handle emits
    qtbot.keyClicks(window.investigate_edit, "127.0.0.1:62893")
    qtbot.keyClick(window.investigate_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.explain_panel.diagnosis is not None, timeout=5000)
    _settled(qtbot)
    top, table = window.splitter.sizes()
    assert abs(top - table) <= 2  # the banner took some height from both alike (Qt's stretch), nothing more
    window.save_settings()
    assert settings.splitter_sizes == (top, table)


def test_an_undragged_split_is_not_remembered(window: MainWindow, settings: Settings) -> None:
    window.save_settings()
    assert settings.splitter_sizes is None


def test_the_program_column_is_on_screen_in_the_first_window_size(qtbot: QtBot) -> None:
    view = SocketTableView(SocketTableModel())
    qtbot.addWidget(view)
    before_program = view.horizontalHeader().sectionPosition(Column.PROGRAM)
    room = FIRST_WINDOW_WIDTH - 20 - 24  # the window's margins; the table's frame and vertical scroll bar
    assert before_program + 280 <= room, before_program  # 280 pixels: "python3 -m http.server 8000" and more
    # State is as wide as its usual text, not as a leftover's countdown (that one is cut with "…", tooltip)
    usual = view.fontMetrics().horizontalAdvance("Waiting for connections (LISTEN)") + 16
    assert view.columnWidth(Column.STATE) <= max(215, usual)


def test_the_welcome_starts_at_the_top_beside_its_icon(window: MainWindow, qtbot: QtBot) -> None:
    _settled(qtbot)
    panel = window.explain_panel
    icon, headline = panel.icon.geometry(), panel.headline.geometry()
    assert icon.top() <= 12  # not floated down into the middle of the space
    first_line = headline.top() + panel.headline.contentsMargins().top() + panel.headline.fontMetrics().height() // 2
    assert abs(first_line - icon.center().y()) <= 4  # the first line of text beside the middle of the icon


def test_another_tab_gets_the_room_its_layout_asks_for(window: MainWindow, qtbot: QtBot) -> None:
    _settled(qtbot)
    welcome_top = window.splitter.sizes()[0]
    window.tabs.setCurrentWidget(window.connectivity_panel)
    _settled(qtbot)
    top = window.splitter.sizes()[0]
    page = window.connectivity_panel
    assert top > welcome_top
    assert top >= min(page.minimumSizeHint().height(), sum(window.splitter.sizes()) * 9 // 20)


def test_the_split_does_not_move_as_connections_come_and_go(qtbot: QtBot, settings: Settings) -> None:
    rows = [row(62893, program="python3", pid=4242)]
    scanner, _ = scripted_scanner(lambda: list(rows))
    win = MainWindow(scanner, settings)
    qtbot.addWidget(win)
    win.set_interval(0.5)
    win.resize(700, 520)  # small: the explanation needs more than the table leaves it
    win.show()
    win.investigate_edit.setText("connect ECONNREFUSED 127.0.0.1:62893")
    win.investigate()
    qtbot.waitUntil(lambda: win.explain_panel.diagnosis is not None, timeout=5000)
    _settled(qtbot)
    before = win.splitter.sizes()
    rows.extend(row(40000 + i, remote="127.0.0.1", rport=62893, state="TIME_WAIT", pid=None) for i in range(10))
    qtbot.waitUntil(lambda: win.model.rowCount() >= 11, timeout=5000)
    _settled(qtbot)
    assert win.splitter.sizes() == before
    win.close()


def test_picking_a_row_moves_nothing_under_the_mouse(window: MainWindow, qtbot: QtBot) -> None:
    _settled(qtbot)
    before = window.splitter.sizes()
    window.table.setFocus()
    index = window.model.index(3, 0)
    qtbot.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton, pos=window.table.visualRect(index).center())
    qtbot.waitUntil(lambda: window.explain_panel.diagnosis is not None, timeout=5000)
    _settled(qtbot)
    assert window.splitter.sizes() == before  # the row explanation fits into the share the table left it
