"""The window as a whole: title, Qt's own options, size on small or scaled screens, keyboard, help, accessibility."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from loopgui import app as app_module
from loopgui.app import DESKTOP_FILE_NAME, StartupCollector, configure_app, parse_args, split_qt_args
from loopgui.ui.main_window import MainWindow
from loopgui.ui.plain import plain_message_box
from loopgui.ui.settings import Settings
from tests.helpers import row, scripted_scanner

ROWS = [row(8000, program="python3", pid=4242), row(5432, program="postgres", pid=77)]


@pytest.fixture
def window(qtbot: QtBot, settings: Settings) -> Iterator[MainWindow]:
    scanner, _ = scripted_scanner(lambda: list(ROWS))
    win = MainWindow(scanner, settings)  # type: ignore[arg-type]
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.model.total == len(ROWS), timeout=5000)
    yield win
    win.close()


def test_qt_options_go_to_qt_not_to_the_argument_parser() -> None:
    qt, rest = split_qt_args(
        ["-style", "Fusion", "--platform=offscreen", "-reverse", "--interval", "2", "port 8000", "-platformtheme", "x"]
    )
    assert qt == ["-style", "Fusion", "-platform=offscreen", "-reverse", "-platformtheme", "x"]
    assert rest == ["--interval", "2", "port 8000"]
    args = parse_args(rest)
    assert args.interval == 2 and args.text == ["port 8000"]


def test_the_title_appears_once_and_the_window_groups_with_its_launcher(window: MainWindow) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.applicationDisplayName()
    try:
        configure_app(app)
        assert QGuiApplication.desktopFileName() == DESKTOP_FILE_NAME
        # Qt appends an explicitly set display name to every title that does not already end with it.
        title = window.windowTitle()
        assert title == "loopgui — who uses which port"
        shown = app.applicationDisplayName()
        assert shown == "loopgui" and not _display_name_set(app)
    finally:
        app.setApplicationDisplayName(before)


def _display_name_set(app: QApplication) -> bool:
    """Whether a display name was set explicitly (Qt then falls back to applicationName otherwise)."""
    name = app.applicationName()
    app.setApplicationName(name + "-probe")
    try:
        return app.applicationDisplayName() != name + "-probe"
    finally:
        app.setApplicationName(name)


def test_the_window_never_opens_larger_than_the_screen(qtbot: QtBot, settings: Settings) -> None:
    scanner, _ = scripted_scanner(lambda: list(ROWS))
    win = MainWindow(scanner, settings, start=False)  # type: ignore[arg-type]
    qtbot.addWidget(win)
    win.resize(5000, 4000)  # as if a 2x scale had doubled a remembered size
    win.move(-3000, 2000)
    win.show()
    area = win.screen().availableGeometry()
    assert area.contains(QRect(win.frameGeometry().topLeft(), win.size()))
    assert win.width() <= area.width() and win.height() <= area.height()


def test_tab_leaves_the_table_and_ctrl_l_goes_to_the_paste_box(window: MainWindow, qtbot: QtBot) -> None:
    assert not window.table.tabKeyNavigation()
    window.table.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(window.table.hasFocus, timeout=2000)
    qtbot.keyClick(window.table, Qt.Key.Key_Tab)
    assert not window.table.hasFocus()
    window.investigate_edit.setText("old text")
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.investigate_edit.hasFocus() and window.investigate_edit.selectedText() == "old text"


def test_the_table_shows_when_it_has_the_focus(window: MainWindow, qtbot: QtBot) -> None:
    window.investigate_edit.setFocus()
    qtbot.waitUntil(window.investigate_edit.hasFocus, timeout=2000)
    without = window.table.grab().toImage()
    window.table.setFocus()
    qtbot.waitUntil(window.table.hasFocus, timeout=2000)
    with_focus = window.table.grab().toImage()
    assert without != with_focus


def test_help_pages(window: MainWindow, qtbot: QtBot) -> None:
    titles = [a.text() for a in window.help_menu.actions()]
    assert "&How to use loopgui" in titles and "&What the colours and words mean" in titles
    window.legend_action.trigger()
    legend = window.help_pages.dialogs["What the colours and words mean"]
    text = legend.browser.toPlainText()
    for words in ("Green", "Red", "no program (connection already closed)", "Waiting for connections", "PID"):
        assert words in text
    window.how_to_action.trigger()
    how = window.help_pages.dialogs["How to use loopgui"].browser.toPlainText()
    assert "Explain this row" in how and "Ctrl+L" in how
    # every tab and menu of the program has its line (the History tab and the Watch menu were missing)
    for part in ("Explanation", "Connectivity tests tab", "Program tab", "History tab", "History menu", "Watch menu"):
        assert part in how
    assert legend.isVisible()


INTERACTIVE = (QAbstractButton, QLineEdit, QAbstractSpinBox, QComboBox, QAbstractItemView, QTabBar, QTextEdit)


def _accessible(widget: QWidget) -> tuple[str, str]:
    from PySide6.QtGui import QAccessible

    iface = QAccessible.queryAccessibleInterface(widget)
    assert iface is not None
    return iface.text(QAccessible.Text.Name), iface.text(QAccessible.Text.Description)


def test_every_interactive_widget_has_an_accessible_name_and_description(
    window: MainWindow, qtbot: QtBot, settings: Settings, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loopgui.ui.history_panel import HistoryFeature
    from loopgui.ui.tray import TrayFeature

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # the history store lives in the test's own folder
    features = (HistoryFeature(window, settings), TrayFeature(window, settings))  # as the program adds them
    assert window.tabs.count() >= 4 and features
    missing = []
    for w in window.findChildren(QWidget):
        if not isinstance(w, (*INTERACTIVE, QPlainTextEdit)) or w.objectName().startswith("qt_") or w.isHidden():
            continue  # not interactive, Qt's own, or hidden for good (the table's row numbers)
        if w.window() is not window:
            continue  # a drop-down list's own popup window
        if isinstance(w.parent(), (QAbstractSpinBox, QComboBox, QLineEdit, QTabBar)):
            continue  # Qt's own parts (a spin box's editor, the clear button, tab scroll arrows) speak through it
        name, description = _accessible(w)
        if not name.strip() or not description.strip():
            missing.append(f"{type(w).__name__} {w.objectName()!r} name={name!r} description={description!r}")
    assert missing == [], "\n".join(missing)


def test_the_explanation_is_text_for_a_screen_reader(window: MainWindow, qtbot: QtBot) -> None:
    window.investigate_edit.setText("connect ECONNREFUSED 127.0.0.1:8000")
    window.investigate()
    qtbot.waitUntil(lambda: window.explain_panel.diagnosis is not None, timeout=5000)
    panel = window.explain_panel
    name, _ = _accessible(panel.icon)
    assert name  # the sign is named, not only drawn
    assert panel.headline.text() and panel.headline.accessibleName()
    assert panel.diagnosis is not None
    assert panel.diagnosis.verdict.value in panel.headline.accessibleDescription()


def test_dialog_titles_are_not_cut_off(qtbot: QtBot) -> None:
    box = QMessageBox()
    box.setWindowTitle("The program did not close when it was asked")
    box.setText("ok")
    plain_message_box(box)
    qtbot.addWidget(box)
    box.show()
    needed = box.fontMetrics().horizontalAdvance(box.windowTitle()) + 120
    assert box.width() >= needed


def test_warnings_read_on_a_dark_palette(window: MainWindow) -> None:
    from PySide6.QtGui import QColor, QPalette

    light = window.notice_label.styleSheet()
    dark = QPalette(window.palette())
    dark.setColor(QPalette.ColorRole.Window, QColor(40, 40, 40))
    window.setPalette(dark)
    assert window.notice_label.styleSheet() != light and "#ffb060" in window.notice_label.styleSheet()


def test_the_window_matches_the_launcher_entry() -> None:
    """Wayland groups by desktop file name (app id), X11 by WM_CLASS (the application name): both must match the
    installed entry."""
    from pathlib import Path

    entry = Path(__file__).resolve().parents[2] / "loopgui" / "resources" / "desktop" / f"{DESKTOP_FILE_NAME}.desktop"
    lines = dict(line.split("=", 1) for line in entry.read_text(encoding="utf-8").splitlines() if "=" in line)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    name = app.applicationName()
    try:
        configure_app(app)
        assert lines["StartupWMClass"] == app.applicationName() == "loopgui"
        assert QGuiApplication.desktopFileName() == entry.stem
    finally:
        app.setApplicationName(name)


def test_at_twice_the_size_on_a_1366_by_768_screen_every_control_is_on_the_screen(tmp_path: object) -> None:
    """QT_SCALE_FACTOR=2 on 1366×768 leaves 683×384 pixels: the window fits (pages scroll, the filter row wraps)
    and no button, box, tab or table lies off the screen, maximised, while an explanation is shown."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    screen = Path(str(tmp_path)) / "screen.json"
    screen.write_text(
        json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": 1366, "height": 768, "logicalDpi": 96}]}),
        encoding="utf-8",
    )
    env = dict(os.environ, QT_SCALE_FACTOR="2", QT_QPA_PLATFORM=f"offscreen:configfile={screen}")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.fit_probe"],
        check=False,
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["screen"] == [0, 0, 683, 384]
    assert report["maximized"] == [] and report["investigating"] == []
    width, height = report["minimum"]
    assert width <= 683 and height <= 384 - 20  # room for a title bar


