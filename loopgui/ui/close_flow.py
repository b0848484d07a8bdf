"""Closing a program safely: confirm (naming it), ask nicely, wait with progress, offer force, then check the port.

All questions go through an :class:`Asker` so that tests can answer them; :class:`DialogAsker` asks with dialogs
whose default button is always the harmless one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Qt, Signal, SignalInstance
from PySide6.QtWidgets import QCheckBox, QMessageBox, QProgressDialog, QPushButton, QWidget

from loopgui.core.processes import (
    GRACE_SECONDS,
    CloseOutcome,
    CloseResult,
    Identity,
    ProcessFacts,
    after_close,
    close_program,
)
from loopgui.core.sockets import Snapshot
from loopgui.ui.background import BackgroundOp
from loopgui.ui.plain import plain_message_box

log = logging.getLogger("loopgui.close")


class Asker(Protocol):
    def confirm(self, name: str, pid: int, children: int) -> tuple[bool, bool]:
        """(go ahead, include the programs it started)."""
        ...

    def ask_force(self, name: str, pid: int) -> bool: ...

    def inform(self, title: str, text: str, details: str = "") -> None: ...


def confirm_box(
    parent: QWidget | None, name: str, pid: int, children: int
) -> tuple[QMessageBox, QPushButton, QCheckBox | None]:
    """The confirmation dialog: names the program, says what may be lost; Cancel is the default."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Close a program")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(f"Close {name} (PID {pid})?")
    box.setInformativeText(
        f"Unsaved work in {name} may be lost. loopgui first asks it to close; if it does not within "
        f"{GRACE_SECONDS:g} seconds, you can choose to force it."
    )
    close = box.addButton("Close the program", QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    plain_message_box(box)
    check = None
    if children:
        check = QCheckBox(f"Also close the {children} program(s) it started")
        box.setCheckBox(check)
    return box, close, check


class DialogAsker:
    def __init__(self, parent: QWidget) -> None:
        self._parent = parent

    def confirm(self, name: str, pid: int, children: int) -> tuple[bool, bool]:
        box, close, check = confirm_box(self._parent, name, pid, children)
        box.exec()
        return box.clickedButton() is close, bool(check is not None and check.isChecked())

    def ask_force(self, name: str, pid: int) -> bool:
        box = QMessageBox(self._parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("The program did not close")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"{name} (PID {pid}) did not close when asked.")
        box.setInformativeText("Force it to close? It will not get a chance to save anything.")
        force = box.addButton("Force close", QMessageBox.ButtonRole.DestructiveRole)
        leave = box.addButton("Leave it running", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(leave)
        box.setEscapeButton(leave)
        plain_message_box(box).exec()
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


class _Progress(QObject):
    waited = Signal(float)


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
        self._stop_waiting = False
        self._identity: Identity | None = None
        self._port: int | None = None
        self.busy = False

    def start(self, facts: ProcessFacts, port: int | None = None) -> None:
        """Close the program described by ``facts`` (as the user saw it) after confirming."""
        if self.busy:
            return
        if facts.create_time is None:
            self._finish_with(
                "Cannot close it",
                "loopgui cannot tell for sure which program this is (its details are hidden), so it will not close it.",
            )
            return
        name = facts.name or f"PID {facts.pid}"
        go, include_children = self._asker.confirm(name, facts.pid, len(facts.children))
        if not go:
            self.finished.emit("Nothing was closed.")
            return
        self._identity = Identity(facts.pid, facts.create_time, facts.name)
        self._port = port
        self._run(include_children, force=False)

    def _run(self, include_children: bool, *, force: bool) -> None:
        identity = self._identity
        assert identity is not None
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
        dialog.setWindowTitle("Closing")
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self._on_stop_waiting)
        progress = _Progress(self)
        progress.waited.connect(lambda s: dialog.setValue(min(dialog.maximum(), int(s * 10))))

        def work() -> CloseResult:
            return close_program(
                identity,
                include_children=include_children,
                force=force,
                wait=self.grace if not force else 2.0,
                progress=progress.waited.emit,
                should_stop=lambda: self._stop_waiting,
            )

        def done(result: CloseResult) -> None:
            dialog.close()
            dialog.deleteLater()
            self._handle(result, include_children, force)

        def failed(exc: BaseException) -> None:
            dialog.close()
            dialog.deleteLater()
            self._finish_with("Could not close the program", f"Something went wrong: {exc}")

        BackgroundOp(self, work, done).on_failure(failed).start()

    def _on_stop_waiting(self) -> None:
        self._stop_waiting = True

    def _handle(self, result: CloseResult, include_children: bool, force: bool) -> None:
        identity = self._identity
        assert identity is not None
        name = identity.name or f"PID {identity.pid}"
        if result.outcome == CloseOutcome.STILL_RUNNING and not force:
            if self._asker.ask_force(name, identity.pid):
                self._run(include_children, force=True)
                return
            self._finish_with("Still running", f"{name} is still running; nothing was forced.")
            return
        if result.outcome == CloseOutcome.DENIED:
            self._finish_with("Not allowed", result.message, result.how_to_retry)
            return
        if result.outcome in (CloseOutcome.PROTECTED, CloseOutcome.ALREADY_GONE, CloseOutcome.STILL_RUNNING):
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
        identity, port = self._identity, self._port
        assert identity is not None and port is not None

        def on_snapshot(snapshot: Snapshot) -> None:
            self._snapshots.disconnect(on_snapshot)
            listeners = [(r.pid, r.program) for r in snapshot.rows.values() if r.local_port == port and r.is_listening]
            self._finish_with("Closed", f"{closed_message} {after_close(port, identity, listeners)}")

        self._snapshots.connect(on_snapshot)
        self._refresh()

    def _finish_with(self, title: str, text: str, details: str = "") -> None:
        self.busy = False
        log.info("close: %s", text)
        self._asker.inform(title, text, details)
        self.finished.emit(text)
