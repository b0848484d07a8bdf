"""Closing a program safely: confirm (naming it and everything else that would close), ask nicely, wait with
progress, offer force, then check the port.  Also closing one connection (context menu of an established TCP row).

The program's identity comes from the table row (PID, start time and program file read in the scan the user looked
at) or from the Program panel's facts; core/programs/actions.py checks it against the live process before any signal.
All questions go through an :class:`Asker` so that tests can answer them; :class:`DialogAsker` asks with dialogs
whose default button is always the harmless one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import QCheckBox, QMenu, QMessageBox, QProgressDialog, QPushButton, QWidget

from loopgui.core.net.netclose import BadConnection, Connection, ConnectionResult, close_connection
from loopgui.core.net.scanner import make_scanner
from loopgui.core.net.sockets import TCP, Snapshot, SocketRow
from loopgui.core.programs.actions import (
    ClosePlan,
    PortCheck,
    check_ports,
    close_plan,
    plan_close,
    release,
    signalled_pids,
    target_confirmed_gone,
)
from loopgui.core.programs.processes import (
    GRACE_SECONDS,
    CloseOutcome,
    CloseResult,
    Identity,
    ProcessFacts,
    Sameness,
    same_start,
)
from loopgui.core.words import close as words
from loopgui.core.words.i18n import _
from loopgui.core.words.programs import program_text
from loopgui.ui.background import BackgroundOp
from loopgui.ui.plain import plain_message_box, plain_progress

log = logging.getLogger("loopgui.close")

PORT_CHECK_SECONDS = 10.0  # kept for callers that set it; the port check now takes its own scan


def fresh_scan() -> Snapshot:
    """A scan of its own, taken after the closed program is confirmed gone (never an earlier, in-flight one)."""
    return make_scanner().scan()


class Asker(Protocol):
    def confirm(self, plan: ClosePlan) -> tuple[bool, bool]:
        """(go ahead, include the programs it started)."""
        ...

    def ask_force(self, name: str, pid: int) -> bool: ...

    def inform(self, title: str, text: str, details: str = "") -> None: ...

    def confirm_connection(self, question: str, details: str) -> bool: ...

    def offer_program(self, text: str) -> bool:
        """The connection cannot be closed on its own: close the program instead?"""
        ...


def plan_texts(plan: ClosePlan, grace: float = GRACE_SECONDS) -> tuple[str, str, str, str]:
    """(question, informative text, check-box text or "", full list for the details) of a plan."""
    return words.plan_texts(plan, grace)


def question_box(
    parent: QWidget | None,
    title: str,
    text: str,
    action: str,
    *,
    informative: str = "",
    details: str = "",
    icon: QMessageBox.Icon = QMessageBox.Icon.Warning,
    role: QMessageBox.ButtonRole = QMessageBox.ButtonRole.DestructiveRole,
    safe: str = "",
) -> tuple[QMessageBox, QPushButton]:
    """A plain-text question whose safe answer (Cancel, or ``safe``) is the default and the Escape key; returns the
    box and the button that does ``action``."""
    box = QMessageBox(parent)
    box.setIcon(icon)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    if informative:
        box.setInformativeText(informative)
    if details:
        box.setDetailedText(details)  # always plain text
    act = box.addButton(action, role)
    if safe:
        keep = box.addButton(safe, QMessageBox.ButtonRole.RejectRole)
    else:
        keep = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    plain_message_box(box)
    return box, act


def confirm_box(parent: QWidget | None, plan: ClosePlan) -> tuple[QMessageBox, QPushButton, QCheckBox | None]:
    """The confirmation dialog: names the program and everything else that would close; Cancel is the default."""
    question, info, check_text, details = plan_texts(plan)
    box, close = question_box(
        parent, _("Close a program"), question, _("Close the program"), informative=info, details=details
    )
    check = None
    if check_text:
        check = QCheckBox(check_text)
        box.setCheckBox(check)
    return box, close, check


def connection_texts(row: SocketRow) -> tuple[str, str]:
    """(question, informative text) for closing the connection of ``row``."""
    return words.connection_question(row.local_endpoint, row.remote_endpoint, program_text(row.program, row.pid))


def can_close_connection(row: SocketRow | None) -> bool:
    return row is not None and row.proto == TCP and row.state == "ESTABLISHED" and bool(row.remote_port)


class DialogAsker:
    def __init__(self, parent: QWidget) -> None:
        self._parent = parent

    def confirm(self, plan: ClosePlan) -> tuple[bool, bool]:
        box, close, check = confirm_box(self._parent, plan)
        box.exec()
        return box.clickedButton() is close, bool(check is not None and check.isChecked())

    def confirm_connection(self, question: str, details: str) -> bool:
        box, close = question_box(
            self._parent, _("Close a connection"), question, _("Close the connection"), informative=details
        )
        box.exec()
        return box.clickedButton() is close

    def offer_program(self, text: str) -> bool:
        box, close = question_box(
            self._parent,
            _("Close a connection"),
            text,
            _("Close the program…"),
            icon=QMessageBox.Icon.Information,
            role=QMessageBox.ButtonRole.AcceptRole,
        )
        box.exec()
        return box.clickedButton() is close

    def ask_force(self, name: str, pid: int) -> bool:
        box, force = question_box(
            self._parent,
            _("The program did not close"),
            _("{program} did not close when asked.").format(program=program_text(name, pid)),
            _("Force close"),
            informative=_("Force it to close? It will not get a chance to save anything."),
            safe=_("Leave it running"),
        )
        box.exec()
        return box.clickedButton() is force

    def inform(self, title: str, text: str, details: str = "") -> None:
        box = QMessageBox(self._parent)
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle(title)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(text)
        if details:
            box.setInformativeText(details)
            box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        plain_message_box(box).exec()


class _Ticker:
    """What the closing thread reports (seconds waited) and is told (stop waiting).  A plain Python object: the
    worker thread holds no Qt object, so none can be released there while the GUI thread deletes it."""

    def __init__(self) -> None:
        self.waited = 0.0
        self.stop = False

    def report(self, seconds: float) -> None:
        self.waited = seconds

    def stopped(self) -> bool:
        return self.stop


class CloseFlow(QObject):
    """One closing, start to end.

    Signals:
        finished(str): the final message in plain words (also shown to the user).
    """

    finished = Signal(str)

    def __init__(
        self,
        parent: QWidget,
        asker: Asker,
        *,
        refresh: Callable[[], None],
        snapshots: SignalInstance,
        grace: float = GRACE_SECONDS,
        scan: Callable[[], Snapshot] = fresh_scan,
    ) -> None:
        super().__init__(parent)
        self._scan = scan
        self._signalled: tuple[int, ...] = ()
        self._parent = parent
        self._asker = asker
        self._refresh = refresh
        self._snapshots = snapshots
        self.grace = grace
        self.port_check_seconds = PORT_CHECK_SECONDS
        self._stop_waiting = False
        self._plan: ClosePlan | None = None
        self._ticker: _Ticker | None = None
        self._port: int | None = None
        self.busy = False

    # -- entry points ----------------------------------------------------------------------------------------------

    def start_row(self, row: SocketRow | None) -> None:
        """Close the program of a table row (Delete): the identity is the one the scan read with the row."""
        if row is None or self.busy:
            return
        if row.pid is None:
            self._finish_with(
                _("Cannot close it"),
                _("This socket's program is hidden (another user or the system): loopgui cannot close it."),
            )
            return
        if row.owner_start is None:
            self._finish_with(_("Cannot close it"), self._hidden_details())
            return
        self._begin(Identity(row.pid, row.owner_start, row.program, row.exe), row.local_port)

    @staticmethod
    def _hidden_details() -> str:
        return _(
            "loopgui cannot tell for sure which program this is (its details are hidden), so it will not close it."
        )

    def start(self, facts: ProcessFacts, port: int | None = None, row: SocketRow | None = None) -> None:
        """Close the program described by ``facts`` (as the user saw them in a panel) after confirming.

        ``row``, when given, is the table row the facts were read for: if its owner's start time differs, the
        program of the row has ended and the facts are about another program with the same number.
        """
        if self.busy:
            return
        if facts.create_time is None:
            self._finish_with(_("Cannot close it"), self._hidden_details())
            return
        identity = Identity(facts.pid, facts.create_time, facts.name, facts.exe)
        start = row.owner_start if row is not None and row.pid == facts.pid else None
        if row is not None and start is not None and not same_start(start, facts.create_time):
            seen = Identity(facts.pid, start, row.program, row.exe)
            self._finish_with(_("Not closed"), words.not_same_text(seen, Sameness.REUSED))
            return
        self._begin(identity, port)

    def add_menu_actions(self, menu: QMenu, row: SocketRow | None) -> None:
        """Add "Close this connection…" to a row's context menu when the row is an established TCP connection."""
        if not can_close_connection(row):
            return
        assert row is not None
        action = menu.addAction(_("Close this connection…"))
        action.setToolTip(_("Cut only this connection; the program keeps running (asks first)."))
        action.triggered.connect(lambda: self.close_connection(row))

    def close_connection(self, row: SocketRow) -> None:
        if self.busy or not can_close_connection(row):
            return
        question, details = connection_texts(row)
        if not self._asker.confirm_connection(question, details):
            self.finished.emit(_("Nothing was closed."))
            return
        try:
            # The cookie the scan read names the very socket the user saw: a newer connection with the same
            # addresses and ports is never cut in its place.
            conn = Connection(
                row.family, row.local_addr, row.local_port, row.remote_addr, row.remote_port, cookie=row.cookie or None
            )
        except BadConnection as exc:
            bad = words.bad_connection_text(exc)
            why = _("loopgui cannot name this connection exactly ({error}).").format(error=bad)
            self._finish_with(_("Not closed"), why)
            return
        self.busy = True

        def done(result: ConnectionResult) -> None:
            text = words.connection_text(result)
            if result.offer_program and row.pid is not None:
                self.busy = False
                question = _("{reason} Close {program} instead?").format(
                    reason=text, program=program_text(row.program, row.pid)
                )
                if self._asker.offer_program(question):
                    self.start_row(row)  # the usual confirmation, naming everything that would close, follows
                else:
                    self.finished.emit(_("Nothing was closed."))
                return
            title = _("Connection closed") if result.closed else _("Not closed")
            self._finish_with(title, text, words.connection_retry_text(result))
            if result.closed:
                self._refresh()

        def failed(exc: BaseException) -> None:
            self._finish_with(_("Not closed"), _("Something went wrong: {error}").format(error=exc))

        BackgroundOp(self, lambda: close_connection(conn), done).on_failure(failed).start()

    # -- closing a program -------------------------------------------------------------------------------------------

    def _begin(self, identity: Identity, port: int | None) -> None:
        """Check the identity and work out what would close (off the GUI thread), then ask.  The plan holds a pidfd
        on each program from now until the signal or Cancel."""
        self.busy = True
        self._port = port

        def done(plan: ClosePlan | CloseResult) -> None:
            self.busy = False
            if isinstance(plan, CloseResult):
                self._finish_with(words.result_title(plan), words.result_text(plan))
                return
            go, include_children = self._asker.confirm(plan)
            if not go:
                release(plan)
                self.finished.emit(_("Nothing was closed."))
                return
            self._plan = plan
            self._run(include_children, force=False)

        def failed(exc: BaseException) -> None:
            self._finish_with(_("Could not close the program"), _("Something went wrong: {error}").format(error=exc))

        BackgroundOp(self, lambda: plan_close(identity), done).on_failure(failed).start()

    def _run(self, include_children: bool, *, force: bool) -> None:
        plan = self._plan
        assert plan is not None
        identity = plan.target.identity
        self.busy = True
        self._stop_waiting = False
        who = program_text(identity.name, identity.pid)
        dialog = QProgressDialog(
            _("Waiting for {program} to close…").format(program=who)
            if not force
            else _("Forcing {program} to close…").format(program=who),
            _("Stop waiting"),
            0,
            int(self.grace * 10),
            self._parent,
        )
        plain_progress(dialog)  # the program's name is untrusted text
        dialog.setWindowTitle(_("Closing"))
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        ticker = self._ticker = _Ticker()
        dialog.canceled.connect(self._on_stop_waiting)
        timer = QTimer(self)
        timer.setInterval(100)
        timer.timeout.connect(lambda: dialog.setValue(min(dialog.maximum(), int(ticker.waited * 10))))
        timer.start()
        scan = self._scan
        signalled = self._signalled if force else ()

        def work() -> tuple[CloseResult, tuple[PortCheck, ...] | None]:
            result = close_plan(
                plan,
                include_children=include_children,
                signalled_before=signalled,
                force=force,
                wait=self.grace if not force else 2.0,
                progress=ticker.report,
                should_stop=ticker.stopped,
            )
            if not target_confirmed_gone(result):
                return result, None
            try:
                rows = list(scan().rows.values())  # taken now: the program is confirmed gone
            except Exception as exc:  # the check is a courtesy: say it could not be made
                log.info("the port check after closing could not scan: %s", exc)
                return result, check_ports(plan, result, None)
            return result, check_ports(plan, result, rows)

        def finish_dialog() -> None:
            timer.stop()
            timer.deleteLater()
            dialog.close()
            dialog.deleteLater()

        def done(answer: tuple[CloseResult, tuple[PortCheck, ...] | None]) -> None:
            finish_dialog()
            self._handle(answer[0], answer[1], include_children, force)

        def failed(exc: BaseException) -> None:
            finish_dialog()
            self._finish_with(_("Could not close the program"), _("Something went wrong: {error}").format(error=exc))

        BackgroundOp(self, work, done).on_failure(failed).start()

    def _on_stop_waiting(self) -> None:
        self._stop_waiting = True
        if self._ticker is not None:
            self._ticker.stop = True

    def _handle(
        self, result: CloseResult, ports: tuple[PortCheck, ...] | None, include_children: bool, force: bool
    ) -> None:
        plan = self._plan
        assert plan is not None
        identity = plan.target.identity
        text = words.result_text(result)
        if result.outcome in (CloseOutcome.STILL_RUNNING, CloseOutcome.STOPPED_WAITING) and not force:
            if self._asker.ask_force(identity.name, identity.pid):
                self._signalled = signalled_pids(result)
                self._run(include_children, force=True)
                return
            self._finish_with(
                words.result_title(result), " ".join([text, _("It is still running; nothing was forced.")])
            )
            return
        if ports:
            text = " ".join([text, words.ports_text(ports)])
        self._finish_with(words.result_title(result), text, words.retry_text(result))
        if result.outcome in (CloseOutcome.CLOSED, CloseOutcome.PARTLY_CLOSED, CloseOutcome.ENDED_BY_ITSELF):
            self._refresh()

    def _finish_with(self, title: str, text: str, details: str = "") -> None:
        self.busy = False
        log.info("close: %s", text)
        self._asker.inform(title, text, details)
        self.finished.emit(text)
