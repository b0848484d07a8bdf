"""Reading the history: :class:`HistoryReader` (a connection of its own per query, so any thread may use it) and
:func:`writer_active`.  Shared pieces live in ``store.py``."""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loopgui.core.history.store import (
    LOCK_NAME,
    HistoryNotice,
    HistoryUnavailable,
    NoticeCode,
    SetAside,
    Span,
    WriterLock,
    _connect,
    _is_locked,
    _iso,
    database_path,
    path_notice,
    set_aside_copies,
)
from loopgui.core.paths import PathProblem, UnsafePath

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
        self.skipped = 0  # recorded sockets with damaged values left out by the latest query

    def exists(self) -> bool:
        """Whether a history file is there (False too when its folder cannot be looked into)."""
        try:
            return self._present()
        except HistoryUnavailable:
            return False

    def _present(self) -> bool:
        """Whether the file is there; HistoryUnavailable when its folder is a link or cannot be looked into."""
        try:
            folder = os.lstat(self.path.parent)
            if stat.S_ISLNK(folder.st_mode):
                raise UnsafePath(PathProblem.SYMLINK, self.path.parent)
            os.stat(self.path)
        except FileNotFoundError:
            return False
        except NotADirectoryError as exc:
            raise HistoryUnavailable(path_notice(exc, self.path.parent, NoticeCode.UNREADABLE)) from exc
        except OSError as exc:  # PermissionError: a folder left by running loopgui as administrator
            raise HistoryUnavailable(path_notice(exc, self.path.parent, NoticeCode.UNREADABLE)) from exc
        return True

    def _query(self, sql: str, args: Sequence[object]) -> list[tuple[Any, ...]]:
        if not self._present():
            return []
        try:
            conn = _connect(self.path, create=False, busy_ms=self._busy_ms)
        except (sqlite3.Error, OSError) as exc:
            raise HistoryUnavailable(HistoryNotice(NoticeCode.UNREADABLE, path=str(self.path), error=str(exc))) from exc
        try:
            return list(conn.execute(sql, args))
        except sqlite3.Error as exc:
            if "no such table" in str(exc).lower():
                return []
            if _is_locked(exc):
                raise HistoryUnavailable(HistoryNotice(NoticeCode.BUSY, path=str(self.path))) from exc
            raise HistoryUnavailable(HistoryNotice(NoticeCode.UNREADABLE, path=str(self.path), error=str(exc))) from exc
        finally:
            conn.close()

    def _spans(self, where: str, args: Sequence[object], limit: int) -> list[Span]:
        rows = self._query(f"{_SPAN_SELECT} WHERE {where} ORDER BY s.first_seen DESC LIMIT ?", [*args, limit])
        ids = [r[0] for r in rows if isinstance(r[0], int)]
        changes: dict[int, list[tuple[float, str]]] = {}
        if ids:
            marks = ",".join("?" * len(ids))
            for socket_id, at, state in self._query(
                f"SELECT socket, at, state FROM changes WHERE socket IN ({marks}) ORDER BY at", ids
            ):
                if isinstance(socket_id, int) and _moment(at) is not None and isinstance(state, str):
                    changes.setdefault(socket_id, []).append((float(at), state[:20]))
        spans = [_span(r, tuple(changes.get(r[0], ()))) for r in rows]
        kept = [s for s in spans if s is not None]
        self.skipped = len(spans) - len(kept)
        return kept

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
        size = 0
        for p in (self.path, self.path.with_name(self.path.name + "-wal")):
            with contextlib.suppress(OSError):
                size += os.stat(p).st_size
        oldest_at = _moment(oldest)
        copies = set_aside_copies(self.path)
        return {
            "path": str(self.path),
            "sockets": count if isinstance(count, int) else 0,
            "oldest": _iso(oldest_at) if oldest_at else None,
            "bytes": size,
            "set_aside": [c.as_dict() for c in copies],
            "set_aside_bytes": sum(c.bytes for c in copies),
        }

    def set_aside(self) -> list[SetAside]:
        """The set-aside copies of the history (damaged files kept for a while), oldest first."""
        try:
            if not self._present():
                return set_aside_copies(self.path)
        except HistoryUnavailable:
            return []
        return set_aside_copies(self.path)


_LATEST = 32_503_680_000.0  # the year 3000: any later moment is a damaged value


def _moment(value: object) -> float | None:
    """A stored time as a float, or None when the value is not a plausible moment (text, 1e300, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    t = float(value)
    return t if math.isfinite(t) and 0.0 <= t <= _LATEST else None


def _int(value: object, low: int, high: int) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high else None


def _text(value: object, limit: int = 1000) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _span(r: tuple[Any, ...], changes: tuple[tuple[float, str], ...]) -> Span | None:
    """One row as a Span; None when a value is out of shape (text in a number column, a time of 1e300): the file
    may have been edited or damaged, and one bad row must not stop the rest from being read."""
    proto, local_addr, remote_addr = _text(r[1], 10), _text(r[2], 100), _text(r[4], 100)
    local_port, remote_port = _int(r[3], 0, 65535), _int(r[5], 0, 65535)
    first_seen, last_seen = _moment(r[6]), _moment(r[7])
    first_state, last_state = _text(r[9], 20), _text(r[10], 20)
    pid = None if r[12] is None else _int(r[12], 0, 2**32)
    start_time = None if r[14] is None else _moment(r[14])
    fields = (proto, local_addr, remote_addr, local_port, remote_port, first_seen, last_seen, first_state, last_state)
    if any(v is None for v in fields) or (r[12] is not None and pid is None) or (r[14] is not None and not start_time):
        return None
    assert proto is not None and local_addr is not None and remote_addr is not None
    assert local_port is not None and remote_port is not None and first_seen is not None and last_seen is not None
    assert first_state is not None and last_state is not None
    return Span(
        proto=proto,
        local_addr=local_addr,
        local_port=local_port,
        remote_addr=remote_addr,
        remote_port=remote_port,
        first_seen=first_seen,
        last_seen=max(first_seen, last_seen),
        open=bool(r[8]),
        first_state=first_state,
        last_state=last_state,
        listened=bool(r[11]),
        pid=pid,
        program=_text(r[13], 200) or "",
        start_time=start_time,
        command=_text(r[15]) or "",
        user=_text(r[16], 200) or "",
        changes=changes,
    )


def writer_active(path: Path | None = None) -> bool:
    """True when some loopgui holds the writer lock for this history right now."""
    path = path if path is not None else database_path()
    lock_path = path.with_name(LOCK_NAME)
    try:
        if not os.path.isfile(lock_path) or os.path.islink(lock_path):
            return False
    except OSError:
        return False
    lock = WriterLock(lock_path)
    try:
        if lock.acquire():
            lock.release()
            return False
    except OSError:
        return False
    return True
