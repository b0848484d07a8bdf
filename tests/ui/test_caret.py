"""The text cursor stops blinking after a while without input, and starts again on a key or a click."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from loopgui.ui.caret import CaretRest


def test_the_caret_rests_after_a_while_and_blinks_again_on_input(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    hints = app.styleHints()
    blink = hints.cursorFlashTime()
    if blink <= 0:
        hints.setCursorFlashTime(1000)  # a platform that blinks
        blink = 1000
    edit = QLineEdit()
    qtbot.addWidget(edit)
    edit.show()
    rest = CaretRest(app, rest_after_ms=200)
    try:
        qtbot.waitUntil(lambda: rest.resting, timeout=3000)
        assert hints.cursorFlashTime() == 0  # no blinking: no repaint twice a second
        QApplication.sendEvent(edit, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier, "a"))
        assert not rest.resting and hints.cursorFlashTime() == blink
        assert edit.text() == "a"  # the key still reached the box: the filter only watches
        qtbot.waitUntil(lambda: rest.resting, timeout=3000)  # and rests again
    finally:
        rest.remove()
    assert hints.cursorFlashTime() == blink


def test_a_platform_without_blinking_is_left_alone(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    hints = app.styleHints()
    before = hints.cursorFlashTime()
    hints.setCursorFlashTime(0)
    try:
        rest = CaretRest(app, rest_after_ms=50)
        qtbot.wait(200)
        assert not rest.resting and hints.cursorFlashTime() == 0
        assert isinstance(rest, QObject)
        rest.remove()
    finally:
        hints.setCursorFlashTime(before)
