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

from loopgui.core.cancel import Cancel, Cancelled
from loopgui.core.explain.facts import ProgramRef
from loopgui.core.net import probes
from loopgui.core.net.probes import BadInput, InputCode, Outcome, ProbeCode, ProbeTest
from loopgui.core.words import probes as probe_words
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
    assert r.test == ProbeTest.TCP and r.code == ProbeCode.CONNECTED_GREETING
    said = r.greeting or ""
    assert said.startswith("SSH-2.0-OpenSSH_9.2") and "\x1b" not in said and "\x00" not in said


def test_silent_server_connects_and_says_nothing() -> None:
    with tcp_server() as port:
        (r,) = probes.tcp_probe("127.0.0.1", port, 2)
    assert r.outcome == Outcome.CONNECTED and r.code == ProbeCode.CONNECTED and r.greeting == ""
    assert r.seconds is not None and r.seconds < 2
    assert dict(probe_words.details(r))["It said"].startswith("nothing")  # the English wording, once


def test_closed_port_is_refused() -> None:
    (r,) = probes.tcp_probe("127.0.0.1", free_port(), 2)
    assert r.outcome == Outcome.REFUSED and r.code == ProbeCode.REFUSED and r.errno is not None
    assert "nothing listens" in probe_words.verdict_text(r)


def test_no_answer_times_out() -> None:
    with full_backlog() as port:
        (r,) = probes.tcp_probe("127.0.0.1", port, 0.5)
    assert r.outcome == Outcome.TIMEOUT and r.code == ProbeCode.TIMED_OUT


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
    assert r.outcome == Outcome.ANSWERED and r.code == ProbeCode.PAGE and r.test == ProbeTest.HTTP
    assert r.http is not None and (r.http.status, r.http.reason) == (200, "OK") and r.http.complete
    assert r.http.server.startswith("SimpleHTTP")
    assert r.http.title == "Hello <b>loopgui</b>"  # shown as plain text, never interpreted
    assert r.certificate is None
    d = dict(probe_words.details(r))
    assert d["Status"] == "200 OK" and d["Page title"] == "Hello <b>loopgui</b>"
    assert probe_words.verdict_text(r) == "A web server answered: 200 OK — “Hello <b>loopgui</b>”."


def test_http_probe_on_a_non_http_service() -> None:
    with tcp_server(b"220 smtp.example ESMTP ready\r\n") as port:
        r = probes.http_probe("127.0.0.1", port, 2)
    assert r.outcome == Outcome.ERROR and r.code == ProbeCode.NOT_HTTP


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
    assert r.outcome == Outcome.ANSWERED and r.code == ProbeCode.PAGE and r.test == ProbeTest.HTTPS
    c = r.certificate
    assert c is not None and c.subject == "commonName=localhost" and c.issuer == c.subject and c.self_signed
    assert c.days_left in (2, 3) and c.not_after is not None and c.not_after > time.time()
    d = dict(probe_words.details(r))
    assert "(in 2 days)" in d["Valid until"] or "(in 3 days)" in d["Valid until"]
    assert "self-signed" in probe_words.verdict_text(r)


def test_https_probe_on_plain_http_says_so() -> None:
    with http_server() as port:
        r = probes.http_probe("127.0.0.1", port, 2, https=True)
    assert r.outcome == Outcome.ERROR and r.code == ProbeCode.TLS_WRONG_PROTOCOL
    assert "WRONG_VERSION_NUMBER" in r.error  # the library's own words stay evidence
    text = probe_words.verdict_text(r)
    assert "does not speak HTTPS" in text and "try HTTP" in text and "WRONG_VERSION_NUMBER" not in text
    assert "WRONG_VERSION_NUMBER" in dict(probe_words.details(r))["Error"]


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("WRONG_VERSION_NUMBER", ProbeCode.TLS_WRONG_PROTOCOL),
        ("UNKNOWN_PROTOCOL", ProbeCode.TLS_WRONG_PROTOCOL),
        ("TLSV1_ALERT_PROTOCOL_VERSION", ProbeCode.TLS_REFUSED),
        ("SSLV3_ALERT_HANDSHAKE_FAILURE", ProbeCode.TLS_REFUSED),
        ("UNEXPECTED_EOF_WHILE_READING", ProbeCode.TLS_HUNG_UP),
        ("SOMETHING_NEW", ProbeCode.TLS_FAILED),
    ],
)
def test_tls_failures_have_codes(reason: str, code: ProbeCode) -> None:
    exc = ssl.SSLError(1, f"[SSL: {reason}] {reason.lower()} (_ssl.c:1000)")
    exc.reason = reason
    assert probes.tls_failure_code(exc) == code


def test_udp_closed_silent_and_answering() -> None:
    (closed,) = probes.udp_probe("127.0.0.1", free_port(), 1)
    assert closed.outcome == Outcome.CLOSED and closed.code == ProbeCode.UDP_CLOSED and closed.test == ProbeTest.UDP
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        (r,) = probes.udp_probe("127.0.0.1", silent.getsockname()[1], 0.3)
    assert r.outcome == Outcome.NO_ANSWER and r.code == ProbeCode.UDP_NO_ANSWER
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as echo:
        echo.bind(("127.0.0.1", 0))

        def answer() -> None:
            _, addr = echo.recvfrom(100)
            echo.sendto(b"pong", addr)

        t = threading.Thread(target=answer, daemon=True)
        t.start()
        (r,) = probes.udp_probe("127.0.0.1", echo.getsockname()[1], 2)
        t.join(2)
    assert r.outcome == Outcome.ANSWERED and r.code == ProbeCode.UDP_ANSWERED and r.greeting == "pong"


def test_bind_test_free_in_use_and_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        results = {r.target: r for r in probes.bind_test(port, lambda p: ProgramRef("test", p))}
    held = results[f"127.0.0.1:{port}"]
    assert held.outcome == Outcome.IN_USE and held.code == ProbeCode.IN_USE and held.test == ProbeTest.LISTEN
    assert held.holder == ProgramRef("test", port)
    assert probe_words.verdict_text(held) == f"In use by test (PID {port}): another program already listens here."
    assert results[f"[::1]:{port}"].code == ProbeCode.FREE
    assert results[f"0.0.0.0:{port}"].code == ProbeCode.IN_USE
    monkeypatch.setattr(probes, "_try_bind", lambda *a: PermissionError(13, "Permission denied"))
    monkeypatch.setattr(probes.knowledge, "unprivileged_port_start", lambda: 1024)
    (r, *_) = probes.bind_test(80)
    assert r.outcome == Outcome.PERMISSION and r.code == ProbeCode.NEEDS_ADMIN and r.privileged_below == 1024
    assert r.errno == 13 and r.error == "Permission denied"
    (r, *_) = probes.bind_test(8080)
    assert r.code == ProbeCode.RESERVED


def test_loopback_self_test_works() -> None:
    results = probes.loopback_self_test(2)
    assert [r.outcome for r in results] == [Outcome.CONNECTED, Outcome.CONNECTED]
    assert [r.code for r in results] == [ProbeCode.SELF_TEST_OK, ProbeCode.SELF_TEST_OK]
    assert all(r.test == ProbeTest.LOOPBACK_SELF_TEST and r.seconds is not None for r in results)


def test_find_free_port() -> None:
    port = probes.find_free_port(used={1})
    assert port is not None and 1024 <= port < probes.knowledge.ephemeral_range().first
    assert probes._try_bind(socket.AF_INET, "127.0.0.1", port) is None
    (r,) = probes.free_port_test(used={1})
    assert r.test == ProbeTest.FIND_FREE_PORT and r.code == ProbeCode.FREE_PORT_FOUND and r.port is not None
    assert probe_words.target_text(r) == f"port {r.port}"


@pytest.mark.parametrize(
    ("host", "port", "code", "message"),
    [
        ("", 80, InputCode.NO_HOST, "Type the computer"),
        ("local host", 80, InputCode.BAD_HOST, "is not a computer name"),
        ("localhost", 0, InputCode.PORT_OUT_OF_RANGE, "0 is not a port number"),
        ("localhost", 70000, InputCode.PORT_OUT_OF_RANGE, "70000 is not a port number"),
        ("localhost", "abc", InputCode.BAD_PORT, "Type a port number"),
    ],
)
def test_bad_input_is_explained(host: str, port: object, code: InputCode, message: str) -> None:
    with pytest.raises(BadInput) as raised:
        probes.tcp_probe(host, port, 1)  # type: ignore[arg-type]
    assert raised.value.code == code
    assert message in probe_words.bad_input_text(raised.value)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("[::1]3000", InputCode.NOT_HOST_PORT),
        ("localhost", InputCode.NO_PORT),
        ("::1:3000", InputCode.IPV6_NEEDS_BRACKETS),
    ],
)
def test_bad_targets_have_codes(text: str, code: InputCode) -> None:
    with pytest.raises(BadInput) as raised:
        probes.parse_target(text)
    assert raised.value.code == code and raised.value.text == text
    assert text in probe_words.bad_input_text(raised.value)


def test_unknown_name_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*a: object, **k: object) -> None:
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(probes.socket, "getaddrinfo", fail)
    with pytest.raises(BadInput) as raised:
        probes.tcp_probe("no-such-host.invalid", 80, 1)
    assert raised.value.code == InputCode.NAME_NOT_FOUND and raised.value.host == "no-such-host.invalid"
    assert "Name or service not known" in raised.value.error
    assert "could not be found" in probe_words.bad_input_text(raised.value)


def test_latency_history_summary() -> None:
    h = probes.LatencyHistory(size=3)
    assert probe_words.latency_text(h.values) == "no attempts yet"
    for v in (0.001, None, 0.003, 0.002):
        h.add(v)
    assert h.values == [None, 0.003, 0.002]
    assert probe_words.latency_text(h.values) == "2 of 3 connected; fastest 2 ms, slowest 3 ms"
    assert probe_words.latency_text([None]) == "1 of 1 attempt failed"
