"""Which process holds each socket: the ``/proc/<pid>/fd`` links, read cheaply between scans.

Owners are kept up to date cheaply between scans (:class:`InodeOwners`): only processes whose number of open
descriptors changed are read again.  A socket whose owner is still unknown is looked for in the processes most
likely to hold it first (those that changed lately, those that hold sockets, small ones before big ones), and the
search stops as soon as every such socket is found.  Every process is read only for a socket still unknown at the
next scan, at most every few seconds (sockets that close at once, or are held outside this system's view, would
otherwise make every scan read everything).  The first walk may read the links in several threads.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import queue
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

from loopgui.core.net.rows import ScanCancelled, StopCheck, never

RECENT_SCANS = 30  # a process whose descriptors changed within this many scans is looked at first
QUICK_BUDGET = 1000  # descriptors the quick search for a new socket's owner reads at most
_WALK_CHUNK = 256  # descriptor links one walker thread reads at a time
WALK_THREADS = 2  # threads reading descriptor links in the first scan (where the machine has 2 cores or more)
WALK_PROCESSES = 4  # or at most this many child processes, one per core (no lock between them: on two cores
# 100,000 links take 200 ms in two children, 240-440 ms in two threads)
WALK_DEADLINE = 20.0  # seconds the child processes may take; what they did not read is read in the thread after
FULL_WALK_GAP = 5.0  # seconds between two full walks for sockets no walk could find an owner for (at first)


class InodeOwners:
    """Which process holds each socket inode, kept up to date cheaply between scans."""

    def __init__(self, proc: str = "/proc", clock: Callable[[], float] = time.monotonic) -> None:
        self._proc = proc
        self._clock = clock
        self._fd_counts: dict[int, int] = {}
        self._inodes_of: dict[int, list[int]] = {}
        self._start_of: dict[int, str | None] = {}  # when the process walked under each number started
        self._active: dict[int, int] = {}  # pid -> the scan in which its descriptor count last changed
        self._scans = 0
        self._pending: set[int] = set()  # sockets the quick search missed in the previous scan
        self._next_full = float("-inf")  # no full walk before this time
        self._full_gap = FULL_WALK_GAP
        self.owner: dict[int, int] = {}
        self._unresolved: set[int] = set()
        self.unreadable: set[int] = set()
        self.pids: set[int] = set()
        self.walks = 0  # descriptor tables read, for tests and benchmarks
        self._counts: dict[int, int] = {}  # this scan's descriptor counts
        self._stat_counts = _stat_counts_fds(proc)

    def walk_all(
        self,
        should_stop: StopCheck = never,
        threads: int = 1,
        processes: int = 0,
        aside: Callable[[], Any] | None = None,
    ) -> Any:
        """Read every process's descriptors (what the first :meth:`refresh` does), so that it can run beside the
        kernel's dump; the refresh after it then finds every count as it was read here.

        With ``processes`` >= 1 the descriptor links are read by that many child processes (forked: nothing is
        imported or started in them, they only read links and send back the socket inodes they found); else with
        ``threads`` > 1 by that many threads (``readlink`` runs outside the GIL, but the threads still take turns
        for it between two links).  A process whose links could not be read here is read by the refresh after.

        ``aside`` (with ``processes`` only): the first child calls it before reading its links, and what it returns
        (anything :mod:`marshal` can carry but None) is returned here; None when that could not be done."""
        pids = [int(n) for n in os.listdir(self._proc) if _plain_number(n, 10)]
        pids = [p for p in pids if p not in self._fd_counts and p not in self.unreadable]
        if threads <= 1 and processes < 1:
            for pid in pids:
                if should_stop():
                    break
                self._walk(pid)
            return None
        opened: list[tuple[int, int, str | None, list[str], int]] = []  # pid, directory fd, start, names, count
        found: list[tuple[int, list[int]]] = []  # (index into opened, socket inodes of one chunk)
        failed: set[int] = set()
        answer: Any = None
        try:
            if processes >= 1:
                jobs = list(self._open_all(pids, should_stop, opened))
                answer = _read_in_children(jobs, processes, should_stop, found, failed, aside)
            else:
                _read_in_threads(self._open_all(pids, should_stop, opened), threads, should_stop, found, failed)
        finally:
            for _, dfd, _, _, _ in opened:
                os.close(dfd)
        inodes_of: dict[int, list[int]] = {}
        for index, inodes in found:
            inodes_of.setdefault(index, []).extend(inodes)
        for index, (pid, _, start, _names, count) in enumerate(opened):
            if index in failed or should_stop():
                self._forget(pid)
            else:
                self._remember(pid, start, count, inodes_of.get(index, []))
        return answer

    def _open_all(
        self, pids: list[int], should_stop: StopCheck, opened: list[tuple[int, int, str | None, list[str], int]]
    ) -> Iterator[Job]:
        """Open each process's descriptor folder (added to ``opened``); yields its chunks of links to read."""
        for pid in pids:
            if should_stop():
                return
            listing = self._open(pid)
            if listing is None:
                continue
            dfd, start, names, count = listing
            index = len(opened)
            opened.append((pid, dfd, start, names, count))
            for i in range(0, len(names), _WALK_CHUNK):
                yield index, dfd, names[i : i + _WALK_CHUNK]

    def refresh(self, wanted: set[int], should_stop: StopCheck = never) -> dict[int, int]:
        self._scans += 1
        self.pids = pids = {int(n) for n in os.listdir(self._proc) if _plain_number(n, 10)}
        for pid in [p for p in self._inodes_of if p not in pids]:
            self._forget(pid)
        for pid in [p for p in self._active if p not in pids]:
            del self._active[pid]
        self.unreadable &= pids
        walked: set[int] = set()
        first = self._scans == 1
        self._counts = counts = {}
        for pid in pids:
            if pid in self.unreadable:
                continue
            if should_stop():
                raise ScanCancelled
            count = self._fd_count(pid)
            if count is None:
                continue
            counts[pid] = count
            if self._fd_counts.get(pid) != count:
                # Read again only processes that hold sockets: one that held none and now holds a new one is
                # found by the search below (it looks at recently changed processes first).
                if first or self._inodes_of.get(pid):
                    self._walk(pid)
                    walked.add(pid)
                if not first:
                    self._active[pid] = self._scans
        # A number whose process ended and went to another program between two scans, with as many descriptors:
        # the count alone would keep the ended program's sockets on the newcomer's number (and the table would
        # name the newcomer, and Delete close it).  Socket owners are few; their start time is one short read.
        owner = self.owner
        for pid in {owner[i] for i in wanted if i in owner} - walked:
            if _start_token(self._proc, pid) != self._start_of.get(pid):
                self._walk(pid)
                walked.add(pid)
        missing = wanted - owner.keys() - self._unresolved
        if missing:
            # A new socket whose owner kept its descriptor count (closed one, opened another): look for it.
            self._search(missing, pids - walked - self.unreadable, should_stop)
        else:
            self._pending = set()
        self._unresolved &= wanted
        return owner

    def _search(self, missing: set[int], candidates: set[int], should_stop: StopCheck) -> None:
        """Find the owners of ``missing`` sockets, likeliest processes first, stopping when all are found.

        The quick search reads processes that changed lately or hold sockets, at most QUICK_BUDGET descriptors.
        Only a socket still there and still unknown at the next scan (not one that closed at once, as churning
        programs' sockets do) makes every process be read, and not more often than every few seconds
        (FULL_WALK_GAP, doubled each time a full walk finds not all of them, up to a minute).
        """
        if not candidates:  # every process was read in this scan: nobody here holds them
            self._unresolved |= missing
            self._pending = set()
            return
        recent = self._scans - RECENT_SCANS
        holders = {pid for pid, inodes in self._inodes_of.items() if inodes}
        counts = self._counts
        active = self._active

        def likely(pid: int) -> tuple[int, int, int]:
            tier = 0 if active.get(pid, recent - 1) >= recent else 1 if pid in holders else 2
            return tier, counts.get(pid, 0), -pid  # small before big; newer before older

        ordered = sorted(candidates, key=likely)
        budget = QUICK_BUDGET
        quick: list[int] = []
        for pid in ordered:
            if likely(pid)[0] == 2 or budget <= 0:
                break
            quick.append(pid)
            budget -= counts.get(pid, 0)
        if self._walk_until_found(quick, missing, should_stop):
            self._pending = set()
            return
        if len(quick) == len(ordered):  # the quick search read everyone
            self._unresolved |= missing
            self._pending = set()
            return
        persistent = missing & self._pending
        self._pending = set(missing)
        if not persistent or self._clock() < self._next_full:
            return
        done = set(quick)
        if self._walk_until_found([p for p in ordered if p not in done], persistent, should_stop):
            self._full_gap = FULL_WALK_GAP
            self._pending -= self.owner.keys()
        else:
            self._next_full = self._clock() + self._full_gap
            self._full_gap = min(self._full_gap * 2, 60.0)
            self._unresolved |= persistent  # not looked for again while they stay
            self._pending -= persistent

    def _walk_until_found(self, pids: list[int], missing: set[int], should_stop: StopCheck) -> bool:
        for pid in pids:
            if not missing:
                break
            if should_stop():
                raise ScanCancelled
            self._walk(pid)
            missing.difference_update(self._inodes_of.get(pid, ()))
        return not missing

    def _fd_count(self, pid: int) -> int | None:
        path = f"{self._proc}/{pid}/fd"
        try:
            if self._stat_counts:
                size = os.stat(path).st_size
                if size > 0:
                    return size
            return len(os.listdir(path))
        except PermissionError:
            self.unreadable.add(pid)
        except OSError:
            self._forget(pid)
        return None

    def _open(self, pid: int) -> tuple[int, str | None, list[str], int] | None:
        """Open ``/proc/<pid>/fd``: (directory fd, start time, descriptor names to read, number of descriptors);
        None (and the process forgotten) when it cannot be read.  Counts as one walk.

        Listing a big descriptor folder costs the kernel about as much as reading its links: where the system
        says how many descriptors there are (``stat``) and they fill most of the process's descriptor table
        (``FDSize``), every number of the table is read instead of listed (a number with no descriptor is
        skipped by the link read)."""
        self.walks += 1
        start = _start_token(self._proc, pid)
        try:
            dfd = os.open(f"{self._proc}/{pid}/fd", os.O_RDONLY | os.O_DIRECTORY)
        except OSError as exc:
            if isinstance(exc, PermissionError):
                self.unreadable.add(pid)
            self._forget(pid)
            return None
        try:
            if self._stat_counts:
                count = os.fstat(dfd).st_size
                size = _fd_table_size(self._proc, pid) if count >= DENSE_FROM else 0
                if size and count * 2 >= size:
                    return dfd, start, _numbers(size), count
            names = os.listdir(dfd)
            return dfd, start, names, len(names)
        except OSError:
            os.close(dfd)
            self._forget(pid)
            return None

    def _walk(self, pid: int) -> None:
        listing = self._open(pid)
        if listing is None:
            return
        dfd, start, names, count = listing
        try:
            inodes = _socket_inodes(dfd, names)
        except OSError:
            self._forget(pid)
            return
        finally:
            os.close(dfd)
        self._remember(pid, start, count, inodes)

    def _remember(self, pid: int, start: str | None, count: int, inodes: list[int]) -> None:
        """What one walk of ``pid`` read, in place of what an earlier one had."""
        self._forget(pid)
        self._fd_counts[pid] = count
        self._inodes_of[pid] = inodes
        self._start_of[pid] = start
        owner = self.owner
        for inode in inodes:
            owner.setdefault(inode, pid)

    def _forget(self, pid: int) -> None:
        self._fd_counts.pop(pid, None)
        self._start_of.pop(pid, None)
        owner = self.owner
        for inode in self._inodes_of.pop(pid, ()):
            if owner.get(inode) == pid:
                del owner[inode]


