"""Every code a diagnosis can carry is documented in docs/JSON.md, and codes are unique snake_case words."""

from __future__ import annotations

import re
from pathlib import Path

from loopgui.core.explain import facts

DOC = Path(__file__).resolve().parents[2] / "docs" / "JSON.md"


def test_every_code_is_documented_and_well_formed() -> None:
    text = DOC.read_text(encoding="utf-8")
    for enum_type in (facts.Case, facts.F, facts.S, facts.D, facts.Problem):
        values = [m.value for m in enum_type]
        assert len(values) == len(set(values)), enum_type
        for value in values:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", value), value
            assert f"`{value}`" in text, f"{enum_type.__name__}.{value} is not in docs/JSON.md"
