"""The netlink scanner and the psutil scanner agree on this test's own loopback sockets (matched by both ends and
the program), and a warm netlink scan names the owner of a socket a program swapped for another one with the same
number of open descriptors (the case its quick owner search is for)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from loopgui.core.net.scanner import NetlinkSource, PsutilSource, Scanner
from loopgui.core.net.sockets import SocketRow

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="netlink sock_diag is Linux only"),
]

FIELDS = (
    "proto",
    "family",
    "local_addr",
    "local_port",
    "remote_addr",
    "remote_port",
    "state",
    "pid",
    "program",
    "label",
    "path",
    "owner_start",
    "exe",
)


@pytest.fixture
def own_sockets() -> Iterator[list[socket.socket]]:
    held: list[socket.socket] = []
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        server = socket.socket(family, socket.SOCK_STREAM)
        server.bind((host, 0))
        server.listen(32)
        held.append(server)
        for _ in range(10):
            client = socket.create_connection(server.getsockname()[:2])
            accepted, _ = server.accept()
            held += [client, accepted]
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.bind((host, 0))
        held.append(udp)
    yield held
    for s in held:
        s.close()


def mine(rows: object, held: list[socket.socket]) -> dict[tuple[object, ...], tuple[object, ...]]:
    """This process's rows for the held sockets, by both ends, with every field compared."""
    ends = set()
    for s in held:
        local = s.getsockname()[:2]
        try:
            remote = s.getpeername()[:2]
        except OSError:
            remote = ("", 0)
        ends.add((local[0], local[1], remote[0], remote[1]))
    found = {}
    for row in rows.values():  # type: ignore[attr-defined]
        assert isinstance(row, SocketRow)
        if row.pid == os.getpid() and (row.local_addr, row.local_port, row.remote_addr, row.remote_port) in ends:
            found[(row.proto, row.local_addr, row.local_port, row.remote_addr, row.remote_port)] = tuple(
                getattr(row, f) for f in FIELDS
            )
    return found


def test_netlink_and_psutil_agree_on_our_sockets(own_sockets: list[socket.socket]) -> None:
    fast = Scanner(NetlinkSource())
    fast.scan()  # the second, warm, scan is the one compared (the cold one too, below)
    cold = mine(Scanner(NetlinkSource()).scan().rows, own_sockets)
    warm = mine(fast.scan().rows, own_sockets)
    portable = mine(Scanner(PsutilSource()).scan().rows, own_sockets)
    assert len(portable) == len(own_sockets)  # 2 listeners, 40 connection ends, 2 UDP sockets
    assert warm == portable and cold == portable


SWAPPER = r"""
import socket, sys
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(8)
pair = None
for line in sys.stdin:
    if pair:
        pair[0].close(); pair[1].close()
    client = socket.create_connection(server.getsockname())
    accepted, _ = server.accept()
    pair = (client, accepted)
    print(client.getsockname()[1], server.getsockname()[1], flush=True)
"""


def test_a_swapped_socket_is_named_in_the_next_warm_scan() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", SWAPPER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdin is not None and child.stdout is not None
        scanner = Scanner(NetlinkSource(owner_recheck=0))
        for _ in range(6):
            child.stdin.write("swap\n")
            child.stdin.flush()
            client_port, server_port = map(int, child.stdout.readline().split())
            snap = scanner.scan()
            ends = [
                r
                for r in snap.rows.values()
                if r.local_addr == "127.0.0.1"
                and {r.local_port, r.remote_port} == {client_port, server_port}
                and r.state == "ESTABLISHED"
            ]
            assert len(ends) == 2
            assert {r.pid for r in ends} == {child.pid}
        child.stdin.close()
        child.wait(timeout=10)
