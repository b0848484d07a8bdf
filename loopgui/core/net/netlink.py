"""Linux netlink socket diagnostics (sock_diag), in one place: the message layouts, the requests, the reply parsers
and the one request/reply exchange.  Used by the scanner's source (socket dumps),
:mod:`loopgui.core.net.netclose` (finding and destroying one connection) and :mod:`loopgui.core.reach.assess` (the
IPV6_V6ONLY flag of listeners).

Layouts (include/uapi/linux/inet_diag.h), all in the machine's byte order except ports and addresses::

    struct nlmsghdr        {u32 len; u16 type, flags; u32 seq, pid}                                  16 bytes
    struct inet_diag_sockid {be16 sport, dport; be32 src[4], dst[4]; u32 if; u32 cookie[2]}          48 bytes
    struct inet_diag_req_v2 {u8 family, protocol, ext, pad; u32 states; inet_diag_sockid id}         56 bytes
    struct inet_diag_msg    {u8 family, state, timer, retrans; inet_diag_sockid id;
                             u32 expires, rqueue, wqueue, uid, inode}                                72 bytes
    struct rtattr           {u16 len, type}                                    (attributes after the message)
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import struct
from collections.abc import Callable

NETLINK_SOCK_DIAG = 4
TCPDIAG_GETSOCK = 18  # the older request: every TCP socket of both families in one walk of the kernel's table
SOCK_DIAG_BY_FAMILY = 20
SOCK_DESTROY = 21
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300

TCP_ESTABLISHED = 1
INET_DIAG_NOCOOKIE = b"\xff" * 8
INET_DIAG_SKV6ONLY = 11  # attribute: the IPV6_V6ONLY flag of an AF_INET6 socket
ALL_STATES = 0xFFE  # states 1..11; the kernel adds request sockets itself when SYN_RECV is asked for

NLMSGHDR = struct.Struct("=IHHII")
REQ_HEAD = struct.Struct("=BBBBI")  # inet_diag_req_v2 before its sockid
# struct inet_diag_req (the older request): family, src_len, dst_len, ext, sockid (48), states, dbs
_COMPAT_REQ = struct.Struct("=BBBB48xII")
RTATTR = struct.Struct("=HH")
DIAG_MSG_SIZE = 72
_PORTS = struct.Struct("!HH")
_IFINDEX = struct.Struct("=I")
_ERRNO = struct.Struct("=i")
# One socket message as the scanner reads it: nlmsghdr length and type; inet_diag_msg family and state; sport,
# dport, src and dst as 36 raw bytes; the cookie (idiag_cookie: two u32 in host order read as one number, naming
# this very socket for as long as it lives); the timer (idiag_expires, ms left: a TIME_WAIT leftover's countdown);
# the inode (if, queues and uid skipped).
_SCAN_MSG = struct.Struct("=IH10xBB2x36s4xQI12xI")
TIME_WAIT_CODE = 6

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

# Errors worth asking again at once: the kernel ran out of buffer space or was interrupted.
TRANSIENT = frozenset({errno.ENOBUFS, errno.EAGAIN, errno.EINTR, errno.ENOMEM, errno.EBUSY})
ATTEMPTS = 3


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


# -- requests ------------------------------------------------------------------------------------------------------


def sockid(local_port: int, remote_port: int, src: bytes, dst: bytes, ifindex: int = 0, cookie: bytes = b"") -> bytes:
    """A 48-byte ``inet_diag_sockid``; ``src``/``dst`` packed addresses (padded to 16 bytes here), no cookie: none."""
    return (
        _PORTS.pack(local_port, remote_port)
        + src.ljust(16, b"\0")
        + dst.ljust(16, b"\0")
        + _IFINDEX.pack(ifindex)
        + (cookie or INET_DIAG_NOCOOKIE)
    )


def request(kind: int, flags: int, family: int, protocol: int, states: int, seq: int, sock: bytes = bytes(48)) -> bytes:
    """One netlink message carrying an ``inet_diag_req_v2``."""
    payload = REQ_HEAD.pack(family, protocol, 0, 0, states) + sock
    return NLMSGHDR.pack(NLMSGHDR.size + len(payload), kind, flags, seq, 0) + payload


def build_request(family: int, protocol: int, seq: int, states: int = ALL_STATES) -> bytes:
    """Dump every socket of one family and protocol in ``states`` (all of them by default).  Family AF_UNSPEC
    with TCP: the older ``TCPDIAG_GETSOCK`` request, which dumps IPv4 and IPv6 TCP sockets in one walk of the
    kernel's connection table (each inet_diag_req_v2 dump walks all of it for one family); its replies have the
    same layout with message type 18."""
    if family == socket.AF_UNSPEC and protocol == socket.IPPROTO_TCP:
        payload = _COMPAT_REQ.pack(socket.AF_UNSPEC, 0, 0, 0, states, 0)
        return NLMSGHDR.pack(NLMSGHDR.size + len(payload), TCPDIAG_GETSOCK, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + (
            payload
        )
    return request(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, family, protocol, states, seq)


# -- replies -------------------------------------------------------------------------------------------------------


def unique_key(key: bytes, taken: object) -> bytes:
    """Two sockets may share addresses and ports (SO_REUSEPORT listeners); number the later ones."""
    n = 1
    candidate = key + b"#1"
    while candidate in taken:  # type: ignore[operator]
        n += 1
        candidate = key + b"#" + str(n).encode()
    return candidate


_PREFIX: dict[tuple[int, int], bytes] = {
    (p, f): bytes((p, f)) for p in (socket.IPPROTO_TCP, socket.IPPROTO_UDP) for f in (socket.AF_INET, socket.AF_INET6)
}


def _run_struct(length: int) -> struct.Struct:
    """The scanner's message layout padded to ``length`` bytes, to read a run of equal-length messages at once."""
    found = _RUNS.get(length)
    if found is None:
        found = _RUNS[length] = struct.Struct(_SCAN_MSG.format + f"{length - _SCAN_MSG.size}x")
    return found


