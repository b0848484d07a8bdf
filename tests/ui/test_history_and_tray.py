"""The History tab and menu, watching with a fake tray, background running and start at login (offscreen)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QSystemTrayIcon, QWidget
from pytestqt.qtbot import QtBot

from loopgui.core.history.reader import HistoryReader
from loopgui.core.history.recorder import Recorder
from loopgui.core.history.store import database_path
from loopgui.core.net.sockets import SocketRow
from loopgui.core.words.explain import report
from loopgui.ui.history_panel import HistoryFeature
from loopgui.ui.main_window import MainWindow
from loopgui.ui.settings import Settings
from loopgui.ui.tray import TrayFeature
from tests.helpers import row, scripted_scanner


class FakeTray:
    """A tray that records messages and can be 'clicked' (there is no tray offscreen)."""

    def __init__(self, is_tray: bool = True) -> None:
        self.messages: list[tuple[str, str]] = []
        self._handler: Callable[[], None] = lambda: None
        self._is_tray = is_tray

    def notify(self, title: str, text: str) -> None:
        self.messages.append((title, text))

    def set_click_handler(self, handler: Callable[[], None]) -> None:
        self._handler = handler

    def click(self) -> None:
        self._handler()

    @property
    def is_tray(self) -> bool:
        return self._is_tray


@pytest.fixture
def current() -> list[SocketRow]:
    return [row(5432, program="postgres", pid=77)]


@pytest.fixture
def win(qtbot: QtBot, settings: Settings, current: list[SocketRow]) -> Iterator[MainWindow]:
    scanner, _ = scripted_scanner(lambda: list(current))
    window = MainWindow(scanner, settings, start=False)
    window.set_interval(0.5)
    qtbot.addWidget(window)
    yield window
    window.scan_thread.stop(2000)


def start(win: MainWindow, qtbot: QtBot) -> None:
    win.scan_thread.start()
    win.show()
    qtbot.waitUntil(lambda: win.model.total > 0, timeout=5000)


def test_history_records_on_the_scan_thread_and_the_tab_shows_a_timeline(
    win: MainWindow, qtbot: QtBot, settings: Settings, current: list[SocketRow]
) -> None:
    feature = HistoryFeature(win, settings)  # the default place (this test's own data folder), as explain reads it
    path = feature.path
    assert path == database_path()
    assert win.tabs.tabText(feature.tab_index) == "History"
    start(win, qtbot)
    current.append(row(3000, program="node", pid=812))
    qtbot.waitUntil(lambda: len(HistoryReader(path).port_history(3000)) == 1, timeout=5000)
    current.pop()
    qtbot.waitUntil(lambda: not HistoryReader(path).port_history(3000)[0].open, timeout=5000)
    feature.panel.show_port(3000)
    qtbot.waitUntil(lambda: feature.panel.tree.topLevelItemCount() == 1, timeout=5000)
    item = feature.panel.tree.topLevelItem(0)
    assert item is not None and item.text(3) == "node (PID 812)" and "listened on 127.0.0.1:3000" in item.text(4)
    assert "1 socket found for “3000”" in feature.panel.result_label.text()
    assert "remembers which program used which port for 7 days" in feature.panel.state_label.text()
    # the investigation moves the History tab to its port
    win.investigate_edit.setText("connect ECONNREFUSED 127.0.0.1:5432")
    win.investigate()
    qtbot.waitUntil(lambda: feature.panel.search_edit.text() == "5432", timeout=3000)
    qtbot.waitUntil(lambda: feature.panel.tree.topLevelItemCount() == 1, timeout=5000)
    # and the explanation names what held a port earlier
    win.investigate_edit.setText("connect ECONNREFUSED 127.0.0.1:3000")
    win.investigate()
    qtbot.waitUntil(
        lambda: (
            win.explain_panel.diagnosis is not None
            and "node (PID 812) listened on 3000 until" in report(win.explain_panel.diagnosis)
        ),
        timeout=5000,
    )


def test_recording_off_and_clearing(win: MainWindow, qtbot: QtBot, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    feature = HistoryFeature(win, settings, path=path)
    start(win, qtbot)
    qtbot.waitUntil(lambda: feature.recorder.status == "recording", timeout=5000)
    feature.record_action.setChecked(False)
    qtbot.waitUntil(lambda: feature.recorder.status == "off", timeout=5000)
    assert settings.history_recording is False
    assert "History is off: loopgui records nothing" in feature.panel.state_label.text()
    assert HistoryReader(path).port_history(5432)
    feature.clear()
    qtbot.waitUntil(lambda: not path.exists(), timeout=5000)
    qtbot.waitUntil(lambda: "No history recorded yet" in feature.panel.result_label.text(), timeout=5000)
    feature.record_action.setChecked(True)
    qtbot.waitUntil(lambda: bool(HistoryReader(path).port_history(5432)), timeout=5000)
    feature.clear()  # while recording: the scan thread clears, then records what is there now
    qtbot.waitUntil(lambda: feature.recorder.status == "recording" and path.exists(), timeout=5000)


def test_a_second_window_records_nothing_and_says_so(
    win: MainWindow, qtbot: QtBot, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "history.sqlite3"
    other = Recorder(path)
    other._start()  # another loopgui holds the writer lock
    try:
        feature = HistoryFeature(win, settings, path=path)
        start(win, qtbot)
        qtbot.waitUntil(lambda: "Another loopgui" in feature.panel.state_label.text(), timeout=5000)
        assert "already recording" in win.message_label.text()
    finally:
        other.close()


def test_watching_a_port_notifies_through_the_tray_and_a_click_explains_it(
    win: MainWindow, qtbot: QtBot, settings: Settings, current: list[SocketRow]
) -> None:
    tray = FakeTray()
    feature = TrayFeature(win, settings, notifier=tray)
    start(win, qtbot)
    win.investigate_edit.setText("connect ECONNREFUSED 127.0.0.1:3000")
    win.investigate()
    assert feature.watch_action.isEnabled() and feature.watch_action.text() == "&Watch port 3000"
    feature.watch_action.setChecked(True)
    assert settings.watched_ports == (3000,)
    current.append(row(3000, program="node", pid=812))
    qtbot.waitUntil(lambda: bool(tray.messages), timeout=5000)
    assert tray.messages[0] == ("Port 3000 is in use now", "node (PID 812) started listening on 127.0.0.1:3000.")
    current.pop()
    qtbot.waitUntil(lambda: len(tray.messages) == 2, timeout=5000)
    assert tray.messages[1][0] == "Port 3000 is free now"
    win.investigate_edit.setText("")
    win.hide()
    win.tabs.setCurrentWidget(win.connectivity_panel)
    tray.click()
    assert win.isVisible()
    assert win.investigate_edit.text() == "127.0.0.1:3000"
    assert win.tabs.current_page() is win.explain_panel  # the notice is about the explanation
    # with the user's own message in the box, a click explains the notice's address and leaves the box alone
    win.investigate_edit.setText("my own error message 127.0.0.1:5432")
    win.tabs.setCurrentWidget(win.connectivity_panel)
    tray.click()
    assert win.investigate_edit.text() == "my own error message 127.0.0.1:5432"
    assert win.investigation.port == 3000 and win.tabs.current_page() is win.explain_panel
    feature.unwatch(3000)
    assert settings.watched_ports == ()
    # from the table's context menu: the current row's port
    win.show_all_sockets()
    index = next(i for i in range(win.model.rowCount()) if win.model.row_at(i).local_port == 5432)  # type: ignore[union-attr]
    win.table.setCurrentIndex(win.model.index(index, 0))
    feature.row_watch_action.trigger()
    assert settings.watched_ports == (5432,)
    # a new window (the next start) watches the same ports
    again = TrayFeature(win, settings, notifier=FakeTray())
    assert again.watcher.ports == frozenset({5432})


def test_new_programs_anywhere_is_off_by_default(
    win: MainWindow, qtbot: QtBot, settings: Settings, current: list[SocketRow]
) -> None:
    tray = FakeTray()
    feature = TrayFeature(win, settings, notifier=tray)
    assert not feature.new_programs_action.isChecked()
    start(win, qtbot)
    current.append(row(8000, program="python3", pid=5))
    qtbot.waitUntil(lambda: win.model.total == 2, timeout=5000)
    assert tray.messages == []
    feature.new_programs_action.setChecked(True)
    assert settings.watch_new_programs
    current.append(row(9000, program="ruby", pid=6))
    qtbot.waitUntil(lambda: bool(tray.messages), timeout=5000)
    assert tray.messages[0][0] == "ruby started listening"


def test_keep_running_hides_the_window_and_quit_really_closes(
    win: MainWindow, qtbot: QtBot, settings: Settings
) -> None:
    tray = FakeTray()
    feature = TrayFeature(win, settings, notifier=tray)
    assert not feature.keep_action.isChecked()  # off by default
    start(win, qtbot)
    feature.keep_action.setChecked(True)
    assert settings.keep_running
    win.close()
    assert not win.isVisible() and win.scan_thread.isRunning()
    assert tray.messages[-1][0] == "loopgui keeps running"
    feature.show_window()
    assert win.isVisible()
    feature.quit()
    assert not win.isVisible() and not win.scan_thread.isRunning()


def test_without_a_tray_messages_go_to_the_status_bar_and_background_is_unavailable(
    win: MainWindow, settings: Settings
) -> None:
    if QSystemTrayIcon.isSystemTrayAvailable():
        pytest.skip("this desktop has a tray")
    feature = TrayFeature(win, settings)
    assert not feature.notifier.is_tray
    assert not feature.keep_action.isEnabled() and not feature.keep_action.isChecked()
    assert feature.menu.toolTipsVisible() and "no tray" in feature.keep_action.toolTip()  # why it is greyed out
    feature.notifier.notify("Port 3000 is in use now", "node (PID 7) started listening on 127.0.0.1:3000.")
    assert win.message_label.text() == "node (PID 7) started listening on 127.0.0.1:3000."
    win.close()
    assert not win.isVisible()


def test_start_at_login_writes_and_removes_the_autostart_entry(
    win: MainWindow, qtbot: QtBot, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    feature = TrayFeature(win, settings, notifier=FakeTray(), login_platform="linux")
    entry = tmp_path / "cfg" / "autostart" / "io.github.loopgui.loopgui.desktop"
    assert not feature.login_action.isChecked()
    feature.login_action.setChecked(True)
    qtbot.waitUntil(lambda: "starts when you log in" in win.message_label.text(), timeout=5000)
    assert entry.is_file() and "--background" in entry.read_text(encoding="utf-8")
    assert feature.login_action.isChecked() and feature.login_action.isEnabled()
    feature.login_action.setChecked(False)
    qtbot.waitUntil(lambda: not entry.exists() and feature.login_action.isEnabled(), timeout=5000)
    assert not feature.login_action.isChecked()


def test_new_labels_are_plain_text(win: MainWindow, settings: Settings, tmp_path: Path) -> None:
    feature = HistoryFeature(win, settings, path=tmp_path / "h.sqlite3")
    labels = feature.panel.findChildren(QLabel)
    assert labels and all(label.textFormat().name == "PlainText" for label in labels)
    named = [w for w in feature.panel.findChildren(QWidget) if w.accessibleName()]
    assert len(named) >= 3


def test_start_at_login_that_cannot_be_written_says_so(
    win: MainWindow, qtbot: QtBot, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "cfg"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker))
    feature = TrayFeature(win, settings, notifier=FakeTray(), login_platform="linux")
    feature.login_action.setChecked(True)
    qtbot.waitUntil(lambda: "That did not work" in win.message_label.text(), timeout=5000)
    assert not feature.login_action.isChecked() and feature.login_action.isEnabled()


def test_a_socket_still_open_says_how_long_so_far() -> None:
    from loopgui.core.history.store import Span
    from loopgui.core.words.history import span_how_long

    def span(open_: bool, last_state: str = "LISTEN") -> Span:
        return Span("TCP", "127.0.0.1", 8011, "", 0, 1000.0, 1001.0, open_, "LISTEN", last_state, True, pid=7)

    assert span_how_long(span(True), now=1040.0) == "40 seconds so far"  # the last note in the database said 1 s
    assert span_how_long(span(False), now=1040.0) == "1 second"  # a closed one keeps its own length


def test_watch_a_port_takes_any_number_from_the_watch_menu_and_the_tray_menu(
    win: MainWindow, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QInputDialog

    feature = TrayFeature(win, settings, notifier=FakeTray())
    assert feature.watch_any_action in feature.menu.actions()
    if feature.tray_icon is not None:  # a real tray (not offscreen): its menu has the same item
        assert feature.watch_any_action in feature.tray_menu.actions()
    asked: list[tuple[int, int, int]] = []

    def answer(_parent: object, _title: str, _question: str, value: int, low: int, high: int) -> tuple[int, bool]:
        asked.append((value, low, high))
        return 27017, True

    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(answer))
    assert win.investigation.port is None  # nothing investigated: "Watch this port" has no port, this one asks
    feature.watch_any_action.trigger()
    assert asked == [(8080, 1, 65535)] and settings.watched_ports == (27017,)
    monkeypatch.setattr(QInputDialog, "getInt", staticmethod(lambda *_a: (0, False)))  # Cancel
    feature.watch_any_action.trigger()
    assert settings.watched_ports == (27017,)


@pytest.mark.qt_log_ignore("QSystemTrayIcon", "systemTrayWindowChanged")  # offscreen has no real tray
def test_the_tray_menu_offers_watch_a_port(qtbot: QtBot, settings: Settings) -> None:
    """With a system tray (a fake icon here), the tray's menu holds "Watch a port…" too."""
    scanner, _ = scripted_scanner(list)
    window = MainWindow(scanner, settings, start=False)
    qtbot.addWidget(window)
    import loopgui.ui.tray as tray_module

    real = tray_module.QSystemTrayIcon.isSystemTrayAvailable
    tray_module.QSystemTrayIcon.isSystemTrayAvailable = staticmethod(lambda: True)  # type: ignore[method-assign]
    try:
        from PySide6.QtGui import QIcon, QPixmap

        pixmap = QPixmap(16, 16)
        pixmap.fill()
        feature = TrayFeature(window, settings, icon=QIcon(pixmap))
    finally:
        tray_module.QSystemTrayIcon.isSystemTrayAvailable = real  # type: ignore[method-assign]
    assert feature.tray_icon is not None
    assert feature.watch_any_action in feature.tray_menu.actions()
    feature.tray_icon.hide()


def test_the_history_tab_follows_the_scans_while_it_is_shown(
    win: MainWindow, qtbot: QtBot, settings: Settings, current: list[SocketRow]
) -> None:
    """No stale "still open": after the program stops, the visible History tab says until when, without Search."""
    feature = HistoryFeature(win, settings)
    start(win, qtbot)
    current.append(row(3000, program="node", pid=812))
    win.tabs.setCurrentIndex(feature.tab_index)
    feature.panel.show_port(3000)
    tree = feature.panel.tree

    def to_column() -> str:
        item = tree.topLevelItem(0)
        return item.text(1) if item is not None else ""

    qtbot.waitUntil(lambda: to_column() == "still open", timeout=5000)
    current.pop()
    qtbot.waitUntil(lambda: to_column() not in ("", "still open"), timeout=8000)
    # its rows have a menu: explain, copy the address, copy the row
    item = tree.topLevelItem(0)
    assert item is not None
    menu = feature.panel.row_menu(item)
    assert menu is not None
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Explain this address", "Copy the address", "Copy the row"]
    menu.actions()[0].trigger()
    assert win.investigation.port == 3000
