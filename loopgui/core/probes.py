"""Connectivity tests: does it answer?  Every probe has a hard time bound and can be cancelled.

loopgui only ever probes the one host and port the user typed or picked; nothing here scans ranges of ports or
hosts.  Results are plain data with a verdict in plain words.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import http.client
import math
import os
import random
import re
import select
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from loopgui.core import knowledge

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


# -- name resolution -----------------------------------------------------------------------------------------


def resolve(host: str, port: int, kind: int, timeout: float, cancel: Cancel) -> list[tuple[int, str]]:
    """(family, address) for each address ``host`` has, each once, in the order the system prefers.

    Runs the lookup on a helper thread so that a slow name server cannot exceed ``timeout``.
    """
    literal = knowledge.ip_version(host)
    if literal:
        return [(socket.AF_INET6 if literal == 6 and ":" in host else socket.AF_INET, host.split("%", 1)[0])]
    infos: list[tuple[Any, ...]] = []
    failed: list[OSError] = []

    def lookup() -> None:
        try:
            infos.extend(socket.getaddrinfo(host, port, type=kind))
        except OSError as exc:
            failed.append(exc)

    worker = threading.Thread(target=lookup, name="loopgui-resolve", daemon=True)
    worker.start()
    deadline = time.monotonic() + timeout
    while worker.is_alive():
        cancel.check()
        if time.monotonic() > deadline:
            raise BadInput(f"Looking up the name {host} took longer than {timeout:g} seconds.")
        worker.join(0.05)
    if failed:
        raise BadInput(f"The name {host} could not be found. Check the spelling, or the network and VPN.")
    out: list[tuple[int, str]] = []
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            entry = (family, str(sockaddr[0]))
            if entry not in out:
                out.append(entry)
    if not out:
        raise BadInput(f"The name {host} has no address loopgui can test.")
    return out


def _addresses(host: str, port: object, kind: int, timeout: float, cancel: Cancel) -> tuple[int, list[tuple[int, str]]]:
    """Check the target the user typed, then look it up: (port, [(family, address), ...])."""
    host, number = check_target(host, port)
    return number, resolve(host, number, kind, timeout, cancel)


def _sockaddr(family: int, addr: str, port: int) -> tuple[object, ...]:
    return (addr, port, 0, 0) if family == socket.AF_INET6 else (addr, port)


def _target(family: int, addr: str, port: int) -> str:
    return f"[{addr}]:{port}" if family == socket.AF_INET6 else f"{addr}:{port}"


# -- TCP -------------------------------------------------------------------------------------------------------


def _connect(family: int, addr: str, port: int, timeout: float, cancel: Cancel) -> tuple[socket.socket, float]:
    """Connect without blocking longer than ``timeout`` and checking ``cancel`` every 50 ms."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    start = time.perf_counter()
    try:
        err = sock.connect_ex(_sockaddr(family, addr, port))
        if err not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, getattr(errno, "WSAEWOULDBLOCK", -1)):
            raise OSError(err, os.strerror(err))
        deadline = start + timeout
        while True:
            cancel.check()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(errno.ETIMEDOUT, "timed out")
            _, writable, failed = select.select([], [sock], [sock], min(0.05, left))
            if writable or failed:
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    raise OSError(err, os.strerror(err))
                return sock, time.perf_counter() - start
    except BaseException:
        sock.close()
        raise


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


def printable(data: bytes, limit: int = BANNER_LIMIT) -> str:
    """Untrusted bytes as safe, printable, single-line text."""
    text = data.decode("utf-8", errors="replace")
    text = "".join(c if c.isprintable() else " " for c in text.replace("\r\n", " ").replace("\n", " "))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def tcp_probe(
    host: str, port: int, timeout: float = DEFAULT_TIMEOUT, cancel: Cancel | None = None, *, greeting: bool = True
) -> list[ProbeResult]:
    """Try to connect to every address ``host`` resolves to, separately; read a greeting where one comes."""
    cancel = cancel or Cancel()
    timeout = clamp_timeout(timeout)
    port, addresses = _addresses(host, port, socket.SOCK_STREAM, timeout, cancel)
    results = []
    for family, addr in addresses:
        target = _target(family, addr, port)
        start = time.perf_counter()
        try:
            sock, took = _connect(family, addr, port, timeout, cancel)
        except Cancelled:
            raise
        except OSError as exc:
            results.append(_tcp_failure("Connect (TCP)", target, exc, time.perf_counter() - start))
            continue
        with sock:
            details = [("Time to connect", f"{took * 1000:.1f} ms")]
            if greeting:
                banner = _read_banner(sock, min(BANNER_WAIT, timeout), cancel)
                if banner:
                    details.append(("It said", banner))
                else:
                    details.append(("It said", "nothing (many services wait for the other side to speak first)"))
            results.append(
                ProbeResult(
                    "Connect (TCP)",
                    target,
                    Outcome.CONNECTED,
                    f"Connected in {took * 1000:.1f} ms: a program is listening and answers.",
                    took,
                    tuple(details),
                )
            )
    return results


