"""Issue 20: `loopgui close PORT|PID`, the terminal face, with real programs: same plan, protection, identity
re-check and port check as the window; exit 0 closed and free, 1 not, 2 bad input."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from loopgui.commands import close as verb
from tests.e2e.test_close_program import Child

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def child(request: pytest.FixtureRequest) -> Iterator[Child]:
    c = Child(request.param)
    yield c
    c.cleanup()


def run(*argv: str, ask: object = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = verb.main(list(argv), out, err, ask=ask)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def _ended(proc: subprocess.Popen[str]) -> bool:
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        return False
    return True


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_close_a_port_with_yes_and_json(child: Child) -> None:
    code, out, err = run(f":{child.port}", "--yes", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    (report,) = data["closes"]
    assert data["port"] == child.port and data["exit"] == 0
    assert report["outcome"] == "closed" and report["target"]["pid"] == child.proc.pid
    assert report["processes"][0]["code"] == "closed"
    assert report["ports"] == [
        {
            "code": "free",
            "protocol": "TCP",
            "port": child.port,
            "holder": None,
            "via": None,
            "via_name": None,
            "via_pid": None,
        }
    ]
    assert report["text"].endswith(f"Port {child.port} is free now.")
    assert _ended(child.proc)


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_a_bare_number_is_the_port_something_listens_on(child: Child) -> None:
    code, out, _err = run(str(child.port), "--yes")
    assert code == 0 and "Close python" in out and f"Port {child.port} is free now." in out
    assert _ended(child.proc)


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_without_yes_and_without_a_terminal_it_refuses(child: Child) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "loopgui", "close", f":{child.port}"],
        check=False,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "not an interactive terminal. Add --yes" in proc.stderr and "Traceback" not in proc.stderr
    assert child.proc.poll() is None


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_with_a_terminal_it_asks_and_no_closes_nothing(child: Child) -> None:
    for answer, expect_closed in ((b"n\n", False), (b"y\n", True)):
        main, sub = pty.openpty()
        proc = subprocess.Popen(
            [sys.executable, "-m", "loopgui", "close", f"pid:{child.proc.pid}"],
            stdin=sub,
            stdout=sub,
            stderr=sub,
            cwd=ROOT,
        )
        os.close(sub)
        seen = b""
        deadline = time.monotonic() + 30
        while b"[y/N]" not in seen and time.monotonic() < deadline:
            if select.select([main], [], [], 0.5)[0]:
                seen += os.read(main, 4096)
        assert b"[y/N]" in seen, seen
        os.write(main, answer)
        assert proc.wait(30) == (0 if expect_closed else 1)
        os.close(main)
        assert (child.proc.poll() is not None or _ended(child.proc)) if expect_closed else child.proc.poll() is None


@pytest.mark.parametrize("child", ["stubborn"], indirect=True)
def test_force_after(child: Child) -> None:
    code, out, _ = run(f"pid:{child.proc.pid}", "--yes", "--force-after", "0.3", "--json")
    assert code == 0
    (report,) = json.loads(out)["closes"]
    assert report["outcome"] == "closed" and report["forced"] is True
    assert _ended(child.proc)


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_the_identity_form_closes_nothing_when_the_start_time_differs(child: Child) -> None:
    wrong = f"{child.identity.create_time - 3:.6f}"
    code, out, _ = run("--pid", str(child.proc.pid), "--started", wrong, "--yes", "--json")
    assert code == 1
    (report,) = json.loads(out)["closes"]
    assert report["outcome"] == "already_gone" and report["sameness"] == "reused"
    assert child.proc.poll() is None
    right = f"{child.identity.create_time:.6f}"
    assert run("--pid", str(child.proc.pid), "--started", right, "--yes")[0] == 0
    assert _ended(child.proc)


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_without_rights_it_shows_this_verb_with_the_identity_never_a_bare_kill(
    child: Child, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signal, "pidfd_send_signal", lambda fd, sig: (_ for _ in ()).throw(PermissionError(1, "no")))
    monkeypatch.setattr(
        psutil.Process, "send_signal", lambda self, sig: (_ for _ in ()).throw(psutil.AccessDenied(self.pid))
    )
    code, out, _ = run(f":{child.port}", "--yes")
    assert code == 1
    started = f"{child.identity.create_time:.6f}"
    assert f" close --pid {child.proc.pid} --started {started}" in out and "sudo /" in out
    assert "kill" not in out
    assert child.proc.poll() is None


def test_protected_and_bad_input() -> None:
    code, out, _ = run(f"pid:{os.getpid()}", "--yes", "--json")
    assert code == 1 and json.loads(out)["closes"][0]["protection"]["code"] == "loopgui_itself"
    for argv in (
        ["abc"],
        [":0"],
        [":70000"],
        ["--pid", "5"],
        ["--pid", "5", "--started", "x"],
        ["--pid", "5", "--started", "nan"],
        ["--pid", "5", "--started", "1e300"],
        ["3000", "--pid", "5"],
        [":80", "--force-after", "-1"],
        [],
        ["pid:" + "9" * 10],
        ["--bogus"],
    ):
        code, _out, err = run(*argv)
        assert code == 2 and "Traceback" not in err, argv


def test_a_port_nothing_listens_on_is_free() -> None:
    import socket

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    code, out, _ = run(f":{port}", "--yes")
    assert code == 0 and "nothing to close" in out


def test_the_verb_is_registered() -> None:
    from loopgui.cli import VERBS

    assert "close" in VERBS
