"""``loopgui record [--for SECONDS] [--interval S] [--json]``: record the history without a window."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType
from typing import TextIO

from loopgui.commands.output import say, write_json
from loopgui.core.history.recorder import Recorder
from loopgui.core.history.store import database_path
from loopgui.core.net.scanner import ScanCancelled, Scanner, make_scanner
from loopgui.core.words.history import notice_text
from loopgui.core.words.i18n import _, ngettext

MIN_INTERVAL = 0.5
MAX_INTERVAL = 60.0


def main(
    argv: Sequence[str],
    out: TextIO | None = None,
    err: TextIO | None = None,
    *,
    scanner: Scanner | None = None,
    recorder: Recorder | None = None,
    stop: threading.Event | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = argparse.ArgumentParser(
        prog="loopgui record",
        description=_(
            "Record which programs use which ports (the History tab) without opening a window. "
            "Stops after --for seconds, or on Ctrl+C / SIGTERM."
        ),
    )
    parser.add_argument("--for", dest="seconds", type=float, default=None, metavar="SECONDS", help=_("stop after this"))
    parser.add_argument("--interval", type=float, default=1.0, metavar="S", help=_("seconds between two looks (1)"))
    parser.add_argument("--json", action="store_true", help=_("print a summary as JSON when it stops"))
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    if not MIN_INTERVAL <= args.interval <= MAX_INTERVAL:
        say(
            err,
            _("loopgui record: --interval must be between {least} and {most} seconds.").format(
                least=f"{MIN_INTERVAL:g}", most=f"{MAX_INTERVAL:g}"
            ),
        )
        return 2
    if args.seconds is not None and not 0 < args.seconds <= 366 * 86400:
        say(err, _("loopgui record: --for must be a number of seconds above 0."))
        return 2
    stop = stop or threading.Event()
    recorder = recorder or Recorder(database_path())
    restore = _on_signals(stop)
    started = time.monotonic()
    end = started + args.seconds if args.seconds is not None else None
    try:
        scanner = scanner or make_scanner()
        if not args.json:
            say(
                out,
                _("Recording the history in {path} every {seconds} s. Ctrl+C stops.").format(
                    path=recorder.path, seconds=f"{args.interval:g}"
                ),
            )
        while not stop.is_set():
            try:
                snapshot = scanner.scan(stop.is_set)
            except ScanCancelled:
                break
            except Exception as exc:  # a failed look is reported and the next one tried
                say(
                    err,
                    _("loopgui record: reading the connections failed ({error}).").format(
                        error=f"{type(exc).__name__}: {exc}"
                    ),
                )
            else:
                recorder.record(snapshot)
            for notice in recorder.take_notices():
                say(err, f"loopgui record: {notice_text(notice)}")
            if recorder.status == "other-writer":
                break
            wait = args.interval
            if end is not None:
                wait = min(wait, end - time.monotonic())
                if wait <= 0:
                    break
            stop.wait(wait)
    finally:
        recorder.close()
        restore()
    other = recorder.status == "other-writer"
    stopped_by = "signal" if stop.is_set() else "other-recorder" if other else "time"
    summary = {
        "database": str(recorder.path),
        "scans_recorded": recorder.written,
        "seconds": round(time.monotonic() - started, 3),
        "stopped_by": stopped_by,
    }
    if args.json:
        write_json(out, summary)
    else:
        say(
            out,
            ngettext(
                "Stopped after {seconds} s: {count} look recorded.",
                "Stopped after {seconds} s: {count} looks recorded.",
                recorder.written,
            ).format(seconds=summary["seconds"], count=recorder.written),
        )

    return 1 if other else 0


def _on_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGINT and SIGTERM end the loop cleanly (the session is closed, the lock released)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    names = [signal.SIGINT, signal.SIGTERM]
    previous = {sig: signal.signal(sig, handler) for sig in names}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore
