"""The tray icon, port watching with notifications, running in the background, starting at login.

What deserves a notification is decided in :mod:`loopgui.core.watch` (pure, tested with snapshots); this module
only shows it.  Notifications go through a :class:`Notifier`: the system tray's balloon messages where a tray
exists (:class:`TrayNotifier`), the window's status bar where none does, and a fake in tests.  Clicking a
notification opens the window on the explanation of that address.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QInputDialog, QMenu, QSystemTrayIcon

from loopgui.core import autostart
from loopgui.core.net.sockets import Snapshot
from loopgui.core.watch import Watcher, WatchEvent
from loopgui.core.words import watch as watch_words
from loopgui.core.words.i18n import _
from loopgui.core.words.paths import os_error_text
from loopgui.core.words.window import login_item_text, watch_port_question
from loopgui.ui.background import BackgroundOp
from loopgui.ui.settings import Settings

if TYPE_CHECKING:
    from loopgui.ui.main_window import MainWindow

log = logging.getLogger("loopgui.tray")

MESSAGE_MS = 10_000


class Notifier(Protocol):
    """Shows short messages to the user; calls the click handler when one is clicked (if it can)."""

    def notify(self, title: str, text: str) -> None: ...

    def set_click_handler(self, handler: Callable[[], None]) -> None: ...

    @property
    def is_tray(self) -> bool:
        """True when there is an icon the user can get the window back from."""
        ...


class TrayNotifier:
    """The system tray icon and its balloon messages."""

    def __init__(self, icon: QSystemTrayIcon) -> None:
        self.icon = icon
        self._handler: Callable[[], None] = lambda: None
        icon.messageClicked.connect(self._clicked)

    def _clicked(self) -> None:
        self._handler()

    def notify(self, title: str, text: str) -> None:
        self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, MESSAGE_MS)

    def set_click_handler(self, handler: Callable[[], None]) -> None:
        self._handler = handler

    @property
    def is_tray(self) -> bool:
        return True


class StatusBarNotifier:
    """Where no tray exists: the message goes to the window's status bar (it cannot be clicked)."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window

    def notify(self, title: str, text: str) -> None:
        # The text alone: it is a whole sentence that says what the title says ("Port 8012 is free now: Nothing
        # listens on port 8012 any more: …" read twice); the title is for the tray's balloon.
        self._window.show_message(text, 15000)

    def set_click_handler(self, handler: Callable[[], None]) -> None:
        return None

    @property
    def is_tray(self) -> bool:
        return False


