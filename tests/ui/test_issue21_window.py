"""The window's side of issue 21: the explanation never depends on the history, the paste box keeps every
character, settings that do not fit fall back, History shows set-aside copies, Cancel is not an error."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from loopgui.core.cancel import Cancelled
from loopgui.core.history.recorder import Recorder
from loopgui.core.history.store import ProgramInfo, database_path
from loopgui.ui.background import BackgroundOp
from loopgui.ui.history_panel import HistoryFeature
from loopgui.ui.main_window import MainWindow
from loopgui.ui.settings import SETTINGS_VERSION, TABLE, VERSION_KEY, Settings
from loopgui.ui.tray import TrayFeature
from tests.helpers import row, scripted_scanner, snapshot


@pytest.fixture
def win(qtbot: QtBot, settings: Settings) -> Iterator[MainWindow]:
    scanner, _ = scripted_scanner(lambda: [row(5432, program="postgres", pid=77)])
    window = MainWindow(scanner, settings, start=False)
    qtbot.addWidget(window)
    yield window
    window.scan_thread.stop(2000)


def damaged_history() -> Path:
    """The default history (this test's own data folder) with a text in a time column and a time of 1e300."""
    db = database_path()
    rec = Recorder(db, lookup=lambda pid: ProgramInfo(1.0, "node", "alice"))
    now = time.time()
    first = snapshot([row(3000, pid=812, program="node", first_seen=now), row(3001, pid=9, program="x")])
    rec.record(first)
    rec.record(snapshot([], previous=first.rows))
    rec.close()
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE sockets SET first_seen='yesterday' WHERE local_port=3000")
        conn.execute("UPDATE sockets SET last_seen=1e300 WHERE local_port=3001")
    conn.close()
    return db


def test_the_explanation_shows_with_damaged_values_in_the_history(win: MainWindow, qtbot: QtBot) -> None:
    damaged_history()
    win.investigate_edit.setText("connect ECONNREFUSED 127.0.0.1:3000")
    win.investigate()
    qtbot.waitUntil(lambda: win.explain_panel.diagnosis is not None, timeout=10000)
    assert "3000" in win.explain_panel.headline.text()


def test_the_paste_box_keeps_every_character_and_the_offer_reads_the_same_text(win: MainWindow, qtbot: QtBot) -> None:
    text = "x " * 20_000 + "Error: connect ECONNREFUSED 127.0.0.1:6379"  # 40,042 characters: Qt cut at 32,767
    QGuiApplication.clipboard().setText(text)
    win.offer_clipboard()
    qtbot.waitUntil(lambda: not win.clip_banner.isHidden(), timeout=10000)  # parsed off the GUI thread
    assert "127.0.0.1:6379" in win.clip_label.text()
    win._accept_clipboard()
    assert win.investigate_edit.text() == text
    qtbot.waitUntil(lambda: win.investigation.found is not None, timeout=10000)
    assert win.investigation.port == 6379  # not "No address found"
    win.investigate()  # the box read again: the same text, the same port
    qtbot.waitUntil(lambda: win.investigation.port == 6379, timeout=10000)


@pytest.mark.parametrize("bad", ["²", "٣٠٠٠", "9" * 4300, "1" * 5000 + ",3000", "@Variant(\\0\\0\\0\\x7f)"])
def test_no_stored_value_stops_the_settings(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "loopgui.ini"
    q = QSettings(str(path), QSettings.Format.IniFormat)
    for setting in TABLE:
        q.setValue(setting.key, bad)
    for key in ("window/rect", "window/split", "table/widths", "table/order", "table/sort"):
        q.setValue(key, bad)
    q.sync()
    s = Settings(QSettings(str(path), QSettings.Format.IniFormat))
    for setting in TABLE:
        value = s.get(setting)
        assert type(value) is type(setting.default), setting.key
    assert s.watched_ports == ((3000,) if ",3000" in bad else ())  # what fits is kept, the rest dropped
    assert s.interval == 1.0 and s.window_place is None and s.table_layout(9) is None


def test_a_window_with_watched_ports_of_superscript_digits_opens(tmp_path: Path, qtbot: QtBot, win: MainWindow) -> None:
    path = tmp_path / "watch.ini"
    q = QSettings(str(path), QSettings.Format.IniFormat)
    q.setValue("watch/ports", "²,3000," + "9" * 4300)
    q.sync()
    settings = Settings(QSettings(str(path), QSettings.Format.IniFormat))
    tray = TrayFeature(win, settings)  # stopped the window from opening before (int("²") raised)
    assert sorted(tray.watcher.ports) == [3000]


def test_an_old_settings_file_is_migrated_once(tmp_path: Path) -> None:
    path = tmp_path / "old.ini"
    q = QSettings(str(path), QSettings.Format.IniFormat)
    q.setValue("window/splitter", "@ByteArray(\\0\\0\\0\\xff)")  # a version 1 blob that crashed Qt
    q.setValue("scan/interval", "2")
    q.sync()
    s = Settings(QSettings(str(path), QSettings.Format.IniFormat))
    s.sync()
    again = QSettings(str(path), QSettings.Format.IniFormat)
    assert again.value("window/splitter") is None
    assert int(str(again.value(VERSION_KEY))) == SETTINGS_VERSION
    assert s.interval == 2.0  # the rest is kept


def test_the_history_tab_shows_set_aside_copies(win: MainWindow, settings: Settings, qtbot: QtBot) -> None:
    db = database_path()
    rec = Recorder(db, lookup=lambda pid: ProgramInfo(1.0, "node", "alice"))
    rec.record(snapshot([row(3000, pid=812, program="node")]))
    rec.close()
    copy = db.with_name("history.sqlite3.damaged-20261201-101010")
    copy.write_bytes(b"\0" * 2_000_000)
    feature = HistoryFeature(win, settings)
    feature.panel.search()
    qtbot.waitUntil(lambda: "damaged copy of the history is kept" in feature.panel.result_label.text(), timeout=10000)
    assert "2 MB" in feature.panel.result_label.text()
    feature.clear()
    qtbot.waitUntil(lambda: not copy.exists(), timeout=10000)


def test_cancel_is_not_an_error_in_the_log(qtbot: QtBot, caplog: pytest.LogCaptureFixture, win: MainWindow) -> None:
    failures: list[BaseException] = []

    def work() -> None:
        raise Cancelled

    with caplog.at_level(logging.INFO, logger="loopgui"):
        BackgroundOp(win, work, lambda _: None).on_failure(failures.append).start()
        qtbot.waitUntil(lambda: bool(failures), timeout=5000)
        BackgroundOp(win, work, lambda _: None).start()  # the default failure handler too
        qtbot.wait(300)
    assert isinstance(failures[0], Cancelled)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert not [r for r in caplog.records if r.exc_info], caplog.text


def test_the_settings_folder_is_private(tmp_path: Path) -> None:
    from loopgui.ui.settings import _private_config

    folder = tmp_path / "config" / "loopgui"
    folder.mkdir(parents=True)
    os.chmod(folder, 0o755)
    q = QSettings(str(folder / "loopgui.conf"), QSettings.Format.NativeFormat)
    q.setValue("scan/interval", 2)
    q.sync()
    os.chmod(folder / "loopgui.conf", 0o644)
    _private_config(q)
    assert os.stat(folder).st_mode & 0o777 == 0o700
    assert os.stat(folder / "loopgui.conf").st_mode & 0o777 == 0o600
