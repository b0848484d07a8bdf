"""The socket table model: incremental updates, sorting, filtering, highlights, Qt's model checks."""

from __future__ import annotations

import dataclasses
import os
import random
import time
from collections.abc import Mapping

from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QTableView
from pytestqt.qtbot import QtBot

from loopgui.core.net.sockets import Snapshot, SocketRow
from loopgui.core.words.filter import RowFilter
from loopgui.ui.socket_model import Column, Role, SocketTableModel
from tests.helpers import row, snapshot


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


STATES = ["LISTEN", "ESTABLISHED", "TIME_WAIT", "CLOSE_WAIT"]


def random_rows(rng: random.Random) -> list[SocketRow]:
    out = []
    for port in rng.sample(range(1, 60), rng.randint(0, 40)):
        proto = rng.choice(["TCP", "UDP"])
        out.append(
            row(
                port,
                proto=proto,
                state=rng.choice(STATES) if proto == "TCP" else "NONE",
                pid=rng.choice([None, 1, 2, 30]),
                program=rng.choice(["", "b", "A", "c"]),
                first_seen=float(rng.randint(0, 5)),
            )
        )
    return out


def expected_order(rows: Mapping[bytes, SocketRow], model: SocketTableModel) -> list[bytes]:
    column = model._sort_column
    descending = model._descending
    accepted = [r for r in rows.values() if model.row_filter.accepts(r)]
    accepted.sort(key=lambda r: (model.data(_fake_index(model, r, column), int(Role.SORT)), r.key), reverse=descending)
    return [r.key for r in accepted]


def _fake_index(model: SocketTableModel, r: SocketRow, column: int) -> QModelIndex:
    at = model.row_index(r.key)
    if at >= 0:
        return model.index(at, column)
    raise AssertionError("row not shown")


def apply_sequence(model: SocketTableModel, seq: list[list[SocketRow]]) -> Snapshot:
    prev: Mapping[bytes, SocketRow] = {}
    snap = snapshot([])
    for rows in seq:
        snap = snapshot(rows, prev)
        model.apply_snapshot(snap)
        prev = snap.rows
    return snap


def test_model_tester_while_diffs_arrive(qtmodeltester, qapp: QApplication) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    model = SocketTableModel(clock=clock)
    rng = random.Random(7)
    prev: Mapping[bytes, SocketRow] = {}
    snap = snapshot(random_rows(rng))
    model.apply_snapshot(snap)
    prev = snap.rows
    qtmodeltester.check(model)  # stays attached: Qt's tester checks every later signal too
    for step in range(30):
        clock.now += rng.choice([0.5, 1.0, 4.0])
        snap = snapshot(random_rows(rng), prev)
        model.apply_snapshot(snap)
        prev = snap.rows
        if step % 10 == 3:
            model.sort(
                rng.randrange(len(Column)), rng.choice([Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder])
            )
        if step % 15 == 7:
            model.set_filter(RowFilter(listening_only=rng.random() < 0.5, udp=rng.random() < 0.7))
        model.tick()
    qtmodeltester.check(model)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 10_000),
    st.integers(0, len(Column) - 1),
    st.booleans(),
    st.booleans(),
)
def test_rows_always_match_sorted_filtered_snapshot(
    qapp: QApplication, seed: int, column: int, descending: bool, listening: bool
) -> None:
    rng = random.Random(seed)
    model = SocketTableModel()
    model.highlight_seconds = 0  # vanished rows go at once
    model.sort(column, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder)
    model.set_filter(RowFilter(listening_only=listening))
    snap = apply_sequence(model, [random_rows(rng) for _ in range(6)])
    assert [r.key for r in model.rows()] == expected_order(snap.rows, model)
    assert model.rowCount() == len(model.rows())


def test_ports_sort_as_numbers(qapp: QApplication) -> None:
    model = SocketTableModel()
    model.apply_snapshot(snapshot([row(100), row(9), row(10)]))
    model.sort(Column.LOCAL_PORT, Qt.SortOrder.AscendingOrder)
    assert [model.data(model.index(i, Column.LOCAL_PORT)) for i in range(3)] == ["9", "10", "100"]
    model.sort(Column.LOCAL_PORT, Qt.SortOrder.DescendingOrder)
    assert [model.data(model.index(i, Column.LOCAL_PORT)) for i in range(3)] == ["100", "10", "9"]
    assert model.data(model.index(0, Column.LOCAL_PORT), int(Role.SORT)) == 100


