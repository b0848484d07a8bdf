"""Closing one TCP connection: for real as root over loopback (SOCK_DESTROY), without the rights (a process that
dropped them), and the request layouts for Linux and Windows."""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from loopgui.core.net import netclose
from loopgui.core.net.netclose import (
    BadConnection,
    BadPart,
    Connection,
    ConnectionCode,
    close_connection,
    elevated_command,
)
from loopgui.core.net.scanner import make_scanner
from loopgui.core.net.sockets import SocketRow
from loopgui.core.words.close import bad_connection_text, connection_text

pytestmark = [pytest.mark.e2e, pytest.mark.own_netns]  # sees only its own sockets (tests/netns.py)
ROOT = Path(__file__).resolve().parents[2]


def _pair(family: int = socket.AF_INET) -> tuple[socket.socket, socket.socket, socket.socket]:
    host = "127.0.0.1" if family == socket.AF_INET else "::1"
    server = socket.socket(family)
    server.bind((host, 0))
    server.listen()
    client = socket.create_connection(server.getsockname()[:2], timeout=5)
    accepted, _ = server.accept()
    return server, client, accepted


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket, socket.socket]]:
    socks = _pair()
    yield socks
    for s in socks:
        s.close()


def _can_destroy() -> str:
    """'' when this process may destroy sockets here, else why not."""
    if not sys.platform.startswith("linux"):
        return "SOCK_DESTROY exists on Linux only"
    if os.geteuid() != 0:
        return "closing a connection needs root (CAP_NET_ADMIN); the tests do not run as root"
    server, client, accepted = _pair()
    try:
        conn = Connection(4, "127.0.0.1", client.getsockname()[1], "127.0.0.1", server.getsockname()[1])
        result = close_connection(conn)
        if not result.closed:
            return f"this kernel or container does not allow it: {connection_text(result)}"
    finally:
        for s in (server, client, accepted):
            s.close()
    return ""


def test_close_a_real_connection_and_the_scanner_no_longer_shows_it(
    pair: tuple[socket.socket, socket.socket, socket.socket],
) -> None:
    why = _can_destroy()
    if why:
        pytest.skip(why)
    server, client, _accepted = pair
    lport, rport = client.getsockname()[1], server.getsockname()[1]
    ends = ("127.0.0.1", lport, "127.0.0.1", rport)

    def ours(rows: object) -> list[object]:
        """This test's connection only: both ends, the state and the program (this process)."""
        return [
            r
            for r in rows  # type: ignore[attr-defined]
            if (r.local_addr, r.local_port, r.remote_addr, r.remote_port) == ends
            and r.state == "ESTABLISHED"
            and r.pid == os.getpid()
            and r.program == psutil.Process().name()
        ]

    [row] = ours(make_scanner().scan().rows.values())
    conn = Connection(row.family, row.local_addr, row.local_port, row.remote_addr, row.remote_port)
    result = close_connection(conn)
    assert (
        result.closed
        and connection_text(result) == f"The connection between 127.0.0.1:{lport} and 127.0.0.1:{rport} is closed."
    )
    with pytest.raises(ConnectionAbortedError):  # ECONNABORTED, as the kernel reports a destroyed socket
        client.recv(1)
    assert not ours(make_scanner().scan().rows.values())
    again = close_connection(conn)
    assert not again.closed and again.gone and connection_text(again) == "That connection has already closed."
    # the listener on the other end is untouched: a new connection still works
    socket.create_connection(server.getsockname(), timeout=5).close()


def test_ipv6_connection_is_closed_too() -> None:
    why = _can_destroy()
    if why:
        pytest.skip(why)
    try:
        server, client, accepted = _pair(socket.AF_INET6)
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    try:
        conn = Connection(6, "::1", accepted.getsockname()[1], "::1", accepted.getpeername()[1])
        assert close_connection(conn).closed
        with pytest.raises(ConnectionResetError):  # the other end of a destroyed socket gets a reset
            client.recv(1)
    finally:
        for s in (server, client, accepted):
            s.close()


CHILD = """
import json, socket, sys
from loopgui.core.net.netclose import Connection, close_connection
from loopgui.core.words.close import connection_retry_text, connection_text
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
client = socket.create_connection(server.getsockname())
conn = Connection(4, "127.0.0.1", client.getsockname()[1], "127.0.0.1", server.getsockname()[1])
r = close_connection(conn)
client.settimeout(0.2)
try:
    client.recv(1); alive = True
except socket.timeout:
    alive = True
except OSError:
    alive = False
print(json.dumps({"closed": r.closed, "message": connection_text(r), "how": connection_retry_text(r), "alive": alive,
                  "lport": conn.local_port, "rport": conn.remote_port}))
"""


