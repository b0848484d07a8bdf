"""Rewrite the explain codes in docs/JSON.md from loopgui/core/explain/facts.py (tests check they match).

    python scripts/json_codes.py
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from loopgui.core.explain import facts

DOC = Path(__file__).resolve().parent.parent / "docs" / "JSON.md"


def table() -> str:
    out = []
    for cls in (facts.Case, facts.F, facts.S, facts.D, facts.Problem):
        out += [f"### `{cls.__name__}`", "", "| code | evidence / meaning |", "| --- | --- |"]
        body = inspect.getsource(cls)
        for member in cls:
            line = next((x for x in body.splitlines() if re.search(rf"\b{member.name} = \"", x)), "")
            comment = line.split("#", 1)[1].strip() if "#" in line else ""
            out.append(f"| `{member.value}` | {comment} |")
        out.append("")
    return "\n".join(out)


def main() -> None:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("### `Case`")
    end = text.index("\n## ", start)
    DOC.write_text(text[:start] + table() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    main()