def test_the_garbage_collector_rests_while_the_window_starts_then_walks_only_what_comes_after(
    qtbot: QtBot, settings: Settings
) -> None:
    was_on = gc.isenabled()
    frozen_before = gc.get_freeze_count()
    try:
        gc.enable()
        startup = StartupCollector()
        assert not gc.isenabled()  # off while the window loads
        scanner, _ = scripted_scanner(lambda: [row(8000)])
        window = MainWindow(scanner, settings=settings)
        qtbot.addWidget(window)
        startup.resume_after(window)
        qtbot.waitUntil(gc.isenabled, timeout=5000)  # back on once the first table is shown
        assert gc.get_freeze_count() > frozen_before  # what the start made is never walked again
        startup.resume()  # once only
        window.scan_thread.stop()
    finally:
        gc.unfreeze()
        if not was_on:
            gc.disable()


def test_the_garbage_collector_comes_back_even_when_no_scan_arrives(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    was_on = gc.isenabled()
    try:
        gc.enable()
        monkeypatch.setattr(app_module, "STARTUP_GC_LIMIT", 0.2)
        startup = StartupCollector()
        window = MainWindow(scripted_scanner(lambda: [])[0], settings, start=False)  # never scans
        qtbot.addWidget(window)
        startup.resume_after(window)
        assert not gc.isenabled()
        qtbot.waitUntil(gc.isenabled, timeout=3000)
    finally:
        gc.unfreeze()
        if not was_on:
            gc.disable()


def test_the_window_says_once_that_its_first_table_is_shown(qtbot: QtBot, settings: Settings) -> None:
    # the history's first write and the start's pause of the garbage collector both wait for this
    scanner, source = scripted_scanner(lambda: [row(8000)])
    window = MainWindow(scanner, settings)
    qtbot.addWidget(window)
    told: list[int] = []
    window.first_table_shown.connect(lambda: told.append(source.calls))
    qtbot.waitUntil(lambda: bool(told), timeout=5000)
    window.refresh_now()
    qtbot.waitUntil(lambda: source.calls >= told[0] + 2, timeout=5000)
    assert len(told) == 1 and window.scan_thread._table_shown
    window.scan_thread.stop()