def _read_banner(sock: socket.socket, wait: float, cancel: Cancel) -> str:
    deadline = time.monotonic() + wait
    chunks = b""
    while time.monotonic() < deadline and len(chunks) < 1024:
        cancel.check()
        readable, _, _ = select.select([sock], [], [], 0.05)
        if not readable:
            if chunks:
                break
            continue
        try:
            data = sock.recv(1024)
        except OSError:
            break
        if not data:
            break
        chunks += data
    return printable(chunks)


# -- HTTP / HTTPS ----------------------------------------------------------------------------------------------


def http_probe(
    host: str, port: int, timeout: float = DEFAULT_TIMEOUT, cancel: Cancel | None = None, *, https: bool | None = None
) -> ProbeResult:
    """``GET /``: status line, Server header, page title; for HTTPS also who the certificate names."""
    cancel = cancel or Cancel()
    host, port = check_target(host, port)
    timeout = clamp_timeout(timeout)
    use_tls = port in (443, 8443) if https is None else https
    scheme = "https" if use_tls else "http"
    family, addr = resolve(host, port, socket.SOCK_STREAM, timeout, cancel)[0]
    target = f"{scheme}://{_target(family, addr, port)}/"
    test = "Web page (HTTPS)" if use_tls else "Web page (HTTP)"
    start = time.perf_counter()
    try:
        sock, _ = _connect(family, addr, port, timeout, cancel)
    except OSError as exc:
        return _tcp_failure(test, target, exc, time.perf_counter() - start)
    details: list[tuple[str, str]] = []
    cert_note = ""
    try:
        sock.setblocking(True)
        sock.settimeout(max(0.1, timeout - (time.perf_counter() - start)))
        if use_tls:
            sock, cert_note, cert_details = _tls_wrap(sock, host)
            details += cert_details
        cancel.check()
        response = _http_get(sock, host, port)
    except Cancelled:
        sock.close()
        raise
    except ssl.SSLError as exc:
        sock.close()
        return ProbeResult(
            test, target, Outcome.ERROR, f"The secure connection failed: {exc.reason or exc}. Is it really HTTPS?"
        )
    except (OSError, http.client.HTTPException) as exc:
        sock.close()
        if isinstance(exc, (http.client.BadStatusLine, http.client.RemoteDisconnected)):
            return ProbeResult(
                test,
                target,
                Outcome.ERROR,
                "Something answers on this port, but it does not speak HTTP (it may be another kind of service).",
            )
        if isinstance(exc, TimeoutError):
            return ProbeResult(test, target, Outcome.TIMEOUT, "Connected, but no web page came back in time.")
        return ProbeResult(test, target, Outcome.ERROR, f"Failed: {exc}.")
    sock.close()
    status, reason, server, title = response
    took = time.perf_counter() - start
    details = [("Status", f"{status} {reason}"), ("Server", server or "(not said)"), *details]
    if title:
        details.append(("Page title", title))
    verdict = f"A web server answered: {status} {reason}" + (f" — “{title}”." if title else ".")
    if cert_note:
        verdict += " " + cert_note
    return ProbeResult(test, target, Outcome.ANSWERED, verdict, took, tuple(details))


