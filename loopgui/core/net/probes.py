"""Connectivity tests: does it answer?  Every probe has ONE overall deadline and can be cancelled.

loopgui only ever probes the one host and port the user typed or picked; nothing here scans ranges of ports or
hosts.  Results are facts: a :class:`ProbeResult` carries the test, the address tried, a :class:`ProbeCode` and
typed evidence; :mod:`loopgui.core.words.probes` turns them into sentences.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import math
import os
import random
import re
import selectors
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loopgui.core.cancel import Cancel, Cancelled
from loopgui.core.explain import knowledge
from loopgui.core.explain.facts import ProgramRef
from loopgui.core.text.plaintext import shown

if TYPE_CHECKING:
    from loopgui.core.reach.assess import LocalBlock

DEFAULT_TIMEOUT = 3.0
MAX_TIMEOUT = 60.0
BANNER_WAIT = 1.0
BANNER_LIMIT = 200
TITLE_LIMIT = 200


class Outcome(str, enum.Enum):
    """The broad kind of answer (good, bad, neutral): icons, exit codes and the repeat chart go by it."""

    CONNECTED = "connected"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    PERMISSION = "permission"
    ERROR = "error"
    FREE = "free"
    IN_USE = "in_use"
    CLOSED = "closed"
    NO_ANSWER = "no_answer"
    ANSWERED = "answered"


class ProbeTest(str, enum.Enum):
    """Which connectivity test made a result."""

    TCP = "tcp"  # connect to every address of the name, read a greeting
    HTTP = "http"  # GET / over HTTP
    HTTPS = "https"  # GET / over HTTPS, the certificate described
    UDP = "udp"  # an empty UDP message to every address
    LISTEN = "listen"  # could a program listen here (bind test on this computer)
    LOOPBACK_SELF_TEST = "loopback_self_test"  # loopgui connects to itself over 127.0.0.1 and ::1
    FIND_FREE_PORT = "find_free_port"  # a port free on 127.0.0.1 and ::1
    OWN_ADDRESS = "own_address"  # connect to the port on this computer's own network addresses


class ProbeCode(str, enum.Enum):
    """What one probe result says.  The comment names the evidence that goes with it."""

    CONNECTED = "connected"  # a program accepted the connection; `seconds`, `greeting` "" (said nothing) or null
    CONNECTED_GREETING = "connected_greeting"  # connected and the program spoke first; `seconds`, `greeting`
    REFUSED = "refused"  # nothing listens on the port there; `errno`, `error`
    REFUSED_OTHER_FAMILY = "refused_other_family"  # refused on this IP version; a program listens at `listens`
    TIMED_OUT = "timed_out"  # no answer within the time limit (often a firewall that drops)
    LOCAL_FIREWALL_BLOCK = "local_firewall_block"  # no answer: this computer's firewall drops it; `firewall`
    UNREACHABLE = "unreachable"  # no network path to the address; `errno`, `error`
    NOT_ALLOWED = "not_allowed"  # a firewall or security program on this computer blocked it; `errno`, `error`
    FAILED = "failed"  # another error of the system; `errno`, `error` as the system said it
    TLS_TIMED_OUT = "tls_timed_out"  # connected, but the secure connection was not set up in time
    NO_PAGE_IN_TIME = "no_page_in_time"  # connected, but no web page came back in time
    NOT_HTTP = "not_http"  # something answers, but not in HTTP
    TLS_WRONG_PROTOCOL = "tls_wrong_protocol"  # the port does not speak TLS (HTTPS); `error` from the TLS library
    TLS_REFUSED = "tls_refused"  # the program refused the secure connection (version, client certificate); `error`
    TLS_HUNG_UP = "tls_hung_up"  # the program hung up during the TLS handshake; `error`
    TLS_FAILED = "tls_failed"  # the secure connection failed otherwise; `error`
    PAGE = "page"  # a web server answered; `http` (status, reason, server, title, complete), `certificate` for HTTPS
    UDP_ANSWERED = "udp_answered"  # a program answered the UDP message; `greeting` (what it sent, shown text)
    UDP_CLOSED = "udp_closed"  # the system there said nothing receives UDP on the port
    UDP_NO_ANSWER = "udp_no_answer"  # no answer: received and ignored, or dropped by a firewall (UDP cannot tell)
    FREE = "free"  # a program could listen here
    IN_USE = "in_use"  # another program already listens here; `holder` (a program, or null when unknown)
    NEEDS_ADMIN = "needs_admin"  # not allowed: ports below `privileged_below` need administrator rights
    RESERVED = "reserved"  # not allowed: the system reserves the port or a security program blocks it
    ADDRESS_MISSING = "address_missing"  # this computer does not have the address (IPv6 may be off)
    SELF_TEST_OK = "self_test_ok"  # loopgui reached itself over the address; `seconds`
    SELF_TEST_UNAVAILABLE = "self_test_unavailable"  # this IP version is not available here; `error`
    SELF_TEST_BLOCKED = "self_test_blocked"  # this computer cannot talk to itself over the address; `error`
    SELF_TEST_DATA_LOST = "self_test_data_lost"  # connected to itself, but the data got lost
    FREE_PORT_FOUND = "free_port_found"  # `port` is free on 127.0.0.1 and ::1 and no well-known program uses it
    NO_FREE_PORT = "no_free_port"  # no free port was found
    OWN_ANSWERED = "own_answered"  # own-address test: the program takes connections there; `interface`
    OWN_FILTERED = "own_filtered"  # own-address test: this computer's firewall filters its own traffic there
    OWN_REFUSED = "own_refused"  # own-address test: refused there; `interface`
    OWN_NO_ANSWER = "own_no_answer"  # own-address test: no answer in time there; `interface`
    OWN_NOT_TRIED = "own_not_tried"  # own-address test: could not be tried; `error`
    NO_OWN_ADDRESS = "no_own_address"  # own-address test: this computer has no address besides loopback


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """What a web server sent back (every text printable, single-line, cut short)."""

    status: int
    reason: str
    server: str  # the Server header; "" when not said
    title: str  # the page's <title>; "" when none
    complete: bool  # False: the page was still arriving when the time was up

    def as_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "reason": self.reason,
            "server": self.server or None,
            "title": self.title or None,
            "complete": self.complete,
        }


@dataclass(frozen=True, slots=True)
class Certificate:
    """Who an HTTPS certificate names (only described: loopgui never trusts or distrusts it)."""

    subject: str
    issuer: str
    not_after: float | None = None  # epoch seconds
    days_left: int | None = None  # whole days from the test to ``not_after``; negative: expired

    @property
    def self_signed(self) -> bool:
        return bool(self.subject) and self.subject == self.issuer

    def as_dict(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "self_signed": self.self_signed,
            "not_after": self.not_after,
            "days_left": self.days_left,
        }


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One line of a test's answer: the test, the address tried, the outcome and code, and the evidence."""

    test: ProbeTest
    target: str
    outcome: Outcome
    code: ProbeCode
    seconds: float | None = None
    greeting: str | None = None  # what the program said first (shown text); "" nothing; None: not listened for
    http: HttpAnswer | None = None
    certificate: Certificate | None = None
    holder: ProgramRef | None = None  # listen test: who holds the port, when known
    error: str = ""  # the system's (or TLS library's) own error text
    errno: int | None = None
    port: int | None = None  # find_free_port: the port found
    privileged_below: int | None = None  # needs_admin: the first port a normal user may use
    interface: str = ""  # own-address test: the network connection the address belongs to
    listens: str = ""  # refused_other_family: the address the program listens on
    block: LocalBlock | None = None  # local_firewall_block: the rule of this computer's firewall

    @property
    def good(self) -> bool:
        return self.outcome in (Outcome.CONNECTED, Outcome.FREE, Outcome.ANSWERED)

    def as_dict(self) -> dict[str, object]:
        return {
            "test": self.test.value,
            "address": self.target or None,
            "outcome": self.outcome.value,
            "code": self.code.value,
            "seconds": None if self.seconds is None else round(self.seconds, 4),
            "greeting": self.greeting,
            "http": self.http.as_dict() if self.http is not None else None,
            "certificate": self.certificate.as_dict() if self.certificate is not None else None,
            "holder": self.holder.as_dict() if self.holder is not None else None,
            "error": self.error or None,
            "errno": self.errno,
            "port": self.port,
            "privileged_below": self.privileged_below,
            "interface": self.interface or None,
            "listens": self.listens or None,
            "firewall": self.block.as_dict() if self.block is not None else None,
        }


class InputCode(str, enum.Enum):
    """Why a host and port cannot be tested (evidence on :class:`BadInput`: ``text``, ``host``, ``port``)."""

    NO_HOST = "no_host"  # no computer was given
    BAD_HOST = "bad_host"  # `host` is not a computer name or address
    BAD_PORT = "bad_port"  # the port is not a number
    PORT_OUT_OF_RANGE = "port_out_of_range"  # `port` is not between 1 and 65535
    NO_PORT = "no_port"  # `text` has no port (HOST:PORT)
    NOT_HOST_PORT = "not_host_port"  # `text` is not HOST:PORT
    IPV6_NEEDS_BRACKETS = "ipv6_needs_brackets"  # `text`: an IPv6 address must be written in brackets
    LOOKUP_TIMED_OUT = "lookup_timed_out"  # looking `host` up took longer than `seconds`
    NAME_NOT_FOUND = "name_not_found"  # `host` could not be found; `error` as the resolver said it
    NO_USABLE_ADDRESS = "no_usable_address"  # `host` has no IPv4 or IPv6 address


class BadInput(ValueError):
    """The host or port given cannot be tested: a code and its evidence (``words.probes.bad_input_text``)."""

    def __init__(
        self,
        code: InputCode,
        *,
        text: str = "",
        host: str = "",
        port: int | None = None,
        seconds: float | None = None,
        error: str = "",
    ) -> None:
        super().__init__(code.value)
        self.code = code
        self.text = text[:60]
        self.host = host[:60]
        self.port = port
        self.seconds = seconds
        self.error = error

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code.value,
            "text": self.text or None,
            "host": self.host or None,
            "port": self.port,
            "seconds": self.seconds,
            "error": self.error or None,
        }


class LookupFailed(BadInput):
    """The name was typed well but could not be looked up (not found, no address, or too slow)."""


def parse_target(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPv6]:PORT`` as typed in a terminal; raises BadInput with a code."""
    text = text.strip()
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise BadInput(InputCode.NOT_HOST_PORT, text=text)
        port = rest[1:]
    else:
        host, sep, port = text.rpartition(":")
        if not sep:
            raise BadInput(InputCode.NO_PORT, text=text)
        if ":" in host:
            raise BadInput(InputCode.IPV6_NEEDS_BRACKETS, text=text)
    return check_target(host, port)


def check_target(host: str, port: object) -> tuple[str, int]:
    host = (host or "").strip().strip("[]")
    if not host:
        raise BadInput(InputCode.NO_HOST)
    if len(host) > 253 or any(c.isspace() for c in host):
        raise BadInput(InputCode.BAD_HOST, host=host)
    try:
        number = int(str(port).strip())
    except ValueError:
        raise BadInput(InputCode.BAD_PORT) from None
    if not 1 <= number <= 65535:
        raise BadInput(InputCode.PORT_OUT_OF_RANGE, port=number)
    return host, number


def clamp_timeout(timeout: float) -> float:
    try:
        value = float(timeout)
    except (TypeError, ValueError):
        return DEFAULT_TIMEOUT
    if math.isnan(value) or value <= 0:
        return DEFAULT_TIMEOUT
    return min(MAX_TIMEOUT, value)


# -- one deadline for a whole probe ---------------------------------------------------------------------------

STEP = 0.05  # longest single wait: how quickly Cancel and the deadline are noticed
MAX_ADDRESSES = 32  # a name with more addresses is tested on its first 32
HEAD_LIMIT = 65536
BODY_LIMIT = 65536

Resolver = Callable[..., list[tuple[Any, ...]]]
"""Looks a name up like ``socket.getaddrinfo(host, port, type=kind)``; tests pass their own."""


class ProbeTimeout(TimeoutError):
    """The probe's one overall time limit ran out."""

    def __init__(self) -> None:
        super().__init__(errno.ETIMEDOUT, "timed out")


class Deadline:
    """One overall time limit for a whole probe (name lookup, connect, TLS, headers, body, every address), plus
    the user's Cancel.  Every wait is cut into short steps so both are noticed within ``STEP`` seconds."""

    def __init__(self, seconds: float, cancel: Cancel | None = None) -> None:
        self.seconds = seconds
        self.cancel = cancel or Cancel()
        self._end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self._end - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self._end

    def check(self) -> None:
        """Raise Cancelled when cancelled, ProbeTimeout when the time is up."""
        self.cancel.check()
        if self.expired:
            raise ProbeTimeout

    def step(self, limit: float = STEP) -> float:
        return min(limit, self.left())


def _ready(
    read: Iterable[socket.socket], write: Iterable[socket.socket], timeout: float
) -> tuple[set[socket.socket], set[socket.socket]]:
    """Which of the sockets can be read / written within ``timeout`` (any file number, unlike select.select)."""
    events: dict[socket.socket, int] = {}
    for s in read:
        events[s] = events.get(s, 0) | selectors.EVENT_READ
    for s in write:
        events[s] = events.get(s, 0) | selectors.EVENT_WRITE
    readable: set[socket.socket] = set()
    writable: set[socket.socket] = set()
    if not events:
        time.sleep(max(0.0, timeout))
        return readable, writable
    with selectors.DefaultSelector() as selector:
        for s, mask in events.items():
            selector.register(s, mask, s)
        for key, mask in selector.select(max(0.0, timeout)):
            s = key.data
            if mask & selectors.EVENT_READ:
                readable.add(s)
            if mask & selectors.EVENT_WRITE:
                writable.add(s)
    return readable, writable


# -- name resolution -----------------------------------------------------------------------------------------


def resolve(
    host: str, port: int, kind: int, deadline: Deadline, resolver: Resolver | None = None
) -> list[tuple[int, str]]:
    """(family, address) for each address ``host`` has, each once, in the order the system prefers.

    Runs the lookup on a helper thread so that a slow name server cannot exceed the deadline.  ``resolver``
    replaces ``socket.getaddrinfo`` (tests must not depend on this computer's hosts file).
    """
    literal = knowledge.ip_version(host)
    if literal:
        return [(socket.AF_INET6 if literal == 6 and ":" in host else socket.AF_INET, host.split("%", 1)[0])]
    lookup_with = resolver or socket.getaddrinfo
    infos: list[tuple[Any, ...]] = []
    failed: list[Exception] = []

    def lookup() -> None:
        try:
            infos.extend(lookup_with(host, port, type=kind))
        except (OSError, UnicodeError, ValueError) as exc:
            failed.append(exc)

    worker = threading.Thread(target=lookup, name="loopgui-resolve", daemon=True)
    worker.start()
    while worker.is_alive():
        deadline.cancel.check()
        if deadline.expired:
            raise LookupFailed(InputCode.LOOKUP_TIMED_OUT, host=host, seconds=deadline.seconds)
        worker.join(deadline.step())
    if failed:
        raise LookupFailed(InputCode.NAME_NOT_FOUND, host=host, error=str(failed[0]))
    out: list[tuple[int, str]] = []
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            entry = (family, str(sockaddr[0]))
            if entry not in out:
                out.append(entry)
    if not out:
        raise LookupFailed(InputCode.NO_USABLE_ADDRESS, host=host)
    return out[:MAX_ADDRESSES]


def _addresses(
    host: str, port: object, kind: int, deadline: Deadline, resolver: Resolver | None
) -> tuple[int, list[tuple[int, str]]]:
    """Check the target the user typed, then look it up: (port, [(family, address), ...])."""
    host, number = check_target(host, port)
    return number, resolve(host, number, kind, deadline, resolver)


def _sockaddr(family: int, addr: str, port: int) -> tuple[object, ...]:
    return (addr, port, 0, 0) if family == socket.AF_INET6 else (addr, port)


def _target(family: int, addr: str, port: int) -> str:
    return f"[{addr}]:{port}" if family == socket.AF_INET6 else f"{addr}:{port}"


# -- TCP -------------------------------------------------------------------------------------------------------

_IN_PROGRESS = (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, getattr(errno, "WSAEWOULDBLOCK", -1))


@dataclass(slots=True)
class _Attempt:
    """One connection attempt: the connected socket, or the error; and how long it took."""

    family: int
    addr: str
    sock: socket.socket | None = None
    error: OSError | None = None
    seconds: float = 0.0


def _connect_all(
    endpoints: list[tuple[int, str]], port: int, deadline: Deadline, *, first_only: bool = False
) -> list[_Attempt]:
    """Connect to every address at the same time (so that the deadline covers them all together), without
    blocking longer than ``STEP`` at a time.  ``first_only``: stop once one is connected (the others are
    closed and reported as not tried to the end)."""
    start = time.perf_counter()
    attempts = [_Attempt(family, addr) for family, addr in endpoints]
    pending: dict[socket.socket, _Attempt] = {}
    try:
        for attempt in attempts:
            try:
                sock = socket.socket(attempt.family, socket.SOCK_STREAM)
            except OSError as exc:
                attempt.error = exc
                continue
            sock.setblocking(False)
            try:
                err = sock.connect_ex(_sockaddr(attempt.family, attempt.addr, port))
            except OSError as exc:
                err = exc.errno or errno.EINVAL
            if err == 0:
                attempt.sock, attempt.seconds = sock, time.perf_counter() - start
            elif err in _IN_PROGRESS:
                pending[sock] = attempt
            else:
                sock.close()
                attempt.error, attempt.seconds = OSError(err, os.strerror(err)), time.perf_counter() - start
        while pending and not (first_only and any(a.sock for a in attempts)):
            try:
                deadline.check()
            except ProbeTimeout as exc:
                for sock, attempt in pending.items():
                    sock.close()
                    attempt.error, attempt.seconds = exc, time.perf_counter() - start
                pending.clear()
                break
            _, writable = _ready((), list(pending), deadline.step())
            for sock in writable:
                attempt = pending.pop(sock)
                attempt.seconds = time.perf_counter() - start
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    sock.close()
                    attempt.error = OSError(err, os.strerror(err))
                else:
                    attempt.sock = sock
        for sock, attempt in pending.items():  # first_only: the rest are not needed
            sock.close()
            attempt.error = ProbeTimeout()
    except BaseException:
        for sock in pending:
            sock.close()
        for attempt in attempts:
            if attempt.sock is not None:
                attempt.sock.close()
        raise
    return attempts


def _tcp_failure(test: ProbeTest, target: str, exc: OSError, seconds: float) -> ProbeResult:
    code = exc.errno
    said = str(exc.strerror or exc)
    if isinstance(exc, TimeoutError) or code in (errno.ETIMEDOUT, 10060):
        return ProbeResult(test, target, Outcome.TIMEOUT, ProbeCode.TIMED_OUT, seconds)
    if code in (errno.ECONNREFUSED, 10061):
        return ProbeResult(test, target, Outcome.REFUSED, ProbeCode.REFUSED, seconds, error=said, errno=code)
    if code in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, 10051, 10065):
        return ProbeResult(test, target, Outcome.UNREACHABLE, ProbeCode.UNREACHABLE, seconds, error=said, errno=code)
    if code in (errno.EACCES, errno.EPERM, 10013):
        return ProbeResult(test, target, Outcome.PERMISSION, ProbeCode.NOT_ALLOWED, seconds, error=said, errno=code)
    return ProbeResult(test, target, Outcome.ERROR, ProbeCode.FAILED, seconds, error=said, errno=code)


_NOT_TLS = ("WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER")


def tls_failure_code(exc: ssl.SSLError) -> ProbeCode:
    """What a failed secure connection means; the library's own code (WRONG_VERSION_NUMBER…) stays evidence."""
    reason = str(exc.reason or exc).upper().replace(" ", "_")
    if any(code in reason for code in _NOT_TLS):
        return ProbeCode.TLS_WRONG_PROTOCOL
    if "ALERT" in reason or "HANDSHAKE" in reason or "NO_PROTOCOLS" in reason or "UNSUPPORTED" in reason:
        return ProbeCode.TLS_REFUSED
    if "EOF" in reason or isinstance(exc, ssl.SSLEOFError):
        return ProbeCode.TLS_HUNG_UP
    return ProbeCode.TLS_FAILED


