"""Taking socket snapshots.

Two sources produce the same rows:

* :class:`NetlinkSource` (Linux): asks the kernel for every TCP/UDP socket over a ``NETLINK_SOCK_DIAG``
  socket and finds owners by reading ``/proc/<pid>/fd`` links, re-reading only processes whose number of
  open descriptors changed (or all of them when a socket appears whose owner is not known yet).
* :class:`PsutilSource`: ``psutil.net_connections`` everywhere else, falling back to asking each process
  for its own sockets where the system refuses the global list (macOS without admin rights).

Both decode to text only the rows that are new or changed since the previous scan.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import struct
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import psutil

from loopgui.core.net import namespaces, netlink, unix
from loopgui.core.net.netlink import (
    NETLINK_SOCK_DIAG,
    NLM_F_DUMP,
    NLM_F_REQUEST,
    NLMSG_DONE,
    NLMSG_ERROR,
    SOCK_DIAG_BY_FAMILY,
)
from loopgui.core.net.netlink import (
    NLMSGHDR as _NLMSGHDR,
)
from loopgui.core.net.sockets import TCP, UDP, UNIX, Snapshot, SocketRow, diff_rows, make_key
from loopgui.core.programs.processes import NO_OWNER, ProcessNames
from loopgui.core.words.labels import ProgramLabels

log = logging.getLogger("loopgui.scanner")

StopCheck = Callable[[], bool]


def _never() -> bool:
    return False


class ScanCancelled(Exception):
    """The scan was asked to stop (the window is closing)."""


@dataclass(frozen=True, slots=True)
class SourceResult:
    rows: dict[bytes, SocketRow]
    hidden_sockets: int = 0
    problems: tuple[str, ...] = ()
    files: dict[bytes, SocketRow] = field(default_factory=dict)  # listening file sockets, when asked for


class SocketSource(Protocol):
    name: str

    def read(self, previous: Mapping[bytes, SocketRow], now: float, should_stop: StopCheck) -> SourceResult: ...


def file_key(inode: int) -> bytes:
    """A file socket's row key: never the start of a TCP/UDP key (those start with protocol number 6 or 17)."""
    return b"\x00U" + inode.to_bytes(8, "big", signed=True)


def namespace_key(ns: int, inner: bytes) -> bytes:
    """Another namespace's socket: its id, then the key the socket has there."""
    return b"\x00N" + ns.to_bytes(8, "big") + inner


def file_rows(
    listeners: Iterable[Any],
    previous: Mapping[bytes, SocketRow],
    now: float,
    names: ProcessNames,
    labels: ProgramLabels,
) -> dict[bytes, SocketRow]:
    """Table rows for listening file sockets (:class:`loopgui.core.net.unix.UnixListener`), the owner columns
    filled as for network sockets; unchanged rows are the previous objects."""
    out: dict[bytes, SocketRow] = {}
    for u in listeners:
        key = file_key(u.inode)
        pid = u.pid
        before = previous.get(key)
        if before is not None and before.pid == pid:
            out[key] = before
            continue
        holder = names.owner(pid) if pid is not None else NO_OWNER
        label, path = labels.label(pid, holder.name) if pid is not None else ("", "")
        out[key] = SocketRow(
            key=key,
            proto=UNIX,
            family=0,
            local_addr=u.path,
            local_port=0,
            remote_addr="",
            remote_port=0,
            state="LISTEN",
            pid=pid,
            program=holder.name,
            first_seen=before.first_seen if before is not None else now,
            label=label,
            path=path,
            owner_start=holder.start,
            exe=holder.exe,
        )
    return out


def _unique(key: bytes, taken: Mapping[bytes, object]) -> bytes:
    """Two sockets may share addresses and ports (SO_REUSEPORT listeners); number the later ones."""
    n = 1
    candidate = key + b"#1"
    while candidate in taken:
        n += 1
        candidate = key + b"#" + str(n).encode()
    return candidate


# ---------------------------------------------------------------------------------------------------------------
# psutil: portable
# ---------------------------------------------------------------------------------------------------------------

