"""Rewrite the code tables in docs/JSON.md from the enums that define them (tests check they match): the explain
codes from loopgui/core/explain/facts.py, the connectivity-test codes from loopgui/core/net/probes.py.

    python scripts/json_codes.py
"""

from __future__ import annotations

import enum
import inspect
import re
from collections.abc import Sequence
from pathlib import Path

from loopgui.core.explain import facts
from loopgui.core.net import probes

DOC = Path(__file__).resolve().parent.parent / "docs" / "JSON.md"

EXPLAIN: tuple[type[enum.Enum], ...] = (facts.Case, facts.F, facts.S, facts.D, facts.Problem)
PROBES: tuple[type[enum.Enum], ...] = (probes.ProbeTest, probes.ProbeCode, probes.InputCode)


def table(classes: Sequence[type[enum.Enum]] = EXPLAIN) -> str:
    out = []
    for cls in classes:
        out += [f"### `{cls.__name__}`", "", "| code | evidence / meaning |", "| --- | --- |"]
        body = inspect.getsource(cls)
        for member in cls:
            line = next((x for x in body.splitlines() if re.search(rf"\b{member.name} = \"", x)), "")
            comment = line.split("#", 1)[1].strip() if "#" in line else ""
            out.append(f"| `{member.value}` | {comment} |")
        out.append("")
    return "\n".join(out)


def _replace(text: str, classes: Sequence[type[enum.Enum]]) -> str:
    """Replace from the first class's heading up to the next second-level heading."""
    start = text.index(f"### `{classes[0].__name__}`")
    end = text.index("\n## ", start)
    return text[:start] + table(classes) + text[end:]


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    for classes in (EXPLAIN, PROBES):
        text = _replace(text, classes)
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
