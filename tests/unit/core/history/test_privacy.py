"""What loopgui writes is private: folders 0700, files 0600 whatever the umask, wider folders the user owns are
tightened, and no symbolic link is followed (issue 21).  Each test fails on the code before the change."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopgui import app
from loopgui.core import autostart, paths
from loopgui.core.history.reader import HistoryReader
from loopgui.core.history.recorder import Recorder
from loopgui.core.history.store import HistoryUnavailable, NoticeCode, ProgramInfo
from loopgui.core.net.sockets import Snapshot, diff_rows
from loopgui.core.paths import PathProblem, UnsafePath
from loopgui.core.words.history import notice_text
from tests.helpers import row

T0 = 1_750_000_000.0


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def record_once(db: Path) -> Recorder:
    rec = Recorder(db, lookup=lambda pid: ProgramInfo(T0, "/usr/bin/node --password=hunter2 server.js", "alice"))
    rows = {r.key: r for r in [row(3000, pid=812, program="node")]}
    rec.record(Snapshot.of(rows, taken_at=T0, duration=0.001, diff=diff_rows({}, rows)))
    return rec


def test_history_folder_and_files_are_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    db = tmp_path / "share" / "loopgui" / "history.sqlite3"
    rec = record_once(db)
    try:
        assert rec.status == "recording"
        assert mode(db.parent) == 0o700
        written = sorted(p.name for p in db.parent.iterdir())
        assert {"history.sqlite3", "history.lock", "history.sqlite3-wal", "history.sqlite3-shm"} <= set(written)
        for name in written:
            assert mode(db.parent / name) == 0o600, name
    finally:
        rec.close()


def test_an_existing_0755_folder_and_0644_files_are_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "loopgui"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    rec = record_once(folder / "history.sqlite3")
    rec.close()
    for name in ("history.sqlite3", "history.lock"):
        os.chmod(folder / name, 0o644)  # as an earlier loopgui left them
    (folder / "history.sqlite3.damaged-20260101-000000").write_bytes(b"x")
    os.chmod(folder / "history.sqlite3.damaged-20260101-000000", 0o644)
    os.chmod(folder, 0o755)
    rec = record_once(folder / "history.sqlite3")
    rec.close()
    assert mode(folder) == 0o700
    for p in folder.iterdir():
        assert mode(p) == 0o600, p.name


def test_a_symlinked_data_folder_is_refused_and_nothing_is_written_there(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    home = tmp_path / "home"
    home.mkdir()
    (home / "loopgui").symlink_to(shared)
    rec = record_once(home / "loopgui" / "history.sqlite3")
    try:
        assert rec.status == "failed"
        (notice,) = rec.take_notices()
        assert notice.code is NoticeCode.PATH_REFUSED and notice.problem == PathProblem.SYMLINK.value
        assert "symbolic link" in notice_text(notice)
        assert list(shared.iterdir()) == []  # nothing followed the link
        assert mode(shared) == 0o777  # and the target was not touched
    finally:
        rec.close()
    with pytest.raises(HistoryUnavailable) as refused:  # the reader does not follow it either
        HistoryReader(home / "loopgui" / "history.sqlite3").port_history(3000)
    assert refused.value.notice.code is NoticeCode.PATH_REFUSED


def test_a_symlinked_database_or_lock_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "loopgui"
    folder.mkdir(mode=0o700)
    target = tmp_path / "elsewhere"
    target.write_bytes(b"")
    (folder / "history.lock").symlink_to(target)
    rec = record_once(folder / "history.sqlite3")
    assert rec.status == "failed"
    assert [n.code for n in rec.take_notices()] == [NoticeCode.PATH_REFUSED]
    rec.close()
    (folder / "history.lock").unlink()
    (folder / "history.sqlite3").symlink_to(target)
    rec = record_once(folder / "history.sqlite3")
    assert rec.status == "failed"
    assert [n.code for n in rec.take_notices()] == [NoticeCode.PATH_REFUSED]
    rec.close()
    assert target.read_bytes() == b""


def test_a_folder_of_another_user_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to hand a folder to another user")
    folder = tmp_path / "loopgui"
    folder.mkdir(mode=0o755)
    os.chown(folder, 12345, 12345)
    with pytest.raises(UnsafePath) as refused:
        paths.private_dir(folder)
    assert refused.value.problem is PathProblem.OTHER_OWNER
    assert mode(folder) == 0o755


def test_the_autostart_entry_is_private_and_never_written_through_a_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask: int
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    where = autostart.enable(["/usr/bin/loopgui", "--background"], "linux")
    entry = Path(where.path)
    assert mode(entry) == 0o600 and autostart.is_enabled("linux")
    assert "Exec=/usr/bin/loopgui --background" in entry.read_text()
    entry.unlink()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    entry.symlink_to(victim)
    with pytest.raises(UnsafePath) as refused:
        autostart.enable(["/usr/bin/loopgui", "--background"], "linux")
    assert refused.value.problem is PathProblem.SYMLINK
    assert victim.read_text() == "keep me"
    assert not autostart.is_enabled("linux")  # a link is not loopgui's entry
    autostart.disable("linux")  # removes the link itself, never its target
    assert not os.path.lexists(entry) and victim.read_text() == "keep me"


@pytest.fixture
def clean_logging() -> Iterator[None]:
    root = logging.getLogger("loopgui")
    before = list(root.handlers)
    saved = app._log_path
    yield
    for handler in root.handlers:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()
    app._log_path = saved


def test_the_log_file_is_private_whatever_the_umask(tmp_path: Path, umask: int, clean_logging: None) -> None:
    folder = tmp_path / "cache" / "loopgui"
    path = app.setup_logging(folder)
    assert path == folder / "loopgui.log"
    logging.getLogger("loopgui.test").warning("a line with a command line in it")
    assert mode(folder) == 0o700 and mode(path) == 0o600
    assert "a line with a command line" in path.read_text()


def test_an_old_0644_log_is_tightened_and_a_linked_log_is_not_followed(tmp_path: Path, clean_logging: None) -> None:
    folder = tmp_path / "loopgui"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    (folder / "loopgui.log.1").write_text("old")
    os.chmod(folder / "loopgui.log.1", 0o644)
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    (folder / "loopgui.log").symlink_to(victim)
    assert app.setup_logging(folder) in (None, app._log_path)
    logging.getLogger("loopgui.test").warning("must not reach the link's target")
    assert victim.read_text() == "keep me"
    assert mode(folder) == 0o700 and mode(folder / "loopgui.log.1") == 0o600


def test_folders_of_each_kind() -> None:
    env = {"HOME": "/home/a"}
    assert paths.data_dir(env, "linux") == Path("/home/a/.local/share/loopgui")
    assert paths.config_dir(env, "linux") == Path("/home/a/.config/loopgui")
    assert paths.cache_dir(env, "linux") == Path("/home/a/.cache/loopgui")
    assert paths.cache_dir({**env, "XDG_CACHE_HOME": "/c"}, "linux") == Path("/c/loopgui")
    assert paths.cache_dir({**env, "XDG_CACHE_HOME": "relative"}, "linux") == Path("/home/a/.cache/loopgui")