def test_new_rows_green_vanished_rows_red_then_gone(qapp: QApplication) -> None:
    clock = Clock()
    model = SocketTableModel(clock=clock)
    a, b = row(1), row(2)
    first = snapshot([a])
    model.apply_snapshot(first)
    assert model.data(model.index(0, 0), Qt.ItemDataRole.BackgroundRole) is None  # the first scan is not "new"
    second = snapshot([b], first.rows)
    model.apply_snapshot(second)
    assert model.rowCount() == 2  # a stays, shown as gone
    counts: list[tuple[int, int]] = []
    model.counts_changed.connect(lambda shown, total: counts.append((shown, total)))
    model.tick()
    assert counts[-1] == (1, 1)
    gone = model.data(model.index(model.row_index(a.key), 0), Qt.ItemDataRole.BackgroundRole)
    new = model.data(model.index(model.row_index(b.key), 0), Qt.ItemDataRole.BackgroundRole)
    assert gone.red() > gone.green() and new.green() > new.red()
    assert "closed" in model.data(model.index(model.row_index(a.key), 0), Qt.ItemDataRole.ToolTipRole)
    clock.now += 3.1
    model.tick()
    assert [r.key for r in model.rows()] == [b.key]
    assert model.data(model.index(0, 0), Qt.ItemDataRole.BackgroundRole) is None
    assert not model._timer.isActive()


def test_row_that_comes_back_stops_being_gone(qapp: QApplication) -> None:
    clock = Clock()
    model = SocketTableModel(clock=clock)
    a = row(1)
    s1 = snapshot([a])
    model.apply_snapshot(s1)
    s2 = snapshot([], s1.rows)
    model.apply_snapshot(s2)
    assert model.is_gone(a.key)
    model.apply_snapshot(snapshot([row(1, state="ESTABLISHED")], s2.rows))
    assert not model.is_gone(a.key) and model.rowCount() == 1
    assert model.rows()[0].state == "ESTABLISHED"


