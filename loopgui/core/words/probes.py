"""Connectivity tests in words: test names, verdicts, details, bad input, the summary line and the repeat chart's
line, rendered from the facts of :mod:`loopgui.core.net.probes`.

The Connectivity tests tab, ``loopgui check`` (text and ``--json``), ``loopgui wait`` and the own-address test all
render through here, so one result reads the same everywhere, in the user's language.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from loopgui.core.explain.facts import ProgramRef
from loopgui.core.net.probes import BadInput, InputCode, Outcome, ProbeCode, ProbeResult, ProbeTest
from loopgui.core.words import reach as reach_words
from loopgui.core.words.i18n import N_, _, format_number, ngettext
from loopgui.core.words.programs import closed_text, hidden_text, program_text

# Marked here, translated where shown: the language is chosen after import.
TEST_NAMES = {
    ProbeTest.TCP: N_("Connect (TCP)"),
    ProbeTest.HTTP: N_("Web page (HTTP)"),
    ProbeTest.HTTPS: N_("Web page (HTTPS)"),
    ProbeTest.UDP: N_("Send a message (UDP)"),
    ProbeTest.LISTEN: N_("Can a program listen here?"),
    ProbeTest.LOOPBACK_SELF_TEST: N_("Loopback self-test"),
    ProbeTest.FIND_FREE_PORT: N_("Find a free port"),
    ProbeTest.OWN_ADDRESS: reach_words.OWN_TEST_NAME,
}

# Verdicts that need no evidence.
_PLAIN = {
    ProbeCode.REFUSED: N_("Refused: nothing listens on this port there."),
    ProbeCode.TIMED_OUT: N_(
        "No answer in time: something silently drops the attempt — often a firewall — or the address is wrong."
    ),
    ProbeCode.UNREACHABLE: N_("Unreachable: there is no network path to this address."),
    ProbeCode.NOT_ALLOWED: N_("Not allowed: a firewall or security program on this computer blocked the attempt."),
    ProbeCode.TLS_TIMED_OUT: N_("Connected, but the secure connection was not set up in time."),
    ProbeCode.NO_PAGE_IN_TIME: N_("Connected, but no web page came back in time."),
    ProbeCode.NOT_HTTP: N_(
        "Something answers on this port, but it does not speak HTTP (it may be another kind of service)."
    ),
    ProbeCode.TLS_WRONG_PROTOCOL: N_(
        "This port does not speak HTTPS (the secure kind of web page); try HTTP: “Open as a web page”."
    ),
    ProbeCode.TLS_REFUSED: N_(
        "The program on this port refused the secure connection: it may want a newer or older kind of HTTPS, "
        "or a certificate from you."
    ),
    ProbeCode.TLS_HUNG_UP: N_("The program on this port hung up while the secure connection was being set up."),
    ProbeCode.TLS_FAILED: N_("The secure connection could not be set up; see the details. Is this port really HTTPS?"),
    ProbeCode.UDP_ANSWERED: N_("A program answered."),
    ProbeCode.UDP_CLOSED: N_("Closed: the system there answered that nothing receives messages on this port."),
    ProbeCode.UDP_NO_ANSWER: N_(
        "No answer. With UDP that can mean a program received it and stayed silent, or that a firewall "
        "dropped it: UDP cannot tell the two apart."
    ),
    ProbeCode.FREE: N_("Free: a program could listen here."),
    ProbeCode.RESERVED: N_("Not allowed: the system reserves it or a security program blocks it."),
    ProbeCode.ADDRESS_MISSING: N_("This computer does not have this address (IPv6 may be turned off)."),
    ProbeCode.SELF_TEST_DATA_LOST: N_("Connected, but data got lost."),
    ProbeCode.NO_FREE_PORT: N_("No free port found; try again."),
    ProbeCode.OWN_ANSWERED: N_(
        "Answered: the program takes connections on this address. Other computers on this network can try "
        "too; whether the firewall lets them in is a separate question (this test goes over loopback)."
    ),
    ProbeCode.OWN_FILTERED: N_(
        "No usable answer: this computer's firewall filters its own traffic to this address, so this test "
        "cannot tell whether the program listens here."
    ),
    ProbeCode.OWN_REFUSED: N_("Refused: the program does not take connections on this address."),
    ProbeCode.OWN_NO_ANSWER: N_("No answer in time: the program did not answer on this address."),
    ProbeCode.NO_OWN_ADDRESS: N_(
        "This computer has no network address besides loopback right now: other computers cannot reach it."
    ),
}

SELF_SIGNED = N_(
    "Its certificate is self-signed: normal for a program on your own computer, but a browser will warn about it."
)

# One clause per outcome, about the address tried (joined with "; " in the summary).
_SHORT = {
    Outcome.CONNECTED: N_("{address} answered"),
    Outcome.ANSWERED: N_("{address} answered"),
    Outcome.REFUSED: N_("{address} refused"),
    Outcome.TIMEOUT: N_("{address} gave no answer in time"),
    Outcome.UNREACHABLE: N_("{address} unreachable"),
    Outcome.PERMISSION: N_("{address} blocked"),
    Outcome.ERROR: N_("{address} failed"),
    Outcome.NO_ANSWER: N_("{address} no answer"),
    Outcome.CLOSED: N_("{address} closed"),
    Outcome.FREE: N_("{address} free"),
    Outcome.IN_USE: N_("{address} in use"),
}


@dataclass(frozen=True, slots=True)
class ProbeLine:
    """One result in words: the test's name, the address, the verdict and the technical details."""

    test: str
    target: str
    verdict: str
    details: tuple[tuple[str, str], ...]


