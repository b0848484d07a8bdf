"""The endpoint finder against a second, frozen set of real error messages (tests/data/fresh_errors.tsv).

The set was gathered from sources the finder had never been tuned on and committed before any finder change of
issue 26, so its score says how well the finder reads shapes rather than remembered examples.  Rows are judged as in
test_real_errors: host, port and kind all right.
"""

from __future__ import annotations

import pytest

from tests.paths import DATA
from tests.unit.core.explain.test_real_errors import accuracy_table, load_corpus

FRESH = DATA / "fresh_errors.tsv"
TARGET = 0.97


def test_fresh_corpus_is_well_formed() -> None:
    rows = load_corpus(FRESH)
    assert len(rows) >= 200
    assert all(r.source.startswith("http") for r in rows)
    assert all(r.port is None or 1 <= r.port <= 65535 for r in rows)
    assert len({r.message for r in rows}) == len(rows)


def test_fresh_sources_are_not_in_the_tuning_corpus() -> None:
    tuned = {r.source for r in load_corpus()}
    assert not [r.source for r in load_corpus(FRESH) if r.source in tuned]


def test_fresh_errors_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    rows = load_corpus(FRESH)
    share, per_ecosystem, misses = accuracy_table(rows)
    report = [f"fresh error messages: {share:.1%} right ({len(rows)} rows; target {TARGET:.0%})", *per_ecosystem]
    with capsys.disabled():
        print("\n" + "\n".join(report))
    assert share >= TARGET, "\n".join([*report, "misses:", *misses])
