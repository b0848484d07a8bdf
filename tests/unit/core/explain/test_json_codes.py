"""Every code a diagnosis or a connectivity test can carry is documented in docs/JSON.md, and codes are unique
snake_case words."""

from __future__ import annotations

import enum
import re

import pytest

from loopgui.core.explain import facts
from loopgui.core.net import probes
from tests.paths import REPO

DOC = REPO / "docs" / "JSON.md"

ENUMS: tuple[type[enum.Enum], ...] = (
    facts.Case,
    facts.F,
    facts.S,
    facts.D,
    facts.Problem,
    probes.ProbeTest,
    probes.ProbeCode,
    probes.InputCode,
)


@pytest.mark.parametrize("enum_type", ENUMS, ids=lambda e: e.__name__)
def test_every_code_is_documented_and_well_formed(enum_type: type[enum.Enum]) -> None:
    text = DOC.read_text(encoding="utf-8")
    values = [m.value for m in enum_type]
    assert len(values) == len(set(values)), enum_type
    for value in values:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", value), value
        assert f"`{value}`" in text, f"{enum_type.__name__}.{value} is not in docs/JSON.md"


def test_probe_code_tables_are_as_generated() -> None:
    """docs/JSON.md's connectivity-test tables are what scripts/json_codes.py makes from the enums."""
    from scripts.json_codes import PROBES, table

    assert table(PROBES) in DOC.read_text(encoding="utf-8")
