"""``loopgui history [PORT|ADDRESS] [--since 1h] [--json]``: who held a port earlier, when, and for how long."""

from __future__ import annotations

import argparse
import ipaddress
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from loopgui.commands.output import say, write, write_json
from loopgui.core.explain.endpoints import find_endpoints
from loopgui.core.history.reader import HistoryReader
from loopgui.core.history.store import HistoryNotice, HistoryUnavailable, NoticeCode
from loopgui.core.words import history as history_words
from loopgui.core.words.history import notice_text, set_aside_text
from loopgui.core.words.i18n import _

_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(\d{1,9}(?:\.\d{1,6})?)\s*(min|s|m|h|d|w)?", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``10m``, ``1h30m``, ``2d``: seconds.  Raises ValueError in plain words."""
    rest = text.strip().lower()
    if not rest or len(rest) > 40:
        raise ValueError(_("“{text}” is not a length of time; write for example 30m, 1h or 2d.").format(text=text[:40]))
    total = 0.0
    pos = 0
    while pos < len(rest):
        m = _DURATION.match(rest, pos)
        if not m or m.end() == pos:
            raise ValueError(
                _("“{text}” is not a length of time; write for example 30m, 1h or 2d.").format(text=text[:40])
            )
        total += float(m.group(1)) * _UNITS[m.group(2) or "s"]
        pos = m.end()
        while pos < len(rest) and rest[pos] == " ":
            pos += 1
    if total <= 0:
        raise ValueError(_("The length of time must be above zero."))
    return total


def main(argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None, *, path: Path | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = argparse.ArgumentParser(
        prog="loopgui history",
        description=_(
            "Show which programs used a port (or an address) earlier, from when to when, as recorded "
            "while loopgui ran (or by “loopgui record”). Exit 0 when something was found, 1 when not."
        ),
    )
    parser.add_argument(
        "target", nargs="?", default="", help=_("a port (3000), an address (127.0.0.1:3000) or nothing")
    )
    parser.add_argument("--since", default="", metavar="TIME", help=_("only the last TIME, e.g. 10m, 1h, 2d"))
    parser.add_argument("--limit", type=int, default=100, help=_("at most this many sockets (100)"))
    parser.add_argument("--json", action="store_true", help=_("print the history as JSON"))
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    since = None
    if args.since:
        try:
            since = time.time() - parse_duration(args.since)
        except ValueError as exc:
            say(err, f"loopgui history: {exc}")
            return 2
    if not 1 <= args.limit <= 100_000:
        say(err, _("loopgui history: --limit must be between 1 and 100000."))
        return 2
    reader = HistoryReader(path)
    target = args.target.strip()
    port: int | None = None
    address = ""
    try:
        if not target:
            spans = reader.search("", since=since, limit=args.limit)
        elif target.isdigit() or target.lstrip("+-").isdigit():  # "²" and "٣" are digits too, and not ports
            port = int(target) if target.isascii() and target.isdigit() and len(target) <= 5 else None
            if port is None or not 1 <= port <= 65535:
                say(err, history_words.not_a_port(target))
                return 2
            spans = reader.port_history(port, since=since, limit=args.limit, include_remote=True)
        elif _is_address(target):
            address = target.strip("[]")
            spans = reader.search(address, since=since, limit=args.limit)
            spans = [s for s in spans if address in (s.local_addr, s.remote_addr)]
        else:
            found = find_endpoints(target).endpoints
            if not found:
                say(
                    err,
                    _("loopgui history: “{target}” is not a port or an address; try 3000 or 127.0.0.1:3000.").format(
                        target=target[:60]
                    ),
                )
                return 2
            port = found[0].port
            spans = reader.port_history(port, since=since, limit=args.limit, include_remote=True)
    except HistoryUnavailable as exc:
        say(err, f"loopgui history: {notice_text(exc.notice)}")
        return 1
    if reader.skipped:
        say(err, f"loopgui history: {notice_text(HistoryNotice(NoticeCode.DAMAGED_VALUES, count=reader.skipped))}")
    copies = reader.set_aside()
    if args.json:
        write_json(
            out,
            {
                "database": str(reader.path),
                "recorded": reader.exists(),
                "port": port,
                "address": address or None,
                "since": None if since is None else time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(since)),
                "sockets": [{**s.as_dict(), "text": history_words.span_sentence(s)} for s in spans],
                "damaged_rows_left_out": reader.skipped,
                "set_aside": [c.as_dict() for c in copies],
            },
        )
        return 0 if spans else 1
    if not reader.exists():
        say(out, history_words.no_history_yet())
        return 1
    if not spans:
        say(out, history_words.nothing_recorded(port, address, args.since))
        return 1
    write(out, history_words.report(spans, history_words.history_title(port, address, args.since)))
    if copies:
        say(out, set_aside_text(len(copies), sum(c.bytes for c in copies)))
    return 0


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True
