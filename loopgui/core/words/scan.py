"""What a scan could not do, in words: the notes of ``Snapshot.problems`` (``core/net/sockets.py::ScanProblem``),
shown in the window's notice bar."""

from __future__ import annotations

from loopgui.core.net.sockets import ScanProblem, ScanProblemCode
from loopgui.core.words.i18n import _, format_number, ngettext


def problem_text(problem: ScanProblem) -> str:
    code = problem.code
    if code is ScanProblemCode.INCOMPLETE:
        return _("The system's list of connections arrived incomplete; some may be missing.")
    if code is ScanProblemCode.FILE_SOCKETS_UNREADABLE:
        return _("The list of file sockets could not be read.")
    if code is ScanProblemCode.FALLBACK:
        return _("The fast way of reading connections failed; loopgui uses a slower way until it works again.")
    return ngettext(
        "{count} program belongs to other users or the system, so its connections are not listed.",
        "{count} programs belong to other users or the system, so their connections are not listed.",
        problem.count,
    ).format(count=format_number(problem.count))
