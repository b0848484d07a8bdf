"""Connectivity tests: does it answer?  Every probe has ONE overall deadline and can be cancelled.

loopgui only ever probes the one host and port the user typed or picked; nothing here scans ranges of ports or
hosts.  Results are plain data with a verdict in plain words.
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
from typing import Any

from loopgui.core.explain import knowledge
from loopgui.core.text.plaintext import shown

DEFAULT_TIMEOUT = 3.0
MAX_TIMEOUT = 60.0
BANNER_WAIT = 1.0
BANNER_LIMIT = 200
TITLE_LIMIT = 200


class Cancelled(Exception):
    """The user cancelled the probe."""


class Cancel:
    """A cancellation flag shared between the GUI and a running probe."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled


class Outcome(str, enum.Enum):
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


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One line of a test's answer: what was tried, the outcome, a plain verdict, technical details."""

    test: str
    target: str
    outcome: Outcome
    verdict: str
    seconds: float | None = None
    details: tuple[tuple[str, str], ...] = ()

    @property
    def good(self) -> bool:
        return self.outcome in (Outcome.CONNECTED, Outcome.FREE, Outcome.ANSWERED)


class BadInput(ValueError):
    """The host or port given cannot be tested; the message says why in plain words."""


class LookupFailed(BadInput):
    """The name was typed well but could not be looked up (not found, no address, or too slow)."""


def parse_target(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPv6]:PORT`` as typed in a terminal; raises BadInput in plain words."""
    text = text.strip()
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise BadInput(f"“{text[:60]}” is not HOST:PORT; write an IPv6 address as [::1]:3000.")
        port = rest[1:]
    else:
        host, sep, port = text.rpartition(":")
        if not sep:
            raise BadInput(f"“{text[:60]}” has no port: write HOST:PORT, for example 127.0.0.1:3000.")
        if ":" in host:
            raise BadInput(f"“{text[:60]}”: write an IPv6 address in brackets, for example [::1]:3000.")
    return check_target(host, port)


def check_target(host: str, port: object) -> tuple[str, int]:
    host = (host or "").strip().strip("[]")
    if not host:
        raise BadInput("Type the computer to test, for example localhost or 127.0.0.1.")
    if len(host) > 253 or any(c.isspace() for c in host):
        raise BadInput(f"“{host[:60]}” is not a computer name or address.")
    try:
        number = int(str(port).strip())
    except ValueError:
        raise BadInput("Type a port number between 1 and 65535.") from None
    if not 1 <= number <= 65535:
        raise BadInput(f"{number} is not a port number: ports go from 1 to 65535.")
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
            raise LookupFailed(f"Looking up the name {host} took longer than {deadline.seconds:g} seconds.")
        worker.join(deadline.step())
    if failed:
        raise LookupFailed(f"The name {host} could not be found. Check the spelling, or the network and VPN.")
    out: list[tuple[int, str]] = []
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            entry = (family, str(sockaddr[0]))
            if entry not in out:
                out.append(entry)
    if not out:
        raise LookupFailed(f"The name {host} has no address loopgui can test.")
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


def _tcp_failure(test: str, target: str, exc: OSError, seconds: float) -> ProbeResult:
    code = exc.errno
    if isinstance(exc, TimeoutError) or code in (errno.ETIMEDOUT, 10060):
        return ProbeResult(
            test,
            target,
            Outcome.TIMEOUT,
            "No answer in time: something silently drops the attempt — often a firewall — or the address is wrong.",
            seconds,
        )
    if code in (errno.ECONNREFUSED, 10061):
        return ProbeResult(test, target, Outcome.REFUSED, "Refused: nothing listens on this port there.", seconds)
    if code in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, 10051, 10065):
        return ProbeResult(
            test, target, Outcome.UNREACHABLE, "Unreachable: there is no network path to this address.", seconds
        )
    if code in (errno.EACCES, errno.EPERM, 10013):
        return ProbeResult(
            test,
            target,
            Outcome.PERMISSION,
            "Not allowed: a firewall or security program on this computer blocked the attempt.",
            seconds,
        )
    return ProbeResult(test, target, Outcome.ERROR, f"Failed: {exc.strerror or exc}.", seconds)


_NOT_TLS = ("WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG", "RECORD_LAYER")


def tls_failure_words(exc: ssl.SSLError) -> str:
    """A failed secure connection in plain words; the library's own code (WRONG_VERSION_NUMBER…) stays a detail."""
    reason = str(exc.reason or exc).upper().replace(" ", "_")
    if any(code in reason for code in _NOT_TLS):
        return "This port does not speak HTTPS (the secure kind of web page); try HTTP: “Open as a web page”."
    if "ALERT" in reason or "HANDSHAKE" in reason or "NO_PROTOCOLS" in reason or "UNSUPPORTED" in reason:
        return (
            "The program on this port refused the secure connection: it may want a newer or older kind of HTTPS, "
            "or a certificate from you."
        )
    if "EOF" in reason or isinstance(exc, ssl.SSLEOFError):
        return "The program on this port hung up while the secure connection was being set up."
    return "The secure connection could not be set up; see the details. Is this port really HTTPS?"


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
            results.append(_tcp_failure("Connect (TCP)", target, a.error or ProbeTimeout(), a.seconds))
            continue
        details = [("Time to connect", f"{a.seconds * 1000:.1f} ms")]
        if greeting:
            banner = printable(said.get(a.sock, b""))
            details.append(("It said", banner or "nothing (many services wait for the other side to speak first)"))
        results.append(
            ProbeResult(
                "Connect (TCP)",
                target,
                Outcome.CONNECTED,
                f"Connected in {a.seconds * 1000:.1f} ms: a program is listening and answers.",
                a.seconds,
                tuple(details),
            )
        )
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
    test = "Web page (HTTPS)" if use_tls else "Web page (HTTP)"
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
    cert_note = ""
    details: list[tuple[str, str]] = []
    stage = "connect"
    try:
        if use_tls:
            stage = "tls"
            conn, cert_note, details = _tls_wrap(conn, host, deadline)
        stage = "http"
        response = _http_get(conn, host, port, deadline)
    except ProbeTimeout:
        if stage == "tls":
            return ProbeResult(
                test, target, Outcome.TIMEOUT, "Connected, but the secure connection was not set up in time."
            )
        return ProbeResult(test, target, Outcome.TIMEOUT, "Connected, but no web page came back in time.")
    except _NotHttp:
        return ProbeResult(
            test,
            target,
            Outcome.ERROR,
            "Something answers on this port, but it does not speak HTTP (it may be another kind of service).",
        )
    except ssl.SSLError as exc:
        return ProbeResult(
            test, target, Outcome.ERROR, tls_failure_words(exc), details=(("Error", str(exc.reason or exc)),)
        )
    except OSError as exc:
        return ProbeResult(test, target, Outcome.ERROR, f"Failed: {exc.strerror or exc}.")
    finally:
        conn.close()
    took = time.perf_counter() - start
    status, reason, server, title = response.status, response.reason, response.server, response.title
    details = [("Status", f"{status} {reason}".strip()), ("Server", server or "(not said)"), *details]
    if title:
        details.append(("Page title", title))
    if not response.complete:
        details.append(("Page", "only partly received within the time limit"))
    verdict = f"A web server answered: {status} {reason}".rstrip() + (f" — “{title}”." if title else ".")
    if cert_note:
        verdict += " " + cert_note
    return ProbeResult(test, target, Outcome.ANSWERED, verdict, took, tuple(details))


