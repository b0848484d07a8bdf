"""Typed access to the settings loopgui remembers between runs.

Every setting is declared once (``TABLE``: key, type, default, check); the file carries a version
(``SETTINGS_VERSION``) and older files are migrated (``MIGRATIONS``).  The settings file is outside loopgui's control
(a crash while writing, a disk error, an edit by hand, a file from another version), so every value read back is
checked, and anything that does not fit (``²`` as a port, a 4,300-digit number) falls back to its default.  Window,
table and splitter layouts are stored as short lists of numbers that are checked one by one, never as Qt's opaque
state blobs: ``QSplitter.restoreState`` and ``QHeaderView.restoreState`` trust their input, and a damaged blob crashed
or froze the window at every start.  The settings folder is private (0700, ``core/paths.py``).
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QPoint, QRect, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QSplitter, QTableView, QWidget

from loopgui.core.paths import private_dir, tighten_files
from loopgui.core.words.paths import os_error_text
from loopgui.ui.scan_thread import clamp_interval

log = logging.getLogger("loopgui.settings")

MAX_TEXT = 1000  # characters of filter text kept
MAX_SIZE = 100_000  # pixels; larger is nonsense on any screen
MIN_WINDOW = (480, 320)
_NUMBERS = re.compile(r"-?\d{1,9}")
_OLD_BLOBS = ("window/geometry", "table/header", "window/splitter")  # written by earlier versions; never read


@dataclass(frozen=True, slots=True)
class Rect:
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class WindowPlace:
    rect: Rect
    maximized: bool


@dataclass(frozen=True, slots=True)
class TableLayout:
    widths: tuple[int, ...]  # per column (logical index)
    order: tuple[int, ...]  # the column shown at each position, left to right
    sort_column: int
    descending: bool


def int_list(value: object, count: int, low: int, high: int) -> tuple[int, ...] | None:
    """``count`` whole numbers in ``low..high`` from ``"1,2,3"`` (or a list of them); None when anything is off."""
    if isinstance(value, (list, tuple)):
        parts = [str(v) for v in value]
    elif isinstance(value, str) and len(value) <= 20 * max(count, 1):
        parts = value.split(",")
    else:
        return None
    if len(parts) != count:
        return None
    numbers = []
    for part in parts:
        text = part.strip()
        if not _NUMBERS.fullmatch(text):
            return None
        n = int(text)
        if not low <= n <= high:
            return None
        numbers.append(n)
    return tuple(numbers)


def fit_rect(rect: Rect, area: Rect) -> Rect:
    """``rect`` moved and shrunk so that it lies inside ``area`` (a screen's available geometry)."""
    width = max(min(rect.width, area.width), min(MIN_WINDOW[0], area.width))
    height = max(min(rect.height, area.height), min(MIN_WINDOW[1], area.height))
    x = min(max(rect.x, area.x), area.x + area.width - width)
    y = min(max(rect.y, area.y), area.y + area.height - height)
    return Rect(x, y, width, height)


MAX_WATCHED = 50  # ports watched at most
SETTINGS_VERSION = 2  # 1: earlier versions (Qt state blobs); 2: this table
T = TypeVar("T")


# -- checking one value read back: None when it does not fit (the default is used) ----------------------------------


def as_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no"):
        return value.lower() in ("true", "1", "yes")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    return None


def as_interval(value: object) -> float | None:
    if isinstance(value, str) and (len(value) > 40 or not value.strip().isascii()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    seconds = clamp_interval(value)
    return seconds if math.isfinite(seconds) else None


def as_text(value: object) -> str | None:
    return value[:MAX_TEXT] if isinstance(value, str) else None


def as_ports(value: object) -> tuple[int, ...] | None:
    """``"3000,8080"``: ASCII digits only, 1..65535, at most MAX_WATCHED; ``²`` and 4,300-digit numbers are no port."""
    if not isinstance(value, str) or len(value) > 100_000:
        return None
    ports: list[int] = []
    for part in value.split(",")[:MAX_WATCHED]:
        text = part.strip()
        if text.isascii() and text.isdigit() and len(text) <= 5 and 0 < int(text) <= 65535:
            ports.append(int(text))
    return tuple(dict.fromkeys(ports))


@dataclass(frozen=True, slots=True)
class Setting(Generic[T]):
    """One remembered value: where it is kept, its default, how a stored value is checked and how it is written."""

    key: str
    default: T
    check: Callable[[object], T | None]
    store: Callable[[T], object] = lambda v: v


def _ports_text(ports: tuple[int, ...]) -> str:
    return ",".join(str(p) for p in ports[:MAX_WATCHED])


# Every setting, declared once.  Layouts (window, table, splitter) are checked as lists of numbers below.
INTERVAL: Setting[float] = Setting("scan/interval", 1.0, as_interval, clamp_interval)
FILTER_TEXT: Setting[str] = Setting("filter/text", "", as_text, lambda t: t[:MAX_TEXT])
LISTENING_ONLY: Setting[bool] = Setting("filter/listening_only", False, as_bool)
SHOW_TCP: Setting[bool] = Setting("filter/tcp", True, as_bool)
SHOW_UDP: Setting[bool] = Setting("filter/udp", True, as_bool)
MAXIMIZED: Setting[bool] = Setting("window/maximized", False, as_bool)
HISTORY_RECORDING: Setting[bool] = Setting("history/record", True, as_bool)
KEEP_RUNNING: Setting[bool] = Setting("background/keep_running", False, as_bool)
WATCH_NEW_PROGRAMS: Setting[bool] = Setting("watch/new_programs", False, as_bool)
WATCHED_PORTS: Setting[tuple[int, ...]] = Setting("watch/ports", (), as_ports, _ports_text)
TABLE: tuple[Setting[Any], ...] = (
    INTERVAL,
    FILTER_TEXT,
    LISTENING_ONLY,
    SHOW_TCP,
    SHOW_UDP,
    MAXIMIZED,
    HISTORY_RECORDING,
    KEEP_RUNNING,
    WATCH_NEW_PROGRAMS,
    WATCHED_PORTS,
)
LAYOUT_KEYS = ("window/rect", "window/split", "table/widths", "table/order", "table/sort")
VERSION_KEY = "meta/version"


def _from_1(q: QSettings) -> None:
    """Version 1 kept Qt's opaque state blobs, which crashed or froze the window when damaged: never read."""
    for key in _OLD_BLOBS:
        q.remove(key)


MIGRATIONS: dict[int, Callable[[QSettings], None]] = {1: _from_1}  # from version n to n + 1


def _private_config(q: QSettings) -> None:
    """The settings file's folder private (0700), the file 0600 (``core/paths.py``); a refused folder is logged."""
    if q.format() != QSettings.Format.NativeFormat or sys.platform in ("win32", "darwin"):
        return
    name = q.fileName()
    if not name:
        return
    try:
        private_dir(Path(name).parent)
        tighten_files(Path(name).parent)
    except OSError as exc:
        log.warning("settings: %s", os_error_text(exc))


class Settings:
    """A typed layer over QSettings: every value is declared once (``TABLE``) with its type, default and check;
    every value read back is checked, and one that does not fit falls back to its default.  The file carries a
    version; older files are migrated (``MIGRATIONS``) when opened."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._q = qsettings if qsettings is not None else QSettings("loopgui", "loopgui")
        if qsettings is None:
            _private_config(self._q)
        self._migrate()

    def _migrate(self) -> None:
        stored = self._value(VERSION_KEY)
        version = stored if isinstance(stored, int) and not isinstance(stored, bool) else None
        if isinstance(stored, str) and stored.isascii() and stored.isdigit() and len(stored) <= 3:
            version = int(stored)
        if version is None or not 1 <= version <= SETTINGS_VERSION:
            version = 1  # missing, damaged or from the future: checked like an old file
        while version < SETTINGS_VERSION:
            step = MIGRATIONS.get(version)
            if step is not None:
                step(self._q)
            version += 1
        with contextlib.suppress(Exception):
            self._q.setValue(VERSION_KEY, SETTINGS_VERSION)

    def _value(self, name: str) -> object:
        try:
            return self._q.value(name)
        except Exception:  # a value Qt or PySide cannot turn into Python (a damaged @Variant)
            return None

    def get(self, setting: Setting[T]) -> T:
        """The stored value if it passes its check, else the default (a check that raises counts as failed)."""
        try:
            value = setting.check(self._value(setting.key))
        except (ValueError, TypeError, OverflowError, ArithmeticError):
            value = None
        return setting.default if value is None else value

    def put(self, setting: Setting[T], value: T) -> None:
        self._q.setValue(setting.key, setting.store(value))

    def _bool(self, name: str, default: bool) -> bool:
        value = as_bool(self._value(name))
        return default if value is None else value

    @property
    def interval(self) -> float:
        return self.get(INTERVAL)

    @interval.setter
    def interval(self, seconds: float) -> None:
        self.put(INTERVAL, seconds)

    @property
    def filter_text(self) -> str:
        return self.get(FILTER_TEXT)

    @filter_text.setter
    def filter_text(self, text: str) -> None:
        self.put(FILTER_TEXT, text)

    @property
    def listening_only(self) -> bool:
        return self.get(LISTENING_ONLY)

    @listening_only.setter
    def listening_only(self, on: bool) -> None:
        self.put(LISTENING_ONLY, on)

    @property
    def show_tcp(self) -> bool:
        return self.get(SHOW_TCP)

    @show_tcp.setter
    def show_tcp(self, on: bool) -> None:
        self.put(SHOW_TCP, on)

    @property
    def show_udp(self) -> bool:
        return self.get(SHOW_UDP)

    @show_udp.setter
    def show_udp(self, on: bool) -> None:
        self.put(SHOW_UDP, on)

    @property
    def window_place(self) -> WindowPlace | None:
        """Where the window was and how big (not yet fitted to a screen: see :func:`fit_rect`)."""
        numbers = int_list(self._value("window/rect"), 4, -MAX_SIZE, MAX_SIZE)
        if numbers is None or numbers[2] < 1 or numbers[3] < 1:
            return None
        return WindowPlace(Rect(*numbers), self.get(MAXIMIZED))

    @window_place.setter
    def window_place(self, place: WindowPlace) -> None:
        r = place.rect
        self._q.setValue("window/rect", f"{r.x},{r.y},{r.width},{r.height}")
        self.put(MAXIMIZED, place.maximized)

    def table_layout(self, columns: int) -> TableLayout | None:
        """Column widths, order and sorting for a table of ``columns`` columns; None unless all of it fits."""
        widths = int_list(self._value("table/widths"), columns, 10, MAX_SIZE)
        order = int_list(self._value("table/order"), columns, 0, columns - 1)
        sort = int_list(self._value("table/sort"), 2, 0, columns - 1)
        if widths is None or order is None or sort is None or sorted(order) != list(range(columns)):
            return None
        if sort[1] > 1:
            return None
        return TableLayout(widths, order, sort[0], bool(sort[1]))

    def set_table_layout(self, layout: TableLayout) -> None:
        self._q.setValue("table/widths", ",".join(map(str, layout.widths)))
        self._q.setValue("table/order", ",".join(map(str, layout.order)))
        self._q.setValue("table/sort", f"{layout.sort_column},{int(layout.descending)}")

    @property
    def splitter_sizes(self) -> tuple[int, int] | None:
        """How the window is split between the explanation (first) and the table (second)."""
        sizes = int_list(self._value("window/split"), 2, 0, MAX_SIZE)
        if sizes is None or sum(sizes) == 0:
            return None
        return sizes[0], sizes[1]

    @splitter_sizes.setter
    def splitter_sizes(self, sizes: tuple[int, int]) -> None:
        self._q.setValue("window/split", f"{sizes[0]},{sizes[1]}")

    # -- history, watching, background (ui/history_panel.py, ui/tray.py) ------------------------------------------

    @property
    def history_recording(self) -> bool:
        return self.get(HISTORY_RECORDING)

    @history_recording.setter
    def history_recording(self, on: bool) -> None:
        self.put(HISTORY_RECORDING, on)

    @property
    def keep_running(self) -> bool:
        """Keep running in the background (tray icon) when the window closes."""
        return self.get(KEEP_RUNNING)

    @keep_running.setter
    def keep_running(self, on: bool) -> None:
        self.put(KEEP_RUNNING, on)

    @property
    def watch_new_programs(self) -> bool:
        return self.get(WATCH_NEW_PROGRAMS)

    @watch_new_programs.setter
    def watch_new_programs(self, on: bool) -> None:
        self.put(WATCH_NEW_PROGRAMS, on)

    @property
    def watched_ports(self) -> tuple[int, ...]:
        return self.get(WATCHED_PORTS)

    @watched_ports.setter
    def watched_ports(self, ports: tuple[int, ...]) -> None:
        self.put(WATCHED_PORTS, ports)

    @property
    def hidden_columns(self) -> tuple[int, ...]:
        """The table's columns the user hid (header's right-click menu); never all of them."""
        value = self._value("table/hidden")
        text = value if isinstance(value, str) else ""
        columns = [int(c) for c in text.split(",")[:32] if c.strip().isdigit() and int(c) < 32]
        return tuple(dict.fromkeys(columns))

    @hidden_columns.setter
    def hidden_columns(self, columns: tuple[int, ...]) -> None:
        self._q.setValue("table/hidden", ",".join(str(c) for c in columns[:32]))

    def sync(self) -> None:
        self._q.sync()
        if self._q.format() == QSettings.Format.NativeFormat:
            _private_config(self._q)


# -- applying to widgets (and reading back) ------------------------------------------------------------------------


def _rect(r: QRect) -> Rect:
    return Rect(r.x(), r.y(), r.width(), r.height())


def restore_window_place(window: QWidget, place: WindowPlace | None) -> None:
    """Put ``window`` where it was, fitted to the available area of the screen it was on (or the main one).

    With nothing remembered, the window keeps its default size, shrunk to fit a small screen.
    """
    r = place.rect if place is not None else _rect(window.geometry())
    screen = QGuiApplication.screenAt(QPoint(r.x + r.width // 2, r.y + r.height // 2))
    screen = screen or QGuiApplication.primaryScreen()
    if screen is None:
        return
    fitted = fit_rect(r, _rect(screen.availableGeometry()))
    if place is None:
        # Nothing remembered: only the size.  Placing the inside of the window at the screen's corner would push
        # the window manager's title bar above the screen, out of reach.
        window.resize(fitted.width, fitted.height)
        return
    window.setGeometry(QRect(fitted.x, fitted.y, fitted.width, fitted.height))
    if place is not None and place.maximized:
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)


def window_place_of(window: QWidget) -> WindowPlace:
    maximized = window.isMaximized()
    return WindowPlace(_rect(window.normalGeometry() if maximized else window.geometry()), maximized)


def restore_table_layout(view: QTableView, layout: TableLayout | None) -> None:
    if layout is None:
        return
    header = view.horizontalHeader()
    for column, width in enumerate(layout.widths):
        header.resizeSection(column, width)
    for position, column in enumerate(layout.order):
        header.moveSection(header.visualIndex(column), position)
    order = Qt.SortOrder.DescendingOrder if layout.descending else Qt.SortOrder.AscendingOrder
    view.sortByColumn(layout.sort_column, order)


def table_layout_of(view: QTableView) -> TableLayout:
    header = view.horizontalHeader()
    columns = header.count()
    widths = tuple(min(max(header.sectionSize(c), 10), MAX_SIZE) for c in range(columns))
    order = tuple(header.logicalIndex(p) for p in range(columns))
    sort_column = header.sortIndicatorSection()
    return TableLayout(
        widths,
        order,
        sort_column if 0 <= sort_column < columns else 0,
        header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder,
    )


def restore_splitter(splitter: QSplitter, sizes: tuple[int, int] | None) -> None:
    if sizes is not None and splitter.count() == 2:
        splitter.setSizes(list(sizes))


def splitter_sizes_of(splitter: QSplitter) -> tuple[int, int]:
    sizes = [min(max(s, 0), MAX_SIZE) for s in splitter.sizes()[:2]]
    return (sizes[0], sizes[1]) if len(sizes) == 2 else (1, 1)
