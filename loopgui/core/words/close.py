"""Sentences about closing: the confirmation, refusals, what happened to each process, the ports afterwards, and
closing one connection.  Rendered from the facts of :mod:`loopgui.core.programs.actions`,
:mod:`loopgui.core.programs.protection` and :mod:`loopgui.core.net.netclose`; nothing else words them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from loopgui.core.net.netclose import BadConnection, BadPart, ConnectionCode, ConnectionResult
from loopgui.core.programs.actions import ClosePlan, PortAfter, PortCheck, Spared
from loopgui.core.programs.labels import command_label
from loopgui.core.programs.processes import (
    CloseOutcome,
    CloseResult,
    Identity,
    MemberCode,
    MemberResult,
    Sameness,
)
from loopgui.core.programs.protection import Guard, Protection
from loopgui.core.text.plaintext import shown
from loopgui.core.words.i18n import N_, _, format_duration, format_list, format_number, ngettext
from loopgui.core.words.managers import instead_text, manager_text
from loopgui.core.words.programs import program_text

MAX_LISTED = 8
MAX_COMMAND = 160

# What some vital programs do, in plain words, for the refusal.
VITAL_PURPOSE: Mapping[str, str] = MappingProxyType(
    {
        "sshd": N_("it lets people log in to this computer over the network"),
        "sshd-session": N_("it carries someone's remote login session"),
        "Xorg": N_("it draws your screen"),
        "X": N_("it draws your screen"),
        "Xwayland": N_("it draws the windows of older programs"),
        "gnome-shell": N_("it draws your desktop"),
        "gnome-session-binary": N_("it runs your desktop session"),
        "NetworkManager": N_("it keeps this computer connected to the network"),
        "wpa_supplicant": N_("it keeps the wireless network connected"),
        "dbus-daemon": N_("other programs use it to talk to each other"),
        "pipewire": N_("it plays and records sound"),
        "login": N_("it carries someone's login session"),
        "agetty": N_("it offers the text login screen"),
        "gdm3": N_("it shows the login screen"),
        "lightdm": N_("it shows the login screen"),
        "sddm": N_("it shows the login screen"),
        "containerd": N_("it runs containers"),
        "dockerd": N_("it runs Docker containers"),
        "cron": N_("it starts scheduled jobs"),
        "polkitd": N_("it decides which programs may do administrator tasks"),
        "csrss.exe": N_("Windows itself depends on it"),
        "lsass.exe": N_("it checks passwords and signs you in"),
        "winlogon.exe": N_("it handles signing in and out"),
        "wininit.exe": N_("it starts Windows"),
        "services.exe": N_("it runs every Windows service"),
        "svchost.exe": N_("it hosts Windows services"),
        "WindowServer": N_("it draws your screen"),
        "loginwindow": N_("it runs your login session"),
        "launchd": N_("it starts and keeps every other program running"),
    }
)


def _cut(text: str, limit: int = MAX_COMMAND) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _who(identity: Identity) -> str:
    return program_text(identity.name, identity.pid)


def _names(identities: Iterable[Identity]) -> str:
    return format_list([_who(i) for i in identities])


# -- refusals ---------------------------------------------------------------------------------------------------------


def protection_text(found: Protection) -> str:
    """Why loopgui will not close a process, from the evidence."""
    name = shown(found.name) or _("the program with PID {pid}").format(pid=found.pid)
    code = found.code
    if code is Guard.KERNEL_CORE:
        return _("It is the core of the operating system; closing it would stop the whole computer.")
    if code is Guard.KERNEL_THREAD:
        return _("It is part of the Linux kernel, not a program that can be closed.")
    if code is Guard.LOOPGUI_ITSELF:
        return _("That is loopgui itself. Use Quit in the File menu instead.")
    if code is Guard.LOOPGUI_PARENT:
        return _("That is the program that started loopgui; closing it would close loopgui too.")
    if code is Guard.LOOPGUI_ANCESTOR:
        return _(
            "loopgui was started through it (it is one of loopgui's parent programs); closing it would close "
            "loopgui too."
        )
    if code is Guard.DISPLAY_SERVER:
        if found.display:
            return _(
                "{program} is the display server loopgui and your other windows are shown on (display {display}); "
                "closing it would close every window on it."
            ).format(program=name, display=shown(found.display))
        return _("{program} draws the windows of older programs on your screen; closing it would close them.").format(
            program=name
        )
    if code is Guard.VITAL:
        purpose = VITAL_PURPOSE.get(found.name)
        if purpose:
            return _(
                "{program} is a vital part of the operating system ({purpose}); closing it could crash or lock the "
                "computer."
            ).format(program=name, purpose=_(purpose))
        return _(
            "{program} is a vital part of the operating system; closing it could crash or lock the computer."
        ).format(program=name)
    if code is Guard.DESKTOP_SESSION:
        return _(
            "{program} carries your desktop session (the screen, your windows and your login); closing it would log "
            "you out or close every window."
        ).format(program=name)
    if code is Guard.SYSTEM_SERVICE:
        text = _("{program} is the main program of the system service {service}, which the system manages.").format(
            program=name, service=shown(found.service)
        )
        instead = instead_text(found.manager) if found.manager is not None else ""
        return f"{text} {instead}" if instead else text
    seconds = found.seconds_after_boot or 0.0
    return _(
        "{program} was started by the system {time} after the computer started and runs as the system account "
        "{account}: a background service of the system. Closing it could stop things the computer needs."
    ).format(program=name, time=format_duration(seconds), account=shown(found.account) or "?")


def spared_reason_text(spared: Spared) -> str:
    if spared.protection is None:
        return _("its details are hidden, so loopgui cannot be sure which program it is")
    return protection_text(spared.protection)


def not_same_text(identity: Identity, sameness: Sameness, newcomer: str = "", *, sandboxed: bool = False) -> str:
    """The program is no longer (or not surely) the one the user saw."""
    who = _who(identity)
    if sandboxed:
        return _(
            "loopgui runs in a sandbox that numbers programs differently from the list it can see, so it cannot be "
            "sure which program a number belongs to, and it closes none. Close the program from where it was "
            "started instead."
        )
    if sameness == Sameness.GONE:
        return _("{program} has already ended.").format(program=who)
    if sameness == Sameness.REUSED:
        if newcomer:
            return _(
                "{program} has ended; another program ({newcomer}) now has its number, so loopgui did not touch it."
            ).format(program=who, newcomer=shown(newcomer))
        return _("{program} has ended; another program now has its number, so loopgui did not touch it.").format(
            program=who
        )
    if sameness == Sameness.CHANGED:
        return _(
            "{program} has turned into another program since loopgui saw it, so loopgui did not touch it. Look at "
            "the table again and choose once more."
        ).format(program=who)
    return _("loopgui cannot tell for sure that PID {pid} is still {program}, so it will not close it.").format(
        pid=identity.pid, program=shown(identity.name) or _("the same program")
    )


# -- results ----------------------------------------------------------------------------------------------------------


def _member_lines(result: CloseResult) -> list[str]:
    """One sentence per kind of thing that happened to the programs it started (the target is in the head)."""
    others = [m for m in result.members if not m.is_target]
    groups: dict[MemberCode, list[MemberResult]] = {}
    for m in others:
        groups.setdefault(m.code, []).append(m)
    lines: list[str] = []

    def ids(code: MemberCode) -> list[Identity]:
        return [m.identity for m in groups.get(code, [])]

    if ids(MemberCode.CLOSED):
        n = len(ids(MemberCode.CLOSED))
        lines.append(
            ngettext(
                "loopgui closed {count} program it started: {programs}.",
                "loopgui closed {count} programs it started: {programs}.",
                n,
            ).format(count=format_number(n), programs=_names(ids(MemberCode.CLOSED)))
        )
    ended = ids(MemberCode.ENDED_BEFORE_SIGNAL) + ids(MemberCode.NUMBER_REUSED)
    if ended:
        lines.append(
            ngettext(
                "{programs} had ended on its own before loopgui did anything.",
                "{programs} had ended on their own before loopgui did anything.",
                len(ended),
            ).format(programs=_names(ended))
        )
    if ids(MemberCode.DENIED):
        lines.append(
            _("Still running, because loopgui was not allowed to close them: {programs}.").format(
                programs=_names(ids(MemberCode.DENIED))
            )
        )
    running = ids(MemberCode.STILL_RUNNING) + ids(MemberCode.STOPPED_WAITING)
    if running:
        lines.append(_("Still running: {programs}.").format(programs=_names(running)))
    left = ids(MemberCode.CHANGED) + ids(MemberCode.UNKNOWN)
    if left:
        lines.append(
            _(
                "Left alone (they had turned into other programs, or loopgui could not be sure which programs they "
                "were): {programs}."
            ).format(programs=_names(left))
        )
    if result.spared and len(result.members) > 1:
        lines.append(
            _("Left running on purpose: {programs}.").format(
                programs=format_list([program_text(s.name, s.pid) for s in result.spared[:MAX_LISTED]])
            )
        )
    return lines


def result_title(result: CloseResult) -> str:
    return {
        CloseOutcome.CLOSED: _("Closed"),
        CloseOutcome.PARTLY_CLOSED: _("Partly closed"),
        CloseOutcome.ENDED_BY_ITSELF: _("It had ended by itself"),
        CloseOutcome.ALREADY_GONE: _("Already closed"),
        CloseOutcome.DENIED: _("Not allowed"),
        CloseOutcome.STILL_RUNNING: _("Still running"),
        CloseOutcome.STOPPED_WAITING: _("Still running"),
    }.get(result.outcome, _("Not closed"))


def result_text(result: CloseResult) -> str:
    """Exactly what happened, in plain words."""
    target = result.target
    if target is None:
        return _("Nothing was closed.")
    who = _who(target)
    outcome = result.outcome
    if outcome is CloseOutcome.PROTECTED and result.protection is not None:
        return _("loopgui will not close {program}. {reason}").format(
            program=shown(target.name) or who, reason=protection_text(result.protection)
        )
    if outcome in (CloseOutcome.ALREADY_GONE, CloseOutcome.NOT_SAME) and not result.members:
        return not_same_text(target, result.sameness or Sameness.UNKNOWN, result.newcomer, sandboxed=result.sandboxed)
    mine = result.member(target.pid)
    head: str
    if outcome is CloseOutcome.DENIED:
        head = _("{program} belongs to another user or to the system, so loopgui may not close it.").format(program=who)
        if len(result.members) > 1:
            head = " ".join([head, _("Nothing was closed, not even the programs it started.")])
        return head
    if outcome is CloseOutcome.NOT_SAME:
        head = not_same_text(target, result.sameness or Sameness.UNKNOWN)
    elif outcome is CloseOutcome.ENDED_BY_ITSELF:
        head = _("{program} ended on its own before loopgui sent it anything; loopgui did not close it.").format(
            program=who
        )
    elif outcome is CloseOutcome.STOPPED_WAITING:
        head = _("You stopped waiting after {time}; {program} was still running then.").format(
            time=format_duration(result.waited), program=who
        )
    elif outcome is CloseOutcome.STILL_RUNNING:
        if result.force:
            head = _("{program} is still running even after being forced.").format(program=who)
        else:
            head = _("{program} did not close within {time}.").format(program=who, time=format_duration(result.grace))
    elif mine is not None and mine.code is MemberCode.ENDED_AFTER_CHILDREN:
        head = _("{program} ended by itself once the programs it started were closed.").format(program=who)
    elif mine is not None and mine.code in (MemberCode.ENDED_BEFORE_SIGNAL, MemberCode.NUMBER_REUSED):
        head = _("{program} had ended on its own before loopgui sent it anything.").format(program=who)
    else:
        head = _("{program} closed.").format(program=who)
    if mine is not None and mine.threads_keep_it:
        head = " ".join([head, _("Its main thread has ended, but other threads of it still run and keep its sockets.")])
    lines = [head, *_member_lines(result)]
    if outcome is CloseOutcome.PARTLY_CLOSED:
        lines.append(_("Not everything it started has closed."))
    return " ".join(lines)


def retry_text(result: CloseResult, platform: str = sys.platform) -> str:
    """How to finish the job with administrator rights (loopgui never elevates by itself)."""
    if not result.retry_commands:
        return ""
    commands = "\n".join(result.retry_commands)
    if platform == "win32":
        return _(
            "Open a Command Prompt as administrator (right-click it, “Run as administrator”) and type:\n{commands}"
        ).format(commands=commands)
    return _(
        "Run in a terminal (it asks for your password; loopgui checks again that it is the same program):\n{commands}"
    ).format(commands=commands)


# -- the port afterwards ----------------------------------------------------------------------------------------------


def port_text(check: PortCheck) -> str:
    port = check.port
    if check.code is PortAfter.UNKNOWN:
        return _("loopgui could not look at its ports again to check who holds them now.")
    if check.code is PortAfter.FREE:
        return _("Port {port} is free now.").format(port=port)
    holder = check.holder
    holder_text = program_text(holder.name, holder.pid) if holder is not None else program_text("", None)
    if check.code is PortAfter.HELD_BY_LEFT_RUNNING:
        return _("Port {port} is still held by {program}, which it started and which was not closed.").format(
            port=port, program=holder_text
        )
    if check.code is PortAfter.RESTARTED_BY_MANAGER:
        if check.via == "parent":
            return _(
                "{program} has port {port} again: {parent} started the same program once more. Stop it there instead."
            ).format(program=holder_text, port=port, parent=program_text(check.via_name, check.via_pid))
        return _(
            "{program} has port {port} again: its manager ({kind} {name}) started the same program once more. "
            "Stop it there instead."
        ).format(program=holder_text, port=port, kind=shown(check.via), name=shown(check.via_name))
    return _("Another program took port {port}: {program}.").format(port=port, program=holder_text)


def ports_text(checks: Sequence[PortCheck]) -> str:
    return " ".join(port_text(c) for c in checks)


# -- the confirmation -------------------------------------------------------------------------------------------------


def plan_texts(plan: ClosePlan, grace: float) -> tuple[str, str, str, str]:
    """(question, informative text, check-box text or "", full list for the details) of a plan."""
    target = plan.target
    name = shown(target.identity.name) or _("PID {pid}").format(pid=target.identity.pid)
    label = command_label(name, target.command)  # "python3 -m http.server 8000": which python3 it is
    question = _("Close {program}?").format(program=program_text(label, target.identity.pid))
    info = [
        _(
            "Unsaved work in {program} may be lost. loopgui first asks it to close; if it does not within {time}, "
            "you can choose to force it."
        ).format(program=name, time=format_duration(grace))
    ]
    if plan.other_user:
        info.append(
            _(
                "{program} belongs to another user ({user}); loopgui can close it because it runs as administrator."
            ).format(program=name, user=shown(plan.other_user))
        )
    if plan.manager is not None:
        info.append(manager_text(plan.manager))
    n = len(plan.descendants)
    check = (
        ngettext("Also close the {count} program it started", "Also close the {count} programs it started", n).format(
            count=format_number(n)
        )
        if n
        else ""
    )
    if n:
        listed = [program_text(m.identity.name, m.identity.pid) for m in plan.descendants[:MAX_LISTED]]
        if n > MAX_LISTED:
            listed.append(_("{count} more").format(count=format_number(n - MAX_LISTED)))
        info.append(
            ngettext("It started {count} program: {programs}.", "It started {count} programs: {programs}.", n).format(
                count=format_number(n), programs=format_list(listed)
            )
        )
    if plan.spared:
        listed = [program_text(s.name, s.pid) for s in plan.spared[:MAX_LISTED]]
        if len(plan.spared) > MAX_LISTED:
            listed.append(_("{count} more").format(count=format_number(len(plan.spared) - MAX_LISTED)))
        info.append(
            _("Left running on purpose, even with the box ticked: {programs}. Show Details says why.").format(
                programs=format_list(listed)
            )
        )
    hidden = _("(command line hidden)")
    details = [
        _("{program}: {command}").format(
            program=program_text(name, target.identity.pid), command=_cut(target.command) or hidden
        )
    ]
    if n:
        details.append("")
        details.append(
            ngettext(
                "Programs it started, closed too when the box is ticked ({count}):",
                "Programs it started, closed too when the box is ticked ({count}):",
                n,
            ).format(count=format_number(n))
        )
        details.extend(
            "  "
            + _("{program}: {command}").format(
                program=program_text(m.identity.name, m.identity.pid), command=_cut(m.command) or hidden
            )
            for m in plan.descendants
        )
    if plan.spared:
        details.append("")
        details.append(_("Left running ({count}):").format(count=format_number(len(plan.spared))))
        details.extend(
            "  " + _("{program}: {reason}").format(program=program_text(s.name, s.pid), reason=spared_reason_text(s))
            for s in plan.spared
        )
    return question, "\n\n".join(info), check, "\n".join(details)


# -- one connection ---------------------------------------------------------------------------------------------------


def bad_connection_text(exc: BadConnection) -> str:
    """Why a connection cannot be named exactly (its part and value as the scan read them)."""
    if exc.part is BadPart.ADDRESS:
        return _("{value} is not an IPv{version} address").format(value=shown(exc.value), version=exc.family)
    if exc.part is BadPart.PORT:
        return _("{value} is not a port number").format(value=exc.value)
    return _("{value} is not a socket cookie").format(value=exc.value)


def connection_text(result: ConnectionResult) -> str:
    conn = result.connection
    ends = {"local": conn.local_endpoint, "remote": conn.remote_endpoint}
    code = result.code
    if code is ConnectionCode.CLOSED:
        return _("The connection between {local} and {remote} is closed.").format(**ends)
    if code is ConnectionCode.ALREADY_ENDED:
        return _("That connection has already closed.")
    if code is ConnectionCode.REPLACED:
        return _(
            "That connection has already ended. A new connection now uses the same addresses ({local} and "
            "{remote}); loopgui did not touch it."
        ).format(**ends)
    if code is ConnectionCode.NEEDS_ADMIN:
        return _(
            "Closing a single connection needs administrator rights, and loopgui does not have them (it never asks "
            "for them itself)."
        )
    if code is ConnectionCode.IPV6_UNSUPPORTED:
        return _("Windows can only close single IPv4 connections; this one uses IPv6. Close the program instead.")
    if code is ConnectionCode.UNSUPPORTED:
        if result.system.startswith("linux"):
            return _(
                "This computer's system cannot close single connections (its kernel was built without that "
                "feature). You can close the program that holds it instead."
            )
        return _(
            "This system offers no way to close a single connection from outside the program. You can close the "
            "program that holds it instead."
        )
    return _("The system refused to close the connection: {error}.").format(error=shown(result.error))


def connection_retry_text(result: ConnectionResult) -> str:
    if result.code is not ConnectionCode.NEEDS_ADMIN:
        return ""
    if result.retry_command:
        return _("Run in a terminal (it asks for your password): {command}").format(command=result.retry_command)
    return _("Start loopgui as administrator (right-click it, “Run as administrator”) and try again.")


def connection_question(local: str, remote: str, program: str) -> tuple[str, str]:
    """(question, informative text) for closing one connection; ``program`` from :func:`program_text`."""
    question = _("Close the connection of {program} between {local} on this computer and {remote}?").format(
        local=local, program=program, remote=remote
    )
    details = _(
        "Only this one connection is cut; the program keeps running. It will see the connection as broken and may "
        "connect again by itself."
    )
    return question, details


# -- the terminal verb ------------------------------------------------------------------------------------------------


def cli_nothing_listens_text(port: int) -> str:
    return _("Nothing on this computer listens on port {port}; there is nothing to close.").format(port=port)


def cli_hidden_holder_text(port: int) -> str:
    return _(
        "Port {port} is held by a program of another user or of the system; loopgui cannot see which one, so it "
        "closes nothing. Try again with administrator rights."
    ).format(port=port)


def cli_ambiguous_text(number: int) -> str:
    return _(
        "{number} is both a port something listens on and a running program's PID. Write :{number} for the port "
        "or pid:{number} for the program."
    ).format(number=number)


def cli_no_such_text(number: int) -> str:
    return _("Nothing listens on port {number}, and no running program has the PID {number}.").format(number=number)


def cli_needs_yes_text() -> str:
    return _(
        "loopgui close asks before closing, but this is not an interactive terminal. Add --yes to close without asking."
    )


def cli_question_text() -> str:
    return _("Close it? [y/N] ")


def cli_not_closed_text() -> str:
    return _("Nothing was closed.")


_BAD_INPUT: Mapping[str, str] = MappingProxyType(
    {
        "started": N_("--started must be a start time in seconds since 1970, as loopgui prints it."),
        "pid_started": N_("--pid and --started go together, without a PORT or PID."),
        "pid": N_("--pid must be a process number above 0."),
        "nothing": N_("Name a port (3000 or :3000) or a PID (pid:812)."),
        "neither": N_("{text} is neither a port (3000 or :3000) nor a PID (pid:812)."),
        "port": N_("{number} is not a port number (1 to 65535)."),
        "force_after": N_("--force-after must be a number of seconds from 0 to 3600."),
    }
)


def cli_bad_input_text(kind: str, **values: object) -> str:
    """The plain message for bad input to ``loopgui close`` (``values`` fill its placeholders)."""
    shown_values = {k: shown(repr(v) if isinstance(v, str) else str(v), 80) for k, v in values.items()}
    return _(_BAD_INPUT[kind]).format(**shown_values)