def ms_text(seconds: float, digits: int = 1) -> str:
    """``12.3 ms`` as the user's language writes the number."""
    return _("{ms} ms").format(ms=format_number(round(seconds * 1000, digits)))


def name_text(test: ProbeTest) -> str:
    return _(TEST_NAMES[test])


def target_text(r: ProbeResult) -> str:
    """The address tried ("" when the test has none); a found free port as "port 41234"."""
    if r.test is ProbeTest.FIND_FREE_PORT and r.port is not None:
        return _("port {port}").format(port=r.port)
    return r.target


def holder_text(ref: ProgramRef) -> str:
    if ref.pid is None:
        return closed_text() if ref.closed else hidden_text()
    return program_text(ref.name, ref.pid)


def _families(target: str, listens: str) -> tuple[str, str, str, str]:
    """(tried IP version, listening IP version, where it listens, where to connect instead) for
    ``refused_other_family``."""
    have, want = ("IPv6", "IPv4") if ":" in listens else ("IPv4", "IPv6")
    # 0.0.0.0 and :: are where a program listens, never an address to connect to: loopback of that family is
    connect = {"0.0.0.0": "127.0.0.1", "::": "::1", "*": "127.0.0.1"}.get(listens.split("%", 1)[0], listens)
    where = f"[{listens}]" if ":" in listens else listens
    instead = f"[{connect}]" if ":" in connect else connect
    return want, have, where, instead