def printable(data: bytes, limit: int = BANNER_LIMIT) -> str:
    """Untrusted bytes as safe, printable, single-line text."""
    text = data.decode("utf-8", errors="replace")
    text = "".join(c if c.isprintable() else " " for c in text.replace("\r\n", " ").replace("\n", " "))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def tcp_probe(
    host: str,
    port: int,
    timeout: float = DEFAULT_TIMEOUT,
    cancel: Cancel | None = None,
    *,
    greeting: bool = True,
    resolver: Resolver | None = None,
) -> list[ProbeResult]:
    """Try to connect to every address ``host`` resolves to, separately but at the same time, and read a
    greeting where one comes; ``timeout`` covers all of it together."""
    deadline = Deadline(clamp_timeout(timeout), cancel)
    port, addresses = _addresses(host, port, socket.SOCK_STREAM, deadline, resolver)
    attempts = _connect_all(addresses, port, deadline)
    connected = [a.sock for a in attempts if a.sock is not None]
    try:
        said = _read_greetings(connected, min(BANNER_WAIT, deadline.left()), deadline.cancel) if greeting else {}
    finally:
        for sock in connected:
            sock.close()
    results = []
    for a in attempts:
        target = _target(a.family, a.addr, port)
        if a.sock is None:
            results.append(_tcp_failure(ProbeTest.TCP, target, a.error or ProbeTimeout(), a.seconds))
            continue
        banner = printable(said.get(a.sock, b"")) if greeting else None
        code = ProbeCode.CONNECTED_GREETING if banner else ProbeCode.CONNECTED
        results.append(ProbeResult(ProbeTest.TCP, target, Outcome.CONNECTED, code, a.seconds, greeting=banner))
    return results


def _read_greetings(socks: list[socket.socket], wait: float, cancel: Cancel) -> dict[socket.socket, bytes]:
    """What each socket says within ``wait`` seconds (all read together); a greeting ends after a short pause."""
    end = time.monotonic() + wait
    said = {s: b"" for s in socks}
    listening = set(socks)
    while listening:
        cancel.check()
        left = end - time.monotonic()
        if left <= 0:
            break
        readable, _ = _ready(listening, (), min(STEP, left))
        for s in list(listening):
            if s not in readable:
                if said[s]:
                    listening.discard(s)  # it said something, then paused: that was the greeting
                continue
            try:
                data = s.recv(1024)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            said[s] += data
            if not data or len(said[s]) >= 1024:
                listening.discard(s)
    return said


# -- HTTP / HTTPS ----------------------------------------------------------------------------------------------


class _NotHttp(Exception):
    """What answered is not a web server."""


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    reason: str
    server: str
    title: str
    complete: bool


def http_probe(
    host: str,
    port: int,
    timeout: float = DEFAULT_TIMEOUT,
    cancel: Cancel | None = None,
    *,
    https: bool | None = None,
    resolver: Resolver | None = None,
) -> ProbeResult:
    """``GET /``: status line, Server header, page title; for HTTPS also who the certificate names.

    ``timeout`` covers everything together: name lookup, connecting (to every address of the name at once; the
    first that connects is asked, as browsers do), TLS, headers and body.  A page still arriving when the time
    is up is described from what came.
    """
    deadline = Deadline(clamp_timeout(timeout), cancel)
    host, port = check_target(host, port)
    use_tls = port in (443, 8443) if https is None else https
    scheme = "https" if use_tls else "http"
    test = ProbeTest.HTTPS if use_tls else ProbeTest.HTTP
    addresses = resolve(host, port, socket.SOCK_STREAM, deadline, resolver)
    attempts = _connect_all(addresses, port, deadline, first_only=True)
    chosen = next((a for a in attempts if a.sock is not None), None)
    if chosen is None or chosen.sock is None:
        first = attempts[0]
        target = f"{scheme}://{_target(first.family, first.addr, port)}/"
        return _tcp_failure(test, target, first.error or ProbeTimeout(), first.seconds)
    target = f"{scheme}://{_target(chosen.family, chosen.addr, port)}/"
    start = time.perf_counter() - chosen.seconds
    conn: socket.socket = chosen.sock
    certificate: Certificate | None = None
    stage = "connect"
    try:
        if use_tls:
            stage = "tls"
            conn, certificate = _tls_wrap(conn, host, deadline)
        stage = "http"
        response = _http_get(conn, host, port, deadline)
    except ProbeTimeout:
        code = ProbeCode.TLS_TIMED_OUT if stage == "tls" else ProbeCode.NO_PAGE_IN_TIME
        return ProbeResult(test, target, Outcome.TIMEOUT, code, certificate=certificate)
    except _NotHttp:
        return ProbeResult(test, target, Outcome.ERROR, ProbeCode.NOT_HTTP, certificate=certificate)
    except ssl.SSLError as exc:
        return ProbeResult(test, target, Outcome.ERROR, tls_failure_code(exc), error=str(exc.reason or exc))
    except OSError as exc:
        return ProbeResult(
            test, target, Outcome.ERROR, ProbeCode.FAILED, error=str(exc.strerror or exc), errno=exc.errno
        )
    finally:
        conn.close()
    took = time.perf_counter() - start
    answer = HttpAnswer(response.status, response.reason, response.server, response.title, response.complete)
    return ProbeResult(test, target, Outcome.ANSWERED, ProbeCode.PAGE, took, http=answer, certificate=certificate)


