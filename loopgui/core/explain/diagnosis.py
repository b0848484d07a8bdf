"""From an error message (or a socket) and the live snapshot to an explanation, as facts.

:func:`diagnose` and :func:`explain_row` return a :class:`Diagnosis`: a :class:`Case` (what the headline says),
findings, next steps and details, each a code with typed evidence (``core/explain/facts.py``).  No sentence is made
here: ``core/words/explain.py`` renders them, for every surface alike.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from loopgui.core.explain import elsewhere, knowledge
from loopgui.core.explain.endpoints import Endpoint, ErrorKind, FindResult, find_endpoints
from loopgui.core.explain.facts import (
    Case,
    D,
    F,
    Fact,
    Problem,
    ProgramRef,
    Range,
    S,
    Verdict,
    fact,
    to_json,
)
from loopgui.core.history.store import HistorySource, HistoryUnavailable
from loopgui.core.net.sockets import CLOSING_STATES, ORPHAN_STATES, TCP, SocketRow, format_endpoint
from loopgui.core.programs.processes import ProcessFacts, process_facts, running_as_admin
from loopgui.core.reach.assess import LocalBlock, ReachVerdict, live_verdict, local_block
from loopgui.core.text import shellquote
from loopgui.core.text.redact import redact_command

__all__ = ["Case", "Diagnosis", "Environment", "Holder", "Verdict", "diagnose", "explain_row"]

MAX_HOLDERS = 5
log = logging.getLogger("loopgui.diagnosis")

# "Can other computers reach it?" for a port's listeners: (port, protocol, listeners) -> verdict (core/reach/assess.py)
ReachReader = Callable[[int, str, Sequence[SocketRow]], ReachVerdict]
# (port, protocol, loopback address) -> the firewall rule that drops local connections there, or None
LocalFirewall = Callable[[int, str, str], "LocalBlock | None"]
MAX_EARLIER = 3  # earlier holders of a port named from the history
MAX_COMMAND = 300  # characters of a command line kept as evidence
# Where the program that should answer listens instead: (port, protocol, this namespace's rows) -> facts
ElsewhereReader = Callable[[int, str, Sequence[SocketRow]], tuple[elsewhere.Elsewhere, ...]]

Finding = Fact[F]
Step = Fact[S]
Detail = Fact[D]


@dataclass(frozen=True, slots=True)
class Holder:
    """A program with a socket on the port, and what could be read about it."""

    row: SocketRow
    facts: ProcessFacts | None = None

    @property
    def ref(self) -> ProgramRef:
        """The program as evidence, named as the table names it ("python3 -m http.server 8000")."""
        r, f = self.row, self.facts
        if r.pid is None:
            return ProgramRef("", None, closed=r.state in ORPHAN_STATES)
        name = r.label or r.program or (f.name if f else "")
        if f is None:
            return ProgramRef(name, r.pid)
        command = redact_command(f.cmdline)  # evidence goes into reports: secrets hidden
        command = command if len(command) <= MAX_COMMAND else command[:MAX_COMMAND] + "…"
        return ProgramRef(
            name,
            r.pid,
            user=f.username,
            started=f.create_time,
            command=command,
            exe=f.exe,
            parent=f.parent_name,
            ppid=f.ppid,
            hidden=f.hidden,
        )


@dataclass(frozen=True, slots=True)
class Environment:
    """Facts about this computer that a diagnosis depends on (replaceable in tests)."""

    platform: str
    ephemeral: knowledge.PortRange
    excluded: tuple[knowledge.PortRange, ...]
    unprivileged_start: int
    localhost: tuple[str, ...]
    own_addresses: tuple[str, ...]
    is_local: Callable[[str], bool]
    reach: ReachReader | None = None  # None: say only what the bind address tells
    local_firewall: LocalFirewall | None = None  # does this computer's firewall drop local connections? (core/reach)
    admin: bool = False  # loopgui runs with administrator rights: advice to get them would be pointless
    elsewhere: ElsewhereReader | None = None  # None: do not look for the program elsewhere (core/explain/elsewhere.py)

    @staticmethod
    def current(resolver: knowledge.Resolver | None = None) -> Environment:
        """This computer.  ``resolver``: a stand-in for ``socket.getaddrinfo`` to learn what "localhost" means."""
        return Environment(
            platform=sys.platform,
            ephemeral=knowledge.ephemeral_range(),
            excluded=knowledge.excluded_ranges(),
            unprivileged_start=knowledge.unprivileged_port_start(),
            localhost=knowledge.localhost_addresses(resolver),
            own_addresses=knowledge.this_computer_addresses(),
            is_local=knowledge.is_this_computer,
            reach=_live_reach,
            local_firewall=local_block,
            admin=running_as_admin(),
            elsewhere=elsewhere.live,
        )


def _live_reach(port: int, proto: str, listeners: Sequence[SocketRow]) -> ReachVerdict:
    """This computer's verdict without the own-address test (that one runs only when the user asks)."""
    return live_verdict(port, proto, listeners)


@dataclass(frozen=True, slots=True)
class Command:
    """A command a person can type to see the same.  ``shell``: posix, powershell or cmd.  ``placeholder``: the text
    held no valid computer name, so COMPUTER stands in its place."""

    text: str
    shell: str = "posix"
    placeholder: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"command": self.text, "shell": self.shell, "placeholder": self.placeholder}


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """An explanation as facts: the case (the headline's code and evidence), the verdict, findings, next steps,
    the command to check it yourself, technical details.  Render it with ``core.words.explain``."""

    case: Fact[Case]
    verdict: Verdict
    endpoint: Endpoint | None = None
    kind: ErrorKind | None = None
    kind_text: str = ""
    findings: tuple[Finding, ...] = ()
    steps: tuple[Step, ...] = ()
    command: Command | None = None
    details: tuple[Detail, ...] = ()
    other_endpoints: tuple[Endpoint, ...] = ()
    holders: tuple[Holder, ...] = ()
    problems: tuple[Fact[Problem], ...] = ()
    text: str = ""
    reach: ReachVerdict | None = None  # can other computers connect? (core/reach/assess.py)
    made_at: float = field(default_factory=time.time)
    elsewhere: tuple[elsewhere.Elsewhere, ...] = ()  # where the program that should answer listens instead

    def codes(self) -> list[str]:
        """Every finding's code, in order (what tests and scripts look at)."""
        return [f.code.value for f in self.findings]

    def has(self, code: F) -> bool:
        return any(f.code is code for f in self.findings)

    def finding(self, code: F) -> Finding | None:
        return next((f for f in self.findings if f.code is code), None)

    def step_codes(self) -> list[str]:
        return [s.code.value for s in self.steps]

    def as_dict(self) -> dict[str, object]:
        """Codes and evidence, as ``--json`` prints them (the words are added by the caller)."""
        return {
            "case": self.case.as_dict(),
            "verdict": self.verdict.value,
            "endpoint": _endpoint_dict(self.endpoint),
            "error_kind": self.kind.value if self.kind else None,
            "error_words": self.kind_text or None,
            "findings": [f.as_dict() for f in self.findings],
            "next_steps": [s.as_dict() for s in self.steps],
            "do_it_yourself": self.command.as_dict() if self.command else None,
            "details": [d.as_dict() for d in self.details],
            "other_endpoints": [_endpoint_dict(e) for e in self.other_endpoints],
            "holders": [
                {
                    "protocol": h.row.proto,
                    "local_address": h.row.local_addr,
                    "local_port": h.row.local_port,
                    "state": h.row.state,
                    "program": to_json(h.ref),
                }
                for h in self.holders
            ],
            "problems": [p.as_dict() for p in self.problems],
            "reach": None,  # the reach verdict with its words: core.words.explain.as_json adds it
            "elsewhere": [e.as_dict() for e in self.elsewhere],
        }


def _endpoint_dict(e: Endpoint | None) -> dict[str, object] | None:
    return None if e is None else {"host": e.host or None, "port": e.port, "text": e.text, "name": e.named or None}


# ---------------------------------------------------------------------------------------------------------------


# The paste is parsed once: the window parses it to narrow the table, then the diagnosis reads the same result.
def parse(text: str) -> FindResult:
    return _parse(find_endpoints, text)


@functools.lru_cache(maxsize=8)
def _parse(finder: Callable[[str], FindResult], text: str) -> FindResult:
    return finder(text)


FactsReader = Callable[[int], ProcessFacts]


def diagnose(
    text: str,
    rows: Mapping[bytes, SocketRow],
    *,
    env: Environment | None = None,
    facts: FactsReader = process_facts,
    history: HistorySource | None = None,
) -> Diagnosis:
    """Read ``text`` (an error message or an address) and explain it against the live sockets in ``rows``
    (and, when ``history`` is given, what held the port earlier)."""
    found = parse(text) if isinstance(text, str) else find_endpoints(text)
    text = text if isinstance(text, str) else ""
    env = env or Environment.current()
    named = found.kind == ErrorKind.NOT_FOUND and found.lookup_host
    if named and (not found.endpoints or found.endpoints[0].host.lower() != found.lookup_host.lower()):
        return _name_not_found(found, text, env)  # about the name; any address in the text is not the target
    if found.host_only and not named:
        return _host_without_port(found, text)
    if not found.endpoints:
        return _no_endpoint(found, text)
    endpoint = found.endpoints[0]
    r = _Builder(endpoint, found.kind, rows, env, facts, history=history, kind_text=found.kind_text).build()
    return r.diagnosis(
        endpoint,
        kind=found.kind,
        kind_text=found.kind_text,
        other_endpoints=found.endpoints[1:],
        problems=found.problems,
        text=text,
    )


def explain_row(
    row: SocketRow,
    rows: Mapping[bytes, SocketRow],
    *,
    env: Environment | None = None,
    facts: FactsReader = process_facts,
    history: HistorySource | None = None,
) -> Diagnosis:
    """Explain the port of one socket from the table."""
    port = row.local_port
    host = row.local_addr
    endpoint = Endpoint(host, port, format_endpoint(host, port))
    builder = _Builder(endpoint, None, rows, env or Environment.current(), facts, selected=row, history=history)
    return builder.build().diagnosis(endpoint)


def _no_endpoint(found: FindResult, text: str) -> Diagnosis:
    if found.kind is not None:
        return Diagnosis(
            case=fact(Case.KIND_WITHOUT_PORT, kind=found.kind),
            verdict=Verdict.UNKNOWN,
            kind=found.kind,
            kind_text=found.kind_text,
            findings=(fact(F.KIND_MEANING, kind=found.kind),),
            steps=(fact(S.PASTE_WHOLE_MESSAGE), fact(S.TYPE_ADDRESS)),
            details=(fact(D.ERROR_WORDS, value=found.kind_text),),
            problems=found.problems,
            text=text,
        )
    empty = not text.strip()
    return Diagnosis(
        case=fact(Case.EMPTY if empty else Case.NO_ADDRESS),
        verdict=Verdict.UNKNOWN,
        steps=() if empty else (fact(S.PASTE_SOMETHING),),
        problems=found.problems,
        text=text,
    )


def _host_without_port(found: FindResult, text: str) -> Diagnosis:
    """The message names the computer ("Can't connect to MySQL server on 'localhost' (10061)") but no port."""
    host = found.host_only
    findings = [fact(F.HOST_WITHOUT_PORT, host=host, kind=found.kind)]
    if found.kind is not None:
        findings.append(fact(F.KIND_MEANING, kind=found.kind))
    program, usual = found.port_hint
    steps = [fact(S.FIND_PORT_IN_SETTINGS)]
    details = [fact(D.COMPUTER, value=host)]
    if found.kind_text:
        details.append(fact(D.ERROR_WORDS, value=found.kind_text))
    if program:
        findings.append(fact(F.USUAL_PORT_HINT, program=program, usual=usual))
        steps.append(fact(S.CHECK_USUAL_PORT, host=host, port=usual.split(" ", 1)[0]))
        details.append(fact(D.USUAL_PORT, program=program, value=usual))
    else:
        steps.append(fact(S.TYPE_HOST_PORT, host=host))
    return Diagnosis(
        case=fact(Case.HOST_WITHOUT_PORT, host=host),
        verdict=Verdict.UNKNOWN,
        kind=found.kind,
        kind_text=found.kind_text,
        findings=tuple(findings),
        steps=tuple(steps),
        details=tuple(details),
        other_endpoints=found.endpoints,
        problems=found.problems,
        text=text,
    )


def _is_localhost(host: str) -> bool:
    h = host.lower().rstrip(".")
    return h == "localhost" or h.endswith(".localhost")


_HOSTS_FILE = {
    "win32": r"C:\Windows\System32\drivers\etc\hosts",
    "darwin": "/etc/hosts",
}


def _name_lookup(host: str, env: Environment, kind_text: str = "") -> tuple[Fact[Case], list[Finding], list[Step]]:
    """Case, findings and next steps for a name that could not be looked up ("getaddrinfo ENOTFOUND")."""
    hosts_file = _HOSTS_FILE.get(env.platform, "/etc/hosts")
    if "://" in host:
        name = host.split("://", 1)[1].split("/", 1)[0]
        return (
            fact(Case.URL_AS_NAME, host=host),
            [fact(F.URL_AS_NAME, host=host)],
            [fact(S.NAME_WITHOUT_SCHEME, name=name)],
        )
    if _is_localhost(host):
        findings = [fact(F.NAME_NOT_LOOKED_UP, host=host), fact(F.LOCALHOST_HOSTS_FILE, hosts_file=hosts_file)]
        if env.localhost:
            findings.append(fact(F.LOCALHOST_MEANS, addresses=env.localhost))
        steps = [fact(S.FIX_HOSTS_FILE, hosts_file=hosts_file), fact(S.USE_LOOPBACK_NUMBER, name=host)]
        return fact(Case.LOCALHOST_NOT_FOUND, host=host), findings, steps
    findings = [fact(F.COMPUTER_NOT_FOUND, host=host), fact(F.KIND_MEANING, kind=ErrorKind.NOT_FOUND)]
    if kind_text.lower() in ("eai_again", "temporary failure in name"):
        findings.append(fact(F.NAME_SERVICE_SILENT))
    steps = [fact(S.CHECK_SPELLING, host=host), fact(S.CONNECT_VPN), fact(S.COMPOSE_SERVICE_NAME)]
    return fact(Case.NAME_NOT_FOUND, host=host), findings, steps


def _name_not_found(found: FindResult, text: str, env: Environment) -> Diagnosis:
    case, findings, steps = _name_lookup(found.lookup_host, env, found.kind_text)
    details = [fact(D.NAME, value=found.lookup_host), fact(D.ERROR_WORDS, value=found.kind_text)]
    if _is_localhost(found.lookup_host):
        details.append(fact(D.LOCALHOST_MEANS, addresses=env.localhost))
    return Diagnosis(
        case=case,
        verdict=Verdict.PROBLEM,
        kind=found.kind,
        kind_text=found.kind_text,
        findings=tuple(findings),
        steps=tuple(steps),
        details=tuple(details),
        problems=found.problems,
        text=text,
    )


@dataclass(slots=True)
class _Result:
    case: Fact[Case]
    verdict: Verdict = Verdict.INFO
    findings: tuple[Finding, ...] = ()
    steps: tuple[Step, ...] = ()
    command: Command | None = None
    details: tuple[Detail, ...] = ()
    holders: tuple[Holder, ...] = ()
    reach: ReachVerdict | None = None
    elsewhere: tuple[elsewhere.Elsewhere, ...] = ()

    def diagnosis(
        self,
        endpoint: Endpoint,
        *,
        kind: ErrorKind | None = None,
        kind_text: str = "",
        other_endpoints: tuple[Endpoint, ...] = (),
        problems: tuple[Fact[Problem], ...] = (),
        text: str = "",
    ) -> Diagnosis:
        details = self.details
        if kind_text:
            details = (*details, fact(D.ERROR_WORDS, value=kind_text))
        return Diagnosis(
            case=self.case,
            verdict=self.verdict,
            endpoint=endpoint,
            kind=kind,
            kind_text=kind_text,
            findings=self.findings,
            steps=self.steps,
            command=self.command,
            details=details,
            other_endpoints=other_endpoints,
            holders=self.holders,
            problems=problems,
            text=text,
            reach=self.reach,
            elsewhere=self.elsewhere,
        )


class _Builder:
    def __init__(
        self,
        endpoint: Endpoint,
        kind: ErrorKind | None,
        rows: Mapping[bytes, SocketRow],
        env: Environment,
        facts: FactsReader,
        selected: SocketRow | None = None,
        history: HistorySource | None = None,
        kind_text: str = "",
    ) -> None:
        self.ep = endpoint
        self.kind_text = kind_text
        self.history = history
        self.reach: ReachVerdict | None = None
        self.found_elsewhere: tuple[elsewhere.Elsewhere, ...] = ()
        self.port = endpoint.port
        self.host = endpoint.host
        self.kind = kind
        self.env = env
        self.facts_reader = facts
        self.selected = selected
        self.info = knowledge.port_info(self.port, selected.proto if selected else "tcp")
        on_port = [r for r in rows.values() if r.local_port == self.port]
        self.listeners = [r for r in on_port if r.is_listening]
        self.tcp_listeners = [r for r in self.listeners if r.proto == TCP]
        self.time_wait = [r for r in on_port if r.state == "TIME_WAIT"]
        self.connected = [r for r in on_port if r.proto == TCP and r.state not in ("LISTEN", "TIME_WAIT")]
        self.all_listening = [r for r in rows.values() if r.proto == TCP and r.state == "LISTEN"]
        self.used = {r.local_port for r in rows.values()}
        self.findings: list[Finding] = []
        self.steps: list[Step] = []
        self._facts: dict[int, ProcessFacts] = {}

    # -- helpers ---------------------------------------------------------------------------------------------

    def facts(self, pid: int | None) -> ProcessFacts | None:
        if pid is None:
            return None
        if pid not in self._facts:
            self._facts[pid] = self.facts_reader(pid)
        return self._facts[pid]

    def holders(self, rows: Iterable[SocketRow]) -> tuple[Holder, ...]:
        seen: set[int | None] = set()
        out: list[Holder] = []
        for r in rows:
            if r.pid in seen and r.pid is not None:
                continue
            seen.add(r.pid)
            out.append(Holder(r, self.facts(r.pid)))
            if len(out) >= MAX_HOLDERS:
                break
        return tuple(out)

    def targets(self) -> tuple[str, ...] | None:
        """The addresses a client would try for the host typed; None means "any address of this computer"."""
        h = self.host.lower()
        if h in ("", "*") or knowledge.address_kind(h) == knowledge.WILDCARD:
            return None
        if _is_localhost(h):
            return self.env.localhost or ("127.0.0.1",)
        if knowledge.ip_version(h):
            return (_normal(h),)
        return None  # this computer's own name: any of its addresses

    def accepts(self, listen_addr: str, targets: tuple[str, ...] | None) -> bool:
        if targets is None:
            return True
        la = _normal(listen_addr)
        for t in targets:
            if la == t:
                return True
            if la == "0.0.0.0" and knowledge.ip_version(t) == 4:
                return True
            if la == "::":
                return True  # IPv6 wildcard also takes IPv4 unless the program turned that off
        return False

    def holder(self, h: Holder) -> Finding:
        """One program on the port: who, where, since when, as whom (all evidence; words say it)."""
        r = h.row
        return fact(
            F.HOLDER,
            program=h.ref,
            address=r.local_addr,
            port=r.local_port,
            listening=r.is_listening,
            address_kind=knowledge.address_kind(r.local_addr),
        )

    def earlier(self) -> list[Finding]:
        """What held the port before, from the history: the latest listeners, else the latest users."""
        if self.history is None:
            return []
        try:
            spans = [s for s in self.history.port_history(self.port, limit=50) if s.local_port == self.port]
        except HistoryUnavailable as exc:
            return [fact(F.HISTORY_UNREADABLE, notice=exc.notice)]
        except Exception as exc:  # the history is optional: a damaged one never stops an explanation
            log.warning("the history of port %s could not be read: %s", self.port, exc)
            return [fact(F.HISTORY_UNREADABLE, error=str(exc))]  # the system's own words
        # ended ones; a closed connection the system alone held (TIME_WAIT, owner unknown) names nobody
        ended = [s for s in spans if s.ended and not (s.pid is None and s.first_state in _CLOSED_STATES)]
        listened = [s for s in ended if s.listened]
        chosen = listened or ended
        out: list[Finding] = []
        seen: set[tuple[int | None, str]] = set()
        for i, span in enumerate(chosen):
            if (span.pid, span.program) in seen:
                continue
            seen.add((span.pid, span.program))
            if span.listened:
                out.append(fact(F.EARLIER_LISTENER, span=span, port=self.port))
            else:
                out.append(fact(F.EARLIER_USER, span=span, port=self.port, first=i == 0))
            if len(out) >= MAX_EARLIER:
                break
        return out

    def diy(self) -> Command:
        """The command a person can type to see the same.  Text from the paste is never shell syntax here: a host
        appears only as an IP address or a valid host name (``shellquote.safe_host``), quoted for the shell the
        command is for; anything else gets a placeholder."""
        p = int(self.port)
        windows = self.env.platform == "win32"
        if self.host and not self.env.is_local(self.host):
            host = shellquote.safe_host(self.host)
            if host is None:
                if windows:
                    return Command(f"Test-NetConnection COMPUTER -Port {p}", "powershell", placeholder=True)
                return Command(f"nc -vz COMPUTER {p}", "posix", placeholder=True)
            if windows:
                return Command(f"Test-NetConnection {shellquote.powershell(host)} -Port {p}", "powershell")
            return Command(f"nc -vz {shellquote.posix(host)} {p}", "posix")
        if windows:
            return Command(f"netstat -ano | findstr :{p}", "cmd")
        if self.env.platform == "darwin":
            return Command(f"lsof -nP -i :{p}", "posix")
        return Command(f"ss -tulpn | grep :{p}", "posix")

    def details(self) -> tuple[Detail, ...]:
        eph = self.env.ephemeral
        out = [
            fact(D.ADDRESS, value=self.ep.display),
            fact(D.PORT_RANGE, port=self.port, ephemeral=Range(eph.first, eph.last)),
        ]
        if self.ep.named:
            out.insert(1, fact(D.NAME_IN_MESSAGE, value=self.ep.named))
        if self.info.iana_name or self.info.iana_description:
            out.append(fact(D.IANA, name=self.info.iana_name, description=self.info.iana_description))
        if self.info.common_use:
            out.append(fact(D.COMMON_USE, name=self.info.common_name, use=self.info.common_use))
        if self.host.lower() == "localhost":
            out.append(fact(D.LOCALHOST_MEANS, addresses=self.env.localhost))
        for r in self.listeners[:MAX_HOLDERS]:
            out.append(
                fact(
                    D.LISTENING,
                    proto=r.proto,
                    address=r.local_addr,
                    port=r.local_port,
                    program=Holder(r).ref,
                )
            )
        return tuple(out)

    def neighbours(self) -> list[SocketRow]:
        """Listeners on a port one typo away (62839 for 62893, 8008 for 8080, 300 for 3000)."""
        near = _typo_ports(self.port)
        return [r for r in self.all_listening if r.local_port in near]

    def add_known_use(self) -> None:
        """What the port is commonly used for (curated); IANA's registration stays in the details."""
        if self.info.common_use:
            self.findings.append(
                fact(F.COMMON_USE, port=self.port, name=self.info.common_name, use=self.info.common_use)
            )

    def add_remote_access(self, listeners: list[SocketRow]) -> None:
        if not listeners:
            return
        if self.env.reach is not None and self.add_reach(listeners[0].proto):
            return
        kinds = {knowledge.address_kind(r.local_addr) for r in listeners}
        if kinds == {knowledge.LOOPBACK}:
            self.findings.append(fact(F.LISTENS_LOOPBACK_ONLY, own_addresses=self.env.own_addresses))
        elif knowledge.WILDCARD in kinds and self.env.own_addresses:
            self.findings.append(
                fact(
                    F.OTHERS_MAY_CONNECT,
                    address=self.env.own_addresses[0],
                    port=self.port,
                    own_addresses=self.env.own_addresses,
                )
            )

    def add_reach(self, proto: str) -> bool:
        """The "can other computers connect?" verdict for the port's listeners."""
        assert self.env.reach is not None
        listeners = [r for r in self.listeners if r.proto == proto]
        try:
            v = self.env.reach(self.port, proto.lower(), listeners)
        except Exception:  # explain what we can: the bind address alone
            log.exception("the reach verdict failed")
            return False
        self.reach = v
        self.findings.append(fact(F.REACH, verdict=v))
        if v.exposed:
            self.findings.append(fact(F.REACH_SAFETY, verdict=v))
        return True

    def result(self, case: Fact[Case], verdict: Verdict, holders: tuple[Holder, ...] = ()) -> _Result:
        return _Result(
            case=case,
            verdict=verdict,
            findings=tuple(self.findings),
            steps=tuple(self.steps),
            command=self.diy(),
            details=self.details(),
            holders=holders,
            reach=self.reach,
            elsewhere=self.found_elsewhere,
        )

    # -- the cases -------------------------------------------------------------------------------------------

    def build(self) -> _Result:
        if self.kind == ErrorKind.NOT_FOUND and self.selected is None and self.host:
            return self.name_lookup()
        if self.selected is None and self.kind == ErrorKind.NOT_AVAILABLE:
            return self.address_not_here()  # the address is not this computer's: that is the finding itself
        if self.selected is None and self.kind == ErrorKind.FAMILY:
            return self.family_off()
        if self.host and not self.env.is_local(self.host):
            return self.remote()
        if self.kind == ErrorKind.IN_USE:
            return self.in_use()
        if self.kind == ErrorKind.PERMISSION:
            return self.permission()
        return self.who_listens()

    def name_lookup(self) -> _Result:
        case, findings, steps = _name_lookup(self.host, self.env, self.kind_text)
        self.findings += findings
        self.steps += steps
        return self.result(case, Verdict.PROBLEM)

    def remote(self) -> _Result:
        self.findings.append(fact(F.REMOTE_COMPUTER, host=self.host, port=self.port, service=self.info.label))
        if self.kind is not None:
            self.findings.append(fact(F.KIND_MEANING, kind=self.kind))
        self.add_known_use()
        self.steps += [fact(S.CHECK_ADDRESS, address=self.ep.display), fact(S.CHECK_REMOTE_PROGRAM)]
        if self.kind in (ErrorKind.TIMEOUT, ErrorKind.UNREACHABLE):
            self.steps.append(fact(S.CHECK_NETWORK))
        return self.result(fact(Case.REMOTE, address=self.ep.display), Verdict.INFO)

    def in_use(self) -> _Result:
        takers = [r for r in self.listeners + self.connected if r.state != "TIME_WAIT"]
        if takers:
            holders = self.holders(takers)
            main = holders[0]
            for h in holders:
                self.findings.append(self.holder(h))
            if main.row.pid is None:
                self.findings.append(fact(F.HIDDEN_OWNER))
                if not self.env.admin:
                    self.steps.append(fact(S.ADMIN_TO_SEE))
            else:
                self.steps.append(fact(S.CLOSE_HOLDER, program=main.ref))
            self.steps.append(fact(S.OTHER_PORT, port=_suggest_port(self.port, self.used)))
            return self.result(fact(Case.PORT_TAKEN, port=self.port, program=main.ref), Verdict.PROBLEM, holders)
        if self.time_wait:
            # Agrees with what closing a program reports ("Port N is free now."): nobody holds the port; only
            # leftovers of closed connections remain, which most servers ignore (SO_REUSEADDR).
            self.findings.append(fact(F.LEFTOVERS_ONLY, port=self.port, count=len(self.time_wait)))
            self.steps += [fact(S.START_AGAIN), fact(S.WAIT_LEFTOVERS)]
            return self.result(fact(Case.PORT_FREE_NOW, port=self.port), Verdict.OK)
        self.findings.append(fact(F.FREE_SINCE_ERROR, port=self.port))
        self.findings += self.earlier()
        self.steps.append(fact(S.START_AGAIN_FREE))
        return self.result(fact(Case.PORT_FREE_NOW, port=self.port), Verdict.OK)

    def permission(self) -> _Result:
        p = self.port
        if self.env.platform == "win32":
            for rng in self.env.excluded:
                if p in rng:
                    self.findings.append(fact(F.WINDOWS_RESERVED, range=Range(rng.first, rng.last)))
                    self.steps += [
                        fact(
                            S.PORT_OUTSIDE_RESERVED,
                            range=Range(rng.first, rng.last),
                            port=_suggest_port(p, self.used, avoid=self.env.excluded),
                        ),
                        fact(S.RESTART_WINNAT),
                    ]
                    return self.result(fact(Case.WINDOWS_RESERVED, port=p), Verdict.PROBLEM)
            self.findings.append(fact(F.WINDOWS_DENIED))
            self.steps.append(fact(S.TRY_OTHER_PORT, port=_suggest_port(p, self.used)))
            return self.result(fact(Case.WINDOWS_DENIED, port=p), Verdict.PROBLEM)
        if p < self.env.unprivileged_start:
            self.findings.append(fact(F.PRIVILEGED_PORT, start=self.env.unprivileged_start))
            self.steps += [fact(S.HIGHER_PORT, port=_suggest_port(p, self.used)), fact(S.RUN_AS_ADMIN)]
            return self.result(fact(Case.PRIVILEGED_PORT, port=p), Verdict.PROBLEM)
        self.findings.append(fact(F.SECURITY_SOFTWARE))
        return self.result(fact(Case.PORT_NOT_ALLOWED, port=p), Verdict.PROBLEM)

    def address_not_here(self) -> _Result:
        """EADDRNOTAVAIL: a program asked to listen on (or connect from) an address this computer does not have."""
        address = self.host or ""
        self.findings.append(fact(F.ADDRESS_NOT_HERE, address=address, own_addresses=self.env.own_addresses))
        if address:
            self.steps.append(fact(S.LISTEN_ON_OWN_ADDRESS, address=address))
        self.steps.append(fact(S.CHECK_PORT_NUMBER, port=self.port))
        return self.result(fact(Case.ADDRESS_NOT_HERE, address=address, port=self.port), Verdict.PROBLEM)

    def family_off(self) -> _Result:
        """EAFNOSUPPORT: the address family (almost always IPv6) is switched off on this computer."""
        family = "IPv6" if knowledge.ip_version(self.host) != 4 else "IPv4"
        self.findings.append(fact(F.FAMILY_OFF, family=family))
        self.steps.append(fact(S.USE_IPV4))
        return self.result(fact(Case.FAMILY_OFF, family=family, port=self.port), Verdict.PROBLEM)

    def firewall_drop(self) -> _Result | None:
        """A connection to this computer that timed out: this computer's own firewall may drop it (a rule on the
        loopback interface).  Read the rules that apply, with the same readers as the reach verdict."""
        if self.kind != ErrorKind.TIMEOUT or self.selected is not None or self.env.local_firewall is None:
            return None
        targets = self.targets() or ("127.0.0.1",)
        address = next((t for t in targets if knowledge.address_kind(t) == knowledge.LOOPBACK), "")
        if not address:
            return None
        try:
            block = self.env.local_firewall(self.port, "tcp", address)
        except Exception:  # the explanation goes on without it
            log.exception("reading the firewall's local rules failed")
            return None
        if block is None:
            return None
        holders = self.holders([r for r in self.tcp_listeners if self.accepts(r.local_addr, (address,))])
        self.findings.append(fact(F.LOCAL_FIREWALL_DROP, block=block))
        for h in holders:
            self.findings.append(self.holder(h))
        self.steps.append(fact(S.REMOVE_FIREWALL_RULE, block=block))
        case = fact(Case.LOCAL_FIREWALL, port=self.port, address=address)
        return self.result(case, Verdict.PROBLEM, holders)

    def who_listens(self) -> _Result:
        dropped = self.firewall_drop()
        if dropped is not None:
            return dropped
        targets = self.targets()
        reachable = [r for r in self.tcp_listeners if self.accepts(r.local_addr, targets)]
        if self.selected is not None and self.selected.proto != TCP:
            reachable = [r for r in self.listeners if r.proto == self.selected.proto]
        if self.selected is not None and not self.selected.is_listening:
            return self.connection(self.selected)
        truth = self.localhost_truth()
        if truth is not None:
            return truth
        if reachable:
            holders = self.holders(reachable)
            for h in holders:
                self.findings.append(self.holder(h))
            self.add_remote_access(reachable)
            self.add_known_use()
            main = holders[0]
            case_ev = {"program": main.ref, "port": self.port}
            if self.kind == ErrorKind.REFUSED:
                self.findings.insert(0, fact(F.STARTED_SINCE))
                self.steps.append(fact(S.TRY_AGAIN_NOW))
                return self.result(fact(Case.LISTENING_NOW, **case_ev), Verdict.INFO, holders)
            if self.kind in (ErrorKind.TIMEOUT, ErrorKind.RESET):
                self.findings.insert(0, fact(F.KIND_MEANING, kind=self.kind))
                self.steps += [fact(S.WAIT_BUSY, program=main.ref), fact(S.RESTART_PROGRAM)]
                return self.result(fact(Case.NOT_ANSWERING, **case_ev), Verdict.PROBLEM, holders)
            self.steps.append(fact(S.NOTHING_WRONG))
            return self.result(fact(Case.LISTENING, **case_ev), Verdict.OK, holders)
        if self.tcp_listeners:
            return self.near_miss(targets)
        return self.nothing_listens()

    def connection(self, row: SocketRow) -> _Result:
        holders = self.holders([row])
        h = holders[0]
        if row.state == "TIME_WAIT":
            self.findings.append(fact(F.CONNECTION_CLOSED))
            return self.result(fact(Case.CONNECTION_CLOSING, port=row.local_port), Verdict.INFO, holders)
        self.findings.append(
            fact(
                F.CONNECTED,
                program=h.ref,
                local=format_endpoint(row.local_addr, row.local_port),
                remote=format_endpoint(row.remote_addr, row.remote_port),
            )
        )
        if row.local_port in self.env.ephemeral:
            self.findings.append(fact(F.TEMPORARY_PORT, port=row.local_port))
        remote_info = knowledge.port_info(row.remote_port)
        if remote_info.label:
            self.findings.append(fact(F.REMOTE_SERVICE, port=row.remote_port, service=remote_info.label))
        return self.result(fact(Case.CONNECTION, program=h.ref, port=row.local_port), Verdict.INFO, holders)

    def served(self, addresses: Iterable[str]) -> list[str]:
        """Those of ``addresses`` on which some TCP listener of the port answers."""
        return [a for a in addresses if any(self.accepts(r.local_addr, (_normal(a),)) for r in self.tcp_listeners)]

    def localhost_truth(self) -> _Result | None:
        """“localhost” means several addresses here, and the program listens on some of them but not on the first
        one, the only one many clients try (Node.js 17 and later, and others): they are refused."""
        order = tuple(_normal(a) for a in self.env.localhost)
        if self.selected is not None or self.ep.named or not _is_localhost(self.host) or not order:
            return None
        if self.kind not in (None, ErrorKind.REFUSED):
            return None
        served = self.served(order)
        if not served or order[0] in served:
            return None
        first = order[0]
        holders = self.holders([r for r in self.tcp_listeners if self.accepts(r.local_addr, (served[0],))])
        main = holders[0]
        self.findings.append(fact(F.LOCALHOST_MEANS, addresses=order))
        for h in holders:
            self.findings.append(self.holder(h))
        self.findings.append(
            fact(F.ADDRESS_NOT_SERVED, address=first, port=self.port, refused=self.kind == ErrorKind.REFUSED)
        )
        self.steps += self.family_fixes(main, served[0], first)
        verdict = Verdict.PROBLEM if self.kind == ErrorKind.REFUSED else Verdict.INFO
        case = fact(Case.LOCALHOST_FIRST_MISSED, address=first, program=main.ref, port=self.port, name=self.host)
        return self.result(case, verdict, holders)

    def family_fixes(self, main: Holder, served: str, missing: str) -> list[Step]:
        wildcard = knowledge.address_kind(main.row.local_addr) == knowledge.WILDCARD
        return [
            fact(S.USE_ADDRESS_NOT_NAME, where=format_endpoint(served, self.port), given=self.ep.display),
            fact(S.LISTEN_ON_MISSING, program=main.ref, missing=missing, served=served, wildcard=wildcard),
            fact(S.DO_BOTH),
        ]

    def localhost_hint(self) -> Finding | None:
        """When the failed address is the first meaning of “localhost” here, the program was probably given that
        name: say what it means on this computer."""
        order = tuple(_normal(a) for a in self.env.localhost)
        h = _normal(self.host)
        named_localhost = _is_localhost(self.host) or _is_localhost(self.ep.named)  # "localhost/127.0.0.1:8080"
        if not order or not (named_localhost or h in order):
            return None
        if h != order[0] and not named_localhost:
            return None
        return fact(F.LOCALHOST_FIRST_ONLY, addresses=order)

    def near_miss(self, targets: tuple[str, ...] | None) -> _Result:
        holders = self.holders(self.tcp_listeners)
        main = holders[0]
        where = tuple(format_endpoint(r.local_addr, r.local_port) for r in self.tcp_listeners[:3])
        wanted = tuple(targets or ())
        versions = {knowledge.ip_version(t) for t in wanted}
        listen_versions = {knowledge.ip_version(r.local_addr) for r in self.tcp_listeners}
        if versions and listen_versions and not (versions & listen_versions):
            self.findings.append(
                fact(
                    F.FAMILY_MISMATCH,
                    program=main.ref,
                    where=where,
                    have="IPv6" if 6 in listen_versions else "IPv4",
                    wanted=wanted,
                    want="IPv4" if 4 in versions else "IPv6",
                )
            )
            hint = self.localhost_hint()
            if hint is not None:
                self.findings.append(hint)
            listen_addr = self.tcp_listeners[0].local_addr
            missing = wanted[0] if wanted else ""
            self.steps.append(
                fact(S.CONNECT_INSTEAD, where=format_endpoint(listen_addr, self.port), given=self.ep.given)
            )
            if missing:
                self.steps += self.family_fixes(main, _normal(listen_addr), missing)[1:]
            else:
                self.steps.append(fact(S.LISTEN_ON_BOTH))
        else:
            self.findings.append(
                fact(F.WRONG_ADDRESS, program=main.ref, where=where, wanted=wanted or (self.ep.display,))
            )
            self.steps.append(fact(S.CONNECT_INSTEAD, where=where[0], given=self.ep.given))
        for h in holders[1:]:
            self.findings.append(self.holder(h))
        return self.result(fact(Case.OTHER_ADDRESS, program=main.ref, port=self.port), Verdict.PROBLEM, holders)

    def add_elsewhere(self) -> tuple[elsewhere.Elsewhere, ...]:
        """Where the program that should answer listens instead (a file socket, a container, another port), as
        findings and steps; the facts for the caller's headline."""
        if self.env.elsewhere is None:
            return ()
        try:
            found = self.env.elsewhere(self.port, "tcp", [*self.all_listening, *self.listeners])
        except Exception:  # the rest of the explanation stands
            log.exception("looking for the program elsewhere failed")
            return ()
        for e in found:
            self.findings.append(fact(F.ELSEWHERE, where=e))
            self.steps.append(fact(S.ELSEWHERE_STEPS, where=e))
        self.found_elsewhere = found
        return found

    def nothing_listens(self) -> _Result:
        p = self.port
        self.findings += self.earlier()
        found = self.add_elsewhere()
        if self.kind in (ErrorKind.TIMEOUT, ErrorKind.RESET, ErrorKind.UNREACHABLE):
            self.findings.append(fact(F.KIND_MEANING, kind=self.kind))
        hidden = [r for r in self.listeners if r.pid is None]
        if self.listeners and not self.tcp_listeners:
            udp = self.holders(self.listeners)
            self.findings.append(fact(F.UDP_ONLY, port=p, program=udp[0].ref))
        if hidden:
            self.findings.append(fact(F.OTHER_USERS_SOCKETS))
        if p in self.env.ephemeral:
            eph = self.env.ephemeral
            self.findings.append(fact(F.EPHEMERAL_PORT, port=p, range=Range(eph.first, eph.last)))
        elif p >= knowledge.IANA_DYNAMIC[0]:
            self.findings.append(fact(F.DYNAMIC_PORT, port=p))
        for r in self.neighbours()[:3]:
            self.findings.append(fact(F.DID_YOU_MEAN, port=r.local_port, program=Holder(r).ref, address=r.local_addr))
        if self.time_wait or self.connected:
            self.findings.append(fact(F.CLOSED_RECENTLY))
        self.add_known_use()
        if not any(e.code is not elsewhere.Where.OTHER_NAMESPACE_UNREAD for e in found):  # it runs: no "start it"
            self.steps.append(fact(S.START_PROGRAM, usual=self.info.common_name))
        self.steps += [fact(S.CHECK_PORT_NUMBER, port=p), fact(S.TRY_AGAIN_WHEN_LISTENING)]
        verdict = Verdict.PROBLEM if self.kind is not None else Verdict.INFO
        case = fact(Case.NOTHING_LISTENS, port=p, elsewhere=found[0] if found else None)
        return self.result(case, verdict, self.holders(self.listeners))


_CLOSED_STATES = CLOSING_STATES


def _normal(addr: str) -> str:
    a = addr.split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(a)
    except ValueError:
        return a.lower()
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def _typo_ports(port: int) -> set[int]:
    """Ports one typing slip away: a digit changed, two neighbours swapped, a digit missing or doubled."""
    s = str(port)
    out: set[str] = set()
    for i in range(len(s)):
        for d in "0123456789":
            out.add(s[:i] + d + s[i + 1 :])
        out.add(s[:i] + s[i + 1 :])
        out.add(s[:i] + s[i] + s[i:])
        if i + 1 < len(s):
            out.add(s[:i] + s[i + 1] + s[i] + s[i + 2 :])
    ports = {int(x) for x in out if x and x[0] != "0" and int(x) <= 65535}
    ports.discard(port)
    return ports


def _suggest_port(port: int, used: set[int], avoid: tuple[knowledge.PortRange, ...] = ()) -> int:
    """A nearby port worth trying: from 8080 for ports below 1024, else from port + 1; not in use, not reserved."""
    candidate = 8080 if port < 1024 else port + 1
    while candidate <= 65535 and (candidate in used or any(candidate in r for r in avoid)):
        candidate += 1
    return candidate if candidate <= 65535 else 8080
