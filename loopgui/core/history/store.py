"""The memory of the network: which program held which socket, from when to when, in a small SQLite file.

One writer at a time (:class:`Recorder`, run by the scan thread or by ``loopgui record``) and any number of
readers (:class:`HistoryReader`), each with its own connection.  Two loopgui programs never write at once: the
writer holds ``history.lock`` beside the database (an OS file lock, released when the process ends, even by a
crash); a second one records nothing and says so.

What is stored, per socket: protocol, both addresses and ports, first and last time seen, its first and last
state and the moments it changed between listening / connected / closing, and the program that held it (name,
PID, start time, user and its command line with secrets removed).  Nothing is sent anywhere.

Bounds: rows older than ``max_age`` (7 days) go, and the oldest go first when the file passes ``max_bytes``
(200 MB); both a little at a time, so a refresh never waits for a big delete.

Cost per refresh: the scanner's diff says what changed, so only new, gone and changed sockets are written, all in
one transaction (``bench/bench_history.py``).  Sockets still open have no "last seen" yet: it is the recording
session's last scan time (one row updated per refresh), filled in when the socket goes or the session ends.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import sqlite3
import stat
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Protocol

import psutil

from loopgui.core.net.sockets import CLOSING_STATES, TCP, EndpointText, SocketRow
from loopgui.core.paths import UnsafePath, data_dir, open_private, private_dir, remove_file
from loopgui.core.text.redact import redact_command

if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


log = logging.getLogger("loopgui.history")

DB_NAME = "history.sqlite3"
LOCK_NAME = "history.lock"
DEFAULT_MAX_AGE = 7 * 86400.0  # sockets and set-aside copies older than this go
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
PRUNE_EVERY = 1.0  # seconds between two pruning steps (small steps often: no pauses)
PRUNE_CHUNK = 500  # rows deleted per step at least (twice the rows written since the step before, if more)
PROGRAM_SWEEP_EVERY = 6 * 3600.0  # seconds between two sweeps of programs no socket refers to
VACUUM_PAGES = 256  # free pages given back to the file system per step at most
REOPEN_EVERY = 30.0  # seconds between two attempts to start recording when another program records
BUSY_RETRY = 1.0  # seconds between two attempts while a program other than loopgui holds the database's lock
ORPHAN_CHECK_EVERY = 30.0  # seconds between two batches of forgetting programs whose last socket was pruned
ASIDE_CHECK_EVERY = 60.0  # seconds between two looks at the set-aside copies (their size and age)
CHECKPOINT_EVERY = 2.0  # seconds between two background checkpoints of the write-ahead log
HEARTBEAT_EVERY = 30.0  # seconds between two writes while nothing changes (only the session's last-scan time)
WAL_POKE_BYTES = 4 * 1024 * 1024  # ... or sooner when the log is larger than this
SCHEMA_VERSION = "1"

# The states worth remembering; every other state counts as the one before it (SYN_SENT etc. are moments).
LISTENING = "listening"
CONNECTED = "connected"
CLOSING = "closing"
_CLOSING_STATES = CLOSING_STATES


def category(row: SocketRow) -> str:
    """listening, connected or closing (anything else, such as connecting, is "" and not remembered)."""
    if row.is_listening:
        return LISTENING
    if row.proto != TCP or row.state == "ESTABLISHED":
        return CONNECTED
    if row.state in _CLOSING_STATES:
        return CLOSING
    return ""


# -- where it lives --------------------------------------------------------------------------------------------


def database_path(env: Mapping[str, str] | None = None) -> Path:
    return data_dir(env) / DB_NAME


# -- program facts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProgramInfo:
    """What the recorder keeps about a program besides its name and PID."""

    start_time: float | None = None
    command: str = ""
    user: str = ""


ProgramLookup = Callable[[int], ProgramInfo | None]


def read_program(pid: int) -> ProgramInfo | None:
    """Start time, command line (secrets removed) and user of ``pid``; None when it is gone."""
    try:
        proc = psutil.Process(pid)
        with proc.oneshot():
            start = _try(proc.create_time)
            cmdline = _try(proc.cmdline)
            user = _try(proc.username)
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    except (psutil.Error, OSError):
        return ProgramInfo()
    words = [str(w) for w in cmdline] if isinstance(cmdline, list) else []
    return ProgramInfo(
        start_time=float(start) if isinstance(start, int | float) else None,
        command=redacted_command(words),
        user=str(user) if isinstance(user, str) else "",
    )


def _try(getter: Callable[[], object]) -> object:
    try:
        return getter()
    except (psutil.AccessDenied, OSError):
        return None


def redacted_command(words: Sequence[str]) -> str:
    """The command line as it may be stored: never with secrets (``loopgui/core/text/redact.py``)."""
    command = redact_command(words)
    return command if len(command) <= 300 else command[:300] + "…"


# -- what a reader gets ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span(EndpointText):
    """One socket's life as recorded.  ``open``: it was still there at the last scan of its recording.
    ``last_state`` is the state it had when it went (its first state while it is open); ``changes`` holds the
    moments it became listening, connected or closing in between."""

    proto: str
    local_addr: str
    local_port: int
    remote_addr: str
    remote_port: int
    first_seen: float
    last_seen: float
    open: bool
    first_state: str
    last_state: str
    listened: bool
    pid: int | None = None
    program: str = ""
    start_time: float | None = None
    command: str = ""
    user: str = ""
    changes: tuple[tuple[float, str], ...] = ()

    @property
    def closed_at(self) -> float | None:
        """When it started closing (the program let go of it; the system may keep it a minute longer)."""
        return next((at for at, state in self.changes if state == CLOSING), None)

    @property
    def used_until(self) -> float:
        closed = self.closed_at
        return closed if closed is not None else self.last_seen

    @property
    def ended(self) -> bool:
        """Gone, or closing."""
        return not self.open or self.closed_at is not None or self.last_state in _CLOSING_STATES

    @property
    def duration(self) -> float:
        return max(0.0, self.last_seen - self.first_seen)

    @property
    def first_seen_closing(self) -> bool:
        """First seen already closing: no program held it any more (a program that was not shown is another's)."""
        return self.pid is None and self.first_state in _CLOSING_STATES

    def as_dict(self) -> dict[str, object]:
        return {
            "protocol": self.proto,
            "local_address": self.local_addr,
            "local_port": self.local_port,
            "remote_address": self.remote_addr or None,
            "remote_port": self.remote_port or None,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "seconds": round(self.duration, 3),
            "still_open": self.open,
            "listening": self.listened,
            "first_state": self.first_state or None,
            "last_state": self.last_state or None,
            "changes": [{"at": _iso(at), "state": state} for at, state in self.changes],
            "pid": self.pid,
            "program": self.program or None,
            "program_started": _iso(self.start_time) if self.start_time else None,
            "command": self.command or None,
            "user": self.user or None,
        }


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")


class HistorySource(Protocol):
    """What the diagnosis reads (tests pass a fake)."""

    def port_history(
        self, port: int, *, since: float | None = None, limit: int = 50, include_remote: bool = False
    ) -> Sequence[Span]: ...


# -- the database ----------------------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS sessions(
    id INTEGER PRIMARY KEY, started REAL NOT NULL, last_scan REAL, ended REAL, recorder_pid INTEGER);
