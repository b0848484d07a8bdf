"""Real sockets on loopback, the real scanners, the real window."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import psutil
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from loopgui.core.net.scanner import NetlinkSource, PsutilSource, Scanner, make_scanner
from loopgui.core.net.sockets import SocketRow
from loopgui.ui.main_window import MainWindow
from loopgui.ui.settings import Settings

pytestmark = [pytest.mark.e2e, pytest.mark.own_netns]  # sees only its own sockets (tests/netns.py)

HAS_NETLINK = hasattr(socket, "AF_NETLINK")


def listener(family: socket.AddressFamily, host: str) -> socket.socket:
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind((host, 0))
    s.listen()
    return s


@pytest.fixture
def listeners() -> Iterator[tuple[socket.socket, socket.socket]]:
    v4 = listener(socket.AF_INET, "127.0.0.1")
    v6 = listener(socket.AF_INET6, "::1")
    yield v4, v6
    v4.close()
    v6.close()


def ours(rows: dict[bytes, SocketRow] | object, port: int) -> list[SocketRow]:
    return [r for r in rows.values() if r.local_port == port]  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["netlink", "psutil"] if HAS_NETLINK else ["psutil"])
def test_window_shows_real_listeners_and_sees_them_go(
    qtbot: QtBot, settings: Settings, listeners: tuple[socket.socket, socket.socket], kind: str
) -> None:
    v4, v6 = listeners
    p4, p6 = v4.getsockname()[1], v6.getsockname()[1]
    win = MainWindow(make_scanner(kind), settings)
    win.set_interval(0.5)
    qtbot.addWidget(win)
    win.show()

    def shown(port: int, addr: str) -> list[SocketRow]:
        return [
            r
            for r in win.model.rows()
            if r.local_port == port and r.local_addr == addr and not win.model.is_gone(r.key)
        ]

    qtbot.waitUntil(lambda: bool(shown(p4, "127.0.0.1")) and bool(shown(p6, "::1")), timeout=10000)
    for found in (shown(p4, "127.0.0.1")[0], shown(p6, "::1")[0]):
        assert found.pid == os.getpid()
        assert found.program == psutil.Process().name()
        assert found.state == "LISTEN" and found.proto == "TCP"

    # the investigate bar narrows the table to the port typed
    qtbot.keyClicks(win.investigate_edit, f"127.0.0.1:{p4}")
    qtbot.keyClick(win.investigate_edit, Qt.Key.Key_Return)
    assert {r.local_port for r in win.model.rows()} == {p4}

    v4.close()
    qtbot.waitUntil(lambda: not win.model.rows(), timeout=10000)  # gone (after its red moment)
    win.clear_investigation()
    v6.close()
    qtbot.waitUntil(lambda: not shown(p6, "::1"), timeout=10000)
    win.close()


@pytest.mark.skipif(not HAS_NETLINK, reason="Linux only")
def test_netlink_agrees_with_psutil(listeners: tuple[socket.socket, socket.socket]) -> None:
    v4, _ = listeners
    client = socket.create_connection(v4.getsockname())
    server, _ = v4.accept()
    udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    udp.bind(("::1", 0))
    try:
        fast = Scanner(NetlinkSource()).scan()
        oracle = Scanner(PsutilSource()).scan()
        mine = {s.getsockname()[1] for s in (v4, client, server, udp)} | {listeners[1].getsockname()[1]}

        def view(snap: object) -> set[tuple[object, ...]]:
            return {
                (r.proto, r.family, r.local_addr, r.local_port, r.remote_addr, r.remote_port, r.state, r.pid, r.program)
                for r in snap.rows.values()  # type: ignore[attr-defined]
                if r.local_port in mine and r.pid == os.getpid()
            }

        assert view(fast) == view(oracle)
        assert len(view(fast)) == 5
    finally:
        for s in (client, server, udp):
            s.close()


def test_a_leftover_counts_down_from_the_kernels_timer() -> None:
    """A connection this test closes first lingers in TIME_WAIT; the scan reads when the kernel's timer frees it."""
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    client = socket.create_connection(server.getsockname())
    accepted, _ = server.accept()
    ends = (client.getsockname()[1], server.getsockname()[1])
    client.close()  # the side that closes first keeps the leftover
    accepted.close()
    server.close()
    deadline = time.time() + 5
    while True:
        before = time.time()
        snap = Scanner(NetlinkSource()).scan()
        mine = [
            r
            for r in snap.rows.values()
            if (r.local_port, r.remote_port) == ends and r.local_addr == r.remote_addr == "127.0.0.1"
        ]
        if (mine and mine[0].state == "TIME_WAIT") or time.time() > deadline:
            break
        time.sleep(0.05)
    assert mine and mine[0].state == "TIME_WAIT"
    expires_at = mine[0].expires_at
    assert expires_at is not None and before + 30 < expires_at <= time.time() + 61  # Linux: 60 s from the close
