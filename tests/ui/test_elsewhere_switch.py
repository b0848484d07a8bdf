"""The table's switch for file sockets and other networks' sockets: off at start (the scanner does not read them),
on shows them with the same owner columns, off hides them again; explanations never count them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest
from pytestqt.qtbot import QtBot

from loopgui.core.net.extra_rows import FileRows, file_key
from loopgui.core.net.namespaces import Namespace, NsListener, ReadHow
from loopgui.core.net.scanner import Scanner, SourceResult, StopCheck
from loopgui.core.net.sockets import UNIX, SocketRow
from loopgui.core.net.unix import UnixListener
from loopgui.ui.main_window import MainWindow
from loopgui.ui.settings import Settings
from loopgui.ui.socket_model import Column
from tests.helpers import row

NET = [row(62893, program="python3", pid=4242)]
SPACE = Namespace(4026532301, ((4242, "node"),), ReadHow.SOCK_DIAG, (NsListener("TCP", 4, "0.0.0.0", 3000, 9, None),))


class FileSource:
    """This namespace's rows, plus one file socket when asked for file sockets."""

    name = "files"

    def __init__(self) -> None:
        self.include_files = False
        self.asked: list[bool] = []

    def read(self, previous: Mapping[bytes, SocketRow], now: float, should_stop: StopCheck) -> SourceResult:
        self.asked.append(self.include_files)
        files: dict[bytes, SocketRow] = {}
        if self.include_files:
            listener = UnixListener("/run/postgresql/.s.PGSQL.5432", 77, pid=None)
            files = FileRows().from_listeners([listener], now)
        return SourceResult({r.key: r for r in NET}, files=files)


@pytest.fixture
def window(qtbot: QtBot, settings: Settings) -> Iterator[tuple[MainWindow, FileSource, list[int]]]:
    source = FileSource()
    reads: list[int] = []

    def other_networks(owners: object) -> tuple[Namespace, ...]:
        reads.append(1)
        return (SPACE,)

    win = MainWindow(Scanner(source, other_networks=other_networks), settings)  # type: ignore[arg-type]
    win.set_interval(0.5)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.model.total == 1, timeout=5000)
    yield win, source, reads
    win.close()


def _shown(win: MainWindow) -> list[SocketRow]:
    return [r for r in win.model.rows() if not win.model.is_gone(r.key)]


def test_off_by_default_then_shown_on_request_and_hidden_again(
    window: tuple[MainWindow, FileSource, list[int]], qtbot: QtBot
) -> None:
    win, source, reads = window
    assert not win.elsewhere_check.isChecked()
    assert not any(source.asked) and not reads  # nothing extra is read while the switch is off
    win.elsewhere_check.setChecked(True)
    qtbot.waitUntil(lambda: len(_shown(win)) == 3, timeout=5000)
    by_proto = {(r.proto, r.namespace): r for r in _shown(win)}
    files = by_proto[(UNIX, 0)]
    assert files.key == file_key(77) and files.local_endpoint == "/run/postgresql/.s.PGSQL.5432"
    other = by_proto[("TCP", SPACE.ns_id)]
    assert other.local_port == 3000
    model = win.model
    at = model.row_index(other.key)
    assert model.data(model.index(at, int(Column.LOCAL_ADDRESS))) == "0.0.0.0 (another network)"
    at = model.row_index(files.key)
    assert model.data(model.index(at, int(Column.LOCAL_PORT))) == ""
    assert "instead of a network port" in str(model.data(model.index(at, int(Column.PROGRAM)), 3))  # ToolTipRole
    # explanations read the snapshot's own rows, which never hold them
    assert all(not r.elsewhere for r in win.investigation.snapshot.rows.values())  # type: ignore[union-attr]
    win.elsewhere_check.setChecked(False)
    qtbot.waitUntil(lambda: [r.local_port for r in _shown(win)] == [62893], timeout=5000)
    before = len(reads)
    qtbot.wait(1200)
    assert len(reads) == before  # no longer read