CREATE TABLE IF NOT EXISTS programs(
    id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, start_time REAL, name TEXT NOT NULL,
    command TEXT NOT NULL, user TEXT NOT NULL, last_used REAL NOT NULL);
CREATE INDEX IF NOT EXISTS programs_pid ON programs(pid);
CREATE TABLE IF NOT EXISTS sockets(
    id INTEGER PRIMARY KEY, session INTEGER NOT NULL, proto TEXT NOT NULL,
    local_addr TEXT NOT NULL, local_port INTEGER NOT NULL, remote_addr TEXT NOT NULL, remote_port INTEGER NOT NULL,
    program INTEGER, first_seen REAL NOT NULL, last_seen REAL,
    first_state TEXT NOT NULL, last_state TEXT NOT NULL, listened INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sockets_local_port ON sockets(local_port);
CREATE INDEX IF NOT EXISTS sockets_ended ON sockets(last_seen) WHERE last_seen IS NOT NULL;
CREATE TABLE IF NOT EXISTS changes(socket INTEGER NOT NULL, at REAL NOT NULL, state TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS changes_socket ON changes(socket);
CREATE INDEX IF NOT EXISTS sockets_program ON sockets(program) WHERE program IS NOT NULL;
"""


class NoticeCode(str, enum.Enum):
    """What the history has to say (rendered by ``core/words/history.py``)."""

    FOLDER_UNUSABLE = "folder_unusable"  # the data folder cannot be made (path, error)
    PATH_REFUSED = "path_refused"  # a folder or file of loopgui's is a link, not ours, … (path, problem)
    LOCK_UNUSABLE = "lock_unusable"  # the lock file cannot be used (path, error)
    OTHER_WRITER = "other_writer"  # another loopgui records; this one does not
    OTHER_WRITER_STOPPED = "other_writer_stopped"  # ... and has stopped: this one records now
    OPEN_FAILED = "open_failed"  # the database cannot be opened (path, error)
    UNUSABLE = "unusable"  # the database cannot be used (path, error)
    BUSY = "busy"  # another program (not loopgui) holds the database; waiting and trying again (path)
    BUSY_OVER = "busy_over"  # ... it let go: recording again
    DAMAGED_SET_ASIDE = "damaged_set_aside"  # damaged, renamed to kept_as, a new one started (error, kept_as)
    SET_ASIDE_FAILED = "set_aside_failed"  # damaged and cannot be renamed (path, error)
    WRITE_FAILED = "write_failed"  # one write failed; tried again later (error)
    RECORDING_ELSEWHERE = "recording_elsewhere"  # clear refused: another loopgui records now
    UNREADABLE = "unreadable"  # the reader cannot read the file or its folder (path, error)
    DAMAGED_VALUES = "damaged_values"  # rows with values out of shape were left out (count)


@dataclass(frozen=True, slots=True)
class HistoryNotice:
    """One thing the history has to say: a code and its evidence."""

    code: NoticeCode
    path: str = ""
    error: str = ""
    kept_as: str = ""
    problem: str = ""  # a ``paths.PathProblem`` value for PATH_REFUSED
    count: int = 0

    def as_dict(self) -> dict[str, object]:
        """The code and its evidence (the sentence: :func:`loopgui.core.words.history.notice_text`)."""
        return {
            "code": self.code.value,
            **{
                k: v
                for k, v in (
                    ("path", self.path),
                    ("error", self.error),
                    ("kept_as", self.kept_as),
                    ("problem", self.problem),
                    ("count", self.count),
                )
                if v
            },
        }


def path_notice(exc: OSError, path: Path, code: NoticeCode) -> HistoryNotice:
    """An OSError about ``path`` as a notice: a refusal (``paths.UnsafePath``) keeps its own code."""
    if isinstance(exc, UnsafePath):
        return HistoryNotice(NoticeCode.PATH_REFUSED, path=str(exc.path), problem=exc.problem.value)
    return HistoryNotice(code, path=str(path), error=exc.strerror or str(exc))


class HistoryUnavailable(Exception):
    """The history cannot be read or changed; ``notice`` says why (in words: ``words.history.notice_text``)."""

    def __init__(self, notice: HistoryNotice | str) -> None:
        if isinstance(notice, str):  # the system's own words, kept as evidence
            notice = HistoryNotice(NoticeCode.UNREADABLE, error=notice)
        super().__init__(notice.code.value)
        self.notice = notice


def _is_locked(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _is_broken(exc: sqlite3.Error) -> bool:
    """Errors that mean the file is not (or no longer) a usable database."""
    if not isinstance(exc, sqlite3.DatabaseError) or _is_locked(exc):
        return False
    text = str(exc).lower()
    if isinstance(exc, sqlite3.OperationalError):
        return "disk i/o" in text or "malformed" in text or "not a database" in text
    return True


def move_aside(path: Path, reason: str = "damaged", now: float | None = None) -> Path | None:
    """Rename the database (and its -wal/-shm files) so that a fresh one can start; the old one is kept (counted
    within the bounds, listed by :func:`set_aside_copies`, removed by Clear and after ``max_age``)."""
    stamp = datetime.fromtimestamp(time.time() if now is None else now).strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{reason}-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.{reason}-{stamp}-{n}")
    try:
        os.replace(path, target)
    except FileNotFoundError:
        return None
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        with contextlib.suppress(OSError):
            os.replace(side, target.with_name(target.name + suffix))
    return target


ASIDE_REASONS = ("damaged", "locked")  # "locked": written by versions that set a locked file aside


@dataclass(frozen=True, slots=True)
class SetAside:
    """A copy of the history set aside (damaged): its database file, size with its -wal/-shm, last change."""

    path: Path
    reason: str
    bytes: int
    modified: float

    def as_dict(self) -> dict[str, object]:
        return {"file": str(self.path), "reason": self.reason, "bytes": self.bytes, "modified": _iso(self.modified)}


def set_aside_copies(path: Path) -> list[SetAside]:
    """The set-aside copies beside the database ``path``, oldest first (links and others' files are not ours)."""
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return []
    sizes: dict[str, list[float]] = {}
    for entry in entries:
        name = entry.name
        base = name[:-4] if name.endswith(("-wal", "-shm")) else name
        if not any(base.startswith(f"{path.name}.{reason}-") for reason in ASIDE_REASONS):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        size_time = sizes.setdefault(base, [0, 0.0])
        size_time[0] += st.st_size
        if base == name:
            size_time[1] = st.st_mtime
    out = [
        SetAside(path.with_name(base), base[len(path.name) + 1 :].split("-", 1)[0], int(size), modified)
        for base, (size, modified) in sizes.items()
    ]
    return sorted(out, key=lambda c: (c.modified, c.path.name))


def remove_set_aside(copy: SetAside) -> None:
    for suffix in ("", "-wal", "-shm"):
        remove_file(copy.path.with_name(copy.path.name + suffix))


class WriterLock:
    """An exclusive, non-blocking OS lock on a small file; the OS releases it when the process ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        if self._file is not None:
            return True
        handle = os.fdopen(open_private(self.path), "r+b")  # 0600, never through a link; raises UnsafePath
        try:
            _lock(handle.fileno())
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is None:
            return
        with contextlib.suppress(OSError):
            _unlock(handle.fileno())
        handle.close()

    @property
    def held(self) -> bool:
        return self._file is not None


def _connect(path: Path, *, create: bool, busy_ms: int) -> sqlite3.Connection:
    mode = "rwc" if create else "rw"
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=busy_ms / 1000)
    conn.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    return conn


def _prepare(conn: sqlite3.Connection) -> None:
    """Create or check the schema of a writer's connection (raises sqlite3 errors for a broken file)."""
    conn.execute("PRAGMA auto_vacuum=INCREMENTAL")  # only takes effect on a new file
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()
    if not mode or str(mode[0]).lower() != "wal":
        raise sqlite3.OperationalError("database is locked (cannot switch to WAL)")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA journal_size_limit=4194304")
    with conn:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT OR IGNORE INTO meta(name, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
    conn.execute("SELECT count(*) FROM sessions").fetchone()


def clear_history(path: Path | None = None) -> None:
    """Delete the history file (its -wal, -shm and the set-aside copies) unless another loopgui records into it
    right now."""
    path = path if path is not None else database_path()
    if not os.path.lexists(path.parent):
        return
    lock = WriterLock(path.with_name(LOCK_NAME))
    try:
        private_dir(path.parent)
        got = lock.acquire()
    except OSError as exc:
        raise HistoryUnavailable(path_notice(exc, path.parent, NoticeCode.UNREADABLE)) from exc
    if not got:
        raise HistoryUnavailable(HistoryNotice(NoticeCode.RECORDING_ELSEWHERE, path=str(path)))
    try:
        for suffix in ("", "-wal", "-shm"):
            remove_file(path.with_name(path.name + suffix))
        for copy in set_aside_copies(path):
            remove_set_aside(copy)
    finally:
        lock.release()
