"""``loopgui wait HOST:PORT [--closed] [--timeout S] [--json]``: wait until a program answers there (exit 0), or
with ``--closed`` until nothing listens there any more; 1 when the time is up, 2 for bad input, 130 after Ctrl+C,
143 after SIGTERM (the shell's numbers for a program ended by those signals)."""

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
from loopgui.core.cancel import Cancel, Cancelled
from loopgui.core.net.probes import BadInput, Outcome, parse_target, tcp_probe
from loopgui.core.text.shellquote import safe_host
from loopgui.core.words import probes as probe_words
from loopgui.core.words import wait as words
from loopgui.core.words.i18n import _

DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 7 * 86400.0
PAUSE = 0.2  # seconds between two attempts
ATTEMPT = 1.0  # longest single connection attempt
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM
_GONE = (Outcome.REFUSED,)  # nothing listens: the system refused the connection


def main(
    argv: Sequence[str],
    out: TextIO | None = None,
    err: TextIO | None = None,
    *,
    stop: threading.Event | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = argparse.ArgumentParser(
        prog="loopgui wait",
        description=_(
            "Wait until a program answers on HOST:PORT (a TCP connection succeeds), or with --closed until "
            "nothing listens there any more. Exit 0 when that happened, 1 when the time is up, 2 for bad input, 130 "
            "when stopped with Ctrl+C, 143 when stopped with SIGTERM."
        ),
    )
    parser.add_argument("target", help=_("where to connect, for example 127.0.0.1:3000 or [::1]:8080"))
    parser.add_argument("--closed", action="store_true", help=_("wait until nothing listens there any more"))
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=_("give up after S seconds ({default})").format(default=f"{DEFAULT_TIMEOUT:g}"),
    )
    parser.add_argument("--json", action="store_true", help=_("print the outcome as JSON"))
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    try:
        host, port = parse_target(args.target)
    except BadInput as exc:
        say(err, f"loopgui wait: {probe_words.bad_input_text(exc)}")
        return 2
    if safe_host(host) is None:  # control characters, spaces, shell syntax: not a computer's name or address
        say(err, words.bad_host(host))
        return 2
    if not 0 < args.timeout <= MAX_TIMEOUT:
        say(err, _("loopgui wait: --timeout must be a number of seconds above 0 (at most a week)."))
        return 2
    stop = stop or threading.Event()
    stopped_by: list[int] = []
    cancel = Cancel()
    restore = _on_signals(stop, stopped_by, cancel)
    start = time.monotonic()
    deadline = start + args.timeout
    last = ""
    reached_at = ""
    attempts = 0
    try:
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            attempts += 1
            try:
                results = tcp_probe(host, port, timeout=min(ATTEMPT, left), cancel=cancel, greeting=False)
            except BadInput as exc:  # a name that does not resolve (yet): keep trying until the time is up
                last = probe_words.bad_input_text(exc)
                results = []
            except Cancelled:  # Ctrl+C or SIGTERM during an attempt
                break
            if args.closed:
                if results and all(r.outcome in _GONE for r in results):
                    reached_at = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
                    break
                hit = next((r for r in results if r.outcome == Outcome.CONNECTED), None)
                if hit is not None:
                    last = words.still_answers(hit.target)
                elif results:
                    last = probe_words.verdict_text(results[-1])
            else:
                hit = next((r for r in results if r.outcome == Outcome.CONNECTED), None)
                if hit is not None:
                    reached_at = hit.target
                    break
                if results:
                    last = probe_words.verdict_text(results[-1])
            stop.wait(max(0.0, min(PAUSE, deadline - time.monotonic())))
    except KeyboardInterrupt:
        stopped_by.append(signal.SIGINT)
    finally:
        restore()
    took = time.monotonic() - start
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    interrupted = stopped_by[0] if stopped_by and not reached_at else None
    if args.json:
        write_json(
            out,
            {
                "target": target,
                "waited_for": "closed" if args.closed else "answer",
                "answered": bool(reached_at) and not args.closed,
                "closed": bool(reached_at) and args.closed,
                "address": reached_at or None,
                "seconds": round(took, 3),
                "attempts": attempts,
                "stopped_by": None if interrupted is None else signal.Signals(interrupted).name,
                "last_problem": None if reached_at else (last or None),
            },
        )
    elif reached_at:
        say(out, words.closed(target, took) if args.closed else words.answers(reached_at, took))
    elif interrupted is not None:
        say(out, words.stopped(target, took, interrupted == signal.SIGTERM, closed=args.closed))
    else:
        say(out, words.timed_out(target, args.timeout, last, closed=args.closed))
    if reached_at:
        return 0
    if interrupted is not None:
        return EXIT_TERMINATED if interrupted == signal.SIGTERM else EXIT_INTERRUPTED
    return 1


def _on_signals(stop: threading.Event, stopped_by: list[int], cancel: Cancel) -> Callable[[], None]:
    """Ctrl+C (SIGINT) and SIGTERM end the wait with a plain message and the real time waited."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        if not stopped_by:
            stopped_by.append(signum)
        stop.set()
        cancel.cancel()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore
