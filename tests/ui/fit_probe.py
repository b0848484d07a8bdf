"""Run in a process of its own (the screen and scale are fixed when Qt starts): show the main window as the program
does and print, as JSON, every visible interactive widget that does not lie on the screen.

    QT_SCALE_FACTOR=2 QT_QPA_PLATFORM=offscreen:configfile=SCREEN.json python -m tests.ui.fit_probe [PNG]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile

from PySide6.QtCore import QRect, QSettings
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget


def offscreen_widgets(window: QWidget) -> list[str]:
    from tests.ui.test_window_shell import INTERACTIVE

    screen = window.screen().geometry()
    bad = []
    for w in window.findChildren(QWidget):
        if not isinstance(w, INTERACTIVE) or not w.isVisible() or w.window() is not window:
            continue
        if w.objectName().startswith("qt_") or w.width() <= 0 or w.height() <= 0:
            continue
        # Inside a scroll area a widget is reached by scrolling: then the area's viewport must be on the screen.
        holder: QWidget = w
        parent = w.parentWidget()
        while parent is not None and parent is not window:
            if isinstance(parent, QAbstractScrollArea) and parent.viewport().isAncestorOf(w):
                holder = parent.viewport()
            parent = parent.parentWidget()
        rect = QRect(holder.mapToGlobal(holder.rect().topLeft()), holder.size())
        if not screen.contains(rect):
            bad.append(f"{type(w).__name__} {w.accessibleName()!r} at {rect.getRect()} outside {screen.getRect()}")
    return bad


def main() -> int:
    home = tempfile.mkdtemp(prefix="loopgui-fit-")
    os.environ["XDG_DATA_HOME"] = os.environ["XDG_CONFIG_HOME"] = home
    app = QApplication(sys.argv[:1])
    from loopgui.ui.history_panel import HistoryFeature
    from loopgui.ui.main_window import MainWindow
    from loopgui.ui.settings import Settings
    from loopgui.ui.tray import TrayFeature
    from tests.helpers import row, scripted_scanner

    rows = [row(8000 + i, program="python3", pid=4000 + i) for i in range(30)]
    scanner, _ = scripted_scanner(lambda: list(rows))
    settings = Settings(QSettings(os.path.join(home, "s.ini"), QSettings.Format.IniFormat))
    window = MainWindow(scanner, settings)  # type: ignore[arg-type]
    HistoryFeature(window, settings)
    TrayFeature(window, settings)
    window.show()
    report: dict[str, object] = {"screen": window.screen().geometry().getRect(), "window": window.geometry().getRect()}
    for _ in range(30):
        app.processEvents()
    window.showMaximized()
    for _ in range(30):
        app.processEvents()
    report["maximized"] = offscreen_widgets(window)
    window.investigate_edit.setText("connect ECONNREFUSED 127.0.0.1:8003")
    window.investigate()
    for _ in range(60):
        app.processEvents()
    report["investigating"] = offscreen_widgets(window)
    report["minimum"] = (window.minimumSizeHint().width(), window.minimumSizeHint().height())
    if len(sys.argv) > 1:
        window.grab().save(sys.argv[1], "PNG")
    print(json.dumps(report))
    window.scan_thread.stop(1000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
