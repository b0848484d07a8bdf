"""One worker per concern: while a job runs, newer requests replace each other; only the newest result shows."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from loopgui.ui.background import LatestOnly


def test_the_newest_request_wins_and_at_most_one_job_runs(qtbot: QtBot) -> None:
    parent = QObject()
    worker = LatestOnly(parent)
    release = threading.Event()
    ran: list[int] = []
    shown: list[int] = []
    at_once = {"now": 0, "most": 0}
    lock = threading.Lock()

    def job(n: int) -> int:
        with lock:
            at_once["now"] += 1
            at_once["most"] = max(at_once["most"], at_once["now"])
        if n == 0:
            release.wait(5)
        ran.append(n)
        with lock:
            at_once["now"] -= 1
        return n

    for n in range(5):
        worker.submit(lambda n=n: job(n), shown.append)  # type: ignore[misc]
    release.set()
    qtbot.waitUntil(lambda: shown == [4], timeout=5000)
    qtbot.wait(100)
    assert ran == [0, 4]  # the first was running; of the four that waited only the newest ran
    assert shown == [4] and at_once["most"] == 1


def test_forget_drops_a_result_still_to_come(qtbot: QtBot) -> None:
    parent = QObject()
    worker = LatestOnly(parent)
    gate = threading.Event()
    shown: list[str] = []
    failed: list[BaseException] = []
    worker.submit(lambda: gate.wait(5) and "late", shown.append, failed.append)
    worker.forget()
    gate.set()
    qtbot.wait(300)
    assert shown == [] and failed == []
    worker.submit(lambda: 1 / 0, shown.append, failed.append)
    qtbot.waitUntil(lambda: len(failed) == 1, timeout=5000)
    assert isinstance(failed[0], ZeroDivisionError)
