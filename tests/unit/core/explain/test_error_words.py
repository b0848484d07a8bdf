"""The error words the endpoint finder reads from catalogs (loopgui/resources/error_words.json, strerror_l10n.json):
generated from their sources, and each giving the right kind without any English word or number."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from types import ModuleType

import pytest

from loopgui.core.explain.endpoints import ErrorKind, find_endpoints
from tests.paths import REPO

ROOT = REPO
STRERROR = json.loads((ROOT / "loopgui" / "resources" / "strerror_l10n.json").read_text(encoding="utf-8"))
WORDS = json.loads((ROOT / "loopgui" / "resources" / "error_words.json").read_text(encoding="utf-8"))
SIX = ("de", "es", "fr", "pt_BR", "zh_CN", "ja")


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "resources" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _winsock_rows() -> list[dict[str, str]]:
    with (ROOT / "resources" / "error_words" / "winsock_texts.tsv").open(encoding="utf-8", newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_error_words_json_is_what_the_generator_makes() -> None:
    assert _script("generate_error_words").build() == WORDS


def test_catalog_words_cover_every_kind() -> None:
    kinds = {k.value for k in ErrorKind}
    assert set(WORDS["texts"]) == kinds
    assert set(STRERROR["kinds"]) == kinds - {"permission"}


GLIBC = [(entry["text"], kind) for kind, entries in STRERROR["kinds"].items() for entry in entries]


@pytest.mark.parametrize(("text", "kind"), GLIBC, ids=[f"{k}:{t[:30]}" for t, k in GLIBC])
def test_every_glibc_translation_gives_its_kind(text: str, kind: str) -> None:
    result = find_endpoints(f"connect: {text}")
    assert result.kind is not None and result.kind.value == kind


def test_glibc_table_has_every_libc_l10n_language_that_translates_the_texts() -> None:
    langs = {lang for entries in STRERROR["kinds"].values() for e in entries for lang in e["langs"]}
    assert {"de", "es", "fr", "pt_BR", "zh_CN", "zh_TW", "ja", "ru", "tr", "ko", "it", "pl"} <= langs
    assert len(langs) >= 30
    assert STRERROR["source"].startswith("Debian libc-l10n")


def test_short_chinese_texts_are_kept_by_their_script() -> None:
    table = _script("make_strerror_table")
    assert table.long_enough("拒绝连接") and table.long_enough("连接超时")
    assert not table.long_enough("abc") and not table.long_enough("超时")
    zh_cn = {e["text"]: kind for kind, entries in STRERROR["kinds"].items() for e in entries if "zh_CN" in e["langs"]}
    assert zh_cn["拒绝连接"] == "refused" and zh_cn["连接超时"] == "timeout"


WINDOWS = [
    (row["lang"], row["code"], row["kind"], row["text"])
    for row in _winsock_rows()
    if row["source"].startswith("[formatmessage") and row["lang"] in SIX and row["lang"] != "en"
]


@pytest.mark.parametrize(("lang", "code", "kind", "text"), WINDOWS, ids=[f"{w[0]}-{w[1]}" for w in WINDOWS])
def test_windows_own_texts_give_kind_and_port(lang: str, code: str, kind: str, text: str) -> None:
    # as .NET prints them, with the endpoint after the text
    result = find_endpoints(f"{text} 127.0.0.1:8080")
    assert result.kind is not None and result.kind.value == kind
    assert (result.endpoints[0].host, result.endpoints[0].port) == ("127.0.0.1", 8080)
    # as Python prints them: without the final stop, inside a wrapper
    assert find_endpoints(f"OSError: [WinError] {text.rstrip('.。')}").kind == ErrorKind(kind)


def test_refused_timed_out_and_in_use_in_each_of_the_six_languages() -> None:
    have = {(lang, kind) for lang, _, kind, _ in WINDOWS}
    assert {(lang, kind) for lang in SIX for kind in ("refused", "timeout", "in_use")} <= have


# Real messages (tests/data/fresh_errors.tsv) in other languages, with no English kind word or number.
REAL = [
    (
        "[1337x] Exception (1337x): Aucune connexion n’a pu être établie car l’ordinateur cible l’a expressément"
        " refusée.",
        ErrorKind.REFUSED,
    ),
    (
        "「対象のコンピューターによって拒否されたため、接続できません」",
        ErrorKind.REFUSED,
    ),
    (
        "App|Normalerweise darf jede Socketadresse (Protokoll, Netzwerkadresse oder Anschluss) nur jeweils einmal"
        " verwendet werden.",
        ErrorKind.IN_USE,
    ),
    ("2017-11-29 11:25:07|SEVERE |Exception: Verbindungsaufbau abgelehnt", ErrorKind.REFUSED),
    ("通常每个套接字地址(协议/网络地址/端口)只允许使用一次 请问", ErrorKind.IN_USE),
]


@pytest.mark.parametrize(("text", "kind"), REAL, ids=[t[:30] for t, _ in REAL])
def test_real_messages_in_other_languages(text: str, kind: ErrorKind) -> None:
    assert find_endpoints(text).kind == kind
