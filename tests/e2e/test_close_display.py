"""Issue 20: the display server loopgui draws on is never closed.  A real Xvfb, found by who owns its X socket."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopgui.core.programs.actions import ClosePlan, plan_close, release
from loopgui.core.programs.display import display_servers
from loopgui.core.programs.processes import CloseOutcome, current_context, identity_of
from loopgui.core.programs.protection import Guard
from loopgui.core.words.close import result_text

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not sys.platform.startswith("linux") or shutil.which("Xvfb") is None,
        reason="needs Linux and Xvfb (scripts/test.sh installs it)",
    ),
]


def _free_display() -> int:
    for n in range(90, 190):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    pytest.skip("no free X display number")


@pytest.fixture
def xvfb() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    n = _free_display()
    proc = subprocess.Popen(
        ["Xvfb", f":{n}", "-nolisten", "tcp", "-screen", "0", "320x200x24"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{n}").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.skip("Xvfb did not start here")
        time.sleep(0.05)
    time.sleep(0.2)
    yield proc, f":{n}"
    proc.terminate()
    proc.wait(5)


def test_the_owner_of_the_display_socket_is_found(xvfb: tuple[subprocess.Popen[bytes], str]) -> None:
    proc, display = xvfb
    # Xvfb, and any helper it started that inherited the listening socket (every holder draws that display)
    owners = display_servers({"DISPLAY": display})
    assert owners.get(proc.pid) == display and set(owners.values()) == {display}
    assert display_servers({"DISPLAY": display + ".0"}).get(proc.pid) == display + ".0"
    assert display_servers({}) == {}


def test_the_display_loopgui_draws_on_is_refused(xvfb: tuple[subprocess.Popen[bytes], str]) -> None:
    """Before: Xvfb (started by a person, as root, not a vital name) was closed like any program, and every
    window on it with it."""
    proc, display = xvfb
    identity = identity_of(proc.pid)
    assert identity is not None
    refused = plan_close(identity, context=lambda: current_context(environ={"DISPLAY": display}))
    assert not isinstance(refused, ClosePlan)
    assert refused.outcome is CloseOutcome.PROTECTED
    assert refused.protection is not None and refused.protection.code is Guard.DISPLAY_SERVER
    assert refused.protection.display == display
    assert "display server loopgui and your other windows are shown on" in result_text(refused)
    assert proc.poll() is None


def test_another_display_server_may_be_closed(xvfb: tuple[subprocess.Popen[bytes], str]) -> None:
    """Only the display loopgui draws on is protected: an Xvfb for something else is an ordinary program."""
    proc, _display = xvfb
    identity = identity_of(proc.pid)
    assert identity is not None
    plan = plan_close(identity, context=lambda: current_context(environ={"DISPLAY": ":0", "WAYLAND_DISPLAY": ""}))
    if os.environ.get("DISPLAY") == _display:  # pragma: no cover - only when the tests draw on this very Xvfb
        pytest.skip("the tests draw on this display")
    assert isinstance(plan, ClosePlan), plan
    release(plan)
