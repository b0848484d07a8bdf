"""An idle window does no work: the scan thread emits a snapshot only when something changed (or when asked)."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from loopgui.core.net.scanner import FirstScan
from loopgui.core.net.sockets import Snapshot, SocketRow
from loopgui.ui import scan_thread
from loopgui.ui.scan_thread import ScanThread
from tests.helpers import row, scripted_scanner


def test_scans_that_change_nothing_are_not_emitted(qtbot: QtBot) -> None:
    rows: list[SocketRow] = [row(8000)]
    scanner, source = scripted_scanner(lambda: rows)
    thread = ScanThread(scanner, interval=0.5)
    got: list[Snapshot] = []
    failures: list[str] = []
    thread.scanned.connect(got.append)
    thread.failed.connect(failures.append)
    thread.start()
    try:
        qtbot.waitUntil(lambda: source.calls >= 4, timeout=10000)
        assert len(got) == 1  # the first scan only: three more found everything as it was

        thread.refresh_now()  # asked for: shown even though nothing changed
        qtbot.waitUntil(lambda: len(got) == 2, timeout=5000)

        rows.append(row(8001))
        qtbot.waitUntil(lambda: len(got) == 3, timeout=5000)
        assert got[-1].diff.added and len(got[-1].rows) == 2

        calls = source.calls
        source.fail_next = OSError("boom")
        qtbot.waitUntil(lambda: bool(failures) and len(got) == 4, timeout=5000)  # the scan after a failure
        assert source.calls >= calls + 2 and got[-1].diff.empty
    finally:
        assert thread.stop()


def test_the_first_scan_started_early_is_the_first_snapshot(qtbot: QtBot) -> None:
    rows: list[SocketRow] = [row(8000)]
    scanner, source = scripted_scanner(lambda: rows)
    first = FirstScan(scanner)  # as the app starts it, before Qt loads
    thread = ScanThread(scanner, interval=0.5)
    thread.use_first_scan(first)
    got: list[Snapshot] = []
    thread.scanned.connect(got.append)
    thread.start()
    try:
        qtbot.waitUntil(lambda: len(got) == 1, timeout=5000)
        assert [r.local_port for r in got[0].rows.values()] == [8000]
        assert source.calls == 1  # the early scan was used, not repeated
        rows.append(row(8001))
        qtbot.waitUntil(lambda: len(got) == 2, timeout=5000)
        assert got[1].diff.added  # later scans go on from the first one
    finally:
        assert thread.stop()


def test_a_first_scan_that_failed_is_shown_as_a_failed_scan(qtbot: QtBot) -> None:
    scanner, source = scripted_scanner(lambda: [row(8000)])
    source.fail_next = OSError("boom")
    first = FirstScan(scanner)
    thread = ScanThread(scanner, interval=0.5)
    thread.use_first_scan(first)
    got: list[Snapshot] = []
    failures: list[str] = []
    thread.scanned.connect(got.append)
    thread.failed.connect(failures.append)
    thread.start()
    try:
        qtbot.waitUntil(lambda: bool(failures) and len(got) == 1, timeout=5000)  # then the next scan is shown
        assert "boom" in failures[0]
    finally:
        assert thread.stop()


def test_a_first_scan_must_use_the_threads_scanner() -> None:
    scanner, _ = scripted_scanner(lambda: [])
    other, _ = scripted_scanner(lambda: [])
    first = FirstScan(other)
    assert first.take() is not None
    with pytest.raises(ValueError):
        ScanThread(scanner).use_first_scan(first)


def test_the_table_gets_a_scan_before_the_history_has_written_it(qtbot: QtBot) -> None:
    # the table does not wait for the history; the History tab follows "recorded", sent once it is written
    order: list[str] = []

    class SlowRecorder:
        enabled = True

        def record(self, snapshot: Snapshot) -> None:
            order.append("written")

        def take_notices(self) -> list[object]:
            return []

        def close(self) -> None:
            pass

    scanner, _ = scripted_scanner(lambda: [row(8000)])
    thread = ScanThread(scanner, interval=0.5)
    thread.set_recorder(SlowRecorder())  # type: ignore[arg-type]
    thread.scanned.connect(lambda s: order.append("scanned"), Qt.ConnectionType.DirectConnection)
    thread.recorded.connect(lambda s: order.append("recorded"), Qt.ConnectionType.DirectConnection)
    thread.start()
    try:
        qtbot.wait(300)
        assert order == ["scanned"]  # the first snapshot is written once the window has shown it
        thread.shown()  # as the window says once it has
        qtbot.waitUntil(lambda: "recorded" in order, timeout=5000)
        assert order[:3] == ["scanned", "written", "recorded"]
    finally:
        assert thread.stop()


class _Recorder:
    enabled = True

    def __init__(self) -> None:
        self.written: list[float] = []

    def record(self, snapshot: Snapshot) -> None:
        self.written.append(time.monotonic())

    def take_notices(self) -> list[object]:
        return []

    def close(self) -> None:
        pass


def test_without_a_window_the_first_snapshot_is_written_after_a_short_wait(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the tray-only start, or a window that never says it has shown the table: the history still gets it
    monkeypatch.setattr(scan_thread, "FIRST_RECORD_WAIT", 0.3)
    scanner, _ = scripted_scanner(lambda: [row(8000)])
    thread = ScanThread(scanner, interval=0.5)
    recorder = _Recorder()
    thread.set_recorder(recorder)  # type: ignore[arg-type]
    scanned: list[float] = []
    thread.scanned.connect(lambda s: scanned.append(time.monotonic()), Qt.ConnectionType.DirectConnection)
    thread.start()
    try:
        qtbot.waitUntil(lambda: len(recorder.written) >= 2, timeout=5000)
        assert recorder.written[0] - scanned[0] >= 0.25  # waited for the window, but not for ever
    finally:
        assert thread.stop()


def test_quitting_while_the_history_waits_for_the_window_does_not_wait(qtbot: QtBot) -> None:
    scanner, _ = scripted_scanner(lambda: [row(8000)])
    thread = ScanThread(scanner, interval=0.5)
    recorder = _Recorder()
    thread.set_recorder(recorder)  # type: ignore[arg-type]
    got: list[Snapshot] = []
    thread.scanned.connect(got.append, Qt.ConnectionType.DirectConnection)
    thread.start()
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    started = time.monotonic()
    assert thread.stop(wait_ms=1000)
    assert time.monotonic() - started < 0.9 and recorder.written == []