_RUNS: dict[int, struct.Struct] = {}


def parse_diag_messages(
    buf: bytes,
    protocol: int,
    out: dict[bytes, tuple[int, int, int]],
    expires: dict[bytes, int] | None = None,
) -> bool:
    """Add the sockets in one netlink datagram to ``out`` (key -> (state, inode, cookie)); the timers of TIME_WAIT
    leftovers (ms left) to ``expires`` when given.

    The key is the protocol and family bytes followed by the sockid's ports and addresses (the layout of
    :func:`loopgui.core.net.sockets.make_key`).  Returns True when the datagram ends the dump.  Raises
    :class:`NetlinkReplyError` for a message the kernel reports as an error or one that is cut short; what was read
    before it stays in ``out``.

    One ``unpack_from`` per message reads all the scanner needs; after a long run of messages of one length (a
    table of connections in one state) the rest of that run is read with one ``iter_unpack``.
    """
    end = len(buf)
    off = 0
    unpack = _SCAN_MSG.unpack_from
    hdr_unpack = NLMSGHDR.unpack_from
    prefixes = {f: _PREFIX.get((protocol, f)) or bytes((protocol & 0xFF, f)) for f in (2, 10)}
    minimum = 16 + DIAG_MSG_SIZE
    last = same = 0
    while off + 16 <= end:
        if off + minimum <= end:
            length, kind, family, state, ends, cookie, timer, inode = unpack(buf, off)
        else:
            length, kind = hdr_unpack(buf, off)[:2]
            family = state = inode = cookie = timer = 0
            ends = b""
        if length < 16 or off + length > end:
            raise NetlinkReplyError(f"netlink message of {length} bytes at offset {off} of {end}")
        if kind in (SOCK_DIAG_BY_FAMILY, TCPDIAG_GETSOCK):
            if length < minimum:
                raise NetlinkReplyError(f"socket message of {length} bytes is too short")
            prefix = prefixes.get(family)
            key = (prefix if prefix is not None else bytes((protocol & 0xFF, family & 0xFF))) + ends
            if key in out:
                key = unique_key(key, out)
            out[key] = (state, inode, cookie)
            if state == TIME_WAIT_CODE and expires is not None:
                expires[key] = timer
            off += (length + 3) & ~3
            if length != last:
                last, same = length, 0
                continue
            same += 1
            count = (end - off) // length
            if same < _RUN or count < _RUN or length & 3:
                continue
            same = done = 0
            for m_length, m_kind, family, state, ends, cookie, timer, inode in _run_struct(length).iter_unpack(
                memoryview(buf)[off : off + count * length]
            ):
                if m_length != length or m_kind != kind:
                    break
                prefix = prefixes.get(family)
                key = (prefix if prefix is not None else bytes((protocol & 0xFF, family & 0xFF))) + ends
                if key in out:
                    key = unique_key(key, out)
                out[key] = (state, inode, cookie)
                if state == TIME_WAIT_CODE and expires is not None:
                    expires[key] = timer
                done += 1
            off += done * length
            continue
        if kind == NLMSG_DONE:
            return True
        if kind == NLMSG_ERROR:
            code = _ERRNO.unpack_from(buf, off + 16)[0] if length >= 20 else 0
            raise NetlinkReplyError(f"the kernel refused the socket list: {error_text(code)}", -code)
        off += (length + 3) & ~3
    if off != end:
        raise NetlinkReplyError(f"{end - off} stray bytes at the end of a netlink reply")
    return False


