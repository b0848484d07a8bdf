"""The one writer of the history: :class:`Recorder` writes each snapshot's changes (run by the scan thread or by
``loopgui record``), keeps the bounds and sets a damaged file aside.  Shared pieces live in ``store.py``."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from loopgui.core.history.store import (
    ASIDE_CHECK_EVERY,
    BUSY_RETRY,
    CHECKPOINT_EVERY,
    CLOSING,
    DB_NAME,
    DEFAULT_MAX_AGE,
    DEFAULT_MAX_BYTES,
    HEARTBEAT_EVERY,
    LISTENING,
    LOCK_NAME,
    PROGRAM_SWEEP_EVERY,
    PRUNE_CHUNK,
    PRUNE_EVERY,
    REOPEN_EVERY,
    VACUUM_PAGES,
    WAL_POKE_BYTES,
    HistoryNotice,
    HistoryUnavailable,
    NoticeCode,
    ProgramInfo,
    ProgramLookup,
    SetAside,
    WriterLock,
    _connect,
    _is_broken,
    _is_locked,
    _prepare,
    category,
    clear_history,
    database_path,
    move_aside,
    path_notice,
    read_program,
    remove_set_aside,
    set_aside_copies,
)
from loopgui.core.net.sockets import Snapshot, SocketRow
from loopgui.core.paths import private_dir, tighten_files, touch_private

log = logging.getLogger("loopgui.history")

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

    ``record`` never raises: problems become notices (``take_notices``: :class:`HistoryNotice` facts).
    ``set_enabled`` and ``request_clear`` may be called from any thread; the work happens at the next ``record``
    call.
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
        self._notices: list[HistoryNotice] = []
        self._last_notice: HistoryNotice | None = None
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
        self.status = "off"  # off, recording, other-writer, busy (another program holds the file), failed
        self._next_aside_check = 0.0
        self._aside_bytes = 0  # set-aside copies, counted within max_bytes
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

    def take_notices(self) -> list[HistoryNotice]:
        with self._flags:
            out, self._notices = self._notices, []
        return out

    def _notice(self, notice: HistoryNotice) -> None:
        """Say ``notice`` once (the same trouble found again at the next attempt is not repeated)."""
        if notice == self._last_notice:
            return
        self._last_notice = notice
        log.info("history: %s", notice)  # info, not warning: no second copy on a terminal (callers show it)
        with self._flags:
            self._notices.append(notice)

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
                if self.status != "busy":  # a busy file is tried again sooner (``_on_busy``)
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
            private_dir(self.path.parent)  # 0700, tightened if wider; a link or another user's folder is refused
        except OSError as exc:
            self.status = "failed"
            self._notice(path_notice(exc, self.path.parent, NoticeCode.FOLDER_UNUSABLE))
            return False
        try:
            got = self._lock.acquire()
        except OSError as exc:
            self.status = "failed"
            self._notice(path_notice(exc, self._lock.path, NoticeCode.LOCK_UNUSABLE))
            return False
        if not got:
            if self.status != "other-writer":
                self._notice(HistoryNotice(NoticeCode.OTHER_WRITER, path=str(self.path)))
            self.status = "other-writer"
            return False
        try:
            tighten_files(self.path.parent, DB_NAME)  # files an earlier loopgui left readable by others
            touch_private(self.path)  # SQLite gives its -wal and -shm files the database file's mode
        except OSError as exc:
            self._lock.release()
            self.status = "failed"
            self._notice(path_notice(exc, self.path, NoticeCode.OPEN_FAILED))
            return False
        for attempt in range(3):
            try:
                conn = _connect(self.path, create=True, busy_ms=self._busy_ms)
            except sqlite3.Error as exc:
                self._lock.release()
                self.status = "failed"
                self._notice(HistoryNotice(NoticeCode.OPEN_FAILED, path=str(self.path), error=str(exc)))
                return False
            try:
                _prepare(conn)
                self._begin_session(conn)
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
                if _is_locked(exc):  # a lock is not damage: wait and try again
                    self._lock.release()
                    self._on_busy()
                    return False
                if attempt < 2 and _is_broken(exc):
                    self._set_aside(exc)
                    continue
                self._lock.release()
                self.status = "failed"
                self._notice(HistoryNotice(NoticeCode.UNUSABLE, path=str(self.path), error=str(exc)))
                return False
            conn.execute("PRAGMA wal_autocheckpoint=0")  # _Checkpointer does it off this thread
            self._conn = conn
            self._checkpointer = _Checkpointer(self.path)
            self._checkpointer.start()
            if self.status == "other-writer":
                self._notice(HistoryNotice(NoticeCode.OTHER_WRITER_STOPPED))
            elif self.status == "busy":
                self._notice(HistoryNotice(NoticeCode.BUSY_OVER))
            self._last_notice = None
            self.status = "recording"
            self._reset_memory()
            return True
        return False  # pragma: no cover - the loop returns

    def _on_busy(self) -> None:
        """A program other than loopgui (a database browser, a backup tool) holds the database's lock: the file is
        sound, so nothing is set aside; recording tries again in a moment (loopgui's own writers are kept apart
        by the lock file)."""
        if self.status != "busy":
            self._notice(HistoryNotice(NoticeCode.BUSY, path=str(self.path)))
        self.status = "busy"
        self._next_open = time.monotonic() + BUSY_RETRY

    def _set_aside(self, exc: sqlite3.Error) -> None:
        try:
            moved = move_aside(self.path, "damaged")
        except OSError as err:
            self._notice(HistoryNotice(NoticeCode.SET_ASIDE_FAILED, path=str(self.path), error=str(err)))
            return
        self._next_aside_check = 0.0
        self._notice(
            HistoryNotice(
                NoticeCode.DAMAGED_SET_ASIDE, path=str(self.path), error=str(exc), kept_as=moved.name if moved else ""
            )
        )

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
            self._lock.release()
            self._on_busy()
            return
        self._lock.release()
        self.status = "failed"
        self._next_open = time.monotonic() + REOPEN_EVERY
        self._notice(HistoryNotice(NoticeCode.WRITE_FAILED, path=str(self.path), error=str(exc)))

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
        if not ids and self.used_bytes() + self._aside_bytes > self.max_bytes:
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM sockets WHERE last_seen IS NOT NULL ORDER BY id LIMIT ?", (chunk,)
                )
            ]
        if ids:
            gone = [(i,) for i in ids]
            marks = ",".join("?" * len(ids))
            owners = [
                r[0]
                for r in conn.execute(
                    f"SELECT DISTINCT program FROM sockets WHERE id IN ({marks}) AND program IS NOT NULL", ids
                )
            ]
            conn.executemany("DELETE FROM changes WHERE socket=?", gone)
            conn.executemany("DELETE FROM sockets WHERE id=?", gone)
            if owners:  # programs go with their last socket, so the size bound holds with a program per socket
                conn.executemany(
                    "DELETE FROM programs WHERE id=? AND NOT EXISTS (SELECT 1 FROM sockets WHERE program=?)",
                    [(p, p) for p in owners],
                )
                forgotten = set(owners)
                self._programs = {k: v for k, v in self._programs.items() if v[2] not in forgotten}
            # sessions are numbered in time order, like sockets: those older than the oldest socket's are empty
            conn.execute(
                "DELETE FROM sessions WHERE id <> ? AND id < coalesce("
                "(SELECT session FROM sockets ORDER BY id LIMIT 1), ?)",
                (self._session, self._session),
            )
        return len(ids)

    def _after_prune(self, conn: sqlite3.Connection, now: float) -> None:
        """The rare, slower part of pruning, outside the refresh's transaction."""
        if now >= self._next_aside_check:
            self._next_aside_check = now + ASIDE_CHECK_EVERY
            self._bound_set_aside(now)
        if now >= self._next_program_sweep:
            self._next_program_sweep = now + PROGRAM_SWEEP_EVERY
            self._sweep_programs(conn, now - self.max_age)
        self._give_back_space(conn)

    def _bound_set_aside(self, now: float) -> None:
        """Set-aside copies count within the bounds: those older than ``max_age`` go, then the oldest while
        everything together is over ``max_bytes``."""
        copies = set_aside_copies(self.path)
        used = self.used_bytes()
        kept: list[SetAside] = []
        for copy in copies:
            if copy.modified < now - self.max_age:
                with contextlib.suppress(OSError):
                    remove_set_aside(copy)
                continue
            kept.append(copy)
        while kept and used + sum(c.bytes for c in kept) > self.max_bytes:
            with contextlib.suppress(OSError):
                remove_set_aside(kept.pop(0))
        self._aside_bytes = sum(c.bytes for c in kept)

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
        for copy in set_aside_copies(self.path):
            with contextlib.suppress(OSError):
                remove_set_aside(copy)
        self._aside_bytes = 0
        self._reset_memory()

    def _clear_closed(self) -> None:
        """Clear while not recording: needs the writer lock for a moment."""
        with self._flags:
            self._clear = False
        try:
            clear_history(self.path)
        except HistoryUnavailable as exc:
            self._notice(exc.notice)
