"""Reading the history: :class:`HistoryReader` (a connection of its own per query, so any thread may use it) and
:func:`writer_active`.  Shared pieces live in ``store.py``."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loopgui.core.history.store import (
    LOCK_NAME,
    HistoryUnavailable,
    Span,
    WriterLock,
    _connect,
    _is_locked,
    _iso,
    database_path,
)

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
