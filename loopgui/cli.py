"""The terminal face: ``loopgui VERB …`` verbs sharing loopgui.core with the window (no Qt here).

Each verb lives in its own module under ``loopgui/commands/`` with ``main(argv, out=None, err=None) -> int``
(exit 0 = yes/done, 1 = no, 2 = bad input; 141 when the output was closed, as for a program ended by SIGPIPE;
130/143 when a long verb was stopped by Ctrl+C/SIGTERM).  The loaders below import them statically so that PyInstaller
finds every verb.
"""

from __future__ import annotations

import contextlib
import errno
import sys
from collections.abc import Callable, Sequence
from typing import Protocol, TextIO

from loopgui.core.words.i18n import N_, _

OUTPUT_CLOSED = 141  # 128 + SIGPIPE: what a shell reports for a program whose reader went away


class VerbMain(Protocol):
    def __call__(self, argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int: ...


def _check() -> VerbMain:
    from loopgui.commands import check

    return check.main


def _close() -> VerbMain:
    from loopgui.commands import close

    return close.main


def _explain() -> VerbMain:
    from loopgui.commands import explain

    return explain.main


def _history() -> VerbMain:
    from loopgui.commands import history

    return history.main


def _record() -> VerbMain:
    from loopgui.commands import record

    return record.main


def _wait() -> VerbMain:
    from loopgui.commands import wait

    return wait.main


# verb -> (one line for the help text, loader).  Add a verb: one module in loopgui/commands and one line here.
VERBS: dict[str, tuple[str, Callable[[], VerbMain]]] = {
    "explain": (N_("explain an error message or address in plain words"), _explain),
    "check": (N_("test HOST:PORT: does it answer, is it a web page, could a program listen there"), _check),
    "history": (N_("who used a port earlier, from when to when (as recorded)"), _history),
    "record": (N_("record the history without a window (Ctrl+C stops)"), _record),
    "wait": (N_("wait until a program answers on HOST:PORT"), _wait),
    "close": (N_("close the program that holds a port (or has a PID), after showing what closes"), _close),
}


def verbs_help() -> str:
    width = max(len(v) for v in VERBS)
    return "\n".join(f"  loopgui {verb:<{width}}  {_(about)}" for verb, (about, _load) in VERBS.items())


def run_verb(arguments: Sequence[str], language: str | None = None) -> int | None:
    """Run ``arguments[0]`` as a verb and return its exit code; None when it is not a verb (start the window).
    ``language``: the one to speak (``loopgui.app.start_language`` chose it: the Language menu's, else the
    environment's); None for the environment's (LANGUAGE, LC_ALL, LANG, …)."""
    if not arguments or arguments[0] not in VERBS:
        return None
    from loopgui.core.words import i18n

    i18n.set_language(language)
    _, load = VERBS[arguments[0]]
    from loopgui.commands.output import OutputFailed, silence

    try:
        code = load()(list(arguments[1:]))
        sys.stdout.flush()  # what argparse printed (--help) is still in the buffer
        return code
    except (OutputFailed, BrokenPipeError) as exc:  # the reader went away or the disk is full: end quietly
        silence(sys.stdout)
        if isinstance(exc, BrokenPipeError) or exc.closed_pipe:
            return OUTPUT_CLOSED
        with contextlib.suppress(OSError, ValueError):
            print("loopgui: the output could not be written (the disk may be full).", file=sys.stderr)
        return 1
    except OSError as exc:  # argparse's own --help and messages, printed straight to a full or closed output
        if exc.errno not in (errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EDQUOT):
            raise
        silence(sys.stdout)
        return OUTPUT_CLOSED if exc.errno == errno.EPIPE else 1


def explain_main(argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """``loopgui explain`` (kept here for callers that import it from loopgui.cli)."""
    return _explain()(argv, out, err)
