"""Terminal-safe input and output shared by every verb.

Whatever a verb prints may hold text from a paste, a program's command line or a server's greeting: it is data.
``clean`` removes terminal control sequences and control characters (keeping new lines and tabs) and replaces
characters the terminal's encoding cannot show, so nothing printed can move the cursor, retitle the terminal or
crash on an odd locale.  ``read_stdin`` reads any bytes.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from typing import TextIO

MAX_INPUT = 1_000_000  # characters read from standard input or the arguments

# ESC-started sequences (CSI, OSC and friends, each bounded so matching stays linear), then any other control
# character except tab and new line, C1 controls, and lone surrogates (undecodable bytes in argv).
_ESCAPES = re.compile(
    r"\x1b\[[0-?]{0,64}[ -/]{0,16}[@-~]?"  # CSI
    r"|\x1b[\]PX^_][^\x07\x1b]{0,4096}(?:\x07|\x1b\\)?"  # OSC, DCS, SOS, PM, APC
    r"|\x1b[ -/]{0,16}[0-~]?"  # other escapes
    r"|\x9b[0-?]{0,64}[ -/]{0,16}[@-~]?"  # 8-bit CSI
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def clean(text: str) -> str:
    """``text`` without control sequences, control characters, bidirectional overrides or lone surrogates."""
    return _ESCAPES.sub(lambda m: "\ufffd" if "\ud800" <= m.group()[0] <= "\udfff" else "", text)


def write(out: TextIO, text: str) -> None:
    """Write cleaned ``text``; characters the stream cannot encode become '?'; a closed pipe is not an error."""
    text = clean(text)
    encoding = getattr(out, "encoding", None) or "utf-8"
    with contextlib.suppress(LookupError):
        text = text.encode(encoding, "replace").decode(encoding, "replace")
    with contextlib.suppress(BrokenPipeError):
        out.write(text)
        out.flush()


def say(out: TextIO, text: str) -> None:
    """``write`` one line."""
    write(out, text.rstrip("\n") + "\n")


def write_json(out: TextIO, data: object) -> None:
    """JSON with every string cleaned first; non-ASCII is escaped so any terminal encoding can carry it."""
    write(out, json.dumps(_cleaned(data), indent=2, ensure_ascii=True) + "\n")


def _cleaned(data: object) -> object:
    if isinstance(data, str):
        return clean(data)
    if isinstance(data, dict):
        return {str(k): _cleaned(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_cleaned(v) for v in data]
    return data


def read_stdin(limit: int = MAX_INPUT) -> str | None:
    """Up to ``limit`` characters of standard input, any bytes accepted; None when it is a terminal or closed."""
    stream = sys.stdin
    if stream is None or stream.closed or stream.isatty():
        return None
    raw = getattr(stream, "buffer", None)
    if raw is None:
        return stream.read(limit)
    data: bytes = raw.read(limit * 4)
    return data.decode("utf-8", "replace")[:limit]


def argv_text(words: list[str]) -> str:
    """The arguments as one text; undecodable bytes (lone surrogates from the OS) become U+FFFD."""
    return " ".join(words).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
