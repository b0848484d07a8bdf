"""The first walk in child processes (``InodeOwners.walk_all(processes=…)``) finds what the plain walk finds, carries
the dump made beside it, and never leaves a child behind: not when one fails, not when the scan is stopped, not when
it runs out of time."""

from __future__ import annotations

import marshal
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopgui.core.net import owners as owners_module
from loopgui.core.net.owners import InodeOwners, _read_in_children
from loopgui.core.net.scanner import NetlinkSource, Scanner
from tests.helpers import listener_pids, own_listener
from tests.unit.core.net.test_scanner import fake_proc


@pytest.fixture(autouse=True)
def _no_child_left_behind() -> Iterator[None]:
    """Every child a test's walk started has ended and was reaped (a zombie would still be listed)."""
    before = set(_my_children())
    yield
    assert set(_my_children()) <= before


def _my_children() -> list[int]:
    """This process's children, ended ones not yet reaped included."""
    me = str(os.getpid())
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me:
                found.append(int(name))
    return found


def _table() -> dict[int, dict[int, str]]:
    table = {
        pid: {fd: (f"socket:[{pid * 1000 + fd}]" if fd % 3 else "pipe:[5]") for fd in range(700)} for pid in (10, 20)
    }
    table[30] = {0: "/dev/null"}
    table[40] = {3: "socket:[ 12]", 4: "socket:[²]", 5: "socket:[999999999999999999999]", 6: "socket:[7]"}
    return table


@pytest.mark.parametrize("processes", [1, 2, 3])
def test_the_walk_in_child_processes_finds_what_the_plain_walk_finds(tmp_path: Path, processes: int) -> None:
    fake_proc(tmp_path, _table())
    (tmp_path / "self").mkdir()
    (tmp_path / "50").mkdir()  # a process that ended between the listing and the walk: no fd folder
    plain, forked = InodeOwners(str(tmp_path)), InodeOwners(str(tmp_path))
    plain.walk_all()
    assert forked.walk_all(processes=processes) is None  # nothing asked aside
    assert forked.owner == plain.owner and len(plain.owner) == 2 * 466 + 1
    wanted = set(plain.owner)
    assert forked.refresh(wanted) == plain.refresh(wanted)
    assert forked.walks == plain.walks  # the refresh after the walk read nobody again


def test_the_first_child_does_the_work_asked_aside_and_sends_its_answer(tmp_path: Path) -> None:
    fake_proc(tmp_path, _table())
    owners = InodeOwners(str(tmp_path))
    parent = os.getpid()
    answer = owners.walk_all(processes=2, aside=lambda: {b"key": (os.getpid() != parent, [1, 2])})
    assert answer == {b"key": (True, [1, 2])}  # made in the child, carried back
    assert len(owners.owner) == 2 * 466 + 1


def test_aside_work_that_fails_or_cannot_be_sent_answers_none_and_the_walk_still_counts(tmp_path: Path) -> None:
    fake_proc(tmp_path, _table())

    def fails() -> object:
        raise OSError("no netlink here")

    for aside in (fails, object):  # an exception; an answer marshal cannot carry
        owners = InodeOwners(str(tmp_path))
        assert owners.walk_all(processes=1, aside=aside) is None
        assert len(owners.owner) == 2 * 466 + 1


def test_a_child_that_dies_leaves_its_processes_to_the_refresh(tmp_path: Path) -> None:
    fake_proc(tmp_path, _table())
    owners = InodeOwners(str(tmp_path))
    assert owners.walk_all(processes=1, aside=lambda: os._exit(3)) is None  # killed before it sent anything
    assert owners.owner == {}  # nothing taken from it
    plain = InodeOwners(str(tmp_path))
    plain.walk_all()
    wanted = set(plain.owner)
    assert owners.refresh(wanted) == plain.refresh(wanted)  # the refresh read them itself


def test_a_stopped_scan_kills_its_children_at_once(tmp_path: Path) -> None:
    fake_proc(tmp_path, _table())
    owners = InodeOwners(str(tmp_path))
    asked = time.monotonic() + 0.2
    started = time.monotonic()
    answer = owners.walk_all(lambda: time.monotonic() > asked, processes=2, aside=lambda: time.sleep(30))
    assert answer is None and owners.owner == {}
    assert time.monotonic() - started < 2.0


def test_children_that_run_out_of_time_are_killed(tmp_path: Path) -> None:
    fake_proc(tmp_path, _table())
    owners = InodeOwners(str(tmp_path))
    dfd = os.open(tmp_path / "10" / "fd", os.O_RDONLY | os.O_DIRECTORY)
    try:
        found: list[tuple[int, list[int]]] = []
        failed: set[int] = set()
        started = time.monotonic()
        job = (0, dfd, ["3", "4"])
        answer = _read_in_children([job], 1, lambda: False, found, failed, lambda: time.sleep(30), deadline=0.3)
        assert answer is None and found == [] and failed == {0}
        assert time.monotonic() - started < 2.0
    finally:
        os.close(dfd)
    assert owners.owner == {}


def test_a_child_answer_that_is_not_for_its_share_is_refused() -> None:
    found: list[tuple[int, list[int]]] = []
    failed: set[int] = set()
    share = [(0, -1, ["3"]), (1, -1, ["4"])]
    for sent in (
        b"not marshal",
        marshal.dumps((None, [(0, [5])])),  # one chunk missing
        marshal.dumps((None, [(1, [5]), (0, [6])])),  # another order
        marshal.dumps((None, [(0, "5"), (1, [6])])),  # not a list of inodes
    ):
        assert owners_module._take(sent, share, found, failed) is None
    assert found == [] and failed == set()
    assert owners_module._take(marshal.dumps(("x", [(0, [5]), (1, None)])), share, found, failed) == (True, "x")
    assert found == [(0, [5])] and failed == {1}  # a chunk the child could not read is read again later


def test_the_first_scan_beside_a_window_dumps_in_a_child_and_names_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a real scan of this process's own listening socket, the dump and the walk made in a child process
    with own_listener() as port:
        source = NetlinkSource()
        source.leave_a_core()
        assert source.first_walk_processes >= 1 and source.first_dump_aside
        parent = os.getpid()
        dumps_here: list[int] = []
        real = source.dump

        def counted(family: int, protocol: int, out: dict[bytes, tuple[int, int, int]]) -> None:
            if os.getpid() == parent:
                dumps_here.append(protocol)
            real(family, protocol, out)

        monkeypatch.setattr(source, "dump", counted)
        assert listener_pids(Scanner(source).scan(), port) == [parent]
        assert dumps_here == []  # the child's dump was used
        later = Scanner(source).scan()  # later scans dump here, as always
        assert dumps_here and listener_pids(later, port) == [parent]


def test_when_the_child_cannot_dump_the_first_scan_dumps_here(monkeypatch: pytest.MonkeyPatch) -> None:
    with own_listener() as port:
        source = NetlinkSource()
        source.leave_a_core()

        def refused() -> tuple[object, ...]:
            raise OSError("refused in the child")

        monkeypatch.setattr(source, "_dump_aside", refused)
        assert listener_pids(Scanner(source).scan(), port) == [os.getpid()]
