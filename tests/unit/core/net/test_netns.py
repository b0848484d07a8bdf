"""The private network namespace of the tests that scan the machine (tests/netns.py, tests/conftest.py)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tests.netns import INSIDE, OUTER, netns_prefix


@pytest.mark.own_netns
def test_an_own_netns_test_runs_in_a_namespace_of_its_own_with_loopback_up() -> None:
    prefix, why = netns_prefix()
    if not prefix:
        pytest.skip(why)
    assert os.environ.get(INSIDE) == "1"
    assert os.readlink("/proc/self/ns/net") != os.environ[OUTER]  # the pytest outside
    assert socket.if_nameindex() == [(1, "lo")]  # nothing but loopback, and it works:
    with socket.create_server(("127.0.0.1", 0)) as server:
        socket.create_connection(server.getsockname(), timeout=5).close()
    if "-p" in prefix:  # a PID namespace with its own /proc: only this test's processes are there to walk
        assert os.getpid() == 1
        assert len([d for d in os.listdir("/proc") if d.isdigit()]) < 5
    tables = Path("/proc/sys/net/ipv4/tcp_ehash_entries")
    if "sh" in prefix and tables.exists():  # TCP sockets in a hash table of its own (negative: the machine's)
        assert int(tables.read_text()) > 0


def test_without_a_namespace_the_reason_is_the_real_one() -> None:
    prefix, why = netns_prefix()
    assert bool(prefix) != bool(why)
    if why:
        assert "unshare" in why or "Linux" in why
