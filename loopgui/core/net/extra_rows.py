"""Table rows for sockets shown on request only: listening file sockets (``UNIX``) and other network namespaces'
listeners (a container's network).  They never go into ``Snapshot.rows``: explanations, history, watching and
closing see exactly the computer's own network sockets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from loopgui.core.net import unix
from loopgui.core.net.rows import RowBuilder
from loopgui.core.net.sockets import UNIX, SocketRow


def file_key(inode: int) -> bytes:
    """A file socket's row key: never the start of a TCP/UDP key (those start with protocol number 6 or 17)."""
    return b"\x00U" + inode.to_bytes(8, "big", signed=True)


def namespace_key(ns: int, inner: bytes) -> bytes:
    """Another namespace's socket: its id, then the key the socket has there."""
    return b"\x00N" + ns.to_bytes(8, "big") + inner


class FileRows:
    """Rows for listening file sockets, the owner columns filled as for network sockets; an unchanged row (same
    socket, same owner) is the previous object."""

    def __init__(self) -> None:
        self._build = RowBuilder()
        self._before: dict[bytes, SocketRow] = {}
        self._before_by_inode: dict[int, SocketRow] = {}

    def _rows(self, listeners: Iterable[Any], now: float) -> dict[bytes, SocketRow]:
        out: dict[bytes, SocketRow] = {}
        build = self._build
        build.start()
        for u in listeners:
            key = file_key(u.inode)
            out[key] = build.listener(key, UNIX, 0, u.path, 0, "LISTEN", u.pid, self._before.get(key), now)
        return out

    def from_listeners(self, listeners: Iterable[Any], now: float) -> dict[bytes, SocketRow]:
        """Rows from :class:`loopgui.core.net.unix.UnixListener` objects (the portable reader)."""
        out = self._rows(listeners, now)
        self._finish(out)
        return out

    def from_dump(
        self, raw: Mapping[int, tuple[str, int, int, int]], owner: Mapping[int, int], now: float
    ) -> dict[bytes, SocketRow]:
        """Rows for the dumped file sockets (inode -> (path, …)), owners by socket inode."""
        out: dict[bytes, SocketRow] = {}
        before_of = self._before_by_inode.get
        new: list[unix.UnixListener] = []
        for inode, info in raw.items():
            pid = owner.get(inode)
            before = before_of(inode)
            if before is not None and before.pid == pid:
                out[before.key] = before
            else:
                new.append(unix.UnixListener(info[0], inode, pid=pid))
        if new:
            made = self._rows(new, now)
            out.update(made)
        self._finish(out)
        return out

    def _finish(self, rows: dict[bytes, SocketRow]) -> None:
        self._before = rows
        self._before_by_inode = {int.from_bytes(k[2:], "big", signed=True): r for k, r in rows.items()}
        self._build.finish(r.pid for r in rows.values() if r.pid is not None)

    def clear(self) -> None:
        self._finish({})
