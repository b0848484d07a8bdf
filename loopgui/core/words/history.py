"""What the history says: its notices (``core/history/store.py::HistoryNotice``), in whole sentences."""

from __future__ import annotations

from pathlib import Path

from loopgui.core.history.store import HistoryNotice, NoticeCode
from loopgui.core.paths import PathProblem, UnsafePath
from loopgui.core.words.i18n import _, format_number, ngettext
from loopgui.core.words.paths import refused_text


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
