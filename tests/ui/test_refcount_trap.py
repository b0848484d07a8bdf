"""Guard against PySide6 releases that drop references to True/None (6.12.0 on Python 3.11 did: the table then
crashed within minutes with ``Fatal Python error: bool_dealloc``).  Pinned away in pyproject.toml; this test makes
sure no upgrade brings it back unseen."""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from loopgui.ui.socket_model import SocketTableModel

ROUNDS = 3000


class Emitter(QObject):
    fired = Signal(object)


def test_signal_emit_and_model_reset_keep_true_and_none_alive(qapp: QApplication) -> None:
    emitter = Emitter()
    received: list[object] = []
    emitter.fired.connect(received.append)
    model = SocketTableModel()
    gc.collect()
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for i in range(ROUNDS):
        emitter.fired.emit(i)
        model.beginResetModel()
        model.endResetModel()
    gc.collect()
    true_after, none_after = sys.getrefcount(True), sys.getrefcount(None)
    assert len(received) == ROUNDS
    # A leaking build loses one reference per call: thousands. Normal noise is a handful.
    assert true_after >= true_before - 50, (true_before, true_after)
    assert none_after >= none_before - 50, (none_before, none_after)
