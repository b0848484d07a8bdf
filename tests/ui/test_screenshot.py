"""Render the main window with realistic rows to a PNG a person can look at (path printed; kept when
LOOPGUI_SCREENSHOT_DIR is set)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from loopgui.ui.main_window import MainWindow
from loopgui.ui.settings import Settings
from tests.helpers import row, scripted_scanner

NOW = time.time()
FIRST = [
    row(62893, program="python3", pid=48211, first_seen=NOW - 600),
    row(62893, remote="127.0.0.1", rport=51544, program="python3", pid=48211, first_seen=NOW - 60),
    row(51544, remote="127.0.0.1", rport=62893, program="chrome", pid=3120, first_seen=NOW - 60),
    row(5432, program="postgres", pid=911, first_seen=NOW - 86400),
    row(5432, local="::1", program="postgres", pid=911, first_seen=NOW - 86400),
    row(631, program="", pid=None, first_seen=NOW - 86400),
    row(41000, remote="127.0.0.1", rport=3000, state="TIME_WAIT", pid=None, program="", first_seen=NOW - 20),
    row(5353, proto="UDP", local="0.0.0.0", program="avahi-daemon", pid=640, first_seen=NOW - 86400),
    row(3000, local="::", program="node", pid=7001, first_seen=NOW - 300),
]
SECOND = [*FIRST[:-1], row(8000, local="0.0.0.0", program="python3", pid=50000, first_seen=NOW)]


def screenshot_dir(tmp_path: Path) -> Path:
    wanted = os.environ.get("LOOPGUI_SCREENSHOT_DIR")
    folder = Path(wanted) if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_main_window_screenshot(qtbot: QtBot, settings: Settings, tmp_path: Path) -> None:
    batches = [FIRST, SECOND]
    scanner, _ = scripted_scanner(lambda: batches[0] if len(batches) == 1 else batches.pop(0))
    win = MainWindow(scanner, settings)
    win.set_interval(0.5)
    qtbot.addWidget(win)
    win.show()
    win.resize(1100, 420)  # after show: on first show the window fits itself to the (800 px) offscreen screen
    qtbot.waitUntil(lambda: any(r.local_port == 8000 for r in win.model.rows()), timeout=5000)
    path = screenshot_dir(tmp_path) / "main-window.png"
    assert win.grab().save(str(path), "PNG")
    print(f"\nscreenshot: {path}")
    image = QImage(str(path))
    assert image.width() >= 1000 and image.height() >= 400
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20  # text, tints and widgets, not a blank window
    win.close()


def test_explain_and_connectivity_screenshots(qtbot: QtBot, settings: Settings, tmp_path: Path) -> None:
    import socket

    from tests.e2e.test_probes import http_server

    scanner, _ = scripted_scanner(lambda: FIRST)
    win = MainWindow(scanner, settings)
    qtbot.addWidget(win)
    win.resize(1100, 760)
    win.show()
    qtbot.waitUntil(lambda: win.model.total == len(FIRST), timeout=5000)
    win.investigate_edit.setText("Error: connect ECONNREFUSED 127.0.0.1:62839\n    at TCPConnectWrap.afterConnect")
    win.investigate()
    qtbot.waitUntil(lambda: win.explain_panel.diagnosis is not None, timeout=5000)
    folder = screenshot_dir(tmp_path)
    assert win.grab().save(str(folder / "explain.png"), "PNG")
    print(f"\nscreenshot: {folder / 'explain.png'}")
    assert "Did you mean port 62893" in win.explain_panel.findings.text()

    panel = win.connectivity_panel
    win.tabs.setCurrentWidget(panel)
    with http_server() as port:
        panel.set_target("127.0.0.1", port)
        panel.http_button.click()
        qtbot.waitUntil(lambda: not panel.running, timeout=10000)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        panel.set_target("127.0.0.1", s.getsockname()[1])
        panel.tcp_button.click()
        qtbot.waitUntil(lambda: not panel.running, timeout=10000)
    assert win.grab().save(str(folder / "connectivity.png"), "PNG")
    print(f"screenshot: {folder / 'connectivity.png'}")
    win.close()
