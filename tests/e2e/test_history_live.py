"""The real recorder against real listeners and connections, then `loopgui history` and `loopgui explain`."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from loopgui.commands.explain import main as explain_main
from loopgui.commands.history import main as history_main
from loopgui.commands.wait import main as wait_main
from loopgui.core.history.reader import HistoryReader, writer_active

pytestmark = [pytest.mark.e2e, pytest.mark.own_netns]  # records only its own sockets (tests/netns.py)

ROOT = Path(__file__).resolve().parents[2]

# Listens on a port, connects to it once (a short-lived temporary port), closes that connection after a moment,
# then keeps listening until its standard input closes.
CHILD = r"""
import socket, sys, time
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
client = socket.create_connection(server.getsockname()); peer, _ = server.accept()
print(server.getsockname()[1], client.getsockname()[1], flush=True)
time.sleep(2.0)
client.close(); peer.close()
print("closed", flush=True)
sys.stdin.readline()
"""


def start_recorder(interval: float = 0.5) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "loopgui", "record", "--interval", str(interval)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert "Recording the history" in proc.stdout.readline()
    return proc


def wait_for_end(port: int, timeout: float = 15.0) -> bool:
    """Until the history shows a socket on ``port`` that has ended (the recorder looks every 0.5 s)."""
    reader = HistoryReader()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(s.ended for s in reader.port_history(port)):
            return True
        time.sleep(0.1)
    return False


def run_json(main: object, argv: list[str]) -> tuple[int, dict[str, object]]:
    out = io.StringIO()
    rc = main(argv, out=out, err=io.StringIO())  # type: ignore[operator]
    return rc, json.loads(out.getvalue())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_record_stops_cleanly_on_a_signal(sig: signal.Signals) -> None:
    proc = start_recorder()
    try:
        deadline = time.monotonic() + 10
        while not writer_active() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert writer_active()
        time.sleep(0.5)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Stopped after" in out and "Traceback" not in err
    assert not writer_active()  # the lock is released, the session closed


def test_history_and_explain_name_a_listener_and_a_connection_that_are_gone() -> None:
    recorder = start_recorder()
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdin is not None
        listen_port, temp_port = map(int, child.stdout.readline().split())
        assert child.stdout.readline().strip() == "closed"
        assert wait_for_end(temp_port)  # the recorder saw the connection go
        child.stdin.close()
        child.wait(timeout=10)
        assert wait_for_end(listen_port)  # and the listener stop
        recorder.send_signal(signal.SIGTERM)
        recorder.communicate(timeout=10)
    finally:
        for p in (child, recorder):
            if p.poll() is None:
                p.kill()
                p.wait()
        if child.stdout is not None:
            child.stdout.close()
    assert recorder.returncode == 0

    rc, data = run_json(history_main, [str(listen_port), "--json", "--since", "5m"])
    assert rc == 0
    sockets = data["sockets"]
    assert isinstance(sockets, list)
    listeners = [s for s in sockets if s["listening"] and s["local_port"] == listen_port]
    assert listeners and listeners[0]["pid"] == child.pid and not listeners[0]["still_open"]
    assert str(listeners[0]["program"]).startswith("python")

    out = io.StringIO()
    assert history_main([str(temp_port)], out=out, err=io.StringIO()) == 0
    assert f"(PID {child.pid}) used 127.0.0.1:{temp_port} (TCP)" in out.getvalue()
    assert f"connected to 127.0.0.1:{listen_port}" in out.getvalue()

    out = io.StringIO()
    assert explain_main([f"connect ECONNREFUSED 127.0.0.1:{listen_port}"], out=out, err=io.StringIO()) == 0
    assert f"(PID {child.pid}) listened on {listen_port} until" in out.getvalue()
    assert "; it stopped." in out.getvalue()

    out = io.StringIO()
    assert explain_main([f"connect ECONNREFUSED 127.0.0.1:{temp_port}"], out=out, err=io.StringIO()) == 0
    text = out.getvalue()
    assert f"Nothing listens on {temp_port} now." in text
    assert f"(PID {child.pid}) used it from" in text and f"connected to 127.0.0.1:{listen_port}." in text


def test_a_second_recorder_records_nothing_and_says_so() -> None:
    first = start_recorder()
    try:
        second = subprocess.run(
            [sys.executable, "-m", "loopgui", "record", "--for", "5", "--json"],
            cwd=ROOT,
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=10)
    assert second.returncode == 1
    assert "already recording" in second.stderr
    assert json.loads(second.stdout)["stopped_by"] == "other-recorder"
    assert first.returncode == 0


def test_record_for_a_while_then_history_of_everything() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "loopgui", "record", "--for", "1", "--interval", "0.5", "--json"],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["stopped_by"] == "time" and summary["scans_recorded"] >= 2
    assert Path(str(summary["database"])).is_relative_to(Path(os.environ["XDG_DATA_HOME"]))


# -- wait ---------------------------------------------------------------------------------------------------------


def test_wait_returns_0_as_soon_as_a_listener_appears() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)

    def later() -> None:
        time.sleep(0.6)
        server.bind(("127.0.0.1", port))
        server.listen()

    starter = threading.Thread(target=later)
    starter.start()
    try:
        start = time.monotonic()
        rc, data = run_json(wait_main, [f"127.0.0.1:{port}", "--timeout", "20", "--json"])
        assert rc == 0 and data["answered"] is True and data["address"] == f"127.0.0.1:{port}"
        assert time.monotonic() - start < 10
    finally:
        starter.join()
        server.close()


def test_wait_times_out_with_1_and_refuses_bad_input_with_2() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    out = io.StringIO()
    assert wait_main([f"127.0.0.1:{port}", "--timeout", "0.5"], out=out, err=io.StringIO()) == 1
    assert "Nothing answered" in out.getvalue()
    for bad in (["3000"], ["::1:3000"], ["127.0.0.1:70000"], ["127.0.0.1:80", "--timeout", "-1"], ["host:"], []):
        err = io.StringIO()
        assert wait_main(bad, out=io.StringIO(), err=err) == 2, bad
        assert "Traceback" not in err.getvalue()


def test_wait_on_ipv6_loopback_in_brackets() -> None:
    server = socket.socket(socket.AF_INET6)
    try:
        server.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    server.listen()
    try:
        assert wait_main([f"[::1]:{server.getsockname()[1]}", "--timeout", "5"], out=io.StringIO()) == 0
    finally:
        server.close()
