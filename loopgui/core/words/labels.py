"""Short words for what the window shows: who owns a socket, what its state means, which program it is.

Pure functions over :class:`SocketRow` and command lines, shared by the table, the tooltips, the panels and the
close dialog, so that every place calls the same thing by the same name.
"""

from __future__ import annotations

import time

from loopgui.core.net.sockets import ORPHAN_STATES, SocketRow, format_endpoint
from loopgui.core.programs.processes import running_as_admin
from loopgui.core.words.i18n import N_, _
from loopgui.core.words.programs import closed_text, hidden_text, program_text
from loopgui.core.words.states import STATE_HELP, STATE_LABELS

# Linux keeps a closed connection for 60 s (TCP_TIMEWAIT_LEN); other systems use 30–240 s.
TIME_WAIT_SECONDS = 60

# Human state names first; the technical name follows in brackets.
STATE_NAMES = STATE_LABELS

# Words explained once, in tooltips.
JARGON = {
    "PID": N_(
        "PID (process ID): the number the system gives each running program, so that two copies of the same "
        "program can be told apart."
    ),
    "socket": N_(
        "A socket is one program's end of a network connection, or its open door waiting for connections (listening)."
    ),
    "IPv4/IPv6": N_(
        "IPv4 addresses look like 127.0.0.1; IPv6 addresses look like ::1. Both can mean “this computer”, "
        "but a program listening on one does not answer on the other."
    ),
    "TCP/UDP": N_(
        "TCP carries connections (web pages, databases, most programs). UDP carries single messages (name "
        "lookups, games, video calls) and has no connection state."
    ),
}


def owner_text(row: SocketRow) -> str:
    """Who holds the socket, for the table and the panels: the program, or why there is none to show."""
    if row.pid is not None:
        return row.label or row.program or f"PID {row.pid}"
    if row.state in ORPHAN_STATES:
        return closed_text()
    return hidden_text()


def owner_explanation(row: SocketRow, *, admin: bool | None = None) -> str:
    """A sentence about a socket without a program to show, with advice only where advice helps."""
    if row.pid is not None:
        return ""
    if row.state in ORPHAN_STATES:
        return _(
            "No program holds it: the connection is already closed and the system clears it by itself "
            "(nobody needs to do anything)."
        )
    if admin is None:
        admin = running_as_admin()
    if admin:
        return _(
            "It belongs to the system (for example the kernel or a container), so there is no program to show or close."
        )
    return _("It belongs to another user or the system. Run loopgui as administrator to see which program it is.")


def state_text(row: SocketRow, now: float | None = None) -> str:
    """``"Waiting for connections (LISTEN)"``; a leftover says when the kernel's timer clears it (when known)."""
    name = _(STATE_NAMES[row.state]) if row.state in STATE_NAMES else row.state.replace("_", " ").capitalize()
    if row.proto == "UDP" or row.state == "NONE":
        return name
    if row.state == "TIME_WAIT":
        if row.expires_at is None:  # the source does not tell (not the netlink one): no guessed countdown
            return _("Closing (leftover) (TIME_WAIT)")
        left = row.expires_at - (time.time() if now is None else now)
        if left < 1:
            return _("Closing (leftover, clears any moment) (TIME_WAIT)")
        seconds = int(left)  # under 1,000: the same digits in every language
        return _("Closing (leftover, clears in {seconds} s) (TIME_WAIT)").format(seconds=seconds)
    return f"{name} ({row.state})"


def state_tooltip(row: SocketRow) -> str:
    return _(STATE_HELP[row.state]) if row.state in STATE_HELP else row.state


def row_summary(row: SocketRow) -> str:
    """``TCP 127.0.0.1:8000, python3 -m http.server (PID 812), Waiting for connections (LISTEN)``: a row in one
    line, in the user's language."""
    where = format_endpoint(row.local_addr, row.local_port)
    if row.remote_port:
        where = _("{local} → {remote}").format(local=where, remote=format_endpoint(row.remote_addr, row.remote_port))
    who = program_text(row.label or row.program, row.pid) if row.pid is not None else owner_text(row)
    return _("{protocol} {endpoint}, {owner}, {state}").format(
        protocol=row.proto, endpoint=where, owner=who, state=state_text(row)
    )