def verdict_text(r: ProbeResult) -> str:
    """The result as one plain sentence (or two)."""
    code = r.code
    if code in _PLAIN:
        return _(_PLAIN[code])
    if code in (ProbeCode.CONNECTED, ProbeCode.CONNECTED_GREETING):
        return _("Connected in {time}: a program is listening and answers.").format(time=ms_text(r.seconds or 0.0))
    if code is ProbeCode.REFUSED_OTHER_FAMILY:
        tried, have, where, instead = _families(r.target, r.listens)
        return _(
            "Refused here ({tried_family}), but a program listens on this port at {listens} ({listen_family}): "
            "connect to {address} instead, or make the program listen on both."
        ).format(tried_family=tried, listens=where, listen_family=have, address=instead)
    if code is ProbeCode.LOCAL_FIREWALL_BLOCK and r.block is not None:
        return " ".join([reach_words.local_block_text(r.block), *reach_words.local_block_steps(r.block)])
    if code is ProbeCode.PAGE and r.http is not None:
        status = f"{r.http.status} {r.http.reason}".strip()
        if r.http.title:
            text = _("A web server answered: {status} — “{title}”.").format(status=status, title=r.http.title)
        else:
            text = _("A web server answered: {status}.").format(status=status)
        if r.certificate is not None and r.certificate.self_signed:
            text = f"{text} {_(SELF_SIGNED)}"
        return text
    if code is ProbeCode.IN_USE:
        if r.holder is not None:
            return _("In use by {program}: another program already listens here.").format(program=holder_text(r.holder))
        return _("In use: another program already listens here.")
    if code is ProbeCode.NEEDS_ADMIN:
        return _("Not allowed: ports below {start} need administrator rights.").format(start=r.privileged_below)
    if code is ProbeCode.SELF_TEST_OK:
        return _("Works: loopgui reached itself in {time}.").format(time=ms_text(r.seconds or 0.0, 2))
    if code is ProbeCode.SELF_TEST_UNAVAILABLE:
        return _("Not available here: {error}.").format(error=r.error)
    if code is ProbeCode.SELF_TEST_BLOCKED:
        return _(
            "This computer cannot talk to itself over {address} ({error}): a security program or a broken network "
            "setup is the likely cause."
        ).format(address=r.target, error=r.error)
    if code is ProbeCode.FREE_PORT_FOUND:
        return _("Port {port} is free on both 127.0.0.1 and ::1, and no well-known program uses it.").format(
            port=r.port
        )
    if code is ProbeCode.OWN_NOT_TRIED:
        return _("Could not be tried: {error}.").format(error=r.error)
    return _("Failed: {error}.").format(error=r.error or r.code.value)


def details(r: ProbeResult) -> tuple[tuple[str, str], ...]:
    """The technical details under a result: (label, value) pairs, values as the program or system said them."""
    out: list[tuple[str, str]] = []
    if r.code in (ProbeCode.CONNECTED, ProbeCode.CONNECTED_GREETING) and r.seconds is not None:
        out.append((_("Time to connect"), ms_text(r.seconds)))
    if r.greeting is not None and r.test in (ProbeTest.TCP, ProbeTest.UDP):
        nothing = _("nothing (many services wait for the other side to speak first)")
        out.append((_("It said"), r.greeting or nothing))
    if r.http is not None:
        out.append((_("Status"), f"{r.http.status} {r.http.reason}".strip()))
        out.append((_("Server"), r.http.server or _("(not said)")))
    c = r.certificate
    if c is not None:
        out += [(_("Subject"), c.subject), (_("Issuer"), c.issuer)]
        if c.not_after is not None and c.days_left is not None:
            when = time.strftime("%Y-%m-%d", time.gmtime(c.not_after))
            if c.days_left < 0:
                valid = _("{date} (expired)").format(date=when)
            else:
                valid = ngettext("{date} (in {days} day)", "{date} (in {days} days)", c.days_left).format(
                    date=when, days=c.days_left
                )
            out.append((_("Valid until"), valid))
    if r.http is not None:
        if r.http.title:
            out.append((_("Page title"), r.http.title))
        if not r.http.complete:
            out.append((_("Page"), _("only partly received within the time limit")))
    if r.code in (ProbeCode.TLS_WRONG_PROTOCOL, ProbeCode.TLS_REFUSED, ProbeCode.TLS_HUNG_UP, ProbeCode.TLS_FAILED):
        out.append((_("Error"), r.error))
    if r.block is not None:
        out.append((_("Firewall rule"), reach_words.rule_text(r.block.firewall)))
    if r.test is ProbeTest.OWN_ADDRESS and r.code is not ProbeCode.NO_OWN_ADDRESS:
        out.append((_("Network connection"), r.interface))
        out.append((_("About this test"), _(reach_words.OWN_TEST_NOTE)))
    return tuple(out)


