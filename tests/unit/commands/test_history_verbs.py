"""`loopgui history` and `loopgui record` input handling (the real recording is in tests/e2e)."""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import pytest

from loopgui.cli import VERBS, run_verb
from loopgui.commands.history import main as history_main
from loopgui.commands.history import parse_duration
from loopgui.commands.record import main as record_main
from loopgui.core.history.reader import HistoryReader
from loopgui.core.history.recorder import Recorder
from loopgui.core.history.store import ProgramInfo
from loopgui.core.net.scanner import Scanner
from tests.helpers import ScriptedSource, row, snapshot


def test_durations() -> None:
    assert parse_duration("90") == 90
    assert parse_duration("10m") == 600
    assert parse_duration("1h30m") == 5400
    assert parse_duration("2d") == 172800
    assert parse_duration("1.5h") == 5400
    for bad in ("", "soon", "-1h", "0", "h", "1x", "9" * 50):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_verbs_are_registered() -> None:
    assert {"history", "record", "wait"} <= set(VERBS)


def test_history_without_any_recording_says_how_to_start(tmp_path: Path) -> None:
    out = io.StringIO()
    assert history_main(["3000"], out=out, path=tmp_path / "none.sqlite3") == 1
    assert "No history recorded yet" in out.getvalue() and "loopgui record" in out.getvalue()


@pytest.mark.parametrize(
    "argv", [["70000"], ["0"], ["3000", "--since", "soon"], ["no address here"], ["--bogus"], ["--limit", "0"]]
)
def test_history_bad_input_exits_2_in_plain_words(argv: list[str]) -> None:
    err = io.StringIO()
    assert run_verb(["history", *argv]) == 2 if argv == ["--bogus"] else history_main(argv, err=err) == 2
    assert "Traceback" not in err.getvalue()


def test_history_by_port_address_and_text(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    rec = Recorder(db, lookup=lambda pid: ProgramInfo(1.0, "node server.js", "alice"))
    first = snapshot([row(3000, pid=812, program="node"), row(40000, remote="10.0.0.9", rport=443, pid=812)])
    rec.record(first)
    rec.record(snapshot([row(3000, pid=812, program="node")], previous=first.rows))
    rec.close()
    out = io.StringIO()
    assert history_main(["3000"], out=out, path=db) == 0
    assert "node server.js (PID 812) listened on 127.0.0.1:3000 (TCP)" in out.getvalue()  # named as the table does
    assert "user alice; command: node server.js" in out.getvalue()
    out = io.StringIO()
    assert history_main(["error: connect ECONNREFUSED 127.0.0.1:3000", "--json"], out=out, path=db) == 0
    data = json.loads(out.getvalue())
    assert data["port"] == 3000 and data["sockets"][0]["program"] == "node"
    assert data["sockets"][0]["listening"] and data["sockets"][0]["pid"] == 812  # facts, and the line beside them
    assert data["sockets"][0]["text"].startswith("node server.js (PID 812) listened on 127.0.0.1:3000 (TCP) from ")
    out = io.StringIO()
    assert history_main(["10.0.0.9"], out=out, path=db) == 0
    assert "connected to 10.0.0.9:443" in out.getvalue()
    assert history_main(["3001"], out=io.StringIO(), path=db) == 1
    assert history_main(["--since", "1s"], out=io.StringIO(), path=db) in (0, 1)


def test_record_in_process_stops_when_told(tmp_path: Path) -> None:
    source = ScriptedSource(lambda: [row(3000, pid=812, program="node")])
    stop = threading.Event()
    rec = Recorder(tmp_path / "h.sqlite3", lookup=lambda pid: None)
    timer = threading.Timer(0.8, stop.set)
    timer.start()
    out = io.StringIO()
    start = time.monotonic()
    rc = record_main(["--interval", "0.5", "--json"], out=out, scanner=Scanner(source), recorder=rec, stop=stop)
    timer.join()
    assert rc == 0 and time.monotonic() - start < 5
    assert json.loads(out.getvalue())["stopped_by"] == "signal"
    (span,) = HistoryReader(tmp_path / "h.sqlite3").port_history(3000)
    assert span.program == "node" and not span.open


@pytest.mark.parametrize("argv", [["--interval", "0"], ["--interval", "100"], ["--for", "-3"], ["--for", "x"]])
def test_record_bad_input_exits_2(argv: list[str]) -> None:
    err = io.StringIO()
    assert record_main(argv, out=io.StringIO(), err=err) == 2
    assert "Traceback" not in err.getvalue()
