"""The Linux scanner source: every TCP/UDP socket from the kernel over ``NETLINK_SOCK_DIAG``, owners from the
``/proc/<pid>/fd`` links (:mod:`loopgui.core.net.owners`).  When the kernel's list is the same as in the previous
scan the owners are not looked up again for a few seconds.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from loopgui.core.net import netlink, unix
from loopgui.core.net.extra_rows import FileRows
from loopgui.core.net.netlink import (
    ATTEMPTS,
    TCP_STATE_NAMES,
    TIME_WAIT_CODE,
    TRANSIENT,
    NetlinkReplyError,
    build_request,
    parse_diag_messages,
    unique_key,
)
from loopgui.core.net.owners import WALK_PROCESSES, WALK_THREADS, InodeOwners
from loopgui.core.net.rows import RowBuilder, ScanCancelled, SourceResult, StopCheck, never
from loopgui.core.net.sockets import ScanProblem, ScanProblemCode, SnapshotDiff, SocketRow

log = logging.getLogger("loopgui.scanner")

TCP_RECHECK = 5.0  # seconds at most between two real TCP dumps while the TCP counters stay the same


def tcp_counters(proc: str = "/proc") -> bytes | None:
    """This network namespace's TCP counters: the TCP lines of ``net/sockstat`` and ``net/sockstat6`` (sockets in
    use, orphans, leftovers, allocated, memory) and the values of ``net/snmp``'s Tcp line (opens, resets, established,
    segments in and out, retransmits).  A TCP socket cannot appear, go or change state without one of them changing.
    None when they cannot be read."""
    parts: list[bytes] = []
    for name, head in (("sockstat", b"TCP:"), ("sockstat6", b"TCP6:"), ("snmp", b"Tcp: ")):
        try:
            with open(f"{proc}/net/{name}", "rb") as f:
                data = f.read(65536)
        except OSError:
            if name == "sockstat6":
                continue  # no IPv6 here
            return None
        lines = [line for line in data.split(b"\n") if line.startswith(head)]
        if not lines:
            return None
        parts.append(lines[-1])  # snmp: the values line comes after the names line
    return b"\n".join(parts)


_NO_COMPAT = frozenset({errno.EOPNOTSUPP, errno.ENOENT, errno.EINVAL})  # the older request is not there

_STATE_OF = tuple(TCP_STATE_NAMES[i] or "NONE" for i in range(len(TCP_STATE_NAMES))) + ("NONE",) * 243


class NetlinkSource:
    name = "netlink"

    # TCP of both families in one dump (the kernel walks its whole connection table for each TCP dump, however
    # few of the sockets are this system's own); where the older request is refused, one dump per family
    _QUERIES = (
        (socket.AF_UNSPEC, 6),
        (socket.AF_INET, 17),
        (socket.AF_INET6, 17),
    )
    _TCP_BY_FAMILY = ((socket.AF_INET, 6), (socket.AF_INET6, 6))

    def __init__(
        self, proc: str = "/proc", owner_recheck: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """``owner_recheck``: while the kernel's list stays the same, look the owners up again only after this
        many seconds (0: every scan)."""
        self._owners = InodeOwners(proc, clock)
        self._build = RowBuilder()
        self._seq = 0
        self._queries: tuple[tuple[int, int], ...] = self._QUERIES
        self._buf = bytearray(1 << 18)
        self._clock = clock
        self.owner_recheck = owner_recheck
        self._last_raw: dict[bytes, tuple[int, int, int]] | None = None
        self._last_files_raw: dict[int, tuple[str, int, int, int]] = {}
        self._expires: dict[bytes, int] = {}  # TIME_WAIT key -> ms left, from the latest dump
        self._last: tuple[dict[bytes, SocketRow], SourceResult] | None = None
        self._owners_read_at = float("-inf")
        self._first = True
        self.include_files = False  # also read listening file sockets (SourceResult.files)
        self._files = FileRows()
        self._unix = unix.Dumper()
        # the first scan reads every process's descriptors beside the kernel's dump, in this many child processes,
        # else (no fork) in this many threads (1: after the dump, in the scanning thread); see bench/README.md
        cores = os.cpu_count() or 1
        self.first_walk_processes = min(cores, WALK_PROCESSES) if cores > 1 and hasattr(os, "fork") else 0
        self.first_walk_threads = WALK_THREADS if cores > 1 else 1
        # with a window loading beside the first scan (:meth:`leave_a_core`), the dump too in a child process
        self.first_dump_aside = False
        # The kernel walks its whole connection table for every TCP dump (about 1 ms of CPU even in an empty
        # network namespace on a machine with a large table).  While this namespace's TCP counters (sockets in use,
        # leftovers, segments in and out, opens, resets) stay exactly the same, no TCP socket can have changed
        # state, so the previous TCP list is used again, for at most tcp_recheck seconds.
        self.tcp_recheck = TCP_RECHECK
        self._proc = proc
        self._last_tcp: tuple[bytes, float, dict[bytes, tuple[int, int, int]], dict[bytes, int]] | None = None

    def leave_a_core(self) -> None:
        """The first scan runs beside the window's loading: it keeps one core free for it (the walk and the dump
        in child processes, at most one fewer than the cores; on two cores one child does both)."""
        if hasattr(os, "fork"):
            self.first_walk_processes = max(1, min((os.cpu_count() or 1) - 1, WALK_PROCESSES))
            self.first_dump_aside = True

    def dump(self, family: int, protocol: int, out: dict[bytes, tuple[int, int, int]]) -> None:
        """Ask the kernel for every socket of one family and protocol (one socket per dump: a broken dump
        never leaves its rest to be read as the start of the next one)."""
        self._seq += 1
        netlink.exchange(
            build_request(family, protocol, self._seq),
            lambda data: parse_diag_messages(data, protocol, out, self._expires),
            timeout=5.0,
            buf=self._buf,
            rcvbuf=1 << 20,
        )

    def _dump_all(self, should_stop: StopCheck) -> tuple[dict[bytes, tuple[int, int, int]], list[ScanProblem]]:
        raw: dict[bytes, tuple[int, int, int]] = {}
        self._expires = {}
        problems: list[ScanProblem] = []
        queries = list(self._queries)
        counters = tcp_counters(self._proc) if self.tcp_recheck > 0 else None  # read before the dump
        last = self._last_tcp
        if (
            counters is not None
            and last is not None
            and last[0] == counters
            and self._clock() - last[1] < self.tcp_recheck
        ):
            tcp = socket.IPPROTO_TCP  # nothing TCP changed: the previous TCP list, its leftovers' timers too
            raw.update((k, v) for k, v in last[2].items() if k[0] == tcp)
            self._expires = dict(last[3])
            queries = [q for q in queries if q[1] != socket.IPPROTO_TCP]
            counters = None  # keep the time of the last real dump
        while queries:
            family, protocol = queries.pop(0)
            if should_stop():
                raise ScanCancelled
            for attempt in range(1, ATTEMPTS + 1):
                part: dict[bytes, tuple[int, int, int]] = raw if not raw else {}
                try:
                    self.dump(family, protocol, part)
                except NetlinkReplyError as exc:
                    if family == socket.AF_UNSPEC and not part and exc.code in _NO_COMPAT:
                        log.info("one TCP dump for both families refused (%s); one per family", exc)
                        self._queries = self._TCP_BY_FAMILY + self._QUERIES[1:]
                        queries[:0] = self._TCP_BY_FAMILY
                        break
                    if exc.code in TRANSIENT and attempt < ATTEMPTS:
                        if part is raw:
                            raw.clear()
                        continue
                    log.warning("incomplete socket list: %s", exc)
                    problems.append(ScanProblem(ScanProblemCode.INCOMPLETE))
                except TimeoutError:
                    raise  # already waited long: this scan reads the slower way
                except OSError as exc:
                    if part is raw:
                        raw.clear()
                    if exc.errno in (errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT, errno.ENOENT):
                        break  # e.g. IPv6 or UDP diagnostics not built into this kernel
                    if exc.errno in TRANSIENT and attempt < ATTEMPTS:
                        continue
                    raise
                if part is not raw:
                    for key, value in part.items():
                        raw[unique_key(key, raw) if key in raw else key] = value
                break
        if counters is not None:
            if problems:
                self._last_tcp = None
            else:  # the whole list (the TCP part is taken out when it is used again)
                self._last_tcp = (counters, self._clock(), raw, self._expires)
        return raw, problems

    def _dump_aside(self) -> tuple[object, ...]:
        """The kernel's dump, in a child process of the first walk (:meth:`InodeOwners.walk_all`): what
        :meth:`_take_dump` needs to carry on as if the dump had been made here.  Nothing is logged from the child."""
        logging.disable(logging.CRITICAL)  # the parent's handlers and their locks are not the child's to use
        raw, problems = self._dump_all(never)
        queries = [(int(family), int(protocol)) for family, protocol in self._queries]  # plain ints: marshal
        return raw, self._expires, [p.code.value for p in problems], queries, self._last_tcp

    def _take_dump(self, answer: Any) -> tuple[dict[bytes, tuple[int, int, int]], list[ScanProblem]]:
        """Carry on with the dump a child made (:meth:`_dump_aside`), as if it had been made here."""
        raw, expires, codes, queries, last_tcp = answer
        self._expires = expires
        self._queries = tuple((int(family), int(protocol)) for family, protocol in queries)
        self._last_tcp = None if last_tcp is None else (last_tcp[0], self._clock(), raw, expires)
        return raw, [ScanProblem(ScanProblemCode(code)) for code in codes]

    def read(self, previous: Mapping[bytes, SocketRow], now: float, should_stop: StopCheck) -> SourceResult:
        walker = None
        first, self._first = self._first, False
        texts: dict[bytes, tuple[str, int, str, int, str, int]] = {}
        raw: dict[bytes, tuple[int, int, int]] | None = None
        problems: list[ScanProblem] = []
        if first and self.first_walk_processes >= 1 and self.first_dump_aside:
            # a window is loading in this process: the dump too is made in a child process, so that this thread
            # holds the GIL as little as possible (each reply it reads would make it wait for the window's turn)
            answer = self._owners.walk_all(should_stop, 1, self.first_walk_processes, self._dump_aside)
            if should_stop():
                raise ScanCancelled
            if answer is not None:
                raw, problems = self._take_dump(answer)
        elif first and (self.first_walk_threads > 1 or self.first_walk_processes >= 1):
            # the first scan reads every process: do it while the kernel builds its dump (its work and the reads
            # of the descriptor links both run outside the GIL)
            walker = threading.Thread(
                target=self._owners.walk_all,
                args=(should_stop, self.first_walk_threads, self.first_walk_processes),
                name="loopgui-fd-walk",
            )
            walker.start()
        try:
            if raw is None:
                raw, problems = self._dump_all(should_stop)
            if walker is not None and walker.is_alive():
                # the walk is still at work (in other processes, or threads that hold the GIL only between two
                # links): decode the addresses meanwhile
                decode = self._build.addresses.decode
                texts = {key: decode(key) for key in raw}
        finally:
            if walker is not None:
                walker.join()
        files_raw: dict[int, tuple[str, int, int, int]] = {}
        if self.include_files:
            try:
                files_raw = self._unix.dump()
            except (OSError, unix.UnixReplyError) as exc:
                log.info("file sockets could not be read: %s", exc)
                problems.append(ScanProblem(ScanProblemCode.FILE_SOCKETS_UNREADABLE))
        last = self._last
        if (
            not problems
            and last is not None
            and previous is last[0]
            and raw == self._last_raw
            and files_raw == self._last_files_raw
            and self._clock() - self._owners_read_at < self.owner_recheck
        ):
            same = dict(previous)  # nothing changed
            kept = last[1]
            self._last = (same, SourceResult(same, kept.hidden_sockets, kept.problems, SnapshotDiff(), kept.files))
            return self._last[1]
        self._owners_read_at = self._clock()
        wanted = {inode for _, inode, _ in raw.values() if inode}
        owner = self._owners.refresh(wanted | files_raw.keys() if files_raw else wanted, should_stop)
        files = self._files.from_dump(files_raw, owner, now) if self.include_files else {}
        rows: dict[bytes, SocketRow] = {}
        hidden = 0
        build = self._build
        build.start()
        state_of = _STATE_OF
        get_previous = previous.get
        make = build.row
        added: list[bytes] = []
        changed: list[bytes] = []
        expires = self._expires
        for key, (state_code, inode, cookie) in raw.items():
            pid = owner.get(inode) if inode else None
            state = state_of[state_code] if key[0] == 6 else "NONE"
            if pid is None and inode:
                hidden += 1
            before = get_previous(key)
            if before is None:
                added.append(key)
            elif before.pid == pid and before.state == state and before.cookie == cookie:
                rows[key] = before
                continue
            else:
                changed.append(key)
            left = expires.get(key) if state_code == TIME_WAIT_CODE else None
            rows[key] = make(
                key,
                state,
                pid,
                before,
                now,
                texts.get(key) if texts else None,
                cookie=cookie,
                expires_at=None if left is None else now + left / 1000,
            )
        build.finish(self._owners.pids)
        if not self._owners.unreadable:
            hidden = 0  # sockets closed between the two reads, not hidden ones
        # every key is either kept or added: when as many were kept as there were before, none was removed
        removed = frozenset(previous.keys() - rows.keys()) if len(rows) - len(added) != len(previous) else frozenset()
        diff = SnapshotDiff(frozenset(added), removed, frozenset(changed))
        result = SourceResult(rows, hidden, tuple(dict.fromkeys(problems)), diff, files)  # each notice once
        self._last_raw = raw
        self._last_files_raw = files_raw
        self._last = (rows, result)
        return result
