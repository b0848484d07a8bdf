"""The history store: what a recorder writes and a reader gets back, damaged and locked files, bounds, privacy."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from loopgui.core.history import recorder as history
from loopgui.core.history.reader import HistoryReader, writer_active
from loopgui.core.history.recorder import Recorder
from loopgui.core.history.store import (
    HistoryUnavailable,
    NoticeCode,
    ProgramInfo,
    clear_history,
    data_dir,
    database_path,
)
from loopgui.core.net.sockets import Snapshot, SocketRow, diff_rows
from loopgui.core.words.history import notice_text, span_program, span_sentence
from tests.helpers import row

T0 = 1_750_000_000.0


def info(pid: int) -> ProgramInfo:
    return ProgramInfo(start_time=T0 - 100, command=f"/usr/bin/prog{pid}", user="alice")


def snap(rows: Iterable[SocketRow], at: float, previous: Mapping[bytes, SocketRow] | None = None) -> Snapshot:
    new = {r.key: r for r in rows}
    return Snapshot.of(new, taken_at=at, duration=0.001, diff=diff_rows(previous or {}, new))


class Feed:
    """Feeds a recorder consecutive snapshots, as a scanner would (each diff relative to the one before)."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.rows: Mapping[bytes, SocketRow] = {}

    def __call__(self, rows: Iterable[SocketRow], at: float) -> Snapshot:
        s = snap(rows, at, self.rows)
        self.rows = s.rows
        self.recorder.record(s)
        return s


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "loopgui" / "history.sqlite3"


def recorder(db: Path, **kw: object) -> Recorder:
    return Recorder(db, lookup=info, **kw)  # type: ignore[arg-type]


def test_lifetimes_programs_and_state_changes_are_recorded(db: Path) -> None:
    rec = recorder(db)
    feed = Feed(rec)
    node = row(3000, pid=812, program="node", first_seen=T0)
    conn = row(62893, remote="127.0.0.1", rport=5432, state="SYN_SENT", pid=4411, program="code", first_seen=T0)
    feed([node, conn], T0)
    assert rec.status == "recording"
    established = row(62893, remote="127.0.0.1", rport=5432, state="ESTABLISHED", pid=4411, program="code",
                      first_seen=T0)  # fmt: skip
    feed([node, established], T0 + 1)
    closing = row(62893, remote="127.0.0.1", rport=5432, state="TIME_WAIT", pid=None, program="", first_seen=T0)
    feed([node], T0 + 4)  # the connection went away; it was last seen at T0 + 1
    reader = HistoryReader(db)
    (span,) = reader.port_history(62893)
    assert (span.first_seen, span.last_seen, span.open) == (T0, T0 + 1, False)
    assert (span.first_state, span.last_state, span.listened) == ("SYN_SENT", "ESTABLISHED", False)
    assert span.changes == ((T0 + 1, "connected"),)
    assert (span.pid, span.program, span.user, span.command, span.start_time) == (
        4411, "code", "alice", "/usr/bin/prog4411", T0 - 100)  # fmt: skip
    assert span.remote_endpoint == "127.0.0.1:5432"
    (listener,) = reader.port_history(3000)
    assert listener.open and listener.listened and listener.last_seen == T0 + 4
    assert reader.port_history(5432) == []
    assert [s.local_port for s in reader.port_history(5432, include_remote=True)] == [62893]
    rec.close()
    (listener,) = reader.port_history(3000)
    assert not listener.open and listener.last_seen == T0 + 4
    assert closing.pid is None


def test_another_program_on_the_same_socket_starts_a_new_life(db: Path) -> None:
    rec = recorder(db)
    feed = Feed(rec)
    feed([row(3000, pid=1, program="old", first_seen=T0 - 5e7)], T0)
    feed([row(3000, pid=2, program="new")], T0 + 2)
    rec.close()
    spans = HistoryReader(db).port_history(3000)
    assert [(s.program, s.first_seen, s.last_seen) for s in spans] == [("new", T0 + 2, T0 + 2), ("old", T0 - 5e7, T0)]


def test_hidden_owner_is_kept_without_a_program(db: Path) -> None:
    rec = recorder(db)
    Feed(rec)([row(22, pid=None, program="")], T0)
    rec.close()
    (span,) = HistoryReader(db).port_history(22)
    assert span.pid is None and not span.first_seen_closing
    assert span_program(span) == "a program of another user or of the system"


