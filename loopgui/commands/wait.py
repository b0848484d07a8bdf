"""``loopgui wait HOST:PORT [--timeout S] [--json]``: wait until a program answers there (exit 0), 1 on timeout."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from typing import TextIO

from loopgui.commands.output import say, write_json
from loopgui.core.net.probes import BadInput, Cancel, Outcome, parse_target, tcp_probe

DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 7 * 86400.0
PAUSE = 0.2  # seconds between two attempts
ATTEMPT = 1.0  # longest single connection attempt


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
        description="Wait until a program answers on HOST:PORT (a TCP connection succeeds). "
        "Exit 0 when it answers, 1 when the time is up, 2 for bad input.",
    )
    parser.add_argument("target", help="where to connect, for example 127.0.0.1:3000 or [::1]:8080")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"give up after S seconds ({DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    try:
        host, port = parse_target(args.target)
    except BadInput as exc:
        say(err, f"loopgui wait: {exc}")
        return 2
    if not 0 < args.timeout <= MAX_TIMEOUT:
        say(err, "loopgui wait: --timeout must be a number of seconds above 0 (at most a week).")
        return 2
    stop = stop or threading.Event()
    cancel = Cancel()
    start = time.monotonic()
    deadline = start + args.timeout
    last = ""
    answered_at = ""
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
                last = str(exc)
                results = []
            hit = next((r for r in results if r.outcome == Outcome.CONNECTED), None)
            if hit is not None:
                answered_at = hit.target
                break
            if results:
                last = results[-1].verdict
            stop.wait(max(0.0, min(PAUSE, deadline - time.monotonic())))
    except KeyboardInterrupt:
        last = "stopped (Ctrl+C)"
    took = time.monotonic() - start
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if args.json:
        write_json(
            out,
            {
                "target": target,
                "answered": bool(answered_at),
                "address": answered_at or None,
                "seconds": round(took, 3),
                "attempts": attempts,
                "last_problem": None if answered_at else (last or None),
            },
        )
    elif answered_at:
        say(out, f"{answered_at} answers (after {took:.1f} s).")
    else:
        tail = f" Last attempt: {last}" if last else ""
        say(out, f"Nothing answered on {target} within {args.timeout:g} s.{tail}")
    return 0 if answered_at else 1
