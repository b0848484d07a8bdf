"""The socket table's view, configured once for the window and the benchmarks alike."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from loopgui.core.words.i18n import _
from loopgui.core.words.states import STATE_LABELS
from loopgui.ui.socket_model import Column, SocketTableModel

# Narrow enough that the Program column, the one a user looks for, is on screen without scrolling sideways in the
# window's first size (1100 pixels wide); addresses longer than "::ffff:127.0.0.1" are cut with "…" (tooltip).
DEFAULT_WIDTHS = {
    Column.PROTOCOL: 64,
    Column.LOCAL_ADDRESS: 110,
    Column.LOCAL_PORT: 80,
    Column.REMOTE_ADDRESS: 110,
    Column.REMOTE_PORT: 86,
    Column.STATE: 215,  # "Waiting for connections (LISTEN)"; a leftover's longer text is cut with "…" (tooltip)
    Column.PID: 62,
    Column.PROGRAM: 260,  # "python -m http.server 8000 --bind 127.0.0.1"; First seen still fits in 1100 pixels
}
FIRST_WINDOW_WIDTH = 1100  # MainWindow's first size
HEADER_EXTRA = 22  # pixels a column title needs besides its text: the header's margins and the sort arrow
FOCUS_FRAME = 2  # pixels of the highlight-coloured frame while the table has the keyboard focus


class SocketTableView(QTableView):
    """Whole-row selection, sortable columns, no word wrap (text layout per cell is costly), fixed row height."""

    def __init__(self, model: SocketTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        model.use_palette(self.palette())
        self.setAccessibleName(_("Sockets on this computer"))
        self.setAccessibleDescription(
            _(
                "Every network socket of this computer, one per row: protocol, addresses, ports, state and program. "
                "Arrow keys move between rows; Tab leaves the table."
            )
        )
        header_view = self.horizontalHeader()
        header_view.setAccessibleName(_("Columns"))
        header_view.setAccessibleDescription(_("Click a column title to sort the table by it; drag to reorder."))
        self.setTabKeyNavigation(False)  # Tab moves on to the next part of the window, not to the next cell
        # The focus must show: a frame in the highlight colour while the table has it (painted in paintEvent;
        # a style sheet would do it too, but it makes Qt paint every cell through its slower style-sheet style).
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # Every title whole, in the user's language, with room for the sort arrow (German and Japanese titles are
        # longer than the English ones the widths above were made for).
        titles = header.fontMetrics()
        for column in range(model.columnCount()):
            title = str(model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) or "")
            need = titles.horizontalAdvance(title) + HEADER_EXTRA
            self.setColumnWidth(column, max(DEFAULT_WIDTHS.get(Column(column), 0), need))
        # The usual state texts, in this font (fonts differ between themes and scales); the Program column, the one
        # a user looks for, gets the room a leftover's countdown would have taken.
        usual = self.fontMetrics().horizontalAdvance(_(STATE_LABELS["LISTEN"]) + " (LISTEN)") + 16  # as state_text
        self.setColumnWidth(Column.STATE, max(DEFAULT_WIDTHS[Column.STATE], usual))
        self.setSortingEnabled(True)
        self.sortByColumn(Column.LOCAL_PORT, Qt.SortOrder.AscendingOrder)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            model = self.model()
            if isinstance(model, SocketTableModel):
                model.use_palette(self.palette())

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.viewport().update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.viewport().update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.hasFocus():
            painter = QPainter(self.viewport())
            pen = QPen(self.palette().color(QPalette.ColorRole.Highlight))
            pen.setWidth(FOCUS_FRAME)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.viewport().rect().adjusted(1, 1, -1, -1))
            painter.end()
