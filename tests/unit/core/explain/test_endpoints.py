"""Finding endpoints and the error kind in real-world error messages."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.shapes import ADVERSARIAL
from loopgui.core.explain.endpoints import ErrorKind, find_endpoints
from loopgui.core.words import explain as words

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
        None,  # curl's "Couldn't connect to server" does not say why
    ),
    (
        'psql: error: connection to server at "localhost" (127.0.0.1), port 5432 failed: Connection refused\n'
        "\tIs the server running on that host and accepting TCP/IP connections?",
        [("127.0.0.1", 5432), ("localhost", 5432)],
        R,
    ),
    (
        'could not connect to server: Connection refused\n\tIs the server running on host "localhost" (::1) '
        "and accepting\n\tTCP/IP connections on port 5432?",
        [("::1", 5432), ("localhost", 5432)],
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
    ("java.net.ConnectException: Failed to connect to /192.168.0.2:8080", [("192.168.0.2", 8080)], None),
    ("ERROR 2003 (HY000): Can't connect to MySQL server on 'localhost:3306' (111)", [("localhost", 3306)], R),
    (
        "requests.exceptions.ConnectionError: HTTPConnectionPool(host='localhost', port=8000): Max retries exceeded "
        "with url: / (Caused by NewConnectionError('Failed to establish a new connection: [Errno 111] Connection "
        "refused'))",
        [("localhost", 8000)],
        R,
    ),
    ("This site can't be reached. localhost refused to connect. ERR_CONNECTION_REFUSED", [], R),
    ("socket.timeout: timed out", [], T),
    ("Failed to bind to address http://127.0.0.1:5000: address already in use.", [("127.0.0.1", 5000)], U),
    ("[Errno 13] Permission denied: ('0.0.0.0', 443)", [("0.0.0.0", 443)], P),
    ("server listening at http://[::1]:4000 and http://127.0.0.1:4000", [("::1", 4000), ("127.0.0.1", 4000)], None),
    ("Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)", [("0.0.0.0", 8000)], None),
    ("version 1.2.3:80 released at 12:30:45", [], None),
]


# Shapes of the categories issue 11 names (the real messages with their sources are in tests/data/real_errors.tsv):
# (message, the most likely endpoint as (host, port) or None, kind).
SHAPES: list[tuple[str, tuple[str, int] | None, ErrorKind | None]] = [
    ("ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 8000)", ("127.0.0.1", 8000), R),
    (
        "OSError: [Errno 98] error while attempting to bind on address ('0.0.0.0', 7878): address in use",
        ("0.0.0.0", 7878),
        U,
    ),
    ("OSError: Multiple exceptions: [Errno 111] Connect call failed ('::1', 8080, 0, 0)", ("::1", 8080), R),
    ("HTTPConnectionPool(host='localhost', port=8100): Max retries exceeded", ("localhost", 8100), None),
    ('Errno::ECONNREFUSED: Connection refused - connect(2) for "localhost" port 1337', ("localhost", 1337), R),
    ('Address in use - bind(2) for "0.0.0.0" port 3030 (Errno::EADDRINUSE)', ("0.0.0.0", 3030), U),
    ("ssh: Unable to connect to port 22 on 127.0.0.1", ("127.0.0.1", 22), None),
    ("nc: connectx to 127.0.0.1 port 4999 (tcp) failed: Connection refused", ("127.0.0.1", 4999), R),
    ('could not translate host name "db" to address; host name "localhost", service "5432"', ("localhost", 5432), F),
    ('connection to server at "localhost" (::1), port 5432 failed: Connection refused', ("::1", 5432), R),
    ("$ mysql -h 127.0.0.1 -P 3306 -u root\nERROR 2003 (HY000): Can't connect (111)", ("127.0.0.1", 3306), R),
    ("listen tcp :8080: bind: address already in use", ("", 8080), U),
    (
        "dial tcp :8091: connectex: No connection could be made because the target machine actively refused it.",
        ("", 8091),
        R,
    ),
    ("2024-07-10 14:04:07.283 T:4345 error: [Errno 111] Connection refused", None, R),
    ("E0811 09:55:40.950978 39150 main.go:26] listen tcp :53: bind: permission denied", ("", 53), P),
    ("events.js:292\n      throw er;\nError: listen EADDRINUSE: address already in use :::5000", ("::", 5000), U),
    (
        'File "asgi.py:77" in handle; NetworkClient:725 at 10:02:11 connect ECONNREFUSED 127.0.0.1:9000',
        ("127.0.0.1", 9000),
        R,
    ),
    ("Could not proxy request /api from localhost:3000 to http://localhost:8080 (ECONNRESET).", ("localhost", 8080), X),
    (
        "Overriding address(es) 'http://*:8080'.\nFailed to bind to address http://127.0.0.1:5010: address already "
        "in use.",
        ("127.0.0.1", 5010),
        U,
    ),
    (
        "SEVERE: Failed to initialize end point [localhost:[8005]] java.net.BindException: Address already in use",
        ("localhost", 8005),
        U,
    ),
    ('Error: listen EACCES: permission denied "80"', ("", 80), P),
    (
        "Error: Failed to bind /dns/localhost/tcp/8080/http. Address already in use (os error 98)",
        ("localhost", 8080),
        U,
    ),
    ("failed to listen on /ip4/127.0.0.1/tcp/4001: address already in use", ("127.0.0.1", 4001), U),
    ("dial tcp [fe80::1%1]:8080: connect: no route to host", ("fe80::1%1", 8080), N),
    ("connect ECONNREFUSED fe80::1%eth0:8080", ("fe80::1%eth0", 8080), R),
    (
        'The TCP/IP connection to the host localhost, port 1433 has failed. Error: "Connection refused: connect.',
        ("localhost", 1433),
        R,
    ),
    (
        "chttp2_transport.cc:1234] ipv6:%5B::1%5D:50051: Failed to connect to remote host: Connection refused",
        ("::1", 50051),
        R,
    ),
    ("GET http://[fe80::1%251]:8080/ failed: connection refused", ("fe80::1%1", 8080), R),
    ("java.net.ConnectException: Connection refused: localhost/127.0.0.1:8080", ("127.0.0.1", 8080), R),
    (
        "DataAccessResourceFailureException from RemoteAccessException: Connection refused 127.0.0.1:5432",
        ("127.0.0.1", 5432),
        R,
    ),
    ("curl: (7) Failed to connect to 10.0.0.9 port 80: No route to host. could not connect", ("10.0.0.9", 80), N),
    (
        "The Tomcat connector configured to listen on port 8080 failed to start. The port may already be in use",
        ("", 8080),
        U,
    ),
    ("Permission to listen on port 80 denied", ("", 80), P),
    ("Error: getaddrinfo ENOTFOUND localhost", None, F),
    ("SocketException (10048): Solo se permite un uso de cada dirección de socket", None, U),
    ("[WinError 10061] 由于目标计算机积极拒绝，无法连接。", None, R),
    ("socket.error: [Errno 10013] 以一种访问权限不允许的方式做了一个访问套接字的尝试。", None, P),
    ("Error 10060 beim Verbinden", None, T),
    ("read: connection reset (os error 104)", None, X),
    ("OSError: [Errno 113] Host unreachable", None, N),
    ("Errno 61 connecting", None, R),
    ("OSError: [Errno 48] Address already in use", None, U),
    ("errno: -110, code 'ETIMEDOUT'", None, T),
    ("由于目标计算机积极拒绝，无法连接。 127.0.0.1：14568", ("127.0.0.1", 14568), R),
    ("连接127.0.0.1:30001时出现“目标计算机积极拒绝”", ("127.0.0.1", 30001), R),
    ("Connection refused: no further information: localhost/0:0:0:0:0:0:0:1:6379", ("0:0:0:0:0:0:0:1", 6379), R),
    ("crit: Unable to start Kestrel; Address in Use (@localhost:5000)", ("localhost", 5000), U),
    ('{failed_connect,[{to_address,{"localhost",8080}},{inet,[inet],econnrefused}]}', ("localhost", 8080), R),
    ("ERROR: could not connect to host 'localhost' on port 5432", ("localhost", 5432), None),
    ("Error: bind EACCES null:80", ("", 80), P),
    ("Warning: Permanently added '[localhost]:2222' (ECDSA) to the list of known hosts.", ("localhost", 2222), None),
    ("AxiosError: timeout of 5000ms exceeded\n  code: ECONNABORTED", None, T),
    ("端口8080被占用", ("", 8080), U),
    ("Error 111 connecting to localhost:6379. Connection refused.", ("localhost", 6379), R),
    (
        "FetchError: request to http://localhost:3000/api failed, reason: connect ECONNREFUSED ::1:3000",
        ("::1", 3000),
        R,
    ),
    ("error: cannot connect to daemon at tcp:5037: Connection refused", ("", 5037), R),
    ('Error: Os { code: 98, kind: AddrInUse, message: "Address already in use" }', None, U),
    (
        "failed to connect to localhost/127.0.0.1(port 5555) from /127.0.0.1(port 60734) after 5000ms",
        ("127.0.0.1", 5555),
        None,
    ),
]


@pytest.mark.parametrize(("text", "best", "kind"), SHAPES, ids=[c[0][:40] for c in SHAPES])
def test_category_shapes(text: str, best: tuple[str, int] | None, kind: ErrorKind | None) -> None:
    text = text.replace("\\n", "\n")
    result = find_endpoints(text)
    got = (result.endpoints[0].host, result.endpoints[0].port) if result.endpoints else None
    assert got == best
    assert result.kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "[INFO]:8080 [main]:12 [12:30:45]:1",
        "2024-07-10 14:04:07.283 T:4345 x",
        "main.go:26] x",
        "events.js:292",
        "asgi.py:77",
        "[NetworkClient:725]",
        "at 10:02:11 and 2026-01-01T10:02:11Z",
        "line:42 col:7",
    ],
)
def test_false_endpoints_are_not_listed(text: str) -> None:
    assert find_endpoints(text).endpoints == ()


def test_dialled_address_first_and_name_kept() -> None:
    # The convention of tests/data/README.md: the address dialled is the endpoint, the name is kept and listed.
    result = find_endpoints("Connection to node -1 (localhost/127.0.0.1:9092) could not be established.")
    assert [(e.host, e.port) for e in result.endpoints] == [("127.0.0.1", 9092), ("localhost", 9092)]
    assert result.endpoints[0].named == "localhost" and result.endpoints[0].given == "localhost:9092"
    pg = find_endpoints('connection to server at "localhost" (::1), port 5432 failed: Connection refused')
    assert (pg.endpoints[0].host, pg.endpoints[0].named) == ("::1", "localhost")
    for text, dialled, name in (
        (
            "unable to open tcp connection with host 'my-server:1433': dial tcp 172.16.20.185:1433: connectex: No "
            "connection could be made because the target machine actively refused it.",
            "172.16.20.185",
            "my-server",
        ),
        (
            "error upgrading connection: failed to connect to localhost:3320 inside namespace abc, IPv4: dial tcp4 "
            "127.0.0.1:3320: connect: connection refused",
            "127.0.0.1",
            "localhost",
        ),
        (
            "Failed to connect to localhost:3142 because dial tcp [::1]:3142: connect: connection refused",
            "::1",
            "localhost",
        ),
        ("Error connecting to http://localhost:3000: connect ECONNREFUSED 127.0.0.1:3000", "127.0.0.1", "localhost"),
        (
            "connect to gmail-smtp-in.l.google.com[74.125.141.26]:25: Connection timed out",
            "74.125.141.26",
            "gmail-smtp-in.l.google.com",
        ),
        (
            "Connecting to example.org (example.org)|93.184.216.34|:443... failed: Connection refused.",
            "93.184.216.34",
            "example.org",
        ),
        (
            "Your connection attempt failed for user 'root' from your host to server at localhost:3306:   Can't "
            "connect to MySQL server on '127.0.0.1' (61)",
            "127.0.0.1",
            "localhost",
        ),
    ):
        first = find_endpoints(text).endpoints[0]
        assert (first.host, first.named) == (dialled, name), text


def test_lookup_host_of_a_name_error() -> None:
    assert find_endpoints("Error: getaddrinfo ENOTFOUND localhost").lookup_host == "localhost"
    assert find_endpoints("curl: (6) Could not resolve host: api.example.test").lookup_host == "api.example.test"
    assert find_endpoints("connect ECONNREFUSED 127.0.0.1:80").lookup_host == ""


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
    assert any(problem in words.problem(p) for p in result.problems)


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


# Pieces the finder's patterns start from or repeat: fuzzing with them reaches the patterns' deep paths.
PIECES = [
    "port ",
    "connect to ",
    'server at "',
    "host='",
    "', port=",
    "('",
    "', ",
    ")",
    "[",
    "]",
    ":",
    "::",
    "::1",
    "127.0.0.1",
    "localhost",
    "/",
    "/ip4/",
    "/tcp/",
    " (port ",
    "ECONNREFUSED ",
    "EADDRINUSE ",
    "http://",
    "-h ",
    " -P ",
    'for "',
    '" port ',
    "1",
    "80",
    "65536",
    "%1",
    "\n",
    " ",
    "'",
    '"',
    "(",
    "[Errno 111]",
    "(10061)",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60))
def test_fuzz_pieces_never_raise(pieces: list[str]) -> None:
    result = find_endpoints("".join(pieces))
    assert all(1 <= e.port <= 65535 for e in result.endpoints)
    assert all(e.host == e.host.strip("[]") for e in result.endpoints)


@pytest.mark.parametrize("shape", list(ADVERSARIAL), ids=list(ADVERSARIAL))
def test_adversarial_100kb_is_not_quadratic(shape: str) -> None:
    """A generous bound that only catches a blow-up; the speed target is measured by bench/bench_parse.py."""
    text = ADVERSARIAL[shape](100_000)
    started = time.perf_counter()
    find_endpoints(text)
    assert time.perf_counter() - started < 5.0


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("10048", U),
        ("10061", R),
        ("10013", P),
        ("10060", T),
        ("10054", X),
        ("111", R),
        ("98", U),
        ("13", P),
        ("61", R),
        ("48", U),
        ("110", T),
        ("104", X),
        ("113", N),
    ],
)
def test_error_numbers_alone_in_any_language(number: str, kind: ErrorKind) -> None:
    """The words are translated (Spanish, Chinese, Russian Windows and Linux); the number is not."""
    for text in (
        f"OSError: [Errno {number}] Ошибка сети",
        f"socket.error: [WinError {number}] 套接字错误",
        f"SocketException ({number}): error de red",
        f"Error: os error {number} (ver registro)",
    ):
        assert find_endpoints(text).kind == kind, text


# -- shapes from the held-out set of real messages (issue 11, second round) ----------------------------------------


@pytest.mark.parametrize(
    ("text", "host", "hint"),
    [
        ("ssh: Could not resolve hostname github.com: Temporary failure in name resolution", "github.com", "ssh"),
        (
            "ssh: Could not resolve hostname gitlab.example.org: nodename nor servname provided, or not known",
            "gitlab.example.org",
            "ssh",
        ),
        ("Resolving mirrors.nju.edu.cn... failed: Temporary failure in name resolution.", "mirrors.nju.edu.cn", ""),
        ("curl: (6) Could not resolve host: api.example.test", "api.example.test", ""),
        (
            'psql: error: could not translate host name "db" to address: Temporary failure in name resolution',
            "db",
            "PostgreSQL",
        ),
    ],
)
def test_name_lookup_without_port_is_the_host(text: str, host: str, hint: str) -> None:
    result = find_endpoints(text)
    assert result.kind == ErrorKind.NOT_FOUND
    assert result.host_only == host and result.lookup_host == host
    assert result.port_hint[0] == hint


@pytest.mark.parametrize(
    ("text", "host"),
    [
        (
            "Err:1 http://deb.debian.org/debian bookworm InRelease\n  Temporary failure resolving 'deb.debian.org'",
            "deb.debian.org",
        ),
        (
            "W: Failed to fetch http://archive.ubuntu.com/ubuntu/dists/trusty/InRelease  Could not resolve "
            "'archive.ubuntu.com'",
            "archive.ubuntu.com",
        ),
        ("curl: (5) Could not resolve proxy: proxy.corp.example", "proxy.corp.example"),
        (
            "urllib3.exceptions.NameResolutionError: <urllib3.connection.HTTPSConnection object at 0x7f>: Failed to "
            "resolve 'api.openai.com' ([Errno -3] Temporary failure in name resolution)",
            "api.openai.com",
        ),
        ("dial tcp: lookup db on 127.0.0.11:53: no such host", "db"),
    ],
)
def test_more_name_lookup_shapes(text: str, host: str) -> None:
    result = find_endpoints(text)
    assert result.kind == ErrorKind.NOT_FOUND
    first = result.host_only or (result.endpoints[0].host if result.endpoints else "")
    assert first == host


def test_words_after_lookup_phrases_are_not_names() -> None:
    dotnet = find_endpoints("System.Net.Http.HttpRequestException: No such host is known. (api.example.com:443)")
    assert dotnet.host_only == "" and (dotnet.endpoints[0].host, dotnet.endpoints[0].port) == ("api.example.com", 443)
    assert find_endpoints("socket.gaierror: [Errno 11001] getaddrinfo failed").host_only == ""


def test_git_protocol_failure_hints_its_port() -> None:
    result = find_endpoints(
        "fatal: unable to connect to github.com:\ngithub.com[0: 140.82.121.4]: errno=Connection timed out"
    )
    assert result.host_only == "github.com" and result.port_hint == ("git", "9418")


def test_name_lookup_keeps_the_port_when_given() -> None:
    result = find_endpoints("fatal: unable to look up github.com (port 9418) (Temporary failure in name resolution)")
    assert result.host_only == "" and (result.endpoints[0].host, result.endpoints[0].port) == ("github.com", 9418)
    nx = find_endpoints("** (DBConnection.ConnectionError) tcp connect: non-existing domain - :nxdomain")
    assert nx.kind == ErrorKind.NOT_FOUND and nx.host_only == "" and nx.endpoints == ()
    # wget's "Resolving ... failed" only: "Resolving timed out" names no computer
    assert find_endpoints("cURL error 28: Resolving timed out after 10001 milliseconds").host_only == ""


@pytest.mark.parametrize(
    ("text", "host", "kind", "hint"),
    [
        ("ERROR 2003 (HY000): Can't connect to MySQL server on 'localhost' (10061)", "localhost", R, "3306"),
        ("ERROR 2003 (HY000): Can't connect to MySQL server on '10.1.2.3' (111)", "10.1.2.3", R, "3306"),
        ("rsync: failed to connect to localhost: Connection refused (61)", "localhost", R, "873"),
        (
            "rsync: failed to connect to backup.example.net (192.0.2.7): Connection timed out (110)",
            "192.0.2.7",  # the address dialled for the name
            T,
            "873",
        ),
        (
            "Connecting to remote server localhost failed with the following error message : The client cannot "
            "connect to the destination specified in the request.",
            "localhost",
            None,
            "5985 (5986 with HTTPS)",
        ),
        ("Ce site est inaccessible127.0.0.1 n'autorise pas la connexion. ERR_CONNECTION_REFUSED", "127.0.0.1", R, ""),
        ("无法访问此网站 127.0.0.1 拒绝了我们的连接请求。 ERR_CONNECTION_REFUSED", "127.0.0.1", R, ""),
        ("localhost refused to connect. ERR_CONNECTION_REFUSED", "localhost", R, ""),
        ("Ce site est inaccessible\n127.0.0.1 n'autorise pas la connexion.", "127.0.0.1", R, ""),
        ("Die Website ist nicht erreichbar\nlocalhost hat die Verbindung abgelehnt.", "localhost", R, ""),
        ("No se puede acceder a este sitio web\nlocalhost rechazó la conexión.", "localhost", R, ""),
        ("localhost已拒绝连接", "localhost", R, ""),
    ],
)
def test_connection_failure_naming_a_host_without_port(text: str, host: str, kind: ErrorKind | None, hint: str) -> None:
    result = find_endpoints(text)
    assert result.host_only == host and result.kind == kind
    assert result.port_hint[1] == hint
    assert all(
        e.port != int(hint.split(" ", maxsplit=1)[0]) for e in result.endpoints if hint
    )  # a hint, never an endpoint


@pytest.mark.parametrize(
    "text",
    [
        "Failed to connect to MySQL: Connection refused",  # a program, not a computer
        "iwr : Unable to connect to the remote server At line:1 char:1",
        "Error: connect ECONNREFUSED 127.0.0.1:3000",  # a port is there: an endpoint, not a host alone
        'could not connect to server: Connection refused\n\tIs the server running on host "localhost" (::1) '
        "and accepting\n\tTCP/IP connections on port 5432?",
    ],
)
def test_no_host_without_port_where_none_is_named(text: str) -> None:
    result = find_endpoints(text)
    assert result.host_only == ""
    if "ECONNREFUSED" in text or "5432" in text:
        assert result.endpoints[0].port in (3000, 5432)


def test_powershell_positions_are_never_endpoints() -> None:
    text = (
        "iwr : Unable to connect to the remote server\nAt line:1 char:359\n+ iwr -useb https://christitus.com/win | iex"
    )
    result = find_endpoints(text)
    assert all(e.host.lower() != "char" for e in result.endpoints)
    assert (result.endpoints[0].host, result.endpoints[0].port) == ("christitus.com", 443)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("[2023-01-01 10:00:00 +0000] [1] [ERROR] Connection in use: ('localhost', 8000)", U),
        (" [error]\tPort 4000 is currently in use by another program", U),
        ("tcp connect: non-existing domain - :nxdomain", ErrorKind.NOT_FOUND),
        ('error="connect tcp 198.19.248.2:8000: connection was refused"', R),
        (
            "It was not possible to connect to the redis server(s); to create a disconnected multiplexer, disable "
            "AbortOnConnectFail. Timeout",
            T,
        ),
        (
            "It was not possible to connect to the redis server(s) localhost:6379; to create a disconnected "
            "multiplexer, disable AbortOnConnectFail. UnableToConnect",
            None,
        ),
        (
            "dial tcp6 [2a00:1450:4006:804::200d]:443: connectex: A socket operation was attempted to an unreachable "
            "network.",
            ErrorKind.UNREACHABLE,
        ),
        (
            "System.IO.IOException: Unable to read data from the transport connection: The remote host forces an "
            "existing connection to be closed。",
            ErrorKind.RESET,
        ),
    ],
)
def test_more_kind_words(text: str, kind: ErrorKind | None) -> None:
    assert find_endpoints(text).kind == kind


def test_dev_server_banner_is_not_the_failing_endpoint() -> None:
    text = (
        "  VITE v5.1.6  ready in 2097 ms\n\n  ➜  Local:   http://localhost:5173/\n  ➜  Network: use --host to expose\n"
        "16:01:43 [vite] http proxy error: /graphql\nAggregateError [ECONNREFUSED]:\n"
    )
    assert find_endpoints(text).endpoints == ()
    with_target = text + "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1494:16) 127.0.0.1:8080"
    assert find_endpoints(with_target).endpoints[0].port == 8080
    # without an error the banner is simply an address in the text
    assert find_endpoints("  ➜  Local:   http://localhost:5173/").endpoints[0].port == 5173


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (
            "curl: (7) Failed to connect to 127.0.0.1 port 9 (see https://curl.haxx.se/libcurl/c/libcurl-errors.html)",
            ("127.0.0.1", 9),
        ),
        (
            "cURL error 28: Resolving timed out after 10001 milliseconds (see "
            "https://curl.haxx.se/libcurl/c/libcurl-errors.html) for https://packagist.org/packages.json",
            ("packagist.org", 443),
        ),
        ("(Background on this error at: https://sqlalche.me/e/20/e3q8)", None),
        ("Error: read ECONNRESET, see https://nodejs.org/api/errors.html#errors_common_system_errors", None),
        ("Timed out: https://docs.example.com/errors/timeout", None),
        ("GET http://localhost:9200/index/doc/_search [status:N/A] Connection refused", ("localhost", 9200)),
    ],
)
def test_documentation_links_are_never_the_endpoint(text: str, want: tuple[str, int] | None) -> None:
    eps = find_endpoints(text).endpoints
    assert ((eps[0].host, eps[0].port) if eps else None) == want


def test_dialled_address_wins_over_a_config_address_and_method_names() -> None:
    text = (
        '{\n    "host": "127.0.0.1:8087",\n    "error": "dial tcp6 [2a00:1450:4006:804::200d]:443: connectex: A socket '
        'operation was attempted to an unreachable network."\n}'
    )
    first = find_endpoints(text).endpoints[0]
    assert (first.host, first.port) == ("2a00:1450:4006:804::200d", 443)
    dotnet = "2017-03-14 17:04:14|Fatal|WebSocket.<startReceiving>b__175_2:1971|System.IO.IOException: U"
    assert find_endpoints(dotnet).endpoints == ()


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("errorConnectionError: Failed to connect to LP1721:1433 - connect ECONNREFUSED", ("LP1721", 1433)),
        ("Failed to connect to SQLSRV01:1433 in 15000ms", ("SQLSRV01", 1433)),
        ('Attempting to upload fails with "connect ECONNREFUSED 127.0.0.1.:21"', ("127.0.0.1", 21)),
        ("Error: listen EACCES: permission denied 5000;\n    at Server.setupListenHandle", ("", 5000)),
        ("Error: listen EADDRINUSE: address already in use 8080", ("", 8080)),
        ("WARNING: TCP connect to (192.168.1.10 : 3389) failed", ("192.168.1.10", 3389)),
    ],
)
def test_odd_host_and_port_shapes(text: str, want: tuple[str, int]) -> None:
    first = find_endpoints(text).endpoints[0]
    assert (first.host, first.port) == want


def test_class_names_after_connect_to_are_not_hosts() -> None:
    # a class-like name needs "connect to" before it; "NetworkClient:725" alone stays out
    assert find_endpoints("[NetworkClient:725] Connection refused").endpoints == ()
    assert find_endpoints("Failed to connect to events.js:292").endpoints == ()


# -- issue 26: the long tail (messages from tests/data/fresh_errors.tsv, each with its source) -------------------------
NA, FA = ErrorKind.NOT_AVAILABLE, ErrorKind.FAMILY

# (message, (host, port) of the answer: endpoints[0], or (host_only, None); kind)
ISSUE_26_SHAPES: list[tuple[str, tuple[str, int | None], ErrorKind | None]] = [
    # "HOST port N" without "connect to host" (github.com/verygenericname/SSHRD_Script/issues/269,
    # PowerShell/Win32-OpenSSH/issues/1249, a Jenkins-style "127.0.1.1 port 9000 connect failed")
    (
        "kex_exchange_identification: read: Connection reset by peer\nConnection reset by ::1 port 2222",
        ("::1", 2222),
        X,
    ),
    ("Connection reset by 127.0.0.1 port 22 on Windows Server 2012 R2", ("127.0.0.1", 22), X),
    (
        "kex_exchange_identification: Connection closed by remote host\nConnection closed by 159.89.214.31 port 22",
        ("159.89.214.31", 22),
        None,
    ),
    # ...and quoted before "(port N)" (the same ssh wrapper shape)
    ("Could not connect to '106.14.201.122' (port 22): Connection failed", ("106.14.201.122", 22), None),
    # Windows' timeout sentence without its number (github.com/shadowsocks/shadowsocks-windows, perl, .NET)
    (
        "couldn't connect: A connection attempt failed because the connected party did not properly respond after a"
        " period of time, or established connection failed because connected host has failed to respond",
        ("", None),
        T,
    ),
    (
        "A connection attempt failed because the connected party did not properly respond after a period of time, or"
        " established connection failed because connected host has failed to respond 109.68.33.64:80",
        ("109.68.33.64", 80),
        T,
    ),
    # "Host is down" (ssh in a Korean sentence)
    (
        "쓰다보면 가끔씩 ssh: connect to host 192.168.1.119 port 22: Host is down 메세지 뜨면서 ssh 연결이 안된다.",
        ("192.168.1.119", 22),
        N,
    ),
    # the resolver's "server misbehaving": the name looked up, not the name server
    (
        "dial tcp: lookup mailserver.fred3riksberg.dk on 192.168.0.20:53: server misbehaving",
        ("mailserver.fred3riksberg.dk", None),
        F,
    ),
    # a lookup that timed out at the name server: the name looked up
    (
        "Error response from daemon: Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io on"
        " 10.0.2.3:53: read udp 10.0.2.15:54567->10.0.2.3:53: i/o timeout",
        ("registry-1.docker.io", None),
        F,
    ),
    # ...but a resolver socket timing out with no name looked up is the name server's timeout
    ("2022/04/09 19:25:57 read udp 192.168.19.131:46187->8.8.4.4:53: i/o timeout", ("8.8.4.4", 53), T),
    # a kind phrase broken across a line
    (
        "[WinError 10060] A connection attempt failed because the connected party did not properly respond after a"
        " period of time, or established connection failed because connected host has failed to\nrespond",
        ("", None),
        T,
    ),
    (
        "pi@raspberrypi:~ $ ssh -p 64295 -l tsec -N -L8080:127.0.0.1:64296\n46.127.202.235ssh: connect to host"
        " 46.127.202.235 port 64295: Connection\nrefused",
        ("46.127.202.235", 64295),
        R,
    ),
    # port ranges
    ("OSError: Cannot find empty port in range: 7860-7860. You can specify a different port", ("", 7860), U),
    ('error message "OSError: Cannot find empty port in range: 7865-7964"', ("", 7865), U),
    (
        "python main.py --listen :: --port 8080\nError starting the server: Ports 8080 to 8090 are all in use.",
        ("::", 8080),
        U,
    ),
    # a port after a slash (OkHttp)
    ("java.net.ConnectException: Failed to connect to 127.0.0.1/7912", ("127.0.0.1", 7912), None),
    # a name followed by the address dialled, in brackets
    (
        "HttpHostConnectException: Connect to localhost:8080 [localhost/127.0.0.1] failed: Connection refused",
        ("127.0.0.1", 8080),
        R,
    ),
    ("dial tcp localhost:8400 ([::1]:8400): connect: connection refused", ("::1", 8400), R),
    # an ssh -L forward: its target when the forwarded channel failed...
    (
        "$ ssh username@134.173.191.241 -p 5055 -L 8080:localhost:5000\nchannel 3: open failed: connect failed:"
        " Connection refused",
        ("localhost", 5000),
        R,
    ),
    # ...and never above the error's own address when no kind is recognised
    (
        "ssh -N -L8080:127.0.0.1:64296 example.org\nssh: connect to host 203.0.113.9 port 64295: failure",
        ("203.0.113.9", 64295),
        None,
    ),
    # EADDRNOTAVAIL and EAFNOSUPPORT
    ("listen tcp 192.168.60.222:8181: bind: cannot assign requested address", ("192.168.60.222", 8181), NA),
    ("ERROR: [Errno 99] error while attempting to bind on address ('::1', 8000, 0, 0)", ("::1", 8000), NA),
    ("2025/06/18 22:19:32 [emerg] 1#1: socket() [::]:8080 failed (97: Address family not supported", ("::", 8080), FA),
    ("Error: Address family not supported by protocol (os error 97)", ("", None), FA),
    # a firewall log line: the destination
    (
        "refused connection: IN=wlp0s20f3 OUT= MAC=dc:1b:a1:45:ee:e9:00:06:91:7e:28:bf:08:00 SRC=188.81.128.126"
        " DST=192.168.1.115 LEN=60 PROTO=TCP SPT=22000 DPT=22000 WINDOW=64240",
        ("192.168.1.115", 22000),
        R,
    ),
    # .NET: the inner exception (after " ---> ") is the cause
    (
        "System.Exception: Port already in use 0 ---> System.Net.Sockets.SocketException: An attempt was made to"
        " access a socket in a way forbidden by its access permissions",
        ("", None),
        P,
    ),
    # Chrome's "HOST refused to connect" names the host among others
    (
        'i get a "localhost refused to connect." - I have tried 127.0.0.1:8080 & localhost:8080',
        ("localhost", 8080),
        R,
    ),
]


@pytest.mark.parametrize(("text", "want", "kind"), ISSUE_26_SHAPES, ids=[c[0][:40] for c in ISSUE_26_SHAPES])
def test_issue_26_shapes(text: str, want: tuple[str, int | None], kind: ErrorKind | None) -> None:
    result = find_endpoints(text)
    if result.host_only:
        got: tuple[str, int | None] = (result.host_only, None)
    elif result.endpoints:
        got = (result.endpoints[0].host, result.endpoints[0].port)
    else:
        got = ("", None)
    assert got == want
    assert result.kind == kind


def test_a_json_key_is_not_a_host_but_a_port_key_is_a_port() -> None:
    assert find_endpoints('{"file_line":3218,"description":"failed to connect"}').endpoints == ()
    assert find_endpoints('Socket error: {"error":"read ECONNRESET","port":40667}').endpoints[0].port == 40667


def test_ssh_per_address_attempt_does_not_outrank_the_host_asked_for() -> None:
    text = (
        "debug1: connect to address ::1 port 22: Connection refused\n"
        "ssh: connect to host localhost port 22: Connection refused"
    )
    assert find_endpoints(text).endpoints[0].host == "localhost"


def test_a_name_with_several_addresses_in_brackets_stays_the_name() -> None:
    text = "Connect to localhost:8443 [localhost/127.0.0.1, localhost/0:0:0:0:0:0:0:1] failed: Connection refused"
    assert find_endpoints(text).endpoints[0].host == "localhost"


def test_a_network_prefix_is_not_a_port() -> None:
    assert find_endpoints("route 10.0.0.0/24 via 10.0.0.1: connection refused").endpoints == ()


def test_a_kind_phrase_broken_across_lines_is_shown_as_written() -> None:
    result = find_endpoints("ssh: connect to host example.org port 22: Connection\r\n   refused\n\nnext line")
    assert result.kind == R
    assert result.kind_text == "Connection\r\n   refused"


def test_a_bare_port_number_is_a_port() -> None:
    """Help says "or just the address": "8080" alone names port 8080; out of range or inside a sentence it does not."""
    found = find_endpoints(" 8080\n")
    assert [(e.host, e.port) for e in found.endpoints] == [("", 8080)]
    assert find_endpoints("65536").endpoints == () and find_endpoints("0").endpoints == ()
    assert find_endpoints("١٢٣").endpoints == ()  # digits of other scripts are not a port number