def _tls_wrap(sock: socket.socket, host: str, deadline: Deadline) -> tuple[socket.socket, Certificate | None]:
    """Wrap in TLS without trusting it blindly: the certificate is only described.  The handshake runs
    non-blocking under the probe's deadline."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    server_name = host if not knowledge.ip_version(host) else None
    tls = context.wrap_socket(sock, server_hostname=server_name, do_handshake_on_connect=False)
    try:
        while True:
            deadline.check()
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                _ready((tls,), (), deadline.step())
            except ssl.SSLWantWriteError:
                _ready((), (tls,), deadline.step())
        der = tls.getpeercert(binary_form=True) or b""
    except BaseException:
        tls.close()
        raise
    return tls, _decode_certificate(der)


def _decode_certificate(der: bytes) -> Certificate | None:
    """Subject, issuer and expiry of a certificate (uses CPython's own decoder; None if unavailable)."""
    if not der:
        return None
    decoder = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
    if decoder is None:
        return None
    fd, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(ssl.DER_cert_to_PEM_cert(der))
        decoded = decoder(path)
    except (OSError, ValueError, ssl.SSLError):
        return None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)

    def name(parts: Iterable[Iterable[tuple[str, str]]]) -> str:
        return shown(", ".join(f"{k}={v}" for rdn in parts for k, v in rdn), BANNER_LIMIT)

    expiry: float | None = None
    days: int | None = None
    if "notAfter" in decoded:
        with contextlib.suppress(ValueError):
            expiry = float(ssl.cert_time_to_seconds(decoded["notAfter"]))
            days = int((expiry - time.time()) // 86400)
    return Certificate(name(decoded.get("subject", ())), name(decoded.get("issuer", ())), expiry, days)


def _send_all(sock: socket.socket, data: bytes, deadline: Deadline) -> None:
    view = memoryview(data)
    while view:
        deadline.check()
        try:
            view = view[sock.send(view) :]
        except (BlockingIOError, ssl.SSLWantWriteError):
            _ready((), (sock,), deadline.step())
        except ssl.SSLWantReadError:
            _ready((sock,), (), deadline.step())


def _recv(sock: socket.socket, deadline: Deadline, size: int = 16384) -> bytes:
    """Whatever arrives next (b"" at the end), waiting in short steps: Cancel and the deadline are checked
    between reads, so a server sending one byte a second cannot stretch the probe."""
    while True:
        deadline.check()
        try:
            return sock.recv(size)
        except (BlockingIOError, ssl.SSLWantReadError):
            _ready((sock,), (), deadline.step())
        except ssl.SSLWantWriteError:
            _ready((), (sock,), deadline.step())
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            return b""


_STATUS = re.compile(rb"HTTP/[0-9]{1,3}(?:\.[0-9]{1,3})?[ \t]+([0-9]{3})(?:[ \t]+([^\r\n]*))?")


def _http_get(sock: socket.socket, host: str, port: int, deadline: Deadline) -> _Response:
    host_header = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    request = (
        f"GET / HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: loopgui connectivity test\r\n"
        "Accept: text/html,*/*\r\nConnection: close\r\n\r\n"
    )
    _send_all(sock, request.encode("idna" if not host.isascii() else "ascii", "replace"), deadline)
    buf = bytearray()
    head_end = -1
    while head_end < 0 and len(buf) < HEAD_LIMIT:
        data = _recv(sock, deadline)
        if not data:
            break
        searched = max(0, len(buf) - 3)  # look for the blank line only in what is new: linear in total
        buf += data
        if not b"HTTP/".startswith(bytes(buf[:5])):
            raise _NotHttp
        head_end = _header_end(buf, searched)
    first_line = bytes(buf[: buf.find(b"\n")] if b"\n" in buf else buf)
    status_line = _STATUS.match(first_line)
    if status_line is None:
        raise _NotHttp
    head = bytes(buf[:head_end]) if head_end >= 0 else bytes(buf)
    headers = _headers(head)
    body = bytearray(buf[head_end:]) if head_end >= 0 else bytearray()
    length = _int_or_none(headers.get("content-length", ""))
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    complete = head_end >= 0
    status = int(status_line.group(1))
    if status < 200 or status in (204, 304):
        length = 0  # these never have a body
    want = min(BODY_LIMIT, length) if length is not None else BODY_LIMIT
    if head_end >= 0:
        while len(body) < want and not (chunked and body.endswith(b"0\r\n\r\n")):
            try:
                data = _recv(sock, deadline)
            except ProbeTimeout:
                complete = False
                break
            if not data:
                break
            body += data
    content = _dechunk(bytes(body)) if chunked else bytes(body[:want])
    return _Response(
        status,
        printable(status_line.group(2) or b"", 80),
        printable(headers.get("server", "").encode("latin-1", "replace"), 120),
        page_title(content),
        complete,
    )


def _header_end(buf: bytearray, start: int) -> int:
    """Where the body starts (after the blank line ending the headers), or -1; searches from ``start``."""
    ends = [i + len(sep) for sep in (b"\r\n\r\n", b"\n\n") if (i := buf.find(sep, start)) >= 0]
    return min(ends) if ends else -1


def _headers(head: bytes) -> dict[str, str]:
    """Header names (lower case) and values; the first of each name wins."""
    out: dict[str, str] = {}
    for line in head.split(b"\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            out.setdefault(name.strip().decode("latin-1").lower(), value.strip().decode("latin-1"))
    return out


def _int_or_none(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 18 else None


def _dechunk(data: bytes) -> bytes:
    """The body of a chunked response (as much as is complete); each byte is looked at a bounded number of times."""
    out = bytearray()
    i = 0
    while i < len(data):
        j = data.find(b"\r\n", i, i + 64)
        if j < 0:
            break
        size_text = data[i:j].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            break
        if size <= 0:
            break
        out += data[j + 2 : j + 2 + size]
        i = j + 2 + size + 2
    return bytes(out)


def page_title(body: bytes) -> str:
    """The text between the first ``<title…>`` and the next ``</title``, printable; "" when there is none.

    Linear time on anything a server sends: one lower-casing and three forward searches, no backtracking.
    """
    low = body.lower()
    start = low.find(b"<title")
    if start < 0:
        return ""
    open_end = low.find(b">", start)
    if open_end < 0:
        return ""
    close = low.find(b"</title", open_end + 1)
    if close < 0:
        return ""
    return printable(body[open_end + 1 : close], TITLE_LIMIT)


# -- UDP ---------------------------------------------------------------------------------------------------------


def udp_probe(
    host: str,
    port: int,
    timeout: float = DEFAULT_TIMEOUT,
    cancel: Cancel | None = None,
    *,
    resolver: Resolver | None = None,
) -> list[ProbeResult]:
    """Send an empty datagram to every address at once; the system reports "closed" when the other side says
    nobody listens.  ``timeout`` covers all addresses together."""
    test = ProbeTest.UDP
    deadline = Deadline(clamp_timeout(timeout), cancel)
    port, addresses = _addresses(host, port, socket.SOCK_DGRAM, deadline, resolver)
    start = time.perf_counter()
    results: list[ProbeResult | None] = [None] * len(addresses)
    pending: dict[socket.socket, int] = {}

    def closed(i: int, target: str) -> None:
        results[i] = ProbeResult(test, target, Outcome.CLOSED, ProbeCode.UDP_CLOSED, time.perf_counter() - start)

    try:
        for i, (family, addr) in enumerate(addresses):
            target = _target(family, addr, port)
            try:
                sock = socket.socket(family, socket.SOCK_DGRAM)
            except OSError as exc:
                results[i] = _tcp_failure(test, target, exc, 0.0)
                continue
            try:
                sock.setblocking(False)
                sock.connect(_sockaddr(family, addr, port))
                sock.send(b"")
            except ConnectionRefusedError:
                sock.close()
                closed(i, target)
                continue
            except OSError as exc:
                sock.close()
                results[i] = _tcp_failure(test, target, exc, time.perf_counter() - start)
                continue
            pending[sock] = i
        while pending:
            try:
                deadline.check()
            except ProbeTimeout:
                break
            readable, _ = _ready(pending, (), deadline.step())
            for sock in readable:
                i = pending.pop(sock)
                family, addr = addresses[i]
                target = _target(family, addr, port)
                try:
                    data = sock.recv(2048)
                except BlockingIOError:
                    pending[sock] = i
                    continue
                except ConnectionRefusedError:
                    closed(i, target)
                except OSError as exc:
                    results[i] = _tcp_failure(test, target, exc, time.perf_counter() - start)
                else:
                    results[i] = ProbeResult(
                        test,
                        target,
                        Outcome.ANSWERED,
                        ProbeCode.UDP_ANSWERED,
                        time.perf_counter() - start,
                        greeting=printable(data),
                    )
                finally:
                    if sock not in pending:
                        sock.close()
    finally:
        for sock in pending:
            sock.close()
    took = time.perf_counter() - start
    for i, (family, addr) in enumerate(addresses):
        if results[i] is None:
            results[i] = ProbeResult(
                test, _target(family, addr, port), Outcome.NO_ANSWER, ProbeCode.UDP_NO_ANSWER, took
            )
    return [r for r in results if r is not None]


# -- listening on this computer ----------------------------------------------------------------------------------

BIND_ADDRESSES = (("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6), ("0.0.0.0", socket.AF_INET))


def _try_bind(family: int, addr: str, port: int, kind: int = socket.SOCK_STREAM) -> OSError | None:
    try:
        sock = socket.socket(family, kind)
    except OSError as exc:
        return exc
    with sock:
        try:
            if sys.platform == "win32":
                sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_EXCLUSIVEADDRUSE", 0xFFFFFFFB), 1)
            else:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(_sockaddr(family, addr, port))
            if kind == socket.SOCK_STREAM:
                sock.listen(1)
        except OSError as exc:
            return exc
    return None


def bind_test(
    port: int,
    holders: Callable[[int], ProgramRef | None] | None = None,
    cancel: Cancel | None = None,
    *,
    addresses: Sequence[tuple[str, int]] = BIND_ADDRESSES,
) -> list[ProbeResult]:
    """Could a program start listening on ``port`` now, on loopback and on all network connections (or on the
    ``(address, family)`` pairs given)?  ``holders`` names who listens on a port (None when unknown)."""
    _, port = check_target("localhost", port)
    cancel = cancel or Cancel()
    results = []
    test = ProbeTest.LISTEN
    for addr, family in addresses:
        cancel.check()
        target = _target(family, addr, port)
        error = _try_bind(family, addr, port)
        if error is None:
            results.append(ProbeResult(test, target, Outcome.FREE, ProbeCode.FREE))
            continue
        said = str(error.strerror or error)
        if error.errno in (errno.EADDRINUSE, 10048):
            who = holders(port) if holders else None
            results.append(
                ProbeResult(test, target, Outcome.IN_USE, ProbeCode.IN_USE, holder=who, error=said, errno=error.errno)
            )
        elif error.errno in (errno.EACCES, errno.EPERM, 10013):
            start = knowledge.unprivileged_port_start()
            if port < start:
                results.append(
                    ProbeResult(
                        test,
                        target,
                        Outcome.PERMISSION,
                        ProbeCode.NEEDS_ADMIN,
                        privileged_below=start,
                        error=said,
                        errno=error.errno,
                    )
                )
            else:
                results.append(
                    ProbeResult(test, target, Outcome.PERMISSION, ProbeCode.RESERVED, error=said, errno=error.errno)
                )
        elif error.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
            results.append(
                ProbeResult(test, target, Outcome.UNREACHABLE, ProbeCode.ADDRESS_MISSING, error=said, errno=error.errno)
            )
        else:
            results.append(ProbeResult(test, target, Outcome.ERROR, ProbeCode.FAILED, error=said, errno=error.errno))
    return results


def _accept(server: socket.socket, deadline: Deadline) -> socket.socket:
    while True:
        deadline.check()
        try:
            accepted, _ = server.accept()
        except BlockingIOError:
            _ready((server,), (), deadline.step())
            continue
        accepted.setblocking(False)
        return accepted


def _self_talk(family: int, addr: str, server: socket.socket, deadline: Deadline) -> tuple[int, float, bool]:
    """Listen on ``addr``, connect to it, send a word across: (port, seconds to connect, the word arrived)."""
    server.bind(_sockaddr(family, addr, 0))
    server.listen(1)
    server.setblocking(False)
    port = int(server.getsockname()[1])
    (attempt,) = _connect_all([(family, addr)], port, deadline)
    if attempt.sock is None:
        raise attempt.error or ProbeTimeout()
    with attempt.sock as client, _accept(server, deadline) as accepted:
        _send_all(accepted, b"loopgui", deadline)
        got = b""
        while len(got) < 7:
            data = _recv(client, deadline, 16)
            if not data:
                break
            got += data
    return port, attempt.seconds, got == b"loopgui"


def loopback_self_test(timeout: float = DEFAULT_TIMEOUT, cancel: Cancel | None = None) -> list[ProbeResult]:
    """loopgui listens on 127.0.0.1 and ::1 itself and connects to itself: proves loopback works.  ``timeout``
    covers both addresses together."""
    deadline = Deadline(clamp_timeout(timeout), cancel)
    results = []
    test = ProbeTest.LOOPBACK_SELF_TEST
    for addr, family in BIND_ADDRESSES[:2]:
        start = time.perf_counter()
        try:
            server = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:
            results.append(
                ProbeResult(
                    test,
                    addr,
                    Outcome.UNREACHABLE,
                    ProbeCode.SELF_TEST_UNAVAILABLE,
                    error=str(exc.strerror or exc),
                    errno=exc.errno,
                )
            )
            continue
        with server:
            try:
                port, took, ok = _self_talk(family, addr, server, deadline)
            except Cancelled:
                raise
            except OSError as exc:
                results.append(
                    ProbeResult(
                        test,
                        addr,
                        Outcome.ERROR,
                        ProbeCode.SELF_TEST_BLOCKED,
                        time.perf_counter() - start,
                        error=str(exc.strerror or exc),
                        errno=exc.errno,
                    )
                )
                continue
        target = _target(family, addr, port)
        if ok:
            results.append(ProbeResult(test, target, Outcome.CONNECTED, ProbeCode.SELF_TEST_OK, took))
        else:
            results.append(ProbeResult(test, target, Outcome.ERROR, ProbeCode.SELF_TEST_DATA_LOST, took))
    return results


def find_free_port(used: Iterable[int] = (), rng: random.Random | None = None, attempts: int = 60) -> int | None:
    """A port in the registered range, below this computer's temporary range, not commonly used, that binds on
    both 127.0.0.1 and ::1 now.  None if none was found."""
    rng = rng or random.Random()
    taken = set(used)
    upper = min(knowledge.ephemeral_range().first, 49152) - 1
    for _ in range(attempts):
        port = rng.randint(10000 if upper > 20000 else 1024, upper)
        if port in taken or knowledge.port_info(port).common_name:
            continue
        if _try_bind(socket.AF_INET, "127.0.0.1", port) is None and _try_bind(socket.AF_INET6, "::1", port) is None:
            return port
    return None


def free_port_test(used: Iterable[int] = (), rng: random.Random | None = None) -> list[ProbeResult]:
    """The "Find a free port" test as a result row."""
    port = find_free_port(used, rng)
    if port is None:
        return [ProbeResult(ProbeTest.FIND_FREE_PORT, "", Outcome.ERROR, ProbeCode.NO_FREE_PORT)]
    return [ProbeResult(ProbeTest.FIND_FREE_PORT, "", Outcome.FREE, ProbeCode.FREE_PORT_FOUND, port=port)]


@dataclass
class LatencyHistory:
    """The last ``size`` connect times (None = failed) for the repeat mode's little chart."""

    size: int = 60
    values: list[float | None] = field(default_factory=list)

    def add(self, seconds: float | None) -> None:
        self.values.append(seconds)
        del self.values[: -self.size]
