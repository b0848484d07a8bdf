"""``loopgui close PORT|PID [--children] [--force-after S] [--yes] [--json]``: close the program that holds a port
(or the program with a PID) through the same plan, protection, identity re-check and port check as the window.

``loopgui close --pid N --started T`` names one program exactly (PID and start time, as loopgui prints them in
the command to run with administrator rights): if that program has ended, nothing is closed.

A bare number is a port when something listens on it, else a PID; when it is both, loopgui asks for ``:N`` (the
port) or ``pid:N`` (the program).  Exit 0: closed and its ports are free; 1: not (refused, still running, denied,
ports taken again); 2: bad input, or no --yes where nobody can be asked.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

import psutil

from loopgui.commands.output import say, write_json
from loopgui.core.net.scanner import make_scanner
from loopgui.core.net.sockets import Snapshot
from loopgui.core.programs.actions import (
    ClosePlan,
    PortAfter,
    PortCheck,
    check_ports,
    close_plan,
    plan_close,
    release,
    signalled_pids,
    target_confirmed_gone,
)
from loopgui.core.programs.processes import (
    GRACE_SECONDS,
    CloseOutcome,
    CloseResult,
    Identity,
    identity_of,
    started_text,
)
from loopgui.core.words import close as words
from loopgui.core.words.i18n import _

MAX_WAIT = 3600.0
_PORT = re.compile(r"^:(\d{1,5})$")
_PID = re.compile(r"^pid:(\d{1,10})$")
_NUMBER = re.compile(r"^\d{1,10}$")


class BadInput(ValueError):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loopgui close",
        description=_(
            "Close the program that holds a port, or the program with a PID, after showing what closes. "
            "Exit 0 when it closed and its ports are free, 1 when not, 2 for bad input."
        ),
    )
    parser.add_argument("target", nargs="?", help=_("a port (3000 or :3000) or a program's PID (pid:812)"))
    parser.add_argument("--pid", type=int, help=_("the program's PID (with --started: exactly that program)"))
    parser.add_argument("--started", help=_("its start time, as loopgui printed it (seconds since 1970)"))
    parser.add_argument("--children", action="store_true", help=_("also close the programs it started"))
    parser.add_argument(
        "--force-after",
        type=float,
        metavar="S",
        help=_("force it to close when it has not closed S seconds after being asked (0: force at once)"),
    )
    parser.add_argument("--yes", action="store_true", help=_("do not ask before closing"))
    parser.add_argument("--json", action="store_true", help=_("print what happened as JSON (codes and evidence)"))
    return parser


def _started(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadInput(words.cli_bad_input_text("started")) from None
    if not math.isfinite(value) or not 0 < value < 1e11:
        raise BadInput(words.cli_bad_input_text("started"))
    return value


def _listeners(snapshot: Snapshot, port: int) -> tuple[list[Identity], bool]:
    """The programs listening on ``port`` (identity from the scan) and whether a hidden one does too."""
    found: dict[int, Identity] = {}
    hidden = False
    for row in snapshot.rows.values():
        if row.local_port != port or not row.is_listening:
            continue
        if row.pid is None or row.owner_start is None:
            hidden = True
            continue
        found.setdefault(row.pid, Identity(row.pid, row.owner_start, row.program, row.exe))
    return list(found.values()), hidden


def _targets(args: argparse.Namespace, scan: Callable[[], Snapshot]) -> tuple[list[Identity], str, int | None]:
    """(identities to close, a note when there is nothing to close, the port asked for)."""
    if args.pid is not None or args.started is not None:
        if args.target is not None or args.pid is None or args.started is None:
            raise BadInput(words.cli_bad_input_text("pid_started"))
        if not 0 < args.pid < 1 << 31:
            raise BadInput(words.cli_bad_input_text("pid"))
        return [Identity(args.pid, _started(args.started))], "", None
    text = (args.target or "").strip()
    if not text:
        raise BadInput(words.cli_bad_input_text("nothing"))
    port_m, pid_m = _PORT.match(text), _PID.match(text)
    if pid_m or (not port_m and not _NUMBER.match(text)):
        if not pid_m:
            raise BadInput(words.cli_bad_input_text("neither", text=text))
        pid = int(pid_m.group(1))
        if not 0 < pid < 1 << 31:
            raise BadInput(words.cli_bad_input_text("pid"))
        found = identity_of(pid)
        if found is None:
            return [], words.cli_no_such_text(pid), None
        return [found], "", None
    number = int(port_m.group(1)) if port_m else int(text)
    if port_m and not 0 < number < 65536:
        raise BadInput(words.cli_bad_input_text("port", number=number))
    listeners: list[Identity] = []
    hidden = False
    if 0 < number < 65536:
        listeners, hidden = _listeners(scan(), number)
    if port_m:
        if not listeners:
            return (
                [],
                words.cli_hidden_holder_text(number) if hidden else words.cli_nothing_listens_text(number),
                number,
            )
        return listeners, "", number
    pid_alive = 0 < number < 1 << 31 and psutil.pid_exists(number)
    if (listeners or hidden) and pid_alive:
        raise BadInput(words.cli_ambiguous_text(number))
    if listeners:
        return listeners, "", number
    if hidden:
        return [], words.cli_hidden_holder_text(number), number
    if pid_alive:
        found = identity_of(number)
        if found is not None:
            return [found], "", None
    return [], words.cli_no_such_text(number), None


def _ask(plan: ClosePlan, args: argparse.Namespace, out: TextIO, ask: Callable[[str], str] | None) -> bool | None:
    """True: go ahead; False: the person said no; None: nobody can be asked."""
    question, info, check, details = words.plan_texts(plan, args.force_after if args.force_after else GRACE_SECONDS)
    if not args.json:
        say(out, question)
        say(out, info)
        if plan.descendants and not args.children:
            say(out, f"({check}: --children)")
        say(out, details)
    if args.yes:
        return True
    if ask is None:
        if not (sys.stdin is not None and sys.stdin.isatty()):
            return None
        ask = input
    try:
        answer = ask(words.cli_question_text())
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def main(
    argv: Sequence[str],
    out: TextIO | None = None,
    err: TextIO | None = None,
    *,
    ask: Callable[[str], str] | None = None,
    scan: Callable[[], Snapshot] | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = _parser().parse_args(list(argv))
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    take = scan or (lambda: make_scanner().scan())
    try:
        if args.force_after is not None and not 0 <= args.force_after <= MAX_WAIT:
            raise BadInput(words.cli_bad_input_text("force_after"))
        targets, note, port = _targets(args, take)
    except BadInput as exc:
        say(err, f"loopgui close: {exc}")
        return 2
    except (OSError, psutil.Error) as exc:
        say(err, f"loopgui close: {exc}")
        return 1
    reports: list[dict[str, object]] = []
    code = 0
    if not targets:
        free = port is not None and note == words.cli_nothing_listens_text(port)  # nothing to close, port free
        if args.json:
            write_json(out, {"port": port, "closes": [], "text": note, "exit": 0 if free else 1})
        else:
            say(out, note)
        return 0 if free else 1
    for identity in targets:
        status, report = _close_one(identity, args, out, ask, take)
        if status == 2:
            say(err, f"loopgui close: {words.cli_needs_yes_text()}")
            return 2
        code = max(code, status)
        reports.append(report)
    if args.json:
        write_json(out, {"port": port, "closes": reports, "exit": code})
    return code


def _close_one(
    identity: Identity,
    args: argparse.Namespace,
    out: TextIO,
    ask: Callable[[str], str] | None,
    scan: Callable[[], Snapshot],
) -> tuple[int, dict[str, object]]:
    planned = plan_close(identity)
    if isinstance(planned, CloseResult):
        return _report(planned, None, args, out)
    try:
        go = _ask(planned, args, out, ask)
    except KeyboardInterrupt:
        go = False
    if go is None or not go:
        release(planned)
        if go is None:
            return 2, {}
        if not args.json:
            say(out, words.cli_not_closed_text())
        return 1, {"target": planned.target.identity.as_dict(), "outcome": "cancelled"}
    grace = GRACE_SECONDS if args.force_after is None else args.force_after
    result = close_plan(planned, include_children=args.children, force=False, wait=grace) if grace > 0 else None
    if result is None or (
        args.force_after is not None and result.outcome in (CloseOutcome.STILL_RUNNING, CloseOutcome.STOPPED_WAITING)
    ):
        before = signalled_pids(result) if result is not None else ()
        result = close_plan(planned, include_children=args.children, force=True, wait=2.0, signalled_before=before)
    ports: tuple[PortCheck, ...] | None = None
    if target_confirmed_gone(result):
        try:
            ports = check_ports(planned, result, list(scan().rows.values()))
        except (OSError, psutil.Error):
            ports = check_ports(planned, result, None)
    return _report(result, ports, args, out)


def _report(
    result: CloseResult, ports: tuple[PortCheck, ...] | None, args: argparse.Namespace, out: TextIO
) -> tuple[int, dict[str, object]]:
    text = words.result_text(result)
    port_words = words.ports_text(ports) if ports else ""
    retry = words.retry_text(result)
    ok = result.outcome in (CloseOutcome.CLOSED, CloseOutcome.ENDED_BY_ITSELF) and all(
        p.code is PortAfter.FREE for p in ports or ()
    )
    if not args.json:
        say(out, " ".join(t for t in (text, port_words) if t))
        if retry:
            say(out, retry)
    report: dict[str, object] = {
        **result.as_dict(),
        "ports": [p.as_dict() for p in ports or ()],
        "text": " ".join(t for t in (text, port_words) if t),
        "retry_text": retry or None,
    }
    if result.target is not None:
        report["started"] = started_text(result.target.create_time)
    return (0 if ok else 1), report
