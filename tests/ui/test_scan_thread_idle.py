"""An idle window does no work: the scan thread emits a snapshot only when something changed (or when asked)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from loopgui.core.net.sockets import Snapshot, SocketRow
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