_FAMILY_VERSION = {socket.AF_INET: 4, socket.AF_INET6: 6}


class PsutilSource:
    name = "psutil"

    def __init__(self) -> None:
        self._names = ProcessNames()
        self._labels = ProgramLabels()
        self.include_files = False  # also read listening file sockets (SourceResult.files)
        self._files_before: dict[bytes, SocketRow] = {}
        self._unix = unix.Dumper()
        self._before_by_inode: dict[int, SocketRow] = {}

    def read(self, previous: Mapping[bytes, SocketRow], now: float, should_stop: StopCheck) -> SourceResult:
        problems: list[str] = []
        try:
            conns: Iterable[tuple[Any, int | None]] = [(c, c.pid) for c in psutil.net_connections("inet")]
        except psutil.AccessDenied:
            conns, refused = self._per_process(should_stop)
            if refused:
                problems.append(
                    f"{refused} programs belong to other users or the system, so their connections are not listed."
                )
        rows: dict[bytes, SocketRow] = {}
        hidden = 0
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
                key = _unique(key, rows)
            if pid is None and state != "TIME_WAIT":
                hidden += 1
            before = previous.get(key)
            if before is not None and before.state == state and before.pid == pid:
                rows[key] = before
                continue
            owner = self._names.owner(pid) if pid is not None else NO_OWNER
            name = owner.name
            label, path = self._labels.label(pid, name) if pid is not None else ("", "")
            rows[key] = SocketRow(
                key=key,
                proto=proto,
                family=family,
                local_addr=local,
                local_port=lport,
                remote_addr=remote if rport else "",
                remote_port=rport,
                state=state,
                pid=pid,
                program=name,
                first_seen=before.first_seen if before is not None else now,
                label=label,
                path=path,
                owner_start=owner.start,
                exe=owner.exe,
            )
        files: dict[bytes, SocketRow] = {}
        if self.include_files:
            files = file_rows(
                unix.unix_listeners(platform="psutil"), self._files_before, now, self._names, self._labels
            )
        self._files_before = files
        alive = [r.pid for r in (*rows.values(), *files.values()) if r.pid is not None]
        self._names.forget_except(alive)
        self._labels.forget_except(alive)
        return SourceResult(rows, hidden, tuple(problems), files)

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


# ---------------------------------------------------------------------------------------------------------------
# Linux: netlink sock_diag + /proc
# ---------------------------------------------------------------------------------------------------------------

# struct inet_diag_req_v2: family, protocol, ext, pad, states, sockid (48 bytes)
_REQ = struct.Struct("=BBBBI48x")
# struct inet_diag_msg: family, state, (timer, retrans, sockid 48, expires, rqueue, wqueue), uid, inode
_MSG = struct.Struct("=BB62xII")
_MSG_SIZE = 72
_PORTS = struct.Struct("!HH")

# Kernel TCP state numbers (include/net/tcp_states.h); 12 is a half-open request, shown as SYN_RECV.
TCP_STATE_NAMES = (
    "",
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECV",
    "FIN_WAIT1",
    "FIN_WAIT2",
    "TIME_WAIT",
    "CLOSE",
    "CLOSE_WAIT",
    "LAST_ACK",
    "LISTEN",
    "CLOSING",
    "SYN_RECV",
)
_ALL_STATES = 0xFFE  # states 1..11; the kernel adds request sockets itself when SYN_RECV is asked for


