"""The terminal face: ``loopgui explain TEXT [--json]``, sharing loopgui.core with the window (no Qt here)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from loopgui.core.diagnosis import diagnose
from loopgui.core.scanner import make_scanner


def explain_main(argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = argparse.ArgumentParser(
        prog="loopgui explain",
        description="Explain an error message or address in plain words, using this computer's live sockets.",
    )
    parser.add_argument("text", nargs="*", help="the error message or address; '-' or nothing reads standard input")
    parser.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    args = parser.parse_args(list(argv))
    text = " ".join(args.text)
    if not args.text or text == "-":
        if sys.stdin is None or sys.stdin.isatty():
            print("loopgui explain: give an error message or address, e.g. loopgui explain 127.0.0.1:3000", file=err)
            return 2
        text = sys.stdin.read(1_000_001)
    if not text.strip():
        print(
            "loopgui explain: the text is empty; give an error message or an address such as 127.0.0.1:3000.", file=err
        )
        return 2
    try:
        snapshot = make_scanner().scan()
        rows = snapshot.rows
    except Exception as exc:  # explain what we can even without the live list
        print(
            f"loopgui explain: could not read this computer's connections ({exc}); explaining the text only.", file=err
        )
        rows = {}
    diagnosis = diagnose(text, rows)
    if args.json:
        json.dump(diagnosis.as_dict(), out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(diagnosis.report(header=False))
    return 0
