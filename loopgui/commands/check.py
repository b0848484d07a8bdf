"""``loopgui check HOST:PORT [--http|--https|--udp|--listen|--from-network] [--timeout S] [--json]``: the
Connectivity tests tab in a terminal, with the same code (``loopgui.core.net.probes``) and one overall deadline.

``--from-network`` asks "can other computers connect to this port?" (``loopgui.core.reach.assess``): bind address,
firewall, and a connect to this computer's own network addresses (never to another computer).

Exit 0: it answered (``--listen``: a program could listen there; ``--from-network``: other computers can connect);
1: it did not (``--from-network``: they cannot); 2: bad input; 3 (``--from-network`` only): loopgui cannot tell
(for example the firewall's rules could not be read).
"""

from __future__ import annotations

import argparse
import math
import socket
import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from loopgui.commands.output import argv_text, say, write, write_json
from loopgui.core.cancel import Cancel
from loopgui.core.explain import knowledge
from loopgui.core.explain.facts import ProgramRef
from loopgui.core.net import probes
from loopgui.core.net.probes import BadInput, LookupFailed, Outcome, ProbeResult
from loopgui.core.net.scanner import make_scanner
from loopgui.core.net.sockets import ORPHAN_STATES
from loopgui.core.reach import assess as reach
from loopgui.core.text.shellquote import safe_host
from loopgui.core.words import probes as probe_words
from loopgui.core.words import reach as reach_words
from loopgui.core.words.i18n import N_, _, field_text

# Marked here, translated where shown: the language is chosen after import.
HELP = {
    "http": N_("is it a web page (HTTP GET /)"),
    "https": N_("is it a secure web page (HTTPS GET /, the certificate described)"),
    "udp": N_("does a program answer a UDP message"),
    "listen": N_("could a program listen there (on this computer)"),
    "from-network": N_(
        "can other computers connect to this port: bind address, firewall, and a test from this "
        "computer's own network addresses (TCP)"
    ),
}
# The question the answer lines follow, one whole sentence per mode.
QUESTION = {
    "tcp": N_("Does a program answer on {target}? (time limit {seconds} s)"),
    "http": N_("Is there a web page (HTTP) at {target}? (time limit {seconds} s)"),
    "https": N_("Is there a secure web page (HTTPS) at {target}? (time limit {seconds} s)"),
    "udp": N_("Does a program answer a UDP message on {target}? (time limit {seconds} s)"),
    "listen": N_("Could a program listen on {target}? (time limit {seconds} s)"),
}


class Usage(ValueError):
    """An argument of this verb is wrong; the message says why in plain words (already translated)."""


def parse_timeout(text: str) -> float:
    """Seconds above 0 and at most ``probes.MAX_TIMEOUT``; Usage otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= probes.MAX_TIMEOUT):
        raise Usage(
            _("--timeout must be a number of seconds above 0 and at most {most}, for example --timeout 3.").format(
                most=f"{probes.MAX_TIMEOUT:g}"
            )
        )
    return value


def _holders(end: float) -> Callable[[int], ProgramRef | None]:
    """Who listens on a port, from one scan that stops at ``end`` (monotonic time); None when unknown."""

    def who(port: int) -> ProgramRef | None:
        try:
            snapshot = make_scanner().scan(lambda: time.monotonic() > end)
        except Exception:  # the scan is a courtesy: naming the holder must never fail the check
            return None
        for r in snapshot.rows.values():
            if r.local_port == port and r.is_listening:
                if r.pid is None:
                    return ProgramRef("", None, closed=r.state in ORPHAN_STATES)
                return ProgramRef(r.label or r.program, r.pid)
        return None

    return who


def _listen_addresses(host: str) -> Sequence[tuple[str, int]]:
    if host == "localhost":
        return probes.BIND_ADDRESSES
    version = knowledge.ip_version(host)
    if version == 6 and ":" in host:
        return ((host, socket.AF_INET6),)
    if version:
        return ((host, socket.AF_INET),)
    raise Usage(
        _(
            "--listen tests this computer: give localhost or one of its addresses, for example 127.0.0.1:8080, "
            "[::1]:8080 or 0.0.0.0:8080."
        )
    )


def run(mode: str, host: str, port: int, timeout: float, cancel: Cancel) -> list[ProbeResult]:
    """The panel's test for ``mode``; BadInput / LookupFailed as the probes raise them."""
    if mode == "tcp":
        # a connection to loopback that gets no answer: is it this computer's own firewall?
        return reach_words.explain_timeouts(probes.tcp_probe(host, port, timeout, cancel), port, reach.local_block)
    if mode in ("http", "https"):
        return [probes.http_probe(host, port, timeout, cancel, https=mode == "https")]
    if mode == "udp":
        return probes.udp_probe(host, port, timeout, cancel)
    addresses = _listen_addresses(host)
    return probes.bind_test(port, _holders(time.monotonic() + timeout), cancel, addresses=addresses)


def succeeded(mode: str, results: list[ProbeResult]) -> bool:
    if mode == "listen":
        blocked = {Outcome.IN_USE, Outcome.PERMISSION, Outcome.ERROR}
        return any(r.outcome == Outcome.FREE for r in results) and not any(r.outcome in blocked for r in results)
    wanted = Outcome.CONNECTED if mode == "tcp" else Outcome.ANSWERED
    return any(r.outcome == wanted for r in results)


def summary(mode: str, host: str, port: int, ok: bool, timeout: float) -> str:
    if mode == "listen":
        text = (
            _("Yes: a program could listen on {host} port {port}.")
            if ok
            else _("No: a program could not listen on {host} port {port}.")
        )
    elif mode == "tcp":
        text = (
            _("Yes: a program answers on {host} port {port}.")
            if ok
            else _("No: nothing answered on {host} port {port}.")
        )
    elif mode in ("http", "https"):
        text = (
            _("Yes: a web server answers on {host} port {port}.")
            if ok
            else _("No: no web page came from {host} port {port}.")
        )
    elif ok:
        text = _("Yes: a program answered a UDP message on {host} port {port}.")
    else:
        text = _("No: no program answered a UDP message on {host} port {port} within {seconds} s.")
    return text.format(host=host, port=port, seconds=f"{timeout:g}")


def main(argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = argparse.ArgumentParser(
        prog="loopgui check",
        description=_(
            "Test one computer and port, as the Connectivity tests tab does: does a program answer there "
            "(TCP, the default), is it a web page (--http, --https), does it answer a UDP message (--udp), or could a "
            "program listen there (--listen). Everything ends within the time limit. "
            "Exit 0 = yes, 1 = no, 2 = bad input; with --from-network also 3 = cannot tell (for example the firewall's "
            "rules could not be read: run it as administrator)."
        ),
    )
    parser.add_argument("target", help=_("HOST:PORT, for example 127.0.0.1:3000, localhost:8080 or [::1]:5432"))
    modes = parser.add_mutually_exclusive_group()
    modes.set_defaults(mode="tcp")
    for name, about in HELP.items():
        modes.add_argument(f"--{name}", dest="mode", action="store_const", const=name, help=_(about))
    parser.add_argument(
        "--timeout",
        default=str(probes.DEFAULT_TIMEOUT),
        metavar="S",
        help=_(
            "one time limit in seconds for the whole test, every address included ({default}; at most {most})"
        ).format(default=f"{probes.DEFAULT_TIMEOUT:g}", most=f"{probes.MAX_TIMEOUT:g}"),
    )
    parser.add_argument(
        "--no-own-test",
        action="store_true",
        help=_("with --from-network: do not connect to this computer's own network addresses"),
    )
    parser.add_argument("--json", action="store_true", help=_("print the outcome as JSON"))
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:  # argparse has printed its message
        return 0 if exc.code == 0 else 2
    try:
        timeout = parse_timeout(args.timeout)
        typed_host, port = probes.parse_target(argv_text([args.target]))
        host = safe_host(typed_host)
        if host is None:
            raise Usage(_("“{host}” is not a computer name or address.").format(host=typed_host[:60]))
        if args.mode == "listen":
            _listen_addresses(host)
        if args.mode == "from-network" and not knowledge.is_this_computer(host):
            raise Usage(
                _(
                    "--from-network looks at the programs on this computer, and {host} is not this computer: give "
                    "localhost, 127.0.0.1 or one of this computer's addresses, for example localhost:8080."
                ).format(host=host)
            )
    except BadInput as exc:
        say(err, f"loopgui check: {probe_words.bad_input_text(exc)}")
        return 2
    except Usage as exc:
        say(err, f"loopgui check: {exc}")
        return 2
    mode: str = args.mode
    if mode == "from-network":
        return from_network(host, port, timeout, own_test=not args.no_own_test, as_json=args.json, out=out, err=err)
    start = time.monotonic()
    problem = ""
    lookup: LookupFailed | None = None
    results: list[ProbeResult] = []
    try:
        results = run(mode, host, port, timeout, Cancel())
    except LookupFailed as exc:
        lookup = exc
        problem = probe_words.bad_input_text(exc)
    except KeyboardInterrupt:
        problem = _("Stopped (Ctrl+C).")

    took = time.monotonic() - start
    ok = succeeded(mode, results)
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if args.json:
        write_json(
            out,
            {
                "target": target,
                "test": mode,
                "timeout": timeout,
                "ok": ok,
                "seconds": round(took, 3),
                "problem": problem or None,
                "lookup": lookup.as_dict() if lookup is not None else None,
                "results": [probe_words.as_json(r) for r in results],
            },
        )
        return 0 if ok else 1
    lines = [_(QUESTION[mode]).format(target=target, seconds=f"{timeout:g}")]
    if problem:
        lines.append(f"  {problem}")
    for r in results:
        shown = probe_words.line(r)
        lines.append(f"  {shown.target or shown.test}: {shown.verdict}")
        lines.extend("      " + field_text(name, value) for name, value in shown.details)
    lines.append(summary(mode, host, port, ok, timeout))
    write(out, "\n".join(lines) + "\n")
    return 0 if ok else 1


CANNOT_TELL = 3  # --from-network: loopgui cannot tell (exit code)


def from_network_exit(verdict: reach.ReachVerdict) -> int:
    """0: other computers can connect; 1: they cannot; 3: loopgui cannot tell."""
    if verdict.reachable:
        return 0
    return CANNOT_TELL if verdict.code == reach.ReachCode.UNKNOWN else 1


def from_network(
    host: str, port: int, timeout: float, *, own_test: bool, as_json: bool, out: TextIO, err: TextIO
) -> int:
    """``--from-network``: the reach verdict for every TCP listener on ``port`` of this computer."""
    try:
        rows = list(make_scanner().scan().rows.values())
    except Exception as exc:  # without the socket list there is nothing to judge
        say(err, _("loopgui check: could not read this computer's connections ({reason}).").format(reason=exc))

        return CANNOT_TELL
    start = time.monotonic()
    try:
        verdict = reach.live_verdict(port, "tcp", rows, own_test=own_test, timeout=timeout, cancel=Cancel())
    except KeyboardInterrupt:
        say(err, _("loopgui check: stopped (Ctrl+C)."))
        return CANNOT_TELL
    took = time.monotonic() - start
    code = from_network_exit(verdict)
    if as_json:
        write_json(
            out,
            {
                "target": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
                "test": "from-network",
                "timeout": timeout,
                "ok": verdict.reachable,
                "exit": code,
                "seconds": round(took, 3),
                **reach_words.as_dict(verdict),
            },
        )
        return code
    lines = [
        _("Can other computers connect to port {port} on this computer? (time limit {seconds} s)").format(
            port=port, seconds=f"{timeout:g}"
        ),
        "",
    ]
    lines += reach_words.lines(verdict)
    write(out, "\n".join(lines) + "\n")
    return code
