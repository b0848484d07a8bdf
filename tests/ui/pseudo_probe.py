"""Run in a process of its own (the screen is fixed when Qt starts): the whole window in the pseudo-language.

    QT_QPA_PLATFORM=offscreen:configfile=SCREEN.json python -m tests.ui.pseudo_probe

Builds the main window as the program does (scripted scanner, History tab, Watch menu), opens every tab, shows an
explanation, then prints as JSON every visible text a person reads that did not go through ``_()`` ("unmarked")
and every button or one-line label whose text is wider than the widget ("cut").
"""

from __future__ import annotations

import html
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QTabBar,
    QTreeWidget,
    QWidget,
)

MARK = "⟦"


def has_letter(text: str) -> bool:
    return any(c.isalpha() for c in text)


def is_data(window: QWidget, widget: QWidget, text: str) -> bool:
    """The allow-list: widgets whose text is data, never a sentence of loopgui's own.

    - the Program tab's value column (program name, PID, file, command line, user: read from the scan);
    - the Explanation's "Do it yourself" command (a command for a terminal);
    - the language names of the Language menu (each written in its own language on purpose), checked in
      ``action_texts``.
    """
    from loopgui.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    if widget in window.process_panel.values.values():
        return True
    return widget is window.explain_panel.diy


def widget_texts(widget: QWidget) -> Iterator[tuple[str, str]]:
    """(what, text) for every text of ``widget`` a person reads."""
    if isinstance(widget, QLabel):
        yield "text", widget.text()
    if isinstance(widget, QAbstractButton):
        yield "text", widget.text()
    if isinstance(widget, QGroupBox):
        yield "title", widget.title()
    if isinstance(widget, QLineEdit):
        yield "placeholder", widget.placeholderText()
    if isinstance(widget, QComboBox):
        for i in range(widget.count()):
            yield f"item {i}", widget.itemText(i)
    if isinstance(widget, QTabBar):
        for i in range(widget.count()):
            yield f"tab {i}", widget.tabText(i)
            yield f"tab tip {i}", widget.tabToolTip(i)
    if isinstance(widget, QTreeWidget):
        header = widget.headerItem()
        for i in range(header.columnCount()):
            yield f"header {i}", header.text(i)
    elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
        model = widget.model()
        for i in range(model.columnCount()):
            yield f"header {i}", str(model.headerData(i, Qt.Orientation.Horizontal) or "")
            yield (
                f"header tip {i}",
                str(model.headerData(i, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) or ""),
            )
    yield "tooltip", widget.toolTip()
    yield "accessible name", widget.accessibleName()


def action_texts(menu_bar: QWidget) -> Iterator[tuple[str, str]]:
    from loopgui.core.words.i18n import LANGUAGES

    def walk(actions: list[QAction], path: str) -> Iterator[tuple[str, str]]:
        for action in actions:
            if action.isSeparator():
                continue
            text = action.text()
            if text in LANGUAGES.values():
                continue  # a language's own name (allow-list)
            yield f"{path}/{text}", text
            yield f"{path}/{text} tooltip", action.toolTip()
            menu = action.menu()
            if isinstance(menu, QMenu):
                yield from walk(menu.actions(), f"{path}/{text}")

    yield from walk(menu_bar.actions(), "menu")


CHECKED: list[str] = []  # every text looked at (the report's count proves the walk reached them)


def unmarked(window: QWidget) -> list[str]:
    bad: list[str] = []
    title = window.windowTitle()
    if has_letter(title) and MARK not in title:
        bad.append(f"window title {title!r}")
    for w in window.findChildren(QWidget):
        if not w.isVisible() or w.window() is not window or w.objectName().startswith("qt_"):
            continue
        if is_data(window, w, ""):
            continue
        for what, text in widget_texts(w):
            if text and has_letter(text):
                CHECKED.append(text)
            if text and has_letter(text) and MARK not in text:
                bad.append(f"{type(w).__name__} {w.objectName() or w.accessibleName()!r} {what}: {text!r}")
    from loopgui.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    for what, text in action_texts(window.menuBar()):
        if text and has_letter(text):
            CHECKED.append(text)
        if text and has_letter(text) and MARK not in text:
            bad.append(f"action {what!r}: {text!r}")
    return bad


def cut(window: QWidget) -> list[str]:
    from loopgui.ui.elided import ElidedCheckBox

    bad: list[str] = []
    for w in window.findChildren(QWidget):
        if not w.isVisible() or w.window() is not window or w.objectName().startswith("qt_"):
            continue
        if isinstance(w, QLabel):
            if w.wordWrap() or w.textFormat() == Qt.TextFormat.RichText or "<" in w.text():
                continue
            text = w.text()
        elif isinstance(w, ElidedCheckBox) and w.is_elided():
            if w.text() not in html.unescape(w.toolTip()):
                bad.append(f"ElidedCheckBox {w.text()!r}: cut to {w.shown_text()!r}, its tooltip lacks the caption")
            continue  # cut with "…" on purpose, the whole caption in its tooltip
        elif isinstance(w, QAbstractButton):
            text = w.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
        else:
            continue
        if not text:
            continue
        need = max(w.fontMetrics().horizontalAdvance(line) for line in text.splitlines())
        if need > w.width():
            bad.append(f"{type(w).__name__} {text!r}: needs {need} px, has {w.width()}")
    return bad


def main() -> int:
    home = tempfile.mkdtemp(prefix="loopgui-pseudo-")
    os.environ["XDG_DATA_HOME"] = os.environ["XDG_CONFIG_HOME"] = home  # settings and history: private, thrown away
    app = QApplication(sys.argv[:1])
    from loopgui.app import install_features
    from loopgui.core.words import i18n
    from loopgui.ui.main_window import MainWindow
    from loopgui.ui.settings import Settings
    from tests.helpers import row, scripted_scanner

    i18n.set_pseudo()
    try:
        rows = [
            row(8003, program="python3", pid=4003),
            row(50111, remote="127.0.0.1", rport=8003, program="curl", pid=4343),
            row(53, proto="UDP", local="::1", program="resolved", pid=12),
        ]
        scanner, _source = scripted_scanner(lambda: list(rows))
        window = MainWindow(scanner, Settings())  # type: ignore[arg-type]
        install_features(window)
        window.resize(1366, 740)
        window.show()
        for _ in range(40):
            app.processEvents()
        window.investigate_edit.setText("connect ECONNREFUSED 127.0.0.1:8003")
        window.investigate()
        deadline = time.monotonic() + 20  # the explanation is made off the GUI thread: wait for it, under load too
        while window.explain_panel.diagnosis is None and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        for _ in range(40):
            app.processEvents()
        report: dict[str, object] = {"explained": window.explain_panel.diagnosis is not None, "tabs": []}
        problems: list[str] = []
        cuts: list[str] = []
        for i in range(window.tabs.count()):
            window.tabs.setCurrentIndex(i)
            for _ in range(20):
                app.processEvents()
            problems += unmarked(window)
            cuts += cut(window)
        report["unmarked"] = sorted(set(problems))
        report["cut"] = sorted(set(cuts))
        report["checked"] = len(set(CHECKED))
        report["tabs"] = [window.tabs.tabText(i) for i in range(window.tabs.count())]
        print(json.dumps(report))
        window.scan_thread.stop(1000)
    finally:
        i18n.set_language("en")
    return 0


if __name__ == "__main__":
    sys.exit(main())
