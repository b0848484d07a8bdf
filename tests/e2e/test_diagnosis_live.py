"""Diagnoses against real sockets opened by the test, read by the real scanner."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from loopgui.commands.explain import main as explain_main
from loopgui.core.explain.diagnosis import Verdict, diagnose
from loopgui.core.net.scanner import make_scanner
from loopgui.core.words.explain import render

pytestmark = pytest.mark.e2e


def live_rows():  # type: ignore[no-untyped-def]
    return make_scanner().scan().rows


@pytest.fixture
def v6_only() -> Iterator[int]:
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::1", 0))
    s.listen()
    yield s.getsockname()[1]
    s.close()


@pytest.fixture
def v4_only() -> Iterator[int]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    yield s.getsockname()[1]
    s.close()


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_listening_on_ipv6_only_but_client_used_ipv4(v6_only: int) -> None:
    d = diagnose(f"connect ECONNREFUSED 127.0.0.1:{v6_only}", live_rows())
    assert d.verdict == Verdict.PROBLEM and "different address" in render(d).headline
    assert d.holders[0].row.pid == os.getpid()
    assert f"[::1]:{v6_only}" in render(d).next_steps[0]


def test_listening_on_ipv4_only_but_client_used_ipv6(v4_only: int) -> None:
    d = diagnose(f"connect ECONNREFUSED ::1:{v4_only}", live_rows())
    assert d.verdict == Verdict.PROBLEM
    assert f"127.0.0.1:{v4_only}" in render(d).next_steps[0]


def test_listening_and_reachable(v4_only: int) -> None:
    d = diagnose(f"http://127.0.0.1:{v4_only}/", live_rows())
    assert d.verdict == Verdict.OK and d.holders[0].row.pid == os.getpid()
    assert d.holders[0].facts is not None and d.holders[0].facts.create_time is not None
    assert "Only this computer: it listens on 127.0.0.1." in [f.text for f in render(d).findings]  # the reach verdict
    assert d.reach is not None and d.reach.answer.value == "no"


def test_in_use_by_this_test(v4_only: int) -> None:
    d = diagnose(f"Error: listen EADDRINUSE: address already in use 127.0.0.1:{v4_only}", live_rows())
    assert d.verdict == Verdict.PROBLEM and f"(PID {os.getpid()})" in render(d).headline


def test_time_wait_leftover_frees_itself() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: its port is left in TIME_WAIT
    time.sleep(0.05)
    client.close()
    server.close()
    deadline = time.monotonic() + 5
    while True:
        rows = live_rows()
        states = {r.state for r in rows.values() if r.local_port == port}
        if states == {"TIME_WAIT"} or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert states == {"TIME_WAIT"}
    d = diagnose(f"EADDRINUSE 127.0.0.1:{port}", rows)
    assert render(d).headline == f"Port {port} is free now."  # as closing the program says; leftovers are a finding


def test_nothing_listens() -> None:
    port = free_port()
    d = diagnose(f"connect ECONNREFUSED 127.0.0.1:{port}", live_rows())
    assert render(d).headline == f"Nothing on this computer is listening on port {port} right now."


def test_cli_text_and_json(v4_only: int) -> None:
    out = io.StringIO()
    assert explain_main([f"ECONNREFUSED 127.0.0.1:{v4_only}"], out=out) == 0
    text = out.getvalue()
    assert f"is listening on port {v4_only} now." in text and "What you can do:" in text
    out = io.StringIO()
    assert explain_main(["--json", f"127.0.0.1:{v4_only}"], out=out) == 0
    data = json.loads(out.getvalue())
    assert data["verdict"] == "ok" and data["holders"][0]["program"]["pid"] == os.getpid()
    assert data["case"]["code"] == "listening" and data["case"]["port"] == v4_only


def test_cli_bad_input_gives_a_message_not_a_traceback() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert explain_main(["   "], out=out, err=err) == 2
    assert "empty" in err.getvalue()
    out = io.StringIO()
    assert explain_main(["port 70000 \x00\x01"], out=out) == 0
    assert "70000 is not a port number" in out.getvalue()


def test_cli_as_a_command_reads_stdin() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "loopgui", "explain", "--json"],
        input="Error: connect ECONNREFUSED 127.0.0.1:9\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["error_kind"] == "refused"
    assert "PySide6" not in result.stderr