class NetlinkReplyError(Exception):
    """The kernel's reply could not be read completely (``code``: the error number it sent, 0 when none)."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


def error_text(code: int) -> str:
    """Plain text for an error number from the kernel: any int, negative (as netlink sends them) or huge."""
    n = -code if code < 0 else code
    if 0 < n < 4096:
        try:
            text = os.strerror(n)
        except (ValueError, OverflowError):  # pragma: no cover - strerror takes any C int
            text = ""
        if n in errno.errorcode:
            return f"{text} ({errno.errorcode[n]})" if text else errno.errorcode[n]
    return f"unknown error code {code}"


# Errors worth asking again at once: the kernel ran out of buffer space or was interrupted.
TRANSIENT = frozenset({errno.ENOBUFS, errno.EAGAIN, errno.EINTR, errno.ENOMEM, errno.EBUSY})
ATTEMPTS = 3


# What a listener is: TCP in LISTEN (10; the kernel then walks only its table of listeners), UDP not connected
# (the kernel calls it CLOSE, 7).
LISTENING_STATES = {6: 1 << 10, 17: 1 << 7}


def build_request(family: int, protocol: int, seq: int, states: int = _ALL_STATES) -> bytes:
    payload = _REQ.pack(family, protocol, 0, 0, states)
    return _NLMSGHDR.pack(_NLMSGHDR.size + len(payload), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + (
        payload
    )


def parse_diag_messages(buf: bytes, protocol: int, out: dict[bytes, tuple[int, int]]) -> bool:
    """Add the sockets in one netlink datagram to ``out`` (key -> (state, inode)).

    Returns True when the datagram ends the dump.  Raises :class:`NetlinkReplyError` for a message the
    kernel reports as an error or one that is cut short; what was read before it stays in ``out``.
    """
    end = len(buf)
    off = 0
    hdr_unpack = _NLMSGHDR.unpack_from
    msg_unpack = _MSG.unpack_from
    while off + 16 <= end:
        length, kind, _flags, _seq, _pid = hdr_unpack(buf, off)
        if length < 16 or off + length > end:
            raise NetlinkReplyError(f"netlink message of {length} bytes at offset {off} of {end}")
        if kind == NLMSG_DONE:
            return True
        if kind == NLMSG_ERROR:
            code = struct.unpack_from("=i", buf, off + 16)[0] if length >= 20 else 0
            raise NetlinkReplyError(f"the kernel refused the socket list: {error_text(code)}", -code)
        if kind == SOCK_DIAG_BY_FAMILY:
            if length < 16 + _MSG_SIZE:
                raise NetlinkReplyError(f"socket message of {length} bytes is too short")
            family, state, _uid, inode = msg_unpack(buf, off + 16)
            key = bytes((protocol, family)) + buf[off + 20 : off + 56]
            if key in out:
                key = _unique(key, out)
            out[key] = (state, inode)
        off += (length + 3) & ~3
    if off != end:
        raise NetlinkReplyError(f"{end - off} stray bytes at the end of a netlink reply")
    return False


def decode_key(key: bytes) -> tuple[str, int, str, int, str, int]:
    """(protocol, ip version, local address, local port, remote address, remote port) from a row key."""
    proto = TCP if key[0] == 6 else UDP
    af = key[1]
    lport, rport = _PORTS.unpack_from(key, 2)
    if af == socket.AF_INET:
        local = socket.inet_ntop(socket.AF_INET, key[6:10])
        remote = socket.inet_ntop(socket.AF_INET, key[22:26])
        version = 4
    else:
        local = socket.inet_ntop(socket.AF_INET6, key[6:22])
        remote = socket.inet_ntop(socket.AF_INET6, key[22:38])
        version = 6
    return proto, version, local, lport, remote if rport else "", rport


class InodeOwners:
    """Which process holds each socket inode, kept up to date cheaply between scans."""

    def __init__(self, proc: str = "/proc") -> None:
        self._proc = proc
        self._fd_counts: dict[int, int] = {}
        self._inodes_of: dict[int, list[int]] = {}
        self._start_of: dict[int, str | None] = {}  # when the process walked under each number started
        self.owner: dict[int, int] = {}
        self._unresolved: set[int] = set()
        self.unreadable: set[int] = set()
        self.pids: set[int] = set()
        self._stat_counts = _stat_counts_fds(proc)

    def refresh(self, wanted: set[int], should_stop: StopCheck = _never) -> dict[int, int]:
        self.pids = pids = {int(n) for n in os.listdir(self._proc) if _plain_number(n, 10)}
        for pid in [p for p in self._inodes_of if p not in pids]:
            self._forget(pid)
        self.unreadable &= pids
        walked: set[int] = set()
        for pid in pids:
            if pid in self.unreadable:
                continue
            if should_stop():
                raise ScanCancelled
            count = self._fd_count(pid)
            if count is not None and self._fd_counts.get(pid) != count:
                self._walk(pid)
                walked.add(pid)
        # A number whose process ended and went to another program between two scans, with as many descriptors:
        # the count alone would keep the ended program's sockets on the newcomer's number (and the table would
        # name the newcomer, and Delete close it).  Socket owners are few; their start time is one short read.
        for pid in {self.owner[i] for i in wanted if i in self.owner} - walked:
            if _start_token(self._proc, pid) != self._start_of.get(pid):
                self._walk(pid)
                walked.add(pid)
        missing = wanted - self.owner.keys() - self._unresolved
        if missing:
            # A new socket whose owner kept its descriptor count (closed one, opened another): read everyone.
            for pid in pids - walked - self.unreadable:
                if should_stop():
                    raise ScanCancelled
                self._walk(pid)
            self._unresolved = wanted - self.owner.keys()
        else:
            self._unresolved &= wanted
        return self.owner

    def _fd_count(self, pid: int) -> int | None:
        path = f"{self._proc}/{pid}/fd"
        try:
            if self._stat_counts:
                size = os.stat(path).st_size
                if size > 0:
                    return size
            return len(os.listdir(path))
        except PermissionError:
            self.unreadable.add(pid)
        except OSError:
            self._forget(pid)
        return None

    def _walk(self, pid: int) -> None:
        start = _start_token(self._proc, pid)
        try:
            dfd = os.open(f"{self._proc}/{pid}/fd", os.O_RDONLY | os.O_DIRECTORY)
        except PermissionError:
            self.unreadable.add(pid)
            self._forget(pid)
            return
        except OSError:
            self._forget(pid)
            return
        inodes: list[int] = []
        try:
            names = os.listdir(dfd)
            readlink = os.readlink
            for name in names:
                try:
                    link = readlink(name, dir_fd=dfd)
                except OSError:
                    continue
                if link.startswith("socket:[") and link.endswith("]") and _plain_number(link[8:-1], 20):
                    inodes.append(int(link[8:-1]))
        except OSError:
            self._forget(pid)
            return
        finally:
            os.close(dfd)
        self._forget(pid)
        self._fd_counts[pid] = len(names)
        self._inodes_of[pid] = inodes
        self._start_of[pid] = start
        owner = self.owner
        for inode in inodes:
            owner.setdefault(inode, pid)

    def _forget(self, pid: int) -> None:
        self._fd_counts.pop(pid, None)
        self._start_of.pop(pid, None)
        owner = self.owner
        for inode in self._inodes_of.pop(pid, ()):
            if owner.get(inode) == pid:
                del owner[inode]


def _start_token(proc: str, pid: int) -> str | None:
    """When process ``pid`` started (field 22 of /proc/<pid>/stat, as text); None when unreadable."""
    try:
        with open(f"{proc}/{pid}/stat", "rb") as f:
            data = f.read(4096)
    except OSError:
        return None
    fields = data[data.rfind(b")") + 1 :].split()  # the name in brackets may hold spaces and brackets
    return fields[19].decode("ascii", "replace") if len(fields) > 19 else None


def _plain_number(text: str, digits: int) -> bool:
    """ASCII digits only, at most ``digits`` of them (``str.isdigit`` also accepts "²" and other scripts)."""
    return 0 < len(text) <= digits and text.isascii() and text.isdigit()


def _stat_counts_fds(proc: str) -> bool:
    """Whether ``stat`` of ``/proc/<pid>/fd`` gives the number of open descriptors (Linux 6.2 and later)."""
    try:
        path = f"{proc}/self/fd"
        before = os.stat(path).st_size
        return before > 0 and before == len(os.listdir(path)) - 1  # listdir opens one descriptor itself
    except OSError:
        return False


class NetlinkSource:
    name = "netlink"

    _QUERIES = (
        (socket.AF_INET, 6),
        (socket.AF_INET6, 6),
        (socket.AF_INET, 17),
        (socket.AF_INET6, 17),
    )

    def __init__(self, proc: str = "/proc") -> None:
        self._owners = InodeOwners(proc)
        self._names = ProcessNames()
        self._labels = ProgramLabels()
        self._seq = 0
        self._buf = bytearray(1 << 18)
        self.include_files = False  # also read listening file sockets (SourceResult.files)
        self._files_before: dict[bytes, SocketRow] = {}
        self._unix = unix.Dumper()
        self._before_by_inode: dict[int, SocketRow] = {}

    def dump(self, family: int, protocol: int, out: dict[bytes, tuple[int, int]]) -> None:
        """Ask the kernel for every socket of one family and protocol (one socket per dump: a broken dump
        never leaves its rest to be read as the start of the next one)."""
        self._seq += 1
        netlink.exchange(
            build_request(family, protocol, self._seq),
            lambda data: parse_diag_messages(data, protocol, out),
            timeout=5.0,
            buf=self._buf,
            rcvbuf=1 << 20,
        )

    def _file_rows(
        self, raw: Mapping[int, tuple[str, int, int, int]], owner: Mapping[int, int], now: float
    ) -> dict[bytes, SocketRow]:
        """Rows for the dumped file sockets; an unchanged one (same socket, same owner) is the previous object."""
        out: dict[bytes, SocketRow] = {}
        before_of = self._before_by_inode.get
        owner_of = owner.get
        new: list[unix.UnixListener] = []
        for inode, info in raw.items():
            pid = owner_of(inode)
            before = before_of(inode)
            if before is not None and before.pid == pid:
                out[before.key] = before
            else:
                new.append(unix.UnixListener(info[0], inode, pid=pid))
        if new:
            made = file_rows(new, self._files_before, now, self._names, self._labels)
            out.update(made)
            by_inode = self._before_by_inode
            for u in new:
                by_inode[u.inode] = made[file_key(u.inode)]
        if len(self._before_by_inode) > len(out):
            self._before_by_inode = {inode: row for inode, row in self._before_by_inode.items() if row.key in out}
        return out

    def read(self, previous: Mapping[bytes, SocketRow], now: float, should_stop: StopCheck) -> SourceResult:
        raw: dict[bytes, tuple[int, int]] = {}
        problems: list[str] = []
        for family, protocol in self._QUERIES:
            if should_stop():
                raise ScanCancelled
            for attempt in range(1, ATTEMPTS + 1):
                part: dict[bytes, tuple[int, int]] = {}
                try:
                    self.dump(family, protocol, part)
                except NetlinkReplyError as exc:
                    if exc.code in TRANSIENT and attempt < ATTEMPTS:
                        continue
                    log.warning("incomplete socket list: %s", exc)
                    problems.append("The system's list of connections arrived incomplete; some may be missing.")
                except TimeoutError:
                    raise  # already waited long: this scan reads the slower way
                except OSError as exc:
                    if exc.errno in (errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT, errno.ENOENT):
                        break  # e.g. IPv6 or UDP diagnostics not built into this kernel
                    if exc.errno in TRANSIENT and attempt < ATTEMPTS:
                        continue
                    raise
                for key, value in part.items():
                    raw[_unique(key, raw) if key in raw else key] = value
                break
        files_raw: dict[int, tuple[str, int, int, int]] = {}
        if self.include_files:
            try:
                files_raw = self._unix.dump()
            except (OSError, unix.UnixReplyError) as exc:
                log.info("file sockets could not be read: %s", exc)
                problems.append("The list of file sockets could not be read.")
        wanted = {inode for _, inode in raw.values() if inode}
        owner = self._owners.refresh(wanted | files_raw.keys(), should_stop)
        rows: dict[bytes, SocketRow] = {}
        hidden = 0
        names = self._names
        state_names = TCP_STATE_NAMES
        for key, (state_code, inode) in raw.items():
            pid = owner.get(inode) if inode else None
            state = state_names[state_code] if key[0] == 6 and state_code < len(state_names) else "NONE"
            if pid is None and inode:
                hidden += 1
            before = previous.get(key)
            if before is not None and before.state == state and before.pid == pid:
                rows[key] = before
                continue
            proto, version, local, lport, remote, rport = decode_key(key)
            holder = names.owner(pid) if pid is not None else NO_OWNER
            name = holder.name
            label, path = self._labels.label(pid, name) if pid is not None else ("", "")
            rows[key] = SocketRow(
                key=key,
                proto=proto,
                family=version,
                local_addr=local,
                local_port=lport,
                remote_addr=remote,
                remote_port=rport,
                state=state or "NONE",
                pid=pid,
                program=name,
                first_seen=before.first_seen if before is not None else now,
                label=label,
                path=path,
                owner_start=holder.start,
                exe=holder.exe,
            )
        files: dict[bytes, SocketRow] = {}
        if files_raw:
            files = self._file_rows(files_raw, owner, now)
        self._files_before = files
        names.forget_except(self._owners.pids)
        self._labels.forget_except(self._owners.pids)
        if not self._owners.unreadable:
            hidden = 0  # sockets closed between the two reads, not hidden ones
        return SourceResult(rows, hidden, tuple(dict.fromkeys(problems)), files)  # each notice once


# ---------------------------------------------------------------------------------------------------------------


def _live_other_networks(owners: namespaces.OwnerReader) -> tuple[namespaces.Namespace, ...]:
    return namespaces.namespaces(owners=owners)


class Scanner:
    """Takes snapshots from a source; keeps the previous one to carry "first seen" and compute the diff.

    When the fast source fails with an operating-system error, that scan is taken with the portable one and
    the snapshot carries one notice; the fast source is tried again after 1, 3, 7, … scans (at most 63), and
    used again as soon as it works.
    """

    FALLBACK_NOTICE = "The fast way of reading connections failed; loopgui uses a slower way until it works again."

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
        self._other_networks = other_networks or _live_other_networks
        self._fallback = fallback
        self._previous: dict[bytes, SocketRow] = {}
        self._previous_extra: dict[bytes, SocketRow] = {}
        self._show_elsewhere = False
        self._ns_names = ProcessNames()
        self._ns_owners: InodeOwners | None = None  # made when first needed (its first walk reads every process)
        self._ns_labels = ProgramLabels()
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
        names, labels, before = self._ns_names, self._ns_labels, self._previous_extra
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
                    key = _unique(key, out)
                old = before.get(key)
                if old is not None and old.pid == x.pid:
                    out[key] = old
                    continue
                holder = names.owner(x.pid) if x.pid is not None else NO_OWNER
                label, path = labels.label(x.pid, holder.name) if x.pid is not None else ("", "")
                out[key] = SocketRow(
                    key=key,
                    proto=x.proto,
                    family=x.family,
                    local_addr=x.address,
                    local_port=x.port,
                    remote_addr="",
                    remote_port=0,
                    state="LISTEN" if x.proto == TCP else "NONE",
                    pid=x.pid,
                    program=holder.name,
                    first_seen=old.first_seen if old is not None else now,
                    label=label,
                    path=path,
                    owner_start=holder.start,
                    exe=holder.exe,
                    namespace=ns.ns_id,
                )
        alive = [r.pid for r in out.values() if r.pid is not None]
        names.forget_except(alive)
        labels.forget_except(alive)
        return out

    def scan(self, should_stop: StopCheck | None = None) -> Snapshot:
        stop = should_stop or _never
        started = time.perf_counter()
        now = time.time()
        result, used, notices = self._read(now, stop)
        diff = diff_rows(self._previous, result.rows)
        self._previous = result.rows
        extra: dict[bytes, SocketRow] = dict(result.files) if self._show_elsewhere else {}
        if self._show_elsewhere and sys.platform.startswith("linux"):
            try:
                extra.update(self._namespace_rows(now))
            except OSError as exc:
                log.info("other network namespaces could not be read: %s", exc)
        extra_diff = diff_rows(self._previous_extra, extra)
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
