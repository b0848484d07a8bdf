"""Linux netlink socket diagnostics (sock_diag): the message constants and the one request/reply exchange shared
by the scanner (socket dumps), :mod:`loopgui.core.net.netclose` (finding and destroying one connection) and
:mod:`loopgui.core.reach.assess` (the IPV6_V6ONLY flag of listeners)."""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import Callable

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
SOCK_DESTROY = 21
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300

# struct nlmsghdr: length, type, flags, sequence number, port id
NLMSGHDR = struct.Struct("=IHHII")


def exchange(
    request: bytes,
    take: Callable[[bytes], bool],
    *,
    timeout: float,
    buf: bytearray,
    max_reads: int | None = None,
    rcvbuf: int = 0,
) -> bytes:
    """Send ``request`` on a fresh sock_diag socket and hand each reply datagram (read into ``buf``) to ``take``
    until it returns True, or ``max_reads`` datagrams were read; returns the last datagram read.

    One socket per request: a reply not read to its end is dropped with the socket, never read as the start of
    the next one.  ``rcvbuf``: ask for that receive buffer (best effort).  OSError, TimeoutError included, goes to
    the caller.
    """
    data = b""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG) as sock:
        sock.settimeout(timeout)
        if rcvbuf:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.send(request)
        view = memoryview(buf)
        reads = 0
        while max_reads is None or reads < max_reads:
            reads += 1
            data = bytes(view[: sock.recv_into(buf)])
            if take(data):
                break
    return data


# -- AF_UNIX sockets (linux/unix_diag.h) ---------------------------------------------------------------------------

# struct unix_diag_req: family, protocol, pad, states, inode, show, cookie[2]
UNIX_DIAG_REQ = struct.Struct("=BBHIIIII")
# struct unix_diag_msg: family, type, state, pad, inode, cookie[2]
UNIX_DIAG_MSG = struct.Struct("=BBBBIII")
# struct rtattr: length, type
RTATTR = struct.Struct("=HH")
# struct unix_diag_vfs: inode and device of the socket file
UNIX_DIAG_VFS_STRUCT = struct.Struct("=II")
UDIAG_SHOW_NAME = 0x01
UDIAG_SHOW_VFS = 0x02
UDIAG_SHOW_UID = 0x40
UNIX_DIAG_NAME = 0
UNIX_DIAG_VFS = 1
UNIX_DIAG_UID = 7
TCP_LISTEN = 10
