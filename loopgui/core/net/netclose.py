"""Closing one TCP connection without closing the program that holds it.

* Linux: the kernel's socket diagnostics can destroy a socket (``SOCK_DESTROY``, netlink message type 21, with an
  ``inet_diag_req_v2`` naming the exact addresses and ports).  It needs CAP_NET_ADMIN (administrator rights); the
  program then sees its connection aborted (ECONNABORTED) and the other side gets a reset.  The socket is named by
  its kernel cookie: the one the scan the user looked at read (``SocketRow.cookie``), so neither a listener on the
  same port nor a newer connection that reuses the same addresses and ports can be hit instead.
* Windows: ``SetTcpEntry`` with ``MIB_TCP_STATE_DELETE_TCB`` (IPv4 only; administrator).
* macOS offers no way: loopgui says so and offers closing the program instead.

Without the rights loopgui says so and shows the command a person can run themselves (``sudo ss -K …``); it never
elevates itself.  Only the callers in :mod:`loopgui.core.programs.actions` and the UI's close flow use this module.
"""

from __future__ import annotations

import ctypes
import enum
import errno
import ipaddress
import logging
import os
import shlex
import socket
import struct
import sys
from dataclasses import dataclass

from loopgui.core.net import netlink
from loopgui.core.net.netlink import INET_DIAG_NOCOOKIE, TCP_ESTABLISHED
from loopgui.core.net.sockets import format_endpoint

log = logging.getLogger("loopgui.netclose")


class BadPart(str, enum.Enum):
    """Which part of a :class:`Connection` is not what it must be."""

    ADDRESS = "address"  # not an address of the connection's family (value, family)
    PORT = "port"  # not a port number (value)
    COOKIE = "cookie"  # not a socket cookie (value)


class BadConnection(ValueError):
    """A connection that cannot be named exactly: which part, its value (``core/words/close.py`` says it)."""

    def __init__(self, part: BadPart, value: str, family: int = 0) -> None:
        super().__init__(part.value, value)
        self.part, self.value, self.family = part, value, family


@dataclass(frozen=True, slots=True)
class Connection:
    """One TCP connection as the table shows it: this computer's end (local) and the other end (remote).

    ``cookie`` is the kernel's socket cookie read in the scan the user looked at (None when the scan could not
    read one): with it loopgui destroys that very socket and never a later one that reuses its addresses.
    """

    family: int  # 4 or 6
    local: str
    local_port: int
    remote: str
    remote_port: int
    cookie: int | None = None

    def __post_init__(self) -> None:
        for addr in (self.local, self.remote):
            try:
                parsed = ipaddress.ip_address(addr.split("%", 1)[0])
            except ValueError:
                raise BadConnection(BadPart.ADDRESS, addr, self.family) from None
            if parsed.version != self.family:
                raise BadConnection(BadPart.ADDRESS, addr, self.family)
        for port in (self.local_port, self.remote_port):
            if not 0 < port < 65536:
                raise BadConnection(BadPart.PORT, str(port))
        if self.cookie is not None and not 0 <= self.cookie < 1 << 64:
            raise BadConnection(BadPart.COOKIE, str(self.cookie))

    @property
    def af(self) -> int:
        return socket.AF_INET if self.family == 4 else socket.AF_INET6

    @property
    def local_endpoint(self) -> str:
        return format_endpoint(self.local, self.local_port)

    @property
    def remote_endpoint(self) -> str:
        return format_endpoint(self.remote, self.remote_port)

    def as_dict(self) -> dict[str, object]:
        return {
            "local": self.local_endpoint,
            "remote": self.remote_endpoint,
            "cookie": self.cookie,
        }


class ConnectionCode(str, enum.Enum):
    """What became of a request to close one connection (stable codes, see docs/JSON.md)."""

    CLOSED = "closed"
    ALREADY_ENDED = "already_ended"  # nothing uses those addresses and ports any more
    REPLACED = "replaced"  # the connection ended; a new one (left alone) uses the same addresses and ports
    NEEDS_ADMIN = "needs_admin"  # evidence: retry_command (Linux) or run_as_admin (Windows)
    UNSUPPORTED = "unsupported"  # this kernel or system cannot close single connections: close the program instead
    IPV6_UNSUPPORTED = "ipv6_unsupported"  # Windows closes single IPv4 connections only
    REFUSED = "refused"  # the system refused; evidence: error


