"""Pasted text never becomes shell syntax in a command loopgui shows ("Do it yourself", service commands)."""

from __future__ import annotations

import re
import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopgui.core.explain import diagnosis
from loopgui.core.explain.diagnosis import diagnose
from loopgui.core.explain.endpoints import Endpoint, ErrorKind, FindResult
from loopgui.core.programs.managers import from_windows_service
from loopgui.core.text import shellquote
from loopgui.core.text.shellquote import safe_host
from loopgui.core.words.explain import render
from loopgui.core.words.managers import instead_text
from tests.unit.core.explain.test_diagnosis import env, facts

HOSTILE = [
    "$(rm -rf ~)",
    "`id`",
    "a;b",
    "'; Remove-Item -Recurse C:\\ ; '",
    "&calc&",
    "evil\nrm -rf /",
    "evil\r\nid",
    "x|y",
    "a>b",
    "%PATH%",
    "a^b",
    "!x!",
    "-oProxyCommand=id",
    "--help",
    "a b",
    "a\tb",
    "‘; Remove-Item x; ’",  # PowerShell takes these curly quotes for '
    "ｅｖｉｌ；ｉｄ",  # full-width letters and semicolon
    "evil\u202eexample",  # right-to-left override
    "e\x1b[31mvil",
    "",
    "x" * 300,
    "fe80::1%$(id)",
    "1.2.3.4;id",
    "[::1];id",
]
METACHARACTERS = set("$`;&|<>()'\"\\!^%*?{}[]#~\n\r\t ")


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("::FFFF:127.0.0.1", "::ffff:7f00:1"),
        ("fe80::1%eth0", "fe80::1%eth0"),
        ("localhost", "localhost"),
        ("DB.Example.com.", "db.example.com"),
        ("my_db", "my_db"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("lоcalhost", "xn--lcalhost-nbh"),  # a Cyrillic о is shown as what it is, not as "localhost"
        ("１２７.０.０.１", "127.0.0.1"),  # full-width digits, as a paste from some editors
        *((h, None) for h in HOSTILE),
    ],
)
def test_safe_host(text: str, safe: str | None) -> None:
    assert safe_host(text) == safe


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_safe_host_never_lets_a_metacharacter_through(text: str) -> None:
    host = safe_host(text)
    if host is not None:
        assert not set(host) & METACHARACTERS - {"%"} and not host.startswith("-") and host.isascii()
        assert shlex.quote(host) == host  # needs no quoting in a POSIX shell


@pytest.mark.parametrize("word", [*HOSTILE, "plain", "O'Brien", "a'b‘c’d‚e‛f"])
def test_posix_and_powershell_quoting(word: str) -> None:
    assert shlex.split(shellquote.posix(word)) == [word] if word else shellquote.posix(word) == "''"
    quoted = shellquote.powershell(word)
    if quoted != word:
        assert quoted[0] == quoted[-1] == "'"
        inner = quoted[1:-1]
        # Inside single quotes PowerShell ends the string only at a lone quote character: every one is doubled.
        assert all(len(run) % 2 == 0 for run in re.findall(r"['\u2018\u2019\u201a\u201b]+", inner))
    else:
        assert re.fullmatch(r"[A-Za-z0-9_.:/\\=+@-]+", word) and not word.startswith("-")


@pytest.mark.parametrize("word", HOSTILE)
def test_cmd_refuses_what_it_cannot_quote(word: str) -> None:
    if re.fullmatch(r"[A-Za-z0-9 _.:,/\\=+@()'-]{1,200}", word):
        assert shellquote.cmd(word) in (word, f'"{word}"')
    else:
        with pytest.raises(ValueError):
            shellquote.cmd(word)


def test_join() -> None:
    assert shellquote.join(["nc", "-vz", "a b", "80"], "posix") == "nc -vz 'a b' 80"
    assert shellquote.join(["Test-NetConnection", "it's", "-x"], "powershell") == "Test-NetConnection 'it''s' '-x'"
    assert shellquote.join(["sc", "stop", "My Service"], "cmd") == 'sc stop "My Service"'
    with pytest.raises(ValueError):
        shellquote.join(["sc", "stop", "a&b"], "cmd")


def diy_for(host: str, platform: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The "Do it yourself" command for a paste whose endpoint has this host (the endpoint finder is replaced, so
    the command builder is tested on its own: whatever the finder lets through, the command stays safe)."""
    found = FindResult((Endpoint(host, 80, f"{host}:80"),), kind=ErrorKind.REFUSED)
    monkeypatch.setattr(diagnosis, "find_endpoints", lambda text: found)
    d = diagnose(f"connect ECONNREFUSED {host}:80", {}, env=env(platform), facts=facts)
    return render(d).do_it_yourself


@pytest.mark.parametrize("host", [*HOSTILE[:-3], "fe80::1%$(id)", "1.2.3.4;id"])
def test_do_it_yourself_never_carries_pasted_shell_syntax(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not host:
        return
    posix = diy_for(host, "linux", monkeypatch)
    command, _, note = posix.partition("   (")
    assert shlex.split(command) == ["nc", "-vz", "COMPUTER", "80"]
    assert "COMPUTER" in note
    windows = diy_for(host, "win32", monkeypatch)
    assert windows.startswith("Test-NetConnection COMPUTER -Port 80   (in PowerShell;")
    for shown in (posix, windows):
        assert host not in shown


@pytest.mark.parametrize(
    ("host", "shown"),
    [("db.example.com", "db.example.com"), ("10.0.0.5", "10.0.0.5"), ("bücher.example", "xn--bcher-kva.example")],
)
def test_do_it_yourself_with_a_valid_host(host: str, shown: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert diy_for(host, "linux", monkeypatch) == f"nc -vz {shown} 80"
    assert diy_for(host, "win32", monkeypatch) == f"Test-NetConnection {shown} -Port 80   (in PowerShell)"


_SAFE_WORD = r"(?!-)[A-Za-z0-9_.:%-]+"
KNOWN_FORMS = [
    "",
    r"ss -tulpn \| grep :\d+",
    r"lsof -nP -i :\d+",
    r"netstat -ano \| findstr :\d+",
    rf"nc -vz {_SAFE_WORD} \d+",
    rf"Test-NetConnection {_SAFE_WORD} -Port \d+",
]


@pytest.mark.parametrize(
    "text",
    [
        "$(rm -rf ~):80",
        "`id`:80",
        "a;b:80",
        "'; Remove-Item -Recurse C:\\ ; ':80",
        "&calc&:80",
        "connect ECONNREFUSED evil\nrm -rf /:80",
        "HTTPConnectionPool(host='$(id)', port=80)",
        'connect(2) for "a;b" port 80',
        "Failed to connect to lоcalhost port 80",
        "connect ECONNREFUSED ｅｖｉｌ；ｉｄ:80",
    ],
)
def test_hostile_pastes_end_to_end(text: str) -> None:
    for platform in ("linux", "win32", "darwin"):
        d = diagnose(text, {}, env=env(platform), facts=facts)
        command = render(d).do_it_yourself.partition("   (")[0]
        assert any(re.fullmatch(form, command) for form in KNOWN_FORMS), command


def test_windows_service_names_are_never_cmd_syntax() -> None:
    (m,) = [from_windows_service(7, [("a&calc&", "Evil", 7)])]
    assert m is not None and m.commands == ()  # cmd.exe cannot quote it: no command line at all
    assert "calc" not in instead_text(m)
    good = from_windows_service(7, [("My Service", "", 7)])
    assert good is not None and good.commands == ('sc stop "My Service"',)
    assert instead_text(good).endswith('`sc stop "My Service"`.')
