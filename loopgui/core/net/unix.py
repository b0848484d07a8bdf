"""Local file sockets (Unix domain sockets) that wait for connections, with their path and owner.

Many servers can listen on a file instead of a network port: PostgreSQL's ``.s.PGSQL.5432``, MySQL's
``mysqld.sock``, Docker's ``docker.sock``, X's ``/tmp/.X11-unix/X0``.  On Linux they are read the fast way (one
``NETLINK_SOCK_DIAG`` dump for AF_UNIX with ``UNIX_DIAG_NAME`` and ``UNIX_DIAG_VFS``), owners by socket inode from
``/proc/<pid>/fd`` as the scanner does; elsewhere ``psutil.net_connections(kind="unix")``.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import psutil

from loopgui.core.net import netlink
from loopgui.core.net.netlink import (
    NLM_F_DUMP,
    NLM_F_REQUEST,
    NLMSG_DONE,
    NLMSG_ERROR,
    NLMSGHDR,
    RTATTR,
    SOCK_DIAG_BY_FAMILY,
    TCP_LISTEN,
    UDIAG_SHOW_NAME,
    UDIAG_SHOW_VFS,
    UNIX_DIAG_MSG,
    UNIX_DIAG_NAME,
    UNIX_DIAG_REQ,
    UNIX_DIAG_VFS,
    UNIX_DIAG_VFS_STRUCT,
)
from loopgui.core.net.owners import InodeOwners
from loopgui.core.text.plaintext import shown

log = logging.getLogger("loopgui.unix")

MAX_NAME = 108  # sun_path is 108 bytes
MAX_SOCKETS = 200_000  # a bound on what one dump keeps, whatever the kernel sends

_KINDS: dict[int, str] = {
    int(socket.SOCK_STREAM): "stream",
    int(socket.SOCK_DGRAM): "datagram",
    int(socket.SOCK_SEQPACKET): "seqpacket",
}


@dataclass(frozen=True, slots=True)
class UnixListener:
    """One file socket waiting for connections.

    ``path``: the socket file (``/run/postgresql/.s.PGSQL.5432``), or ``@name`` for an abstract socket (no file;
    Linux only), or "" when it has no name.  ``inode``: the socket's own inode (the key owners are found by);
    ``file_inode``/``file_dev``: the socket file on disk (0 when unknown).  ``pid`` None: owner hidden or unknown.
    """

    path: str
    inode: int
    kind: str = "stream"
    pid: int | None = None
    program: str = ""
    file_inode: int = 0
    file_dev: int = 0

    @property
    def abstract(self) -> bool:
        return self.path.startswith("@")

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "abstract": self.abstract,
            "kind": self.kind,
            "inode": self.inode,
            "pid": self.pid,
            "program": self.program or None,
        }


# -- Linux: sock_diag ------------------------------------------------------------------------------------------


class UnixReplyError(Exception):
    """The kernel's reply could not be read completely."""


def build_unix_request(seq: int, states: int = 1 << TCP_LISTEN) -> bytes:
    payload = UNIX_DIAG_REQ.pack(socket.AF_UNIX, 0, 0, states, 0, UDIAG_SHOW_NAME | UDIAG_SHOW_VFS, 0, 0)
    header = NLMSGHDR.pack(NLMSGHDR.size + len(payload), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq, 0)
    return header + payload


def decode_name(raw: bytes) -> str:
    """A socket name as text: a path, or ``@name`` for an abstract one (its leading NUL); never control characters."""
    raw = raw[:MAX_NAME]
    if raw[:1] == b"\0":
        return "@" + shown(raw[1:].rstrip(b"\0").decode("utf-8", "replace"))
    text = raw.split(b"\0", 1)[0].decode("utf-8", "replace")
    return text if text.isprintable() else shown(text)


Parsed = tuple[int, tuple[str, int, int, int]]  # inode, (name, type, file inode, file device)


def parse_unix_messages(
    buf: bytes,
    out: dict[int, tuple[str, int, int, int]],
    known: dict[bytes, Parsed] | None = None,
    seen: dict[bytes, Parsed] | None = None,
) -> bool:
    """Add the sockets of one netlink datagram to ``out`` (inode -> (name, type, file inode, file device)).

    True when the datagram ends the dump.  Raises :class:`UnixReplyError` for an error message or one cut short;
    what was read before stays in ``out``.  Linear in the datagram's size.  ``known``: messages parsed in the
    previous dump (a socket's message is the same bytes each time), ``seen`` collects this dump's for the next.
    """
    end = len(buf)
    off = 0
    hdr = NLMSGHDR.unpack_from
    msg = UNIX_DIAG_MSG.unpack_from
    rta = RTATTR.unpack_from
    vfs = UNIX_DIAG_VFS_STRUCT.unpack_from
    msg_size = UNIX_DIAG_MSG.size
    while off + 16 <= end:
        length, kind, _flags, _seq, _pid = hdr(buf, off)
        if length < 16 or off + length > end:
            raise UnixReplyError(f"netlink message of {length} bytes at offset {off} of {end}")
        if kind == SOCK_DIAG_BY_FAMILY:
            if known is not None and seen is not None:
                whole = buf[off : off + length]
                hit = known.get(whole)
                if hit is not None:
                    seen[whole] = hit
                    out[hit[0]] = hit[1]  # bounded by the datagram's size; the dump's total by Dumper
                    off += (length + 3) & ~3
                    continue
            if length < 16 + msg_size:
                raise UnixReplyError(f"file socket message of {length} bytes is too short")
            _family, stype, _state, _pad, inode, _c0, _c1 = msg(buf, off + 16)
            name = ""
            vfs_ino = vfs_dev = 0
            attr = off + 16 + msg_size
            stop = off + length
            while attr + 4 <= stop:
                alen, atype = rta(buf, attr)
                if alen < 4 or attr + alen > stop:
                    break
                if atype == UNIX_DIAG_NAME:
                    name = decode_name(buf[attr + 4 : attr + alen])
                elif atype == UNIX_DIAG_VFS and alen >= 12:
                    vfs_ino, vfs_dev = vfs(buf, attr + 4)
                attr += (alen + 3) & ~3
            if len(out) < MAX_SOCKETS:
                out[inode] = (name, stype, vfs_ino, vfs_dev)
            if seen is not None:
                seen[bytes(buf[off : off + length])] = (inode, (name, stype, vfs_ino, vfs_dev))
        elif kind == NLMSG_DONE:
            return True
        elif kind == NLMSG_ERROR:
            code = int.from_bytes(buf[off + 16 : off + 20], sys.byteorder, signed=True) if length >= 20 else 0
            raise UnixReplyError(f"the kernel refused the file socket list (error {-code})")
        off += (length + 3) & ~3
    return False


