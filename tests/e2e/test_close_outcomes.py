"""Issue 20: every close result matches what happened, per process, with real programs."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from loopgui.core.programs import actions
from loopgui.core.programs.actions import ClosePlan, close_plan, plan_close, release
from loopgui.core.programs.processes import (
    CloseOutcome,
    Identity,
    MemberCode,
    ProcInfo,
    Sameness,
    compare,
    identity_of,
    read_info,
    same_start,
)
from loopgui.core.words.close import plan_texts, result_text
from tests.e2e.test_close_program import Child

pytestmark = pytest.mark.e2e
LINUX = sys.platform.startswith("linux")


@pytest.fixture
def child(request: pytest.FixtureRequest) -> Iterator[Child]:
    c = Child(request.param)
    yield c
    c.cleanup()


def _plan(identity: Identity) -> ClosePlan:
    plan = plan_close(identity, manager_of=lambda _i: None)
    assert isinstance(plan, ClosePlan), plan
    return plan


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("child", ["listen"], indirect=True)
def test_a_program_that_ends_by_itself_after_the_confirmation_is_not_reported_closed(child: Child) -> None:
    plan = _plan(child.identity)
    os.kill(child.proc.pid, signal.SIGKILL)  # someone else ends it while the question is open
    time.sleep(0.2)  # a zombie now: the test has not collected it
    result = close_plan(plan, wait=1.0)
    assert result.outcome is CloseOutcome.ENDED_BY_ITSELF
    assert result.members[0].code is MemberCode.ENDED_BEFORE_SIGNAL
    assert "ended on its own before loopgui sent it anything" in result_text(result)


@pytest.mark.parametrize("child", ["tree"], indirect=True)
def test_children_that_exited_on_their_own_are_not_counted_as_closed(child: Child) -> None:
    plan = _plan(child.identity)
    own, other = child.children
    os.kill(own, signal.SIGKILL)  # this one exits on its own (as loopgui sees it) before any signal
    deadline = time.monotonic() + 5
    while not _gone(own) and time.monotonic() < deadline:
        time.sleep(0.02)
    result = close_plan(plan, include_children=True, wait=5)
    assert result.outcome is CloseOutcome.CLOSED
    assert result.member(own).code is MemberCode.ENDED_BEFORE_SIGNAL  # type: ignore[union-attr]
    assert result.member(other).code is MemberCode.CLOSED  # type: ignore[union-attr]
    text = result_text(result)
    assert "loopgui closed 1 program it started" in text and "had ended on its own" in text


@pytest.mark.parametrize("child", ["waiter"], indirect=True)
def test_a_parent_that_ended_because_its_children_were_closed_is_said_so(
    child: Child, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: "had already ended".  The parent waits for its children and ends when they do; loopgui signals the
    children first, and the parent is gone by its turn."""
    real_send = actions.send

    def send_then_let_the_parent_notice(handle: actions.Handle, sig: int) -> actions.Signalled:
        sent = real_send(handle, sig)
        if handle.identity.pid != child.proc.pid and sig != 0:
            time.sleep(0.5)  # the parent sees its children end before loopgui gets to it
        return sent

    monkeypatch.setattr(actions, "send", send_then_let_the_parent_notice)
    plan = _plan(child.identity)
    result = close_plan(plan, include_children=True, force=True, wait=5)
    assert result.outcome is CloseOutcome.CLOSED
    assert result.members[0].code is MemberCode.ENDED_AFTER_CHILDREN
    assert [m.code for m in result.members[1:]] == [MemberCode.CLOSED, MemberCode.CLOSED]
    assert "ended by itself once the programs it started were closed" in result_text(result)


@pytest.mark.parametrize("child", ["stubborn"], indirect=True)
def test_stop_waiting_at_once_is_not_did_not_close_within_5_seconds(child: Child) -> None:
    plan = _plan(child.identity)
    result = close_plan(plan, wait=5.0, should_stop=lambda: True)
    assert result.outcome is CloseOutcome.STOPPED_WAITING and result.waited < 1.0
    assert result.members[0].code is MemberCode.STOPPED_WAITING
    text = result_text(result)
    assert "within 5 seconds" not in text and text.startswith("You stopped waiting after")
    assert child.proc.poll() is None


@pytest.mark.parametrize("child", ["threads"], indirect=True)
def test_a_program_whose_first_thread_ended_while_others_keep_the_port_is_not_ended(child: Child) -> None:
    """Before: its first thread shows as a zombie, so it was "already ended" and never closed, port still held."""
    time.sleep(0.3)
    info = read_info(child.proc.pid)
    assert info is not None and info.main_thread_exited and not info.zombie
    plan = _plan(child.identity)
    assert plan.ports == (("TCP", child.port),)
    result = close_plan(plan, wait=5)
    assert result.outcome is CloseOutcome.CLOSED and result.members[0].code is MemberCode.CLOSED
    assert child.proc.wait(5) == -signal.SIGTERM


@pytest.mark.skipif(not LINUX or os.geteuid() != 0, reason="needs root to start a program as another user")
def test_the_confirmation_says_the_program_belongs_to_another_user_when_loopgui_is_administrator() -> None:
    proc = subprocess.Popen([shutil.which("sleep") or "/bin/sleep", "30"], user="nobody")
    try:
        deadline = time.monotonic() + 5
        while (identity := identity_of(proc.pid)) is None or identity.name != "sleep":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        plan = _plan(identity)
        assert plan.as_admin and plan.other_user == "nobody"
        _question, info, _check, _details = plan_texts(plan, 5.0)
        assert "belongs to another user (nobody); loopgui can close it because it runs as administrator" in info
        release(plan)
    finally:
        proc.kill()
        proc.wait()


# -- identity: exact clock ticks, program file device and inode, pidfd from the confirmation on ----------------------


def test_start_times_are_compared_in_exact_clock_ticks() -> None:
    """Before: |a - b| <= 0.01 s passed one tick apart (float noise decides), so a program started one tick later
    under the same number counted as the same."""
    base = 1_796_400_000.0 + 12_345 / 100
    later = 1_796_400_000.0 + 12_346 / 100  # one tick (1/100 s) later
    assert abs(later - base) <= 0.01  # what the old check accepted
    assert not same_start(base, later, hz=100) and same_start(base, base + 0.004, hz=100)
    seen = Identity(4242, base, "sleep", "/usr/bin/sleep")
    newcomer = ProcInfo(4242, "sleep", later, "/usr/bin/sleep", 1)
    if LINUX:
        assert compare(seen, newcomer) is Sameness.REUSED


@pytest.mark.skipif(not LINUX, reason="the program file's device and inode are read from /proc on Linux")
def test_a_program_file_replaced_at_the_same_path_is_another_program(tmp_path: Path) -> None:
    """The process execs a new file put at the same path: same PID, same start time, same path.  Before: the
    same program; now the file's device and inode tell them apart and it is left alone."""
    prog = tmp_path / "server"
    shutil.copy(sys.executable, prog)
    script = (
        "import os, sys, time; sys.stdout.write('ready\\n'); sys.stdout.flush(); sys.stdin.readline(); "
        f"os.execv({str(prog)!r}, [{str(prog)!r}, '-c', 'import time; time.sleep(30)'])"
    )
    proc = subprocess.Popen([str(prog), "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert proc.stdout.readline() == "ready\n"
        seen = identity_of(proc.pid)
        assert seen is not None and seen.exe == str(prog) and seen.exe_id is not None
        replacement = tmp_path / "server.new"
        shutil.copy(sys.executable, replacement)
        os.replace(replacement, prog)  # an update: another file at the same path
        proc.stdin.write("go\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 5
        while (now := read_info(proc.pid)) is None or now.exe_id == seen.exe_id:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert now.exe == seen.exe and now.create_time is not None and same_start(now.create_time, seen.create_time)
        assert compare(seen, now) is Sameness.CHANGED
        result = actions.close_program(seen, wait=1.0)
        assert result.outcome is CloseOutcome.NOT_SAME and result.sameness is Sameness.CHANGED
        assert proc.poll() is None  # left alone
    finally:
        proc.kill()
        proc.communicate()


def _same_tick_reuse(tries: int = 200) -> tuple[subprocess.Popen[bytes], ClosePlan, Identity] | None:
    """Start a program, plan its closing (the pidfd opens), end it, and start the same program file under the same
    PID within the same clock tick (ns_last_pid): the reuse the start time cannot tell apart."""
    sleep = shutil.which("sleep") or "/bin/sleep"
    for _ in range(tries):
        first = subprocess.Popen([sleep, "30"])
        seen = identity_of(first.pid)
        if seen is None:
            first.kill()
            first.wait()
            continue
        plan = plan_close(
            seen,
            children=dict,
            context=lambda: actions.ProtectionContext(me=os.getpid(), ancestors=()),
            manager_of=lambda _i: None,
            ports_of=lambda _pids: (),
        )
        assert isinstance(plan, ClosePlan)
        first.kill()
        first.wait()
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(seen.pid - 1))
        second = subprocess.Popen([sleep, "30"])
        now = identity_of(second.pid)
        if second.pid == seen.pid and now is not None and compare(seen, read_info(second.pid)) is Sameness.SAME:
            return second, plan, seen
        release(plan)
        second.kill()
        second.wait()
    return None


@pytest.mark.skipif(not LINUX or os.geteuid() != 0, reason="needs root (ns_last_pid) and pidfds")
def test_a_reuse_after_the_confirmation_opened_is_never_signalled() -> None:
    """Same program file, same PID, same clock tick: nothing in /proc tells the newcomer apart.  The pidfd the
    plan opened when the confirmation opened still names the ended program, so the newcomer is never signalled.
    (Before: the pidfd was opened at signal time, on the newcomer, and it was killed.)"""
    found = _same_tick_reuse()
    if found is None:
        pytest.skip("could not start a program under the same PID within the same clock tick here")
    second, plan, _seen = found
    try:
        result = close_plan(plan, wait=1.0)
        assert result.outcome is CloseOutcome.ENDED_BY_ITSELF
        assert result.members[0].code is MemberCode.ENDED_BEFORE_SIGNAL
        time.sleep(0.2)
        assert second.poll() is None  # the newcomer runs on
    finally:
        with contextlib.suppress(ProcessLookupError):
            second.kill()
        second.wait()


# -- protection decided from evidence, in a real PID namespace where loopgui is the first process ------------------

NS_FIRST = """
import json, os, shutil, subprocess, sys
from loopgui.core.programs.actions import ClosePlan, close_plan, plan_close
from loopgui.core.programs.processes import identity_of
sleeper = subprocess.Popen([shutil.which("sleep") or "/bin/sleep", "30"])
seen = identity_of(sleeper.pid)
plan = plan_close(seen, manager_of=lambda _i: None)
out = {"me": os.getpid(), "planned": isinstance(plan, ClosePlan)}
if isinstance(plan, ClosePlan):
    result = close_plan(plan, wait=5)
    out["outcome"] = result.outcome.value
else:
    out["outcome"] = plan.outcome.value
    out["protection"] = plan.protection.code.value if plan.protection is not None else None
print(json.dumps(out))
"""


@pytest.mark.skipif(
    not LINUX or os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="needs Linux, root and unshare to make a PID namespace",
)
def test_as_the_first_process_of_a_namespace_loopgui_does_not_protect_every_program() -> None:
    """Before: as PID 1 of a namespace (a container), as root, every program it started from /usr/bin had parent 1
    and was refused as "a background service of the system … started with the computer"."""
    import json

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", NS_FIRST],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    if done.returncode != 0 and "unshare" in done.stderr:
        pytest.skip(f"cannot make a PID namespace here: {done.stderr.strip()[-200:]}")
    out = json.loads(done.stdout)
    assert out["me"] == 1
    assert out["planned"] and out["outcome"] == "closed", out


@pytest.mark.parametrize("child", ["slow"], indirect=True)
def test_a_program_that_ends_between_the_ask_and_the_force_was_closed_by_loopgui(child: Child) -> None:
    """It was asked to close, did not within the wait, and ended while the person chose Force: loopgui closed it
    (its signal), it did not end "on its own"."""
    plan = _plan(child.identity)
    first = close_plan(plan, wait=0.2)
    assert first.outcome is CloseOutcome.STILL_RUNNING
    time.sleep(1.0)  # the person reads the question; the program finishes closing meanwhile
    forced = close_plan(plan, force=True, wait=2.0, signalled_before=actions.signalled_pids(first))
    assert forced.outcome is CloseOutcome.CLOSED and forced.members[0].code is MemberCode.CLOSED
