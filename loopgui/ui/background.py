"""Run work off the GUI thread and get the result back on it.

    BackgroundOp(parent, work, on_done).on_failure(on_error).start()

``work`` runs on Qt's global thread pool; ``on_done(result)`` or ``on_error(exception)`` then run on the thread
that created the operation (the GUI thread).  Nothing runs if ``parent`` was destroyed meanwhile.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger("loopgui.background")


class _Relay(QObject):
    done = Signal(object)
    error = Signal(object)

    def __init__(self, parent: QObject, on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]):
        super().__init__(parent)
        self._on_done = on_done
        self._on_error = on_error
        # Connected to this object's slots: queued onto the thread it lives in (the GUI thread).
        self.done.connect(self._deliver_done)
        self.error.connect(self._deliver_error)

    @Slot(object)
    def _deliver_done(self, result: object) -> None:
        try:
            self._on_done(result)
        finally:
            self.deleteLater()

    @Slot(object)
    def _deliver_error(self, exc: object) -> None:
        try:
            self._on_error(exc if isinstance(exc, BaseException) else RuntimeError(str(exc)))
        finally:
            self.deleteLater()


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._work = work
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._work()
        except Exception as exc:
            log.exception("background work failed")
            with contextlib.suppress(RuntimeError):  # the window closed meanwhile
                self._relay.error.emit(exc)
        else:
            with contextlib.suppress(RuntimeError):
                self._relay.done.emit(result)


def _log_failure(exc: BaseException) -> None:
    log.error("background work failed: %s", exc)


class BackgroundOp:
    def __init__(self, parent: QObject, work: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
        self._parent = parent
        self._work = work
        self._on_done = on_done
        self._on_error: Callable[[BaseException], None] = _log_failure

    def on_failure(self, on_error: Callable[[BaseException], None]) -> BackgroundOp:
        self._on_error = on_error
        return self

    def start(self, pool: QThreadPool | None = None) -> None:
        relay = _Relay(self._parent, self._on_done, self._on_error)
        (pool or QThreadPool.globalInstance()).start(_Job(self._work, relay))
