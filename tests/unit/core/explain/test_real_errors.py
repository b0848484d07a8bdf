"""The endpoint finder against real error messages copied from public pages (tests/data/real_errors.tsv).

A row counts as right when host, port and error kind are all right: the host compared without regard to case and
IPv6 without brackets, an empty host meaning a port with no host, kind ``none`` meaning no error kind found.
"""

from __future__ import annotations

import collections
import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from loopgui.core.explain.endpoints import find_endpoints
from tests.paths import DATA

CORPUS = DATA / "real_errors.tsv"
TARGET = 0.97
KINDS = {
    "refused",
    "in_use",
    "permission",
    "timeout",
    "reset",
    "unreachable",
    "not_found",
    "not_available",
    "family",
    "none",
}


@dataclass(frozen=True)
class Row:
    line: int
    ecosystem: str
    source: str
    host: str
    port: int | None
    kind: str
    message: str


def _unescape(text: str) -> str:
    """``\\n``, ``\\t`` and ``\\\\`` as the corpus writes them, read in one left-to-right pass."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "nt\\":
            out.append({"n": "\n", "t": "\t", "\\": "\\"}[text[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def load_corpus(path: Path = CORPUS) -> list[Row]:
    rows: list[Row] = []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        assert header == ["ecosystem", "source", "host", "port", "kind", "message"]
        for number, fields in enumerate(reader, start=2):
            assert len(fields) == 6, f"line {number}: {len(fields)} fields"
            ecosystem, source, host, port, kind, message = fields
            assert kind in KINDS, f"line {number}: kind {kind!r}"
            rows.append(Row(number, ecosystem, source, host, int(port) if port else None, kind, _unescape(message)))
    return rows


def _norm_host(host: str) -> str:
    return host.strip().strip("[]").lower()


def judge(row: Row) -> tuple[str, int | None, str]:
    """What the finder says: (host, port, kind) of its most likely endpoint, or (host, None, kind) when the text
    names a computer but no port (``FindResult.host_only``: a failed name lookup, "Can't connect to MySQL server on
    'localhost'")."""
    result = find_endpoints(row.message)
    kind = result.kind.value if result.kind is not None else "none"
    if result.host_only:
        return result.host_only, None, kind
    if result.endpoints:
        best = result.endpoints[0]
        return best.host, best.port, kind
    return "", None, kind


def is_right(row: Row, got: tuple[str, int | None, str]) -> bool:
    host, port, kind = got
    return _norm_host(host) == _norm_host(row.host) and port == row.port and kind == row.kind


def accuracy_table(rows: list[Row]) -> tuple[float, list[str], list[str]]:
    """(share right, a line per ecosystem, a line per miss)."""
    per: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    misses: list[str] = []
    right = 0
    for row in rows:
        got = judge(row)
        ok = is_right(row, got)
        per[row.ecosystem][0] += ok
        per[row.ecosystem][1] += 1
        right += ok
        if not ok:
            want = f"{row.host or '-'} {row.port or '-'} {row.kind}"
            have = f"{got[0] or '-'} {got[1] or '-'} {got[2]}"
            snippet = " ".join(row.message.split())[:90]
            misses.append(f"line {row.line:4d} {row.ecosystem:11s} want {want:32s} got {have:32s} {snippet}")
    lines = [
        f"{eco:12s} {ok:4d}/{n:<4d} {100 * ok / n:5.1f}%"
        for eco, (ok, n) in sorted(per.items(), key=lambda item: (-item[1][1], item[0]))
    ]
    return right / len(rows), lines, misses


def test_corpus_is_well_formed() -> None:
    rows = load_corpus()
    assert len(rows) >= 200
    assert all(r.source.startswith("http") for r in rows)
    assert all(r.port is None or 1 <= r.port <= 65535 for r in rows)


def test_real_errors_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    rows = load_corpus()
    share, per_ecosystem, misses = accuracy_table(rows)
    report = [f"real error messages: {share:.1%} right ({len(rows)} rows; target {TARGET:.0%})", *per_ecosystem]
    with capsys.disabled():
        print("\n" + "\n".join(report))
    assert share >= TARGET, "\n".join([*report, "misses:", *misses])