def test_a_connection_first_seen_closed_has_no_program(db: Path) -> None:
    rec = recorder(db)
    Feed(rec)([row(45104, remote="::1", rport=8012, local="::1", state="TIME_WAIT", pid=None, program="")], T0)
    rec.close()
    (span,) = HistoryReader(db).port_history(45104)
    assert span.first_seen_closing and span.pid is None
    assert span_program(span) == "no program (connection already closed)"  # as the table says; not "another user"


def test_a_crashed_session_is_closed_at_its_last_scan_by_the_next_recorder(db: Path) -> None:
    first = recorder(db)
    feed = Feed(first)
    feed([row(3000, pid=812, program="node")], T0)
    feed([row(3000, pid=812, program="node")], T0 + 5)  # nothing changed: not written (see the next test)
    feed([row(3000, pid=812, program="node")], T0 + 5 + history.HEARTBEAT_EVERY)  # the heartbeat is written
    first._lock.release()  # the process died: the OS drops its lock, nothing else is written
    assert first._conn is not None
    first._conn.close()
    second = recorder(db)
    Feed(second)([], T0 + 100)
    (span,) = HistoryReader(db).port_history(3000)
    assert (span.open, span.last_seen) == (False, T0 + 5 + history.HEARTBEAT_EVERY)
    second.close()


def test_scans_that_change_nothing_write_nothing_but_date_a_later_close(db: Path) -> None:
    rec = recorder(db)
    feed = Feed(rec)
    feed([row(3000, pid=812, program="node")], T0)
    assert rec._conn is not None
    writes = rec._conn.total_changes
    for i in range(1, 10):
        feed([row(3000, pid=812, program="node")], T0 + i)
    assert rec._conn.total_changes == writes and rec.written == 10  # idle: no history write
    feed([], T0 + 10)
    rec.close()
    (span,) = HistoryReader(db).port_history(3000)
    assert span.last_seen == T0 + 9  # the last scan that saw it, though that scan wrote nothing


def test_a_damaged_file_is_moved_aside_with_a_notice_and_recording_goes_on(db: Path) -> None:
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a database at all " * 200)
    rec = recorder(db)
    Feed(rec)([row(3000, pid=812, program="node")], T0)
    notices = rec.take_notices()
    assert any(n.code is NoticeCode.DAMAGED_SET_ASIDE for n in notices), notices
    kept = [p for p in db.parent.iterdir() if p.name.startswith("history.sqlite3.damaged-")]
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b"this is not")
    assert rec.status == "recording"
    assert [s.program for s in HistoryReader(db).port_history(3000)] == ["node"]
    rec.close()


def test_a_file_damaged_while_recording_is_moved_aside_and_a_new_one_started(db: Path) -> None:
    rec = recorder(db)
    feed = Feed(rec)
    feed([row(3000, pid=812, program="node")], T0)
    assert rec._conn is not None
    rec._conn.close()
    rec._conn = _Broken()  # type: ignore[assignment]
    feed([row(3000, pid=812, program="node"), row(3001)], T0 + 1)  # must not raise
    assert any(n.code is NoticeCode.DAMAGED_SET_ASIDE for n in rec.take_notices())
    feed([row(3000, pid=812, program="node")], T0 + 2)
    assert rec.status == "recording"
    assert [s.program for s in HistoryReader(db).port_history(3000)] == ["node"]
    rec.close()


class _Broken:
    def __enter__(self) -> _Broken:
        raise sqlite3.DatabaseError("database disk image is malformed")

    def __exit__(self, *exc: object) -> None:
        return None

    def rollback(self) -> None:
        return None

    def close(self) -> None:
        return None


def test_a_file_locked_by_another_program_is_waited_for_never_set_aside(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database browser or a backup tool holding the write lock for a few seconds is not damage: loopgui says it
    waits, keeps the whole history, and records again once the lock is gone (issue 21)."""
    monkeypatch.setattr(history, "BUSY_RETRY", 0.0)
    rec = recorder(db, busy_ms=50)
    feed = Feed(rec)
    feed([row(3000, pid=812, program="node")], T0)
    rec.close()
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # a program other than loopgui holds the write lock for a while
    rec2 = recorder(db, busy_ms=50)
    feed2 = Feed(rec2)
    try:
        feed2([row(4000, pid=9, program="late")], T0 + 10)
        notices = rec2.take_notices()
        assert [n.code for n in notices] == [NoticeCode.BUSY], notices
        assert rec2.status == "busy"
        feed2([row(4000, pid=9, program="late")], T0 + 11)
        assert rec2.take_notices() == []  # said once
    finally:
        other.rollback()
        other.close()
    feed2([row(4000, pid=9, program="late")], T0 + 12)
    assert rec2.status == "recording"
    assert [n.code for n in rec2.take_notices()] == [NoticeCode.BUSY_OVER]
    assert [p.name for p in db.parent.iterdir() if ".locked-" in p.name or ".damaged-" in p.name] == []
    assert [s.program for s in HistoryReader(db).port_history(3000)] == ["node"]  # the old history is all there
    assert [s.program for s in HistoryReader(db).port_history(4000)] == ["late"]
    rec2.close()


def test_a_lock_taken_while_recording_costs_one_notice_not_a_crash(db: Path) -> None:
    rec = recorder(db, busy_ms=50)
    feed = Feed(rec)
    feed([row(3000, pid=812, program="node")], T0)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        feed([row(3000, pid=812, program="node"), row(3001, program="x")], T0 + 1)
        assert [n.code for n in rec.take_notices()] == [NoticeCode.BUSY]
        assert rec.status == "busy"
    finally:
        other.rollback()
        other.close()
    try:
        rec._next_open = 0.0  # the retry moment has come
        feed([row(3000, pid=812, program="node"), row(3001, program="x")], T0 + 2)
        assert rec.status == "recording"
        assert [s.program for s in HistoryReader(db).port_history(3001)] == ["x"]
        assert [s.program for s in HistoryReader(db).port_history(3000)] == ["node", "node"]  # nothing set aside
    finally:
        rec.close()


def test_two_recorders_one_writes_the_other_says_so_and_the_file_stays_sound(db: Path) -> None:
    first, second = recorder(db), recorder(db)
    f1, f2 = Feed(first), Feed(second)
    for i in range(20):
        rows = [row(3000 + j, pid=j, program=f"p{j}") for j in range(i % 5)]
        f1(rows, T0 + i)
        f2(rows, T0 + i)
    assert first.status == "recording"
    assert second.status == "other-writer"
    assert len([n for n in second.take_notices() if n.code is NoticeCode.OTHER_WRITER]) == 1
    assert writer_active(db)
    first.close()
    assert not writer_active(db)
    second._next_open = 0  # (it tries again every 30 s)
    f2([row(3000)], T0 + 30)
    assert second.status == "recording"
    assert [n.code for n in second.take_notices()] == [NoticeCode.OTHER_WRITER_STOPPED]
    second.close()
    check = sqlite3.connect(db)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.close()


def test_switching_off_closes_the_session_and_frees_the_file(db: Path) -> None:
    rec = recorder(db)
    feed = Feed(rec)
    feed([row(3000, pid=812, program="node")], T0)
    rec.set_enabled(False)
    feed([row(3000, pid=812, program="node")], T0 + 1)
    assert rec.status == "off" and not writer_active(db)
    (span,) = HistoryReader(db).port_history(3000)
    assert not span.open
    rec.set_enabled(True)
    feed([row(3000, pid=812, program="node")], T0 + 2)
    assert rec.status == "recording"
    assert len(HistoryReader(db).port_history(3000)) == 2  # a new recording session
    rec.close()


def test_clearing_forgets_everything(db: Path) -> None:
    rec = recorder(db)
    feed = Feed(rec)
    feed([row(3000, pid=812, program="node"), row(3001)], T0)
    feed([row(3000, pid=812, program="node")], T0 + 1)
    rec.request_clear()
    feed([row(3000, pid=812, program="node")], T0 + 2)
    spans = HistoryReader(db).search("")
    assert [(s.local_port, s.open) for s in spans] == [(3000, True)]  # only what is there now
    rec.set_enabled(False)
    rec.request_clear()
    feed([], T0 + 3)
    assert not db.exists()
    assert HistoryReader(db).search("") == []


def test_clearing_is_refused_while_another_loopgui_records(db: Path) -> None:
    rec = recorder(db)
    Feed(rec)([row(3000)], T0)
    with pytest.raises(HistoryUnavailable) as refused:
        clear_history(db)
    assert refused.value.notice.code is NoticeCode.RECORDING_ELSEWHERE
    assert "Another loopgui" in notice_text(refused.value.notice)
    assert db.exists()
    rec.close()
    clear_history(db)
    assert not db.exists()


def test_pruning_by_age_removes_only_what_is_older_than_the_limit(db: Path) -> None:
    day = 86400.0
    rec = recorder(db, max_age=7 * day)
    feed = Feed(rec)
    start = T0 - 10 * day
    feed([row(3000, program="old", first_seen=start)], start)
    feed([], start + 1)  # closed 10 days ago
    feed([row(3001, program="recent", first_seen=T0 - day)], T0 - day)
    feed([], T0 - day + 1)  # closed yesterday
    feed([row(3002, program="open", first_seen=start)], T0)  # open: never pruned
    names = sorted(s.program for s in HistoryReader(db).search(""))
    assert names == ["open", "recent"]  # the recorder prunes as it goes
    assert rec.prune_step(T0 + 7 * day) == 1
    assert [s.program for s in HistoryReader(db).search("")] == ["open"]
    rec.close()


def test_pruning_by_size_deletes_the_oldest_a_chunk_at_a_time(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "PRUNE_CHUNK", 500)
    rec = recorder(db, max_bytes=10**9)
    feed = Feed(rec)
    for i in range(60):
        feed([row(10000 + i * 100 + j, program=f"p{i}", first_seen=T0 + i) for j in range(100)], T0 + i)
    feed([], T0 + 61)
    big = rec.used_bytes()
    rec.max_bytes = big // 2
    steps = 0
    while rec.used_bytes() > rec.max_bytes and steps < 40:
        rec.prune_step(T0 + 62)
        steps += 1
    assert rec.used_bytes() <= rec.max_bytes
    left = HistoryReader(db).search("", limit=10_000)
    assert left and min(s.first_seen for s in left) > T0  # the oldest went first
    assert max(s.first_seen for s in left) == T0 + 59  # the newest stayed
    assert db.stat().st_size < big + 200_000  # freed pages went back to the disk, a step at a time
    rec.close()


def test_reader_of_a_missing_or_damaged_history(tmp_path: Path) -> None:
    missing = HistoryReader(tmp_path / "none" / "history.sqlite3")
    assert not missing.exists() and missing.port_history(3000) == [] and missing.search("x") == []
    assert not (tmp_path / "none").exists()  # reading never creates anything
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"garbage" * 1000)
    with pytest.raises(HistoryUnavailable) as damaged:
        HistoryReader(bad).port_history(3000)
    assert damaged.value.notice.code is NoticeCode.UNREADABLE
    assert "cannot be read" in notice_text(damaged.value.notice)  # the English sentence, from words/history.py


def test_search_by_program_address_and_port(db: Path) -> None:
    rec = recorder(db)
    Feed(rec)([row(3000, pid=1, program="node"), row(5432, local="::1", pid=2, program="postgres%_x")], time.time())
    reader = HistoryReader(db)
    assert [s.program for s in reader.search("nod")] == ["node"]
    assert [s.program for s in reader.search("::1")] == ["postgres%_x"]
    assert [s.program for s in reader.search("%_")] == ["postgres%_x"]  # LIKE wildcards are plain text
    assert [s.program for s in reader.search("3000")] == ["node"]
    assert reader.search("", since=time.time() + 60) == []
    rec.close()


def test_the_data_folder_follows_each_system() -> None:
    assert data_dir({"XDG_DATA_HOME": "/x/data", "HOME": "/home/a"}, "linux") == Path("/x/data/loopgui")
    assert data_dir({"HOME": "/home/a"}, "linux") == Path("/home/a/.local/share/loopgui")
    assert data_dir({"XDG_DATA_HOME": "relative", "HOME": "/home/a"}, "linux") == Path("/home/a/.local/share/loopgui")
    assert data_dir({"APPDATA": "C:/Users/a/AppData/Roaming"}, "win32") == Path("C:/Users/a/AppData/Roaming/loopgui")
    assert data_dir({"HOME": "/Users/a"}, "darwin") == Path("/Users/a/Library/Application Support/loopgui")


def test_tests_never_touch_the_users_own_history(private_data_home: Path) -> None:
    assert database_path().is_relative_to(private_data_home)


def test_a_reused_pid_is_another_program(db: Path) -> None:
    rec = recorder(db)
    feed = Feed(rec)
    first = dataclasses.replace(row(3000, pid=50, program="node"), owner_start=T0 - 50)
    feed([first], T0)
    feed([], T0 + 1)
    second = dataclasses.replace(row(3001, pid=50, program="node"), owner_start=T0 + 1.5)
    feed([second], T0 + 2)
    rec.close()
    starts = {s.local_port: s.start_time for s in HistoryReader(db).search("node")}
    assert starts == {3000: T0 - 50, 3001: T0 + 1.5}


def test_a_closed_connection_in_time_wait_stays_the_programs(db: Path) -> None:
    rec = recorder(db)
    feed = Feed(rec)
    kw = {"remote": "127.0.0.1", "rport": 5432, "first_seen": T0}
    feed([row(62893, state="ESTABLISHED", pid=4411, program="code", **kw)], T0)  # type: ignore[arg-type]
    feed([row(62893, state="TIME_WAIT", pid=None, program="", **kw)], T0 + 4)  # type: ignore[arg-type]
    feed([], T0 + 64)
    rec.close()
    (span,) = HistoryReader(db).port_history(62893)
    assert (span.program, span.pid, span.last_state) == ("code", 4411, "TIME_WAIT")
    assert (span.closed_at, span.used_until, span.last_seen, span.ended) == (T0 + 4, T0 + 4, T0 + 4, True)


def test_an_unusable_data_folder_is_a_notice_not_a_crash(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    rec = recorder(blocker / "loopgui" / "history.sqlite3")
    Feed(rec)([row(3000)], T0)  # must not raise
    assert rec.status == "failed"
    (notice,) = rec.take_notices()
    assert notice.code is NoticeCode.FOLDER_UNUSABLE and notice.path == str(blocker / "loopgui")
    assert notice_text(notice).startswith("History is not recorded: loopgui cannot create its folder")
    rec.close()


def test_the_same_trouble_is_said_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "REOPEN_EVERY", 0.0)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    rec = recorder(blocker / "loopgui" / "history.sqlite3")
    feed = Feed(rec)
    for i in range(3):
        feed([row(3000)], T0 + i)
    assert len(rec.take_notices()) == 1


def test_a_span_names_its_program_as_the_table_does() -> None:
    from loopgui.core.history.store import Span

    def span(program: str, command: str) -> Span:
        return Span("TCP", "127.0.0.1", 8011, "", 0, 1.0, 2.0, False, "LISTEN", "LISTEN", True, 7, program, 0, command)

    assert span_program(span("python3", "/usr/bin/python3 -m http.server 8011 --bind 127.0.0.1")) == (
        "python3 -m http.server 8011 --bind 127.0.0.1 (PID 7)"
    )
    assert span_program(span("node", "node 'my server.js'")) == "node my server.js (PID 7)"
    # quotes that do not pair: plain words
    assert span_program(span("node", "node 'unpaired")) == "node 'unpaired (PID 7)"
    assert span_program(span("postgres", "/usr/lib/postgresql/15/bin/postgres -D /var/lib/x")) == "postgres (PID 7)"
    assert span_program(span("", "")) == "a program (PID 7)"


# -- issue 21: data kept and lost, damaged values --------------------------------------------------------------------


def _aside(db: Path, name: str, size: int, age_days: float, now: float) -> Path:
    path = db.with_name(f"history.sqlite3.{name}")
    path.write_bytes(b"\0" * size)
    os.utime(path, (now - age_days * 86400, now - age_days * 86400))
    return path


def test_set_aside_copies_are_counted_listed_expired_and_cleared(db: Path) -> None:
    now = time.time()
    rec = recorder(db, max_bytes=10**9)
    feed = Feed(rec)
    feed([row(3000, pid=812, program="node")], now)
    old = _aside(db, "damaged-20260101-000000", 5000, 8, now)  # older than 7 days: goes
    kept = _aside(db, "damaged-20260110-000000", 7000, 1, now)
    locked = _aside(db, "locked-20260111-000000", 3000, 0.5, now)  # left by an earlier version
    locked.with_name(locked.name + "-wal").write_bytes(b"\0" * 1000)
    listed = HistoryReader(db).summary()
    assert [Path(str(c["file"])).name for c in listed["set_aside"]] == [old.name, kept.name, locked.name]  # type: ignore[union-attr]
    assert listed["set_aside_bytes"] == 16000
    rec._next_aside_check = 0.0
    rec.prune_step(now)
    assert not old.exists() and kept.exists() and locked.exists()
    assert rec._aside_bytes == 11000  # counted within the bound
    rec.max_bytes = rec.used_bytes() + 5000  # the copies no longer fit: the oldest goes first
    rec._next_aside_check = 0.0
    rec.prune_step(now)
    assert not kept.exists() and locked.exists()
    rec.request_clear()
    feed([row(3000, pid=812, program="node")], now + 1)
    assert [p.name for p in db.parent.iterdir() if ".locked-" in p.name or ".damaged-" in p.name] == []
    rec.close()


def test_clear_while_not_recording_removes_set_aside_copies(db: Path) -> None:
    rec = recorder(db)
    Feed(rec)([row(3000)], T0)
    rec.close()
    copy = _aside(db, "damaged-20260101-000000", 100, 0, time.time())
    clear_history(db)
    assert not db.exists() and not copy.exists()


def test_the_size_bound_holds_when_every_socket_has_its_own_program(db: Path) -> None:
    """The programs table goes with the sockets: 252.7 MB for a 200 MB bound before (issue 21), here at 1 MB."""

    def own(pid: int) -> ProgramInfo:
        return ProgramInfo(start_time=T0, command=f"/opt/app/worker-{pid} " + "--flag=value " * 20, user="alice")

    rec = Recorder(db, lookup=own, max_bytes=1_000_000)
    feed = Feed(rec)
    pid = 1000
    for i in range(60):
        rows = []
        for j in range(100):
            pid += 1
            rows.append(row(10000 + j, pid=pid, program=f"worker{pid}", first_seen=T0 + i))
        feed(rows, T0 + i)
        feed([], T0 + i + 0.5)  # every socket closes: its program is used by nobody else
        rec.prune_step(T0 + i + 0.6)
    for _ in range(40):
        if rec.used_bytes() <= rec.max_bytes:
            break
        rec.prune_step(T0 + 100)
    assert rec.used_bytes() <= rec.max_bytes
    conn = sqlite3.connect(db)
    try:
        (programs,) = conn.execute("SELECT count(*) FROM programs").fetchone()
        (named,) = conn.execute("SELECT count(DISTINCT program) FROM sockets").fetchone()
    finally:
        conn.close()
    assert programs == named  # no program is kept without a socket
    rec.close()


def _damage(db: Path, sql: str) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(sql)
    conn.close()


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE sockets SET first_seen='yesterday' WHERE local_port=3001",
        "UPDATE sockets SET last_seen=1e300 WHERE local_port=3001",
        "UPDATE sockets SET local_port='x' WHERE local_port=3001",
        "UPDATE programs SET start_time=-1e308 WHERE pid=2",
        "UPDATE programs SET pid='many' WHERE pid=2",
    ],
)
def test_a_damaged_value_leaves_one_row_out_not_the_history(db: Path, damage: str) -> None:
    rec = recorder(db)
    feed = Feed(rec)
    feed([row(3000, pid=1, program="node"), row(3001, pid=2, program="bad")], T0)
    feed([], T0 + 1)
    rec.close()
    _damage(db, damage)
    reader = HistoryReader(db)
    spans = reader.search("")
    assert [s.program for s in spans] == ["node"]
    assert reader.skipped == 1
    for s in spans:  # and what is kept reads as words
        assert span_sentence(s)


def test_history_of_a_folder_that_cannot_be_looked_into_is_unavailable_not_an_exception(tmp_path: Path) -> None:
    folder = tmp_path / "loopgui"
    folder.mkdir()
    rec = recorder(folder / "history.sqlite3")
    Feed(rec)([row(3000)], T0)
    rec.close()

    def refuse(path: object, *args: object, **kw: object) -> os.stat_result:
        raise PermissionError(13, "Permission denied", str(path))

    reader = HistoryReader(folder / "history.sqlite3")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "stat", refuse)
        with pytest.raises(HistoryUnavailable) as refused:
            reader.port_history(3000)
        assert refused.value.notice.code is NoticeCode.UNREADABLE
        assert "Permission denied" in notice_text(refused.value.notice)
        assert not reader.exists()
