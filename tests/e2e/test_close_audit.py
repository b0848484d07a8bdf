"""Closing audited as an attacker would: a signal may only ever reach the process whose identity was checked."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from loopgui.core.programs import actions
from loopgui.core.programs.actions import ClosePlan, Member, close_plan, open_verified, plan_close
from loopgui.core.programs.processes import CloseOutcome, Identity, ProcInfo
from loopgui.core.words.close import result_text

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]

# Runs in a PID namespace of its own that still sees the outer /proc (``unshare --pid --fork`` without a new /proc).
# There it makes a decoy take the victim's number *in its own namespace*, then asks loopgui to close the victim.
NS_CHILD = textwrap.dedent(
    """
    import json, subprocess, sys, time
    from loopgui.core.programs.actions import ClosePlan, Member, close_plan, close_program
    from loopgui.core.programs.processes import Identity
    from loopgui.core.words.close import result_text
    victim, start, exe = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(victim - 1))
    decoy = subprocess.Popen(["sleep", "60"])
    identity = Identity(victim, start, "sleep", exe)
    result = close_program(identity, wait=1.0)
    plan = close_plan(ClosePlan(Member(identity)), wait=1.0)  # the signal step on its own checks too
    time.sleep(0.3)
    print(json.dumps({"decoy": decoy.pid, "decoy_ended": decoy.poll() is not None,
                      "outcome": result.outcome.value, "message": result_text(result),
                      "plan_outcome": plan.outcome.value}))
    decoy.kill()
    """
)


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="needs Linux, root and unshare to make a PID namespace",
)
def test_another_pid_namespace_never_turns_the_check_and_the_signal_on_two_programs(tmp_path: Path) -> None:
    script = tmp_path / "ns_child.py"
    script.write_text(NS_CHILD)
    victim = subprocess.Popen(["sleep", "60"])
    try:
        proc = psutil.Process(victim.pid)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [
                "unshare",
                "--pid",
                "--fork",
                sys.executable,
                str(script),
                str(victim.pid),
                str(proc.create_time()),
                proc.exe(),
            ],
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
            check=False,
        )
        if "ns_last_pid" in out.stderr or not out.stdout.strip():
            pytest.skip(f"cannot make a PID namespace here: {out.stderr.strip()[-200:]}")
        seen = json.loads(out.stdout.strip().splitlines()[-1])
        assert seen["decoy"] == victim.pid, "the decoy did not get the victim's number; the test proves nothing"
        assert not seen["decoy_ended"], "loopgui signalled a program the user never chose"
        assert victim.poll() is None
        assert seen["outcome"] == CloseOutcome.NOT_SAME.value
        assert seen["plan_outcome"] == CloseOutcome.NOT_SAME.value
        assert "closed" not in seen["message"].split()  # never claims to have closed anything
    finally:
        victim.kill()
        victim.wait(5)


def _sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Record signals instead of sending them."""
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(
        actions, "send", lambda handle, sig: calls.append((handle.identity.pid, sig)) or actions.Signalled.SENT
    )
    monkeypatch.setattr(actions.psutil.Process, "send_signal", lambda self, sig: calls.append((self.pid, sig)))
    return calls


@pytest.mark.parametrize("pid", [0, -1, -os.getpgrp()])
def test_no_number_that_means_a_group_or_everything_is_ever_signalled(
    monkeypatch: pytest.MonkeyPatch, pid: int
) -> None:
    # kill(0) signals loopgui's own process group, kill(-1) every process there is: even a reader that vouches for
    # such a number (a bug, a fake row) must not get it signalled.
    calls = _sent(monkeypatch)
    identity = Identity(pid, 1000.0, "victim", "/usr/bin/victim")

    def reader(n: int) -> ProcInfo:
        return ProcInfo(n, "victim", 1000.0, "/usr/bin/victim", 1234, uid=1000)

    status, handle = open_verified(identity, reader)
    assert handle is None and status == actions.Signalled.UNKNOWN
    result = close_plan(ClosePlan(Member(identity)), wait=0.1, reader=reader)
    assert result.outcome == CloseOutcome.NOT_SAME
    planned = plan_close(identity, reader=reader, children=dict, manager_of=lambda _i: None)
    assert not isinstance(planned, ClosePlan) and planned.outcome == CloseOutcome.NOT_SAME
    assert calls == []


@pytest.mark.skipif(not actions.pidfd_available(), reason="pidfd is Linux only")
def test_a_thread_number_is_never_signalled_as_if_it_were_a_program() -> None:
    # A thread has its own number and its own /proc entry, but kill() on it ends its whole program.  pidfd_open
    # refuses a thread (EINVAL); that must not fall back to signalling by number.
    code = "import threading, time\nt = threading.Thread(target=time.sleep, args=(60,), daemon=True)\nt.start()\n"
    code += "print(t.native_id, flush=True)\ntime.sleep(60)\n"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        tid = int(proc.stdout.readline())
        thread = psutil.Process(tid)  # /proc/TID exists, so a reader sees it like a program
        identity = Identity(tid, thread.create_time(), thread.name(), thread.exe())
        result = close_plan(ClosePlan(Member(identity)), wait=0.5)
        assert proc.poll() is None, "closing a thread number ended its whole program"
        assert result.outcome == CloseOutcome.NOT_SAME
    finally:
        proc.kill()
        proc.wait(5)
        if proc.stdout is not None:
            proc.stdout.close()


