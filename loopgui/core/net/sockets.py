"""Socket snapshots: immutable rows, keyed diffs and exports.

A row's *key* is raw bytes that identify one socket: protocol, address family, both ports and both
addresses exactly as the kernel reports them (see :func:`make_key`).  Scanners compare keys, and decode
to text only the rows that are new or changed.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import socket
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

TCP = "TCP"
UDP = "UDP"
UNIX = "UNIX"  # a local file socket (Unix domain socket): shown only on request, never in ``Snapshot.rows``

PROTO_CODES = {TCP: 6, UDP: 17}
FAMILY_CODES = {4: socket.AF_INET, 6: socket.AF_INET6}

# A connection without a program: the program closed it and the system finishes the goodbye by itself.
# (FIN_WAIT1 and CLOSE_WAIT without an owner: the program closed it between the two reads of a scan.)
CLOSING_STATES = frozenset({"TIME_WAIT", "FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT", "LAST_ACK", "CLOSING", "CLOSE"})
ORPHAN_STATES = CLOSING_STATES  # the one list of closing states (history and the diagnosis use it too)

_PORTS = struct.Struct("!HH")


def make_key(proto: str, family: int, local: str, lport: int, remote: str, rport: int) -> bytes:
    """Build a row key from text addresses, in the same layout the Linux netlink scanner reads.

    Layout: protocol number, address family, local port, remote port (big-endian), local and remote
    address each padded to 16 bytes.  An empty address stands for "none" (all zeros).
    """
    af = FAMILY_CODES[family]
    return (
        bytes((PROTO_CODES[proto], af))
        + _PORTS.pack(lport, rport)
        + _packed_address(af, local)
        + _packed_address(af, remote)
    )


def _packed_address(af: int, text: str) -> bytes:
    if not text:
        return bytes(16)
    return socket.inet_pton(af, text.split("%", 1)[0]).ljust(16, b"\0")


class EndpointText:
    """``local_endpoint`` and ``remote_endpoint`` written as the table writes them, for a record with the four
    address fields (a scanned :class:`SocketRow`, a recorded ``history.Span``); no remote port: no remote end."""

    __slots__ = ()
    local_addr: str
    local_port: int
    remote_addr: str
    remote_port: int

    @property
    def local_endpoint(self) -> str:
        return format_endpoint(self.local_addr, self.local_port)

    @property
    def remote_endpoint(self) -> str:
        return format_endpoint(self.remote_addr, self.remote_port) if self.remote_port else ""


@dataclass(frozen=True, slots=True)
class SocketRow(EndpointText):
    """One socket as seen in one scan.  Unknown owner: ``pid`` is None and ``program`` and ``label`` are empty.

    ``owner_start`` (the owner's start time, None when unreadable) and ``exe`` (its program file, "" when hidden)
    are read in the scan with ``pid``, the start time checked again each scan: with them a row names exactly the
    program the user saw, even after that program has ended and another one got its PID.  ``expires_at``: for a
    TIME_WAIT leftover, the moment the kernel's timer clears it (None when the source cannot tell).  ``cookie`` likewise
    names exactly the socket the user saw, not a later one with the same addresses and ports.
    """

    key: bytes
    proto: str
    family: int
    local_addr: str
    local_port: int
    remote_addr: str
    remote_port: int
    state: str
    pid: int | None
    program: str
    first_seen: float
    label: str = ""  # the program with what tells it apart: "python3 -m http.server 8000" (core.labels)
    path: str = ""  # the program file, when it can be read
    owner_start: float | None = None
    exe: str = ""
    expires_at: float | None = None  # a leftover (TIME_WAIT): when the kernel's timer frees it (time.time() clock)
    cookie: int | None = None  # the kernel's socket cookie from the scan (Linux netlink); None when not read
    namespace: int = 0  # another network namespace's id (a container's network); 0: this computer's own

    @property
    def local_endpoint(self) -> str:
        """As :class:`EndpointText` writes it; a file socket is its path (it has no port)."""
        if self.proto == UNIX:
            return self.local_addr
        return format_endpoint(self.local_addr, self.local_port)

    @property
    def elsewhere(self) -> bool:
        """A file socket or another namespace's socket: shown in the table on request only."""
        return self.proto == UNIX or self.namespace != 0

    @property
    def is_listening(self) -> bool:
        """True for servers waiting for others: TCP LISTEN and UDP sockets bound with no peer."""
        if self.proto == TCP:
            return self.state == "LISTEN"
        return not self.remote_port

    def as_dict(self) -> dict[str, object]:
        return {
            "protocol": self.proto,
            "ip_version": self.family,
            "local_address": self.local_addr,
            "local_port": self.local_port,
            "remote_address": self.remote_addr or None,
            "remote_port": self.remote_port or None,
            "state": self.state if self.state != "NONE" else None,
            "pid": self.pid,
            "program": self.program or None,
            "first_seen": datetime.fromtimestamp(self.first_seen).astimezone().isoformat(timespec="seconds"),
            **({"namespace": self.namespace} if self.namespace else {}),
        }


def format_endpoint(addr: str, port: int) -> str:
    """``127.0.0.1:80`` or ``[::1]:80``: the way browsers and most programs write them."""
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


@dataclass(frozen=True, slots=True)
class SnapshotDiff:
    """What changed between two snapshots, by key."""

    added: frozenset[bytes] = frozenset()
    removed: frozenset[bytes] = frozenset()
    changed: frozenset[bytes] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_rows(old: Mapping[bytes, SocketRow], new: Mapping[bytes, SocketRow]) -> SnapshotDiff:
    """Keyed diff.  Scanners reuse unchanged row objects, so the identity test settles most rows."""
    old_keys = old.keys()
    new_keys = new.keys()
    added = frozenset(new_keys - old_keys)
    removed = frozenset(old_keys - new_keys)
    changed = []
    for key, row in new.items():
        before = old.get(key)
        if before is not None and before is not row and before != row:
            changed.append(key)
    return SnapshotDiff(added, removed, frozenset(changed))


class ScanProblemCode(str, enum.Enum):
    """What a scan could not do (``core/words/scan.py`` says it)."""

    INCOMPLETE = "incomplete"  # the system's list of connections arrived incomplete: some may be missing
    FILE_SOCKETS_UNREADABLE = "file_sockets_unreadable"  # the list of file (Unix) sockets could not be read
    FALLBACK = "fallback"  # the fast way of reading connections failed; a slower way is used until it works again
    OTHERS_REFUSED = "others_refused"  # programs of other users or the system refused (count): not listed


@dataclass(frozen=True, slots=True)
class ScanProblem:
    """A note about one scan: its code, and for OTHERS_REFUSED how many programs refused."""

    code: ScanProblemCode
    count: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code.value, **({"count": self.count} if self.count else {})}


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every socket at one moment, plus what the scan could not see.

    ``rows`` is read-only.  ``diff`` is relative to the snapshot the same scanner produced before (everything
    is "added" in the first one).  ``hidden_sockets`` counts sockets whose owner could not be read because
    it belongs to another user or the system; ``problems`` are notes about the scan (codes, said by words/scan.py).

    ``extra`` (with its own ``extra_diff``) holds file sockets and other namespaces' sockets when the scanner was
    asked for them (the table's switch); they are never in ``rows``, which every explanation reads.
    """

    rows: Mapping[bytes, SocketRow]
    taken_at: float
    duration: float
    diff: SnapshotDiff = field(default_factory=SnapshotDiff)
    hidden_sockets: int = 0
    problems: tuple[ScanProblem, ...] = ()
    source: str = ""
    extra: Mapping[bytes, SocketRow] = field(default_factory=lambda: MappingProxyType({}))
    extra_diff: SnapshotDiff = field(default_factory=SnapshotDiff)

    @property
    def table_rows(self) -> Mapping[bytes, SocketRow]:
        """What the table can show: ``rows``, and ``extra`` when there are any (their keys never collide)."""
        if not self.extra and self.extra_diff.empty:
            return self.rows
        return MappingProxyType({**self.rows, **self.extra})

    @property
    def table_diff(self) -> SnapshotDiff:
        if self.extra_diff.empty:
            return self.diff
        d, e = self.diff, self.extra_diff
        return SnapshotDiff(d.added | e.added, d.removed | e.removed, d.changed | e.changed)

    @staticmethod
    def of(
        rows: dict[bytes, SocketRow],
        *,
        taken_at: float,
        duration: float,
        diff: SnapshotDiff | None = None,
        hidden_sockets: int = 0,
        problems: tuple[ScanProblem, ...] = (),
        source: str = "",
        extra: dict[bytes, SocketRow] | None = None,
        extra_diff: SnapshotDiff | None = None,
    ) -> Snapshot:
        """A snapshot over a read-only view of ``rows`` (the caller hands the dict over and keeps no reference)."""
        return Snapshot(
            rows=MappingProxyType(rows),
            taken_at=taken_at,
            duration=duration,
            diff=diff if diff is not None else SnapshotDiff(),
            hidden_sockets=hidden_sockets,
            problems=problems,
            source=source,
            extra=MappingProxyType(extra or {}),
            extra_diff=extra_diff if extra_diff is not None else SnapshotDiff(),
        )


EXPORT_FIELDS = (
    "protocol",
    "ip_version",
    "local_address",
    "local_port",
    "remote_address",
    "remote_port",
    "state",
    "pid",
    "program",
    "first_seen",
)


def rows_to_csv(rows: Iterable[SocketRow]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.as_dict().items()})
    return out.getvalue()


def rows_to_json(rows: Iterable[SocketRow]) -> str:
    return json.dumps([row.as_dict() for row in rows], indent=2, ensure_ascii=False) + "\n"


def cells_to_tsv(headers: list[str], cells: list[list[str]]) -> str:
    """Tab-separated text for the clipboard: a header line, then one line per row (cells as shown)."""
    lines = ["\t".join(headers)]
    lines.extend("\t".join(c.replace("\t", " ").replace("\n", " ") for c in line) for line in cells)
    return "\n".join(lines) + "\n"
