"""Regenerate loopgui/resources/error_words.json, the words by which the endpoint finder knows an error's kind.

The words come from the catalogs in resources/error_words/ (see SOURCES.md there): error names, numbers and texts
copied from the software that prints them (glibc, Apple's Libc, Windows Sockets, curl, Go, OpenSSH, Java, .NET,
Python, Node, Chrome, Rust) and Windows' own texts in other languages.  To refresh after editing a catalog:

    python resources/generate_error_words.py

Each catalog row gives a ``pattern`` and a ``kind``.  A row is kept when its kind is one the finder knows and its
pattern says that kind by itself:

* names (``ECONNREFUSED``, ``WSAETIMEDOUT``, ``ERR_NAME_NOT_RESOLVED``, ``java.net.NoRouteToHostException``,
  ``ConnectionRefusedError``) are strong words;
* error numbers (errno on Linux and macOS, Windows Sockets) are read after "errno", "[WinError", "os error", ...;
* texts ("Connection refused", Windows' sentences in each language) are words; a Windows sentence is also kept by
  its longest clause, which carries the reason, as pastes often wrap or cut the sentence.

Rows are left out when they are a format string (``%s``), a probe's output with its address, shorter than a word
can be without matching inside others (fewer than 8 letters, or 3 Chinese or Japanese characters), Microsoft's
machine-translated documentation rather than what Windows prints, or listed in ``LEFT_OUT`` with the reason.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent / "error_words"
OUT = Path(__file__).resolve().parent.parent / "loopgui" / "resources" / "error_words.json"
KINDS = ("refused", "in_use", "permission", "timeout", "reset", "unreachable", "not_found", "not_available", "family")
CATALOGS = ("errno.tsv", "winsock.tsv", "curl.tsv", "go_net.tsv", "openssh.tsv", "exceptions.tsv")

# Patterns whose kind the rest of the message decides, or that mean something else in a paste.
LEFT_OUT: dict[str, str] = {
    "java.net.ConnectException": "thrown for every failed connect; its message says why",
    "java.net.BindException": "thrown for in use, not available and permission alike",
    "socket.gaierror": "any name lookup failure, also an address family one",
    "socket.herror": "any resolver failure",
    "lookup": "Go prefixes every name lookup error with it",
    "timeouterror": "Python wraps refusals in it too (pymongo ServerSelectionTimeoutError)",
    "address in use": "also matches inside 'address in user ...'; 'address already in use' is kept",
    "connection aborted": "requests' ConnectionError('Connection aborted.', ...) wraps the real cause",
    "err_connection_aborted": "Chrome's code for a data timeout, seen far less than the words 'connection aborted'",
    "ECONNABORTED": "axios reports its own timeouts with this code; the finder reads it as a word, weaker than a code",
    "tryagain": ".NET's SocketError.TryAgain: too plain a word run together",
    "norecovery": ".NET's SocketError.NoRecovery: too plain a word run together",
    "accessdenied": "any access denied (files, cloud storage), not only a socket",
    "permissionerror": "Python's PermissionError is mostly about files",
    "unknown server error": "any server error",
    "this is a nonrecoverable error": "any error",
}
_NAME = re.compile(
    r"[A-Z][A-Z0-9_]{3,}|[a-z]{2,}(?:\.[a-z]{2,})*\.[A-Z]\w{6,}|[A-Z][a-z]+(?:[A-Z][a-z]*){2,}(?:Error)?"
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_CLAUSE = re.compile(r"[,，、。;；]")


def long_enough(text: str) -> bool:
    """At least 8 characters, or 3 Chinese, Japanese or Korean ones (拒绝连接 is four characters)."""
    return len(text) >= 8 or len(_CJK.findall(text)) >= 3


def normal(text: str) -> str:
    """Lower case, one space for any run of white space, typographic apostrophes straight, no final stop."""
    text = " ".join(text.replace("\u2019", "'").split()).lower()
    return text.rstrip(".。")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def add_text(texts: dict[str, set[str]], kind: str, text: str, clauses: bool) -> None:
    text = normal(text)
    if text in LEFT_OUT or not long_enough(text):
        return
    texts[kind].add(text)
    if clauses:
        parts = [p.strip() for p in _CLAUSE.split(text) if p.strip()]
        longest = max(parts, key=len) if len(parts) > 1 else ""
        if longest and (len(longest) >= 20 or len(_CJK.findall(longest)) >= 8):
            texts[kind].add(longest)


def add_errno_numbers(numbers: dict[str, set[str]], errno_rows: list[dict[str, str]]) -> None:
    """errno numbers of two or more digits that mean one kind on every platform catalogued (Linux 99 and macOS 49
    are both "address not available"; 102 is ENETRESET on Linux but another error on macOS, so it is left out).
    One-digit numbers ("error 1") say too little."""
    meaning: dict[str, set[str]] = {}
    for row in errno_rows:
        number = row.get("number", "")
        if number.isdigit():
            meaning.setdefault(number, set()).add(row["kind"])
    for number, kinds in meaning.items():
        if len(number) >= 2 and len(kinds) == 1 and (kind := next(iter(kinds))) in KINDS:
            numbers[kind].add(number)


def build() -> dict[str, object]:
    names: dict[str, set[str]] = {k: set() for k in KINDS}
    numbers: dict[str, set[str]] = {k: set() for k in KINDS}
    texts: dict[str, set[str]] = {k: set() for k in KINDS}
    for catalog in CATALOGS:
        for row in rows(HERE / catalog):
            kind, pattern = row["kind"], row["pattern"].strip()
            if kind not in KINDS or not pattern or "%" in pattern or "PORT" in pattern:
                continue
            if pattern.isdigit():
                if len(pattern) == 5:
                    numbers[kind].add(pattern)  # Windows Sockets: 10061, 11001
                continue
            if re.search(r"\d", pattern):
                continue  # a probe's output with its address or number: its words are catalogued on their own
            if pattern in LEFT_OUT or pattern.lower() in LEFT_OUT:
                continue
            if _NAME.fullmatch(pattern) and " " not in pattern:
                if len(pattern) >= 8:
                    names[kind].add(pattern.lower())
                continue
            add_text(texts, kind, pattern, clauses=catalog == "winsock.tsv")
        if catalog == "errno.tsv":
            add_errno_numbers(numbers, rows(HERE / catalog))
    for row in rows(HERE / "winsock_texts.tsv"):
        if row["kind"] in KINDS and row["source"].startswith("[formatmessage"):
            add_text(texts, row["kind"], row["text"], clauses=True)
            numbers[row["kind"]].add(row["code"])
    return {
        "source": "resources/error_words/*.tsv (see SOURCES.md there), by resources/generate_error_words.py",
        "names": {k: sorted(v) for k, v in names.items() if v},
        "numbers": {k: sorted(v, key=int) for k, v in numbers.items() if v},
        "texts": {k: sorted(v) for k, v in texts.items() if v},
    }


def main() -> None:
    if len(sys.argv) != 1:
        raise SystemExit(__doc__)
    data = build()
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    counts = {part: sum(len(v) for v in data[part].values()) for part in ("names", "numbers", "texts")}  # type: ignore[attr-defined]
    print(f"wrote {OUT}: {counts}")


if __name__ == "__main__":
    main()