Job = tuple[int, int, list[str]]  # (index of the process, its open descriptor folder, link names to read)


def _read_in_threads(
    jobs: Iterator[Job],
    threads: int,
    should_stop: StopCheck,
    found: list[tuple[int, list[int]]],
    failed: set[int],
) -> None:
    """Read the links of ``jobs`` in ``threads`` threads, while more jobs are still being opened."""
    waiting: queue.SimpleQueue[Job | None] = queue.SimpleQueue()

    def work() -> None:
        while (job := waiting.get()) is not None:
            index, dfd, names = job
            if should_stop():
                continue
            try:
                found.append((index, _socket_inodes(dfd, names)))  # list.append is atomic
            except OSError:
                failed.add(index)

    workers = [threading.Thread(target=work, name="loopgui-fd-walk", daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()
    try:
        for job in jobs:
            waiting.put(job)
    finally:
        for _ in workers:
            waiting.put(None)
        for w in workers:
            w.join()


def _read_in_children(
    jobs: list[Job],
    processes: int,
    should_stop: StopCheck,
    found: list[tuple[int, list[int]]],
    failed: set[int],
    aside: Callable[[], Any] | None = None,
    deadline: float = WALK_DEADLINE,
) -> Any:
    """Read the links of ``jobs`` in ``processes`` forked children, each sending back what it found through a pipe;
    the first one also runs ``aside`` and sends its answer, returned here (None when it could not).

    A child that cannot be started, fails, sends something unreadable or is still at work when the scan is stopped
    or ``deadline`` seconds have passed (it is then killed) leaves its processes in ``failed``."""
    children: dict[int, tuple[int, list[Job], bytearray, bool]] = {}  # read end -> (child, jobs, what it sent, aside)
    parent = os.getpid()
    answer: Any = None
    for number in range(processes):
        share = jobs[number::processes]
        runs_aside = number == 0 and aside is not None
        if not share and not runs_aside:
            continue
        child = -1
        read_end, write_end = os.pipe()
        try:
            child = os.fork()
            if child == 0:
                os.close(read_end)
                _child_reads(share, write_end, parent, aside if runs_aside else None)
        except OSError:
            os.close(read_end)
            failed.update(index for index, _, _ in share)
            continue
        finally:
            if child != 0:
                os.close(write_end)
        children[read_end] = (child, share, bytearray(), runs_aside)
    ends = time.monotonic() + deadline
    try:
        while children:
            left = ends - time.monotonic()
            if left <= 0 or should_stop():
                break
            ready, _, _ = select.select(list(children), [], [], min(left, 0.05))
            for read_end in ready:
                data = os.read(read_end, 1 << 20)
                if data:
                    children[read_end][2].extend(data)
                    continue
                child, share, sent, runs_aside = children.pop(read_end)
                os.close(read_end)
                taken = _reaped(child) == 0 and _take(bytes(sent), share, found, failed)
                if not taken:
                    failed.update(index for index, _, _ in share)
                elif runs_aside:
                    answer = taken[1]
    finally:
        for read_end, (child, share, _, _) in children.items():  # stopped, or out of time
            os.close(read_end)
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGKILL)
            _reaped(child)
            failed.update(index for index, _, _ in share)
    return answer


def _child_reads(share: list[Job], write_end: int, parent: int, aside: Callable[[], Any] | None) -> NoReturn:
    """In a forked child: run ``aside`` (when given), read the links of ``share``, send
    ``(aside's answer, [(index, inodes or None), …])`` (marshal) and end at once (no clean-up of the parent's
    objects runs here; nothing is imported)."""
    code = 1
    try:
        gc.disable()  # no finalizer of the parent's objects runs in the child
        done: Any = None
        if aside is not None:
            try:
                done = aside()
            except Exception:  # the parent does it itself
                done = None
        out: list[tuple[int, list[int] | None]] = []
        for index, dfd, names in share:
            if os.getppid() != parent:
                break  # the scanner is gone: nobody will read this
            try:
                out.append((index, _socket_inodes(dfd, names)))
            except OSError:
                out.append((index, None))
        try:
            data = marshal.dumps((done, out))
        except ValueError:  # aside's answer cannot be sent
            data = marshal.dumps((None, out))
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view) :]
        code = 0
    finally:
        os._exit(code)


