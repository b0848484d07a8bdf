"""loopgui speaks the user's language: the terminal verbs follow LANGUAGE / LC_ALL / LANG, the catalogs are
complete and keep every placeholder, and each language's explanation is a whole translated sentence."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


def _explain(lang: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    env.update(LANG=lang, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "loopgui", "explain", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _expected(code: str, port: int) -> str:
    from babel.messages.pofile import read_po

    with (ROOT / "loopgui" / "locale" / f"{code}.po").open("rb") as f:
        catalog = read_po(f, locale=code)
    message = catalog.get("Nothing on this computer is listening on port {port} right now.")
    assert message is not None and message.string, f"{code}: the headline is not translated"
    return str(message.string).format(port=port)


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
