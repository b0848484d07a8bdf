"""What every scanner source shares: its result type and the one row builder.

:class:`RowBuilder` turns (key, state, owner PID) into :class:`SocketRow` for both sources.  It keeps the previous
row when nothing about the socket changed, decodes addresses through a small cache (a machine has few distinct
addresses and many sockets), looks each owner's name, label and identity up once per scan, and builds rows without
the frozen dataclass's per-field ``object.__setattr__`` calls (see :func:`new_row`).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Protocol

from loopgui.core.net.sockets import TCP, UDP, ScanProblem, SnapshotDiff, SocketRow
from loopgui.core.programs.labels import ProgramLabels
from loopgui.core.programs.processes import NO_OWNER, ProcessNames

StopCheck = Callable[[], bool]


def never() -> bool:
    return False


class ScanCancelled(Exception):
    """The scan was asked to stop (the window is closing)."""


@dataclass(frozen=True, slots=True)
class SourceResult:
    """``diff``: the source's own diff against the ``previous`` rows it was given, when it kept track (saves the
    scanner comparing every row again); None: the scanner computes it."""

    rows: dict[bytes, SocketRow]
    hidden_sockets: int = 0
    problems: tuple[ScanProblem, ...] = ()
    diff: SnapshotDiff | None = None
    files: dict[bytes, SocketRow] = field(default_factory=dict)  # listening file sockets, when asked for


class SocketSource(Protocol):
    name: str

    def read(self, previous: Mapping[bytes, SocketRow], now: float, should_stop: StopCheck) -> SourceResult: ...


# -- building rows cheaply -----------------------------------------------------------------------------------------


# The order in which :class:`RowBuilder` passes a row's fields to ``_make_row`` (positional arguments cost about half
# of keyword ones, and a scan builds tens of thousands of rows at first).  Checked against SocketRow's fields when
# this module loads, so a field added there cannot be filled with the wrong value.
_ROW_ORDER = (
    "key",
    "proto",
    "family",
    "local_addr",
    "local_port",
    "remote_addr",
    "remote_port",
    "state",
    "pid",
    "program",
    "first_seen",
    "label",
    "path",
    "owner_start",
    "exe",
    "expires_at",
    "cookie",
)


def _unfrozen_twin(positional: tuple[str, ...] = ()) -> type:
    """A sibling of SocketRow with the same slots that assigns fields the plain way.  ``new_row`` fills one and then
    makes it a real SocketRow (``__class__`` assignment, allowed because the two have the same layout): the same
    object ``SocketRow(...)`` would give, frozen from then on, at a fifth of the cost (the generated frozen
    ``__init__`` calls ``object.__setattr__`` once per field).  Written from the dataclass's own fields, so a field
    added to SocketRow is filled here too (with its default when not given).  ``positional``: these fields are
    positional parameters, in this order, and every other field takes its default."""
    every = {f.name: f for f in fields(SocketRow)}
    if len(set(positional)) != len(positional) or not set(positional) <= every.keys():
        raise TypeError("the positional fields do not match SocketRow's fields")
    params: list[str] = []
    body: list[str] = []
    defaults: dict[str, Any] = {}
    for f in every.values():
        if f.default_factory is not MISSING:
            raise TypeError("new_row does not handle default factories")  # pragma: no cover - none today
        if f.default is not MISSING:
            defaults[f"_d_{f.name}"] = f.default
        elif positional and f.name not in positional:
            raise TypeError(f"SocketRow's field {f.name} has no default and is not given")
        if not positional:
            params.append(f"{f.name}=_d_{f.name}" if f.default is not MISSING else f.name)
        body.append(f"    self.{f.name} = {f.name if f.name in positional or not positional else f'_d_{f.name}'}")
    head = ", ".join(positional) if positional else f"*, {', '.join(params)}"
    source = f"def __init__(self, {head}):\n" + "\n".join(body) + "\n    self.__class__ = _Row\n"
    namespace: dict[str, Any] = {"_Row": SocketRow, **defaults}
    exec(source, namespace)  # the source is built above from the dataclass's field names only
    # Same bases and the same slots, in the same order, as SocketRow: the layouts match, so the class can change.
    return type(
        "_RowUnderConstruction",
        SocketRow.__bases__,
        {"__slots__": SocketRow.__slots__, "__init__": namespace["__init__"]},
    )


new_row: Callable[..., SocketRow] = _unfrozen_twin()
"""Build a SocketRow from keyword arguments, about five times faster than ``SocketRow(...)``; same result."""
_make_row: Callable[..., SocketRow] = _unfrozen_twin(_ROW_ORDER)


_PORTS = struct.Struct("!HH")
_unpack_ports = _PORTS.unpack_from
_AF_INET, _AF_INET6 = int(socket.AF_INET), int(socket.AF_INET6)
_TCP, _UDP = TCP, UDP


class AddressText:
    """Row-key addresses as text, through a cache (bounded; cleared when it grows past ``limit``)."""

    def __init__(self, limit: int = 1 << 16) -> None:
        self._v4: dict[bytes, str] = {}
        self._v6: dict[bytes, str] = {}
        self._limit = limit

    def decode(self, key: bytes) -> tuple[str, int, str, int, str, int]:
        """(protocol, ip version, local address, local port, remote address, remote port) from a row key."""
        lport, rport = _unpack_ports(key, 2)
        proto = _TCP if key[0] == 6 else _UDP
        if key[1] == _AF_INET:
            cache, af, version, end, rstart, rend = self._v4, _AF_INET, 4, 10, 22, 26
        else:
            cache, af, version, end, rstart, rend = self._v6, _AF_INET6, 6, 22, 22, 38
        raw = key[6:end]
        local = cache.get(raw) or self._add(cache, af, raw)
        if not rport:
            return proto, version, local, lport, "", 0
        raw = key[rstart:rend]
        return proto, version, local, lport, cache.get(raw) or self._add(cache, af, raw), rport

    def _add(self, cache: dict[bytes, str], af: int, raw: bytes) -> str:
        if len(cache) >= self._limit:
            cache.clear()
        text = cache[raw] = socket.inet_ntop(af, raw)
        return text


_ADDRESSES = AddressText()


def decode_key(key: bytes) -> tuple[str, int, str, int, str, int]:
    """(protocol, ip version, local address, local port, remote address, remote port) from a row key."""
    return _ADDRESSES.decode(key)


_NO_FACTS: tuple[str, str, str, float | None, str] = (NO_OWNER.name, "", "", NO_OWNER.start, NO_OWNER.exe)


class RowBuilder:
    """The one way both sources make rows.  Call :meth:`start` at the beginning of each scan, :meth:`row` per socket
    and :meth:`finish` with the PIDs still alive."""

    def __init__(self) -> None:
        self.names = ProcessNames()
        self.labels = ProgramLabels()
        self._owners: dict[int, tuple[str, str, str, float | None, str]] = {}  # this scan's, by PID
        self.addresses = _ADDRESSES

    def start(self) -> None:
        self._owners = {}

    def owner(self, pid: int) -> tuple[str, str, str, float | None, str]:
        """(name, label, program file, start time, exe) of ``pid``, read once per scan."""
        found = self._owners.get(pid)
        if found is None:
            holder = self.names.owner(pid)
            label, path = self.labels.label(pid, holder.name)
            found = self._owners[pid] = (holder.name, label, path, holder.start, holder.exe)
        return found

    def _facts(self, pid: int | None) -> tuple[str, str, str, float | None, str]:
        if pid is None:
            return _NO_FACTS
        found = self._owners.get(pid)
        return found if found is not None else self.owner(pid)

    def row(
        self,
        key: bytes,
        state: str,
        pid: int | None,
        previous: SocketRow | None,
        now: float,
        text: tuple[str, int, str, int, str, int] | None = None,
        *,
        cookie: int | None = None,
        expires_at: float | None = None,
    ) -> SocketRow:
        """The row for one socket: ``previous`` itself when its state and owner are the same.  ``text``: the decoded
        key when the source has it (psutil), else it is decoded from the key."""
        if previous is not None and previous.state == state and previous.pid == pid and previous.cookie == cookie:
            return previous
        proto, version, local, lport, remote, rport = text if text is not None else self.addresses.decode(key)
        name, label, path, start, exe = self._facts(pid)
        return _make_row(
            key,
            proto,
            version,
            local,
            lport,
            remote if rport else "",
            rport,
            state,
            pid,
            name,
            previous.first_seen if previous is not None else now,
            label,
            path,
            start,
            exe,
            expires_at,
            cookie,
        )

    def listener(
        self,
        key: bytes,
        proto: str,
        family: int,
        address: str,
        port: int,
        state: str,
        pid: int | None,
        previous: SocketRow | None,
        now: float,
        namespace: int = 0,
    ) -> SocketRow:
        """The row for a listener shown on request only (a file socket, another network namespace's socket):
        ``previous`` itself when the same program holds it, else a new row with the owner's facts."""
        if previous is not None and previous.pid == pid:
            return previous
        name, label, path, start, exe = self._facts(pid)
        return new_row(
            key=key,
            proto=proto,
            family=family,
            local_addr=address,
            local_port=port,
            remote_addr="",
            remote_port=0,
            state=state,
            pid=pid,
            program=name,
            first_seen=previous.first_seen if previous is not None else now,
            label=label,
            path=path,
            owner_start=start,
            exe=exe,
            namespace=namespace,
        )

    def finish(self, alive: Iterable[int]) -> None:
        keep = set(alive)
        self.names.forget_except(keep)
        self.labels.forget_except(keep)
        self._owners = {}