def _take(
    sent: bytes, share: list[Job], found: list[tuple[int, list[int]]], failed: set[int]
) -> tuple[bool, Any] | None:
    """Add what a child sent to ``found`` (a chunk it could not read to ``failed``); (True, the answer of its
    aside), or None, and nothing added, when it is not the answer to ``share``."""
    try:
        done, answer = marshal.loads(sent)
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(answer, list) or len(answer) != len(share):
        return None
    for (index, _, _), item in zip(share, answer, strict=True):
        if not (isinstance(item, tuple) and len(item) == 2 and item[0] == index):
            return None
        if item[1] is not None and not isinstance(item[1], list):
            return None
    for index, inodes in answer:
        if inodes is None:
            failed.add(index)
        else:
            found.append((index, inodes))
    return True, done


def _reaped(child: int) -> int:
    """Wait for a child that has ended (or was killed); its exit status (-1 when unknown)."""
    try:
        _, status = os.waitpid(child, 0)
    except ChildProcessError:
        return -1
    return os.waitstatus_to_exitcode(status)


DENSE_FROM = 512  # descriptors from which reading every number of the table may beat listing them
_NUMBERS: list[str] = []


def _numbers(size: int) -> list[str]:
    """``["0", "1", …]`` up to ``size`` (kept between scans: big tables are read again and again)."""
    if len(_NUMBERS) < size:
        _NUMBERS.extend(str(i) for i in range(len(_NUMBERS), size))
    return _NUMBERS[:size]