def test_a_number_handed_on_while_the_family_is_listed_is_not_in_the_plan() -> None:
    # The list of who started whom is read once; a listed child can end and its number go to an unrelated program
    # before loopgui reads that child's details.  The newcomer must not be listed, nor closed with the box ticked.
    target = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # loopgui's child, not target's
    try:
        identity = actions.processes.identity_of(target.pid)
        assert identity is not None
        plan = plan_close(identity, children=lambda: {target.pid: [stranger.pid]}, manager_of=lambda _i: None)
        assert isinstance(plan, ClosePlan)
        assert stranger.pid not in [m.identity.pid for m in plan.descendants]
        close_plan(plan, include_children=True, wait=5)
        assert target.wait(5) is not None
        assert stranger.poll() is None, "a program the target never started was closed"
    finally:
        for p in (target, stranger):
            p.kill()
            p.wait(5)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process names from links are a Linux matter")
def test_a_program_started_as_sshd_through_a_link_is_not_protected(tmp_path: Path) -> None:
    # Started through a link named "sshd", a person's program (a script's python3, here sleep) is called "sshd" while
    # its program file is a system one: before, that made it "a vital part of the operating system", never closable.
    program = os.path.realpath(shutil.which("sleep") or "/usr/bin/sleep")
    if not program.startswith(("/usr/", "/bin/")):
        pytest.skip(f"sleep is not a system program file here ({program})")
    link = tmp_path / "sshd"
    link.symlink_to(program)
    proc = subprocess.Popen([str(link), "60"])
    try:
        identity = actions.processes.identity_of(proc.pid)
        assert identity is not None and identity.name == "sshd" and identity.exe == program
        plan = plan_close(identity, manager_of=lambda _i: None)
        assert isinstance(plan, ClosePlan), plan
        result = close_plan(plan, wait=5)
        assert result.outcome == CloseOutcome.CLOSED and proc.wait(5) is not None
        # The real thing (its own file is called sshd) stays protected.
        real = ProcInfo(proc.pid, "sshd", 1.0, "/usr/sbin/sshd", 1, 0, "root")
        ctx = actions.processes.ProtectionContext(me=os.getpid(), ancestors=(), platform="linux")
        assert actions.protection(real, ctx) is not None
    finally:
        proc.kill()
        proc.wait(5)


def test_when_the_program_itself_may_not_be_closed_the_programs_it_started_are_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Children are signalled first (so the parent cannot start them again); when loopgui may not signal the parent
    # (another user's or the system's), closing only its children would leave a half-closed program and a message
    # that speaks of the parent alone.  Nothing is touched, and the message says why.
    code = "import subprocess, sys, time\nk = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    code += "print(k.pid, flush=True)\ntime.sleep(60)\n"
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        kid = int(parent.stdout.readline())
        real_send = actions.send

        def send(handle: actions.Handle, sig: int) -> actions.Signalled:
            if handle.identity.pid == parent.pid:
                return actions.Signalled.DENIED  # as for a program of another user
            return real_send(handle, sig)

        monkeypatch.setattr(actions, "send", send)
        identity = actions.processes.identity_of(parent.pid)
        assert identity is not None
        plan = plan_close(identity, manager_of=lambda _i: None)
        assert isinstance(plan, ClosePlan) and [m.identity.pid for m in plan.descendants] == [kid]
        result = close_plan(plan, include_children=True, wait=1)
        assert result.outcome == CloseOutcome.DENIED
        assert psutil.Process(kid).status() != psutil.STATUS_ZOMBIE, "its child was closed although it was not"
        assert "nothing was closed" in result_text(result).lower()
    finally:
        for p in psutil.Process(parent.pid).children(recursive=True):
            p.kill()
        parent.kill()
        parent.wait(5)
        if parent.stdout is not None:
            parent.stdout.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/comm is Linux")
def test_a_name_with_a_right_to_left_override_is_shown_cleaned_in_the_confirmation() -> None:
    # A process chooses its own name.  With U+202E in it, the question "Close NAME (PID n)?" would be shown reversed
    # after the name (the scan's rows were cleaned, the plan's fresh read was not).
    code = "import sys, time\nopen('/proc/self/comm', 'w').write('ab\\u202ecd')\nprint(flush=True)\ntime.sleep(60)\n"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        identity = actions.processes.identity_of(proc.pid)
        assert identity is not None
        plan = plan_close(identity, manager_of=lambda _i: None)
        assert isinstance(plan, ClosePlan)
        assert plan.target.identity.name == "abcd"
        result = close_plan(plan, wait=5)
        assert "\u202e" not in result_text(result)
    finally:
        proc.kill()
        proc.wait(5)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.skipif(not actions.pidfd_available(), reason="pidfd is Linux only")
def test_closing_works_when_loopgui_has_many_files_open() -> None:
    # select() cannot wait on a descriptor numbered 1024 or more; a loopgui with many files open got its pidfds
    # numbered so, and the closing failed with "filedescriptor out of range" after the signal had gone out.
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip("cannot open 1100 files here")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2048), hard))
    filler: list[int] = []
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        while not filler or filler[-1] < 1100:
            filler.append(os.open(os.devnull, os.O_RDONLY))
        identity = actions.processes.identity_of(proc.pid)
        assert identity is not None
        result = actions.close_program(identity, wait=5)
        assert result.outcome == CloseOutcome.CLOSED, result_text(result)
        assert proc.wait(5) is not None
    finally:
        for fd in filler:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        proc.kill()
        proc.wait(5)
