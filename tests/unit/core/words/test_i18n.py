"""The user's language: which one the environment asks for, and Babel's numbers, lists and times in it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from loopgui.core.words import i18n
from tests.paths import REPO


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "de_DE.UTF-8"}, "de"),
        ({"LANG": "pt_PT.UTF-8"}, "pt_BR"),
        ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
        ({"LANG": "zh_TW.UTF-8"}, "en"),  # Traditional Chinese: loopgui has none, English rather than a wrong script
        ({"LANGUAGE": "ja:en", "LANG": "en_US.UTF-8"}, "ja"),
        ({"LANGUAGE": "nl:fr", "LANG": "nl_NL.UTF-8"}, "fr"),
        ({"LC_ALL": "es_ES.UTF-8", "LANG": "de_DE.UTF-8"}, "es"),
        ({"LC_MESSAGES": "fr_FR.UTF-8", "LANG": "de_DE.UTF-8"}, "fr"),
        ({"LC_ALL": "C", "LANGUAGE": "de"}, "en"),  # gettext ignores LANGUAGE under the C locale
        ({"LANG": "nl_NL.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
    ],
)
def test_the_system_language_is_read_as_gettext_reads_it(environ: dict[str, str], expected: str) -> None:
    assert i18n.system_language(environ) == expected


@pytest.mark.parametrize("tag", ["", "C", "POSIX", "xx_YY", "../../etc", "de\x00"])
def test_junk_language_names_mean_no_language(tag: str) -> None:
    assert i18n.match_language(tag) in (None, "de")


def test_a_missing_catalog_leaves_english_without_an_error(tmp_path: object) -> None:
    assert i18n.set_language("fr", locale_dir=tmp_path) == "fr"  # type: ignore[arg-type]
    assert i18n._("Port") == "Port"


def test_numbers_lists_and_times_follow_the_language() -> None:
    i18n.set_language("de")
    assert i18n.format_number(20040) == "20.040"
    assert i18n.format_list(["a", "b", "c"]) == "a, b und c"
    assert i18n.format_duration(180, add_direction=True) == "vor 3 Minuten"
    i18n.set_language("en")
    assert i18n.format_number(20040) == "20,040"
    assert i18n.format_list(["a", "b"], style="or") == "a or b"
    assert i18n.format_duration(180) == "3 minutes"


def _sentences() -> list[str]:
    """Every kind of explanation rendered: a wide sample of cases, findings and steps."""
    from loopgui.core.explain.diagnosis import diagnose, explain_row
    from loopgui.core.words import explain as words
    from tests.helpers import as_map, row
    from tests.unit.core.explain.test_diagnosis import env, facts

    rows = as_map(
        [
            row(3000, local="::1", program="node", pid=7),
            row(5432, program="postgres", pid=77),
            row(62839, program="python3", pid=5),
            row(8080, remote="127.0.0.1", rport=50000, state="TIME_WAIT", pid=None, program=""),
            row(50111, remote="127.0.0.1", rport=5432, program="psql", pid=9),
        ]
    )
    texts = [
        "connect ECONNREFUSED 127.0.0.1:3000",
        "connect ECONNREFUSED localhost:3000",
        "EADDRINUSE :::5432",
        "EADDRINUSE 127.0.0.1:8080",
        "ECONNREFUSED 127.0.0.1:62893",
        "listen EACCES: permission denied 0.0.0.0:80",
        "ssh: connect to host 10.1.1.1 port 22: Connection timed out",
        "getaddrinfo ENOTFOUND localhost",
        "getaddrinfo ENOTFOUND db.internal",
        "Can't connect to MySQL server on 'localhost' (10061)",
        "connection refused",
        "nothing here at all, port 70000",
        "",
        "ETIMEDOUT 127.0.0.1:5432",
    ]
    out = []
    for text in texts:
        r = words.render(diagnose(text, rows, env=env(), facts=facts))
        out += [r.headline, *(f.text for f in r.findings), *r.next_steps, *r.problems]
        out += [d for f in r.findings for d in [f.detail] if d] + [label for label, _v in r.details]
    for picked in rows.values():
        r = words.render(explain_row(picked, rows, env=env(), facts=facts))
        out += [r.headline, *(f.text for f in r.findings)]
    return out


def test_every_sentence_of_an_explanation_goes_through_gettext() -> None:
    """In the pseudo-language every sentence starts with its mark: English glued outside _() would not."""
    i18n.set_pseudo()
    sentences = _sentences()
    assert len(sentences) > 80
    for text in sentences:
        assert text.startswith(i18n.Pseudo.MARK), text


def test_the_catalogs_are_complete_and_keep_every_placeholder() -> None:
    import importlib.util

    script = REPO / "scripts" / "catalogs.py"
    spec = importlib.util.spec_from_file_location("catalogs", script)
    assert spec is not None and spec.loader is not None
    catalogs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(catalogs)
    fresh = catalogs.extract()
    template = catalogs._read(catalogs.TEMPLATE)
    assert {m.id for m in fresh if m.id} == {m.id for m in template if m.id}, "run scripts/catalogs.py extract"
    problems = [p for lang in catalogs.LANGUAGES for p in catalogs.problems(lang)]
    assert not problems, "\n".join(problems[:40])


def test_argparses_texts_in_the_catalog_are_the_ones_this_python_uses() -> None:
    """A Python that rewords one of argparse's texts would leave it English: each listed msgid is in argparse."""
    import argparse
    import inspect

    from loopgui.core.words import argparse_texts

    source = inspect.getsource(argparse)
    missing = [t for t in argparse_texts.TEXTS if repr(t) not in source and f'"{t}"' not in source]
    assert not missing, missing


def test_argparse_speaks_the_language_loopgui_chose(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from loopgui.core.words import argparse_texts

    argparse_texts.install()
    try:
        i18n.set_language("fr")
        parser = argparse.ArgumentParser(prog="loopgui wait")
        parser.add_argument("target")
        with pytest.raises(SystemExit):
            parser.parse_args(["a", "b"])
        assert capsys.readouterr().err.splitlines() == [
            "utilisation : loopgui wait [-h] target",
            "loopgui wait : erreur : arguments non reconnus : b",
        ]
    finally:
        i18n.set_language("en")
    assert parser.format_usage() == "usage: loopgui wait [-h] target\n"
