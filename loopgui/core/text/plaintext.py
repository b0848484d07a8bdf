"""Untrusted text made safe to show: no control characters, no bidirectional overrides.

Program names, command lines and certificate fields come from other programs and servers.  A U+202E (right-to-left
override) in one would reverse the rest of the line on screen ("gpj.exe" shown for "exe.jpg"), and control
characters can break lines or a terminal.  ``shown`` removes every character of Unicode's "Other" categories (Cc,
Cf, Cs, Co, Cn) except tab and new line, which become spaces in single-line text.
"""

from __future__ import annotations


def shown(text: str, limit: int | None = None, *, single_line: bool = True) -> str:
    """``text`` without control and format characters (bidi overrides included), cut to ``limit`` characters."""
    if single_line:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    if not text.isprintable():
        keep = " \n" if not single_line else " "
        text = "".join(c for c in text if c.isprintable() or c in keep)
    if limit is not None and len(text) > limit:
        return text[:limit] + "…"
    return text
