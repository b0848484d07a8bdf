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
import logging
import os
import shlex
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

import psutil

from loopgui.core.net.sockets import CLOSING_STATES, TCP, EndpointText, Snapshot, SocketRow
from loopgui.core.text.redact import redact_command
from loopgui.core.words.labels import program_label
from loopgui.core.words.programs import closed_text, hidden_text, program_text

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
DEFAULT_MAX_AGE = 7 * 86400.0
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
PRUNE_EVERY = 1.0  # seconds between two pruning steps (small steps often: no pauses)
PRUNE_CHUNK = 500  # rows deleted per step at least (twice the rows written since the step before, if more)
PROGRAM_SWEEP_EVERY = 6 * 3600.0  # seconds between two sweeps of programs no socket refers to
VACUUM_PAGES = 256  # free pages given back to the file system per step at most
REOPEN_EVERY = 30.0  # seconds between two attempts to start recording when another program records
CHECKPOINT_EVERY = 2.0  # seconds between two background checkpoints of the write-ahead log
WAL_POKE_BYTES = 4 * 1024 * 1024  # ... or sooner when the log is larger than this
SCHEMA_VERSION = "1"
HEARTBEAT_EVERY = 30.0  # seconds between two writes while nothing changes (only the session's last-scan time)

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


def data_dir(env: Mapping[str, str] | None = None, platform: str = sys.platform) -> Path:
    """loopgui's folder in the user's data directory.

    ``XDG_DATA_HOME`` wins wherever it is set (tests set it); otherwise ``~/.local/share`` on Linux and BSD,
    ``%APPDATA%`` on Windows, ``~/Library/Application Support`` on macOS.
    """
    env = os.environ if env is None else env
    xdg = env.get("XDG_DATA_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "loopgui"
    home = Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())
    if platform == "win32":
        appdata = env.get("APPDATA", "")
        return (Path(appdata) if appdata else home / "AppData" / "Roaming") / "loopgui"
    if platform == "darwin":
        return home / "Library" / "Application Support" / "loopgui"
    return home / ".local" / "share" / "loopgui"


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
    def who(self) -> str:
        """``python3 -m http.server 8000 (PID 812)``: named as the table names it, not just "python3"."""
        if self.pid is None:
            if self.first_state in _CLOSING_STATES:  # first seen already closed: no program had it any more
                return closed_text()
            return hidden_text()
        return program_text(program_label(self.program, _words(self.command)), self.pid)

    def what(self) -> str:
        """``node (PID 812) listened on 127.0.0.1:3000 (TCP)``: who did what, without the times."""
        if self.listened:
            return f"{self.who} listened on {self.local_endpoint} ({self.proto})"
        peer = f", connected to {self.remote_endpoint}" if self.remote_endpoint else ""
        return f"{self.who} used {self.local_endpoint} ({self.proto}){peer}"

    def sentence(self) -> str:
        """``node (PID 812) listened on 127.0.0.1:3000 (TCP) from 10:02:11 to 10:04:55 (2 min 44 s)``."""
        if self.ended:
            when = f"from {clock(self.first_seen)} to {clock(self.used_until)}"
        else:
            when = f"from {clock(self.first_seen)}, still there at {clock(self.last_seen)}"
        return f"{self.what()} {when} ({duration_words(self.duration)})"

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


def clock(t: float) -> str:
    """10:02:11 today, "Mon 10:02:11" within a week, the date before that."""
    moment = datetime.fromtimestamp(t)
    now = datetime.now()
    if moment.date() == now.date():
        return moment.strftime("%H:%M:%S")
    if abs((now - moment).days) < 6:
        return moment.strftime("%a %H:%M:%S")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _words(command: str) -> list[str]:
    """The words of a stored command line (as ``redact_command`` joined them); plain splitting where quotes do not
    pair up."""
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def duration_words(seconds: float) -> str:
    s = round(seconds)
    if s < 1:
        return "under a second"
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s" if s % 60 else f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def ago(t: float, now: float | None = None) -> str:
    """``3 minutes ago``."""
    seconds = max(0.0, (time.time() if now is None else now) - t)
    if seconds < 60:
        return "less than a minute ago"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return "just now"


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
"""


class HistoryUnavailable(Exception):
    """The history cannot be read; the message says why in plain words."""


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


def move_aside(path: Path, reason: str, now: float | None = None) -> Path | None:
    """Rename the database (and its -wal/-shm files) so that a fresh one can start; the old one is kept."""
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


class WriterLock:
    """An exclusive, non-blocking OS lock on a small file; the OS releases it when the process ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        if self._file is not None:
            return True
        handle = open(self.path, "a+b")  # noqa: SIM115 - kept open while the lock is held
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


