"""Terminal-safe input and output shared by every verb.

Whatever a verb prints may hold text from a paste, a program's command line or a server's greeting: it is data.
``clean`` removes terminal control sequences and control characters (keeping new lines and tabs) and replaces
characters the terminal's encoding cannot show, so nothing printed can move the cursor, retitle the terminal or
crash on an odd locale.  ``read_stdin`` reads any bytes.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
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


class OutputFailed(Exception):
    """The verb's output cannot be written (the reader went away, the disk is full): the verb ends quietly."""

    def __init__(self, error: int | None) -> None:
        super().__init__(error)
        self.errno = error

    @property
    def closed_pipe(self) -> bool:
        return self.errno == errno.EPIPE


def silence(out: TextIO) -> None:
    """Point ``out``'s file descriptor at the null device, so that nothing left in its buffer fails again when
    Python exits (which would print "Exception ignored … BrokenPipeError")."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        fd = out.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, fd)
        finally:
            os.close(null)


def write(out: TextIO, text: str) -> None:
    """Write cleaned ``text``; characters the stream cannot encode become '?'.  A closed pipe or a full disk raises
    :class:`OutputFailed` (``cli.run_verb`` ends the verb quietly), never a traceback."""
    text = clean(text)
    encoding = getattr(out, "encoding", None) or "utf-8"
    with contextlib.suppress(LookupError):
        text = text.encode(encoding, "replace").decode(encoding, "replace")
    try:
        out.write(text)
        out.flush()
    except (OSError, ValueError) as exc:  # ValueError: the stream was closed
        silence(out)
        raise OutputFailed(exc.errno if isinstance(exc, OSError) else errno.EBADF) from exc


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