def test_without_the_rights_it_says_so_with_the_command() -> None:
    setpriv = shutil.which("setpriv")
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to start a process without administrator rights")
    env = {"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "")}
    cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", CHILD]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=60, env=env, cwd="/")
    if done.returncode != 0:
        pytest.skip(f"cannot run Python as an unprivileged user here: {done.stderr.strip()[-200:]}")
    out = json.loads(done.stdout)
    assert not out["closed"] and out["alive"]
    assert "needs administrator rights" in out["message"]
    assert out["how"] == (
        "Run in a terminal (it asks for your password): "
        f"sudo ss -K src 127.0.0.1 sport = {out['lport']} dst 127.0.0.1 dport = {out['rport']}"
    )


def test_addresses_are_validated_and_quoted() -> None:
    with pytest.raises(BadConnection) as bad:
        Connection(4, "127.0.0.1; reboot", 1, "127.0.0.1", 2)
    assert (bad.value.part, bad.value.value, bad.value.family) == (BadPart.ADDRESS, "127.0.0.1; reboot", 4)
    with pytest.raises(BadConnection) as bad:
        Connection(4, "::1", 1, "127.0.0.1", 2)
    assert bad_connection_text(bad.value) == "::1 is not an IPv4 address"
    with pytest.raises(BadConnection) as bad:
        Connection(4, "127.0.0.1", 0, "127.0.0.1", 2)
    assert bad.value.part is BadPart.PORT and bad_connection_text(bad.value) == "0 is not a port number"
    six = Connection(6, "fe80::1%eth0", 5000, "::1", 80)
    assert elevated_command(six) == "sudo ss -K src '[fe80::1]' sport = 5000 dst '[::1]' dport = 80"


def test_destroy_request_layout() -> None:
    conn = Connection(4, "127.0.0.1", 40000, "10.0.0.2", 5432)
    cookie = bytes(range(8))
    msg = netclose.build_destroy(conn, cookie, seq=7)
    length, kind, flags, seq, _ = struct.unpack_from("=IHHII", msg)
    assert (length, kind, flags, seq) == (len(msg), 21, 0x1 | 0x4, 7) and length == 16 + 56
    family, proto, _ext, _pad, states = struct.unpack_from("=BBBBI", msg, 16)
    assert (family, proto, states) == (socket.AF_INET, 6, 1 << 1)
    assert struct.unpack_from("!HH", msg, 24) == (40000, 5432)
    assert msg[28:32] == socket.inet_aton("127.0.0.1") and msg[44:48] == socket.inet_aton("10.0.0.2")
    assert msg[-8:] == cookie


def test_windows_row_and_macos_explanation() -> None:
    conn = Connection(4, "127.0.0.1", 8080, "192.168.1.5", 443)
    state, laddr, lport, raddr, rport = netclose.tcprow_values(conn)
    assert state == 12  # MIB_TCP_STATE_DELETE_TCB
    assert struct.pack("=I", laddr) == socket.inet_aton("127.0.0.1")
    assert struct.pack("=I", raddr) == socket.inet_aton("192.168.1.5")
    assert struct.pack("=H", lport) == struct.pack("!H", 8080) and struct.pack("=H", rport) == struct.pack("!H", 443)
    mac = close_connection(conn, platform="darwin")
    assert not mac.closed and "close the program that holds it instead" in connection_text(mac)
    if sys.platform != "win32":
        assert not close_connection(conn, platform="win32").closed  # no Windows API here: a plain answer


def test_a_socket_other_than_the_one_found_is_never_destroyed(
    pair: tuple[socket.socket, socket.socket, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The destroy names the socket by its cookie from the dump: when the socket found under those addresses is not
    that one any more (the connection closed and another took its addresses, or only the listener is left), the
    kernel refuses with ESTALE; nothing is cut, and loopgui says the connection has closed, in plain words."""
    why = _can_destroy()
    if why:
        pytest.skip(why)
    server, client, accepted = pair
    real_find = netclose.find_in_dump

    def other_cookie(buf: bytes, conn: Connection) -> tuple[bytes, int] | bool | None:
        found = real_find(buf, conn)
        if isinstance(found, tuple):
            return bytes(b ^ 0x5A for b in found[0]), found[1]  # the cookie of another socket
        return found

    monkeypatch.setattr(netclose, "find_in_dump", other_cookie)
    conn = Connection(4, "127.0.0.1", client.getsockname()[1], "127.0.0.1", server.getsockname()[1])
    result = close_connection(conn)
    assert not result.closed and result.gone
    assert connection_text(result) == "That connection has already closed."
    client.sendall(b"x")  # still connected: the socket the kernel found was left alone
    assert accepted.recv(1) == b"x"


# -- issue 20: the row carries its socket cookie from the scan the user saw ------------------------------------------


def _connect_from(port: int, server_port: int) -> socket.socket:
    """A client bound to ``port`` (SO_REUSEADDR) connecting to ``server_port``: the same four addresses again."""
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    client.bind(("127.0.0.1", port))
    client.connect(("127.0.0.1", server_port))
    return client


def _own_row(lport: int, rport: int) -> SocketRow:
    """This test's own client end in a real scan: matched by both ends and the program (this process)."""
    rows = make_scanner().scan().rows.values()
    return next(
        r
        for r in rows
        if (r.local_addr, r.local_port, r.remote_addr, r.remote_port) == ("127.0.0.1", lport, "127.0.0.1", rport)
        and r.state == "ESTABLISHED"
        and r.pid == os.getpid()
    )


def test_the_scan_reads_each_sockets_cookie() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("socket cookies come from Linux's socket diagnostics")
    server, client, accepted = _pair()
    try:
        row = _own_row(client.getsockname()[1], server.getsockname()[1])
        so_cookie = 57  # Linux: the same cookie, as the socket itself knows it
        own = struct.unpack("=Q", client.getsockopt(socket.SOL_SOCKET, so_cookie, 8))[0]
        assert row.cookie == own
    finally:
        for s in (server, client, accepted):
            s.close()


def test_a_reused_four_tuple_is_never_destroyed_in_place_of_the_connection_the_user_saw() -> None:
    """Before: the destroy took the cookie from a fresh dump, so a new connection that reused the addresses and
    ports of the one in the confirmation (it ended meanwhile) was cut.  Now the row's own cookie is sent: the
    new connection is left alone and the answer says so."""
    why = _can_destroy()
    if why:
        pytest.skip(why)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    sport = server.getsockname()[1]
    first = _connect_from(0, sport)
    cport = first.getsockname()[1]
    first_accepted, _ = server.accept()
    seen = _own_row(cport, sport)  # the row in the table while the confirmation is open
    assert seen.cookie is not None
    # The connection ends (a reset: no TIME_WAIT left behind) and a new one takes the very same four addresses.
    first.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    first.close()
    first_accepted.close()
    second = _connect_from(cport, sport)
    second_accepted, _ = server.accept()
    try:
        now = _own_row(cport, sport)
        assert now.cookie != seen.cookie  # the same addresses and ports, another socket
        conn = Connection(4, seen.local_addr, seen.local_port, seen.remote_addr, seen.remote_port, cookie=seen.cookie)
        result = close_connection(conn)
        assert result.code is ConnectionCode.REPLACED and not result.closed
        assert connection_text(result) == (
            f"That connection has already ended. A new connection now uses the same addresses (127.0.0.1:{cport} "
            f"and 127.0.0.1:{sport}); loopgui did not touch it."
        )
        second.sendall(b"x")  # the new connection was not touched
        assert second_accepted.recv(1) == b"x"
        # the new connection itself, named by its own row, is closed
        mine = Connection(4, now.local_addr, now.local_port, now.remote_addr, now.remote_port, cookie=now.cookie)
        assert close_connection(mine).code is ConnectionCode.CLOSED
        with pytest.raises(ConnectionAbortedError):
            second.recv(1)
    finally:
        for s in (server, second, second_accepted):
            s.close()


def test_connection_results_carry_codes_for_json() -> None:
    conn = Connection(4, "127.0.0.1", 40000, "127.0.0.1", 5432, cookie=7)
    mac = close_connection(conn, platform="darwin")
    assert mac.as_dict() == {
        "code": "unsupported",
        "connection": {"local": "127.0.0.1:40000", "remote": "127.0.0.1:5432", "cookie": 7},
        "retry_command": None,
        "error": None,
    }
    with pytest.raises(ValueError):
        Connection(4, "127.0.0.1", 1, "127.0.0.1", 2, cookie=-1)
