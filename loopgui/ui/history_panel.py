"""The History tab and menu: which program used a port earlier, from when to when; recording on/off; clearing.

:class:`HistoryPanel` shows a port's (or an address's, or a program's) timeline, read off the GUI thread through
:class:`~loopgui.core.history.store.HistoryReader`.  :class:`HistoryFeature` puts the panel and a History menu into the
main window through its extension points and gives the scan thread a :class:`~loopgui.core.history.store.Recorder`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from loopgui.core.history.reader import HistoryReader
from loopgui.core.history.recorder import Recorder
from loopgui.core.history.store import (
    DEFAULT_MAX_AGE,
    HistoryNotice,
    HistoryUnavailable,
    NoticeCode,
    Span,
    clear_history,
    database_path,
)
from loopgui.core.words.history import notice_text, set_aside_text, span_doing, span_how_long, span_program, span_times
from loopgui.core.words.i18n import N_, _, ngettext
from loopgui.ui.background import BackgroundOp
from loopgui.ui.plain import plain_message_box, plain_tooltip
from loopgui.ui.settings import Settings

if TYPE_CHECKING:
    from loopgui.ui.main_window import MainWindow

# Marked here, translated where shown: the language is chosen after import.
SINCE_CHOICES = (
    (N_("the last hour"), 3600.0),
    (N_("the last 24 hours"), 86400.0),
    (N_("everything kept"), None),
)
MAX_SHOWN = 500


COLUMNS = (N_("From"), N_("To"), N_("How long"), N_("Program"), N_("What"), N_("User"))


class HistoryPanel(QWidget):
    """A search box, a period, and the matching sockets' lives, newest first.

    Signals:
        investigate_requested(str): the user asked to investigate an address from the history.
    """

    investigate_requested = Signal(str)

    def __init__(self, reader: HistoryReader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history-panel")
        self._reader = reader
        self._generation = 0
        self._recording_text = ""
        layout = QVBoxLayout(self)
        self.state_label = QLabel()
        self.state_label.setTextFormat(Qt.TextFormat.PlainText)  # holds a file path
        self.state_label.setWordWrap(True)
        layout.addWidget(self.state_label)
        row = QHBoxLayout()
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(_("Port, address or program, for example 3000"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setAccessibleName(_("Search the history"))
        self.search_edit.returnPressed.connect(self.search)
        row.addWidget(self.search_edit, 1)
        self.since_box = QComboBox()
        for label, _seconds in SINCE_CHOICES:
            self.since_box.addItem(_(label))
        self.since_box.setCurrentIndex(1)
        self.since_box.setAccessibleName(_("How far back"))
        self.since_box.setToolTip(_("How far back in the history to search."))
        self.since_box.currentIndexChanged.connect(lambda _: self.search())
        row.addWidget(self.since_box)
        self.search_button = QPushButton(_("Search"))
        self.search_button.clicked.connect(self.search)
        self.search_button.setToolTip(_("Search the history for the port, address or program typed on the left."))
        row.addWidget(self.search_button)
        layout.addLayout(row)
        self.result_label = QLabel()
        self.result_label.setTextFormat(Qt.TextFormat.PlainText)  # repeats what was typed
        self.result_label.setWordWrap(True)
        layout.addWidget(self.result_label)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([_(title) for title in COLUMNS])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setAccessibleName(_("History of the sockets found"))
        self.tree.setAccessibleDescription(_("One line per socket loopgui saw: when, where and which program."))
        self.tree.header().setAccessibleName(_("History columns"))
        self.tree.header().setAccessibleDescription(_("Click a column title to sort by it."))
        self.tree.itemActivated.connect(self._activated)
        layout.addWidget(self.tree, 1)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._show_row_menu)
        self.spans: list[Span] = []
        self._searching = False
        self.set_recording_state("")

    # -- what is shown ---------------------------------------------------------------------------------------

    def set_recording_state(self, text: str) -> None:
        """One plain sentence about recording (on, off, another loopgui records, a problem)."""
        self._recording_text = text
        self.state_label.setText(text)
        self.state_label.setVisible(bool(text))

    def show_port(self, port: int) -> None:
        """Search for ``port`` (the investigation moved to it)."""
        self.search_edit.setText(str(port))
        self.search()

    def search(self, *, quiet: bool = False) -> None:
        """Search for what the box holds; ``quiet``: a refresh of what is shown (no "Looking…", the place in the
        list kept)."""
        text = self.search_edit.text().strip()[:200]
        since_seconds = SINCE_CHOICES[max(0, self.since_box.currentIndex())][1]
        since = None if since_seconds is None else time.time() - since_seconds
        self._generation += 1
        generation = self._generation
        reader = self._reader
        self._searching = True
        if not quiet:
            self.result_label.setText(_("Looking…"))

        def work() -> tuple[bool, list[Span], str]:
            spans = reader.search(text, since=since, limit=MAX_SHOWN)
            notes = []
            if reader.skipped:
                notes.append(notice_text(HistoryNotice(NoticeCode.DAMAGED_VALUES, count=reader.skipped)))
            copies = reader.set_aside()
            if copies:
                notes.append(set_aside_text(len(copies), sum(c.bytes for c in copies)))
            return reader.exists(), spans, " ".join(notes)

        def done(result: tuple[bool, list[Span], str]) -> None:
            if generation == self._generation:
                self._searching = False
                exists, spans, notes = result
                place = self.tree.verticalScrollBar().value()
                item = self.tree.currentItem()
                current = self.tree.indexOfTopLevelItem(item) if item is not None else -1
                self._show(text, exists, spans)
                if notes:  # damaged rows left out, set-aside copies kept: said, never hidden
                    self.result_label.setText(f"{self.result_label.text()} {notes}")
                if quiet:
                    again = self.tree.topLevelItem(current) if current >= 0 else None
                    if again is not None:
                        self.tree.setCurrentItem(again)
                    self.tree.verticalScrollBar().setValue(place)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self._searching = False
                self._show_error(exc)

        BackgroundOp(self, work, done).on_failure(failed).start()

    def _show(self, text: str, exists: bool, spans: Sequence[Span]) -> None:
        self.spans = list(spans)
        self.tree.clear()
        period = self.since_box.currentText()
        if not exists:
            self.result_label.setText(
                _("No history recorded yet. loopgui records while it runs when “Record history” is on (History menu).")
            )
            return
        if not spans:
            self.result_label.setText(
                _("Nothing recorded for “{search}” in {period}.").format(search=text, period=period)
                if text
                else _("Nothing recorded for any port in {period}.").format(period=period)
            )
            return
        count = len(spans)
        if count >= MAX_SHOWN and text:
            found = _("{count} sockets found for “{search}” in {period} (the newest {limit}), newest first.").format(
                count=count, search=text, period=period, limit=MAX_SHOWN
            )
        elif count >= MAX_SHOWN:
            found = _("{count} sockets found for all ports in {period} (the newest {limit}), newest first.").format(
                count=count, period=period, limit=MAX_SHOWN
            )
        elif text:
            found = ngettext(
                "{count} socket found for “{search}” in {period}, newest first.",
                "{count} sockets found for “{search}” in {period}, newest first.",
                count,
            ).format(count=count, search=text, period=period)
        else:
            found = ngettext(
                "{count} socket found for all ports in {period}, newest first.",
                "{count} sockets found for all ports in {period}, newest first.",
                count,
            ).format(count=count, period=period)
        self.result_label.setText(found)
        items = []
        now = time.time()
        for s in spans:
            start, end = span_times(s)
            item = QTreeWidgetItem([start, end, span_how_long(s, now), span_program(s), span_doing(s), s.user])
            if s.command:
                item.setToolTip(3, plain_tooltip(s.command))
            items.append(item)
        self.tree.addTopLevelItems(items)
        for column in range(len(COLUMNS) - 1):
            self.tree.resizeColumnToContents(column)

    def _show_error(self, exc: BaseException) -> None:
        self.spans = []
        self.tree.clear()
        if isinstance(exc, HistoryUnavailable):
            self.result_label.setText(notice_text(exc.notice))
        else:
            self.result_label.setText(
                _("The history could not be read ({error}).").format(error=f"{type(exc).__name__}: {exc}")
            )

    def refresh_if_shown(self) -> None:
        """A new scan: while the tab is on screen, what it shows follows (no stale "still open")."""
        if self.isVisible() and not self._searching:
            self.search(quiet=True)

    def row_menu(self, item: QTreeWidgetItem) -> QMenu | None:
        """A History row's right-click menu: explain its address, copy the address or the row."""
        index = self.tree.indexOfTopLevelItem(item)
        if not 0 <= index < len(self.spans):
            return None
        span = self.spans[index]
        menu = QMenu(self)
        explain = menu.addAction(_("Explain this address"))
        explain.triggered.connect(lambda: self.investigate_requested.emit(span.local_endpoint))
        copy_address = menu.addAction(_("Copy the address"))
        copy_address.triggered.connect(lambda: QGuiApplication.clipboard().setText(span.local_endpoint))
        line = "\t".join(item.text(c) for c in range(len(COLUMNS)))
        copy_row = menu.addAction(_("Copy the row"))
        copy_row.triggered.connect(lambda: QGuiApplication.clipboard().setText(line + "\n"))
        return menu

    def _show_row_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        menu = self.row_menu(item) if item is not None else None
        if menu is not None:
            menu.exec(self.tree.viewport().mapToGlobal(pos))

    def _activated(self, item: QTreeWidgetItem) -> None:
        index = self.tree.indexOfTopLevelItem(item)
        if 0 <= index < len(self.spans):
            self.investigate_requested.emit(self.spans[index].local_endpoint)