def line(r: ProbeResult) -> ProbeLine:
    return ProbeLine(name_text(r.test), target_text(r), verdict_text(r), details(r))


def as_json(r: ProbeResult) -> dict[str, object]:
    """``--json``: the codes and evidence, with the sentences beside them under ``"text"``."""
    shown = line(r)
    return {
        **r.as_dict(),
        "text": {
            "test": shown.test,
            "verdict": shown.verdict,
            "details": [{"label": k, "value": v} for k, v in shown.details],
        },
    }


def summary(results: Sequence[ProbeResult]) -> str:
    """``"Done: 1 of 2 succeeded: [::1]:8000 answered; 127.0.0.1:8000 refused."``"""
    good = [r for r in results if r.good]
    parts = [_(_SHORT[r.outcome]).format(address=target_text(r)) for r in results if target_text(r)]
    if not parts:
        done = ngettext("Done: {good} of {count} succeeded.", "Done: {good} of {count} succeeded.", len(results))
        return done.format(good=len(good), count=len(results))
    return ngettext(
        "Done: {good} of {count} succeeded: {details}.", "Done: {good} of {count} succeeded: {details}.", len(results)
    ).format(good=len(good), count=len(results), details="; ".join(parts))


def latency_text(values: Sequence[float | None]) -> str:
    """The repeat mode's line beside the chart: how many tries connected, the fastest and the slowest."""
    ok = [v for v in values if v is not None]
    failed = len(values) - len(ok)
    if not ok:
        if not failed:
            return _("no attempts yet")
        return ngettext(
            "{failed} of {count} attempt failed", "{failed} of {count} attempts failed", len(values)
        ).format(failed=failed, count=len(values))
    return ngettext(
        "{ok} of {count} connected; fastest {fastest}, slowest {slowest}",
        "{ok} of {count} connected; fastest {fastest}, slowest {slowest}",
        len(values),
    ).format(ok=len(ok), count=len(values), fastest=ms_text(min(ok)), slowest=ms_text(max(ok)))


def bad_input_text(exc: BadInput) -> str:
    """Why the host or port cannot be tested, in plain words."""
    code = exc.code
    if code is InputCode.NO_HOST:
        return _("Type the computer to test, for example localhost or 127.0.0.1.")
    if code is InputCode.BAD_HOST:
        return _("“{host}” is not a computer name or address.").format(host=exc.host)
    if code is InputCode.BAD_PORT:
        return _("Type a port number between 1 and 65535.")
    if code is InputCode.PORT_OUT_OF_RANGE:
        return _("{number} is not a port number: ports go from 1 to 65535.").format(number=exc.port)
    if code is InputCode.NO_PORT:
        return _("“{text}” has no port: write HOST:PORT, for example 127.0.0.1:3000.").format(text=exc.text)
    if code is InputCode.IPV6_NEEDS_BRACKETS:
        return _("“{text}”: write an IPv6 address in brackets, for example [::1]:3000.").format(text=exc.text)
    if code is InputCode.LOOKUP_TIMED_OUT:
        return _("Looking up the name {host} took longer than {seconds} s.").format(
            host=exc.host, seconds=format_number(exc.seconds or 0)
        )
    if code is InputCode.NAME_NOT_FOUND:
        return _("The name {host} could not be found. Check the spelling, or the network and VPN.").format(
            host=exc.host
        )
    if code is InputCode.NO_USABLE_ADDRESS:
        return _("The name {host} has no address loopgui can test.").format(host=exc.host)
    return _("“{text}” is not HOST:PORT; write an IPv6 address as [::1]:3000.").format(text=exc.text)
