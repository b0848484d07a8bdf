"""Watching ports: which changes deserve a notification.  Pure: snapshots in, events out (no Qt, no I/O).

A :class:`Watcher` keeps who listens on each watched port and, when asked, which programs listen anywhere.  It
reads only what each snapshot's diff names, so a refresh costs in proportion to what changed, not to the number
of sockets.  The first snapshot it sees (or one after :meth:`reset`) sets the starting point and raises nothing.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from loopgui.core.net.sockets import Snapshot, SocketRow, format_endpoint


class WatchKind(str, enum.Enum):
    STARTED = "started"  # something started listening on a watched port
    STOPPED = "stopped"  # nothing listens on a watched port any more
    NEW_PROGRAM = "new_program"  # a program that was not listening anywhere started listening


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """A change worth a notification, as facts (``core/words/watch.py`` says it)."""

    kind: WatchKind
    port: int
    address: str  # what to investigate when the notification is clicked, e.g. "127.0.0.1:3000"
    program: str = ""  # the program's name ("" when hidden, or for STOPPED)
    pid: int | None = None


def _name(row: SocketRow) -> str:
    return row.program if row.pid is not None else ""


class Watcher:
    def __init__(self, ports: Iterable[int] = (), *, new_programs: bool = False) -> None:
        self._ports: set[int] = set(ports)
        self.new_programs = new_programs
        self._listeners: dict[int, dict[bytes, SocketRow]] = {}
        self._programs: Counter[str] = Counter()  # listening sockets per program name
        self._rows: Mapping[bytes, SocketRow] | None = None

    @property
    def ports(self) -> frozenset[int]:
        return frozenset(self._ports)

    def watch(self, port: int) -> None:
        """Start watching ``port`` (who listens there now is the starting point, not news)."""
        if port in self._ports:
            return
        self._ports.add(port)
        rows = self._rows or {}
        self._listeners[port] = {k: r for k, r in rows.items() if r.local_port == port and r.is_listening}

    def unwatch(self, port: int) -> None:
        self._ports.discard(port)
        self._listeners.pop(port, None)

    def reset(self) -> None:
        self._rows = None

    def update(self, snapshot: Snapshot) -> list[WatchEvent]:
        rows = snapshot.rows
        if self._rows is None:
            self._rows = rows
            self._listeners = {p: {} for p in self._ports}
            self._programs = Counter()
            for key, row in rows.items():
                if row.is_listening:
                    self._programs[_name(row)] += 1
                    if row.local_port in self._ports:
                        self._listeners[row.local_port][key] = row
            return []
        previous = self._rows
        self._rows = rows
        events: list[WatchEvent] = []
        touched: set[int] = set()
        before_count = {p: len(self._listeners.get(p, {})) for p in self._ports}
        newcomers: dict[str, SocketRow] = {}
        counted: dict[str, int] = {}  # listening sockets per program before this snapshot, for names it touches
        diff = snapshot.diff
        for key in (*diff.removed, *diff.changed):
            old = previous.get(key)
            if old is not None and old.is_listening:
                counted.setdefault(_name(old), self._programs[_name(old)])
                self._programs[_name(old)] -= 1
                if self._programs[_name(old)] <= 0:
                    del self._programs[_name(old)]
                if old.local_port in self._ports:
                    self._listeners[old.local_port].pop(key, None)
                    touched.add(old.local_port)
        for key in (*diff.added, *diff.changed):
            new = rows.get(key)
            if new is None or not new.is_listening:
                continue
            name = _name(new)
            if counted.setdefault(name, self._programs[name]) == 0 and name and name not in newcomers:
                newcomers[name] = new
            self._programs[name] += 1
            if new.local_port in self._ports:
                self._listeners[new.local_port][key] = new
                touched.add(new.local_port)
        for port in sorted(touched):
            now = self._listeners[port]
            if before_count[port] == 0 and now:
                row = next(iter(now.values()))
                where = format_endpoint(row.local_addr, port)
                events.append(WatchEvent(WatchKind.STARTED, port, where, row.program, row.pid))
            elif before_count[port] and not now:
                events.append(WatchEvent(WatchKind.STOPPED, port, f"127.0.0.1:{port}"))
        if self.new_programs:
            for name, row in newcomers.items():
                if row.local_port in self._ports:
                    continue  # already told above
                where = format_endpoint(row.local_addr, row.local_port)
                events.append(WatchEvent(WatchKind.NEW_PROGRAM, row.local_port, where, name, row.pid))
        return events
