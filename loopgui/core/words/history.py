"""What the history says, in whole sentences: its notices (``core/history/store.py::HistoryNotice``) and the
recorded lives of sockets (``Span``: who held which address, from when to when, for how long)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from loopgui.core.history.store import HistoryNotice, NoticeCode, Span
from loopgui.core.paths import PathProblem, UnsafePath
from loopgui.core.programs.labels import program_label
from loopgui.core.words.i18n import _, format_number, ngettext
from loopgui.core.words.paths import refused_text
from loopgui.core.words.programs import closed_text, hidden_text, program_text
from loopgui.core.words.times import clock, duration


def notice_text(notice: HistoryNotice) -> str:
    """The sentence for one notice of the history (the recorder's, a reader's, Clear's)."""
    code, path, error = notice.code, notice.path, notice.error
    if code is NoticeCode.PATH_REFUSED:
        try:
            problem = PathProblem(notice.problem)
        except ValueError:
            problem = PathProblem.SYMLINK
        return _("History is not available: {reason}").format(reason=refused_text(UnsafePath(problem, Path(path))))
    if code is NoticeCode.FOLDER_UNUSABLE:
        return _("History is not recorded: loopgui cannot create its folder {path} ({error}).").format(
            path=path, error=error
        )
    if code is NoticeCode.LOCK_UNUSABLE:
        return _("History is not recorded: loopgui cannot use {path} ({error}).").format(path=path, error=error)
    if code is NoticeCode.OTHER_WRITER:
        return _(
            "Another loopgui (a window or “loopgui record”) is already recording the history, so this one records "
            "nothing; the history it records still shows here."
        )
    if code is NoticeCode.OTHER_WRITER_STOPPED:
        return _("The other loopgui stopped recording; this one records the history now.")
    if code is NoticeCode.OPEN_FAILED:
        return _("History is not recorded: the file {path} cannot be opened ({error}).").format(path=path, error=error)
    if code is NoticeCode.UNUSABLE:
        return _("History is not recorded: {path} cannot be used ({error}).").format(path=path, error=error)
    if code is NoticeCode.BUSY:
        return _(
            "Another program (not loopgui) holds the history file {path} for a moment; loopgui waits and tries again. "
            "Nothing is lost."
        ).format(path=path)
    if code is NoticeCode.BUSY_OVER:
        return _("The other program let go of the history file; loopgui records again.")
    if code is NoticeCode.DAMAGED_SET_ASIDE:
        if notice.kept_as:
            return _(
                "The history file was damaged ({error}), so loopgui started a new one. The old one is kept as "
                "{name} for 7 days (History ▸ Clear history… removes it now)."
            ).format(error=error, name=notice.kept_as)
        return _("The history file was damaged ({error}), so loopgui started a new one.").format(error=error)
    if code is NoticeCode.SET_ASIDE_FAILED:
        return _("The history file {path} is damaged and cannot be moved aside ({error}).").format(
            path=path, error=error
        )
    if code is NoticeCode.WRITE_FAILED:
        return _("History could not be written ({error}); loopgui tries again in a while.").format(error=error)
    if code is NoticeCode.RECORDING_ELSEWHERE:
        return _("Another loopgui is recording the history right now; clear it there (or stop “loopgui record”).")
    if code is NoticeCode.UNREADABLE:
        if error:
            return _(
                "The history at {path} cannot be read ({error}); everything else works without it. If loopgui once "
                "ran as administrator, that folder may belong to the administrator: remove it or give it back to "
                "your user."
            ).format(path=path, error=error)
        return _("The history at {path} cannot be read; everything else works without it.").format(path=path)
    return ngettext(
        "{count} recorded socket has damaged values and is left out.",
        "{count} recorded sockets have damaged values and are left out.",
        notice.count,
    ).format(count=format_number(notice.count))


def set_aside_text(count: int, size: int) -> str:
    """``2 damaged copies of the history are kept (3.1 MB); they go after 7 days or with Clear history…``."""
    return ngettext(
        "{count} damaged copy of the history is kept ({megabytes} MB); it goes after 7 days, or now with Clear "
        "history….",
        "{count} damaged copies of the history are kept ({megabytes} MB); they go after 7 days, or now with Clear "
        "history….",
        count,
    ).format(count=format_number(count), megabytes=format_number(round(size / 1e6, 1)))


def not_a_port(text: str) -> str:
    """``loopgui history ²``: the plain refusal (exit 2)."""
    shown = text if len(text) <= 12 else text[:12] + "…"
    return _("loopgui history: “{text}” is not a port number: ports go from 1 to 65535.").format(text=shown)


def no_history_yet() -> str:
    return _(
        "No history recorded yet. loopgui records while its window is open (History tab), or run “loopgui record” to "
        "record without a window."
    )


def nothing_recorded(port: int | None, address: str, since: str) -> str:
    """``Nothing recorded for port 3000 in the last 1h.`` (``since`` as the user typed it, or empty)."""
    if port is not None:
        if since:
            return _("Nothing recorded for port {port} in the last {since}.").format(port=port, since=since)
        return _("Nothing recorded for port {port}.").format(port=port)
    if address:
        if since:
            return _("Nothing recorded for {address} in the last {since}.").format(address=address, since=since)
        return _("Nothing recorded for {address}.").format(address=address)
    if since:
        return _("Nothing recorded for any port in the last {since}.").format(since=since)
    return _("Nothing recorded for any port.")


def history_title(port: int | None, address: str, since: str) -> str:
    """``History of port 3000 in the last 1h, newest first:``."""
    if port is not None:
        if since:
            return _("History of port {port} in the last {since}, newest first:").format(port=port, since=since)
        return _("History of port {port}, newest first:").format(port=port)
    if address:
        if since:
            return _("History of {address} in the last {since}, newest first:").format(address=address, since=since)
        return _("History of {address}, newest first:").format(address=address)
    if since:
        return _("History of any port in the last {since}, newest first:").format(since=since)
    return _("History of any port, newest first:")


# -- a socket's recorded life ----------------------------------------------------------------------------------------


def _command_words(command: str) -> list[str]:
    """The words of a stored command line (as ``redact_command`` joined them); plain splitting where quotes do not
    pair up."""
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def span_program(span: Span) -> str:
    """``python3 -m http.server 8000 (PID 812)``: named as the table names it, not just "python3"."""
    if span.pid is None:
        return closed_text() if span.first_seen_closing else hidden_text()
    return program_text(program_label(span.program, _command_words(span.command)), span.pid)


def span_doing(span: Span) -> str:
    """``listened on 127.0.0.1:3000 (TCP)``: the History tab's "What" column (the program is its own column)."""
    if span.listened:
        return _("listened on {address} ({protocol})").format(address=span.local_endpoint, protocol=span.proto)
    if span.remote_endpoint:
        return _("{address} connected to {remote} ({protocol})").format(
            address=span.local_endpoint, remote=span.remote_endpoint, protocol=span.proto
        )
    return _("used {address} ({protocol})").format(address=span.local_endpoint, protocol=span.proto)


def span_what(span: Span) -> str:
    """``node (PID 812) listened on 127.0.0.1:3000 (TCP)``: who did what, without the times."""
    program = span_program(span)
    if span.listened:
        return _("{program} listened on {address} ({protocol})").format(
            program=program, address=span.local_endpoint, protocol=span.proto
        )
    if span.remote_endpoint:
        return _("{program} used {address} ({protocol}), connected to {remote}").format(
            program=program, address=span.local_endpoint, protocol=span.proto, remote=span.remote_endpoint
        )
    return _("{program} used {address} ({protocol})").format(
        program=program, address=span.local_endpoint, protocol=span.proto
    )


def span_sentence(span: Span) -> str:
    """``node (PID 812) listened on 127.0.0.1:3000 (TCP) from 10:02:11 to 10:04:55 (3 minutes).``"""
    values = {
        "program": span_program(span),
        "address": span.local_endpoint,
        "protocol": span.proto,
        "remote": span.remote_endpoint,
        "start": clock(span.first_seen),
        "end": clock(span.used_until if span.ended else span.last_seen),
        "duration": duration(span.duration),
    }
    if span.ended:
        if span.listened:
            text = _("{program} listened on {address} ({protocol}) from {start} to {end} ({duration}).")
        elif span.remote_endpoint:
            text = _(
                "{program} used {address} ({protocol}), connected to {remote}, from {start} to {end} ({duration})."
            )
        else:
            text = _("{program} used {address} ({protocol}) from {start} to {end} ({duration}).")
    elif span.listened:
        text = _("{program} listens on {address} ({protocol}) since {start}, still there at {end} ({duration}).")
    elif span.remote_endpoint:
        text = _(
            "{program} uses {address} ({protocol}), connected to {remote}, since {start}, still there at {end} "
            "({duration})."
        )
    else:
        text = _("{program} uses {address} ({protocol}) since {start}, still there at {end} ({duration}).")
    return text.format(**values)


def span_how_long(span: Span, now: float) -> str:
    """How long it was used; for one still open, how long so far (the database's last note of it lags behind:
    a listener of 40 s showed "1 s")."""
    if span.ended or not span.open:
        return duration(span.duration)
    return _("{duration} so far").format(duration=duration(max(span.duration, now - span.first_seen)))


def span_times(span: Span) -> tuple[str, str]:
    """The History tab's "From" and "To": clock times, "still open" for one not ended."""
    return clock(span.first_seen), clock(span.used_until) if span.ended else _("still open")


def report(spans: Sequence[Span], title: str) -> str:
    """``loopgui history``'s text: the title, then one line per socket and a line of its user and command."""
    lines = [title]
    for s in spans:
        start, end = span_times(s)
        lines.append(f"  {start} – {end}  ({duration(s.duration)})  {span_what(s)}")
        extra = [
            _("user {user}").format(user=s.user) if s.user else "",
            _("command: {command}").format(command=s.command) if s.command else "",
        ]
        extra_text = "; ".join(e for e in extra if e)
        if extra_text:
            lines.append(f"      {extra_text}")
    return "\n".join(lines) + "\n"