class Dumper:
    """Dumps again and again, reusing what the previous dump parsed (the scanner keeps one)."""

    def __init__(self) -> None:
        self._known: dict[bytes, Parsed] = {}
        self._buf = bytearray(1 << 18)

    def dump(self, timeout: float = 5.0) -> dict[int, tuple[str, int, int, int]]:
        out: dict[int, tuple[str, int, int, int]] = {}
        seen: dict[bytes, Parsed] = {}
        known = self._known
        netlink.exchange(
            build_unix_request(1),
            lambda data: parse_unix_messages(data, out, known, seen),
            timeout=timeout,
            buf=self._buf,
            rcvbuf=1 << 20,
        )
        self._known = seen
        if len(out) > MAX_SOCKETS:
            out = dict(list(out.items())[:MAX_SOCKETS])
        return out


def dump_unix(*, timeout: float = 5.0) -> dict[int, tuple[str, int, int, int]]:
    """Every listening AF_UNIX socket of this network namespace: inode -> (name, type, file inode, device)."""
    return Dumper().dump(timeout)


OwnerReader = Callable[[set[int]], Mapping[int, int]]
NameReader = Callable[[int], str]


def _live_owners(wanted: set[int]) -> Mapping[int, int]:
    return InodeOwners().refresh(wanted)


def _live_name(pid: int) -> str:
    try:
        return shown(str(psutil.Process(pid).name()))
    except (psutil.Error, OSError):
        return ""


def listeners_from_dump(
    raw: Mapping[int, tuple[str, int, int, int]],
    owners: Mapping[int, int],
    name_of: NameReader,
) -> tuple[UnixListener, ...]:
    """Rows from a dump and an inode -> PID map, named sockets first, sorted by path."""
    names: dict[int, str] = {}
    found: list[UnixListener] = []
    for inode, (name, stype, vfs_ino, vfs_dev) in raw.items():
        pid = owners.get(inode)
        if pid is not None and pid not in names:
            names[pid] = name_of(pid)
        found.append(
            UnixListener(
                path=name,
                inode=inode,
                kind=_KINDS.get(stype, "stream"),
                pid=pid,
                program=names.get(pid, "") if pid is not None else "",
                file_inode=vfs_ino,
                file_dev=vfs_dev,
            )
        )
    found.sort(key=lambda u: (not u.path, u.path, u.inode))
    return tuple(found)


def _netlink_listeners(owners: OwnerReader, name_of: NameReader) -> tuple[UnixListener, ...]:
    raw = dump_unix()
    return listeners_from_dump(raw, owners(set(raw)), name_of)


# -- elsewhere: psutil -----------------------------------------------------------------------------------------


def _psutil_listeners() -> tuple[UnixListener, ...]:
    """psutil cannot tell a listening file socket from a connected one; a named socket without a peer stands in."""
    found: list[UnixListener] = []
    try:
        conns = psutil.net_connections(kind="unix")
    except (psutil.Error, OSError) as exc:
        log.info("cannot list file sockets: %s", exc)
        return ()
    for n, c in enumerate(conns):
        path = c.laddr if isinstance(c.laddr, str) else ""
        if not path or c.raddr:
            continue
        found.append(
            UnixListener(
                path=shown(path),
                inode=-(n + 1),  # psutil gives no inode: a number that only tells these rows apart
                kind=_KINDS.get(int(c.type), "stream"),
                pid=c.pid,
                program=_live_name(c.pid) if c.pid is not None else "",
            )
        )
    found.sort(key=lambda u: (u.path, u.inode))
    return tuple(found)


def unix_listeners(
    *,
    owners: OwnerReader | None = None,
    name_of: NameReader | None = None,
    platform: str = sys.platform,
) -> tuple[UnixListener, ...]:
    """Every file socket waiting for connections on this computer (this network namespace), with its owner.

    Linux: sock_diag (psutil when the kernel refuses it); elsewhere psutil.  Never raises for a system that says no:
    what cannot be read is left out.
    """
    if platform.startswith("linux"):
        try:
            return _netlink_listeners(owners or _live_owners, name_of or _live_name)
        except (OSError, UnixReplyError) as exc:
            log.info("file sockets through sock_diag failed (%s); asking psutil", exc)
    return _psutil_listeners()