# -- the writer ------------------------------------------------------------------------------------------------


class _Checkpointer:
    """Copies the write-ahead log into the database on a thread of its own, so the scan thread never does.

    The writer's connection has automatic checkpoints turned off; this thread runs a PASSIVE checkpoint (it
    never blocks the writer) every ``every`` seconds with a connection of its own.
    """

    def __init__(self, path: Path, every: float = CHECKPOINT_EVERY) -> None:
        self._path = path
        self._every = every
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loopgui-history-checkpoint", daemon=True)
        self.runs = 0
        self.seconds = 0.0

    def start(self) -> None:
        self._thread.start()

    def poke(self) -> None:
        """Checkpoint now (the log has grown)."""
        self._wake.set()

    def stop(self, wait: float = 1.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(wait)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                self._wake.wait(self._every)
                self._wake.clear()
                if self._stop.is_set():
                    break
                start = time.perf_counter()
                try:
                    if conn is None:
                        conn = _connect(self._path, create=False, busy_ms=100)
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # the writer notices real trouble itself
                    log.debug("history checkpoint skipped: %s", exc)
                    if conn is not None:
                        with contextlib.suppress(sqlite3.Error):
                            conn.close()
                    conn = None
                self.runs += 1
                self.seconds += time.perf_counter() - start
        finally:
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()


@dataclass(slots=True)
class _Open:
    """A socket the recorder has written and not yet closed."""

    row_id: int
    state: str
    pid: int | None
    row: SocketRow


class Recorder:
    """Writes each snapshot's changes; lives on one thread (the scan thread or ``loopgui record``).

    ``record`` never raises: problems become notices (``take_notices``) in plain words.  ``set_enabled`` and
    ``request_clear`` may be called from any thread; the work happens at the next ``record`` call.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        max_age: float = DEFAULT_MAX_AGE,
        max_bytes: int = DEFAULT_MAX_BYTES,
        lookup: ProgramLookup = read_program,
        enabled: bool = True,
        busy_ms: int = 200,
    ) -> None:
        self.path = path if path is not None else database_path()
        self._wal = self.path.with_name(self.path.name + "-wal")
        self.max_age = max_age
        self.max_bytes = max_bytes
        self._lookup = lookup
        self._busy_ms = busy_ms
        self._flags = threading.Lock()
        self._enabled = enabled
        self._clear = False
        self._notices: list[str] = []
        self._last_notice = ""
        self._lock = WriterLock(self.path.with_name(LOCK_NAME))
        self._conn: sqlite3.Connection | None = None
        self._checkpointer: _Checkpointer | None = None
        self._session = 0
        self._open: dict[bytes, _Open] = {}
        self._programs: dict[int, tuple[str, float | None, int]] = {}  # pid -> (name, start, programs.id)
        self._prev_rows: Mapping[bytes, SocketRow] | None = None
        self._prev_taken = 0.0
        self._last_write = 0.0  # taken_at of the last snapshot written
        self._next_prune = 0.0
        self._next_program_sweep = 0.0
        self._inserted = 0  # sockets written since the last pruning step
        self._next_open = 0.0
        self.status = "off"  # off, recording, other-writer, failed
        self.written = 0  # scans written (for ``loopgui record``)
        self.checkpoint_seconds = 0.0  # time the background checkpoints took (for the benchmark)

    # -- any thread ------------------------------------------------------------------------------------------

    def set_enabled(self, on: bool) -> None:
        with self._flags:
            self._enabled = on

    @property
    def enabled(self) -> bool:
        with self._flags:
            return self._enabled

    def request_clear(self) -> None:
        """Forget everything recorded (done by the writer at its next scan, or now when it is not recording)."""
        with self._flags:
            self._clear = True

    def take_notices(self) -> list[str]:
        with self._flags:
            out, self._notices = self._notices, []
        return out

    def _notice(self, text: str) -> None:
        """Say ``text`` once (the same trouble found again at the next attempt is not repeated)."""
        if text == self._last_notice:
            return
        self._last_notice = text
        log.warning("%s", text)
        with self._flags:
            self._notices.append(text)

    # -- the writer's thread ---------------------------------------------------------------------------------

    def record(self, snapshot: Snapshot) -> None:
        with self._flags:
            enabled, clear = self._enabled, self._clear
        if not enabled:
            if self._conn is not None:
                self.close()
            if clear:
                self._clear_closed()
            self.status = "off"
            return
        if self._conn is None:
            now = time.monotonic()
            if now < self._next_open:
                return
            if not self._start():
                self._next_open = now + REOPEN_EVERY
                return
        try:
            if clear:
                self._clear_all()
            quiet = self._prev_rows is not None and snapshot.diff.empty and not clear
            if quiet and 0 <= snapshot.taken_at - self._last_write < HEARTBEAT_EVERY:
                # nothing changed: no write (the time is kept, so a later close is dated by this scan)
                self._prev_taken = snapshot.taken_at
                self._prev_rows = snapshot.rows
                self.written += 1
                return
            self._write(snapshot)
            self._last_write = snapshot.taken_at
        except sqlite3.Error as exc:
            self._on_error(exc)
            return
        self.written += 1

    def close(self) -> None:
        """End the session: sockets still open get their last-seen time; the lock is released."""
        self._stop_checkpointer()
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                with conn:
                    end = self._prev_taken or time.time()
                    conn.execute(
                        "UPDATE sockets SET last_seen=? WHERE last_seen IS NULL AND session=?", (end, self._session)
                    )
                    conn.execute("UPDATE sessions SET ended=?, last_scan=? WHERE id=?", (end, end, self._session))
            except sqlite3.Error as exc:
                log.warning("could not close the history session cleanly: %s", exc)
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._lock.release()
        self._reset_memory()
        if self.status == "recording":
            self.status = "off"

    def _reset_memory(self) -> None:
        self._open = {}
        self._programs = {}
        self._prev_rows = None

    def _start(self) -> bool:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            self.status = "failed"
            self._notice(f"History is not recorded: loopgui cannot create its folder {self.path.parent} ({exc}).")
            return False
        try:
            got = self._lock.acquire()
        except OSError as exc:
            self.status = "failed"
            self._notice(f"History is not recorded: loopgui cannot use {self._lock.path} ({exc}).")
            return False
        if not got:
            if self.status != "other-writer":
                self._notice(
                    "Another loopgui (a window or “loopgui record”) is already recording the history, so this one "
                    "records nothing; the history it records still shows here."
                )
            self.status = "other-writer"
            return False
        for attempt in range(3):
            try:
                conn = _connect(self.path, create=True, busy_ms=self._busy_ms)
            except sqlite3.Error as exc:
                self._lock.release()
                self.status = "failed"
                self._notice(f"History is not recorded: the file {self.path} cannot be opened ({exc}).")
                return False
            try:
                _prepare(conn)
                self._begin_session(conn)
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
                if attempt < 2 and (_is_broken(exc) or _is_locked(exc)):
                    self._set_aside(exc)
                    continue
                self._lock.release()
                self.status = "failed"
                self._notice(f"History is not recorded: {self.path} cannot be used ({exc}).")
                return False
            conn.execute("PRAGMA wal_autocheckpoint=0")  # _Checkpointer does it off this thread
            self._conn = conn
            self._checkpointer = _Checkpointer(self.path)
            self._checkpointer.start()
            if self.status == "other-writer":
                self._notice("The other loopgui stopped recording; this one records the history now.")
            self._last_notice = ""
            self.status = "recording"
            self._reset_memory()
            return True
        return False  # pragma: no cover - the loop returns

    def _set_aside(self, exc: sqlite3.Error) -> None:
        reason = "locked" if _is_locked(exc) else "damaged"
        try:
            moved = move_aside(self.path, reason)
        except OSError as err:
            self._notice(f"The history file {self.path} is {reason} and cannot be moved aside ({err}).")
            return
        where = f" It was kept as {moved.name}." if moved else ""
        if reason == "locked":
            self._notice(
                f"The history file was held by another program (not loopgui), so loopgui started a new one.{where}"
            )
        else:
            self._notice(f"The history file was damaged ({exc}), so loopgui started a new one.{where}")

    def _begin_session(self, conn: sqlite3.Connection) -> None:
        now = time.time()
        with conn:
            # sessions that ended without closing (a crash, a power cut): their open sockets end at their last scan
            if conn.execute("SELECT 1 FROM sessions WHERE ended IS NULL LIMIT 1").fetchone():
                conn.execute(
                    "UPDATE sockets SET last_seen=coalesce((SELECT last_scan FROM sessions s "
                    "WHERE s.id = sockets.session), first_seen) WHERE last_seen IS NULL"
                )
                conn.execute("UPDATE sessions SET ended=coalesce(last_scan, started) WHERE ended IS NULL")
            cur = conn.execute(
                "INSERT INTO sessions(started, last_scan, recorder_pid) VALUES (?, ?, ?)", (now, now, os.getpid())
            )
            self._session = int(cur.lastrowid or 0)

    def _stop_checkpointer(self) -> None:
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            checkpointer.stop()
            self.checkpoint_seconds += checkpointer.seconds

    def _on_error(self, exc: sqlite3.Error) -> None:
        self._stop_checkpointer()
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.rollback()
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._reset_memory()
        if _is_broken(exc):
            self._set_aside(exc)
            self._lock.release()
            self.status = "off"  # starts again with a fresh file at the next scan
            return
        if _is_locked(exc):
            # a program other than loopgui holds the file (loopgui's own writers are kept apart by the lock file)
            self._set_aside(exc)
            self._lock.release()
            self.status = "off"
            return
        self._lock.release()
        self.status = "failed"
        self._next_open = time.monotonic() + REOPEN_EVERY
        self._notice(f"History could not be written ({exc}); loopgui tries again in a while.")

    def _program_id(self, conn: sqlite3.Connection, row: SocketRow, now: float) -> int:
        """The programs row of the socket's owner (the same PID, name and start time share one)."""
        pid = row.pid
        assert pid is not None
        start = row.owner_start
        cached = self._programs.get(pid)
        if cached is not None and cached[0] == row.program and cached[1] == start:
            return cached[2]
        info = self._lookup(pid) or ProgramInfo()
        if start is None:
            start = info.start_time
        found = conn.execute(
            "SELECT id FROM programs WHERE pid=? AND name=? AND start_time IS ?", (pid, row.program, start)
        ).fetchone()
        if found:
            program_id = int(found[0])
            conn.execute("UPDATE programs SET last_used=? WHERE id=?", (now, program_id))
        else:
            cur = conn.execute(
                "INSERT INTO programs(pid, start_time, name, command, user, last_used) VALUES (?, ?, ?, ?, ?, ?)",
                (pid, start, row.program, info.command, info.user, now),
            )
            program_id = int(cur.lastrowid or 0)
        self._programs[pid] = (row.program, row.owner_start, program_id)
        return program_id

    def _write(self, snapshot: Snapshot) -> None:
        conn = self._conn
        assert conn is not None
        rows = snapshot.rows
        now = snapshot.taken_at
        prev = self._prev_rows
        if prev is None:
            added: Iterable[bytes] = [k for k in rows if k not in self._open]
            removed: Iterable[bytes] = [k for k in self._open if k not in rows]
            changed: Iterable[bytes] = [k for k in rows if k in self._open and self._open[k].row is not rows[k]]
        else:
            added, removed, changed = snapshot.diff.added, snapshot.diff.removed, snapshot.diff.changed
        last = self._prev_taken or now
        new_open: list[tuple[bytes, SocketRow, str, float]] = []
        closes: list[tuple[float, str, int]] = []
        notes: list[tuple[int, float, str]] = []
        with conn:
            for key in removed:
                gone = self._open.pop(key, None)
                if gone is not None:
                    closes.append((last, gone.row.state, gone.row_id))
            for key in changed:
                row = rows.get(key)
                if row is None:
                    continue
                had = self._open.get(key)
                if had is None:
                    new_open.append((key, row, category(row), min(row.first_seen, now)))
                    continue
                handed_to_kernel = row.pid is None and category(row) == CLOSING  # TIME_WAIT after the close
                if had.pid != row.pid and not handed_to_kernel:  # another program has it now: a new life
                    closes.append((last, had.row.state, had.row_id))
                    del self._open[key]
                    new_open.append((key, row, category(row), now))
                    continue
                state = category(row)
                if state and state != had.state:  # last_state is written once, when the socket goes
                    notes.append((had.row_id, now, state))
                    had.state = state
                had.row = row
            for key in added:
                row = rows.get(key)
                if row is not None and key not in self._open:
                    new_open.append((key, row, category(row), min(row.first_seen, now)))
            if closes:
                conn.executemany("UPDATE sockets SET last_seen=?, last_state=? WHERE id=?", closes)
            if notes:
                conn.executemany("INSERT INTO changes(socket, at, state) VALUES (?, ?, ?)", notes)
            if new_open:
                self._insert(conn, new_open, now)
                self._inserted += len(new_open)
            conn.execute("UPDATE sessions SET last_scan=? WHERE id=?", (now, self._session))
            pruned = now >= self._next_prune
            if pruned:  # in the same transaction: one commit per refresh
                self._next_prune = now + PRUNE_EVERY
                self._prune(conn, now)
        if pruned:
            self._after_prune(conn, now)
        self._prev_rows = rows
        if self._checkpointer is not None:
            try:
                grown = os.stat(self._wal).st_size > WAL_POKE_BYTES
            except OSError:
                grown = False
            if grown:
                self._checkpointer.poke()
        self._prev_taken = now

    def _insert(
        self, conn: sqlite3.Connection, new_open: list[tuple[bytes, SocketRow, str, float]], now: float
    ) -> None:
        (first_id,) = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM sockets").fetchone()
        values = []
        next_id = int(first_id)
        for key, row, state, first_seen in new_open:
            program = None if row.pid is None else self._program_id(conn, row, now)
            values.append(
                (
                    next_id,
                    self._session,
                    row.proto,
                    row.local_addr,
                    row.local_port,
                    row.remote_addr,
                    row.remote_port,
                    program,
                    first_seen,
                    row.state,
                    row.state,
                    1 if state == LISTENING else 0,
                )
            )
            self._open[key] = _Open(next_id, state, row.pid, row)
            next_id += 1
        conn.executemany(
            "INSERT INTO sockets(id, session, proto, local_addr, local_port, remote_addr, remote_port, program, "
            "first_seen, first_state, last_state, listened) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )

    # -- bounds ----------------------------------------------------------------------------------------------

    def prune_step(self, now: float | None = None) -> int:
        """One pruning step now, in a transaction of its own (the recorder also prunes as it writes)."""
        conn = self._conn
        if conn is None:
            return 0
        now = time.time() if now is None else now
        with conn:
            deleted = self._prune(conn, now)
        self._after_prune(conn, now)
        return deleted

    def _prune(self, conn: sqlite3.Connection, now: float) -> int:
        """Delete closed sockets older than ``max_age``, or the oldest while the file is over ``max_bytes``: at
        most twice as many as were written since the step before (at least PRUNE_CHUNK), so pruning keeps up
        with any rate while each step stays short.  Runs inside the caller's transaction; returns the number of
        sockets deleted."""
        cutoff = now - self.max_age
        chunk = max(PRUNE_CHUNK, 2 * self._inserted)
        self._inserted = 0
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM sockets WHERE last_seen < ? ORDER BY last_seen LIMIT ?", (cutoff, chunk)
            )
        ]
        if not ids and self.used_bytes() > self.max_bytes:
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM sockets WHERE last_seen IS NOT NULL ORDER BY id LIMIT ?", (chunk,)
                )
            ]
        if ids:
            gone = [(i,) for i in ids]
            conn.executemany("DELETE FROM changes WHERE socket=?", gone)
            conn.executemany("DELETE FROM sockets WHERE id=?", gone)
            # sessions are numbered in time order, like sockets: those older than the oldest socket's are empty
            conn.execute(
                "DELETE FROM sessions WHERE id <> ? AND id < coalesce("
                "(SELECT session FROM sockets ORDER BY id LIMIT 1), ?)",
                (self._session, self._session),
            )
        return len(ids)

    def _after_prune(self, conn: sqlite3.Connection, now: float) -> None:
        """The rare, slower part of pruning, outside the refresh's transaction."""
        if now >= self._next_program_sweep:
            self._next_program_sweep = now + PROGRAM_SWEEP_EVERY
            self._sweep_programs(conn, now - self.max_age)
        self._give_back_space(conn)

    def _give_back_space(self, conn: sqlite3.Connection) -> None:
        """Shrink the file a little when much of it is free (after a clear, or a lowered cap).  Free pages are
        otherwise simply reused: moving pages to shrink the file costs far more than keeping them."""
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        free = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
        if free * page_size > self.max_bytes // 10:
            conn.execute(f"PRAGMA incremental_vacuum({VACUUM_PAGES})").fetchall()

    def _sweep_programs(self, conn: sqlite3.Connection, cutoff: float) -> None:
        """Forget programs no recorded socket names any more (one pass over the sockets; rare)."""
        with conn:
            forgotten = conn.execute(
                "DELETE FROM programs WHERE last_used < ? AND id NOT IN "
                "(SELECT DISTINCT program FROM sockets WHERE program IS NOT NULL)",
                (cutoff,),
            ).rowcount
        if forgotten:
            self._programs = {}

    def used_bytes(self) -> int:
        conn = self._conn
        if conn is None:
            return 0
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        return int(page_size) * (int(pages) - int(free))

    def _clear_all(self) -> None:
        conn = self._conn
        assert conn is not None
        with self._flags:
            self._clear = False
        with conn:
            conn.execute("DELETE FROM changes")
            conn.execute("DELETE FROM sockets")
            conn.execute("DELETE FROM programs")
            conn.execute("DELETE FROM sessions WHERE id <> ?", (self._session,))
        conn.execute("PRAGMA incremental_vacuum").fetchall()
        self._reset_memory()

    def _clear_closed(self) -> None:
        """Clear while not recording: needs the writer lock for a moment."""
        with self._flags:
            self._clear = False
        try:
            clear_history(self.path)
        except HistoryUnavailable as exc:
            self._notice(str(exc))


