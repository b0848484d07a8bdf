"""Connectivity tests against real servers the tests start on loopback."""

from __future__ import annotations

import contextlib
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopgui.core.net import probes
from loopgui.core.net.probes import BadInput, Cancel, Cancelled, Outcome
from tests.helpers import loopback_server

pytestmark = pytest.mark.e2e


@contextlib.contextmanager
def tcp_server(greeting: bytes | None = None, family: int = socket.AF_INET) -> Iterator[int]:
    """Accepts connections; sends ``greeting`` to each (or stays silent)."""
    held: list[socket.socket] = []

    def greet(conn: socket.socket, _stop: threading.Event) -> None:
        held.append(conn)
        if greeting:
            conn.sendall(greeting)

    try:
        with loopback_server(greet, host="127.0.0.1" if family == socket.AF_INET else "::1", family=family) as port:
            yield port
    finally:
        for c in held:
            c.close()


@contextlib.contextmanager
def full_backlog() -> Iterator[int]:
    """A listener that never accepts and whose queue is full: new attempts get no answer (a timeout)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    clients = []
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", port))
        clients.append(c)
    time.sleep(0.2)
    try:
        yield port
    finally:
        for c in clients:
            c.close()
        server.close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><head><title>Hello <b>loopgui</b>\n</title></head><body>hi</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def http_server(context: ssl.SSLContext | None = None) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), QuietHandler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connects_and_reads_a_greeting() -> None:
    with tcp_server(b"SSH-2.0-OpenSSH_9.2\r\n\x1b[31mred\x00") as port:
        (r,) = probes.tcp_probe("127.0.0.1", port, 2)
    assert r.outcome == Outcome.CONNECTED and r.good
    said = dict(r.details)["It said"]
    assert said.startswith("SSH-2.0-OpenSSH_9.2") and "\x1b" not in said and "\x00" not in said


def test_silent_server_connects_and_says_nothing() -> None:
    with tcp_server() as port:
        (r,) = probes.tcp_probe("127.0.0.1", port, 2)
    assert r.outcome == Outcome.CONNECTED
    assert dict(r.details)["It said"].startswith("nothing")


def test_closed_port_is_refused() -> None:
    (r,) = probes.tcp_probe("127.0.0.1", free_port(), 2)
    assert r.outcome == Outcome.REFUSED and "nothing listens" in r.verdict


def test_no_answer_times_out() -> None:
    with full_backlog() as port:
        (r,) = probes.tcp_probe("127.0.0.1", port, 0.5)
    assert r.outcome == Outcome.TIMEOUT and "firewall" in r.verdict


def test_localhost_tests_each_family_separately(monkeypatch: pytest.MonkeyPatch) -> None:
    def both(host: str, port: int, type: int = 0) -> list[tuple[object, ...]]:
        assert host == "localhost"
        return [
            (socket.AF_INET6, type, 6, "", ("::1", port, 0, 0)),
            (socket.AF_INET, type, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(probes.socket, "getaddrinfo", both)
    with tcp_server() as port:
        results = probes.tcp_probe("localhost", port, 2)
    assert [(r.target, r.outcome) for r in results] == [
        (f"[::1]:{port}", Outcome.REFUSED),
        (f"127.0.0.1:{port}", Outcome.CONNECTED),
    ]


def test_cancel_mid_probe() -> None:
    cancel = Cancel()
    outcome: list[BaseException] = []
    with full_backlog() as port:

        def run() -> None:
            try:
                probes.tcp_probe("127.0.0.1", port, 30, cancel)
            except BaseException as exc:
                outcome.append(exc)

        t = threading.Thread(target=run)
        t.start()
        time.sleep(0.2)
        cancel.cancel()
        t.join(5)
    assert not t.is_alive()
    assert isinstance(outcome[0], Cancelled)


def test_http_page_title_and_server() -> None:
    with http_server() as port:
        r = probes.http_probe("127.0.0.1", port, 3)  # not about names: no resolver involved
    assert r.outcome == Outcome.ANSWERED
    d = dict(r.details)
    assert d["Status"] == "200 OK" and d["Server"].startswith("SimpleHTTP")
    assert d["Page title"] == "Hello <b>loopgui</b>"  # shown as plain text, never interpreted
    assert "200 OK" in r.verdict


def test_http_probe_on_a_non_http_service() -> None:
    with tcp_server(b"220 smtp.example ESMTP ready\r\n") as port:
        r = probes.http_probe("127.0.0.1", port, 2)
    assert r.outcome == Outcome.ERROR and "does not speak HTTP" in r.verdict


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    openssl = shutil.which("openssl")
    assert openssl, "openssl is installed by scripts/test.sh"
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "3",
            "-subj",
            "/CN=localhost",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_https_with_a_self_signed_certificate(self_signed: ssl.SSLContext) -> None:
    with http_server(self_signed) as port:
        r = probes.http_probe("127.0.0.1", port, 3, https=True)
    assert r.outcome == Outcome.ANSWERED
    d = dict(r.details)
    assert d["Subject"] == "commonName=localhost" and d["Issuer"] == d["Subject"]
    assert "(in 2 days)" in d["Valid until"] or "(in 3 days)" in d["Valid until"]
    assert "self-signed" in r.verdict


def test_https_probe_on_plain_http_says_so() -> None:
    with http_server() as port:
        r = probes.http_probe("127.0.0.1", port, 2, https=True)
    assert r.outcome == Outcome.ERROR and "does not speak HTTPS" in r.verdict and "try HTTP" in r.verdict
    assert "WRONG_VERSION_NUMBER" not in r.verdict and "WRONG_VERSION_NUMBER" in dict(r.details)["Error"]


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("WRONG_VERSION_NUMBER", "does not speak HTTPS"),
        ("UNKNOWN_PROTOCOL", "does not speak HTTPS"),
        ("TLSV1_ALERT_PROTOCOL_VERSION", "refused the secure connection"),
        ("SSLV3_ALERT_HANDSHAKE_FAILURE", "refused the secure connection"),
        ("SOMETHING_NEW", "could not be set up"),
    ],
)
def test_tls_failures_in_plain_words(reason: str, words: str) -> None:
    exc = ssl.SSLError(1, f"[SSL: {reason}] {reason.lower()} (_ssl.c:1000)")
    exc.reason = reason
    text = probes.tls_failure_words(exc)
    assert words in text and reason not in text


def test_udp_closed_silent_and_answering() -> None:
    (closed,) = probes.udp_probe("127.0.0.1", free_port(), 1)
    assert closed.outcome == Outcome.CLOSED
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        (r,) = probes.udp_probe("127.0.0.1", silent.getsockname()[1], 0.3)
    assert r.outcome == Outcome.NO_ANSWER and "cannot tell" in r.verdict
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as echo:
        echo.bind(("127.0.0.1", 0))

        def answer() -> None:
            _, addr = echo.recvfrom(100)
            echo.sendto(b"pong", addr)

        t = threading.Thread(target=answer, daemon=True)
        t.start()
        (r,) = probes.udp_probe("127.0.0.1", echo.getsockname()[1], 2)
        t.join(2)
    assert r.outcome == Outcome.ANSWERED and dict(r.details)["It said"] == "pong"


def test_bind_test_free_in_use_and_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        results = {r.target: r for r in probes.bind_test(port, lambda p: f"test (PID {p})")}
    assert results[f"127.0.0.1:{port}"].outcome == Outcome.IN_USE
    assert f"by test (PID {port})" in results[f"127.0.0.1:{port}"].verdict
    assert results[f"[::1]:{port}"].outcome == Outcome.FREE
    assert results[f"0.0.0.0:{port}"].outcome == Outcome.IN_USE
    monkeypatch.setattr(probes, "_try_bind", lambda *a: PermissionError(13, "Permission denied"))
    (r, *_) = probes.bind_test(80)
    assert r.outcome == Outcome.PERMISSION and "administrator" in r.verdict


def test_loopback_self_test_works() -> None:
    results = probes.loopback_self_test(2)
    assert [r.outcome for r in results] == [Outcome.CONNECTED, Outcome.CONNECTED]


def test_find_free_port() -> None:
    port = probes.find_free_port(used={1})
    assert port is not None and 1024 <= port < probes.knowledge.ephemeral_range().first
    assert probes._try_bind(socket.AF_INET, "127.0.0.1", port) is None


@pytest.mark.parametrize(
    ("host", "port", "message"),
    [
        ("", 80, "Type the computer"),
        ("local host", 80, "is not a computer name"),
        ("localhost", 0, "0 is not a port number"),
        ("localhost", 70000, "70000 is not a port number"),
        ("localhost", "abc", "Type a port number"),
    ],
)
def test_bad_input_is_explained(host: str, port: object, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        probes.tcp_probe(host, port, 1)  # type: ignore[arg-type]


def test_unknown_name_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*a: object, **k: object) -> None:
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(probes.socket, "getaddrinfo", fail)
    with pytest.raises(BadInput, match="could not be found"):
        probes.tcp_probe("no-such-host.invalid", 80, 1)


def test_latency_history_summary() -> None:
    h = probes.LatencyHistory(size=3)
    assert h.summary == "no attempts yet"
    for v in (0.001, None, 0.003, 0.002):
        h.add(v)
    assert h.values == [None, 0.003, 0.002]
    assert h.summary == "2 of 3 connected; fastest 2.0 ms, slowest 3.0 ms"