def _tls_wrap(sock: socket.socket, host: str) -> tuple[socket.socket, str, list[tuple[str, str]]]:
    """Wrap in TLS without trusting it blindly: the certificate is checked, and explained when it fails."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    server_name = host if not knowledge.ip_version(host) else None
    tls = context.wrap_socket(sock, server_hostname=server_name)
    der = tls.getpeercert(binary_form=True) or b""
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
        return ", ".join(f"{k}={v}" for rdn in parts for k, v in rdn)

    out = {"Subject": name(decoded.get("subject", ())), "Issuer": name(decoded.get("issuer", ()))}
    if "notAfter" in decoded:
        expiry = ssl.cert_time_to_seconds(decoded["notAfter"])
        days = int((expiry - time.time()) // 86400)
        when = time.strftime("%Y-%m-%d", time.gmtime(expiry))
        out["Valid until"] = f"{when} (expired)" if days < 0 else f"{when} (in {days} days)"
    return out


def _http_get(sock: socket.socket, host: str, port: int) -> tuple[int, str, str, str]:
    conn = http.client.HTTPConnection(host, port)
    conn.sock = sock
    host_header = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    conn.putrequest("GET", "/", skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", host_header)
    conn.putheader("User-Agent", "loopgui connectivity test")
    conn.putheader("Accept", "text/html,*/*")
    conn.putheader("Connection", "close")
    conn.endheaders()
    response = conn.getresponse()
    body = response.read(65536)
    title = ""
    m = re.search(rb"<title[^>]*>(.*?)</title", body, re.IGNORECASE | re.DOTALL)
    if m:
        title = printable(m.group(1), TITLE_LIMIT)
    return (
        response.status,
        printable(response.reason.encode(), 80),
        printable((response.getheader("Server") or "").encode(), 120),
        title,
    )


# -- UDP ---------------------------------------------------------------------------------------------------------


def udp_probe(
    host: str, port: int, timeout: float = DEFAULT_TIMEOUT, cancel: Cancel | None = None
) -> list[ProbeResult]:
    """Send an empty datagram; the system reports "closed" when the other side says nobody listens."""
    cancel = cancel or Cancel()
    timeout = clamp_timeout(timeout)
    port, addresses = _addresses(host, port, socket.SOCK_DGRAM, timeout, cancel)
    results = []
    for family, addr in addresses:
        target = _target(family, addr, port)
        start = time.perf_counter()
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect(_sockaddr(family, addr, port))
                sock.send(b"")
                deadline = start + timeout
                outcome = Outcome.NO_ANSWER
                while time.perf_counter() < deadline:
                    cancel.check()
                    readable, _, _ = select.select([sock], [], [], 0.05)
                    if readable:
                        data = sock.recv(2048)
                        outcome = Outcome.ANSWERED
                        detail = printable(data)
                        break
            except ConnectionRefusedError:
                results.append(
                    ProbeResult(
                        "Send a message (UDP)",
                        target,
                        Outcome.CLOSED,
                        "Closed: the system there answered that nothing receives messages on this port.",
                        time.perf_counter() - start,
                    )
                )
                continue
            except OSError as exc:
                results.append(_tcp_failure("Send a message (UDP)", target, exc, time.perf_counter() - start))
                continue
        took = time.perf_counter() - start
        if outcome == Outcome.ANSWERED:
            results.append(
                ProbeResult(
                    "Send a message (UDP)", target, outcome, "A program answered.", took, (("It said", detail),)
                )
            )
        else:
            results.append(
                ProbeResult(
                    "Send a message (UDP)",
                    target,
                    Outcome.NO_ANSWER,
                    "No answer. With UDP that can mean a program received it and stayed silent, or that a firewall "
                    "dropped it: UDP cannot tell the two apart.",
                    took,
                )
            )
    return results


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


def bind_test(port: int, holders: Callable[[int], str] | None = None) -> list[ProbeResult]:
    """Could a program start listening on ``port`` now, on loopback and on all network connections?"""
    _, port = check_target("localhost", port)
    results = []
    for addr, family in BIND_ADDRESSES:
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


def loopback_self_test(timeout: float = DEFAULT_TIMEOUT, cancel: Cancel | None = None) -> list[ProbeResult]:
    """loopgui listens on 127.0.0.1 and ::1 itself and connects to itself: proves loopback works."""
    cancel = cancel or Cancel()
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
                server.bind(_sockaddr(family, addr, 0))
                server.listen(1)
                port = server.getsockname()[1]
                client, took = _connect(family, addr, port, timeout, cancel)
                with client:
                    server.settimeout(timeout)
                    accepted, _ = server.accept()
                    with accepted:
                        accepted.sendall(b"loopgui")
                        client.setblocking(True)
                        client.settimeout(timeout)
                        ok = client.recv(16) == b"loopgui"
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
