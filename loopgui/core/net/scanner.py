"""Taking socket snapshots.

Two sources produce the same rows through one row builder (:mod:`loopgui.core.net.rows`):

* :class:`~loopgui.core.net.source_netlink.NetlinkSource` (Linux): every TCP/UDP socket from the kernel over
  ``NETLINK_SOCK_DIAG`` (:mod:`loopgui.core.net.netlink`), owners from ``/proc/<pid>/fd``, kept up to date cheaply.
* :class:`~loopgui.core.net.source_psutil.PsutilSource`: ``psutil.net_connections`` everywhere else.

:class:`Scanner` keeps the previous rows (to carry "first seen" and compute the diff) and falls back to psutil for
a while when the fast source fails.
"""

from __future__ import annotations

import gc
import logging
import socket
import sys
import time

from loopgui.core.net.netlink import (
    NETLINK_SOCK_DIAG,
    TCP_STATE_NAMES,
    NetlinkReplyError,
    build_request,
    error_text,
    parse_diag_messages,
)
from loopgui.core.net.rows import ScanCancelled, SocketSource, SourceResult, StopCheck, decode_key, never
from loopgui.core.net.sockets import Snapshot, SocketRow, diff_rows
from loopgui.core.net.source_netlink import InodeOwners, NetlinkSource
from loopgui.core.net.source_psutil import PsutilSource

__all__ = [
    "TCP_STATE_NAMES",
    "InodeOwners",
    "NetlinkReplyError",
    "NetlinkSource",
    "PsutilSource",
    "ScanCancelled",
    "Scanner",
    "SocketSource",
    "SourceResult",
    "StopCheck",
    "build_request",
    "decode_key",
    "error_text",
    "make_scanner",
    "parse_diag_messages",
]

log = logging.getLogger("loopgui.scanner")


class Scanner:
    """Takes snapshots from a source; keeps the previous one to carry "first seen" and compute the diff.

    When the fast source fails with an operating-system error, that scan is taken with the portable one and
    the snapshot carries one notice; the fast source is tried again after 1, 3, 7, … scans (at most 63), and
    used again as soon as it works.
    """

    FALLBACK_NOTICE = "The fast way of reading connections failed; loopgui uses a slower way until it works again."

    def __init__(self, source: SocketSource, fallback: SocketSource | None = None) -> None:
        self.source = source
        self._fallback = fallback
        self._previous: dict[bytes, SocketRow] = {}
        self._failures = 0  # consecutive failures of ``source``
        self._skip = 0  # scans left before ``source`` is tried again

    def _read(self, now: float, stop: StopCheck) -> tuple[SourceResult, str, tuple[str, ...]]:
        fallback = self._fallback
        if fallback is not None and self._skip > 0:
            self._skip -= 1
            return fallback.read(self._previous, now, stop), fallback.name, (self.FALLBACK_NOTICE,)
        try:
            result = self.source.read(self._previous, now, stop)
        except OSError as exc:
            if fallback is None:
                raise
            self._failures += 1
            self._skip = min(2**self._failures - 1, 63) - 1
            if self._failures == 1:
                log.warning("the %s scanner failed (%s); reading with %s for now", self.source.name, exc, fallback.name)
            return fallback.read(self._previous, now, stop), fallback.name, (self.FALLBACK_NOTICE,)
        if self._failures:
            log.info("the %s scanner works again", self.source.name)
            self._failures = 0
        return result, self.source.name, ()

    def scan(self, should_stop: StopCheck | None = None) -> Snapshot:
        stop = should_stop or never
        started = time.perf_counter()
        now = time.time()
        # A scan allocates tens of thousands of short-lived tuples: without this, the cyclic garbage collector
        # runs in the middle of some scans over every live object (the slow outliers, p95 241 -> 185 ms at 10k
        # connections on a busy machine).  It runs as usual right after.
        collecting = gc.isenabled()
        gc.disable()
        try:
            result, used, notices = self._read(now, stop)
        finally:
            if collecting:
                gc.enable()
        diff = result.diff if result.diff is not None else diff_rows(self._previous, result.rows)
        self._previous = result.rows
        return Snapshot.of(
            result.rows,
            taken_at=now,
            duration=time.perf_counter() - started,
            diff=diff,
            hidden_sockets=result.hidden_sockets,
            problems=tuple(dict.fromkeys(notices + result.problems)),
            source=used,
        )


def make_scanner(kind: str = "auto") -> Scanner:
    """``auto``: the netlink source on Linux (psutil if it cannot start), psutil elsewhere."""
    if kind == "psutil" or (kind == "auto" and not sys.platform.startswith("linux")):
        return Scanner(PsutilSource())
    try:
        socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG).close()
    except (OSError, AttributeError) as exc:
        if kind == "netlink":
            raise
        log.info("netlink socket diagnostics unavailable (%s); using psutil", exc)
        return Scanner(PsutilSource())
    return Scanner(NetlinkSource(), fallback=PsutilSource())
