"""The text cursor stops blinking a while after the last key or click, as GNOME's does (10 s): a window left open
then repaints nothing at all (a blinking caret repaints its box twice a second, for as long as the window is left
open).  Typing or clicking starts the blinking again.  A platform where the caret never blinks stays so."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QGuiApplication

REST_AFTER_MS = 10_000

_WAKE = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.InputMethod,
        QEvent.Type.FocusIn,
    }
)


class CaretRest(QObject):
    """Installed on the application: watches input events, never consumes one."""

    def __init__(self, app: QGuiApplication, rest_after_ms: int = REST_AFTER_MS) -> None:
        super().__init__(app)
        self._hints = app.styleHints()
        self._blink = self._hints.cursorFlashTime()  # the platform's own, restored on input
        self._resting = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(rest_after_ms)
        self._timer.timeout.connect(self._rest)
        if self._blink > 0:
            app.installEventFilter(self)
            self._timer.start()

    @property
    def resting(self) -> bool:
        return self._resting

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _WAKE:
            if self._resting:
                self._resting = False
                self._hints.setCursorFlashTime(self._blink)
            self._timer.start()
        return False

    def _rest(self) -> None:
        self._resting = True
        self._hints.setCursorFlashTime(0)  # 0: the caret stays visible without blinking

    def remove(self) -> None:
        """Back to the platform's blinking, watching nothing (tests; the end of the program)."""
        self._timer.stop()
        app = QGuiApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        if self._resting:
            self._hints.setCursorFlashTime(self._blink)
        self._resting = False
