"""Short labels: which program it is, who owns a socket, state names, and the filter that matches them."""

from __future__ import annotations

import dataclasses
import os

import pytest

from loopgui.core.programs.labels import ProgramLabels, program_label
from loopgui.core.words.filter import RowFilter
from loopgui.core.words.labels import owner_explanation, owner_text, row_summary, state_text
from tests.helpers import row


@pytest.mark.parametrize(
    ("name", "cmdline", "label"),
    [
        ("python3", ["/usr/bin/python3", "-m", "http.server", "8000"], "python3 -m http.server 8000"),
        ("node", ["node", "/home/ann/app/server.js"], "node server.js"),
        ("python3", ["python3", "-u", "-X", "dev", "manage.py", "runserver", "0.0.0.0:8000"], None),
        ("java", ["java", "-Xmx1g", "-jar", "app.jar", "--port", "9000"], "java -jar app.jar --port 9000"),
        ("postgres", ["/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/pg"], "postgres"),
        ("python3", ["python3", "app.py", "--password=hunter2"], "python3 app.py …"),
        ("python3", ["python3", "-c", "import socket; secret"], "python3 -c …"),
        ("python3", [], "python3"),
        ("bash", ["bash"], "bash"),
    ],
)
def test_program_label(name: str, cmdline: list[str], label: str | None) -> None:
    got = program_label(name, cmdline)
    if label is None:
        assert got.startswith("python3 manage.py runserver")
    else:
        assert got == label
    assert "hunter2" not in got and len(got) <= 60


def test_long_labels_are_cut() -> None:
    got = program_label("node", ["node", "x.js", "a" * 200])
    assert len(got) == 60 and got.endswith("…")


def test_owner_words_and_advice_only_when_it_helps() -> None:
    gone = row(40000, remote="127.0.0.1", rport=8000, state="TIME_WAIT", pid=None, program="")
    hidden = row(631, pid=None, program="")
    assert owner_text(gone) == "no program (connection already closed)"
    assert owner_text(hidden) == "a program of another user or of the system"
    assert "administrator" not in owner_explanation(gone, admin=False)
    assert "administrator" in owner_explanation(hidden, admin=False)
    assert "administrator" not in owner_explanation(hidden, admin=True)
    assert owner_text(row(8000, program="python3", pid=5).__class__(**{**_fields(row(8000)), "label": "x -m y"}))


def _fields(r: object) -> dict[str, object]:
    return {f: getattr(r, f) for f in r.__dataclass_fields__}  # type: ignore[attr-defined]


def test_running_as_admin_follows_the_user() -> None:
    from loopgui.core.programs.processes import running_as_admin

    assert running_as_admin() == (os.geteuid() == 0)


def test_state_names_are_human_first() -> None:
    assert state_text(row(1)) == "Waiting for connections (LISTEN)"
    assert state_text(row(2, remote="127.0.0.1", rport=3)) == "Connected (ESTABLISHED)"
    tw = dataclasses.replace(row(4, remote="127.0.0.1", rport=5, state="TIME_WAIT", first_seen=1.0), expires_at=1060.0)
    assert state_text(tw, now=1020.0) == "Closing (leftover, clears in 40 s) (TIME_WAIT)"  # the kernel's timer
    assert "clears any moment" in state_text(tw, now=1100.0)
    unknown = dataclasses.replace(tw, expires_at=None)  # a source that cannot tell: no guessed countdown
    assert state_text(unknown, now=1020.0) == "Closing (leftover) (TIME_WAIT)"
    assert state_text(row(53, proto="UDP")) == "Open for messages"
    assert row_summary(row(8000, program="python3", pid=9)) == (
        "TCP 127.0.0.1:8000, python3 (PID 9), Waiting for connections (LISTEN)"
    )


def test_filter_matches_what_is_on_screen_and_every_word() -> None:
    gone = row(40000, remote="127.0.0.1", rport=8000, state="TIME_WAIT", pid=None, program="")
    hidden = row(631, pid=None, program="")
    server = row(8000, local="::1", program="python3", pid=9)
    server = server.__class__(**{**_fields(server), "label": "python3 -m http.server 8000"})
    for text, accepted in [
        ("hidden", {631}),
        ("nobody", {40000}),
        ("already closed", {40000}),
        ("another user", {631}),
        ("waiting for connections", {631, 8000}),
        ("leftover", {40000}),
        ("http.server", {8000}),
        ("python3 ipv6", {8000}),
        ("python3 ipv4", set()),
        ("8000 leftover", {40000}),
    ]:
        f = RowFilter(text=text)
        assert {r.local_port for r in (gone, hidden, server) if f.accepts(r)} == accepted, text


def test_program_labels_read_the_command_line_once_per_program() -> None:
    cache = ProgramLabels()
    label, path = cache.label(os.getpid(), "python3")
    assert label.startswith("python3 ") and "pytest" in label and os.path.isabs(path)
    assert cache.label(os.getpid(), "other") == (label, path)  # cached
    cache.forget_except([])
    assert cache.label(os.getpid(), "python3") == (label, path)


def test_the_close_question_says_which_program() -> None:
    from loopgui.core.programs.actions import ClosePlan, Member
    from loopgui.core.programs.processes import Identity
    from loopgui.ui.close_flow import plan_texts

    plan = ClosePlan(Member(Identity(4242, 1.0, "python3"), command="/usr/bin/python3 -m http.server 8000"))
    question, _info, _check, _details = plan_texts(plan)
    assert question == "Close python3 -m http.server 8000 (PID 4242)?"
    node = ClosePlan(Member(Identity(7, 1.0, "node"), command="node server.js --token 'abc def'"))
    assert plan_texts(node)[0] == "Close node server.js … (PID 7)?"  # secrets never shown


def test_closing_states_without_an_owner_are_leftovers_not_hidden() -> None:
    for state in ("FIN_WAIT1", "CLOSE_WAIT", "LAST_ACK"):
        r = row(8002, remote="127.0.0.1", rport=47964, state=state, pid=None, program="")
        assert owner_text(r) == "no program (connection already closed)", state


def test_the_explanation_names_the_program_as_the_table_does() -> None:
    from dataclasses import replace

    from loopgui.core.explain.diagnosis import Holder
    from loopgui.core.words.explain import who

    server = replace(row(8000, program="python3", pid=42), label="python3 -m http.server 8000")
    assert who(Holder(server).ref) == "python3 -m http.server 8000 (PID 42)"
    assert who(Holder(row(8000, program="python3", pid=42)).ref) == "python3 (PID 42)"