class HistoryFeature(QObject):
    """Recording (on the scan thread), the History tab and the History menu, for one main window."""

    def __init__(
        self,
        window: MainWindow,
        settings: Settings,
        *,
        path: Path | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.path = path if path is not None else database_path()
        self.recorder = recorder or Recorder(self.path, enabled=settings.history_recording)
        self.recorder.set_enabled(settings.history_recording)
        window.scan_thread.set_recorder(self.recorder)
        window.scan_thread.history_notice.connect(self._on_notice, Qt.ConnectionType.QueuedConnection)
        self.panel = HistoryPanel(HistoryReader(self.path))
        self.panel.investigate_requested.connect(self._investigate)
        self.tab_index = window.add_tab(self.panel, _("History"))
        menu = window.add_menu(_("Hi&story"))
        self.menu = menu
        self.record_action = QAction(_("&Record history"), self)
        self.record_action.setCheckable(True)
        self.record_action.setChecked(settings.history_recording)
        self.record_action.setToolTip(_("Remember which program used which port, for 7 days, on this computer only"))
        self.record_action.toggled.connect(self.set_recording)
        menu.addAction(self.record_action)
        self.show_action = QAction(_("&Show the history of this port"), self)
        self.show_action.triggered.connect(self.show_current_port)
        menu.addAction(self.show_action)
        menu.addSeparator()
        self.clear_action = QAction(_("&Clear history…"), self)
        self.clear_action.triggered.connect(self.ask_clear)
        menu.addAction(self.clear_action)
        window.investigation.ports_changed.connect(self._on_ports_changed)
        self._refreshed = 0.0
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.timeout.connect(self._refresh_now)
        window.scan_thread.recorded.connect(self._on_scanned, Qt.ConnectionType.QueuedConnection)
        self._update_state()

    # -- recording on/off and clearing ---------------------------------------------------------------------------

    def set_recording(self, on: bool) -> None:
        self.settings.history_recording = on
        self.recorder.set_enabled(on)
        if self.record_action.isChecked() != on:
            self.record_action.setChecked(on)
        self.window.scan_thread.refresh_now()  # switches at once, even while the table is paused
        self._update_state()
        self.window.show_message(_("History recording is on.") if on else _("History recording is off."))

    def ask_clear(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            _("Clear history"),
            _("Forget everything loopgui has recorded about which program used which port?"),
            QMessageBox.StandardButton.Cancel,
            self.window,
        )
        plain_message_box(box)
        clear = box.addButton(_("Clear history"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is clear:
            self.clear()

    def clear(self) -> None:
        """Forget the history: the recorder does it at its next scan, or, when it is not recording, a helper."""
        if self.recorder.status == "recording":
            self.recorder.request_clear()
            self.window.scan_thread.refresh_now()
            self.window.show_message(_("History cleared."))
            self.panel.search()
            return
        path = self.path

        def done(_result: object) -> None:
            self.window.show_message(_("History cleared."))
            self.panel.search()

        def failed(exc: BaseException) -> None:
            self.window.show_message(
                notice_text(exc.notice)
                if isinstance(exc, HistoryUnavailable)
                else _("Not cleared: {reason}").format(reason=exc)
            )

        BackgroundOp(self, lambda: clear_history(path), done).on_failure(failed).start()

    def show_current_port(self) -> None:
        port = self.window.investigation.port
        if port is not None:
            self.panel.show_port(port)
        self.window.tabs.setCurrentIndex(self.tab_index)

    # -- reactions -------------------------------------------------------------------------------------------

    def _on_scanned(self, _snapshot: object) -> None:
        """The recorder has written this scan (``recorded``): the tab, while shown, follows it (at most every 2 s; a
        change inside those 2 s is shown when they are over, since an unchanged table sends no further scan)."""
        now = time.monotonic()
        wait = 2.0 - (now - self._refreshed)
        if wait <= 0:
            self._refresh_now()
        elif not self._refresh_timer.isActive():
            self._refresh_timer.start(int(wait * 1000) + 1)

    def _refresh_now(self) -> None:
        self._refreshed = time.monotonic()
        self.panel.refresh_if_shown()

    def _on_notice(self, text: str) -> None:
        self.window.show_message(text, 15000)
        self._update_state(text)

    def _on_ports_changed(self) -> None:
        port = self.window.investigation.port
        self.show_action.setEnabled(port is not None)
        if port is not None:
            self.panel.show_port(port)

    def _investigate(self, address: str) -> None:
        self.window.investigate_edit.setText(address)
        self.window.investigate()

    def _update_state(self, notice: str = "") -> None:
        days = round(DEFAULT_MAX_AGE / 86400)
        if not self.recorder.enabled:
            text = _(
                "History is off: loopgui records nothing. What was recorded before stays until you clear it. "
                "Switch it on in the History menu."
            )
        elif self.recorder.status == "other-writer":
            text = _("Another loopgui is recording the history; what it records shows here.")
        else:
            text = ngettext(
                "loopgui remembers which program used which port for {days} day, on this computer only ({path}).",
                "loopgui remembers which program used which port for {days} days, on this computer only ({path}).",
                days,
            ).format(days=days, path=self.path)

        self.panel.set_recording_state(f"{text} {notice}".strip() if notice and notice not in text else text)
