"""Finding endpoints and the error kind in real-world error messages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopgui.core.endpoints import ErrorKind, find_endpoints

R, U, P, T, X, N, F = (
    ErrorKind.REFUSED,
    ErrorKind.IN_USE,
    ErrorKind.PERMISSION,
    ErrorKind.TIMEOUT,
    ErrorKind.RESET,
    ErrorKind.UNREACHABLE,
    ErrorKind.NOT_FOUND,
)

# (message, expected endpoints in order (host, port), expected kind)
CASES: list[tuple[str, list[tuple[str, int]], ErrorKind | None]] = [
    ("127.0.0.1:62893", [("127.0.0.1", 62893)], None),
    ("localhost:3000", [("localhost", 3000)], None),
    ("[::1]:8080", [("::1", 8080)], None),
    ("::1:8080", [("::1", 8080)], None),
    ("0.0.0.0:5000", [("0.0.0.0", 5000)], None),
    (":::3000", [("::", 3000)], None),
    ("*:80", [("*", 80)], None),
    ("http://127.0.0.1:62893/path?x=1", [("127.0.0.1", 62893)], None),
    ("https://localhost/", [("localhost", 443)], None),
    ("port 5432", [("", 5432)], None),
    ("Error: connect ECONNREFUSED 127.0.0.1:62893", [("127.0.0.1", 62893)], R),
    ("Error: connect ECONNREFUSED ::1:3000\n    at TCPConnectWrap.afterConnect", [("::1", 3000)], R),
    ("Error: listen EADDRINUSE: address already in use :::3000", [("::", 3000)], U),
    ("Error: listen EADDRINUSE: address already in use 127.0.0.1:8080", [("127.0.0.1", 8080)], U),
    ("OSError: [Errno 98] Address already in use", [], U),
    ("ConnectionRefusedError: [Errno 111] Connection refused", [], R),
    ("OSError: [WinError 10048] Only one usage of each socket address is normally permitted", [], U),
    (
        "ConnectionRefusedError: [WinError 10061] No connection could be made because the target machine "
        "actively refused it",
        [],
        R,
    ),
    (
        "PermissionError: [WinError 10013] An attempt was made to access a socket in a way forbidden by its "
        "access permissions",
        [],
        P,
    ),
    ("java.net.ConnectException: Connection refused (Connection refused)", [], R),
    ("GET http://localhost:5173/ net::ERR_CONNECTION_REFUSED", [("localhost", 5173)], R),
    (
        "curl: (7) Failed to connect to localhost port 62893 after 0 ms: Couldn't connect to server",
        [("localhost", 62893)],
        R,
    ),
    (
        'psql: error: connection to server at "localhost" (127.0.0.1), port 5432 failed: Connection refused\n'
        "\tIs the server running on that host and accepting TCP/IP connections?",
        [("127.0.0.1", 5432)],
        R,
    ),
    (
        'could not connect to server: Connection refused\n\tIs the server running on host "localhost" (::1) '
        "and accepting\n\tTCP/IP connections on port 5432?",
        [("::1", 5432)],
        R,
    ),
    ("dial tcp 127.0.0.1:6379: connect: connection refused", [("127.0.0.1", 6379)], R),
    ("Could not connect to Redis at 127.0.0.1:6379: Connection refused", [("127.0.0.1", 6379)], R),
    ("listen tcp 0.0.0.0:8080: bind: address already in use", [("0.0.0.0", 8080)], U),
    (
        "Error starting userland proxy: listen tcp4 0.0.0.0:5432: bind: address already in use",
        [("0.0.0.0", 5432)],
        U,
    ),
    ("Web server failed to start. Port 8080 was already in use.", [("", 8080)], U),
    ("Something is already running on port 3000.", [("", 3000)], U),
    ("Port 5173 is in use, trying another one...", [("", 5173)], U),
    ("Error: listen EACCES: permission denied 0.0.0.0:80", [("0.0.0.0", 80)], P),
    ("ssh: connect to host 192.168.1.10 port 22: Connection timed out", [("192.168.1.10", 22)], T),
    ("Error: connect ETIMEDOUT 10.0.0.5:443", [("10.0.0.5", 443)], T),
    ("Error: read ECONNRESET", [], X),
    ("Error: socket hang up at connResetException localhost:4000", [("localhost", 4000)], X),
    ("ConnectionResetError: [Errno 104] Connection reset by peer", [], X),
    ("ssh: connect to host 10.1.1.1 port 2222: No route to host", [("10.1.1.1", 2222)], N),
    ("Error: getaddrinfo ENOTFOUND db.internal", [], F),
    ("curl: (6) Could not resolve host: api.example.test", [], F),
    ("ERROR 2003 (HY000): Can't connect to MySQL server on 'localhost:3306' (111)", [("localhost", 3306)], R),
    (
        "requests.exceptions.ConnectionError: HTTPConnectionPool(host='localhost', port=8000): Max retries exceeded "
        "with url: / (Caused by NewConnectionError('Failed to establish a new connection: [Errno 111] Connection "
        "refused'))",
        [("", 8000)],
        R,
    ),
    ("This site can't be reached. localhost refused to connect. ERR_CONNECTION_REFUSED", [], R),
    ("socket.timeout: timed out", [], T),
    ("Failed to bind to address http://127.0.0.1:5000: address already in use.", [("127.0.0.1", 5000)], U),
    ("[Errno 13] Permission denied: ('0.0.0.0', 443)", [], P),
    ("server listening at http://[::1]:4000 and http://127.0.0.1:4000", [("::1", 4000), ("127.0.0.1", 4000)], None),
    ("Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)", [("0.0.0.0", 8000)], None),
    ("version 1.2.3:80 released at 12:30:45", [], None),
]


@pytest.mark.parametrize(("text", "expected", "kind"), CASES, ids=[c[0][:40] for c in CASES])
def test_real_world_messages(text: str, expected: list[tuple[str, int]], kind: ErrorKind | None) -> None:
    result = find_endpoints(text)
    assert [(e.host, e.port) for e in result.endpoints] == expected
    assert result.kind == kind


def test_at_least_forty_messages() -> None:
    assert len(CASES) >= 40


def test_most_likely_endpoint_first() -> None:
    text = "GET https://cdn.example.com/app.js ok; then connect ECONNREFUSED 127.0.0.1:62893 (retrying)"
    result = find_endpoints(text)
    assert result.endpoints[0].port == 62893
    assert {e.host for e in result.endpoints} == {"127.0.0.1", "cdn.example.com"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("port 70000", "70000 is not a port number"),
        ("999.1.1.1:80", "999.1.1.1 is not a valid address"),
        ("x" * 1_000_001 + " 127.0.0.1:80", "only its first million characters"),
    ],
)
def test_bad_input_gets_a_plain_problem(text: str, problem: str) -> None:
    result = find_endpoints(text)
    assert any(problem in p for p in result.problems)


def test_empty_and_junk() -> None:
    assert find_endpoints("").endpoints == ()
    assert find_endpoints("\x00\x01\xff binary \udcff junk").endpoints == ()
    assert find_endpoints(None).problems  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_random_text_never_raises(text: str) -> None:
    result = find_endpoints(text)
    assert all(1 <= e.port <= 65535 for e in result.endpoints)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[a-z \[\]:.*0-9/]{0,60}", fullmatch=True))
def test_addressy_text_never_raises(text: str) -> None:
    find_endpoints(text)
