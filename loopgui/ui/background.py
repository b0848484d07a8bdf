"""Run work off the GUI thread and get the result back on it.

    BackgroundOp(parent, work, on_done).on_failure(on_error).start()

``work`` runs on a Python daemon thread of its own; ``on_done(result)`` or ``on_error(exception)`` then run on the
thread that created the operation (the GUI thread).  Nothing runs if ``parent`` was destroyed meanwhile.

Quitting never waits long: ``wait_for_running(seconds)`` waits at most that long for work still running, and what
is still running then is abandoned safely: the threads are daemons (the program exits without them), and a result
that arrives after its parent is gone is dropped under a lock instead of being sent to a deleted object.  (Qt's
thread pool would not do: the application waits for every job in it when it ends, however long.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from loopgui.core.cancel import Cancelled
from loopgui.core.net.scanner import ScanCancelled

CANCELLED = (Cancelled, ScanCancelled)  # what a Cancel raises

log = logging.getLogger("loopgui.background")

_running: set[threading.Thread] = set()
_running_lock = threading.Lock()
_ids = iter(range(1, 1 << 62))


def _nothing() -> None:
    pass


class _Relay(QObject):
    done = Signal(object)
    error = Signal(object)

    def __init__(self, parent: QObject, on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]):
        super().__init__(parent)
        self._on_done = on_done
        self._on_error = on_error
        self.finished_with: Callable[[], None] = _nothing
        # Connected to this object's slots: queued onto the thread it lives in (the GUI thread).
        self.done.connect(self._deliver_done)
        self.error.connect(self._deliver_error)

    @Slot(object)
    def _deliver_done(self, result: object) -> None:
        try:
            self._on_done(result)
        finally:
            self.finished_with()
            self.deleteLater()

    @Slot(object)
    def _deliver_error(self, exc: object) -> None:
        try:
            self._on_error(exc if isinstance(exc, BaseException) else RuntimeError(str(exc)))
        finally:
            self.finished_with()
            self.deleteLater()


# Every relay waiting for a result, by job number.  Only the GUI thread adds or removes relays, so the last
# reference to a relay (a Qt object) is never dropped on a worker thread: freeing a Qt wrapper there raced the GUI
# thread (a segmentation fault in about one test run in five).
_relays: dict[int, _Relay] = {}


class _Job:
    """The work, and a guarded way to hand its result to the relay while the relay still exists."""

    def __init__(self, work: Callable[[], Any], relay: _Relay) -> None:
        self._work = work
        self._id = number = next(_ids)
        self._lock = lock = threading.Lock()
        _relays[number] = relay

        # Run on the GUI thread when the result was delivered or the relay (or its parent) is being destroyed.  A
        # plain function holding no Qt object: PySide watches a bound method's object with a weak reference whose
        # callback would run on the worker thread when the job is freed there.
        def forget(*_: object) -> None:
            with lock:
                _relays.pop(number, None)

        relay.destroyed.connect(forget)
        relay.finished_with = forget

    @property
    def number(self) -> int:
        return self._id

    def _send(self, signal_name: str, value: object) -> None:
        with self._lock:
            relay = _relays.get(self._id)
            if relay is not None:
                getattr(relay, signal_name).emit(value)
            relay = None  # dropped while the GUI thread cannot take the relay out of _relays

    def run(self) -> None:
        try:
            result = self._work()
        except Exception as exc:
            if isinstance(exc, CANCELLED):  # the user's Cancel is not an error: no ERROR line, no traceback
                log.info("background work cancelled")
            else:
                log.exception("background work failed")
            self._send("error", exc)
        else:
            self._send("done", result)
        finally:
            with _running_lock:
                _running.discard(threading.current_thread())


def _log_failure(exc: BaseException) -> None:
    if isinstance(exc, CANCELLED):
        return
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

    def start(self) -> threading.Thread:
        relay = _Relay(self._parent, self._on_done, self._on_error)
        job = _Job(self._work, relay)
        thread = threading.Thread(target=job.run, name=f"loopgui-background-{job.number}", daemon=True)
        with _running_lock:
            _running.add(thread)
        thread.start()
        return thread


def running() -> int:
    """How many background operations are still working."""
    with _running_lock:
        return len(_running)


def wait_for_running(seconds: float = 1.0) -> bool:
    """Wait at most ``seconds`` for background work to end; True when none is left.  Whatever still runs after
    that is abandoned: its result will be dropped, and it does not keep the program from exiting."""
    end = time.monotonic() + seconds
    while True:
        with _running_lock:
            threads = list(_running)
        if not threads:
            return True
        left = end - time.monotonic()
        if left <= 0:
            log.warning("quitting without waiting for %d background task(s)", len(threads))
            return False
        threads[0].join(min(left, 0.05))


class LatestOnly:
    """One worker per concern, where the newest request wins: at most one job of this concern runs at a time; a
    request made while one runs waits, replacing any request that was already waiting; only the newest request's
    result (or failure) is delivered.  So ten quick pastes run at most two diagnoses, not ten threads."""

    def __init__(self, parent: QObject) -> None:
        self._parent = parent
        self._generation = 0
        self._busy = False
        self._pending: tuple[Callable[[], Any], Callable[[Any], None], Callable[[BaseException], None]] | None = None

    @property
    def generation(self) -> int:
        return self._generation

    def forget(self) -> None:
        """Drop the waiting request and any result still to come (the subject changed)."""
        self._generation += 1
        self._pending = None

    def submit(
        self,
        work: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] = _log_failure,
    ) -> None:
        """Run ``work`` after the job now running (if any); deliver its result only if no newer request came."""
        self._generation += 1
        generation = self._generation

        def done(result: Any) -> None:
            if generation == self._generation:
                on_done(result)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                on_error(exc)

        self._pending = (work, done, failed)
        if not self._busy:
            self._next()

    def _next(self) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            self._busy = False
            return
        work, done, failed = pending
        self._busy = True

        def finished_ok(result: Any) -> None:
            try:
                done(result)
            finally:
                self._next()

        def finished_badly(exc: BaseException) -> None:
            try:
                failed(exc)
            finally:
                self._next()

        BackgroundOp(self._parent, work, finished_ok).on_failure(finished_badly).start()
