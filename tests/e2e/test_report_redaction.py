"""Reports never carry secrets from a program's command line: Copy report, --json and the terminal text.

A real program is started with a password, a token and a database URL on its command line and listens on a port;
the diagnosis of that port is exported every way loopgui exports it.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from loopgui.commands.explain import main as explain_main
from loopgui.core.explain.diagnosis import diagnose
from loopgui.core.net.scanner import make_scanner
from loopgui.core.programs.processes import ProcessFacts, process_facts
from loopgui.core.words import explain as words
from tests.helpers import row
from tests.unit.core.explain.test_diagnosis import env

pytestmark = pytest.mark.e2e

SECRETS = ("hunter2", "ghp_1234567890abcdefghijABCDEFGHIJ", "pw123dbpass")
ARGS = ("--password", "hunter2", "--token=ghp_1234567890abcdefghijABCDEFGHIJ", "postgres://app:pw123dbpass@db/x")
SERVER = (
    "import socket, sys, time\n"
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
    "print(s.getsockname()[1], flush=True)\n"
    "sys.stdin.read()\n"
)


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
    assert "(hidden)" in text


def test_report_and_json_hide_secrets_of_a_holder() -> None:
    def facts(pid: int) -> ProcessFacts:
        return ProcessFacts(pid=pid, name="node", cmdline=("node", "server.js", *ARGS))

    rows = {r.key: r for r in [row(3000, program="node", pid=4242)]}
    d = diagnose("connect ECONNREFUSED 127.0.0.1:3000 (password=hunter2)", rows, env=env(), facts=facts)
    assert d.holders and d.holders[0].facts is not None
    assert "hunter2" in d.holders[0].facts.command  # the Program panel still gets the full line
    report = words.report(d)
    assert "command: node server.js --password (hidden) --token=(hidden) postgres://app:(hidden)@db/x" in report
    assert_clean(report)
    assert_clean(json.dumps(d.as_dict()))


@pytest.fixture
def server_with_secrets() -> Iterator[int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, *ARGS], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        yield int(proc.stdout.readline())
    finally:
        proc.stdin.close()
        proc.wait(10)
        proc.stdout.close()


def test_explain_terminal_text_and_json_hide_secrets(server_with_secrets: int) -> None:
    port = server_with_secrets
    rows = make_scanner().scan().rows
    pid = next(r.pid for r in rows.values() if r.local_port == port and r.is_listening)
    assert pid is not None and "hunter2" in process_facts(pid).command  # the secret is really there
    for extra in ([], ["--json"]):
        out = io.StringIO()
        assert explain_main([f"connect ECONNREFUSED 127.0.0.1:{port}", *extra], out, io.StringIO()) == 0
        assert_clean(out.getvalue())
