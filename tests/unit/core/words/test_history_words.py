"""A socket's recorded life is a fact (``Span``); its sentences come from ``core/words/history.py``, in English or
in the user's language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from loopgui.core.history.store import Span
from loopgui.core.words import i18n
from loopgui.core.words.history import report, span_doing, span_program, span_sentence, span_what
from loopgui.core.words.i18n import LOCALE_DIR

TODAY_10 = datetime.now().replace(hour=10, minute=2, second=11, microsecond=0).timestamp()


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


def span(**kw: object) -> Span:
    base: dict[str, object] = {
        "proto": "TCP",
        "local_addr": "127.0.0.1",
        "local_port": 3000,
        "remote_addr": "",
        "remote_port": 0,
        "first_seen": TODAY_10,
        "last_seen": TODAY_10 + 164,
        "open": False,
        "first_state": "LISTEN",
        "last_state": "LISTEN",
        "listened": True,
        "pid": 812,
        "program": "node",
        "command": "node server.js",
        "user": "ana",
    }
    base.update(kw)
    return Span(**base)  # type: ignore[arg-type]


def test_a_span_is_facts_only() -> None:
    s = span()
    assert not hasattr(s, "who") and not hasattr(s, "sentence") and not hasattr(s, "what")
    assert (s.ended, s.used_until, round(s.duration), s.first_seen_closing) == (True, TODAY_10 + 164, 164, False)
    closed = span(pid=None, program="", first_state="TIME_WAIT", last_state="TIME_WAIT", listened=False)
    assert closed.first_seen_closing
    assert not span(pid=None, program="").first_seen_closing  # a program loopgui could not see: another user's


def test_the_history_line_in_english() -> None:
    assert span_sentence(span()) == (
        "node server.js (PID 812) listened on 127.0.0.1:3000 (TCP) "
        "from 10:02:11\u202fAM to 10:04:55\u202fAM (3 minutes)."
    )
    used = span(listened=False, remote_addr="10.0.0.5", remote_port=5432, local_port=45104, open=True, command="")
    assert span_what(used) == "node (PID 812) used 127.0.0.1:45104 (TCP), connected to 10.0.0.5:5432"
    assert span_doing(used) == "127.0.0.1:45104 connected to 10.0.0.5:5432 (TCP)"
    assert span_sentence(used).startswith(
        "node (PID 812) uses 127.0.0.1:45104 (TCP), connected to 10.0.0.5:5432, since"
    )
    assert span_program(span(pid=None, program="")) == "a program of another user or of the system"


def test_the_terminal_report_lists_user_and_command_under_each_line() -> None:
    text = report([span()], "History of port 3000, newest first:")
    lines = text.splitlines()
    assert lines[0] == "History of port 3000, newest first:"
    assert (
        lines[1] == "  10:02:11\u202fAM – 10:04:55\u202fAM  (3 minutes)  "
        "node server.js (PID 812) listened on 127.0.0.1:3000 (TCP)"
    )
    assert lines[2] == "      user ana; command: node server.js"


def test_the_history_line_renders_in_german(tmp_path: Path) -> None:
    """The German catalog, with the History line's sentence translated as a translator would: German words, German
    clock times and a German duration through Babel."""
    with (LOCALE_DIR / "de.po").open("rb") as f:
        catalog = read_po(f, locale="de")
    msgid = "{program} listened on {address} ({protocol}) from {start} to {end} ({duration})."
    german = "{program} lauschte von {start} bis {end} ({duration}) auf {address} ({protocol})."
    if catalog.get(msgid) is None:
        catalog.add(msgid, german)
    else:  # the catalog has it (untranslated until translators fill it in): as a translator would
        catalog[msgid].string = german
        catalog[msgid].flags.discard("fuzzy")
    with (tmp_path / "de.po").open("wb") as f:
        write_po(f, catalog)
    assert i18n.set_language("de", locale_dir=tmp_path) == "de"
    assert span_sentence(span()) == (
        "node server.js (PID 812) lauschte von 10:02:11 bis 10:04:55 (3 Minuten) auf 127.0.0.1:3000 (TCP)."
    )
