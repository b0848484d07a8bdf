"""Closing one TCP connection without closing the program that holds it.

* Linux: the kernel's socket diagnostics can destroy a socket (``SOCK_DESTROY``, netlink message type 21, with an
  ``inet_diag_req_v2`` naming the exact addresses and ports).  It needs CAP_NET_ADMIN (administrator rights); the
  program then sees its connection aborted (ECONNABORTED) and the other side gets a reset.  The socket is named by
  its kernel cookie, read in a fresh dump first, so a listener on the same port can never be hit instead.
* Windows: ``SetTcpEntry`` with ``MIB_TCP_STATE_DELETE_TCB`` (IPv4 only; administrator).
* macOS offers no way: loopgui says so and offers closing the program instead.

Without the rights loopgui says so and shows the command a person can run themselves (``sudo ss -K …``); it never
elevates itself.  Only the callers in :mod:`loopgui.core.programs.actions` and the UI's close flow use this module.
"""

from __future__ import annotations

import ctypes
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


@dataclass(frozen=True, slots=True)
class Connection:
    """One TCP connection as the table shows it: this computer's end (local) and the other end (remote)."""

    family: int  # 4 or 6
    local: str
    local_port: int
    remote: str
    remote_port: int

    def __post_init__(self) -> None:
        for addr in (self.local, self.remote):
            parsed = ipaddress.ip_address(addr.split("%", 1)[0])  # ValueError for anything but an address
            if parsed.version != self.family:
                raise ValueError(f"{addr} is not an IPv{self.family} address")
        for port in (self.local_port, self.remote_port):
            if not 0 < port < 65536:
                raise ValueError(f"{port} is not a port number")

    @property
    def af(self) -> int:
        return socket.AF_INET if self.family == 4 else socket.AF_INET6

    def describe(self) -> str:
        return f"{format_endpoint(self.local, self.local_port)} and {format_endpoint(self.remote, self.remote_port)}"


@dataclass(frozen=True, slots=True)
class ConnectionResult:
    closed: bool
    message: str
    how_to_retry: str = ""
    gone: bool = False
    offer_program: bool = False  # this system cannot close single connections: offer closing the program instead


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
    return ConnectionResult(
        False,
        "Closing a single connection needs administrator rights, and loopgui does not have them (it never asks "
        "for them itself).",
        f"Run in a terminal (it asks for your password): {elevated_command(conn)}",
    )


def _gone() -> ConnectionResult:
    return ConnectionResult(False, "That connection has already closed.", gone=True)


def linux_close(conn: Connection, timeout: float = 3.0) -> ConnectionResult:
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
        return _gone()
    cookie, ifindex = found
    ack = netlink.exchange(
        build_destroy(conn, cookie, 2, ifindex), lambda _data: True, timeout=timeout, buf=bytearray(1 << 16)
    )
    code = _ack_error(ack)
    if code == 0:
        return ConnectionResult(True, f"The connection between {conn.describe()} is closed.")
    if code in (errno.EPERM, errno.EACCES):
        return _not_allowed(conn)
    if code == errno.ENOENT:
        return _gone()
    if code == errno.EOPNOTSUPP:
        return ConnectionResult(
            False,
            "This computer's system cannot close single connections (its kernel was built without that feature). "
            "You can close the program that holds it instead.",
            offer_program=True,
        )
    return ConnectionResult(False, f"The system refused to close the connection: {os.strerror(code)}.")


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
    if conn.family != 4:
        return ConnectionResult(
            False,
            "Windows can only close single IPv4 connections; this one uses IPv6. Close the program instead.",
        )

    class MibTcpRow(ctypes.Structure):
        _fields_ = [(name, ctypes.c_uint32) for name in ("state", "laddr", "lport", "raddr", "rport")]

    row = MibTcpRow(*tcprow_values(conn))
    windll = getattr(ctypes, "windll", None)
    if windll is None:
        return ConnectionResult(False, "This is not Windows.")
    code = int(windll.iphlpapi.SetTcpEntry(ctypes.byref(row)))
    if code == 0:
        return ConnectionResult(True, f"The connection between {conn.describe()} is closed.")
    if code in (ERROR_ACCESS_DENIED, ERROR_MR_MID_NOT_FOUND):
        return ConnectionResult(
            False,
            "Closing a single connection needs administrator rights, and loopgui does not have them.",
            "Start loopgui as administrator (right-click it, “Run as administrator”) and try again.",
        )
    return ConnectionResult(False, f"Windows refused to close the connection (error {code}).")


def close_connection(conn: Connection, platform: str = sys.platform) -> ConnectionResult:
    """Close exactly this established TCP connection, or say in plain words why not."""
    if platform.startswith("linux"):
        try:
            return linux_close(conn)
        except OSError as exc:
            if exc.errno in (errno.EPERM, errno.EACCES):
                return _not_allowed(conn)
            log.warning("closing a connection failed: %s", exc)
            return ConnectionResult(False, f"The connection could not be closed: {exc.strerror or exc}.")
    if platform == "win32":
        return windows_close(conn)
    return ConnectionResult(
        False,
        "This system (macOS) offers no way to close a single connection from outside the program. "
        "You can close the program that holds it instead.",
        offer_program=True,
    )
