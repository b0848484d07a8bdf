"""Redaction on real command lines (tests/data/secret_cmdlines.tsv, issue 21): every secret hidden, and a line
without a secret left exactly as it was.  Markers (SECRET1, …) stand where the real secrets were; the test also
puts values of the original shapes in their place, so the result does not hang on the marker's spelling."""

from __future__ import annotations

import re

import pytest

from loopgui.core.text.redact import HIDDEN, redact_text
from tests.paths import DATA

CORPUS = DATA / "secret_cmdlines.tsv"

# Secrets given as bare positional words of programs loopgui has no rule for: nothing in the line says which word
# is the password.  Listed so that a change that catches them (or loses another) is noticed.
KNOWN_MISSES = {
    # ruby test_smb.rb HOST USER PASSWORD SHARE …: a test script's own argument order.
    ("https://github.com/rapid7/ruby_smb/issues/159", "SECRET1"),
    # docker run m31271n/htpasswd <username> PASSWORD: an image whose entry point takes user and password; the same
    # two words are "FILE USER" for htpasswd itself (it then asks for the password).
    ("https://github.com/nginx-proxy/nginx-proxy/pull/605", "SECRET1"),
}
# Values of the shapes the markers replaced (README, "Original value shapes"), made up here.
SHAPES = ["hunter2", "Zq3vN8wLk2Tx", "9f2c4e1b7d8a6f5e0c2b9a8d7e6f5a4b3c2d1e0f", "app-Ab12Cd34Ef56Gh78Ij90Kl12"]


def unescape(field: str) -> str:
    """The corpus's escapes: \\\\ a backslash, \\t a tab, \\n a new line (one pass, left to right)."""
    out: list[str] = []
    i = 0
    while i < len(field):
        if field[i] == "\\" and i + 1 < len(field):
            out.append({"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}[field[i + 1]])
            i += 2
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def rows() -> list[tuple[str, str, list[str], str]]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == ["source", "shape", "secrets", "cmdline"]
    out = []
    for line in lines[1:]:
        source, shape, secrets, cmdline = line.split("\t")
        out.append((source, shape, [s for s in secrets.split(",") if s], unescape(cmdline)))
    return out


ROWS = rows()


def left_visible(marker: str, text: str) -> bool:
    return re.search(r"(?<![A-Za-z0-9])" + re.escape(marker) + r"(?![0-9])", text) is not None


def test_the_corpus_is_there_and_has_both_kinds() -> None:
    assert len(ROWS) >= 150
    assert sum(1 for r in ROWS if r[2]) >= 100 and sum(1 for r in ROWS if not r[2]) >= 30


@pytest.mark.parametrize(("source", "shape", "secrets", "cmdline"), [r for r in ROWS if r[2]], ids=lambda v: "")
def test_every_secret_is_hidden(source: str, shape: str, secrets: list[str], cmdline: str) -> None:
    shown = redact_text(cmdline)
    left = [m for m in secrets if left_visible(m, shown)]
    expected = [m for m in secrets if (source, m) in KNOWN_MISSES]
    assert left == expected, f"{shape}: {shown!r}"
    assert redact_text(shown) == shown  # idempotent


@pytest.mark.parametrize("value", SHAPES)
def test_every_secret_of_a_real_shape_is_hidden(value: str) -> None:
    for source, shape, secrets, cmdline in ROWS:
        if not secrets:
            continue
        line = cmdline
        for n, marker in enumerate(sorted(secrets, key=len, reverse=True)):
            line = line.replace(marker, f"{value}{n}" if n else value)
        shown = redact_text(line)
        for n, marker in enumerate(sorted(secrets, key=len, reverse=True)):
            real = f"{value}{n}" if n else value
            if (source, marker) in KNOWN_MISSES:
                continue
            assert real not in shown.replace(HIDDEN, ""), f"{shape}: {shown!r}"


@pytest.mark.parametrize(("source", "shape", "secrets", "cmdline"), [r for r in ROWS if not r[2]], ids=lambda v: "")
def test_a_line_without_a_secret_is_left_as_it_was(source: str, shape: str, secrets: list[str], cmdline: str) -> None:
    assert redact_text(cmdline) == cmdline, shape


@pytest.mark.parametrize(
    ("line", "shown"),
    [  # the shapes named in issue 21, as a program's own argv would hold them
        ("curl -u user:PASS https://example.org/", "curl -u user:(hidden) https://example.org/"),
        ("curl -uuser:PASS https://example.org/", "curl -uuser:(hidden) https://example.org/"),
        ("smbclient -U user%PASS //server/share", "smbclient -U user%(hidden) //server/share"),
        ("htpasswd -b /etc/nginx/.htpasswd user PASS", "htpasswd -b /etc/nginx/.htpasswd user (hidden)"),
        ("htpasswd -nbB user PASS", "htpasswd -nbB user (hidden)"),
        ("docker login -p PASS registry.example", "docker login -p (hidden) registry.example"),
        ("git clone https://TOKEN@github.com/a/b.git", "git clone https://(hidden)@github.com/a/b.git"),
        (
            "curl -d x https://hooks.slack.com/services/T0/B0/TOKENPART",
            "curl -d x https://hooks.slack.com/services/T0/B0/(hidden)",
        ),
        ("curl https://discord.com/api/webhooks/123/TOKENPART", "curl https://discord.com/api/webhooks/123/(hidden)"),
        ("tool --pw PASS", "tool --pw (hidden)"),
        ("xh --bearer PASS example.org", "xh --bearer (hidden) example.org"),
        ("curl --cookie session=PASS example.org", "curl --cookie session=(hidden) example.org"),
        ("curl --cookie=session=PASS example.org", "curl --cookie=session=(hidden) example.org"),
        ("curl -b cookies.txt example.org", "curl -b cookies.txt example.org"),  # a file of cookies: no secret
        ("ssh -p 2222 -l user host", "ssh -p 2222 -l user host"),
        ("docker run -u 1000 -p 8080:80 image", "docker run -u 1000 -p 8080:80 image"),
    ],
)
def test_the_shapes_of_the_issue(line: str, shown: str) -> None:
    assert redact_text(line) == shown
    assert redact_text(shown) == shown
