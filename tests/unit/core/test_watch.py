"""Watching ports, from snapshots alone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from loopgui.core.net.sockets import Snapshot, SocketRow
from loopgui.core.watch import Watcher, WatchKind
from loopgui.core.words import watch as watch_words
from tests.helpers import row, snapshot


class Feed:
    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher
        self.rows: Mapping[bytes, SocketRow] = {}

    def __call__(self, rows: Iterable[SocketRow]) -> list[tuple[WatchKind, int, str]]:
        snap: Snapshot = snapshot(rows, self.rows)
        self.rows = snap.rows
        return [(e.kind, e.port, watch_words.text(e)) for e in self.watcher.update(snap)]


def test_start_and_stop_on_a_watched_port() -> None:
    feed = Feed(Watcher([3000]))
    other = row(22, pid=1, program="sshd")
    assert feed([other]) == []  # the first look is the starting point
    node = row(3000, pid=812, program="node")
    assert feed([other, node]) == [(WatchKind.STARTED, 3000, "node (PID 812) started listening on 127.0.0.1:3000.")]
    assert feed([other, node, row(3000, local="::1", pid=812, program="node")]) == []  # a second address: no news
    assert feed([other, row(3000, local="::1", pid=812, program="node")]) == []  # still one left
    assert feed([other]) == [
        (WatchKind.STOPPED, 3000, "Nothing listens on port 3000 any more: the program that had it stopped.")
    ]


def test_connections_on_the_port_are_not_listening() -> None:
    feed = Feed(Watcher([3000]))
    feed([])
    assert feed([row(3000, remote="127.0.0.1", rport=5555)]) == []


def test_watching_a_port_that_is_already_held_starts_quietly() -> None:
    watcher = Watcher()
    feed = Feed(watcher)
    node = row(3000, pid=812, program="node")
    feed([node])
    watcher.watch(3000)
    assert feed([node]) == []
    assert feed([]) == [
        (WatchKind.STOPPED, 3000, "Nothing listens on port 3000 any more: the program that had it stopped.")
    ]
    watcher.unwatch(3000)
    assert feed([node]) == [] and watcher.ports == frozenset()


def test_new_programs_anywhere_only_when_asked() -> None:
    quiet = Feed(Watcher())
    quiet([])
    assert quiet([row(8000, pid=5, program="python3")]) == []
    loud = Feed(Watcher(new_programs=True))
    sshd = row(22, pid=1, program="sshd")
    loud([sshd])
    events = loud([sshd, row(8000, pid=5, program="python3"), row(8001, pid=5, program="python3")])
    assert len(events) == 1
    kind, port, text = events[0]
    assert kind == WatchKind.NEW_PROGRAM and port in (8000, 8001)
    assert text == f"python3 (PID 5) started listening on 127.0.0.1:{port}: other programs can connect to it there."
    assert loud([sshd, row(22, local="::", pid=1, program="sshd")]) == []  # sshd listened already
    # a program whose only listening socket changes owner PID is not new
    assert loud([sshd, row(22, local="::", pid=2, program="sshd")]) == []


def test_a_changed_listener_on_a_watched_port_is_not_a_stop() -> None:
    feed = Feed(Watcher([3000]))
    feed([row(3000, pid=1, program="node")])
    assert feed([row(3000, pid=2, program="node")]) == []


def test_reset_makes_the_next_snapshot_a_new_start() -> None:
    watcher = Watcher([3000])
    feed = Feed(watcher)
    feed([])
    watcher.reset()
    assert feed([row(3000)]) == []
