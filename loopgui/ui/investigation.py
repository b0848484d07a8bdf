"""The investigation: what the window is about, and the one explanation every panel agrees with.

An :class:`Investigation` owns

- the *subject*: the pasted message (kept until the user starts another one or empties the box) and the table row
  the user picked.  :attr:`showing` says which of the two the explanation is about.  Picking a row (or moving the
  keyboard focus into the table) while a pasted message is explained only *offers* "Explain this row"; the
  Explanation then offers the way back to the message.
- the *facts*: the newest snapshot, and the events that change them (a scan, a close, a probe).  Every such event
  re-runs the diagnosis, so the explanation never contradicts what just happened.
- the background diagnosis: built off the GUI thread; only the newest request is shown (a generation counter).
- what each panel shows: the Explanation (diagnosis and the subject switch), the Connectivity tab's target, the
  Program tab.

The main window assembles widgets and forwards events to it: :meth:`set_snapshot`, :meth:`investigate`,
:meth:`pick_row`, :meth:`facts_changed`.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping

from PySide6.QtCore import QObject, Signal

from loopgui.core.explain.diagnosis import Diagnosis, Holder, diagnose, explain_row, parse
from loopgui.core.explain.endpoints import FindResult
from loopgui.core.explain.facts import F, ProgramRef, fact
from loopgui.core.history.reader import HistoryReader
from loopgui.core.net.sockets import Snapshot, SocketRow, format_endpoint
from loopgui.core.programs.processes import ProcessFacts, process_facts
from loopgui.core.words.i18n import _
from loopgui.core.words.labels import owner_text, row_summary
from loopgui.core.words.table import bar_text
from loopgui.ui.background import BackgroundOp, LatestOnly
from loopgui.ui.panels.connectivity_panel import ConnectivityPanel
from loopgui.ui.panels.explain_panel import ExplainPanel
from loopgui.ui.panels.process_panel import ProcessPanel

PARSE_HERE_LIMIT = 2000  # characters parsed on the GUI thread (well under a millisecond); longer pastes off it

TextDiagnoser = Callable[[str, Mapping[bytes, SocketRow]], Diagnosis]
RowDiagnoser = Callable[[SocketRow, Mapping[bytes, SocketRow]], Diagnosis]
FactsReader = Callable[[int], ProcessFacts]


class Showing(enum.Enum):
    NOTHING = "nothing"
    PASTED = "pasted"
    ROW = "row"


def _diagnose(text: str, rows: Mapping[bytes, SocketRow]) -> Diagnosis:
    return diagnose(text, rows, history=HistoryReader())


def _explain_row(row: SocketRow, rows: Mapping[bytes, SocketRow]) -> Diagnosis:
    return explain_row(row, rows, history=HistoryReader())


def _read_facts(pid: int) -> ProcessFacts:
    return process_facts(pid, with_cpu=True)


def row_target(row: SocketRow) -> tuple[str, int]:
    """The address a connectivity test of ``row`` should try: its own for a listener, else the other side."""
    if row.is_listening or not row.remote_port:
        return row.local_addr, row.local_port
    return row.remote_addr, row.remote_port


class Investigation(QObject):
    """See the module docstring.

    Signals:
        message(str): a short message for the status bar.
        ports_changed(): the ports the table should narrow to changed (see :attr:`ports`, :attr:`banner_text`).
        diagnosis_shown(object): a :class:`Diagnosis` was put on screen (for tests and other panels).
    """

    message = Signal(str)
    ports_changed = Signal()
    diagnosis_shown = Signal(object)

    def __init__(
        self,
        parent: QObject,
        explain: ExplainPanel,
        connectivity: ConnectivityPanel,
        program: ProcessPanel,
        *,
        refresh: Callable[[], None] = lambda: None,
        diagnose_text: TextDiagnoser = _diagnose,
        diagnose_row: RowDiagnoser = _explain_row,
        read_facts: FactsReader = _read_facts,
    ) -> None:
        super().__init__(parent)
        self.explain = explain
        self.connectivity = connectivity
        self.program = program
        self._refresh = refresh
        self._diagnose_text = diagnose_text
        self._diagnose_row = diagnose_row
        self._read_facts = read_facts
        self.snapshot: Snapshot | None = None
        self.pasted: str | None = None
        self.found: FindResult | None = None
        self.row: SocketRow | None = None
        self.showing = Showing.NOTHING
        self.ports: frozenset[int] = frozenset()
        self.banner_text = ""
        self._explaining = LatestOnly(self)  # one worker per concern; the newest request wins
        self._reading_program = LatestOnly(self)
        self._parse_generation = 0  # the newest paste being parsed (an older one finishing later is dropped)
        self._rerun_on_next_scan = False
        self._holder: SocketRow | None = None  # the socket whose program the Program tab shows for the diagnosis
        explain.explain_row_requested.connect(self.explain_picked_row)
        explain.back_requested.connect(self.back_to_pasted)

    # -- the subject ---------------------------------------------------------------------------------------------

    @property
    def port(self) -> int | None:
        """The port the explanation on screen is about."""
        if self.showing is Showing.ROW and self.row is not None:
            return self.row.local_port
        if self.showing is Showing.PASTED and self.found is not None and self.found.endpoints:
            return self.found.endpoints[0].port
        return None

    def investigate(self, text: str) -> None:
        """Start a new investigation of pasted text; it stays until the user starts another or empties the box."""
        if not text.strip():
            self.clear()
            return
        self._parse_generation += 1
        if len(text) > PARSE_HERE_LIMIT:  # a long paste is parsed off the GUI thread; only the newest one counts
            generation = self._parse_generation

            def parsed(found: FindResult) -> None:
                if generation == self._parse_generation:
                    self._investigate_found(text, found)

            BackgroundOp(self, lambda: parse(text), parsed).start()
            return
        self._investigate_found(text, parse(text))

    def _investigate_found(self, text: str, found: FindResult) -> None:
        if self.row is not None and (self._row_gone() or not {self.row.local_port, self.row.remote_port} & found.ports):
            self.row = None  # a pick from before that has closed, or is off the new port, is not offered any more
        self.pasted = text
        self.found = found
        self.showing = Showing.PASTED
        self.explain.start_subject()
        self.ports = found.ports
        self.banner_text = bar_text(found, None)
        if found.endpoints:
            first = found.endpoints[0]
            self.connectivity.set_target(first.host, first.port)
        self.ports_changed.emit()
        self._update_switch()
        self.run()

    def show_all(self) -> None:
        """Drop the table's port filter; the explanation stays."""
        self.ports = frozenset()
        self.banner_text = ""
        self.ports_changed.emit()

    def clear(self) -> None:
        """Forget the pasted message: all sockets again, and the explanation back to its welcome text (or to the
        picked row, when the explanation was about it)."""
        had_ports = bool(self.ports or self.banner_text)
        self.pasted = None
        self.found = None
        self.ports = frozenset()
        self.banner_text = ""
        if self.showing is Showing.PASTED:
            self.showing = Showing.NOTHING
            self._explaining.forget()
            self.explain.show_welcome()
        self._update_switch()
        if had_ports:
            self.ports_changed.emit()

    def pick_row(self, row: SocketRow) -> None:
        """The user picked a row in the table: the Program tab follows it at once; the explanation follows it only
        when no pasted message is on screen (else the Explanation offers "Explain this row")."""
        same = self.row is not None and self.row.key == row.key
        self.row = row
        self._holder = None
        if not same or self.program.facts is None or self.program.facts.pid != row.pid:
            self.show_program(row)
        if self.showing is Showing.PASTED:
            self._update_switch()
            return
        if same and self.showing is Showing.ROW:
            return
        self.explain_picked_row()

    def explain_picked_row(self) -> None:
        """Explain the picked row (the user pressed "Explain this row", or there is no pasted message)."""
        row = self.row
        if row is None:
            return
        self.explain.start_subject()
        self.showing = Showing.ROW
        self.connectivity.set_target(*row_target(row))
        self._update_switch()
        self.run()

    def back_to_pasted(self) -> None:
        """Back from a row's explanation to the pasted message's."""
        if self.pasted is None:
            return
        self.showing = Showing.PASTED
        self.explain.start_subject()
        if self.found is not None and self.found.endpoints:
            first = self.found.endpoints[0]
            self.connectivity.set_target(first.host, first.port)
        self._update_switch()
        self.run()

    def _row_gone(self) -> bool:
        return self.row is not None and self.snapshot is not None and self.row.key not in self.snapshot.rows

    def _update_switch(self) -> None:
        row = self.row
        if self.showing is Showing.PASTED and row is not None:
            text = (
                _(
                    "The socket you picked in the table ({row}) has closed since. "
                    "The explanation below is still about your message."
                )
                if self._row_gone()
                else _("You picked a row in the table: {row}. The explanation below is still about your message.")
            )
            self.explain.offer_switch(text.format(row=row_summary(row)), "row")
        elif self.showing is Showing.ROW and self.pasted is not None:
            self.explain.offer_switch(
                _("This explains the row you picked: {row}.").format(row=row_summary(row) if row else ""), "pasted"
            )
        else:
            self.explain.offer_switch("", "")

    # -- the facts -----------------------------------------------------------------------------------------------

    def set_snapshot(self, snapshot: Snapshot) -> None:
        """A new scan: re-run the diagnosis when it changed anything the explanation rests on."""
        first = self.snapshot is None
        previous: Mapping[bytes, SocketRow] = self.snapshot.rows if self.snapshot is not None else {}
        self.snapshot = snapshot
        if self.row is not None:
            was_gone = self.row.key not in previous
            self.row = snapshot.rows.get(self.row.key, self.row)
            if was_gone != self._row_gone():
                self._update_switch()
        if self.showing is Showing.NOTHING:
            self._rerun_on_next_scan = False
            return
        if first or self._rerun_on_next_scan or self._touches_subject(snapshot, previous):
            self._rerun_on_next_scan = False
            self.run(quiet=True)

    def facts_changed(self, message: str = "") -> None:
        """Something changed the facts (a program was closed, a test ran): show ``message``, explain again now
        and once more with the next scan."""
        if message:
            self.message.emit(message)
        self._rerun_on_next_scan = True
        self.run(quiet=True)
        self._refresh()
        if self.row is not None:
            self.show_program(self.row)

    def _touches_subject(self, snapshot: Snapshot, previous: Mapping[bytes, SocketRow]) -> bool:
        """Whether the new snapshot changed anything the explanation rests on: a socket on its port, or a program
        starting or stopping to listen anywhere (near misses and "did you mean" look at all listeners)."""
        port = self.port
        if port is None:
            return False
        diff = snapshot.diff
        for key in diff.added | diff.changed:
            r = snapshot.rows.get(key)
            if r is not None and (port in (r.local_port, r.remote_port) or r.is_listening):
                return True
        for key in diff.removed:
            r = previous.get(key)
            if r is not None and (port in (r.local_port, r.remote_port) or r.is_listening):
                return True
        return False

    # -- the diagnosis ---------------------------------------------------------------------------------------------

    def run(self, *, quiet: bool = False) -> None:
        """Build the diagnosis for what is shown, off the GUI thread (it reads process facts)."""
        rows = dict(self.snapshot.rows) if self.snapshot is not None else {}
        work: Callable[[], Diagnosis]
        if self.showing is Showing.ROW and self.row is not None:
            row = self.row
            explain = self._diagnose_row if row.key in rows else self._gone_row
            work = lambda: explain(row, rows)  # noqa: E731
        elif self.showing is Showing.PASTED and self.pasted is not None:
            text = self.pasted
            work = lambda: self._diagnose_text(text, rows)  # noqa: E731
        else:
            return
        if not quiet:
            self.explain.set_busy(True)

        def done(diagnosis: Diagnosis) -> None:
            self.explain.show_diagnosis(diagnosis)
            self._follow_holder(diagnosis)
            self.diagnosis_shown.emit(diagnosis)

        def failed(exc: BaseException) -> None:
            self.explain.set_busy(False)
            self.message.emit(_("The explanation could not be made: {error}").format(error=exc))

        self._explaining.submit(work, done, failed)

    def _gone_row(self, row: SocketRow, rows: Mapping[bytes, SocketRow]) -> Diagnosis:
        """The picked socket is gone (closed, or its program ended): explain its port as it is now."""
        d = self._diagnose_text(format_endpoint(row.local_addr, row.local_port), rows)
        note = fact(F.PICKED_GONE, socket=row)
        return dataclasses.replace(d, findings=(note, *d.findings))

    # -- the Program tab -------------------------------------------------------------------------------------------

    def _follow_holder(self, d: Diagnosis) -> None:
        """With no row picked, the Program tab shows the program the explanation names, and then that it closed
        (it said "Pick a row…" beside an explanation that named the program and offered to close it)."""
        if self.row is not None:
            return
        holder = next((h.row for h in d.holders if h.row.pid is not None), None)
        if holder is not None:
            if self._holder is None or self._holder.pid != holder.pid:
                self._holder = holder
                self.show_program(holder)
        elif self._holder is not None:
            gone, self._holder = self._holder, None
            self.show_program(gone)  # its facts now say it has closed

    def show_program(self, row: SocketRow) -> None:
        """Read the program's facts off the GUI thread and show them in the Program tab."""
        pid = row.pid
        if pid is None:
            self._reading_program.forget()
            self.program.show_no_program(owner_text(row))
            return
        snap = self.snapshot
        sockets = [r for r in snap.rows.values() if r.pid == pid] if snap is not None else []
        sockets.sort(key=lambda r: (not r.is_listening, r.local_port))
        reader = self._read_facts

        def done(facts: ProcessFacts) -> None:
            self.program.show_facts(facts, sockets)

        self._reading_program.submit(lambda: reader(pid), done)

    # -- read by the panels (from any thread: they read only the immutable snapshot) ---------------------------------

    def used_ports(self) -> set[int]:
        snap = self.snapshot
        return {r.local_port for r in snap.rows.values()} if snap is not None else set()

    def who_holds(self, port: int) -> ProgramRef | None:
        """The program listening on ``port`` in the last scan (None when none is known)."""
        snap = self.snapshot
        if snap is None:
            return None
        for r in snap.rows.values():
            if r.local_port == port and r.is_listening:
                return Holder(r).ref
        return None

    def listening_addresses(self, port: int) -> list[str]:
        """The addresses TCP programs listen on at ``port`` (for the Connectivity tab's IPv4/IPv6 note)."""
        snap = self.snapshot
        if snap is None:
            return []
        return sorted({r.local_addr for r in snap.rows.values() if r.local_port == port and r.state == "LISTEN"})
