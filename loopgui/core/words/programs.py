"""How a program, and a socket without one, is named: one wording for every surface.

``program_text`` is "python3 -m http.server 8000 (PID 812)" in the table's tooltips, the Explanation, the close
dialog, History and the terminal; ``owner_text`` says why a socket has no program to show, in one of two ways.
"""

from __future__ import annotations

import enum

from loopgui.core.words.i18n import _


class NoProgram(str, enum.Enum):
    """Why a socket has no program to show."""

    CLOSED = "closed"  # the connection is already closed: the system finishes it by itself
    HIDDEN = "hidden"  # it belongs to another user or the system (loopgui may not see which)


def program_text(name: str, pid: int | None) -> str:
    """``python3 -m http.server 8000 (PID 812)``; a program whose name is hidden is named by its PID."""
    if pid is None:
        return hidden_text()
    if not name:
        return _("a program (PID {pid})").format(pid=pid)
    return _("{program} (PID {pid})").format(program=name, pid=pid)


def hidden_text() -> str:
    """The one wording for a socket whose program belongs to another user or to the system."""
    return _("a program of another user or of the system")


def closed_text() -> str:
    """The one wording for a socket that no program holds any more (the connection is closing)."""
    return _("no program (connection already closed)")


def owner_text(why: NoProgram) -> str:
    return closed_text() if why is NoProgram.CLOSED else hidden_text()
