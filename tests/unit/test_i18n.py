"""The user's language: which one the environment asks for, and Babel's numbers, lists and times in it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from loopgui.core.words import i18n


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
