"""The background scanner: one snapshot per interval, one signal per scan."""

from __future__ import annotations

import logging
import math

from PySide6.QtCore import QDeadlineTimer, QMutex, QMutexLocker, QObject, QThread, QWaitCondition, Signal

from loopgui.core.history.recorder import Recorder
from loopgui.core.net.scanner import FirstScan, ScanCancelled, Scanner
from loopgui.core.net.sockets import Snapshot
from loopgui.core.words.history import notice_text
from loopgui.core.words.i18n import _

log = logging.getLogger("loopgui.scan")

MIN_INTERVAL = 0.5
MAX_INTERVAL = 10.0
FIRST_RECORD_WAIT = 2.0  # seconds the history waits at most for the window to show the first snapshot


class ScanThread(QThread):
    """Runs ``scanner.scan()`` every ``interval`` seconds until :meth:`stop`.

    Signals:
        scanned(Snapshot): after a scan that found something new: the first one, any with changed rows, another
            number of hidden sockets, other notices or another source, and the first after :meth:`refresh_now`.
            A scan that found everything as it was emits nothing, so an idle window does no work.
        failed(str): a scan raised; the message is in plain words, details are in the log.
        history_notice(str): the history recorder has something to say (in plain words).

        recorded(Snapshot): after ``scanned``, once the history recorder has written that snapshot (the History tab
            follows this one: what it reads is then in the history).

    With a :class:`Recorder` (:meth:`set_recorder`), each snapshot's changes are written to the history on this
    thread, after ``scanned`` is emitted (the table does not wait for the history); the recorder is closed here
    when the thread ends.  The first snapshot (every socket written once: about 0.1 s at 10,000 connections) is
    written once the window has shown it (:meth:`shown`), or after FIRST_RECORD_WAIT seconds, so that the
    writing does not compete with the window's first table.  With a :class:`FirstScan` (:meth:`use_first_scan`),
    the first snapshot is that one.
    """

    scanned = Signal(object)
    recorded = Signal(object)
    failed = Signal(str)
    history_notice = Signal(str)

    def __init__(self, scanner: Scanner, interval: float = 1.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loopgui-scanner")
        self._scanner = scanner
        self._mutex = QMutex()
        self._wake = QWaitCondition()
        self._abort = False
        self._paused = False
        self._now = False
        self._interval = clamp_interval(interval)
        self._recorder: Recorder | None = None
        self._shown: Snapshot | None = None  # the last snapshot emitted
        self._emit_next = True  # the next scan is emitted even when nothing changed (refresh_now)
        self._first: FirstScan | None = None
        self._table_shown = False  # the window has shown a snapshot (the first history write waits for it)

    def use_first_scan(self, first: FirstScan) -> None:
        """Take ``first`` (started with this thread's scanner) as the first snapshot; call before :meth:`start`."""
        if first.scanner is not self._scanner:
            raise ValueError("the first scan must use this thread's scanner")
        self._first = first

    # -- control (any thread) --------------------------------------------------------------------------------

    @property
    def interval(self) -> float:
        with QMutexLocker(self._mutex):
            return self._interval

    def set_interval(self, seconds: float) -> None:
        with QMutexLocker(self._mutex):
            self._interval = clamp_interval(seconds)
            self._wake.wakeAll()

    @property
    def paused(self) -> bool:
        with QMutexLocker(self._mutex):
            return self._paused

    def set_paused(self, paused: bool) -> None:
        with QMutexLocker(self._mutex):
            self._paused = paused
            self._wake.wakeAll()

    def set_show_elsewhere(self, on: bool) -> None:
        """Also read file sockets and other network namespaces' sockets (the table's switch), from the next scan on."""
        with QMutexLocker(self._mutex):
            self._scanner.show_elsewhere = on
            self._now = True
            self._wake.wakeAll()

    def refresh_now(self) -> None:
        """Scan at once, even when paused."""
        with QMutexLocker(self._mutex):
            self._now = True
            self._emit_next = True
            self._wake.wakeAll()

    def set_recorder(self, recorder: Recorder | None) -> None:
        """Record the history with ``recorder`` (set it before :meth:`start`)."""
        with QMutexLocker(self._mutex):
            self._recorder = recorder

    @property
    def recorder(self) -> Recorder | None:
        with QMutexLocker(self._mutex):
            return self._recorder

    def stop(self, wait_ms: int = 1000) -> bool:
        """Ask the thread to finish (a scan in progress stops at its next check) and wait for it."""
        with QMutexLocker(self._mutex):
            self._abort = True
            self._wake.wakeAll()
        if self._first is not None:
            self._first.cancel()  # not started yet: its first scan stops too
        return self.wait(QDeadlineTimer(wait_ms))

    def shown(self) -> None:
        """The window has shown a snapshot (any thread)."""
        with QMutexLocker(self._mutex):
            self._table_shown = True
            self._wake.wakeAll()

    def _wait_until_shown(self) -> None:
        with QMutexLocker(self._mutex):
            deadline = QDeadlineTimer(int(FIRST_RECORD_WAIT * 1000))
            while not self._table_shown and not self._abort and not deadline.hasExpired():
                self._wake.wait(self._mutex, deadline)

    def _should_stop(self) -> bool:
        with QMutexLocker(self._mutex):
            return self._abort

    # -- thread body -----------------------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self._loop()
        finally:
            recorder = self.recorder
            if recorder is not None:
                recorder.close()

    def _loop(self) -> None:
        while not self._should_stop():
            with QMutexLocker(self._mutex):  # taken before the scan: a refresh asked for during it gets the next
                forced, self._emit_next = self._emit_next, False
            first, self._first = self._first, None
            try:
                early = first.take(self._should_stop) if first is not None else None
                snapshot = early if early is not None else self._scanner.scan(self._should_stop)
            except ScanCancelled:
                return
            except Exception as exc:  # a failed scan must never end scanning
                log.exception("scan failed")
                self.failed.emit(
                    _("Reading the list of connections failed ({error}).").format(error=f"{type(exc).__name__}: {exc}")
                )
                self._shown = None  # the next good scan is shown (it clears the failure from the status bar)
            else:
                worth = self._worth_emitting(snapshot, forced)
                if worth:
                    self.scanned.emit(snapshot)
                if not self._table_shown and self.recorder is not None:
                    self._wait_until_shown()
                    if self._should_stop():
                        return  # quitting: the first snapshot is not worth the wait
                self._record(snapshot)
                if worth:
                    self.recorded.emit(snapshot)
            self._sleep()

    def _worth_emitting(self, snapshot: Snapshot, forced: bool) -> bool:
        shown = self._shown
        if (
            forced
            or shown is None
            or not snapshot.diff.empty
            or not snapshot.extra_diff.empty
            or len(snapshot.extra) != len(shown.extra)
            or snapshot.hidden_sockets != shown.hidden_sockets
            or snapshot.problems != shown.problems
            or snapshot.source != shown.source
        ):
            self._shown = snapshot
            return True
        return False

    def _record(self, snapshot: Snapshot) -> None:
        recorder = self.recorder
        if recorder is None:
            return
        try:
            recorder.record(snapshot)
        except Exception:  # the recorder turns its own troubles into notices; anything else must not stop scans
            log.exception("recording the history failed")
        for notice in recorder.take_notices():
            self.history_notice.emit(notice_text(notice))

    def _sleep(self) -> None:
        with QMutexLocker(self._mutex):
            deadline = QDeadlineTimer(int(self._interval * 1000))
            while not self._abort and not self._now:
                if self._paused:
                    self._wake.wait(self._mutex)
                    continue
                if deadline.hasExpired():
                    break
                self._wake.wait(self._mutex, deadline)
                # a changed interval counts from now
                deadline = _shorter(deadline, int(self._interval * 1000))
            self._now = False


def _shorter(deadline: QDeadlineTimer, interval_ms: int) -> QDeadlineTimer:
    fresh = QDeadlineTimer(interval_ms)
    return fresh if fresh.deadline() < deadline.deadline() else deadline


def clamp_interval(seconds: object) -> float:
    try:
        value = float(seconds)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1.0
    if math.isnan(value):
        return 1.0
    return min(MAX_INTERVAL, max(MIN_INTERVAL, value))
