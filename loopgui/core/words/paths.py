"""What loopgui says when it refuses one of its own folders or files (``core/paths.py``)."""

from __future__ import annotations

from loopgui.core.paths import PathProblem, UnsafePath
from loopgui.core.words.i18n import _


def refused_text(exc: UnsafePath) -> str:
    """Why nothing was written at ``exc.path``, and what to do, in one or two sentences."""
    path = str(exc.path)
    if exc.problem is PathProblem.SYMLINK:
        return _(
            "loopgui did not use {path}: it is a symbolic link, and loopgui never writes through one (it could lead "
            "to a shared folder). Remove the link to let loopgui create its own private one."
        ).format(path=path)
    if exc.problem is PathProblem.NOT_A_FOLDER:
        return _("loopgui did not use {path}: it should be a folder and is not. Move it away to go on.").format(
            path=path
        )
    if exc.problem is PathProblem.NOT_A_FILE:
        return _("loopgui did not use {path}: it should be a file and is not. Move it away to go on.").format(path=path)
    return _(
        "loopgui did not use {path}: another user owns it (perhaps loopgui ran once as administrator), so it cannot "
        "be kept private. Remove it or give it back to your user."
    ).format(path=path)


def os_error_text(exc: OSError) -> str:
    """An OSError about one of loopgui's files, as a sentence (a refusal explained, else the system's words)."""
    if isinstance(exc, UnsafePath):
        return refused_text(exc)
    return exc.strerror or str(exc)
