"""The terminal face prints data, never terminal control: escapes, control characters and bad bytes are removed."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from loopgui.cli import VERBS, run_verb
from loopgui.commands.output import argv_text, clean, write_json


def test_clean_removes_escapes_and_controls() -> None:
    hostile = "a\x1b]0;title\x07b\x1b[31mc\x1b[2Jd\x9b1me\x00f\rg\u202eh\ud8ffi"
    assert clean(hostile) == "abcdefgh\ufffdi"
    assert clean("line one\n\tline two") == "line one\n\tline two"


@given(st.text())
def test_clean_leaves_no_control_character(text: str) -> None:
    out = clean(text)
    assert not any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in out)
    out.encode("utf-8")  # no lone surrogates left


def test_clean_is_linear_on_long_escape_runs() -> None:
    clean("\x1b[" + "1;" * 200_000)  # bounded repetitions: no backtracking blow-up
    clean("\x1b]" + "x" * 500_000)


def test_json_output_is_cleaned() -> None:
    out = io.StringIO()
    write_json(out, {"name": "evil\x1b[2J", "list": ["\x07"]})
    assert json.loads(out.getvalue()) == {"name": "evil", "list": [""]}


def test_argv_with_undecodable_bytes() -> None:
    word = b"127.0.0.1:9 \xff\xfe".decode("utf-8", "surrogateescape")
    assert argv_text([word]) == "127.0.0.1:9 \ufffd\ufffd"


def test_unknown_word_is_not_a_verb() -> None:
    assert run_verb(["127.0.0.1:3000"]) is None
    assert run_verb([]) is None
    assert "explain" in VERBS


def test_explain_in_a_c_locale_with_hostile_bytes() -> None:
    """Invalid UTF-8 in argv and stdin, ASCII-only output encoding: no crash, no escape reaches the terminal."""
    env = {"LC_ALL": "C", "PYTHONIOENCODING": "ascii", "PATH": "/usr/bin:/bin"}
    arg = b"\x1b]0;pwned\x07connect ECONNREFUSED 127.0.0.1:9 \xff\xc3"
    done = subprocess.run(
        [sys.executable, "-m", "loopgui", "explain", arg], capture_output=True, timeout=60, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert b"\x1b" not in done.stdout and b"\x07" not in done.stdout
    assert b"port 9" in done.stdout
    done = subprocess.run(
        [sys.executable, "-m", "loopgui", "explain", "--json"],
        input=b"\xff\xfe ECONNREFUSED 127.0.0.1:9 \x1b[2J",
        capture_output=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert b"\x1b" not in done.stdout
    assert json.loads(done.stdout)["endpoint"]["port"] == 9
