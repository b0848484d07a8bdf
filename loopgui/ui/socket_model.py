"""The socket table's model: sorted and filtered in Python, updated from snapshot diffs.

The model keeps the visible rows in display order with a parallel list of sort keys, so every change is a
binary search plus one ``beginInsertRows``/``beginRemoveRows``/``beginMoveRows``/``dataChanged``: selection,
scroll position and sorting survive refreshes, and the work per refresh follows the number of changes, not
the number of rows.  Rows that appear are tinted green and rows that vanish stay, tinted red, for a few
seconds before they go.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from enum import IntEnum
from operator import itemgetter
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QPalette

from loopgui.core.explain.knowledge import address_kind
from loopgui.core.net.sockets import UNIX, Snapshot, SocketRow, diff_rows
from loopgui.core.words.elsewhere import address_cell as elsewhere_address
from loopgui.core.words.elsewhere import row_tooltip as elsewhere_tooltip
from loopgui.core.words.explain import address_kind_sentence
from loopgui.core.words.filter import RowFilter
from loopgui.core.words.i18n import N_, _
from loopgui.core.words.labels import JARGON, owner_explanation, owner_text, state_text
from loopgui.core.words.programs import program_text
from loopgui.core.words.states import STATE_HELP, STATE_LABELS
from loopgui.ui.plain import plain_tooltip

ModelIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    PROTOCOL = 0
    LOCAL_ADDRESS = 1
    LOCAL_PORT = 2
    REMOTE_ADDRESS = 3
    REMOTE_PORT = 4
    STATE = 5
    PID = 6
    PROGRAM = 7
    FIRST_SEEN = 8


# Marked here, translated where shown (``_(HEADERS[i])``): the language is chosen after import.
HEADERS = (
    N_("Protocol"),
    N_("Local address"),
    N_("Local port"),
    N_("Remote address"),
    N_("Remote port"),
    N_("State"),
    N_("PID"),
    N_("Program"),
    N_("First seen"),
)
# Each tip is one or two whole sentences, each translated on its own and joined with a space when shown.
HEADER_TIPS: tuple[tuple[str, ...], ...] = (
    (JARGON["TCP/UDP"],),
    (N_("The address on this computer that the socket uses."), JARGON["IPv4/IPv6"]),
    (N_("The port number on this computer: a program's door number, from 1 to 65535."),),
    (N_("The other side of the connection, if there is one."),),
    (N_("The port number on the other side."),),
    (N_("What the connection is doing now, in plain words, with the technical name in brackets."),),
    (JARGON["PID"],),
    (N_("The program that holds the socket, with what tells it apart from others of the same name."), JARGON["socket"]),
    (N_("When loopgui first saw this socket."),),
)


class Role(IntEnum):
    SORT = int(Qt.ItemDataRole.UserRole) + 1
    KEY = int(Qt.ItemDataRole.UserRole) + 2
    ROW = int(Qt.ItemDataRole.UserRole) + 3


# Role constants as plain ints: comparing against enum attributes in data() is measurably slower.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_BACKGROUND_ROLE = Qt.ItemDataRole.BackgroundRole
_DISPLAY_ROLE = Qt.ItemDataRole.DisplayRole
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_SORT = int(Role.SORT)
_USED_ROLES = frozenset(
    (
        _DISPLAY,
        _ACCESSIBLE,
        _TOOLTIP,
        _BACKGROUND,
        _ALIGN,
        _FOREGROUND,
        _FONT,
        int(Role.SORT),
        int(Role.KEY),
        int(Role.ROW),
    )
)
_KEY = int(Role.KEY)
_ROW = int(Role.ROW)
_STATE_COLUMN = int(Column.STATE)
_NUMERIC = {int(Column.LOCAL_PORT), int(Column.REMOTE_PORT), int(Column.PID)}
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

NEW_COLOR = QColor(46, 160, 67)  # the hues; drawn translucent over the palette's base colour
GONE_COLOR = QColor(218, 54, 51)
DARK_NEW_COLOR = QColor(87, 200, 110)  # lighter hues for a dark palette, so light text stays readable on them
DARK_GONE_COLOR = QColor(240, 100, 95)


def _counts_down(row: SocketRow) -> bool:
    return row.state == "TIME_WAIT" and row.expires_at is not None


def tint_colors(palette: QPalette) -> tuple[QColor, QColor]:
    """(new, gone) hues that suit ``palette``: a dark base gets the lighter pair."""
    dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
    return (DARK_NEW_COLOR, DARK_GONE_COLOR) if dark else (NEW_COLOR, GONE_COLOR)


HIGHLIGHT_SECONDS = 3.0

SortKey = tuple[Any, bytes]
_first = itemgetter(0)


def _primary(column: int) -> Callable[[SocketRow], Any]:
    if column == Column.PROTOCOL:
        return lambda r: (r.proto, r.family)
    if column == Column.LOCAL_ADDRESS:
        return lambda r: (r.key[1], r.key[6:22])
    if column == Column.LOCAL_PORT:
        return lambda r: r.local_port
    if column == Column.REMOTE_ADDRESS:
        return lambda r: (bool(r.remote_port), r.key[1], r.key[22:38])
    if column == Column.REMOTE_PORT:
        return lambda r: r.remote_port
    if column == Column.STATE:
        return lambda r: STATE_LABELS.get(r.state, r.state)
    if column == Column.PID:
        return lambda r: (r.pid is None, r.pid or 0)
    if column == Column.PROGRAM:
        return lambda r: (not r.program, (r.label or r.program).casefold())
    return lambda r: r.first_seen


class SocketTableModel(QAbstractTableModel):
    """Rows of the socket table.

    Signals:
        counts_changed(shown, total): after every change of what is shown (rows that just vanished and are
            still shown in red do not count).
    """

    counts_changed = Signal(int, int)

    def __init__(self, parent: QObject | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self._clock = clock
        self._all: Mapping[bytes, SocketRow] = {}
        self._rows: list[SocketRow] = []
        self._keys: list[SortKey] = []
        self._shown: dict[bytes, SocketRow] = {}
        self._fresh: dict[bytes, float] = {}
        self._gone: dict[bytes, float] = {}
        self._filter = RowFilter()
        self._texts: dict[bytes, tuple[SocketRow, tuple[str, ...]]] = {}
        self._dim = QColor(128, 128, 128)
        self._new_color, self._gone_color = NEW_COLOR, GONE_COLOR
        self._sort_column = int(Column.LOCAL_PORT)
        self._descending = False
        self._primary = _primary(self._sort_column)
        self._snapshots = 0
        self.highlight_seconds = HIGHLIGHT_SECONDS
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.tick)
        # Leftovers (TIME_WAIT) with the kernel's timer: their State cells count down, redrawn every second.
        self._countdown: set[bytes] = set()
        self._count_timer = QTimer(self)
        self._count_timer.setInterval(1000)
        self._count_timer.timeout.connect(self.redraw_countdowns)

    # -- Qt model interface ------------------------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return None
        if role == _DISPLAY:
            return _(HEADERS[section])
        if role == _TOOLTIP:
            return " ".join(_(text) for text in HEADER_TIPS[section])
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else _NO_FLAGS

    def data(self, index: ModelIndex, role: int = _DISPLAY) -> Any:
        # Called thousands of times per repaint: roles the table never uses leave first, and display texts
        # are made once per row version and cached.
        if role not in _USED_ROLES:
            return None
        r = index.row()  # -1 for an invalid index
        if not 0 <= r < len(self._rows):
            return None
        row = self._rows[r]
        col = index.column()
        if role == _DISPLAY or role == _ACCESSIBLE:  # noqa: PLR1714, SIM109 (faster than a tuple test here)
            cached = self._texts.get(row.key)
            if cached is None or cached[0] is not row:
                if len(self._texts) > 4096:
                    self._texts.clear()
                cached = self._texts[row.key] = (row, tuple(self._text(row, c) for c in range(len(HEADERS))))
            if col == _STATE_COLUMN and row.state == "TIME_WAIT":
                return state_text(row)  # counts down: never cached
            texts = cached[1]
            return texts[col] if 0 <= col < len(texts) else None
        if role == _BACKGROUND:
            return self._background(row.key) if (self._gone or self._fresh) else None
        if role == _TOOLTIP:
            return self._tooltip(row, col)
        if role == _ALIGN:
            return _RIGHT if col in _NUMERIC else None
        if role == _FOREGROUND:
            if col == Column.PROGRAM and not row.program:
                return self._dim
            return None
        if role == _FONT:
            if col == Column.PROGRAM and not row.program:
                font = QFont()
                font.setItalic(True)
                return font
            return None
        if role == _SORT:
            return _primary(col)(row)
        if role == _KEY:
            return row.key
        if role == _ROW:
            return row
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(HEADERS):
            return
        self.layoutAboutToBeChanged.emit()
        old_indexes = self.persistentIndexList()
        old_keys = [self._rows[i.row()].key if 0 <= i.row() < len(self._rows) else None for i in old_indexes]
        self._sort_column = column
        self._descending = order == Qt.SortOrder.DescendingOrder
        self._primary = _primary(column)
        self._order(list(self._rows))
        position = {row.key: i for i, row in enumerate(self._rows)}
        new_indexes = []
        for idx, key in zip(old_indexes, old_keys, strict=True):
            at = position.get(key) if key is not None else None
            new_indexes.append(self.index(at, idx.column()) if at is not None else QModelIndex())
        self.changePersistentIndexList(old_indexes, new_indexes)
        self.layoutChanged.emit()

    # -- public ------------------------------------------------------------------------------------------------

    @property
    def row_filter(self) -> RowFilter:
        return self._filter

    @property
    def total(self) -> int:
        return len(self._all)

    def row_at(self, row: int) -> SocketRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_index(self, key: bytes) -> int:
        """The display row of a key, or -1."""
        row = self._shown.get(key)
        if row is None:
            return -1
        return self._find(self._sort_key(row))

    def rows(self) -> Sequence[SocketRow]:
        return tuple(self._rows)

    def is_gone(self, key: bytes) -> bool:
        return key in self._gone

    def set_filter(self, row_filter: RowFilter) -> None:
        """Show the rows that ``row_filter`` accepts (a reset: the caller restores selection by key)."""
        if row_filter == self._filter:
            return
        self._filter = row_filter
        self.beginResetModel()
        self._fresh.clear()
        self._gone.clear()
        self._order(row_filter.select(self._all.values()))
        self.endResetModel()
        self._after_change()

    def apply_snapshot(self, snapshot: Snapshot) -> None:
        """Bring the table up to date with a new snapshot, using its diff."""
        new = snapshot.table_rows  # with file sockets and other networks' sockets when the switch asks for them
        diff = snapshot.table_diff
        old = self._all
        if len(old) + len(diff.added) - len(diff.removed) != len(new) or not (diff.removed <= old.keys()):
            diff = diff_rows(old, new)  # the snapshot does not follow the one we have: compare ourselves
        self._all = new
        now = self._clock()
        highlight = self._snapshots > 0 and self.highlight_seconds > 0
        self._snapshots += 1
        accepts = self._filter.accepts
        shown = self._shown
        if not self._rows:
            # Nothing shown yet (the first scan, or everything had gone): one sorted load beats thousands of
            # single-row inserts, and there is no selection or scroll position to keep.
            self.beginResetModel()
            self._order(self._filter.select(new.values()))
            self.endResetModel()
            if highlight:
                self._fresh.update((key, now) for key in self._shown)
            self._after_change()
            return

        for key in diff.removed:
            if key in shown:
                self._fresh.pop(key, None)
                if highlight:
                    self._gone.setdefault(key, now)
                else:
                    self._remove(key)
        changed_rows: list[bytes] = []
        for key in diff.changed:
            self._update(new[key], accepts, changed_rows)
        for key in diff.added:
            row = new[key]
            if key in shown:  # came back while still shown as gone
                self._gone.pop(key, None)
                self._update(row, accepts, changed_rows)
            elif accepts(row):
                self._insert(row)
                if highlight:
                    self._fresh[key] = now
        self._expire(now)
        if changed_rows:
            self._emit_rows_changed([self.row_index(k) for k in changed_rows])
        self._after_change()

    def tick(self) -> None:
        """Fade highlights and drop rows that vanished more than a few seconds ago."""
        self._expire(self._clock())
        if self._fresh or self._gone:
            self._repaint_tints()
        self._after_change()

    # -- internals ---------------------------------------------------------------------------------------------

    def _sort_key(self, row: SocketRow) -> SortKey:
        return (self._primary(row), row.key)

    def _order(self, rows: list[SocketRow]) -> None:
        primary = self._primary  # _sort_key, inlined: the first table sorts tens of thousands of rows
        keyed = [((primary(r), r.key), r) for r in rows]
        keyed.sort(key=_first, reverse=self._descending)
        self._keys = [k for k, _ in keyed]
        self._rows = [r for _, r in keyed]
        self._shown = {r.key: r for r in self._rows}
        self._countdown = {r.key for r in self._rows if _counts_down(r)}

    def _find(self, key: SortKey) -> int:
        """Binary search for the first position whose key is not before ``key`` in display order."""
        keys = self._keys
        if not self._descending:
            return bisect_left(keys, key)
        lo, hi = 0, len(keys)
        while lo < hi:
            mid = (lo + hi) // 2
            if keys[mid] > key:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _insert(self, row: SocketRow) -> None:
        key = self._sort_key(row)
        at = self._find(key)
        self.beginInsertRows(QModelIndex(), at, at)
        self._rows.insert(at, row)
        self._keys.insert(at, key)
        self._shown[row.key] = row
        if _counts_down(row):
            self._countdown.add(row.key)
        self.endInsertRows()

    def _remove(self, key: bytes) -> None:
        at = self.row_index(key)
        if at < 0:
            return
        self.beginRemoveRows(QModelIndex(), at, at)
        del self._rows[at]
        del self._keys[at]
        del self._shown[key]
        self._countdown.discard(key)
        self.endRemoveRows()
        self._fresh.pop(key, None)
        self._gone.pop(key, None)

    def _update(self, row: SocketRow, accepts: Callable[[SocketRow], bool], changed_rows: list[bytes]) -> None:
        before = self._shown.get(row.key)
        if before is None:
            if accepts(row):
                self._insert(row)
            return
        if not accepts(row):
            self._remove(row.key)
            return
        if _counts_down(row):
            self._countdown.add(row.key)
        else:
            self._countdown.discard(row.key)
        old_key = self._sort_key(before)
        new_key = self._sort_key(row)
        at = self._find(old_key)
        if new_key == old_key:
            self._rows[at] = row
            self._shown[row.key] = row
            changed_rows.append(row.key)
            return
        # The sort value changed: move the row so that selection follows it.
        del self._keys[at]
        dest = self._find(new_key)
        self._keys.insert(at, old_key)
        if dest == at:
            self._rows[at] = row
            self._keys[at] = new_key
            self._shown[row.key] = row
            changed_rows.append(row.key)
            return
        qt_dest = dest + 1 if dest > at else dest
        self.beginMoveRows(QModelIndex(), at, at, QModelIndex(), qt_dest)
        del self._rows[at]
        del self._keys[at]
        self._rows.insert(dest, row)
        self._keys.insert(dest, new_key)
        self._shown[row.key] = row
        self.endMoveRows()
        changed_rows.append(row.key)

    def _expire(self, now: float) -> None:
        limit = now - self.highlight_seconds
        for key in [k for k, t in self._gone.items() if t <= limit]:
            self._remove(key)
        expired = [k for k, t in self._fresh.items() if t <= limit]
        for key in expired:
            del self._fresh[key]
        if expired:
            self._repaint_tints()

    def _repaint_tints(self) -> None:
        """Ask the view to repaint row colours.  One signal for all rows: the view repaints only what it shows,
        so this costs the same for 10 or 50,000 rows (looking up each tinted row's position would not)."""
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(HEADERS) - 1), [_BACKGROUND_ROLE]
            )

    def _emit_rows_changed(self, rows: Iterable[int], roles: list[int] | None = None) -> None:
        valid = [r for r in rows if r >= 0]
        if not valid:
            return
        top = self.index(min(valid), 0)
        bottom = self.index(max(valid), len(HEADERS) - 1)
        if roles is None:
            self.dataChanged.emit(top, bottom)
        else:
            self.dataChanged.emit(top, bottom, roles)

    def use_palette(self, palette: QPalette) -> None:
        """Take the tints and the dimmed text colour from ``palette`` (the view's; called again when it changes)."""
        self._dim = palette.color(QPalette.ColorRole.PlaceholderText)
        self._new_color, self._gone_color = tint_colors(palette)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(HEADERS) - 1))

    def redraw_countdowns(self) -> None:
        """Redraw the State cells of the leftovers that count down (one signal over their span, State column only;
        the view repaints only the cells it shows)."""
        at = [self.row_index(key) for key in self._countdown]
        at = [r for r in at if r >= 0]
        if at:
            column = int(Column.STATE)
            self.dataChanged.emit(self.index(min(at), column), self.index(max(at), column), [_DISPLAY_ROLE])

    @property
    def counting_down(self) -> bool:
        """Whether the once-a-second redraw runs (only while a shown leftover counts down)."""
        return self._count_timer.isActive()

    def _after_change(self) -> None:
        if self._fresh or self._gone:
            if not self._timer.isActive():
                self._timer.start()
        elif self._timer.isActive():
            self._timer.stop()
        if self._countdown:
            if not self._count_timer.isActive():
                self._count_timer.start()
        elif self._count_timer.isActive():
            self._count_timer.stop()
        self.counts_changed.emit(len(self._rows) - len(self._gone), len(self._all))

    def _background(self, key: bytes) -> QColor | None:
        gone = self._gone.get(key)
        fresh = self._fresh.get(key) if gone is None else None
        started = gone if gone is not None else fresh
        if started is None:
            return None
        left = max(0.0, 1.0 - (self._clock() - started) / self.highlight_seconds)
        color = QColor(self._gone_color if gone is not None else self._new_color)
        color.setAlpha(int(40 + 110 * left))
        return color

    @staticmethod
    def _text(row: SocketRow, col: int) -> str:
        if col == Column.PROTOCOL:
            return row.proto
        if col == Column.LOCAL_ADDRESS:
            return row.local_addr if not row.namespace else elsewhere_address(row)
        if col == Column.LOCAL_PORT:
            return str(row.local_port) if row.proto != UNIX else ""
        if col == Column.REMOTE_ADDRESS:
            return row.remote_addr
        if col == Column.REMOTE_PORT:
            return str(row.remote_port) if row.remote_port else ""
        if col == Column.STATE:
            return state_text(row)
        if col == Column.PID:
            return "" if row.pid is None else str(row.pid)
        if col == Column.PROGRAM:
            return owner_text(row)
        if col == Column.FIRST_SEEN:
            return format_time(row.first_seen)
        return ""

    def _tooltip(self, row: SocketRow, col: int) -> str | None:
        if row.key in self._gone:
            return _("This socket has just closed.")
        if row.elsewhere:
            return elsewhere_tooltip(row)
        if col == Column.PROTOCOL:
            if row.proto == "TCP":
                return _("{protocol} over IPv{version}: carries a connection.").format(
                    protocol=row.proto, version=row.family
                )
            return _("{protocol} over IPv{version}: carries single messages.").format(
                protocol=row.proto, version=row.family
            )
        if col == Column.LOCAL_ADDRESS:
            return address_kind_sentence(address_kind(row.local_addr)) or None
        if col == Column.REMOTE_ADDRESS:
            return address_kind_sentence(address_kind(row.remote_addr)) or None
        if col == Column.STATE:
            if row.state in STATE_HELP:
                return _("{state}: {meaning}").format(state=state_text(row), meaning=_(STATE_HELP[row.state]))
            return row.state
        if col in (Column.PID, Column.PROGRAM) and row.pid is None:
            return owner_explanation(row)
        if col == Column.PROGRAM:
            tip = program_text(row.label or row.program, row.pid)
            if row.path:
                tip += "\n" + _("Program file: {path}").format(path=row.path)
            return plain_tooltip(tip)  # untrusted: never markup
        if col == Column.FIRST_SEEN:
            stamp = datetime.fromtimestamp(row.first_seen).strftime("%A %d %B %Y, %H:%M:%S")
            return _("loopgui first saw this socket on {when}. It may be older than that.").format(when=stamp)

        return None


def format_time(stamp: float) -> str:
    """``14:03:07`` for today, ``12 Nov 14:03`` for an earlier day."""
    when = datetime.fromtimestamp(stamp)
    if when.date() == datetime.now().date():
        return when.strftime("%H:%M:%S")
    return when.strftime("%d %b %H:%M")
