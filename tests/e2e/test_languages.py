"""loopgui speaks the user's language: the terminal verbs follow the Language menu's choice, else LANGUAGE / LC_ALL /
LANG, the catalogs are complete and keep every placeholder, and each language's explanation is a whole translated
sentence; ``--help`` (loopgui's and each verb's) is in that language, argparse's own words included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The headline of `loopgui explain` for a port nothing listens on, as each catalog says it (the words of the
# catalog itself, so this test checks that the language is picked and used, not the translation's wording).
LANGS = {
    "de_DE.UTF-8": "de",
    "es_ES.UTF-8": "es",
    "fr_FR.UTF-8": "fr",
    "pt_BR.UTF-8": "pt_BR",
    "zh_CN.UTF-8": "zh_CN",
    "ja_JP.UTF-8": "ja",
}


def _loopgui(lang: str, *args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``loopgui ARGS`` under LANG=lang, LANGUAGE unset, with a private home (no remembered Language menu choice of
    this machine's user counts) unless ``home`` is given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    private = home or Path(tempfile.mkdtemp(prefix="loopgui-lang-"))
    env.update(LANG=lang, PYTHONPATH=str(ROOT), HOME=str(private), XDG_CONFIG_HOME=str(private / ".config"))
    return subprocess.run(
        [sys.executable, "-m", "loopgui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _explain(lang: str, *args: str) -> subprocess.CompletedProcess[str]:
    return _loopgui(lang, "explain", *args)


def _translated(code: str, msgid: str) -> str:
    from babel.messages.pofile import read_po

    with (ROOT / "loopgui" / "locale" / f"{code}.po").open("rb") as f:
        catalog = read_po(f, locale=code)
    message = catalog.get(msgid)
    assert message is not None and message.string, f"{code}: {msgid!r} is not translated"
    return str(message.string)


def _expected(code: str, port: int) -> str:
    return _translated(code, "Nothing on this computer is listening on port {port} right now.").format(port=port)


@pytest.mark.parametrize("lang", list(LANGS))
def test_loopgui_explain_speaks_the_language_of_the_environment(lang: str) -> None:
    port = 1  # nothing listens on TCP port 1 (tcpmux) on any test machine
    done = _explain(lang, "connect ECONNREFUSED 127.0.0.1:1")
    assert done.returncode == 0, done.stderr
    assert _expected(LANGS[lang], port) in done.stdout.splitlines()  # the headline, after the pasted text
    data = json.loads(_explain(lang, "--json", "connect ECONNREFUSED 127.0.0.1:1").stdout)
    assert data["case"] == {"code": "nothing_listens", "port": 1, "elsewhere": None}  # codes stay the same
    assert data["text"]["headline"] == _expected(LANGS[lang], port)


def test_english_where_no_language_is_asked_for() -> None:
    done = _explain("C.UTF-8", "connect ECONNREFUSED 127.0.0.1:1")
    assert "Nothing on this computer is listening on port 1 right now." in done.stdout.splitlines()


HELP_LANGS = {"de_DE.UTF-8": "de", "ja_JP.UTF-8": "ja"}


@pytest.mark.parametrize("lang", list(HELP_LANGS))
def test_loopgui_help_is_in_the_language_of_the_environment_argparse_words_included(lang: str) -> None:
    code = HELP_LANGS[lang]
    done = _loopgui(lang, "--help")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # argparse's own words: Python has no translation of them (Debian 12 neither); loopgui's catalog gives them.
    assert lines[0].startswith(_translated(code, "usage: ") + "loopgui ")
    assert _translated(code, "options") + ":" in lines
    assert _translated(code, "positional arguments") + ":" in lines
    assert "usage:" not in done.stdout and "options:" not in done.stdout
    # loopgui's own texts, the list of verbs in the epilog included
    assert _translated(code, "In a terminal:") in lines
    assert any(
        line.startswith("  loopgui check")
        and line.endswith(
            _translated(code, "test HOST:PORT: does it answer, is it a web page, could a program listen there")
        )
        for line in lines
    )


@pytest.mark.parametrize("lang", list(HELP_LANGS))
def test_a_verbs_help_and_argparses_errors_are_in_the_language_of_the_environment(lang: str) -> None:
    code = HELP_LANGS[lang]
    done = _loopgui(lang, "check", "--help")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(_translated(code, "usage: ") + "loopgui check ")
    assert _translated(code, "options") + ":" in lines
    assert any(_translated(code, "show this help message and exit") in line for line in lines)
    assert any(_translated(code, "print the outcome as JSON") in line for line in lines)
    bad = _loopgui(lang, "check")  # no HOST:PORT: argparse's own error, framed and worded by the catalog
    assert bad.returncode == 2
    required = _translated(code, "the following arguments are required: %s") % "target"
    assert bad.stderr.splitlines()[-1] == _translated(code, "%(prog)s: error: %(message)s\n").rstrip("\n") % {
        "prog": "loopgui check",
        "message": required,
    }


def test_the_language_menus_choice_counts_for_help_and_verbs_too(tmp_path: Path) -> None:
    """The window's rule everywhere: the language chosen in View ▸ Language, else the environment's."""
    settings = tmp_path / ".config" / "loopgui" / "loopgui.conf"  # where QSettings("loopgui", "loopgui") keeps it
    settings.parent.mkdir(parents=True)
    settings.write_text("[ui]\nlanguage=ja\n", encoding="utf-8")
    done = _loopgui("de_DE.UTF-8", "--help", home=tmp_path)
    assert done.stdout.startswith(_translated("ja", "usage: ") + "loopgui ")
    explained = _loopgui("de_DE.UTF-8", "explain", "connect ECONNREFUSED 127.0.0.1:1", home=tmp_path)
    assert _expected("ja", 1) in explained.stdout.splitlines()
    settings.write_text("[ui]\nlanguage=\n", encoding="utf-8")  # "The system's language"
    assert _loopgui("de_DE.UTF-8", "--help", home=tmp_path).stdout.startswith(_translated("de", "usage: "))
    assert _loopgui("C.UTF-8", "--help", home=tmp_path).stdout.startswith("usage: loopgui ")