def _tls_wrap(sock: socket.socket, host: str, deadline: Deadline) -> tuple[socket.socket, str, list[tuple[str, str]]]:
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
    info = _decode_certificate(der)
    details = [(k, v) for k, v in info.items()]
    note = ""
    if info.get("Subject") and info.get("Subject") == info.get("Issuer"):
        note = (
            "Its certificate is self-signed: normal for a program on your own computer, but a browser will warn "
            "about it."
        )
    return tls, note, details


def _decode_certificate(der: bytes) -> dict[str, str]:
    """Subject, issuer and expiry of a certificate (uses CPython's own decoder; empty if unavailable)."""
    if not der:
        return {}
    decoder = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
    if decoder is None:
        return {}
    fd, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(ssl.DER_cert_to_PEM_cert(der))
        decoded = decoder(path)
    except (OSError, ValueError, ssl.SSLError):
        return {}
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)

    def name(parts: Iterable[Iterable[tuple[str, str]]]) -> str:
        return shown(", ".join(f"{k}={v}" for rdn in parts for k, v in rdn), BANNER_LIMIT)

    out = {"Subject": name(decoded.get("subject", ())), "Issuer": name(decoded.get("issuer", ()))}
    if "notAfter" in decoded:
        expiry = ssl.cert_time_to_seconds(decoded["notAfter"])
        days = int((expiry - time.time()) // 86400)
        when = time.strftime("%Y-%m-%d", time.gmtime(expiry))
        out["Valid until"] = f"{when} (expired)" if days < 0 else f"{when} (in {days} days)"
    return out


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
    test = "Send a message (UDP)"
    deadline = Deadline(clamp_timeout(timeout), cancel)
    port, addresses = _addresses(host, port, socket.SOCK_DGRAM, deadline, resolver)
    start = time.perf_counter()
    results: list[ProbeResult | None] = [None] * len(addresses)
    pending: dict[socket.socket, int] = {}

    def closed(i: int, target: str) -> None:
        results[i] = ProbeResult(
            test,
            target,
            Outcome.CLOSED,
            "Closed: the system there answered that nothing receives messages on this port.",
            time.perf_counter() - start,
        )

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
                        "A program answered.",
                        time.perf_counter() - start,
                        (("It said", printable(data)),),
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
                test,
                _target(family, addr, port),
                Outcome.NO_ANSWER,
                "No answer. With UDP that can mean a program received it and stayed silent, or that a firewall "
                "dropped it: UDP cannot tell the two apart.",
                took,
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
    holders: Callable[[int], str] | None = None,
    cancel: Cancel | None = None,
    *,
    addresses: Sequence[tuple[str, int]] = BIND_ADDRESSES,
) -> list[ProbeResult]:
    """Could a program start listening on ``port`` now, on loopback and on all network connections (or on the
    ``(address, family)`` pairs given)?"""
    _, port = check_target("localhost", port)
    cancel = cancel or Cancel()
    results = []
    for addr, family in addresses:
        cancel.check()
        target = _target(family, addr, port)
        error = _try_bind(family, addr, port)
        if error is None:
            results.append(
                ProbeResult("Can a program listen here?", target, Outcome.FREE, "Free: a program could listen here.")
            )
        elif error.errno in (errno.EADDRINUSE, 10048):
            who = holders(port) if holders else ""
            results.append(
                ProbeResult(
                    "Can a program listen here?",
                    target,
                    Outcome.IN_USE,
                    f"In use{f' by {who}' if who else ''}: another program already listens here.",
                )
            )
        elif error.errno in (errno.EACCES, errno.EPERM, 10013):
            start = knowledge.unprivileged_port_start()
            reason = (
                f"ports below {start} need administrator rights"
                if port < start
                else "the system reserves it or a security program blocks it"
            )
            results.append(
                ProbeResult("Can a program listen here?", target, Outcome.PERMISSION, f"Not allowed: {reason}.")
            )
        elif error.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
            results.append(
                ProbeResult(
                    "Can a program listen here?",
                    target,
                    Outcome.UNREACHABLE,
                    "This computer does not have this address (IPv6 may be turned off).",
                )
            )
        else:
            results.append(ProbeResult("Can a program listen here?", target, Outcome.ERROR, f"Failed: {error}."))
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
    for addr, family in BIND_ADDRESSES[:2]:
        start = time.perf_counter()
        try:
            server = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:
            results.append(
                ProbeResult("Loopback self-test", addr, Outcome.UNREACHABLE, f"Not available here: {exc.strerror}.")
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
                        "Loopback self-test",
                        addr,
                        Outcome.ERROR,
                        f"This computer cannot talk to itself over {addr} ({exc.strerror or exc}): a security "
                        "program or a broken network setup is the likely cause.",
                        time.perf_counter() - start,
                    )
                )
                continue
        target = _target(family, addr, port)
        results.append(
            ProbeResult(
                "Loopback self-test",
                target,
                Outcome.CONNECTED if ok else Outcome.ERROR,
                f"Works: loopgui reached itself in {took * 1000:.2f} ms." if ok else "Connected, but data got lost.",
                took,
            )
        )
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


@dataclass
class LatencyHistory:
    """The last ``size`` connect times (None = failed) for the repeat mode's little chart."""

    size: int = 60
    values: list[float | None] = field(default_factory=list)

    def add(self, seconds: float | None) -> None:
        self.values.append(seconds)
        del self.values[: -self.size]

    @property
    def summary(self) -> str:
        ok = [v for v in self.values if v is not None]
        failed = len(self.values) - len(ok)
        if not ok:
            return f"{failed} of {len(self.values)} attempts failed" if failed else "no attempts yet"
        return (
            f"{len(ok)} of {len(self.values)} connected; fastest {min(ok) * 1000:.1f} ms, "
            f"slowest {max(ok) * 1000:.1f} ms"
        )