class TrayFeature(QObject):
    """Watching, the tray icon and its menu, background running and start at login, for one main window."""

    def __init__(
        self,
        window: MainWindow,
        settings: Settings,
        *,
        notifier: Notifier | None = None,
        icon: QIcon | None = None,
        login_platform: str | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self._login_platform = login_platform
        self._quitting = False
        self._told_background = False
        self.last_event: WatchEvent | None = None
        self.events: list[WatchEvent] = []
        self.watcher = Watcher(settings.watched_ports, new_programs=settings.watch_new_programs)
        self.tray_icon: QSystemTrayIcon | None = None
        if notifier is None:
            if QSystemTrayIcon.isSystemTrayAvailable():
                self.tray_icon = QSystemTrayIcon(icon or window.windowIcon(), self)
                self.tray_icon.setToolTip(_("loopgui: who uses which port"))
                self.tray_icon.activated.connect(self._on_icon_activated)
                notifier = TrayNotifier(self.tray_icon)
            else:
                notifier = StatusBarNotifier(window)
        self.notifier = notifier
        self.notifier.set_click_handler(self.open_last_event)
        self._build_actions()
        window.scan_thread.scanned.connect(self.on_snapshot, Qt.ConnectionType.QueuedConnection)
        window.investigation.ports_changed.connect(self._update_watch_action)
        window.installEventFilter(self)
        if self.tray_icon is not None:
            self.tray_icon.show()
        self._update_watch_action()

    # -- building --------------------------------------------------------------------------------------------

    def _build_actions(self) -> None:
        w = self.window
        self.watch_action = QAction(_("&Watch this port"), self)
        self.watch_action.setCheckable(True)
        self.watch_action.setToolTip(_("Tell me when a program starts or stops listening on this port"))
        self.watch_action.toggled.connect(self._toggle_current_port)
        self.watch_any_action = QAction(_("Watch a &port…"), self)
        self.watch_any_action.setToolTip(_("Type any port number to watch, whatever the window shows"))
        self.watch_any_action.triggered.connect(self.ask_port_to_watch)
        self.row_watch_action = QAction(_("Watch this port"), self)
        self.row_watch_action.triggered.connect(self._watch_current_row)
        w.add_row_action(self.row_watch_action)
        self.new_programs_action = QAction(_("Tell me when a &new program starts listening"), self)
        self.new_programs_action.setCheckable(True)
        self.new_programs_action.setChecked(self.watcher.new_programs)
        self.new_programs_action.toggled.connect(self.set_watch_new_programs)
        self.keep_action = QAction(_("&Keep running in the background when the window closes"), self)
        self.keep_action.setCheckable(True)
        self.keep_action.setChecked(self.settings.keep_running and self.notifier.is_tray)
        self.keep_action.setEnabled(self.notifier.is_tray)
        if not self.notifier.is_tray:
            self.keep_action.setToolTip(_("This desktop shows no tray icons, so loopgui could not be found again."))
        self.keep_action.toggled.connect(self.set_keep_running)
        self.login_action = QAction(_("Start loopgui when I &log in"), self)
        self.login_action.setCheckable(True)
        self.login_action.setChecked(self._login_enabled())
        self.login_action.toggled.connect(self.set_start_at_login)
        self.menu = w.add_menu(_("&Watch"))
        self.menu.setToolTipsVisible(True)  # a greyed-out item says why on hover (no tray on this desktop)
        self.menu.addAction(self.watch_action)
        self.menu.addAction(self.watch_any_action)
        self.watched_menu = self.menu.addMenu(_("Watched ports"))
        self.menu.addAction(self.new_programs_action)
        self.menu.addSeparator()
        self.menu.addAction(self.keep_action)
        self.menu.addAction(self.login_action)
        self._fill_watched_menu()
        if self.tray_icon is not None:
            tray_menu = QMenu(w)
            show = tray_menu.addAction(_("Show loopgui"))
            show.triggered.connect(self.show_window)
            tray_menu.addSeparator()
            tray_menu.addAction(self.watch_any_action)
            tray_menu.addAction(self.new_programs_action)
            tray_menu.addAction(self.keep_action)
            tray_menu.addAction(self.login_action)
            tray_menu.addSeparator()
            quit_action = tray_menu.addAction(_("Quit loopgui"))
            quit_action.triggered.connect(self.quit)
            self.tray_menu = tray_menu
            self.tray_icon.setContextMenu(tray_menu)

    def _fill_watched_menu(self) -> None:
        self.watched_menu.clear()
        ports = sorted(self.watcher.ports)
        if not ports:
            none = self.watched_menu.addAction(_("No port is watched"))
            none.setEnabled(False)
        for port in ports:
            action = self.watched_menu.addAction(_("Stop watching port {port}").format(port=port))
            action.triggered.connect(lambda _=False, p=port: self.unwatch(p))

    # -- watching --------------------------------------------------------------------------------------------

    def watch(self, port: int) -> None:
        self.watcher.watch(port)
        self._save_watched()
        self.window.show_message(
            _("Watching port {port}: loopgui tells you when a program starts or stops there.").format(port=port)
        )

    def unwatch(self, port: int) -> None:
        self.watcher.unwatch(port)
        self._save_watched()
        self.window.show_message(_("Port {port} is not watched any more.").format(port=port))

    def _save_watched(self) -> None:
        self.settings.watched_ports = tuple(sorted(self.watcher.ports))
        self._fill_watched_menu()
        self._update_watch_action()

    def set_watch_new_programs(self, on: bool) -> None:
        self.watcher.new_programs = on
        self.settings.watch_new_programs = on
        if self.new_programs_action.isChecked() != on:
            self.new_programs_action.setChecked(on)

    def ask_port_to_watch(self) -> None:
        """ "Watch a port…": any number, not only the port being investigated."""
        title, question = watch_port_question()
        current = self.window.investigation.port
        port, ok = QInputDialog.getInt(self.window, title, question, current or 8080, 1, 65535)
        if ok and 1 <= port <= 65535:
            self.watch(port)

    def _toggle_current_port(self, on: bool) -> None:
        port = self.window.investigation.port
        if port is None:
            return
        if on and port not in self.watcher.ports:
            self.watch(port)
        elif not on and port in self.watcher.ports:
            self.unwatch(port)

    def _watch_current_row(self) -> None:
        w = self.window
        row = w.model.row_at(w.table.currentIndex().row())
        if row is not None:
            self.watch(row.local_port)

    def _update_watch_action(self) -> None:
        port = self.window.investigation.port
        self.watch_action.blockSignals(True)
        self.watch_action.setEnabled(port is not None)
        self.watch_action.setText(
            _("&Watch port {port}").format(port=port) if port is not None else _("&Watch this port")
        )
        self.watch_action.setChecked(port is not None and port in self.watcher.ports)
        self.watch_action.blockSignals(False)

    def on_snapshot(self, snapshot: Snapshot) -> None:
        for event in self.watcher.update(snapshot):
            self.events.append(event)
            del self.events[:-50]
            self.last_event = event
            self.notifier.notify(watch_words.title(event), watch_words.text(event))

    def open_last_event(self) -> None:
        """The notification was clicked: show the window with the explanation of that address, on the Explanation
        tab.  What the user pasted stays in the box (they may still be working on it): the notice's address is
        put there only when the box is empty; otherwise it is explained without touching the box."""
        event = self.last_event
        self.show_window()
        w = self.window
        w.tabs.setCurrentWidget(w.explain_panel)
        if event is None:
            return
        if not w.investigate_edit.text().strip():
            w.investigate_edit.setText(event.address)
            w.investigate()
        else:
            w.investigation.investigate(event.address)

    # -- window, background, login ---------------------------------------------------------------------------

    def show_window(self) -> None:
        w = self.window
        w.show()
        w.setWindowState(w.windowState() & ~Qt.WindowState.WindowMinimized)
        if QGuiApplication.platformName() not in ("offscreen", "minimal"):  # those have no stacking order
            w.raise_()
            w.activateWindow()

    def _on_icon_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            if self.window.isVisible():
                self.window.hide()
            else:
                self.show_window()

    def set_keep_running(self, on: bool) -> None:
        on = on and self.notifier.is_tray
        self.settings.keep_running = on
        if self.keep_action.isChecked() != on:
            self.keep_action.setChecked(on)

    @property
    def keeps_running(self) -> bool:
        return self.keep_action.isChecked() and self.notifier.is_tray

    def quit(self) -> None:
        """Really quit (from the tray menu)."""
        self._quitting = True
        self.window.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close and self.keeps_running and not self._quitting:
            event.ignore()
            self.window.hide()
            if not self._told_background:
                self._told_background = True
                self.notifier.notify(
                    _("loopgui keeps running"),
                    _("It still watches your ports and records the history. Use the tray icon to open it or to quit."),
                )
            return True
        return super().eventFilter(watched, event)

    def _login_enabled(self) -> bool:
        try:
            return autostart.is_enabled(*([self._login_platform] if self._login_platform else []))
        except OSError:
            return False

    def set_start_at_login(self, on: bool) -> None:
        """Write or remove the login item (off the GUI thread: it is disk I/O)."""
        platform = [self._login_platform] if self._login_platform else []
        self.login_action.setEnabled(False)

        def work() -> autostart.LoginItem | None:
            if on:
                return autostart.enable(None, *platform)
            autostart.disable(*platform)
            return None

        def done(where: autostart.LoginItem | None) -> None:
            if where is not None:
                self.window.show_message(
                    _("loopgui starts when you log in (written to {path}).").format(path=login_item_text(where)), 12000
                )
            else:
                self.window.show_message(_("loopgui no longer starts when you log in."))
            self._sync_login_action()

        def failed(exc: BaseException) -> None:
            log.warning("start at login: %s", exc)
            reason = os_error_text(exc) if isinstance(exc, OSError) else str(exc)  # a link there: a plain refusal
            self.window.show_message(_("That did not work: {reason}").format(reason=reason), 12000)

            self._sync_login_action()

        BackgroundOp(self, work, done).on_failure(failed).start()

    def _sync_login_action(self) -> None:
        self.login_action.blockSignals(True)
        self.login_action.setChecked(self._login_enabled())
        self.login_action.blockSignals(False)
        self.login_action.setEnabled(True)
