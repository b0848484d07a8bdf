"""``loopgui explain TEXT [--json]``: the Explanation tab in a terminal."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from loopgui.commands.output import argv_text, read_stdin, say, write, write_json
from loopgui.core.explain.diagnosis import diagnose
from loopgui.core.history.reader import HistoryReader
from loopgui.core.net.scanner import make_scanner
from loopgui.core.words import explain as words
from loopgui.core.words.i18n import _


def main(argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = argparse.ArgumentParser(
        prog="loopgui explain",
        description=_("Explain an error message or address in plain words, using this computer's live sockets."),
    )
    parser.add_argument("text", nargs="*", help=_("the error message or address; '-' or nothing reads standard input"))
    parser.add_argument("--json", action="store_true", help=_("print the diagnosis as JSON"))
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:  # argparse has printed its message
        return 0 if exc.code == 0 else 2
    text = argv_text(args.text)
    if not args.text or text == "-":
        stdin = read_stdin()
        if stdin is None:
            say(err, _("loopgui explain: give an error message or address, e.g. loopgui explain 127.0.0.1:3000"))
            return 2
        text = stdin
    if not text.strip():
        say(err, _("loopgui explain: the text is empty; give an error message or an address such as 127.0.0.1:3000."))
        return 2
    try:
        snapshot = make_scanner().scan()
        rows = snapshot.rows
    except Exception as exc:  # explain what we can even without the live list
        say(
            err,
            _(
                "loopgui explain: could not read this computer's connections ({reason}); explaining the text only."
            ).format(reason=exc),
        )

        rows = {}
    diagnosis = diagnose(text, rows, history=HistoryReader())
    if args.json:
        write_json(out, words.as_json(diagnosis))
    else:
        write(out, words.report(diagnosis, header=False))
    return 0
