"""The main window: investigate bar, live socket table, status bar."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPoint,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QPalette, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from loopgui import __version__
from loopgui.core.explain.endpoints import MAX_TEXT, FindResult, find_endpoints
from loopgui.core.net.scanner import Scanner, make_scanner
from loopgui.core.net.sockets import (
    ORPHAN_STATES,
    Snapshot,
    SocketRow,
    cells_to_tsv,
    rows_to_csv,
    rows_to_json,
)
from loopgui.core.programs.processes import ProcessFacts, process_facts, running_as_admin
from loopgui.core.words import table as table_words
from loopgui.core.words.filter import RowFilter
from loopgui.core.words.i18n import _, ngettext
from loopgui.core.words.labels import owner_text
from loopgui.core.words.scan import problem_text
from loopgui.core.words.window import properties_text, properties_title
from loopgui.ui import background, language
from loopgui.ui.background import BackgroundOp
from loopgui.ui.close_flow import Asker, CloseFlow, DialogAsker
from loopgui.ui.elided import ElidedCheckBox, ElidedLabel
from loopgui.ui.help import HOW_TO_TITLE, LEGEND_TITLE, HelpDialog, HelpPages
from loopgui.ui.investigation import Investigation, row_target
from loopgui.ui.page_tabs import PageTabs
from loopgui.ui.panels.connectivity_panel import ConnectivityPanel
from loopgui.ui.panels.explain_panel import ExplainPanel
from loopgui.ui.panels.process_panel import ProcessPanel
from loopgui.ui.plain import make_plain, plain_tooltip, plain_warning
from loopgui.ui.scan_thread import MAX_INTERVAL, MIN_INTERVAL, ScanThread, clamp_interval
from loopgui.ui.screen import fit_to_screen, split_sizes, warning_colour
from loopgui.ui.settings import (
    Settings,
    restore_splitter,
    restore_table_layout,
    restore_window_place,
    splitter_sizes_of,
    table_layout_of,
    window_place_of,
)
from loopgui.ui.socket_model import HEADERS, SocketTableModel
from loopgui.ui.socket_view import FIRST_WINDOW_WIDTH, SocketTableView

log = logging.getLogger("loopgui.ui")
NARROWED_TABLE_ROWS = 4  # rows the table keeps on screen while an investigation narrows it to its port


def _banner(*buttons: QPushButton) -> tuple[QFrame, QLabel]:
    """A hidden strip with a plain-text message and buttons, shown above the explanation."""
    frame = QFrame()
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    row = QHBoxLayout(frame)
    row.setContentsMargins(8, 4, 8, 4)
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    row.addWidget(label, 1)
    for button in buttons:
        row.addWidget(button)
    frame.hide()
    return frame, label


class MainWindow(QMainWindow):
    """Assembles the window: paste box, socket table, panels, menus, status bar.  What is being investigated and what
    the panels show lives in :class:`Investigation`; extension points: :meth:`add_tab`, :meth:`add_menu`,
    :meth:`add_row_action`, :meth:`show_message`.

    Signals:
        first_table_shown(): once, when the first snapshot's table has been painted (the history writes that
            snapshot only then, and the start's pause of the garbage collector ends).
    """

    first_table_shown = Signal()

    investigation: Investigation
    explain_panel: ExplainPanel
    connectivity_panel: ConnectivityPanel
    process_panel: ProcessPanel
    table: SocketTableView

    def __init__(
        self,
        scanner: Scanner | None = None,
        settings: Settings | None = None,
        *,
        start: bool = True,
        asker: Asker | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle(_("loopgui — who uses which port"))
        self.setObjectName("loopgui-main")
        self._settings = settings or Settings()
        self._scan_error = ""
        self._table_shown = False  # the first snapshot has not been shown yet
        self._offered_clipboard = ""
        self._row_actions: list[QAction] = []
        self.help_pages = HelpPages(self)
        self._fitted = False

        self.model = SocketTableModel(self)
        self._build_widgets()
        self.investigation = Investigation(
            self, self.explain_panel, self.connectivity_panel, self.process_panel, refresh=self.refresh_now
        )
        self.investigation.message.connect(self.show_message)
        self.investigation.ports_changed.connect(self._on_ports_changed)
        self._build_actions()
        self._restore_settings()

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(150)
        self._filter_timer.timeout.connect(self._apply_filter)
        self._row_timer = QTimer(self)
        self._row_timer.setSingleShot(True)
        self._row_timer.setInterval(200)
        self._row_timer.timeout.connect(self._pick_current_row)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._row_timer.start())

        self.scan_thread = ScanThread(scanner or make_scanner(), self._settings.interval, self)
        self.scan_thread.scanned.connect(self._on_snapshot, Qt.ConnectionType.QueuedConnection)
        self.first_table_shown.connect(self.scan_thread.shown)
        self.scan_thread.failed.connect(self._on_scan_failed, Qt.ConnectionType.QueuedConnection)
        self.model.counts_changed.connect(self._update_counts)
        self.close_flow = CloseFlow(
            self, asker or DialogAsker(self), refresh=self.refresh_now, snapshots=self.scan_thread.scanned
        )
        self.close_flow.finished.connect(self.investigation.facts_changed)
        self.connectivity_panel.finished.connect(self._after_test)
        self.explain_panel.closing_enabled = True
        self.explain_panel.close_program_requested.connect(self._close_from_explanation)
        self.process_panel.close_requested.connect(self._close_from_panel)
        self._apply_filter()
        make_plain(self)  # every label shows its text literally (ui/plain.py)
        if start:
            self.scan_thread.start()

    def _after_test(self) -> None:
        """A test finished: what it touched may have changed (not after every tick of the repeat mode)."""
        if not self.connectivity_panel.repeat_button.isChecked():
            self.investigation.facts_changed()

    # -- extension points ----------------------------------------------------------------------------------------

    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add a panel as a tab beside Explanation, Connectivity tests and Program; returns its index."""
        return self.tabs.addTab(widget, title)

    def add_menu(self, title: str) -> QMenu:
        """Add a menu to the menu bar, before Help."""
        menu = QMenu(title, self)
        self.menuBar().insertMenu(self.help_menu.menuAction(), menu)
        return menu

    def add_row_action(self, action: QAction) -> None:
        """Add an action to the table's context menu (it acts on the current row; read it with
        ``self.model.row_at(self.table.currentIndex().row())``)."""
        self._row_actions.append(action)

    def focus_paste_box(self) -> None:
        """Ctrl+L: to the paste box, its text selected so that pasting replaces it."""
        self.investigate_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.investigate_edit.selectAll()

    def show_help(self, title: str) -> HelpDialog:
        """Open one of the help pages (not modal: the user can look at the window while reading)."""
        return self.help_pages.show(title)

    def fit_to_screen(self) -> None:
        fit_to_screen(self)

    def _fit_framed(self) -> None:
        fit_to_screen(self, resize=False)  # the frame is known now: keep the title bar on the screen

    def _on_split_moved(self, *_: int) -> None:
        self._split_by_user = True  # the user chose: keep it (and remember it)

    def fit_split(self) -> None:
        """Share the height between the explanation and the table by what each shows (unless the user dragged the
        handle): a short welcome leaves the table most of the window; an explanation is not cut off above a table
        narrowed to a row or two."""
        if self._split_by_user or self.table.hasFocus():
            return  # the user works in the table (picked a row): nothing moves under the mouse
        sizes = self.splitter.sizes()
        total = sum(sizes)
        if total <= 0 or len(sizes) != 2:
            return
        panel = self.explain_panel
        chrome = sizes[0] - panel.height() if 0 < panel.height() <= sizes[0] else self.tabs.tabBar().sizeHint().height()
        page = self.tabs.current_page()
        if page is panel or page is None:
            wanted = panel.content_height(max(100, panel.scroll_area.width())) + chrome + 2
        else:  # the other tabs (tests, program, history): what their layouts ask for at this width
            lay = page.layout()
            fits = lay is not None and lay.hasHeightForWidth()  # word-wrapped labels: their guessed height is high
            need = lay.totalHeightForWidth(page.width()) if lay is not None and fits else page.sizeHint().height()
            wanted = max(need, page.minimumSizeHint().height()) + chrome
        table_need = None
        if self.investigation.ports:
            # A few rows, whatever the count: the split must not move each time a connection comes or goes.
            bar = self.table.horizontalScrollBar()
            table_need = (
                self.table.horizontalHeader().height()
                + NARROWED_TABLE_ROWS * self.table.verticalHeader().defaultSectionSize()
                + (bar.sizeHint().height() if bar.isVisible() else 0)
                + 2 * self.table.frameWidth()
            )
        top, bottom = split_sizes(total, wanted, table_need)
        if abs(top - sizes[0]) > 2:
            self.splitter.setSizes([top, bottom])

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._wrap_tools()
        self._place_clip_banner()
        if hasattr(self, "_split_timer"):
            self._split_timer.start()

    def _wrap_tools(self) -> None:
        """Filter and the boxes on one row when they fit, on two when the window is narrow."""
        grid = self.tools_grid
        central = self.centralWidget()
        room = (central.width() if central is not None else self.width()) - 20
        need = self._filter_room + grid.horizontalSpacing() + self.tools_right.sizeHint().width()
        wrapped = grid.itemAtPosition(1, 0) is not None
        if (room < need) != wrapped:
            grid.removeWidget(self.tools_right)
            if room < need:
                grid.addWidget(self.tools_right, 1, 0)
            else:
                grid.addWidget(self.tools_right, 0, 1)

    def _place_clip_banner(self) -> None:
        """The clipboard offer lies over the bar's reserved place (no layout moves under the mouse)."""
        place = self.banner.geometry()
        height = max(place.height(), self.clip_banner.sizeHint().height())
        self.clip_banner.setGeometry(place.x(), place.y(), place.width(), height)
        self.clip_banner.raise_()
        self.idle_hint.setGeometry(place)
        self.idle_hint.setVisible(self.banner.isHidden())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.banner and event.type() in (QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.Move):
            self._place_clip_banner()
        return super().eventFilter(watched, event)

    def _colour_notice(self) -> None:
        self.notice_label.setStyleSheet(f"color: {warning_colour(self.palette())};")
        if hasattr(self, "idle_hint"):
            self.idle_hint.setStyleSheet(f"color: {self.palette().color(QPalette.ColorRole.PlaceholderText).name()};")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "notice_label"):
            self._colour_notice()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._fitted:
            self._fitted = True
            self._place_clip_banner()
            self.fit_to_screen()
            # Once more when the window manager has added its frame: the title bar must be on the screen.
            QTimer.singleShot(500, self._fit_framed)

    def show_message(self, text: str, timeout_ms: int = 8000) -> None:
        """A short message in the status bar (it clears after ``timeout_ms``; the newest wins)."""
        self.message_label.setText(text)
        self.message_label.setToolTip(plain_tooltip(text))
        self._message_timer.start(max(1000, timeout_ms))

    # -- building ----------------------------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(10, 10, 10, 6)
        layout.setSpacing(8)

        bar = QHBoxLayout()
        self.investigate_edit = QLineEdit()
        self.investigate_edit.setPlaceholderText(_("Paste the error message or address"))
        self.investigate_edit.setClearButtonEnabled(True)
        self.investigate_edit.setMaxLength(MAX_TEXT)  # Qt's default, 32,767, cut long pastes silently
        self.investigate_edit.setAccessibleName(_("Error message or address to investigate"))
        self.investigate_edit.setToolTip(_("For example: connect ECONNREFUSED 127.0.0.1:62893"))
        self.investigate_edit.returnPressed.connect(self.investigate)
        self.investigate_edit.textChanged.connect(self._on_investigate_text_changed)
        font = self.investigate_edit.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.investigate_edit.setFont(font)
        self.investigate_button = QPushButton(_("Investigate"))
        self.investigate_button.setDefault(True)
        self.investigate_button.setToolTip(_("Explain the message or address in the box (Enter)."))
        self.investigate_button.clicked.connect(self.investigate)
        bar.addWidget(self.investigate_edit, 1)
        bar.addWidget(self.investigate_button)
        layout.addLayout(bar)

        self.show_all_button = QPushButton(_("Show all sockets"))
        self.show_all_button.clicked.connect(self.show_all_sockets)
        self.show_all_button.setToolTip(_("Show every socket in the table again; the explanation stays."))
        self.clear_filter_button = QPushButton(_("Clear filter"))
        self.clear_filter_button.clicked.connect(self._clear_filter)
        self.clear_filter_button.setToolTip(
            _("Empty the filter box and show listening and other sockets, TCP and UDP.")
        )
        self.clear_filter_button.hide()
        self.banner, self.banner_label = _banner(self.clear_filter_button, self.show_all_button)
        layout.addWidget(self.banner)

        self.clip_yes = QPushButton(_("Investigate"))
        self.clip_yes.clicked.connect(self._accept_clipboard)
        self.clip_yes.setToolTip(_("Explain the address that is on your clipboard."))
        self.clip_no = QPushButton(_("No, thanks"))
        self.clip_no.setToolTip(_("Hide this offer."))
        self.clip_banner, self.clip_label = _banner(self.clip_yes, self.clip_no)
        self.clip_no.clicked.connect(self.clip_banner.hide)
        # No layout jumps: the bar above keeps its place while hidden, and the clipboard offer lies over it
        # instead of pushing the table down under the user's mouse.
        keep = self.banner.sizePolicy()
        keep.setRetainSizeWhenHidden(True)
        self.banner.setSizePolicy(keep)
        self.clip_banner.setParent(central)
        self.clip_banner.setAutoFillBackground(True)
        # While the bar is hidden its place shows a quiet tip instead of a blank band.
        self.idle_hint = ElidedLabel(
            _("Tip: right-click a row for what you can do with it; Enter or a double-click shows all its details."),
            central,
        )
        self.idle_hint.setAccessibleName(_("Tip"))
        self.idle_hint.setIndent(10)
        self.banner.installEventFilter(self)

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(_("Filter: port, address or program"))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName(_("Filter the table"))
        self.filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self.listening_check = QCheckBox(_("Listening only"))
        self.listening_check.setToolTip(_("Show only programs waiting for others to connect (servers)."))
        self.tcp_check = QCheckBox(_("TCP"))
        self.tcp_check.setToolTip(_("Connections: web, databases, most programs."))
        self.udp_check = QCheckBox(_("UDP"))
        self.udp_check.setToolTip(_("Single messages: name lookups, games, video calls."))
        for box in (self.listening_check, self.tcp_check, self.udp_check):
            box.toggled.connect(self._apply_filter)
        # Below this width the filter goes on a row of its own (its minimum stays small, so the window can narrow).
        self._filter_room = self.filter_edit.fontMetrics().horizontalAdvance(_("Filter: port, address")) + 40

        self.filter_edit.setMinimumWidth(60)
        self.tools_right = QWidget()
        tools = QHBoxLayout(self.tools_right)
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addWidget(self.listening_check)
        tools.addWidget(self.tcp_check)
        tools.addWidget(self.udp_check)
        self._add_elsewhere_switch(tools)
        tools.addSpacing(16)
        tools.addStretch(1)
        interval_label = QLabel(_("Refresh every"))
        self.interval_spin = QDoubleSpinBox()
        self.interval_spin.setAccessibleName(_("Refresh interval in seconds"))
        self.interval_spin.setRange(MIN_INTERVAL, MAX_INTERVAL)
        self.interval_spin.setSingleStep(0.5)
        self.interval_spin.setDecimals(1)
        self.interval_spin.setSuffix(" s")
        self.interval_spin.setToolTip(_("How often the table is updated: from 0.5 to 10 seconds."))
        interval_label.setBuddy(self.interval_spin)
        self.interval_spin.valueChanged.connect(self._on_interval_changed)
        self.pause_button = QPushButton(_("Pause"))
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip(_("Stop updating the table (Ctrl+P)"))
        self.pause_button.toggled.connect(self.set_paused)
        self.refresh_button = QPushButton(_("Refresh now"))
        self.refresh_button.setToolTip(_("Read the list of connections again now (F5)"))
        self.refresh_button.clicked.connect(self.refresh_now)
        tools.addWidget(interval_label)
        tools.addWidget(self.interval_spin)
        tools.addWidget(self.pause_button)
        tools.addWidget(self.refresh_button)
        # The filter row wraps: on a narrow (or scaled) window the boxes and buttons go below the filter.
        self.tools_grid = QGridLayout()
        self.tools_grid.setContentsMargins(0, 0, 0, 0)
        self.tools_grid.setHorizontalSpacing(12)
        self.tools_grid.setVerticalSpacing(4)
        self.tools_grid.addWidget(self.filter_edit, 0, 0)
        self.tools_grid.addWidget(self.tools_right, 0, 1)
        layout.addLayout(self.tools_grid)

        self.table = SocketTableView(self.model)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_context_menu)
        self.table.doubleClicked.connect(lambda _index: self.show_properties())
        header = self.table.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(lambda pos: self.column_menu().exec(header.mapToGlobal(pos)))
        self.properties_dialogs: list[QDialog] = []

        self.explain_panel = ExplainPanel()
        self.tabs = PageTabs()  # the pages scroll: a small or scaled screen keeps the table on it
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.explain_panel, _("Explanation"), scroll=False)  # it scrolls by itself
        # The investigation is made after the panels, so these look it up when called.
        self.connectivity_panel = ConnectivityPanel(
            used_ports=lambda: self.investigation.used_ports(),  # noqa: PLW0108
            who_holds=lambda p: self.investigation.who_holds(p),  # noqa: PLW0108
            listening_on=lambda p: self.investigation.listening_addresses(p),  # noqa: PLW0108
        )
        self.tabs.addTab(self.connectivity_panel, _("Connectivity tests"))
        self.process_panel = ProcessPanel()
        self.tabs.addTab(self.process_panel, _("Program"))
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.table)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([380, 340])
        # Until the user drags the handle, the split follows what is shown (ui/screen.py split_sizes).
        self._split_by_user = False
        self.splitter.splitterMoved.connect(self._on_split_moved)
        self._split_timer = QTimer(self)
        self._split_timer.setSingleShot(True)
        self._split_timer.setInterval(0)  # after the layouts have taken in the change
        self._split_timer.timeout.connect(self.fit_split)
        self.explain_panel.content_changed.connect(self._split_timer.start)
        self.tabs.currentChanged.connect(self._split_timer.start)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        status = self.statusBar()
        self.count_label = QLabel()
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.scan_label = QLabel(_("Reading the list of connections…"))
        self.scan_label.setTextFormat(Qt.TextFormat.PlainText)
        # Messages go to a label of their own: QStatusBar.showMessage() draws in the space its normal widgets
        # leave, and a stretching permanent widget leaves none, so its messages never appeared.
        self.message_label = QLabel()
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setAccessibleName(_("Latest message"))
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.message_label.clear)
        self.notice_label = QLabel()
        self.notice_label.setTextFormat(Qt.TextFormat.PlainText)
        self._colour_notice()
        status.addWidget(self.count_label)
        status.addWidget(self.scan_label)
        status.addWidget(self.message_label, 1)
        status.addPermanentWidget(self.notice_label)
        self.resize(FIRST_WINDOW_WIDTH, 760)

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu(_("&File"))
        self.export_csv_action = file_menu.addAction(_("Export table as &CSV…"))
        self.export_csv_action.triggered.connect(lambda: self._ask_export("csv"))
        self.export_json_action = file_menu.addAction(_("Export table as &JSON…"))
        self.export_json_action.triggered.connect(lambda: self._ask_export("json"))
        file_menu.addSeparator()
        quit_action = file_menu.addAction(_("&Quit"))
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)

        edit_menu = menu.addMenu(_("&Edit"))
        self.copy_action = QAction(_("&Copy selected rows"), self)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_action.triggered.connect(self.copy_selection)
        self.table.addAction(self.copy_action)
        edit_menu.addAction(self.copy_action)
        self.close_action = QAction(_("C&lose this program…"), self)
        self.close_action.setShortcut(QKeySequence(Qt.Key.Key_Delete))
        self.close_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.close_action.setToolTip(_("Close the program that holds the selected socket (asks first)"))
        self.close_action.triggered.connect(self.close_selected_program)
        self.table.addAction(self.close_action)
        edit_menu.addAction(self.close_action)
        self.properties_action = QAction(_("&Properties"), self)
        self.properties_action.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        self.properties_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.properties_action.setToolTip(_("Every fact of the socket and its program, to read or copy (Enter)"))
        self.properties_action.triggered.connect(self.show_properties)
        self.table.addAction(self.properties_action)
        edit_menu.addAction(self.properties_action)
        select_all = edit_menu.addAction(_("Select &all rows"))
        select_all.triggered.connect(self.table.selectAll)
        self.paste_box_action = edit_menu.addAction(_("Go to the &paste box"))
        self.paste_box_action.setShortcut(QKeySequence("Ctrl+L"))
        self.paste_box_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.paste_box_action.triggered.connect(self.focus_paste_box)
        find_action = edit_menu.addAction(_("&Filter…"))
        find_action.setShortcut(QKeySequence.StandardKey.Find)
        find_action.triggered.connect(lambda: self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason))

        view_menu = menu.addMenu(_("&View"))
        self.pause_action = view_menu.addAction(_("&Pause updates"))
        self.pause_action.setCheckable(True)
        self.pause_action.setShortcut(QKeySequence("Ctrl+P"))
        self.pause_action.toggled.connect(self.pause_button.setChecked)
        self.pause_button.toggled.connect(self.pause_action.setChecked)
        refresh_action = view_menu.addAction(_("&Refresh now"))
        refresh_action.setShortcut(QKeySequence.StandardKey.Refresh)
        refresh_action.triggered.connect(self.refresh_now)
        view_menu.addSeparator()
        self.language_menu = language.add_menu(view_menu, self, self.show_message)

        self.help_menu = help_menu = menu.addMenu(_("&Help"))
        self.how_to_action = help_menu.addAction(_("&How to use loopgui"))
        self.how_to_action.setShortcut(QKeySequence.StandardKey.HelpContents)
        self.how_to_action.triggered.connect(lambda: self.show_help(HOW_TO_TITLE))
        self.legend_action = help_menu.addAction(_("&What the colours and words mean"))
        self.legend_action.triggered.connect(lambda: self.show_help(LEGEND_TITLE))
        help_menu.addSeparator()
        about = help_menu.addAction(_("&About loopgui"))
        about.triggered.connect(self._about)

    def _restore_settings(self) -> None:
        s = self._settings
        restore_window_place(self, s.window_place)  # every value checked in ui/settings.py
        restore_table_layout(self.table, s.table_layout(self.model.columnCount()))
        hidden = [c for c in s.hidden_columns if 0 <= c < self.model.columnCount()]
        for column in hidden[: self.model.columnCount() - 1]:  # one column always shows
            self.table.horizontalHeader().setSectionHidden(column, True)
        if s.splitter_sizes is not None:  # the user dragged the handle once: keep their split
            restore_splitter(self.splitter, s.splitter_sizes)
            self._split_by_user = True
        for widget in (self.filter_edit, self.listening_check, self.tcp_check, self.udp_check, self.interval_spin):
            widget.blockSignals(True)
        self.listening_check.setChecked(s.listening_only)
        self.tcp_check.setChecked(s.show_tcp)
        self.udp_check.setChecked(s.show_udp)
        self.interval_spin.setValue(s.interval)
        for widget in (self.filter_edit, self.listening_check, self.tcp_check, self.udp_check, self.interval_spin):
            widget.blockSignals(False)

    def save_settings(self) -> None:
        s = self._settings
        s.window_place = window_place_of(self)
        s.set_table_layout(table_layout_of(self.table))
        if self._split_by_user:
            s.splitter_sizes = splitter_sizes_of(self.splitter)
        s.listening_only = self.listening_check.isChecked()
        s.show_tcp = self.tcp_check.isChecked()
        s.show_udp = self.udp_check.isChecked()
        s.interval = self.scan_thread.interval
        s.sync()

    # -- scanning ----------------------------------------------------------------------------------------------

    @Slot(object)
    def _on_snapshot(self, snapshot: Snapshot) -> None:
        self._scan_error = ""
        self.model.apply_snapshot(snapshot)
        self.investigation.set_snapshot(snapshot)
        stamp = time.strftime("%H:%M:%S", time.localtime(snapshot.taken_at))
        self.scan_label.setText(
            _("Updated {clock} (took {ms} ms)").format(clock=stamp, ms=f"{snapshot.duration * 1000:.0f}")
        )
        if snapshot.source:
            self.scan_label.setToolTip(_("Read with {source}.").format(source=snapshot.source))
        else:
            self.scan_label.setToolTip(_("Read with the system."))
        self._update_notice()
        self._update_banner()
        if not self._table_shown:
            self._table_shown = True
            QTimer.singleShot(0, self.first_table_shown.emit)  # once the table has painted

    @Slot(str)
    def _on_scan_failed(self, message: str) -> None:
        self._scan_error = _("{problem} loopgui keeps trying.").format(problem=message)
        self._update_notice()

    def _update_notice(self) -> None:
        parts: list[str] = []
        if self._scan_error:
            parts.append(self._scan_error)
        snap = self.investigation.snapshot
        if snap is not None:
            if snap.hidden_sockets:
                n = snap.hidden_sockets
                parts.append(
                    ngettext(
                        "{count} socket belongs to other users or the system, so the program is hidden.",
                        "{count} sockets belong to other users or the system, so the program is hidden.",
                        n,
                    ).format(count=f"{n:,}")
                )
                if not running_as_admin():
                    parts.append(_("Run loopgui as administrator to see it."))
            parts.extend(problem_text(p) for p in snap.problems)
        if self.scan_thread.paused:
            parts.insert(0, _("Updates paused."))
        self.notice_label.setText(" ".join(parts))
        self.notice_label.setToolTip(plain_tooltip("\n".join(parts)))

    @Slot(int, int)
    def _update_counts(self, shown: int, total: int) -> None:
        if shown == total:
            self.count_label.setText(ngettext("{count} socket", "{count} sockets", total).format(count=f"{total:,}"))
        else:
            self.count_label.setText(
                ngettext("{shown} of {count} socket shown", "{shown} of {count} sockets shown", total).format(
                    shown=f"{shown:,}", count=f"{total:,}"
                )
            )

    @Slot(bool)
    def set_paused(self, paused: bool) -> None:
        self.scan_thread.set_paused(paused)
        self.pause_button.setText(_("Resume") if paused else _("Pause"))
        self._update_notice()

    @Slot()
    def refresh_now(self) -> None:
        self.scan_thread.refresh_now()

    @Slot(float)
    def _on_interval_changed(self, seconds: float) -> None:
        self.scan_thread.set_interval(clamp_interval(seconds))

    def set_interval(self, seconds: float) -> None:
        """Change the refresh interval (clamped to 0.5–10 s)."""
        self.interval_spin.setValue(clamp_interval(seconds))
        self.scan_thread.set_interval(clamp_interval(seconds))

    # -- filtering and investigating ---------------------------------------------------------------------------

    def current_filter(self, *, with_ports: bool = True) -> RowFilter:
        return RowFilter(
            text=self.filter_edit.text(),
            listening_only=self.listening_check.isChecked(),
            tcp=self.tcp_check.isChecked(),
            udp=self.udp_check.isChecked(),
            ports=self.investigation.ports if with_ports else frozenset(),
            elsewhere=self.elsewhere_check.isChecked(),
        )

    def _add_elsewhere_switch(self, tools: QHBoxLayout) -> None:
        """File sockets and other networks' sockets (issue 27): off at each start; the scanner reads them only
        while the switch is on."""
        # The row's other boxes set the window's narrowest width; this one gives way rather than widening every
        # window: its caption ends in "…" there, and its tooltip then starts with the whole caption (ui/elided.py).
        self.elsewhere_check = ElidedCheckBox(
            _("Files, containers"),
            _(
                "Also show local file sockets (programs on this computer connect to a file instead of a port) and what "
                "programs in other networks, such as containers, listen on."
            ),
        )
        self.elsewhere_check.setAccessibleName(_("Show file sockets and containers"))
        self.elsewhere_check.toggled.connect(self._show_elsewhere)
        self.elsewhere_check.toggled.connect(self._apply_filter)
        tools.addWidget(self.elsewhere_check)

    @Slot(bool)
    def _show_elsewhere(self, on: bool) -> None:
        self.scan_thread.set_show_elsewhere(on)  # the thread is made after the widgets: looked up when toggled

    @Slot()
    def _clear_filter(self) -> None:
        """The bar's "Clear filter": every row on the investigated ports shows again."""
        for widget in (self.filter_edit, self.listening_check, self.tcp_check, self.udp_check):
            widget.blockSignals(True)
        self.filter_edit.clear()
        self.listening_check.setChecked(False)
        self.tcp_check.setChecked(True)
        self.udp_check.setChecked(True)
        for widget in (self.filter_edit, self.listening_check, self.tcp_check, self.udp_check):
            widget.blockSignals(False)
        self._apply_filter()

    @Slot()
    def _apply_filter(self) -> None:
        self._filter_timer.stop()
        selected = self.selected_keys()
        current_row = self.model.row_at(self.table.currentIndex().row())
        current_key = current_row.key if current_row is not None else None
        self.model.set_filter(self.current_filter())
        self._select_keys(selected, current_key)
        self._update_banner()

    @Slot()
    def investigate(self) -> None:
        """Start investigating the text in the paste box (it replaces the previous investigation)."""
        self.tabs.setCurrentWidget(self.explain_panel)
        self.investigation.investigate(self.investigate_edit.text())

    @Slot()
    def show_all_sockets(self) -> None:
        """Drop the port filter of the investigation; the explanation stays."""
        self.investigation.show_all()

    @Slot()
    def clear_investigation(self) -> None:
        """Forget the investigation: all sockets, and the explanation back to its welcome text."""
        self.investigation.clear()

    def _on_ports_changed(self) -> None:
        self.banner.setVisible(bool(self.investigation.banner_text))
        self._apply_filter()
        self._split_timer.start()

    def _update_banner(self) -> None:
        """The bar above the table: counted over every socket, so a filter never makes it contradict the
        explanation; it says how many rows the filter hides, with a button to clear the filter."""
        inv = self.investigation
        if not inv.banner_text:
            return
        use = None
        if inv.ports and inv.snapshot is not None:
            use = table_words.port_use(inv.snapshot.rows, inv.ports, self.current_filter(with_ports=False))
        self.banner_label.setText(table_words.bar_text(inv.found, use) if inv.found is not None else inv.banner_text)
        self.clear_filter_button.setVisible(bool(use and use.hidden))

    def _pick_current_row(self) -> None:
        row = self.model.row_at(self.table.currentIndex().row())
        if row is not None and not self.model.is_gone(row.key):
            self.investigation.pick_row(row)

    def _explain_current_row(self) -> None:
        """The context menu's "Explain this port": explain the row even over a pasted message (the user asked)."""
        self._pick_current_row()
        self.investigation.explain_picked_row()

    def offer_clipboard(self) -> None:
        """If the clipboard holds text with an address, offer to investigate it."""
        text = QGuiApplication.clipboard().text()
        if not text.strip() or text == self._offered_clipboard or len(text) > MAX_TEXT:
            return

        def found(result: FindResult) -> None:  # parsed off the GUI thread: 100,000 characters stalled it
            if not result.endpoints or QGuiApplication.clipboard().text() != text:
                return
            self._offered_clipboard = text
            self.clip_label.setText(
                _("Investigate {address} from your clipboard?").format(address=result.endpoints[0].display)
            )
            self._place_clip_banner()
            self.clip_banner.show()

        background.BackgroundOp(self, lambda: find_endpoints(text), found).start()

    def _accept_clipboard(self) -> None:
        """Explain exactly the text that was offered (the box holds all of it: no cut at 32,767 characters)."""
        self.clip_banner.hide()
        self.investigate_edit.setText(self._offered_clipboard)
        self.investigation.investigate(self._offered_clipboard)

    def _on_investigate_text_changed(self, text: str) -> None:
        if not text and self.investigation.pasted is not None:
            self.clear_investigation()

    # -- closing programs ----------------------------------------------------------------------------------------

    def _close_from_panel(self, facts: ProcessFacts | None) -> None:
        if facts is not None:
            self.close_flow.start(facts, self.investigation.port, self.investigation.row)

    def _close_from_explanation(self, pid: int) -> None:
        d = self.explain_panel.diagnosis
        if d is None or not d.holders or d.holders[0].facts is None:
            return
        port = d.endpoint.port if d.endpoint is not None else None
        self.close_flow.start(d.holders[0].facts, port, d.holders[0].row)

    @Slot()
    def close_selected_program(self) -> None:
        """Close the program of the current row (asks first).  Its identity is the one the row's scan read."""
        row = self.model.row_at(self.table.currentIndex().row())
        if row is None:
            return
        if row.pid is None:
            why = owner_text(row)
            self.show_message(
                _("This socket has {owner}: loopgui cannot close it.").format(owner=why)
                if row.state in ORPHAN_STATES
                else _("This socket belongs to {owner}: loopgui cannot close it.").format(owner=why)
            )
            return
        self.close_flow.start_row(row)

    # -- selection, copy, export -------------------------------------------------------------------------------

    def selected_keys(self) -> list[bytes]:
        selection = self.table.selectionModel()
        keys = []
        for index in selection.selectedRows() if selection is not None else []:
            row = self.model.row_at(index.row())
            if row is not None:
                keys.append(row.key)
        return keys

    def _select_keys(self, keys: list[bytes], current: bytes | None) -> None:
        selection_model = self.table.selectionModel()
        if selection_model is None or not keys:
            return
        selection = QItemSelection()
        last = self.model.columnCount() - 1
        for key in keys:
            row = self.model.row_index(key)
            if row >= 0:
                selection.select(self.model.index(row, 0), self.model.index(row, last))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        selection_model.select(selection, flags)
        if current is not None and (row := self.model.row_index(current)) >= 0:
            selection_model.setCurrentIndex(self.model.index(row, 0), QItemSelectionModel.SelectionFlag.NoUpdate)

    @Slot()
    def copy_selection(self) -> None:
        self._copy_rows(sorted({i.row() for i in self.table.selectionModel().selectedRows()}))

    def _copy_rows(self, rows: list[int]) -> None:
        if not rows:
            return
        cells = [
            [str(self.model.data(self.model.index(r, c)) or "") for c in range(self.model.columnCount())] for r in rows
        ]
        QGuiApplication.clipboard().setText(cells_to_tsv([_(title) for title in HEADERS], cells))
        self.show_message(
            ngettext("Copied {count} row", "Copied {count} rows", len(rows)).format(count=f"{len(rows):,}"), 5000
        )

    def export_to(self, path: str | Path, fmt: str) -> None:
        """Write the rows the table shows now to ``path`` as ``csv`` or ``json``."""
        rows = [r for r in self.model.rows() if not self.model.is_gone(r.key)]
        text = rows_to_csv(rows) if fmt == "csv" else rows_to_json(rows)
        Path(path).write_text(text, encoding="utf-8")
        self.show_message(
            ngettext("Saved {count} row to {path}", "Saved {count} rows to {path}", len(rows)).format(
                count=f"{len(rows):,}", path=path
            ),
            8000,
        )

    def _ask_export(self, fmt: str) -> None:
        name = f"loopgui-sockets-{time.strftime('%Y%m%d-%H%M%S')}.{fmt}"
        kind = _("CSV spreadsheet (*.csv)") if fmt == "csv" else _("JSON (*.json)")
        path, _kind = QFileDialog.getSaveFileName(self, _("Export the table"), str(Path.home() / name), kind)
        if not path:
            return
        try:
            self.export_to(path, fmt)
        except OSError as exc:
            plain_warning(
                self,
                _("Could not save"),
                _(
                    "loopgui could not save the file {path}.\n\n{reason}. Choose another folder or name and try again."
                ).format(path=path, reason=exc.strerror or exc),
            )

    def row_menu(self, index: QModelIndex) -> QMenu | None:
        """The right-click menu of a row: explain, test, watch, copy, close, properties."""
        row = self.model.row_at(index.row())
        if row is None:
            return None
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        explain = menu.addAction(_("Explain this port"))
        explain.triggered.connect(self._explain_current_row)
        test = menu.addAction(_("Test this port"))
        test.setToolTip(_("Open the Connectivity tests tab on this address."))
        test.triggered.connect(lambda: self.test_row(row))
        details = menu.addAction(_("Show the program"))
        details.triggered.connect(lambda: self.tabs.setCurrentWidget(self.process_panel))
        for action in self._row_actions:  # "Watch this port", from the Watch feature
            menu.addAction(action)
        menu.addSeparator()
        copy_address = menu.addAction(_("Copy the address"))
        copy_address.triggered.connect(lambda: self._copy(row.local_endpoint))
        cell = str(self.model.data(index) or "")
        copy_cell = menu.addAction(_("Copy this cell"))
        copy_cell.setEnabled(bool(cell))
        copy_cell.triggered.connect(lambda: self._copy(cell))
        copy_row = menu.addAction(_("Copy the row"))
        copy_row.triggered.connect(lambda: self._copy_rows([index.row()]))
        menu.addAction(self.copy_action)
        menu.addSeparator()
        menu.addAction(self.close_action)
        self.close_flow.add_menu_actions(menu, row)
        menu.addSeparator()
        menu.addAction(self.properties_action)
        return menu

    def _show_context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        menu = self.row_menu(index) if index.isValid() else None
        if menu is not None:
            menu.exec(self.table.viewport().mapToGlobal(pos))

    def column_menu(self) -> QMenu:
        """The header's right-click menu: which columns show (remembered; one always stays)."""
        menu = QMenu(self)
        header = self.table.horizontalHeader()
        shown = [c for c in range(self.model.columnCount()) if not header.isSectionHidden(c)]
        for column, title in enumerate(HEADERS):
            action = menu.addAction(_(title))
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(column))
            action.setEnabled(not (len(shown) == 1 and column in shown))
            action.toggled.connect(lambda on, c=column: self.set_column_shown(c, on))
        return menu

    def set_column_shown(self, column: int, shown: bool) -> None:
        header = self.table.horizontalHeader()
        if not shown and header.count() - header.hiddenSectionCount() <= 1:
            return  # the last column stays
        header.setSectionHidden(column, not shown)
        self._settings.hidden_columns = tuple(c for c in range(header.count()) if header.isSectionHidden(c))

    def test_row(self, row: SocketRow) -> None:
        """Open the Connectivity tests tab on the row's address (its own for a listener, else the other side)."""
        self.connectivity_panel.set_target(*row_target(row))
        self.tabs.setCurrentWidget(self.connectivity_panel)

    def _copy(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.show_message(_("Copied: {text}").format(text=text[:80]), 5000)

    def show_properties(self) -> QDialog | None:
        """Enter or double-click: every fact of the current row's socket and program, as plain text to copy."""
        row = self.model.row_at(self.table.currentIndex().row())
        if row is None:
            return None
        dialog = QDialog(self)
        dialog.setWindowTitle(properties_title(row))
        box = QVBoxLayout(dialog)
        text = QPlainTextEdit()
        text.setReadOnly(True)
        text.setAccessibleName(_("Properties"))
        text.setAccessibleDescription(_("Every fact loopgui read about the socket and its program, as plain text."))
        text.setPlainText(properties_text(row, None))
        box.addWidget(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton(_("Copy all"), QDialogButtonBox.ButtonRole.ActionRole)
        copy.setToolTip(_("Copy every line to the clipboard."))
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(text.toPlainText()))
        buttons.rejected.connect(dialog.close)
        box.addWidget(buttons)
        metrics = text.fontMetrics()
        dialog.resize(metrics.horizontalAdvance("x" * 100), metrics.height() * 30)
        make_plain(dialog)
        if row.pid is not None:
            pid = row.pid

            def done(facts: ProcessFacts) -> None:
                text.setPlainText(properties_text(row, facts))

            BackgroundOp(dialog, lambda: process_facts(pid, with_cpu=True), done).start()
        for old in [d for d in self.properties_dialogs if not d.isVisible()]:
            old.deleteLater()  # closed ones go (with them any program facts still being read for them)
        self.properties_dialogs = [d for d in self.properties_dialogs if d.isVisible()] + [dialog]
        dialog.show()
        fit_to_screen(dialog)
        return dialog

    def _about(self) -> None:
        QMessageBox.about(
            self,
            _("About loopgui"),
            f"loopgui {__version__}\n\n"
            + _(
                "Shows which program uses which network port on this computer, "
                "and explains error messages such as “connection refused 127.0.0.1:62893” in plain words."
            ),
        )

    # -- closing -----------------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        self.connectivity_panel.cancel()
        self.scan_thread.stop(0)  # ask now; it stops at its next check while background work winds down
        background.wait_for_running(1.0)  # then abandoned: daemon threads whose results are dropped
        if not self.scan_thread.stop(500):
            log.warning("the scanner did not stop within 1 s; waiting for it")
            self.scan_thread.wait()
        super().closeEvent(event)
