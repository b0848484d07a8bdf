"""``loopgui check HOST:PORT [--http|--https|--udp|--listen] [--timeout S] [--json]`` against real loopback servers."""

from __future__ import annotations

import io
import json
import os
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loopgui.cli import VERBS
from loopgui.commands import check
from tests.e2e.test_probe_deadlines import HEADERS, drip_server
from tests.e2e.test_probes import free_port, http_server, self_signed, tcp_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = check.main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_registered_as_a_verb() -> None:
    assert "check" in VERBS and VERBS["check"][1]() is check.main


def test_a_program_answers() -> None:
    with tcp_server(b"220 ready\r\n") as port:
        code, out, err = run(f"127.0.0.1:{port}")
    assert code == 0 and err == ""
    assert f"127.0.0.1:{port}: Connected in" in out and "It said: 220 ready" in out
    assert out.rstrip().endswith(f"Yes: a program answers on 127.0.0.1 port {port}.")


def test_nothing_answers() -> None:
    port = free_port()
    code, out, _ = run(f"127.0.0.1:{port}", "--json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and data["test"] == "tcp"
    (r,) = data["results"]
    assert r["address"] == f"127.0.0.1:{port}" and r["outcome"] == "refused" and r["code"] == "refused"
    assert r["test"] == "tcp" and r["errno"] is not None and r["greeting"] is None
    assert r["text"]["verdict"] == "Refused: nothing listens on this port there."  # the English sentence beside
    assert r["text"]["test"] == "Connect (TCP)"


def test_every_address_of_a_name_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    def localhost(host: str, port: int, type: int = 0) -> list[tuple[object, ...]]:
        assert host == "localhost"
        return [
            (socket.AF_INET6, type, 0, "", ("::1", port, 0, 0)),
            (socket.AF_INET, type, 0, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", localhost)
    with tcp_server() as port:
        code, out, _ = run(f"localhost:{port}")
    assert code == 0
    assert f"[::1]:{port}: Refused" in out and f"127.0.0.1:{port}: Connected" in out


def test_a_name_that_cannot_be_found_is_a_no(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*a: object, **k: object) -> None:
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    code, out, _ = run("no-such-host.invalid:80", "--json")
    data = json.loads(out)
    assert code == 1 and "could not be found" in data["problem"] and data["results"] == []
    assert data["lookup"]["code"] == "name_not_found" and data["lookup"]["host"] == "no-such-host.invalid"


def test_web_page_http_and_https(self_signed: ssl.SSLContext) -> None:  # noqa: F811
    with http_server() as port:
        code, out, _ = run(f"127.0.0.1:{port}", "--http", "--json")
    data = json.loads(out)
    (r,) = data["results"]
    assert code == 0 and data["ok"] and r["code"] == "page" and r["test"] == "http"
    assert r["http"]["status"] == 200 and r["http"]["title"] == "Hello <b>loopgui</b>"
    assert {"label": "Page title", "value": "Hello <b>loopgui</b>"} in r["text"]["details"]
    with http_server(self_signed) as port:
        code, out, _ = run(f"127.0.0.1:{port}", "--https")
    assert code == 0 and "self-signed" in out and "Subject: commonName=localhost" in out
    with tcp_server(b"SSH-2.0-x\r\n") as port:
        code, out, _ = run(f"127.0.0.1:{port}", "--http")
    assert code == 1 and "does not speak HTTP" in out


def test_udp() -> None:
    code, out, _ = run(f"127.0.0.1:{free_port()}", "--udp", "--timeout", "1")
    assert code == 1 and "Closed" in out


def test_listen() -> None:
    code, out, _ = run(f"127.0.0.1:{free_port()}", "--listen")
    assert code == 0 and "Yes: a program could listen" in out
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        code, out, _ = run(f"localhost:{port}", "--listen", "--json")
    data = json.loads(out)
    assert code == 1 and not data["ok"]
    outcomes = {r["address"]: r["outcome"] for r in data["results"]}
    assert outcomes[f"127.0.0.1:{port}"] == "in_use" and outcomes[f"[::1]:{port}"] == "free"
    held = next(r for r in data["results"] if r["address"] == f"127.0.0.1:{port}")
    assert held["code"] == "in_use" and held["test"] == "listen"
    # this test's own socket: the scan names this process as the holder
    assert held["holder"]["pid"] == os.getpid()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["127.0.0.1"], "has no port"),
        (["127.0.0.1:0"], "0 is not a port number"),
        (["127.0.0.1:http"], "Type a port number"),
        (["::1:80"], "IPv6 address in brackets"),
        (["$(rm -rf ~):80"], "is not a computer name or address"),
        (["a;b:80"], "is not a computer name or address"),
        (["--", "-oProxyCommand=x:22"], "is not a computer name or address"),
        (["127.0.0.1:80", "--timeout", "0"], "--timeout must be"),
        (["127.0.0.1:80", "--timeout", "-1"], "--timeout must be"),
        (["127.0.0.1:80", "--timeout", "61"], "--timeout must be"),
        (["127.0.0.1:80", "--timeout", "nan"], "--timeout must be"),
        (["127.0.0.1:80", "--timeout", "soon"], "--timeout must be"),
        (["example.com:80", "--listen"], "--listen tests this computer"),
        (["127.0.0.1:80", "--http", "--udp"], "not allowed with"),
        ([], "required"),
    ],
)
def test_bad_input_is_2_with_a_plain_message(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(*argv)
    err += capsys.readouterr().err  # argparse's own messages
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def verb(*argv: str, timeout: float = 30) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "loopgui", "check", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    return done, time.monotonic() - start


def test_ends_by_its_deadline_against_a_dripping_web_server(self_signed: ssl.SSLContext) -> None:  # noqa: F811
    """The whole program, started as a user would: a server sending one byte a second cannot keep it busy."""
    with drip_server(b"", HEADERS) as port:
        done, took = verb(f"127.0.0.1:{port}", "--http", "--timeout", "1")
    assert done.returncode == 1, done.stderr
    assert "no web page came back in time" in done.stdout
    assert took < 10  # start-up plus the 1 s limit; the old per-read limit never ended before the headers did
    with drip_server(HEADERS, b"z" * 100, context=self_signed) as port:
        done, took = verb(f"127.0.0.1:{port}", "--https", "--timeout", "1", "--json")
    data = json.loads(done.stdout)
    (r,) = data["results"]
    assert done.returncode == 0 and r["code"] == "page" and r["http"]["complete"] is False
    assert r["certificate"]["self_signed"] is True
    assert took < 10


def test_check_speaks_german_for_a_refused_port(tmp_path: Path) -> None:
    """With a German catalog every line of ``loopgui check`` is German; the codes in ``--json`` stay the same.

    The catalog is the project's German one, with the refused verdict given by this test (so that the test checks
    that the verdict goes through the catalog, whatever the translators' wording)."""
    from babel.messages.pofile import read_po, write_po

    from loopgui.core.words import i18n

    with (ROOT / "loopgui" / "locale" / "de.po").open("rb") as f:
        catalog = read_po(f, locale="de")
    refused = "Refused: nothing listens on this port there."
    catalog.delete(refused)  # whatever the translators wrote (or not yet): this test's own wording
    catalog.add(refused, "Abgelehnt: Dort wartet an diesem Port nichts.")
    with (tmp_path / "de.po").open("wb") as f:
        write_po(f, catalog)
    summary = catalog.get("No: nothing answered on {host} port {port}.")
    assert summary is not None and summary.string
    port = free_port()
    try:
        assert i18n.set_language("de", locale_dir=tmp_path) == "de"
        code, out, _ = run(f"127.0.0.1:{port}")
        json_code, json_out, _ = run(f"127.0.0.1:{port}", "--json")
    finally:
        i18n.set_language("en")
    assert code == 1 and f"  127.0.0.1:{port}: Abgelehnt: Dort wartet an diesem Port nichts." in out
    assert out.rstrip().endswith(str(summary.string).format(host="127.0.0.1", port=port))
    assert "Refused" not in out
    (r,) = json.loads(json_out)["results"]
    assert json_code == 1 and r["code"] == "refused" and r["text"]["verdict"].startswith("Abgelehnt")
