"""Closing a program safely: confirm (naming it and everything else that would close), ask nicely, wait with
progress, offer force, then check the port.  Also closing one connection (context menu of an established TCP row).

The program's identity comes from the table row (PID, start time and program file read in the scan the user looked
at) or from the Program panel's facts; core/programs/actions.py checks it against the live process before any signal.
All questions go through an :class:`Asker` so that tests can answer them; :class:`DialogAsker` asks with dialogs
whose default button is always the harmless one.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import QCheckBox, QMenu, QMessageBox, QProgressDialog, QPushButton, QWidget

from loopgui.core.net.netclose import Connection, ConnectionResult, close_connection
from loopgui.core.net.sockets import TCP, Snapshot, SocketRow
from loopgui.core.programs.actions import ClosePlan, close_plan, plan_close
from loopgui.core.programs.processes import (
    GRACE_SECONDS,
    CloseOutcome,
    CloseResult,
    Identity,
    ProcessFacts,
    Sameness,
    after_close,
    not_same_message,
)
from loopgui.core.words.labels import command_label
from loopgui.ui.background import BackgroundOp
from loopgui.ui.plain import plain_message_box, plain_progress

log = logging.getLogger("loopgui.close")

MAX_LISTED = 8
PORT_CHECK_SECONDS = 10.0  # how long to wait for a fresh scan to say what became of the port
MAX_COMMAND = 160


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


def _cut(text: str, limit: int = MAX_COMMAND) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plan_texts(plan: ClosePlan) -> tuple[str, str, str, str]:
    """(question, informative text, check-box text or "", full list for the details) of a plan."""
    target = plan.target
    name = target.identity.name or f"PID {target.identity.pid}"
    label = command_label(name, target.command)  # "python3 -m http.server 8000": which python3 it is
    question = f"Close {label} (PID {target.identity.pid})?"
    info = [
        f"Unsaved work in {name} may be lost. loopgui first asks it to close; if it does not within "
        f"{GRACE_SECONDS:g} seconds, you can choose to force it."
    ]
    if plan.manager is not None:
        info.append(plan.manager.text)
    n = len(plan.descendants)
    check = f"Also close the {n} program{'s' if n != 1 else ''} it started" if n else ""
    if n:
        listed = ", ".join(f"{m.identity.name or '?'} (PID {m.identity.pid})" for m in plan.descendants[:MAX_LISTED])
        more = f" and {n - MAX_LISTED} more" if n > MAX_LISTED else ""
        info.append(f"It started {n} program{'s' if n != 1 else ''}: {listed}{more}.")
    if plan.spared:
        info.append(
            "Left running on purpose, even with the box ticked: "
            + ", ".join(f"{s.name} (PID {s.pid})" for s in plan.spared[:MAX_LISTED])
            + (f" and {len(plan.spared) - MAX_LISTED} more" if len(plan.spared) > MAX_LISTED else "")
            + ". Show Details says why."
        )
    details = [f"{name} (PID {target.identity.pid}): {_cut(target.command) or '(command line hidden)'}"]
    if n:
        details.append("")
        details.append(f"Programs it started, closed too when the box is ticked ({n}):")
        details.extend(
            f"  {m.identity.name or '?'} (PID {m.identity.pid}): {_cut(m.command) or '(command line hidden)'}"
            for m in plan.descendants
        )
    if plan.spared:
        details.append("")
        details.append(f"Left running ({len(plan.spared)}):")
        details.extend(f"  {s.name} (PID {s.pid}): {s.reason}" for s in plan.spared)
    return question, "\n\n".join(info), check, "\n".join(details)


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
        parent, "Close a program", question, "Close the program", informative=info, details=details
    )
    check = None
    if check_text:
        check = QCheckBox(check_text)
        box.setCheckBox(check)
    return box, close, check


def connection_texts(row: SocketRow) -> tuple[str, str]:
    """(question, informative text) for closing the connection of ``row``."""
    program = f"{row.program or 'a hidden program'}" + (f", PID {row.pid}" if row.pid is not None else "")
    question = (
        f"Close the connection between {row.local_endpoint} ({program}) on this computer and {row.remote_endpoint}?"
    )
    details = (
        "Only this one connection is cut; the program keeps running. It will see the connection as broken and may "
        "connect again by itself."
    )
    return question, details


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
            self._parent, "Close a connection", question, "Close the connection", informative=details
        )
        box.exec()
        return box.clickedButton() is close

    def offer_program(self, text: str) -> bool:
        box, close = question_box(
            self._parent,
            "Close a connection",
            text,
            "Close the program…",
            icon=QMessageBox.Icon.Information,
            role=QMessageBox.ButtonRole.AcceptRole,
        )
        box.exec()
        return box.clickedButton() is close

    def ask_force(self, name: str, pid: int) -> bool:
        box, force = question_box(
            self._parent,
            "The program did not close",
            f"{name} (PID {pid}) did not close when asked.",
            "Force close",
            informative="Force it to close? It will not get a chance to save anything.",
            safe="Leave it running",
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
    ) -> None:
        super().__init__(parent)
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
                "Cannot close it",
                "This socket's program is hidden (another user or the system): loopgui cannot close it.",
            )
            return
        if row.owner_start is None:
            self._finish_with(
                "Cannot close it",
                "loopgui cannot tell for sure which program this is (its details are hidden), so it will not close it.",
            )
            return
        self._begin(Identity(row.pid, row.owner_start, row.program, row.exe), row.local_port)

    def start(self, facts: ProcessFacts, port: int | None = None, row: SocketRow | None = None) -> None:
        """Close the program described by ``facts`` (as the user saw them in a panel) after confirming.

        ``row``, when given, is the table row the facts were read for: if its owner's start time differs, the
        program of the row has ended and the facts are about another program with the same number.
        """
        if self.busy:
            return
        if facts.create_time is None:
            self._finish_with(
                "Cannot close it",
                "loopgui cannot tell for sure which program this is (its details are hidden), so it will not close it.",
            )
            return
        identity = Identity(facts.pid, facts.create_time, facts.name, facts.exe)
        start = row.owner_start if row is not None and row.pid == facts.pid else None
        if row is not None and start is not None and abs(start - facts.create_time) > 0.01:
            seen = Identity(facts.pid, start, row.program, row.exe)
            self._finish_with("Not closed", not_same_message(seen, Sameness.REUSED))
            return
        self._begin(identity, port)

    def add_menu_actions(self, menu: QMenu, row: SocketRow | None) -> None:
        """Add "Close this connection…" to a row's context menu when the row is an established TCP connection."""
        if not can_close_connection(row):
            return
        assert row is not None
        action = menu.addAction("Close this connection…")
        action.setToolTip("Cut only this connection; the program keeps running (asks first).")
        action.triggered.connect(lambda: self.close_connection(row))

    def close_connection(self, row: SocketRow) -> None:
        if self.busy or not can_close_connection(row):
            return
        question, details = connection_texts(row)
        if not self._asker.confirm_connection(question, details):
            self.finished.emit("Nothing was closed.")
            return
        try:
            conn = Connection(row.family, row.local_addr, row.local_port, row.remote_addr, row.remote_port)
        except ValueError as exc:
            self._finish_with("Not closed", f"loopgui cannot name this connection exactly ({exc}).")
            return
        self.busy = True

        def done(result: ConnectionResult) -> None:
            if result.offer_program and row.pid is not None:
                self.busy = False
                who = f"{row.program or 'the program'} (PID {row.pid})"
                if self._asker.offer_program(f"{result.message} Close {who} instead?"):
                    self.start_row(row)  # the usual confirmation, naming everything that would close, follows
                else:
                    self.finished.emit("Nothing was closed.")
                return
            title = "Connection closed" if result.closed else "Not closed"
            self._finish_with(title, result.message, result.how_to_retry)
            if result.closed:
                self._refresh()

        def failed(exc: BaseException) -> None:
            self._finish_with("Not closed", f"Something went wrong: {exc}")

        BackgroundOp(self, lambda: close_connection(conn), done).on_failure(failed).start()

    # -- closing a program -------------------------------------------------------------------------------------------

    def _begin(self, identity: Identity, port: int | None) -> None:
        """Check the identity and work out what would close (off the GUI thread), then ask."""
        self.busy = True
        self._port = port

        def done(plan: ClosePlan | CloseResult) -> None:
            self.busy = False
            if isinstance(plan, CloseResult):
                title = "Already closed" if plan.outcome == CloseOutcome.ALREADY_GONE else "Not closed"
                self._finish_with(title, plan.message)
                return
            go, include_children = self._asker.confirm(plan)
            if not go:
                self.finished.emit("Nothing was closed.")
                return
            self._plan = plan
            self._run(include_children, force=False)

        def failed(exc: BaseException) -> None:
            self._finish_with("Could not close the program", f"Something went wrong: {exc}")

        BackgroundOp(self, lambda: plan_close(identity), done).on_failure(failed).start()

    def _run(self, include_children: bool, *, force: bool) -> None:
        plan = self._plan
        assert plan is not None
        identity = plan.target.identity
        self.busy = True
        self._stop_waiting = False
        name = identity.name or f"PID {identity.pid}"
        dialog = QProgressDialog(
            f"Waiting for {name} to close…" if not force else f"Forcing {name} to close…",
            "Stop waiting",
            0,
            int(self.grace * 10),
            self._parent,
        )
        plain_progress(dialog)  # the program's name is untrusted text
        dialog.setWindowTitle("Closing")
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        ticker = self._ticker = _Ticker()
        dialog.canceled.connect(self._on_stop_waiting)
        timer = QTimer(self)
        timer.setInterval(100)
        timer.timeout.connect(lambda: dialog.setValue(min(dialog.maximum(), int(ticker.waited * 10))))
        timer.start()
        work = functools.partial(
            close_plan,
            plan,
            include_children=include_children,
            force=force,
            wait=self.grace if not force else 2.0,
            progress=ticker.report,
            should_stop=ticker.stopped,
        )

        def finish_dialog() -> None:
            timer.stop()
            timer.deleteLater()
            dialog.close()
            dialog.deleteLater()

        def done(result: CloseResult) -> None:
            finish_dialog()
            self._handle(result, include_children, force)

        def failed(exc: BaseException) -> None:
            finish_dialog()
            self._finish_with("Could not close the program", f"Something went wrong: {exc}")

        BackgroundOp(self, work, done).on_failure(failed).start()

    def _on_stop_waiting(self) -> None:
        self._stop_waiting = True
        if self._ticker is not None:
            self._ticker.stop = True

    def _handle(self, result: CloseResult, include_children: bool, force: bool) -> None:
        plan = self._plan
        assert plan is not None
        identity = plan.target.identity
        name = identity.name or f"PID {identity.pid}"
        if result.outcome == CloseOutcome.STILL_RUNNING and not force:
            if self._asker.ask_force(name, identity.pid):
                self._run(include_children, force=True)
                return
            self._finish_with("Still running", f"{result.message} It is still running; nothing was forced.")
            return
        if result.outcome == CloseOutcome.DENIED:
            self._finish_with("Not allowed", result.message, result.how_to_retry)
            return
        if result.outcome in (
            CloseOutcome.PROTECTED,
            CloseOutcome.ALREADY_GONE,
            CloseOutcome.NOT_SAME,
            CloseOutcome.STILL_RUNNING,
        ):
            self._finish_with(
                "Not closed" if result.outcome != CloseOutcome.ALREADY_GONE else "Already closed", result.message
            )
            return
        if self._port is None:
            self._finish_with("Closed", result.message)
            return
        self._confirm_port(result.message)

    def _confirm_port(self, closed_message: str) -> None:
        """Scan again, then say what became of the port."""
        plan, port = self._plan, self._port
        assert plan is not None and port is not None
        identity = plan.target.identity

        answered = False
        timer = QTimer(self)
        timer.setSingleShot(True)

        def settle() -> bool:
            nonlocal answered
            if answered:
                return False
            answered = True
            timer.stop()
            timer.deleteLater()
            with contextlib.suppress(RuntimeError, TypeError):  # already disconnected
                self._snapshots.disconnect(on_snapshot)
            return True

        def on_snapshot(snapshot: Snapshot) -> None:
            if not settle():
                return
            listeners = [(r.pid, r.program) for r in snapshot.rows.values() if r.local_port == port and r.is_listening]
            self._finish_with("Closed", f"{closed_message} {after_close(port, identity, listeners)}")

        def no_snapshot() -> None:
            # Reading the connections again failed (or scanning is stopped): say what is known, never hang busy.
            if settle():
                self._finish_with("Closed", f"{closed_message} loopgui could not look at port {port} again to check.")

        self._snapshots.connect(on_snapshot)
        timer.timeout.connect(no_snapshot)
        timer.start(int(self.port_check_seconds * 1000))
        self._refresh()

    def _finish_with(self, title: str, text: str, details: str = "") -> None:
        self.busy = False
        log.info("close: %s", text)
        self._asker.inform(title, text, details)
        self.finished.emit(text)