@dataclass(frozen=True, slots=True)
class ConnectionResult:
    code: ConnectionCode
    connection: Connection
    retry_command: str = ""  # the command a person may run with administrator rights
    error: str = ""  # the system's own error text
    system: str = ""  # "linux", "win32", "darwin"

    @property
    def closed(self) -> bool:
        return self.code is ConnectionCode.CLOSED

    @property
    def gone(self) -> bool:
        return self.code in (ConnectionCode.ALREADY_ENDED, ConnectionCode.REPLACED)

    @property
    def offer_program(self) -> bool:
        """This system cannot close single connections: offer closing the program instead."""
        return self.code is ConnectionCode.UNSUPPORTED

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code.value,
            "connection": self.connection.as_dict(),
            "retry_command": self.retry_command or None,
            "error": self.error or None,
        }


def elevated_command(conn: Connection) -> str:
    """The ``ss`` command that closes exactly this connection, for a person to run with administrator rights."""

    def addr(a: str) -> str:
        plain = str(ipaddress.ip_address(a.split("%", 1)[0]))
        return shlex.quote(f"[{plain}]" if conn.family == 6 else plain)

    return (
        f"sudo ss -K src {addr(conn.local)} sport = {int(conn.local_port)} "
        f"dst {addr(conn.remote)} dport = {int(conn.remote_port)}"
    )


def _packed(conn: Connection, address: str) -> bytes:
    return socket.inet_pton(conn.af, address.split("%", 1)[0])


def build_sockid(conn: Connection, cookie: bytes = INET_DIAG_NOCOOKIE, ifindex: int = 0) -> bytes:
    """The 48-byte ``inet_diag_sockid`` naming this connection (src/sport = this computer's end)."""
    return netlink.sockid(
        conn.local_port, conn.remote_port, _packed(conn, conn.local), _packed(conn, conn.remote), ifindex, cookie
    )


def build_destroy(conn: Connection, cookie: bytes, seq: int = 1, ifindex: int = 0) -> bytes:
    return netlink.request(
        netlink.SOCK_DESTROY,
        netlink.NLM_F_REQUEST | netlink.NLM_F_ACK,
        conn.af,
        socket.IPPROTO_TCP,
        1 << TCP_ESTABLISHED,
        seq,
        build_sockid(conn, cookie, ifindex),
    )


def build_established_dump(family: int, seq: int = 1) -> bytes:
    return netlink.build_request(family, socket.IPPROTO_TCP, seq, 1 << TCP_ESTABLISHED)


def find_in_dump(buf: bytes, conn: Connection) -> tuple[bytes, int] | bool | None:
    """Look for the connection in one netlink datagram of an established-sockets dump.

    Returns (cookie, interface index) when found, True when the dump ended without it, None to read on.
    """
    return netlink.find_socket(buf, build_sockid(conn)[:36])


_ack_error = netlink.ack_error


def _not_allowed(conn: Connection) -> ConnectionResult:
    return ConnectionResult(ConnectionCode.NEEDS_ADMIN, conn, retry_command=elevated_command(conn), system="linux")


def cookie_bytes(cookie: int) -> bytes:
    """The 8 bytes of ``idiag_cookie`` as the scanner read them (two u32 in host order)."""
    return struct.pack("=Q", cookie)