def _fd_table_size(proc: str, pid: int) -> int:
    """The size of the process's descriptor table (``FDSize:`` of /proc/<pid>/status); 0 when unreadable."""
    try:
        with open(f"{proc}/{pid}/status", "rb") as f:
            data = f.read(4096)
    except OSError:
        return 0
    at = data.find(b"\nFDSize:")
    if at < 0:
        return 0
    value = data[at + 8 : data.find(b"\n", at + 8)].strip()
    return int(value) if value.isdigit() and len(value) <= 9 else 0


def _socket_inodes(dfd: int, names: list[str]) -> list[int]:
    """The socket inodes among the descriptors ``names`` of the ``/proc/<pid>/fd`` directory open as ``dfd``
    (a descriptor closed meanwhile is skipped)."""
    inodes: list[int] = []
    readlink = os.readlink
    for name in names:
        try:
            link = readlink(name, dir_fd=dfd)
        except OSError:
            continue
        if link[:8] == "socket:[" and link[-1:] == "]":
            number = link[8:-1]
            if 0 < len(number) <= 20 and number.isascii() and number.isdigit():
                inodes.append(int(number))
    return inodes


def _start_token(proc: str, pid: int) -> str | None:
    """When process ``pid`` started (field 22 of /proc/<pid>/stat, as text); None when unreadable."""
    try:
        with open(f"{proc}/{pid}/stat", "rb") as f:
            data = f.read(4096)
    except OSError:
        return None
    fields = data[data.rfind(b")") + 1 :].split()  # the name in brackets may hold spaces and brackets
    return fields[19].decode("ascii", "replace") if len(fields) > 19 else None


def _plain_number(text: str, digits: int) -> bool:
    """ASCII digits only, at most ``digits`` of them (``str.isdigit`` also accepts "²" and other scripts)."""
    return 0 < len(text) <= digits and text.isascii() and text.isdigit()


def _stat_counts_fds(proc: str) -> bool:
    """Whether ``stat`` of ``/proc/<pid>/fd`` gives the number of open descriptors (Linux 6.2 and later)."""
    try:
        path = f"{proc}/self/fd"
        before = os.stat(path).st_size
        return before > 0 and before == len(os.listdir(path)) - 1  # listdir opens one descriptor itself
    except OSError:
        return False