_RUN = 8  # messages of one length in a row before the rest of the run is read at once


def find_socket(buf: bytes, want: bytes) -> tuple[bytes, int] | bool | None:
    """Look in one datagram of a dump for the socket whose sockid starts with ``want`` (ports and addresses, 36
    bytes).  Returns (cookie, interface index) when found, True when the dump ended without it, None to read on.
    OSError for an error message or a cut-short one."""
    off, end = 0, len(buf)
    while off + 16 <= end:
        length, kind, _flags, _seq, _pid = NLMSGHDR.unpack_from(buf, off)
        if length < 16 or off + length > end:
            raise OSError(errno.EBADMSG, "cut-short netlink message")
        if kind == NLMSG_DONE:
            return True
        if kind == NLMSG_ERROR:
            code = _ERRNO.unpack_from(buf, off + 16)[0] if length >= 20 else -errno.EIO
            raise OSError(-code, os.strerror(-code))
        if kind == SOCK_DIAG_BY_FAMILY and length >= 16 + 4 + 48:
            found = buf[off + 20 : off + 68]
            if found[:36] == want:
                return bytes(found[40:48]), _IFINDEX.unpack_from(found, 36)[0]
        off += (length + 3) & ~3
    return None


def ack_error(buf: bytes) -> int:
    """The error number of a netlink acknowledgement (0 = done)."""
    if len(buf) < 20:
        return errno.EIO
    kind = NLMSGHDR.unpack_from(buf, 0)[1]
    if kind != NLMSG_ERROR:
        return errno.EIO
    return -int(_ERRNO.unpack_from(buf, 16)[0])


def parse_v6only(buf: bytes, protocol: int, out: dict[tuple[str, str, int], bool]) -> bool:
    """Read one netlink datagram of an AF_INET6 sock_diag dump: (proto, address, port) -> IPV6_V6ONLY.

    Returns True at the end of the dump.  Bounded by the datagram's length; malformed parts end the read.
    """
    off = 0
    end = len(buf)
    proto = "tcp" if protocol == 6 else "udp"
    while off + 16 <= end:
        length, kind = NLMSGHDR.unpack_from(buf, off)[:2]
        if length < 16 or off + length > end:
            return True
        if kind in (NLMSG_ERROR, NLMSG_DONE):
            return True
        if kind == SOCK_DIAG_BY_FAMILY and length >= 16 + DIAG_MSG_SIZE:
            msg = off + 16
            port = _PORTS.unpack_from(buf, msg + 4)[0]
            addr = socket.inet_ntop(socket.AF_INET6, buf[msg + 8 : msg + 24])
            attr = msg + DIAG_MSG_SIZE
            stop = off + length
            while attr + 4 <= stop:
                alen, atype = RTATTR.unpack_from(buf, attr)
                if alen < 4:
                    break
                if atype == INET_DIAG_SKV6ONLY and alen >= 5:
                    out[(proto, addr, port)] = buf[attr + 4] != 0
                attr += (alen + 3) & ~3
        off += (length + 3) & ~3
    return False


# -- the exchange --------------------------------------------------------------------------------------------------


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