def test_selection_and_current_row_survive_refreshes_and_moves(qapp: QApplication) -> None:
    model = SocketTableModel()
    view = QTableView()
    view.setModel(model)
    model.sort(Column.STATE, Qt.SortOrder.AscendingOrder)
    chosen = row(500, state="ESTABLISHED", remote="127.0.0.1", rport=9)
    s1 = snapshot([row(600), chosen, row(700)])
    model.apply_snapshot(s1)
    at = model.row_index(chosen.key)
    view.selectionModel().setCurrentIndex(
        model.index(at, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    )
    # insert rows around it and change its state so it moves (sorted by state)
    moved = row(500, state="TIME_WAIT", remote="127.0.0.1", rport=9)
    s2 = snapshot([row(1), row(600), moved, row(700), row(9000)], s1.rows)
    model.apply_snapshot(s2)
    selected = view.selectionModel().selectedRows()
    assert len(selected) == 1
    assert model.row_at(selected[0].row()) == moved
    assert model.row_at(view.currentIndex().row()) == moved
    model.sort(Column.LOCAL_PORT, Qt.SortOrder.DescendingOrder)
    assert model.row_at(view.selectionModel().selectedRows()[0].row()) == moved


def test_owner_texts_in_plain_words(qapp: QApplication) -> None:
    model = SocketTableModel()
    hidden = row(5, pid=None, program="")
    waiting = dataclasses.replace(
        row(6, state="TIME_WAIT", remote="127.0.0.1", rport=7, pid=None, program=""), expires_at=time.time() + 30
    )
    model.apply_snapshot(snapshot([hidden, waiting]))
    texts = {model.data(model.index(i, Column.PROGRAM)) for i in range(2)}
    assert texts == {"a program of another user or of the system", "no program (connection already closed)"}
    tip = model.data(model.index(model.row_index(hidden.key), Column.PID), Qt.ItemDataRole.ToolTipRole)
    assert "system" in tip and ("administrator" in tip) == (os.geteuid() != 0)
    tip = model.data(model.index(model.row_index(waiting.key), Column.PROGRAM), Qt.ItemDataRole.ToolTipRole)
    assert "already closed" in tip and "administrator" not in tip  # no advice that cannot help
    state = model.data(model.index(model.row_index(waiting.key), Column.STATE))
    assert state.startswith("Closing (leftover, clears") and state.endswith("(TIME_WAIT)")
    tip = model.data(model.index(model.row_index(waiting.key), Column.STATE), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Closing (leftover") and "frees it" in tip
    listening = model.data(model.index(model.row_index(hidden.key), Column.STATE))
    assert listening == "Waiting for connections (LISTEN)"
    assert model.data(model.index(0, Column.LOCAL_ADDRESS), Qt.ItemDataRole.ToolTipRole).startswith(
        "This computer only"
    )


def test_the_table_shows_a_focus_frame_in_the_highlight_colour(qtbot: QtBot) -> None:
    """Keyboard users see where the focus is: a frame in the palette's highlight colour while the table has it,
    painted without a style sheet (which made every refresh about 5 ms slower at 10k rows)."""
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

    from loopgui.ui.socket_view import SocketTableView

    holder = QWidget()
    qtbot.addWidget(holder)
    layout = QVBoxLayout(holder)
    other = QLineEdit()
    view = SocketTableView(SocketTableModel())
    layout.addWidget(other)
    layout.addWidget(view)
    holder.resize(400, 300)
    holder.show()
    qtbot.waitExposed(holder)
    assert view.styleSheet() == ""
    highlight = view.palette().color(QPalette.ColorRole.Highlight).rgb()

    def edge_colour() -> int:
        image = view.viewport().grab().toImage()
        return image.pixelColor(image.width() // 2, 1).rgb()

    other.setFocus()
    qtbot.waitUntil(other.hasFocus)
    assert edge_colour() != highlight
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    assert edge_colour() == highlight


def test_tints_and_dimmed_text_follow_the_palette(qtbot: QtBot) -> None:
    """On a dark palette the new/closed tints are the lighter hues and the 'no program' text takes the palette's
    placeholder colour; switching the view's palette re-colours the table."""
    from PySide6.QtGui import QColor, QPalette

    from loopgui.ui.socket_model import DARK_NEW_COLOR, NEW_COLOR
    from loopgui.ui.socket_view import SocketTableView

    model = SocketTableModel(clock=Clock())
    view = SocketTableView(model)
    qtbot.addWidget(view)
    first = snapshot([row(1)])
    model.apply_snapshot(first)
    model.apply_snapshot(snapshot([row(1), row(2, pid=None, program="")], first.rows))
    fresh = next(i for i, r in enumerate(model.rows()) if r.local_port == 2)

    def tint() -> QColor:
        value = model.data(model.index(fresh, 0), Qt.ItemDataRole.BackgroundRole)
        assert isinstance(value, QColor)
        return value

    light = QPalette(view.palette())
    light.setColor(QPalette.ColorRole.Base, QColor("white"))
    light.setColor(QPalette.ColorRole.PlaceholderText, QColor(120, 120, 120))
    view.setPalette(light)
    assert tint().rgb() == NEW_COLOR.rgb()
    dark = QPalette(light)
    dark.setColor(QPalette.ColorRole.Base, QColor(30, 30, 30))
    dark.setColor(QPalette.ColorRole.PlaceholderText, QColor(170, 170, 170))
    view.setPalette(dark)
    assert tint().rgb() == DARK_NEW_COLOR.rgb()
    dim = model.data(model.index(fresh, Column.PROGRAM), Qt.ItemDataRole.ForegroundRole)
    assert isinstance(dim, QColor) and dim.rgb() == QColor(170, 170, 170).rgb()


def test_leftovers_count_down_every_second_and_only_their_state_cells_are_redrawn(qtbot: QtBot) -> None:
    """The countdown comes from the kernel's timer (expires_at); once a second the State cells of the TIME_WAIT
    rows are redrawn (dataChanged on that column only); with no leftover shown the timer does not run."""
    model = SocketTableModel()
    model.highlight_seconds = 0  # no green tint fading: only the countdown redraws
    listener = row(80)
    leftover = dataclasses.replace(
        row(40000, remote="127.0.0.1", rport=80, state="TIME_WAIT", pid=None, program=""), expires_at=time.time() + 42.5
    )
    model.apply_snapshot(snapshot([listener]))
    assert not model.counting_down  # nothing counts down: no work
    first = snapshot([listener, leftover], snapshot([listener]).rows)
    model.apply_snapshot(first)
    assert model.counting_down
    cell = model.index(model.row_index(leftover.key), Column.STATE)
    assert model.data(cell) in {f"Closing (leftover, clears in {n} s) (TIME_WAIT)" for n in (41, 42)}
    with qtbot.waitSignal(model.dataChanged, timeout=2500) as blocker:
        pass
    top, bottom = blocker.args[0], blocker.args[1]
    assert top.column() == bottom.column() == Column.STATE
    assert top.row() == bottom.row() == model.row_index(leftover.key)
    model.set_filter(RowFilter(listening_only=True))  # the leftover is not shown any more
    assert not model.counting_down