def linux_close(conn: Connection, timeout: float = 3.0) -> ConnectionResult:
    """Find the connection by its addresses and ports; destroy it only if it is the socket the scan saw.

    The destroy request carries that socket's cookie, and the kernel checks it again itself (ESTALE when another
    socket now has those addresses), so a connection that replaced it between the dump and the destroy is safe too.
    """
    found: tuple[bytes, int] | None = None

    def look(data: bytes) -> bool:
        nonlocal found
        step = find_in_dump(data, conn)
        if isinstance(step, tuple):
            found = step  # the rest of the dump is dropped with this socket
            return True
        return step is True

    netlink.exchange(build_established_dump(conn.af, 1), look, timeout=timeout, buf=bytearray(1 << 16))
    if found is None:
        return ConnectionResult(ConnectionCode.ALREADY_ENDED, conn, system="linux")
    cookie, ifindex = found
    if conn.cookie is not None and cookie != cookie_bytes(conn.cookie):
        return ConnectionResult(ConnectionCode.REPLACED, conn, system="linux")
    ack = netlink.exchange(
        build_destroy(conn, cookie, 2, ifindex), lambda _data: True, timeout=timeout, buf=bytearray(1 << 16)
    )
    code = _ack_error(ack)
    if code == 0:
        return ConnectionResult(ConnectionCode.CLOSED, conn, system="linux")
    if code in (errno.EPERM, errno.EACCES):
        return _not_allowed(conn)
    if code == errno.ENOENT:
        return ConnectionResult(ConnectionCode.ALREADY_ENDED, conn, system="linux")
    if code == errno.ESTALE:  # the socket under those addresses is not the one found a moment ago
        return ConnectionResult(ConnectionCode.REPLACED, conn, system="linux")
    if code == errno.EOPNOTSUPP:
        return ConnectionResult(ConnectionCode.UNSUPPORTED, conn, system="linux")
    return ConnectionResult(ConnectionCode.REFUSED, conn, error=os.strerror(code), system="linux")


# -- Windows -----------------------------------------------------------------------------------------------------

MIB_TCP_STATE_DELETE_TCB = 12
ERROR_ACCESS_DENIED = 5
ERROR_MR_MID_NOT_FOUND = 317  # what SetTcpEntry answers without administrator rights


def tcprow_values(conn: Connection) -> tuple[int, int, int, int, int]:
    """The MIB_TCPROW fields: state, local address, local port, remote address, remote port (network byte
    order in the DWORDs, as the API wants them)."""
    if conn.family != 4:
        raise ValueError("SetTcpEntry only handles IPv4 connections")

    def addr(a: str) -> int:
        return int(struct.unpack("=I", socket.inet_aton(a))[0])

    def port(p: int) -> int:
        return int(struct.unpack("=H", struct.pack("!H", p))[0])

    return (
        MIB_TCP_STATE_DELETE_TCB,
        addr(conn.local),
        port(conn.local_port),
        addr(conn.remote),
        port(conn.remote_port),
    )


def windows_close(conn: Connection) -> ConnectionResult:
    """Windows has no socket cookie: its table names a connection by its addresses and ports only."""
    if conn.family != 4:
        return ConnectionResult(ConnectionCode.IPV6_UNSUPPORTED, conn, system="win32")

    class MibTcpRow(ctypes.Structure):
        _fields_ = [(name, ctypes.c_uint32) for name in ("state", "laddr", "lport", "raddr", "rport")]

    row = MibTcpRow(*tcprow_values(conn))
    windll = getattr(ctypes, "windll", None)
    if windll is None:
        return ConnectionResult(ConnectionCode.UNSUPPORTED, conn, system="win32")
    code = int(windll.iphlpapi.SetTcpEntry(ctypes.byref(row)))
    if code == 0:
        return ConnectionResult(ConnectionCode.CLOSED, conn, system="win32")
    if code in (ERROR_ACCESS_DENIED, ERROR_MR_MID_NOT_FOUND):
        return ConnectionResult(ConnectionCode.NEEDS_ADMIN, conn, system="win32")
    return ConnectionResult(ConnectionCode.REFUSED, conn, error=f"error {code}", system="win32")


def close_connection(conn: Connection, platform: str = sys.platform) -> ConnectionResult:
    """Close exactly this established TCP connection (the very socket the scan saw, when it carried a cookie)."""
    if platform.startswith("linux"):
        try:
            return linux_close(conn)
        except OSError as exc:
            if exc.errno in (errno.EPERM, errno.EACCES):
                return _not_allowed(conn)
            log.warning("closing a connection failed: %s", exc)
            return ConnectionResult(ConnectionCode.REFUSED, conn, error=str(exc.strerror or exc), system="linux")
    if platform == "win32":
        return windows_close(conn)
    return ConnectionResult(ConnectionCode.UNSUPPORTED, conn, system=platform)
