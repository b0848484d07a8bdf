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
import threading
import time
from collections.abc import Callable, Iterable

from loopgui.core.net import namespaces
from loopgui.core.net.extra_rows import namespace_key
from loopgui.core.net.netlink import (
    NETLINK_SOCK_DIAG,
    TCP_STATE_NAMES,
    NetlinkReplyError,
    build_request,
    error_text,
    parse_diag_messages,
    unique_key,
)
from loopgui.core.net.owners import InodeOwners
from loopgui.core.net.rows import RowBuilder, ScanCancelled, SocketSource, SourceResult, StopCheck, decode_key, never
from loopgui.core.net.sockets import TCP, ScanProblem, ScanProblemCode, Snapshot, SocketRow, diff_rows, make_key
from loopgui.core.net.source_netlink import NetlinkSource
from loopgui.core.net.source_psutil import PsutilSource

__all__ = [
    "TCP_STATE_NAMES",
    "FirstScan",
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

    FALLBACK_NOTICE = ScanProblem(ScanProblemCode.FALLBACK)

    def __init__(
        self,
        source: SocketSource,
        fallback: SocketSource | None = None,
        *,
        other_networks: Callable[[namespaces.OwnerReader], Iterable[namespaces.Namespace]] | None = None,
    ) -> None:
        """``other_networks(owners)``: reads the other network namespaces' listeners, owners by the inode -> PID
        reader it is given (default: this computer's)."""
        self.source = source
        self._fallback = fallback
        self._previous: dict[bytes, SocketRow] = {}
        self._other_networks = other_networks or _live_other_networks
        self._previous_extra: dict[bytes, SocketRow] = {}
        self._show_elsewhere = False
        self._ns_build = RowBuilder()  # rows of other namespaces' listeners
        self._ns_owners: InodeOwners | None = None  # made when first needed (its first walk reads every process)
        self._failures = 0  # consecutive failures of ``source``
        self._skip = 0  # scans left before ``source`` is tried again

    def _read(self, now: float, stop: StopCheck) -> tuple[SourceResult, str, tuple[ScanProblem, ...]]:
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

    def leave_a_core(self) -> None:
        """The first scan runs beside the window's loading: let it keep a core free for the window."""
        if isinstance(self.source, NetlinkSource):
            self.source.leave_a_core()

    @property
    def show_elsewhere(self) -> bool:
        """Whether each scan also reads file sockets and other network namespaces' sockets (``Snapshot.extra``)."""
        return self._show_elsewhere

    @show_elsewhere.setter
    def show_elsewhere(self, on: bool) -> None:
        self._show_elsewhere = on
        for source in (self.source, self._fallback):
            if source is not None and hasattr(source, "include_files"):
                source.include_files = on

    def _namespace_rows(self, now: float) -> dict[bytes, SocketRow]:
        """Listeners of the other network namespaces (as root read inside each, else what /proc allows)."""
        out: dict[bytes, SocketRow] = {}
        build, before = self._ns_build, self._previous_extra
        build.start()
        if self._ns_owners is None:
            self._ns_owners = InodeOwners()
        for ns in self._other_networks(self._ns_owners.refresh):
            for x in ns.listeners:
                try:
                    inner = make_key(x.proto, x.family, x.address, x.port, "", 0)
                except (OSError, ValueError, KeyError):
                    continue
                key = namespace_key(ns.ns_id, inner)
                if key in out:
                    key = unique_key(key, out)
                state = "LISTEN" if x.proto == TCP else "NONE"
                out[key] = build.listener(
                    key, x.proto, x.family, x.address, x.port, state, x.pid, before.get(key), now, ns.ns_id
                )
        build.finish(r.pid for r in out.values() if r.pid is not None)
        return out

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
        extra: dict[bytes, SocketRow] = dict(result.files) if self._show_elsewhere else {}
        if self._show_elsewhere and sys.platform.startswith("linux"):
            try:
                extra.update(self._namespace_rows(now))
            except OSError as exc:
                log.info("other network namespaces could not be read: %s", exc)
        extra_diff = diff_rows(self._previous_extra, extra) if extra or self._previous_extra else None
        self._previous_extra = extra
        return Snapshot.of(
            result.rows,
            taken_at=now,
            duration=time.perf_counter() - started,
            diff=diff,
            hidden_sockets=result.hidden_sockets,
            problems=tuple(dict.fromkeys(notices + result.problems)),
            source=used,
            extra=extra,
            extra_diff=extra_diff,
        )


class FirstScan:
    """The first scan, started in a thread of its own as soon as loopgui knows it will open its window: it runs
    while the window's libraries load (about 0.3 s), so the first table is on screen sooner.  The scanner belongs
    to this thread until :meth:`take` returns; only then may another thread scan with it."""

    def __init__(self, scanner: Scanner) -> None:
        self.scanner = scanner
        scanner.leave_a_core()
        self._stop = threading.Event()
        self._snapshot: Snapshot | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="loopgui-first-scan", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._snapshot = self.scanner.scan(self._stop.is_set)
        except ScanCancelled:
            pass
        except Exception as exc:  # handed to whoever takes the scan: it reports it as any failed scan
            self._error = exc

    def cancel(self) -> None:
        self._stop.set()

    def take(self, should_stop: StopCheck = never) -> Snapshot | None:
        """Wait for the scan (checking ``should_stop`` every 50 ms) and return it; None when it was cancelled.
        Raises what the scan raised."""
        while self._thread.is_alive():
            if should_stop():
                self._stop.set()
            self._thread.join(0.05)
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        snapshot, self._snapshot = self._snapshot, None
        return snapshot


def _live_other_networks(owners: namespaces.OwnerReader) -> tuple[namespaces.Namespace, ...]:
    return namespaces.namespaces(owners=owners)


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
