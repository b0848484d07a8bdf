"""The portable scanner source: ``psutil.net_connections``, falling back to asking each process for its own sockets
where the system refuses the global list (macOS without admin rights)."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable, Mapping
from typing import Any

import psutil

from loopgui.core.net import unix
from loopgui.core.net.extra_rows import FileRows
from loopgui.core.net.netlink import unique_key
from loopgui.core.net.rows import RowBuilder, ScanCancelled, SourceResult, StopCheck
from loopgui.core.net.sockets import TCP, UDP, ScanProblem, ScanProblemCode, SocketRow, make_key

log = logging.getLogger("loopgui.scanner")

_FAMILY_VERSION = {socket.AF_INET: 4, socket.AF_INET6: 6}


class PsutilSource:
    name = "psutil"

    def __init__(self) -> None:
        self._build = RowBuilder()
        self.include_files = False  # also read listening file sockets (SourceResult.files)
        self._files = FileRows()

    def read(self, previous: Mapping[bytes, SocketRow], now: float, should_stop: StopCheck) -> SourceResult:
        problems: list[ScanProblem] = []
        try:
            conns: Iterable[tuple[Any, int | None]] = [(c, c.pid) for c in psutil.net_connections("inet")]
        except psutil.AccessDenied:
            conns, refused = self._per_process(should_stop)
            if refused:
                problems.append(ScanProblem(ScanProblemCode.OTHERS_REFUSED, count=refused))
        rows: dict[bytes, SocketRow] = {}
        hidden = 0
        build = self._build
        build.start()
        for conn, pid in conns:
            family = _FAMILY_VERSION.get(conn.family)
            if family is None:
                continue
            proto = TCP if conn.type == socket.SOCK_STREAM else UDP
            laddr, raddr = conn.laddr, conn.raddr
            local, lport = (laddr.ip, laddr.port) if laddr else ("", 0)
            remote, rport = (raddr.ip, raddr.port) if raddr else ("", 0)
            state = conn.status
            try:
                key = make_key(proto, family, local, lport, remote, rport)
            except (OSError, ValueError):
                log.debug("skipping a socket with an unreadable address: %r", conn)
                continue
            if key in rows:
                key = unique_key(key, rows)
            if pid is None and state != "TIME_WAIT":
                hidden += 1
            text = (proto, family, local, lport, remote, rport)
            rows[key] = build.row(key, state, pid, previous.get(key), now, text)
        build.finish(r.pid for r in rows.values() if r.pid is not None)
        files = self._files.from_listeners(unix.unix_listeners(platform="psutil"), now) if self.include_files else {}
        return SourceResult(rows, hidden, tuple(problems), files=files)

    @staticmethod
    def _per_process(should_stop: StopCheck) -> tuple[list[tuple[Any, int | None]], int]:
        """Each readable process's own sockets: what macOS allows without admin rights."""
        found: list[tuple[Any, int | None]] = []
        refused = 0
        for proc in psutil.process_iter():
            if should_stop():
                raise ScanCancelled
            try:
                found.extend((c, proc.pid) for c in proc.net_connections("inet"))
            except psutil.AccessDenied:
                refused += 1
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                continue
        return found, refused
