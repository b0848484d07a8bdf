"""Cancelling a background job: a flag the window sets and the job checks (connectivity tests, reach, …)."""

from __future__ import annotations

import threading


class Cancelled(Exception):
    """The user cancelled the probe."""


class Cancel:
    """A cancellation flag shared between the GUI and a running probe."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled
