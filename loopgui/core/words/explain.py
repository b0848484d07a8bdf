"""An explanation in words: the one place where a :class:`Diagnosis` becomes sentences.

Every surface — the Explanation tab, the bar above the table, the status bar, tray notices, ``loopgui explain``,
Copy report — shows :func:`render` of the same facts, so two surfaces cannot disagree.  Each sentence is whole,
with named placeholders, through gettext.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from loopgui.core.explain.diagnosis import Diagnosis
from loopgui.core.explain.elsewhere import Elsewhere
from loopgui.core.explain.endpoints import ErrorKind
from loopgui.core.explain.facts import Case, D, F, Fact, Problem, ProgramRef, Range, S, Verdict
from loopgui.core.history.store import HistoryNotice, Span
from loopgui.core.net.sockets import SocketRow, format_endpoint
from loopgui.core.reach.assess import LocalBlock, ReachVerdict
from loopgui.core.text.redact import redact_text
from loopgui.core.words import elsewhere as elsewhere_words
from loopgui.core.words import history as history_words
from loopgui.core.words import reach as reach_words
from loopgui.core.words.history import span_program
from loopgui.core.words.i18n import N_, _, field_text, format_list, ngettext
from loopgui.core.words.labels import row_summary
from loopgui.core.words.programs import closed_text, hidden_text, program_text
from loopgui.core.words.times import ago, clock, started_ago


@dataclass(frozen=True, slots=True)
class Line:
    """One finding in words, and its technical detail (shown one click away)."""

    text: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Rendered:
    """A diagnosis in words, for every surface."""

    headline: str
    verdict: Verdict
    findings: tuple[Line, ...]
    next_steps: tuple[str, ...]
    do_it_yourself: str
    details: tuple[tuple[str, str], ...]
    problems: tuple[str, ...]
    others: str  # "The text also mentions …" or ""

    def technical(self) -> list[str]:
        return [field_text(k, v) for k, v in self.details] + [f.detail for f in self.findings if f.detail]


# -- small pieces of evidence in words ------------------------------------------------------------------------


def who(p: object) -> str:
    """A program named as the table names it, with its PID; or why there is none."""
    if not isinstance(p, ProgramRef):
        return _("a program")
    if p.pid is None:
        return closed_text() if p.closed else hidden_text()
    return program_text(p.name, p.pid)


def kind_plain(kind: object) -> str:
    """What the error kind means, as part of a sentence: "the connection was refused"."""
    texts = {
        ErrorKind.REFUSED: _("the connection was refused"),
        ErrorKind.IN_USE: _("the port is already in use"),
        ErrorKind.PERMISSION: _("the system did not allow using the port"),
        ErrorKind.TIMEOUT: _("the connection attempt timed out"),
        ErrorKind.RESET: _("the connection was cut off"),
        ErrorKind.UNREACHABLE: _("the other computer could not be reached"),
        ErrorKind.NOT_FOUND: _("a computer name could not be found"),
    }
    extra = {
        "not_available": _("the address is not one of this computer's"),
        "family": _("that kind of address (IPv6 or IPv4) is switched off"),
    }
    if isinstance(kind, ErrorKind):
        return texts.get(kind) or extra.get(kind.value, kind.value)
    return ""


def kind_meaning(kind: object) -> str:
    """One sentence explaining an error kind to a non-developer."""
    texts = {
        ErrorKind.REFUSED: _(
            "“Refused” means the computer answered, but no program was waiting for connections on that port."
        ),
        ErrorKind.IN_USE: _(
            "“In use” means a program wanted to start listening on a port that another program already has."
        ),
        ErrorKind.PERMISSION: _(
            "The system did not allow the program to use that port: it may need administrator rights, or the port "
            "is reserved."
        ),
        ErrorKind.TIMEOUT: _(
            "“Timed out” means there was no answer at all. Often a firewall silently drops the attempt, or the "
            "address is wrong."
        ),
        ErrorKind.RESET: _(
            "“Reset” means the connection was made, then the other side hung up abruptly (it may have crashed or "
            "rejected the request)."
        ),
        ErrorKind.UNREACHABLE: _("“Unreachable” means the network could not find a way to the other computer."),
        ErrorKind.NOT_FOUND: _(
            "The computer name could not be turned into an address: it may be misspelled, or the network (or VPN) "
            "that knows it is not connected."
        ),
    }
    extra = {
        "not_available": _(
            "“Cannot assign requested address” means a program asked for an address that this computer does not "
            "have (for example one it had on another network)."
        ),
        "family": _(
            "“Address family not supported” means the program tried a kind of address (usually IPv6) that is "
            "switched off on this computer."
        ),
    }
    if isinstance(kind, ErrorKind):
        return texts.get(kind) or extra.get(kind.value, "")
    return ""


def _means(addresses: object) -> str:
    """ "::1 first, then 127.0.0.1" / "only 127.0.0.1" / "nothing at all"."""
    items = [str(a) for a in addresses] if isinstance(addresses, tuple) else []
    if not items:
        return _("nothing at all (the name cannot be looked up)")
    if len(items) == 1:
        return _("only {address}").format(address=items[0])
    return _("{first} first, then {others}").format(first=items[0], others=format_list(items[1:]))


def _addresses(values: object) -> str:
    items = [str(a) for a in values] if isinstance(values, tuple) else []
    return format_list(items) if items else _("none found")


def _range(r: object) -> str:
    return f"{r.first}–{r.last}" if isinstance(r, Range) else ""


def address_kind_sentence(kind: object) -> str:
    texts = {
        "loopback": _("This computer only (loopback): other computers cannot reach it."),
        "wildcard": _(
            "It listens on every network connection of this computer: other computers may be able to reach it."
        ),
        "private": _("An address inside a home or office network."),
        "link-local": _("An address that only works on the local network cable or Wi-Fi (link-local)."),
        "public": _("A public internet address."),
    }
    return texts.get(str(kind), "")


def port_range_sentence(port: int, ephemeral: Range) -> str:
    """Where ``port`` lies, with this computer's own temporary range."""
    if ephemeral.first <= port <= ephemeral.last:
        return _(
            "Port {port} is one of the temporary ports this computer hands out ({range}): programs get such a port "
            "for a short while."
        ).format(port=port, range=_range(ephemeral))
    if port < 1024:
        return _("Port {port} is a well-known port (below 1024), kept for standard services.").format(port=port)
    return _(
        "Port {port} is not one of the temporary ports this computer hands out ({range}), so a program chose it on "
        "purpose."
    ).format(port=port, range=_range(ephemeral))


def program_detail(p: object) -> str:
    """The technical facts about a program, for the details: command, program file, parent, what was hidden."""
    if not isinstance(p, ProgramRef):
        return ""
    bits = []
    if p.command:
        bits.append(_("command: {command}").format(command=p.command))
    if p.exe:
        bits.append(_("program file: {path}").format(path=p.exe))
    if p.parent:
        bits.append(_("started by: {program}").format(program=program_text(p.parent, p.ppid)))
    if p.hidden:
        bits.append(_("hidden by permissions: {what}").format(what=format_list(list(p.hidden))))
    return "; ".join(bits)


def span_sentence_listened(span: Span, port: int) -> str:
    return _("{program} listened on {port} until {time} ({ago}); it stopped.").format(
        program=span_program(span), port=port, time=clock(span.last_seen), ago=ago(span.last_seen)
    )


def span_sentence_used(span: Span, port: int, *, first: bool) -> str:
    if span.remote_endpoint:
        text = _("{program} used it from {start} to {end}, connected to {peer}.").format(
            program=span_program(span),
            start=clock(span.first_seen),
            end=clock(span.used_until),
            peer=span.remote_endpoint,
        )
    else:
        text = _("{program} used it from {start} to {end}.").format(
            program=span_program(span), start=clock(span.first_seen), end=clock(span.used_until)
        )
    if first:
        return _("Nothing listens on {port} now. {earlier}").format(port=port, earlier=text)
    return text


def span_detail(span: Span) -> str:
    bits = [
        _("recorded {proto} {address}").format(proto=span.proto, address=span.local_endpoint),
        _("first state {state}").format(state=span.first_state),
    ]
    if span.last_state != span.first_state:
        bits.append(_("last state {state}").format(state=span.last_state))
    if span.user:
        bits.append(_("user {user}").format(user=span.user))
    if span.command:
        bits.append(_("command: {command}").format(command=redact_text(span.command)))
    return "; ".join(bits)


# -- the headline ---------------------------------------------------------------------------------------------


def headline(case: Fact[Case]) -> str:
    c, e = case.code, case.get
    texts: dict[Case, Callable[[], str]] = {
        Case.EMPTY: lambda: _("Paste an error message or an address to get an explanation."),
        Case.NO_ADDRESS: lambda: _("No address or port number found in that text."),
        Case.KIND_WITHOUT_PORT: lambda: _("The message says {what}, but not which port.").format(
            what=kind_plain(e("kind"))
        ),
        Case.HOST_WITHOUT_PORT: lambda: _("The message names the computer “{host}” but not the port.").format(
            host=e("host")
        ),
        Case.URL_AS_NAME: lambda: _("A web address was used as a computer name: “{host}”.").format(host=e("host")),
        Case.LOCALHOST_NOT_FOUND: lambda: _("The name “{host}” could not be looked up.").format(host=e("host")),
        Case.NAME_NOT_FOUND: lambda: _("The computer name “{host}” could not be found.").format(host=e("host")),
        Case.REMOTE: lambda: _("{address} is on another computer.").format(address=e("address")),
        Case.PORT_TAKEN: lambda: _("Port {port} is taken by {program}.").format(
            port=e("port"), program=who(e("program"))
        ),
        Case.PORT_FREE_NOW: lambda: _("Port {port} is free now.").format(port=e("port")),
        Case.WINDOWS_RESERVED: lambda: _("Windows reserves port {port}.").format(port=e("port")),
        Case.WINDOWS_DENIED: lambda: _("Windows did not allow port {port}.").format(port=e("port")),
        Case.PRIVILEGED_PORT: lambda: _("Port {port} needs administrator rights.").format(port=e("port")),
        Case.PORT_NOT_ALLOWED: lambda: _("The system did not allow port {port}.").format(port=e("port")),
        Case.LISTENING_NOW: lambda: _("{program} is listening on port {port} now.").format(
            program=who(e("program")), port=e("port")
        ),
        Case.NOT_ANSWERING: lambda: _("{program} listens on port {port}, but did not answer properly.").format(
            program=who(e("program")), port=e("port")
        ),
        Case.LISTENING: lambda: _("{program} is listening on port {port}.").format(
            program=who(e("program")), port=e("port")
        ),
        Case.CONNECTION_CLOSING: lambda: _("A closed connection on port {port} is being cleaned up.").format(
            port=e("port")
        ),
        Case.CONNECTION: lambda: _("{program} has a connection on port {port}.").format(
            program=who(e("program")), port=e("port")
        ),
        Case.LOCALHOST_FIRST_MISSED: lambda: _(
            "“{name}” means {address} first on this computer, but {program} does not listen there."
        ).format(name=e("name") or "localhost", address=e("address"), program=who(e("program"))),
        Case.OTHER_ADDRESS: lambda: _("{program} listens on port {port}, but on a different address.").format(
            program=who(e("program")), port=e("port")
        ),
        Case.LOCAL_FIREWALL: lambda: _(
            "This computer's firewall drops connections to port {port} on {address}, so nothing can answer."
        ).format(port=e("port"), address=e("address")),
        Case.NOTHING_LISTENS: lambda: (
            _elsewhere_headline(e("elsewhere"))
            or _("Nothing on this computer is listening on port {port} right now.").format(port=e("port"))
        ),
        Case.ADDRESS_NOT_HERE: lambda: (
            _("This computer does not have the address {address}.").format(address=e("address"))
            if e("address")
            else _("A program asked for an address this computer does not have.")
        ),
        Case.FAMILY_OFF: lambda: _("{family} is switched off on this computer.").format(family=e("family")),
    }
    return texts[c]()


# -- findings -----------------------------------------------------------------------------------------------


def finding(f: Fact[F]) -> Line:
    c, e = f.code, f.get
    if c is F.KIND_MEANING:
        return Line(kind_meaning(e("kind")))
    if c is F.HOST_WITHOUT_PORT:
        kind = e("kind")
        if isinstance(kind, ErrorKind):
            return Line(
                _(
                    "When connecting to the computer “{host}”, {what}. The message names the computer but not the port."
                ).format(host=e("host"), what=kind_plain(kind))
            )
        return Line(
            _(
                "The connection to the computer “{host}” failed. The message names the computer but not the port."
            ).format(host=e("host"))
        )
    if c is F.USUAL_PORT_HINT:
        return Line(
            _(
                "The message mentions {program}, which normally uses port {port}. That is a hint, not something the "
                "message says: the program may be set to another port."
            ).format(program=e("program"), port=e("usual"))
        )
    if c is F.URL_AS_NAME:
        return Line(
            _(
                "The program was given the web address “{host}” where only a computer name belongs, and tried to "
                "look up the whole address as a name. No computer has such a name."
            ).format(host=e("host"))
        )
    if c is F.NAME_NOT_LOOKED_UP:
        return Line(
            _(
                "The program could not look up the name “{host}”, so it did not even try to connect: the problem is "
                "the name, not the port or the program that should answer."
            ).format(host=e("host"))
        )
    if c is F.LOCALHOST_HOSTS_FILE:
        return Line(
            _(
                "Every computer should know “localhost” from its hosts file ({hosts_file}): the line for it may be "
                "missing or damaged, or the program runs somewhere with its own hosts file (a container, WSL or a "
                "virtual machine)."
            ).format(hosts_file=e("hosts_file"))
        )
    if c is F.LOCALHOST_MEANS:
        return Line(_("On this computer “localhost” means {addresses}.").format(addresses=_means(e("addresses"))))
    if c is F.COMPUTER_NOT_FOUND:
        return Line(
            _("The program could not find the computer named “{host}”, so it did not even try to connect.").format(
                host=e("host")
            )
        )
    if c is F.NAME_SERVICE_SILENT:
        return Line(
            _(
                "This time the name service did not answer at all (a temporary failure): the network, the VPN or "
                "the computer's name server may be down. The name itself may be right."
            )
        )
    if c is F.REMOTE_COMPUTER:
        service = e("service")
        if service:
            text = _(
                "{host} is another computer. loopgui can only see the programs on this one, so it cannot tell which "
                "program should answer on port {port} ({service}) there."
            )
        else:
            text = _(
                "{host} is another computer. loopgui can only see the programs on this one, so it cannot tell which "
                "program should answer on port {port} there."
            )
        return Line(text.format(host=e("host"), port=e("port"), service=service))
    if c is F.COMMON_USE:
        return Line(
            _("Port {port} is commonly used by {name}: {use}").format(port=e("port"), name=e("name"), use=e("use"))
        )
    if c is F.HOLDER:
        return _holder(f)
    if c is F.HIDDEN_OWNER:
        return Line(_("Its name is hidden because it belongs to another user or to the system."))
    if c is F.LEFTOVERS_ONLY:
        n = int(str(e("count")))
        return Line(
            ngettext(
                "Nobody holds port {port} now. {count} closed connection on it is a leftover that the system clears "
                "by itself within a minute; most programs can start anyway.",
                "Nobody holds port {port} now. {count} closed connections on it are leftovers that the system "
                "clears by itself within a minute; most programs can start anyway.",
                n,
            ).format(port=e("port"), count=n),
            _("TIME_WAIT; servers that set SO_REUSEADDR before bind() can listen at once."),
        )
    if c is F.FREE_SINCE_ERROR:
        return Line(
            _("Nothing uses port {port} now: the program that had it has closed since the error.").format(
                port=e("port")
            )
        )
    if c is F.WINDOWS_RESERVED:
        return Line(
            _(
                "Windows has reserved ports {range} for itself (often for Hyper-V, WSL or Docker), so no program may "
                "use them."
            ).format(range=_range(e("range"))),
            "netsh int ipv4 show excludedportrange protocol=tcp",
        )
    if c is F.WINDOWS_DENIED:
        return Line(
            _("Windows refused the port. It may be reserved by the system, or a security program blocks it."),
            "netsh int ipv4 show excludedportrange protocol=tcp",
        )
    if c is F.PRIVILEGED_PORT:
        return Line(
            _(
                "Ports below {start} are kept for system services: only an administrator may start listening on them."
            ).format(start=e("start")),
            _("Linux alternatives: setcap cap_net_bind_service=+ep on the program, or a higher port and a redirect."),
        )
    if c is F.SECURITY_SOFTWARE:
        return Line(
            _(
                "The system did not allow the port although it needs no special rights: security software (SELinux, "
                "AppArmor, an antivirus) may block it."
            )
        )
    if c is F.STARTED_SINCE:
        return Line(_("It was not listening when the error happened: it has started (or restarted) since."))
    if c is F.LISTENS_LOOPBACK_ONLY:
        return Line(
            _(
                "Only this computer can connect to it: it listens on a loopback address. To let other computers "
                "connect, the program has to listen on 0.0.0.0 (all network connections) instead; then other "
                "computers on the network can connect to it too, so do that only if they should (a firewall may "
                "still block them)."
            ),
            _("This computer's network addresses: {addresses}").format(addresses=_addresses(e("own_addresses"))),
        )
    if c is F.OTHERS_MAY_CONNECT:
        return Line(
            _(
                "Other computers can try to connect too (a firewall may still stop them), for example at {address}."
            ).format(address=format_endpoint(str(e("address")), int(str(e("port"))))),
            _("This computer's network addresses: {addresses}").format(addresses=_addresses(e("own_addresses"))),
        )
    if c in (F.REACH, F.REACH_SAFETY):
        return _reach(f)
    if c is F.CONNECTED:
        return Line(
            _("{program} is connected from {local} to {remote}.").format(
                program=who(e("program")), local=e("local"), remote=e("remote")
            ),
            program_detail(e("program")),
        )
    if c is F.CONNECTION_CLOSED:
        return Line(_("This connection has closed. Nobody holds it; the system frees the port within a minute."))
    if c is F.TEMPORARY_PORT:
        return Line(
            _(
                "Port {port} is a temporary port that the system handed out for this one connection; it goes away "
                "when the connection closes."
            ).format(port=e("port"))
        )
    if c is F.REMOTE_SERVICE:
        return Line(
            _("The other side, port {port}, is usually {service}.").format(port=e("port"), service=e("service"))
        )
    if c is F.ADDRESS_NOT_SERVED:
        if e("refused"):
            text = _(
                "Nothing listens on {address}: programs that try only the first address of “localhost” (for example "
                "Node.js 17 to 19, and many others) connect there and are refused."
            )
        else:
            text = _(
                "Nothing listens on {address}: programs that try only the first address of “localhost” (for example "
                "Node.js 17 to 19, and many others) connect there and would be refused."
            )
        return Line(
            text.format(address=format_endpoint(str(e("address")), int(str(e("port"))))),
            _(
                "Which address comes first is decided by this computer's hosts file and address preferences "
                "(getaddrinfo)."
            ),
        )
    if c is F.FAMILY_MISMATCH:
        return Line(
            _(
                "{program} listens on {where} ({have}), but the connection went to {wanted} ({want}). They are both "
                "“this computer”, yet they are different addresses."
            ).format(
                program=who(e("program")),
                where=format_list(list(_strs(e("where")))),
                have=e("have"),
                wanted=format_list(list(_strs(e("wanted")))),
                want=e("want"),
            ),
            _(
                "Which address “localhost” stands for first depends on the computer's hosts file; some programs (for "
                "example Node.js 17 to 19) try only that first address."
            ),
        )
    if c is F.LOCALHOST_FIRST_ONLY:
        addresses = _strs(e("addresses"))
        return Line(
            _(
                "On this computer “localhost” means {meaning}: a program given “localhost” tries {first} first, and "
                "many programs (for example Node.js 17 to 19) try nothing else."
            ).format(meaning=_means(e("addresses")), first=addresses[0] if addresses else "")
        )
    if c is F.WRONG_ADDRESS:
        return Line(
            _(
                "{program} listens on {where}, but the connection went to {wanted}: a program only answers on the "
                "address it listens on."
            ).format(
                program=who(e("program")),
                where=format_list(list(_strs(e("where")))),
                wanted=format_list(list(_strs(e("wanted")))),
            )
        )
    if c is F.EARLIER_LISTENER:
        span = e("span")
        assert isinstance(span, Span)
        return Line(span_sentence_listened(span, int(str(e("port")))), span_detail(span))
    if c is F.EARLIER_USER:
        span = e("span")
        assert isinstance(span, Span)
        return Line(span_sentence_used(span, int(str(e("port"))), first=bool(e("first"))), span_detail(span))
    if c is F.HISTORY_UNREADABLE:
        notice = e("notice")
        detail = history_words.notice_text(notice) if isinstance(notice, HistoryNotice) else str(e("error") or "")
        return Line(_("loopgui could not read its history of this port."), detail)
    if c is F.UDP_ONLY:
        return Line(
            _("Only UDP (single messages) is open on port {port}, by {program}; connections use TCP.").format(
                port=e("port"), program=who(e("program"))
            )
        )
    if c is F.OTHER_USERS_SOCKETS:
        return Line(_("Some sockets on this port belong to other users or the system."))
    if c is F.EPHEMERAL_PORT:
        return Line(
            _(
                "Port {port} is one of the temporary ports this computer hands out. Programs get such a port for a "
                "short while, so the program you want has probably restarted on a new port: look for the new number "
                "in its window or log."
            ).format(port=e("port")),
            _("This computer's temporary ports: {range}").format(range=_range(e("range"))),
        )
    if c is F.DYNAMIC_PORT:
        return Line(
            _(
                "Port {port} is in the range that programs often get handed out for a short while: if the program "
                "restarted, it may use a new number now."
            ).format(port=e("port"))
        )
    if c is F.DID_YOU_MEAN:
        return Line(
            _("Did you mean port {port}? {program} is listening on {address}.").format(
                port=e("port"),
                program=who(e("program")),
                address=format_endpoint(str(e("address")), int(str(e("port")))),
            )
        )
    if c is F.CLOSED_RECENTLY:
        return Line(_("A connection on this port closed recently: the program that used it has stopped."))
    if c is F.ADDRESS_NOT_HERE:
        return Line(
            _(
                "The program asked for the address {address}, but this computer does not have it (its addresses: "
                "{own}). It may be the address this computer had on another network, or a typing error."
            ).format(address=e("address") or "?", own=_addresses(e("own_addresses")))
        )
    if c is F.FAMILY_OFF:
        return Line(
            _(
                "The program tried {family}, which is switched off on this computer (or in the container the program "
                "runs in)."
            ).format(family=e("family"))
        )
    if c is F.ELSEWHERE:
        where = e("where")
        return Line(*elsewhere_words.finding(where)) if isinstance(where, Elsewhere) else Line("")
    if c is F.PICKED_GONE:
        return Line(
            _("The socket you picked ({socket}) is gone: it closed, or its program ended.").format(
                socket=_socket_text(e("socket"))
            )
        )
    if c is F.LOCAL_FIREWALL_DROP:
        block = e("block")
        if isinstance(block, LocalBlock):
            return Line(reach_words.local_block_text(block), reach_words.rule_text(block.firewall))
        return Line("")
    return Line(c.value)


def _strs(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, tuple) else ((str(value),) if value else ())


def _holder(f: Fact[F], named: int | None = None) -> Line:
    """One program on the port.  ``named``: the PID the headline already names in full; then "It" says it again
    (a long command line once per page is enough)."""
    e = f.get
    p = e("program")
    where = format_endpoint(str(e("address")), int(str(e("port"))))
    extra = []
    if isinstance(p, ProgramRef) and p.started:
        extra.append(started_ago(p.started))
    if isinstance(p, ProgramRef) and p.user:
        extra.append(_("running as {user}").format(user=p.user))
    facts = format_list(extra)
    again = isinstance(p, ProgramRef) and p.pid is not None and p.pid == named
    if e("listening"):
        if again:
            text = _("It is listening on {address} ({facts}).") if extra else _("It is listening on {address}.")
        elif extra:
            text = _("{program} is listening on {address} ({facts}).")
        else:
            text = _("{program} is listening on {address}.")
    elif again:
        text = _("It uses {address} ({facts}).") if extra else _("It uses {address}.")
    elif extra:
        text = _("{program} uses {address} ({facts}).")
    else:
        text = _("{program} uses {address}.")
    text = text.format(program=who(p), address=where, facts=facts)
    kind = address_kind_sentence(e("address_kind"))
    if kind:
        text = _("{sentence} {more}").format(sentence=text, more=kind)
    return Line(text, program_detail(p))


def _reach(f: Fact[F]) -> Line:
    """The "can other computers connect?" verdict (``core/reach``, in words by ``core/words/reach.py``): the answer
    first, its reasons and how to check in the details; the safety note as a finding of its own."""
    v = f.get("verdict")
    if not isinstance(v, ReachVerdict):
        return Line("")
    if f.code is F.REACH_SAFETY:
        return Line(reach_words.safety(v))
    how = reach_words.how_to_check(v)
    detail = reach_words.reasons(v) + ([reach_words.how_to_check_text(how)] if how else [])
    return Line(reach_words.headline(v), " ".join(detail))


# -- next steps ---------------------------------------------------------------------------------------------


def step(s: Fact[S]) -> str:
    c, e = s.code, s.get
    texts: dict[S, Callable[[], str]] = {
        S.PASTE_WHOLE_MESSAGE: lambda: _(
            "Paste the whole error message: the address often stands a few lines further down."
        ),
        S.TYPE_ADDRESS: lambda: _("Or type the address and port yourself, for example 127.0.0.1:3000."),
        S.PASTE_SOMETHING: lambda: _(
            "Paste text that contains something like 127.0.0.1:62893, localhost:3000 or “port 5432”."
        ),
        S.FIND_PORT_IN_SETTINGS: lambda: _(
            "Look in the program's settings or the full error output for the port it tried to use."
        ),
        S.CHECK_USUAL_PORT: lambda: _(
            "If it is the usual port, you can check it here by typing {host}:{port} (or just port {port})."
        ).format(host=e("host"), port=e("port")),
        S.TYPE_HOST_PORT: lambda: _(
            "When you know the port, type {host}:PORT here to check it (for example {host}:3000)."
        ).format(host=e("host")),
        S.NAME_WITHOUT_SCHEME: lambda: _(
            "In the program's settings, give the computer's name or address alone (“{name}”), without “http://” or "
            "“https://”; the port goes in its own setting if there is one."
        ).format(name=e("name")),
        S.FIX_HOSTS_FILE: lambda: _(
            "Check that the hosts file ({hosts_file}) has the lines “127.0.0.1 localhost” and “::1 localhost” "
            "(changing it needs administrator rights)."
        ).format(hosts_file=e("hosts_file")),
        S.USE_LOOPBACK_NUMBER: lambda: _("Or use 127.0.0.1 instead of {name} in the program's settings.").format(
            name=e("name")
        ),
        S.CHECK_SPELLING: lambda: _("Check the spelling of “{host}”.").format(host=e("host")),
        S.CONNECT_VPN: lambda: _(
            "If it is a computer of your company's network, connect to that network or VPN first."
        ),
        S.COMPOSE_SERVICE_NAME: lambda: _(
            "If it is the name of a service in Docker Compose (such as “db”), it only works inside that project's "
            "containers; from this computer use localhost and the published port."
        ),
        S.CHECK_ADDRESS: lambda: _(
            "Check that the address {address} is right (a typing error in a name or number is common)."
        ).format(address=e("address")),
        S.CHECK_REMOTE_PROGRAM: lambda: _("Check that the program you expect is running on that computer."),
        S.CHECK_NETWORK: lambda: _(
            "Check the network or VPN connection, and whether a firewall lets the port through."
        ),
        S.ADMIN_TO_SEE: lambda: _("Run loopgui as administrator to see which program it is."),
        S.CLOSE_HOLDER: lambda: _(
            "If you do not need {program}, close it (“Close this program…”), then start yours again."
        ).format(program=who(e("program"))),
        S.OTHER_PORT: lambda: _(
            "Or start your program on another port (for example {port}) if it lets you choose."
        ).format(port=e("port")),
        S.START_AGAIN: lambda: _("Start your program again."),
        S.WAIT_LEFTOVERS: lambda: _("If it still says the port is in use, wait a minute for the leftovers to clear."),
        S.START_AGAIN_FREE: lambda: _("Start your program again: the port is free."),
        S.PORT_OUTSIDE_RESERVED: lambda: _("Use a port outside {range}, for example {port}.").format(
            range=_range(e("range")), port=e("port")
        ),
        S.RESTART_WINNAT: lambda: _(
            "Restarting the “Windows NAT” service (net stop winnat, then net start winnat, as administrator) often "
            "releases the reservation."
        ),
        S.TRY_OTHER_PORT: lambda: _("Try another port, for example {port}.").format(port=e("port")),
        S.HIGHER_PORT: lambda: _("Use a port of 1024 or above, for example {port}.").format(port=e("port")),
        S.RUN_AS_ADMIN: lambda: _(
            "Or start the program with administrator rights (sudo) if it really must use this port."
        ),
        S.TRY_AGAIN_NOW: lambda: _("Try again now: the program is there."),
        S.WAIT_BUSY: lambda: _("{program} may be busy or stuck: wait a little and try again.").format(
            program=who(e("program"))
        ),
        S.RESTART_PROGRAM: lambda: _("If it keeps happening, restart that program."),
        S.NOTHING_WRONG: lambda: _("Nothing is wrong here: connect to this address to reach it."),
        S.USE_ADDRESS_NOT_NAME: lambda: _(
            "In the program that connects, use {where} instead of {given} (the address, not the name)."
        ).format(where=e("where"), given=e("given")),
        S.LISTEN_ON_MISSING: lambda: (
            _(
                "Or make {program} listen on {missing} too (for example on “::” as well as “0.0.0.0”, if its "
                "settings allow it); like “0.0.0.0”, “::” lets other computers connect too (over IPv6), so do that "
                "only if they should."
            )
            if e("wildcard")
            else _(
                "Or make {program} listen on {missing} too (for example on both {served} and {missing}, if its "
                "settings allow it)."
            )
        ).format(program=who(e("program")), missing=e("missing"), served=e("served")),
        S.DO_BOTH: lambda: _(
            "Or do both: then it works whichever address is tried first. Many servers listen on both when they are "
            "given no address at all (for example Node.js's listen(port), or python3 -m http.server without --bind)."
        ),
        S.CONNECT_INSTEAD: lambda: _("Connect to {where} instead of {given}.").format(
            where=e("where"), given=e("given")
        ),
        S.LISTEN_ON_BOTH: lambda: _(
            "Or make the program listen on both (for example on 0.0.0.0 and ::); then other computers on the "
            "network can connect to it too, so do that only if they should (a firewall may still block them)."
        ),
        S.START_PROGRAM: lambda: _("Start the program that should answer here, and watch for errors when it starts."),
        S.CHECK_PORT_NUMBER: lambda: _("Check the port number: {port}. A single wrong digit is a common cause.").format(
            port=e("port")
        ),
        S.TRY_AGAIN_WHEN_LISTENING: lambda: _("Then try again once the program has started."),
        S.REMOVE_FIREWALL_RULE: lambda: _remove_rule(e("block")),
        S.ELSEWHERE_STEPS: lambda: " ".join(_step_lines(s)),
        S.LISTEN_ON_OWN_ADDRESS: lambda: _(
            "In the program's settings, replace {address} with one of this computer's addresses, or with 0.0.0.0 "
            "or 127.0.0.1."
        ).format(address=e("address")),
        S.USE_IPV4: lambda: _(
            "Use an IPv4 address (such as 127.0.0.1) instead of an IPv6 one in the program's settings, or switch "
            "IPv6 on again."
        ),
    }
    return texts[c]()


def _elsewhere_headline(where: object) -> str | None:
    return elsewhere_words.headline(where) if isinstance(where, Elsewhere) else None


def _remove_rule(block: object) -> str:
    if not isinstance(block, LocalBlock):
        return ""
    steps = reach_words.local_block_steps(block)
    lead = _("Remove or change that firewall rule (administrator rights needed).")
    return " ".join([lead, *steps])


def _step_lines(s: Fact[S]) -> tuple[str, ...]:
    """A step in words; a program found listening elsewhere may bring several."""
    where = s.get("where")
    if s.code is S.ELSEWHERE_STEPS and isinstance(where, Elsewhere):
        return tuple(elsewhere_words.steps(where))
    text = step(s)
    return (text,) if text else ()


# -- details ------------------------------------------------------------------------------------------------

_DETAIL_LABELS = {
    D.ADDRESS: N_("Address"),
    D.NAME_IN_MESSAGE: N_("Name in the message"),
    D.PORT_RANGE: N_("Port range"),
    D.IANA: N_("IANA registration"),
    D.COMMON_USE: N_("Commonly used for"),
    D.LOCALHOST_MEANS: N_("“localhost” on this computer means"),
    D.LISTENING: N_("Listening"),
    D.ERROR_WORDS: N_("Error words"),
    D.COMPUTER: N_("Computer"),
    D.NAME: N_("Name"),
    D.USUAL_PORT: N_("Usual port"),
    D.THIS_COMPUTER: N_("This computer's addresses"),
}


def detail(d: Fact[D]) -> tuple[str, str]:
    c, e = d.code, d.get
    label = _(_DETAIL_LABELS[c])
    if c is D.PORT_RANGE:
        eph = e("ephemeral")
        value = port_range_sentence(int(str(e("port"))), eph) if isinstance(eph, Range) else ""
    elif c is D.IANA:
        value = " — ".join(str(x) for x in (e("name"), e("description")) if x)
    elif c is D.COMMON_USE:
        value = _("{name}: {use}").format(name=e("name"), use=e("use"))
    elif c is D.LOCALHOST_MEANS:
        value = format_list(list(_strs(e("addresses")))) or _("(not found)")
    elif c is D.LISTENING:
        p = e("program")
        owner = program_text(p.name, p.pid) if isinstance(p, ProgramRef) and p.pid is not None else _("owner hidden")
        value = f"{e('proto')} {format_endpoint(str(e('address')), int(str(e('port'))))} ({owner})"
    elif c is D.USUAL_PORT:
        label = _("Usual port of {program}").format(program=e("program"))
        value = str(e("value"))
    else:
        value = str(e("value") or "")
    return label, value


def problem(p: Fact[Problem]) -> str:
    c, e = p.code, p.get
    if c is Problem.NOT_TEXT:
        return _("That is not text.")
    if c is Problem.TOO_LONG:
        return _("The text is very long; only its first million characters were read.")
    if c is Problem.BAD_PORT:
        return _("{value} is not a port number: ports go from 1 to 65535.").format(value=e("value"))
    return _("{value} is not a valid address: each of its four numbers must be between 0 and 255.").format(
        value=e("value")
    )


def command_text(d: Diagnosis) -> str:
    c = d.command
    if c is None:
        return ""
    if c.placeholder:
        if c.shell == "powershell":
            return _(
                "{command}   (in PowerShell; put the computer's name or address in place of COMPUTER: the text did "
                "not hold a valid one)"
            ).format(command=c.text)
        return _(
            "{command}   (put the computer's name or address in place of COMPUTER: the text did not hold a valid one)"
        ).format(command=c.text)
    if c.shell == "powershell":
        return _("{command}   (in PowerShell)").format(command=c.text)
    return c.text


# -- the whole ----------------------------------------------------------------------------------------------


def render(d: Diagnosis) -> Rendered:
    case_program = d.case.get("program")
    named = case_program.pid if isinstance(case_program, ProgramRef) else None
    others = ""
    if d.other_endpoints:
        others = _("The text also mentions {addresses}.").format(
            addresses=format_list([e.display for e in d.other_endpoints])
        )
    return Rendered(
        headline=headline(d.case),
        verdict=d.verdict,
        findings=tuple(_holder(f, named) if f.code is F.HOLDER else finding(f) for f in d.findings),
        next_steps=tuple(text for s in d.steps for text in _step_lines(s)),
        do_it_yourself=command_text(d),
        details=tuple(detail(x) for x in d.details),
        problems=tuple(problem(p) for p in d.problems),
        others=others,
    )


def report(d: Diagnosis, *, header: bool = True) -> str:
    """The whole explanation as plain text, for the clipboard or a support e-mail (secrets hidden)."""
    r = render(d)
    stamp = datetime.fromtimestamp(d.made_at).strftime("%Y-%m-%d %H:%M:%S")
    lines = [_("loopgui report, {time}").format(time=stamp)] if header else []
    if d.text:
        pasted = redact_text(" ".join(d.text.split()))
        cut = pasted[:300] + ("…" if len(pasted) > 300 else "")
        lines.append(_("Pasted: {text}").format(text=cut))
    if lines:
        lines.append("")
    lines.append(r.headline)
    if r.findings:
        lines += ["", _("What loopgui found:")]
        lines += [f"- {f.text}" for f in r.findings]
    if r.next_steps:
        lines += ["", _("What you can do:")]
        lines += [f"{i}. {s}" for i, s in enumerate(r.next_steps, 1)]
    if r.problems:
        lines += ["", *r.problems]
    if r.others:
        lines += ["", r.others]
    if r.do_it_yourself:
        lines += ["", _("Do it yourself: {command}").format(command=r.do_it_yourself)]
    technical = r.technical()
    if technical:
        lines += ["", _("Technical details:")]
        lines += [f"  {t}" for t in technical]
    return "\n".join(lines) + "\n"


def as_json(d: Diagnosis) -> dict[str, object]:
    """``--json``: the codes and evidence, with the English (or current language's) sentences beside them."""
    r = render(d)
    data = d.as_dict()
    data["reach"] = reach_words.as_dict(d.reach) if d.reach is not None else None
    data["elsewhere"] = [{**e.as_dict(), "text": elsewhere_words.finding(e)[0]} for e in d.elsewhere]
    data["text"] = {
        "headline": r.headline,
        "findings": [{"text": f.text, "detail": f.detail or None} for f in r.findings],
        "next_steps": list(r.next_steps),
        "do_it_yourself": r.do_it_yourself or None,
        "details": [{"label": k, "value": v} for k, v in r.details],
        "problems": list(r.problems),
    }
    return data


def _socket_text(row: object) -> str:
    """A socket the user picked, in one line (the evidence is the row itself)."""
    return row_summary(row) if isinstance(row, SocketRow) else str(row)
