"""Words of the main window's own tools: the Properties of a socket, the table's and the History's row menus,
"Watch a port…", the Connectivity tab's waiting time.

Properties lists every fact loopgui holds about one socket and its program, one "Name: value" line each, plain text
(the user copies it into a message or a bug report: secrets in the command line are hidden).
"""

from __future__ import annotations

from loopgui.core.autostart import LoginItem
from loopgui.core.net.sockets import SocketRow
from loopgui.core.programs.processes import ProcessFacts
from loopgui.core.text.redact import redact_command
from loopgui.core.words.i18n import (
    N_,
    _,
    field_text,
    format_datetime,
    format_duration,
    format_list,
    format_number,
    format_percent,
    ngettext,
)
from loopgui.core.words.labels import owner_explanation, state_text
from loopgui.core.words.managers import manager_text
from loopgui.core.words.programs import program_text
from loopgui.core.words.states import STATE_HELP

# Field names of Properties, in the order shown (translated where shown).
SOCKET_FIELDS = (
    N_("Protocol"),
    N_("IP version"),
    N_("Local address"),
    N_("Local port"),
    N_("Remote address"),
    N_("Remote port"),
    N_("State"),
    N_("What the state means"),
    N_("Clears at"),
    N_("First seen"),
    N_("PID"),
    N_("Program"),
    N_("Program file"),
    N_("Why no program"),
)
PROGRAM_FIELDS = (
    N_("Name"),
    N_("Command line"),
    N_("User"),
    N_("Started"),
    N_("Parent"),
    N_("Child processes"),
    N_("Memory"),
    N_("CPU"),
    N_("Brought back by"),
    N_("Not readable"),
)


def _when(stamp: float) -> str:
    return format_datetime(stamp)


def socket_properties(row: SocketRow) -> list[tuple[str, str]]:
    """(field, value) for every fact of the socket the scan read; empty facts are left out."""
    values = {
        "Protocol": row.proto,
        "IP version": f"IPv{row.family}",
        "Local address": row.local_addr,
        "Local port": str(row.local_port),
        "Remote address": row.remote_addr,
        "Remote port": str(row.remote_port) if row.remote_port else "",
        "State": state_text(row),
        "What the state means": _(STATE_HELP[row.state]) if row.state in STATE_HELP else "",
        "Clears at": _when(row.expires_at) if row.expires_at is not None else "",
        "First seen": _when(row.first_seen),
        "PID": str(row.pid) if row.pid is not None else "",
        "Program": row.label or row.program,
        "Program file": row.path or row.exe,
        "Why no program": owner_explanation(row) if row.pid is None else "",
    }
    return [(_(name), values[name]) for name in SOCKET_FIELDS if values[name]]


def program_properties(facts: ProcessFacts) -> list[tuple[str, str]]:
    """(field, value) for what could be read about the program; what permissions hid is named, not guessed."""
    if facts.gone:
        return [(_("Name"), _("The program has ended since (PID {pid}).").format(pid=facts.pid))]
    children = format_list([program_text(name, pid) for pid, name in facts.children])
    values = {
        "Name": facts.name,
        "Command line": redact_command(facts.cmdline) if facts.cmdline else "",
        "User": facts.username,
        "Started": _when(facts.create_time) if facts.create_time is not None else "",
        "Parent": program_text(facts.parent_name, facts.ppid) if facts.ppid is not None else "",
        "Child processes": children,
        "Memory": _("{megabytes} MB").format(megabytes=format_number(round(facts.memory_rss / 1_048_576, 1)))
        if facts.memory_rss is not None
        else "",
        "CPU": format_percent(facts.cpu_percent / 100) if facts.cpu_percent is not None else "",
        "Brought back by": manager_text(facts.manager) if facts.manager is not None else "",
        "Not readable": ", ".join(facts.hidden),
    }
    return [(_(name), values[name]) for name in PROGRAM_FIELDS if values[name]]


def properties_text(row: SocketRow, facts: ProcessFacts | None) -> str:
    """Everything as plain text, one "Field: value" line each, the program's facts under their own heading."""
    lines = [_("Socket")]
    lines += ["  " + field_text(name, value) for name, value in socket_properties(row)]
    if facts is not None:
        lines += ["", _("Program")]
        lines += ["  " + field_text(name, value) for name, value in program_properties(facts)]
    elif row.pid is not None:
        lines += ["", _("Program"), "  " + _("Reading the program's facts…")]
    return "\n".join(lines) + "\n"


def properties_title(row: SocketRow) -> str:
    return _("Properties of {address}").format(address=row.local_endpoint)


def watch_port_question() -> tuple[str, str]:
    """Title and question of "Watch a port…"."""
    return _("Watch a port"), _(
        "Which port should loopgui watch? It tells you when a program starts or stops listening there (1–65535)."
    )


def waiting_text(seconds: float) -> str:
    """The Connectivity tab while a test waits: how long it has waited so far."""
    return _("Waiting for {elapsed} so far.").format(elapsed=format_duration(seconds))


def uninstalled_text(files: int) -> str:
    """After ``loopgui --uninstall-desktop``."""
    if files == 0:
        return _("loopgui was not in the application menu; the login item, if any, is removed.")
    return ngettext(
        "Removed loopgui from the application menu ({count} file) and from the programs started at login.",
        "Removed loopgui from the application menu ({count} files) and from the programs started at login.",
        files,
    ).format(count=files)


def leftovers_text(places: list[str]) -> str:
    """What ``--uninstall-desktop`` leaves, so that the user can remove loopgui completely."""
    lines = [_("Your settings, log and history stay where they are; delete them to remove every trace:")]
    lines += [f"  {place}" for place in places]
    return "\n".join(lines)


def login_item_text(item: LoginItem) -> str:
    """Where the login item was written: its file, or the Windows registry key and value."""
    if item.registry_key:
        text = _("the Windows registry ({key}, value “{value}”)")
        return text.format(key=item.registry_key, value=item.registry_value)
    return item.path
