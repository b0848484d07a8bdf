"""Test helpers: rows and snapshots made by hand, a scripted scanner, and a loopback test server."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping

from loopgui.core.net.scanner import Scanner, SourceResult, StopCheck
from loopgui.core.net.sockets import Snapshot, SocketRow, diff_rows, make_key


def row(
    lport: int,
    *,
    proto: str = "TCP",
    local: str = "127.0.0.1",
    remote: str = "",
    rport: int = 0,
    state: str | None = None,
    pid: int | None = 100,
    program: str = "demo",
    first_seen: float = 1_700_000_000.0,
    owner_start: float | None = None,
    exe: str = "",
) -> SocketRow:
    family = 6 if ":" in local else 4
    if state is None:
        state = ("ESTABLISHED" if rport else "LISTEN") if proto == "TCP" else "NONE"
    return SocketRow(
        key=make_key(proto, family, local, lport, remote, rport),
        proto=proto,
        family=family,
        local_addr=local,
        local_port=lport,
        remote_addr=remote,
        remote_port=rport,
        state=state,
        pid=pid,
        program=program,
        first_seen=first_seen,
        owner_start=owner_start,
        exe=exe,
    )


def as_map(rows: Iterable[SocketRow]) -> dict[bytes, SocketRow]:
    return {r.key: r for r in rows}


def snapshot(rows: Iterable[SocketRow], previous: Mapping[bytes, SocketRow] | None = None, **kw: object) -> Snapshot:
    new = as_map(rows)
    return Snapshot.of(new, taken_at=time.time(), duration=0.001, diff=diff_rows(previous or {}, new), **kw)


class ScriptedSource:
    """A socket source that returns whatever ``provide()`` gives; can be told to block until cancelled."""

    name = "scripted"

    def __init__(self, provide: Callable[[], Iterable[SocketRow]]) -> None:
        self.provide = provide
        self.calls = 0
        self.block = threading.Event()
        self.blocking = threading.Event()
        self.fail_next: Exception | None = None

    def read(self, previous: Mapping[bytes, SocketRow], now: float, should_stop: StopCheck) -> SourceResult:
        self.calls += 1
        if self.fail_next is not None:
            exc, self.fail_next = self.fail_next, None
            raise exc
        if self.block.is_set():
            self.blocking.set()
            while not should_stop():
                time.sleep(0.01)
            from loopgui.core.net.scanner import ScanCancelled

            raise ScanCancelled
        rows = {r.key: r for r in self.provide()}
        return SourceResult(rows)


def scripted_scanner(rows: Callable[[], Iterable[SocketRow]]) -> tuple[Scanner, ScriptedSource]:
    source = ScriptedSource(rows)
    return Scanner(source), source


@contextlib.contextmanager
def loopback_server(
    on_accept: Callable[[socket.socket, threading.Event], None],
    *,
    host: str = "127.0.0.1",
    family: int = socket.AF_INET,
) -> Iterator[int]:
    """A TCP listener on a free loopback port (yielded) whose thread hands each accepted connection and the stop
    event to ``on_accept``; on exit the event is set, the thread joined (at most 2 s) and the listener closed."""
    server = socket.socket(family)
    server.bind((host, 0))
    server.listen(8)
    server.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            on_accept(conn, stop)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        t.join(2)
        server.close()


@contextlib.contextmanager
def own_listener() -> Iterator[int]:
    """This process listening on a loopback port (yielded) for as long as the block runs."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def listener_pids(snapshot: Snapshot, port: int) -> list[int | None]:
    """The owners the snapshot names for the listeners on ``port``."""
    return [r.pid for r in snapshot.rows.values() if r.local_port == port and r.state == "LISTEN"]
