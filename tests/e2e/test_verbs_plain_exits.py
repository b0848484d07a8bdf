"""Terminal verbs end in plain words (issue 21): bad ports and hosts exit 2, `wait` reports the real time after
Ctrl+C or SIGTERM (130/143) and can wait until a port is closed, `record` says each notice once, a full or closed
output ends a verb quietly, and Explain works with a history folder it cannot read or damaged values in it."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopgui.commands.history import main as history_main
from loopgui.commands.wait import main as wait_main
from loopgui.core.history.recorder import Recorder
from loopgui.core.history.store import ProgramInfo
from tests.helpers import row, snapshot

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def loopgui(*args: str, env: dict[str, str] | None = None, **kw: object) -> subprocess.Popen[str]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "loopgui", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        text=True,
        **{"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kw},
    )


def free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port: int = probe.getsockname()[1]
    probe.close()
    return port


@pytest.mark.parametrize("target", ["²", "٣٠٠٠", "9" * 5000, "+3000"])
def test_history_with_a_port_that_is_no_port_exits_2_in_plain_words(target: str) -> None:
    err = io.StringIO()
    assert history_main([target], out=io.StringIO(), err=err) == 2
    assert "is not a port number" in err.getvalue() and "Traceback" not in err.getvalue()
    assert len(err.getvalue()) < 200  # the 5,000 digits are not printed back


@pytest.mark.parametrize("host", ["local\x1bhost", "127.0.0.1\x00", "a\x07b", "host\u202e"])
def test_wait_with_control_characters_in_the_host_exits_2(host: str) -> None:
    err = io.StringIO()
    assert wait_main([f"{host}:3000", "--timeout", "5"], out=io.StringIO(), err=err) == 2
    assert "is not a computer name or address" in err.getvalue()
    assert "\x1b" not in err.getvalue() and "\x07" not in err.getvalue()


@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGINT, 130, "Ctrl+C"), (signal.SIGTERM, 143, "SIGTERM")])
def test_wait_stopped_reports_the_real_time_waited(sig: signal.Signals, code: int, word: str) -> None:
    child = loopgui("wait", f"127.0.0.1:{free_port()}", "--timeout", "30")
    time.sleep(1.5)
    child.send_signal(sig)
    out, err = child.communicate(timeout=20)
    assert child.returncode == code, (out, err)
    assert "Traceback" not in err
    m = re.search(r"Stopped \((\S+)\) after ([\d.]+) s", out)
    assert m is not None, out
    assert m.group(1) == word
    assert 1.0 <= float(m.group(2)) < 10  # never "within 30 s"
    assert "within 30" not in out


def test_wait_closed_returns_once_nothing_listens_any_more() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    out = io.StringIO()
    assert wait_main([f"127.0.0.1:{port}", "--closed", "--timeout", "0.8"], out=out, err=io.StringIO()) == 1
    assert "still listened" in out.getvalue()
    timer = threading.Timer(0.6, server.close)
    timer.start()
    try:
        out = io.StringIO()
        start = time.monotonic()
        assert wait_main([f"127.0.0.1:{port}", "--closed", "--timeout", "20", "--json"], out=out) == 0
        data = json.loads(out.getvalue())
        assert data["closed"] is True and data["waited_for"] == "closed"
        assert time.monotonic() - start < 10
    finally:
        timer.join()
        server.close()


def test_record_says_each_notice_once(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "loopgui").symlink_to(shared)  # refused: one notice
    child = loopgui("record", "--for", "1", "--interval", "0.5", env={"XDG_DATA_HOME": str(tmp_path / "data")})
    _, err = child.communicate(timeout=30)
    assert "Traceback" not in err
    assert err.count("symbolic link") == 1, err
    assert list(shared.iterdir()) == []


@pytest.mark.parametrize("argv", [["history", "--json"], ["explain", "127.0.0.1:9"]])
def test_a_full_output_ends_a_verb_quietly(argv: list[str]) -> None:
    with open("/dev/full", "w") as full:
        child = loopgui(*argv, stdout=full)
        _, err = child.communicate(timeout=60)
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert child.returncode == 1


@pytest.mark.parametrize("argv", [["history", "--json"], ["explain", "127.0.0.1:9"]])
def test_a_closed_output_ends_a_verb_quietly(argv: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # nobody reads: the first write fails with EPIPE
    try:
        child = loopgui(*argv, stdout=write)
    finally:
        os.close(write)
    _, err = child.communicate(timeout=60)
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert child.returncode == 141


# -- Explain never depends on the history ---------------------------------------------------------------------------


@pytest.fixture
def unreadable_history(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    """A history folder this process cannot look into, as one left by running loopgui once as administrator: owned
    by another user, 0700; the verbs run without the right to override file permissions."""
    data = tmp_path / "data"
    folder = data / "loopgui"
    rec = Recorder(folder / "history.sqlite3", lookup=lambda pid: ProgramInfo(1.0, "node", "root"))
    rec.record(snapshot([row(3000, pid=812, program="node")]))
    rec.close()
    if os.geteuid() == 0:
        for p in [folder, *folder.iterdir()]:
            os.chown(p, 12345, 12345)
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
    else:
        os.chmod(folder, 0)
        prefix = []
    try:
        yield data, prefix
    finally:
        os.chmod(folder, 0o700)


def test_explain_and_history_with_an_unreadable_history_folder(unreadable_history: tuple[Path, list[str]]) -> None:
    data, prefix = unreadable_history
    env = {**os.environ, "XDG_DATA_HOME": str(data)}
    base = [*prefix, sys.executable, "-m", "loopgui"]
    explained = subprocess.run(
        [*base, "explain", "--json", "127.0.0.1:3000"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert explained.returncode == 0, explained.stderr
    assert "Traceback" not in explained.stderr
    assert json.loads(explained.stdout)  # the explanation is all there
    history = subprocess.run(
        [*base, "history", "3000"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert history.returncode == 1 and "Traceback" not in history.stderr
    assert "cannot be read" in history.stderr


def test_explain_and_history_with_damaged_values(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = data / "loopgui" / "history.sqlite3"
    rec = Recorder(db, lookup=lambda pid: ProgramInfo(1.0, "node", "alice"))
    first = snapshot([row(3000, pid=812, program="node"), row(3000, local="::1", pid=813, program="node")])
    rec.record(first)
    rec.record(snapshot([], previous=first.rows))
    rec.close()
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE sockets SET first_seen='text' WHERE local_addr='::1'")
        conn.execute("UPDATE sockets SET last_seen=1e300 WHERE local_addr='127.0.0.1'")
    conn.close()
    env = {"XDG_DATA_HOME": str(data)}
    child = loopgui("explain", "--json", "127.0.0.1:3000", env=env)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0 and "Traceback" not in err, err
    assert json.loads(out)
    child = loopgui("history", "3000", env=env)
    out, err = child.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert "damaged values" in err