def clear_history(path: Path | None = None) -> None:
    """Delete the history file (and its -wal, -shm) unless another loopgui is recording into it right now."""
    path = path if path is not None else database_path()
    lock = WriterLock(path.with_name(LOCK_NAME))
    if not path.parent.exists():
        return
    if not lock.acquire():
        raise HistoryUnavailable(
            "Another loopgui is recording the history right now; clear it there (or stop “loopgui record”)."
        )
    try:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path.with_name(path.name + suffix))
    finally:
        lock.release()


# -- readers ---------------------------------------------------------------------------------------------------

_SPAN_SELECT = """
SELECT s.id, s.proto, s.local_addr, s.local_port, s.remote_addr, s.remote_port, s.first_seen,
       coalesce(s.last_seen, se.last_scan, s.first_seen), s.last_seen IS NULL AND se.ended IS NULL,
       s.first_state, s.last_state, s.listened, p.pid, p.name, p.start_time, p.command, p.user
FROM sockets s JOIN sessions se ON se.id = s.session LEFT JOIN programs p ON p.id = s.program
"""


class HistoryReader:
    """Reads the history with a connection of its own per call (so any thread may use it)."""

    def __init__(self, path: Path | None = None, busy_ms: int = 1000) -> None:
        self.path = path if path is not None else database_path()
        self._busy_ms = busy_ms

    def exists(self) -> bool:
        return self.path.exists()

    def _query(self, sql: str, args: Sequence[object]) -> list[tuple[Any, ...]]:
        if not self.path.exists():
            return []
        try:
            conn = _connect(self.path, create=False, busy_ms=self._busy_ms)
        except sqlite3.Error as exc:
            raise HistoryUnavailable(f"The history file {self.path} cannot be opened ({exc}).") from exc
        try:
            return list(conn.execute(sql, args))
        except sqlite3.Error as exc:
            if "no such table" in str(exc).lower():
                return []
            if _is_locked(exc):
                raise HistoryUnavailable("The history is busy (another program holds it); try again.") from exc
            raise HistoryUnavailable(
                f"The history file {self.path} cannot be read ({exc}). loopgui starts a new one the next time it "
                "records."
            ) from exc
        finally:
            conn.close()

    def _spans(self, where: str, args: Sequence[object], limit: int) -> list[Span]:
        rows = self._query(f"{_SPAN_SELECT} WHERE {where} ORDER BY s.first_seen DESC LIMIT ?", [*args, limit])
        ids = [int(r[0]) for r in rows]
        changes: dict[int, list[tuple[float, str]]] = {}
        if ids:
            marks = ",".join("?" * len(ids))
            for socket_id, at, state in self._query(
                f"SELECT socket, at, state FROM changes WHERE socket IN ({marks}) ORDER BY at", ids
            ):
                changes.setdefault(int(socket_id), []).append((float(at), str(state)))
        return [_span(r, tuple(changes.get(int(r[0]), ()))) for r in rows]

    def port_history(
        self, port: int, *, since: float | None = None, limit: int = 50, include_remote: bool = False
    ) -> list[Span]:
        """Sockets on ``port`` (this computer's side; also the far side with ``include_remote``), newest first."""
        since = 0.0 if since is None else since
        if include_remote:
            where = "(s.local_port = ? OR s.remote_port = ?)"
            args: list[object] = [port, port]
        else:
            where = "s.local_port = ?"
            args = [port]
        return self._spans(f"{where} AND coalesce(s.last_seen, se.last_scan, s.first_seen) >= ?", [*args, since], limit)

    def search(self, text: str, *, since: float | None = None, limit: int = 200) -> list[Span]:
        """Sockets whose port is ``text`` (a number), whose address or program contains it; newest first."""
        text = text.strip()
        since = 0.0 if since is None else since
        alive = "coalesce(s.last_seen, se.last_scan, s.first_seen) >= ?"
        if not text:
            return self._spans(alive, [since], limit)
        if text.isdigit() and len(text) <= 5:
            return self.port_history(int(text), since=since, limit=limit, include_remote=True)
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where = (
            "(s.local_addr LIKE ? ESCAPE '\\' OR s.remote_addr LIKE ? ESCAPE '\\' OR p.name LIKE ? ESCAPE '\\')"
            f" AND {alive}"
        )
        return self._spans(where, [like, like, like, since], limit)

    def summary(self) -> dict[str, object]:
        """How much is stored, since when, and where."""
        rows = self._query("SELECT count(*), min(first_seen) FROM sockets", [])
        count, oldest = rows[0] if rows else (0, None)
        size = sum(p.stat().st_size for p in (self.path, self.path.with_name(self.path.name + "-wal")) if p.exists())
        return {
            "path": str(self.path),
            "sockets": int(count or 0),
            "oldest": _iso(float(oldest)) if oldest else None,
            "bytes": size,
        }


def _span(r: tuple[Any, ...], changes: tuple[tuple[float, str], ...]) -> Span:
    return Span(
        proto=str(r[1]),
        local_addr=str(r[2]),
        local_port=int(r[3]),
        remote_addr=str(r[4]),
        remote_port=int(r[5]),
        first_seen=float(r[6]),
        last_seen=float(r[7]),
        open=bool(r[8]),
        first_state=str(r[9]),
        last_state=str(r[10]),
        listened=bool(r[11]),
        pid=None if r[12] is None else int(r[12]),
        program=str(r[13] or ""),
        start_time=None if r[14] is None else float(r[14]),
        command=str(r[15] or ""),
        user=str(r[16] or ""),
        changes=changes,
    )


def writer_active(path: Path | None = None) -> bool:
    """True when some loopgui holds the writer lock for this history right now."""
    path = path if path is not None else database_path()
    lock_path = path.with_name(LOCK_NAME)
    if not lock_path.exists():
        return False
    lock = WriterLock(lock_path)
    try:
        if lock.acquire():
            lock.release()
            return False
    except OSError:
        return False
    return True
