"""The Program panel: what loopgui knows about the program that holds a port, and a way to close it."""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from loopgui.core.net.sockets import SocketRow, format_endpoint
from loopgui.core.programs.labels import program_label
from loopgui.core.programs.processes import ProcessFacts
from loopgui.core.words.i18n import N_, _, format_list, format_percent, ngettext
from loopgui.core.words.managers import manager_text
from loopgui.core.words.programs import closed_text, hidden_text, program_text
from loopgui.core.words.times import started_ago

EMPTY = N_("Pick a row in the table to see the program behind it.")  # translated where shown


def _value_label() -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)  # names and command lines are untrusted text
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _size(n: int) -> str:
    """1536 -> "1.5 KB"."""
    if n < 1024:
        return ngettext("{count} byte", "{count} bytes", n).format(count=n)
    value = n / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


class ProcessPanel(QWidget):
    """Shows :class:`ProcessFacts` and the program's sockets.

    Signals:
        close_requested(object): the user pressed "Close this program…" (carries the facts shown).
    """

    close_requested = Signal(object)

    FIELDS = (
        ("name", N_("Program")),
        ("pid", N_("Process ID (PID)")),
        ("exe", N_("Program file")),
        ("command", N_("Command line")),
        ("user", N_("Runs as user")),
        ("started", N_("Started")),
        ("parent", N_("Started by")),
        ("children", N_("Programs it started")),
        ("usage", N_("Processor and memory")),
        ("manager", N_("Who brings it back")),
        ("sockets", N_("Its network sockets")),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.facts: ProcessFacts | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        self.intro = QLabel(_(EMPTY))
        self.intro.setTextFormat(Qt.TextFormat.PlainText)
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        self.form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for key, title in self.FIELDS:
            label = _value_label()
            label.setAccessibleName(_(title))
            self.values[key] = label
            self.form.addRow(_("{field}:").format(field=_(title)), label)
        layout.addLayout(self.form)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.close_button = QPushButton(_("Close this program…"))
        self.close_button.setToolTip(_("Ask the program to close, after you confirm (Delete in the table)."))
        self.close_button.clicked.connect(lambda: self.close_requested.emit(self.facts))
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.show_facts(None, ())

    def show_no_program(self, why: str) -> None:
        """A row is picked but has no program to show: say why (``why`` comes from ``core.labels``)."""
        self.show_facts(None, ())
        if why == closed_text():  # decided on the fact, never on the words of one language
            self.intro.setText(_("No program holds this socket any more: the connection is already closed."))
        else:
            self.intro.setText(_("This socket is held by {owner}.").format(owner=why))

    def show_facts(self, facts: ProcessFacts | None, sockets: Sequence[SocketRow], now: float | None = None) -> None:
        before = self.facts
        self.facts = facts
        if facts is not None and facts.gone:
            # Nothing more can be read about it: one sentence, not a column of dashes.  Its name from before.
            known = facts.name or (before.name if before is not None and before.pid == facts.pid else "")
            name = program_label(known, before.cmdline if before is not None and before.pid == facts.pid else ())
            for i in range(self.form.rowCount()):
                self.form.setRowVisible(i, False)
            self.close_button.setVisible(False)
            self.intro.setText(
                _("{program} has closed.").format(program=program_text(name, facts.pid))
                if known
                else _("The program with PID {pid} has closed.").format(pid=facts.pid)
            )
            return
        visible = facts is not None
        for i in range(self.form.rowCount()):
            self.form.setRowVisible(i, visible)
        self.close_button.setVisible(visible and not facts.gone if facts else False)
        if facts is None:
            self.intro.setText(_(EMPTY))
            return
        if "everything" in facts.hidden:
            self.intro.setText(
                _("PID {pid} is {owner}: its details are hidden.").format(pid=facts.pid, owner=hidden_text())
            )
        else:
            self.intro.setText("")
        hidden = set(facts.hidden)
        if "everything" in hidden:
            hidden |= {"name", "program file", "command line", "user", "start time", "parent", "memory"}

        def show(key: str, value: str, hidden_as: str = "") -> None:
            self.values[key].setText(
                _("hidden ({owner})").format(owner=hidden_text())
                if hidden_as and hidden_as in hidden
                else (value or "—")
            )

        show("name", program_label(facts.name, facts.cmdline) if facts.name else "", "name")  # which python3
        show("pid", str(facts.pid))
        show("exe", facts.exe, "program file")
        show("command", facts.command, "command line")
        show("user", facts.username, "user")
        if facts.create_time:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(facts.create_time))
            show("started", f"{started_ago(facts.create_time, now)} ({stamp})")
        else:
            show("started", "", "start time")
        show("parent", program_text(facts.parent_name, facts.ppid) if facts.ppid else "", "parent")
        show("children", format_list([program_text(n, p) for p, n in facts.children[:8]]) or _("none"))
        usage = []
        if facts.cpu_percent is not None:
            usage.append(_("{percent} of one processor").format(percent=format_percent(facts.cpu_percent / 100)))
        if facts.memory_rss is not None:
            usage.append(_("{size} of memory").format(size=_size(facts.memory_rss)))
        show("usage", ", ".join(usage), "memory" if not usage else "")
        nothing = _("Nothing known: once closed, it stays closed unless someone starts it again.")
        show("manager", manager_text(facts.manager) if facts.manager is not None else nothing)
        lines = [
            f"{r.proto} {format_endpoint(r.local_addr, r.local_port)}"
            + (f" → {format_endpoint(r.remote_addr, r.remote_port)}" if r.remote_port else "")
            + f" ({r.state.lower().replace('_', ' ') if r.state != 'NONE' else 'udp'})"
            for r in sockets[:12]
        ]
        if len(sockets) > 12:
            lines.append(_("… and {count} more").format(count=len(sockets) - 12))
        show("sockets", "\n".join(lines) or _("none"))
