"""From an error message (or a socket) and the live snapshot to findings and next steps in plain words."""

from __future__ import annotations

import enum
import ipaddress
import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from loopgui.core.explain import elsewhere, knowledge
from loopgui.core.explain.endpoints import Endpoint, ErrorKind, FindResult, find_endpoints
from loopgui.core.history.store import HistorySource, HistoryUnavailable, Span, ago, clock
from loopgui.core.net.sockets import TCP, SocketRow, format_endpoint
from loopgui.core.programs.processes import ProcessFacts, process_facts, started_ago
from loopgui.core.reach.assess import ReachVerdict, live_verdict
from loopgui.core.text import shellquote
from loopgui.core.text.redact import redact_command, redact_text
from loopgui.core.words import elsewhere as elsewhere_words
from loopgui.core.words.labels import running_as_admin

MAX_HOLDERS = 5
log = logging.getLogger("loopgui.diagnosis")

# "Can other computers reach it?" for a port's listeners: (port, protocol, listeners) -> verdict (core/reach/assess.py)
ReachReader = Callable[[int, str, Sequence[SocketRow]], ReachVerdict]
MAX_EARLIER = 3  # earlier holders of a port named from the history
# Where the program that should answer listens instead: (port, protocol, this namespace's rows) -> facts
ElsewhereReader = Callable[[int, str, Sequence[SocketRow]], tuple[elsewhere.Elsewhere, ...]]


class Verdict(str, enum.Enum):
    PROBLEM = "problem"  # something is wrong and we know what
    OK = "ok"  # all is as it should be
    INFO = "info"  # facts, nothing wrong found
    UNKNOWN = "unknown"  # not enough to go on


@dataclass(frozen=True, slots=True)
class Finding:
    text: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Holder:
    """A program with a socket on the port, and what could be read about it."""

    row: SocketRow
    facts: ProcessFacts | None = None

    @property
    def name(self) -> str:
        if self.row.pid is None:
            return "a program of another user or of the system"
        # The label tells one python3 from another ("python3 -m http.server 8000"), as the table does.
        name = self.row.label or self.row.program or (self.facts.name if self.facts else "")
        return f"{name or 'a program'} (PID {self.row.pid})"


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
            admin=running_as_admin(),
            elsewhere=elsewhere.live,
        )


def _live_reach(port: int, proto: str, listeners: Sequence[SocketRow]) -> ReachVerdict:
    """This computer's verdict without the own-address test (that one runs only when the user asks)."""
    return live_verdict(port, proto, listeners)


@dataclass(frozen=True, slots=True)
class Diagnosis:
    headline: str
    verdict: Verdict
    endpoint: Endpoint | None = None
    kind: ErrorKind | None = None
    findings: tuple[Finding, ...] = ()
    next_steps: tuple[str, ...] = ()
    do_it_yourself: str = ""
    details: tuple[tuple[str, str], ...] = ()
    other_endpoints: tuple[Endpoint, ...] = ()
    holders: tuple[Holder, ...] = ()
    problems: tuple[str, ...] = ()
    text: str = ""
    reach: ReachVerdict | None = None  # can other computers connect? (core/reach/assess.py)
    made_at: float = field(default_factory=time.time)
    elsewhere: tuple[elsewhere.Elsewhere, ...] = ()  # where the program that should answer listens instead

    def report(self, *, header: bool = True) -> str:
        """The whole diagnosis as plain text, for the clipboard or a support e-mail."""
        stamp = datetime.fromtimestamp(self.made_at).strftime("%Y-%m-%d %H:%M:%S")
        lines = [f"loopgui report, {stamp}"] if header else []
        if self.text:
            pasted = redact_text(" ".join(self.text.split()))
            lines.append(f"Pasted: {pasted[:300]}{'…' if len(pasted) > 300 else ''}")
        if lines:
            lines.append("")
        lines.append(self.headline)
        if self.findings:
            lines += ["", "What loopgui found:"]
            lines += [f"- {f.text}" for f in self.findings]
        if self.next_steps:
            lines += ["", "What you can do:"]
            lines += [f"{i}. {s}" for i, s in enumerate(self.next_steps, 1)]
        if self.problems:
            lines += ["", *self.problems]
        if self.other_endpoints:
            lines += ["", "Other addresses in the text: " + ", ".join(e.display for e in self.other_endpoints)]
        if self.do_it_yourself:
            lines += ["", f"Do it yourself: {self.do_it_yourself}"]
        if self.details:
            lines += ["", "Technical details:"]
            lines += [f"  {k}: {v}" for k, v in self.details]
        details = [f.detail for f in self.findings if f.detail]
        if details:
            lines += [f"  {d}" for d in details]
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict[str, object]:
        return {
            "headline": self.headline,
            "verdict": self.verdict.value,
            "endpoint": _endpoint_dict(self.endpoint),
            "error_kind": self.kind.value if self.kind else None,
            "findings": [{"text": f.text, "detail": f.detail or None} for f in self.findings],
            "next_steps": list(self.next_steps),
            "do_it_yourself": self.do_it_yourself or None,
            "details": dict(self.details),
            "other_endpoints": [_endpoint_dict(e) for e in self.other_endpoints],
            "holders": [
                {
                    "pid": h.row.pid,
                    "program": h.row.program or None,
                    "protocol": h.row.proto,
                    "local_address": h.row.local_addr,
                    "local_port": h.row.local_port,
                    "state": h.row.state,
                    "user": h.facts.username or None if h.facts else None,
                    "command": redact_command(h.facts.cmdline) or None if h.facts else None,
                }
                for h in self.holders
            ],
            "problems": list(self.problems),
            "reach": self.reach.as_dict() if self.reach is not None else None,
            "elsewhere": [{**e.as_dict(), "text": elsewhere_words.finding(e)[0]} for e in self.elsewhere],
        }


def _endpoint_dict(e: Endpoint | None) -> dict[str, object] | None:
    return None if e is None else {"host": e.host or None, "port": e.port, "text": e.text}


# ---------------------------------------------------------------------------------------------------------------

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
    found = find_endpoints(text)
    env = env or Environment.current()
    named = found.kind == ErrorKind.NOT_FOUND and found.lookup_host
    if named and (not found.endpoints or found.endpoints[0].host.lower() != found.lookup_host.lower()):
        return _name_not_found(found, text, env)  # about the name; any address in the text is not the target
    if found.host_only and not named:
        return _host_without_port(found, text)
    if not found.endpoints:
        return _no_endpoint(found, text)
    endpoint = found.endpoints[0]
    d = _Builder(endpoint, found.kind, rows, env, facts, history=history, kind_text=found.kind_text).build()
    return d.diagnosis(
        endpoint,
        kind=found.kind,
        extra_details=(("Error words", found.kind_text),) if found.kind_text else (),
        other_endpoints=found.endpoints[1:],
        problems=found.problems,
        text=text if isinstance(text, str) else "",
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
            headline=f"The message says {found.kind.plain}, but not which port.",
            verdict=Verdict.UNKNOWN,
            kind=found.kind,
            findings=(Finding(_KIND_MEANING[found.kind]),),
            next_steps=(
                "Paste the whole error message: the address often stands a few lines further down.",
                "Or type the address and port yourself, for example 127.0.0.1:3000.",
            ),
            details=(("Error words", found.kind_text),),
            problems=found.problems,
            text=text if isinstance(text, str) else "",
        )
    empty = not (isinstance(text, str) and text.strip())
    return Diagnosis(
        headline="Paste an error message or an address to get an explanation."
        if empty
        else "No address or port number found in that text.",
        verdict=Verdict.UNKNOWN,
        next_steps=()
        if empty
        else ("Paste text that contains something like 127.0.0.1:62893, localhost:3000 or “port 5432”.",),
        problems=found.problems,
        text=text if isinstance(text, str) else "",
    )


def _host_without_port(found: FindResult, text: str) -> Diagnosis:
    """The message names the computer ("Can't connect to MySQL server on 'localhost' (10061)") but no port."""
    host = found.host_only
    what = f"{found.kind.plain[0].upper()}{found.kind.plain[1:]}" if found.kind else "The connection failed"
    findings = [
        Finding(f"{what} when connecting to the computer “{host}”. The message names the computer but not the port."),
    ]
    if found.kind is not None:
        findings.append(Finding(_KIND_MEANING[found.kind]))
    program, usual = found.port_hint
    steps = ["Look in the program's settings or the full error output for the port it tried to use."]
    if program:
        findings.append(
            Finding(
                f"The message mentions {program}, which normally uses port {usual}. That is a hint, not something "
                "the message says: the program may be set to another port."
            )
        )
        first = usual.split(" ", 1)[0]
        steps.append(f"If it is the usual port, you can check it here by typing {host}:{first} (or just port {first}).")
    else:
        steps.append(f"When you know the port, type {host}:PORT here to check it (for example {host}:3000).")
    details: list[tuple[str, str]] = [("Computer", host)]
    if found.kind_text:
        details.append(("Error words", found.kind_text))
    if program:
        details.append(("Usual port of " + program, usual))
    return Diagnosis(
        headline=f"The message names the computer “{host}” but not the port.",
        verdict=Verdict.UNKNOWN,
        kind=found.kind,
        findings=tuple(findings),
        next_steps=tuple(steps),
        details=tuple(details),
        other_endpoints=found.endpoints,
        problems=found.problems,
        text=text if isinstance(text, str) else "",
    )


def _is_localhost(host: str) -> bool:
    h = host.lower().rstrip(".")
    return h == "localhost" or h.endswith(".localhost")


def _means(addresses: tuple[str, ...]) -> str:
    """ "::1 first, then 127.0.0.1" / "only 127.0.0.1" / "nothing at all"."""
    if not addresses:
        return "nothing at all (the name cannot be looked up)"
    if len(addresses) == 1:
        return f"only {addresses[0]}"
    return f"{addresses[0]} first, then " + ", ".join(addresses[1:])


_HOSTS_FILE = {
    "win32": r"C:\Windows\System32\drivers\etc\hosts",
    "darwin": "/etc/hosts",
}


def _name_lookup_findings(host: str, env: Environment, kind_text: str = "") -> tuple[str, list[Finding], list[str]]:
    """Headline, findings and next steps for a name that could not be looked up ("getaddrinfo ENOTFOUND")."""
    hosts_file = _HOSTS_FILE.get(env.platform, "/etc/hosts")
    if "://" in host:
        name = host.split("://", 1)[1].split("/", 1)[0]
        findings = [
            Finding(
                f"The program was given the web address “{host}” where only a computer name belongs, and tried to "
                "look up the whole address as a name. No computer has such a name."
            )
        ]
        steps = [
            f"In the program's settings, give the computer's name or address alone (“{name}”), without “http://” "
            "or “https://”; the port goes in its own setting if there is one.",
        ]
        return f"A web address was used as a computer name: “{host}”.", findings, steps
    if _is_localhost(host):
        findings = [
            Finding(
                f"The program could not look up the name “{host}”, so it did not even try to connect: the problem is "
                "the name, not the port or the program that should answer.",
            ),
            Finding(
                f"Every computer should know “localhost” from its hosts file ({hosts_file}): the line for it may be "
                "missing or damaged, or the program runs somewhere with its own hosts file (a container, WSL or a "
                "virtual machine)."
            ),
        ]
        if env.localhost:
            findings.append(
                Finding(f"For loopgui, “localhost” means {_means(env.localhost)} on this computer right now.")
            )
        steps = [
            f"Check that the hosts file ({hosts_file}) has the lines “127.0.0.1 localhost” and “::1 localhost” "
            "(changing it needs administrator rights).",
            "Or use 127.0.0.1 instead of localhost in the program's settings.",
        ]
        return f"The name “{host}” could not be looked up.", findings, steps
    findings = [
        Finding(
            f"The program could not find the computer named “{host}”, so it did not even try to connect.",
        ),
        Finding(_KIND_MEANING[ErrorKind.NOT_FOUND]),
    ]
    if kind_text.lower() in ("eai_again", "temporary failure in name"):
        findings.append(
            Finding(
                "This time the name service did not answer at all (a temporary failure): the network, the VPN or "
                "the computer's name server may be down. The name itself may be right."
            )
        )
    steps = [
        f"Check the spelling of “{host}”.",
        "If it is a computer of your company's network, connect to that network or VPN first.",
        "If it is the name of a service in Docker Compose (such as “db”), it only works inside that project's "
        "containers; from this computer use localhost and the published port.",
    ]
    return f"The computer name “{host}” could not be found.", findings, steps


def _name_not_found(found: FindResult, text: str, env: Environment) -> Diagnosis:
    headline, findings, steps = _name_lookup_findings(found.lookup_host, env, found.kind_text)
    details: list[tuple[str, str]] = [("Name", found.lookup_host), ("Error words", found.kind_text)]
    if _is_localhost(found.lookup_host):
        details.append(("“localhost” on this computer means", ", ".join(env.localhost) or "(not found)"))
    return Diagnosis(
        headline=headline,
        verdict=Verdict.PROBLEM,
        kind=found.kind,
        findings=tuple(findings),
        next_steps=tuple(steps),
        details=tuple(details),
        problems=found.problems,
        text=text if isinstance(text, str) else "",
    )


_KIND_MEANING = {
    ErrorKind.REFUSED: "“Refused” means the computer answered, but no program was waiting for connections on that "
    "port.",
    ErrorKind.IN_USE: "“In use” means a program wanted to start listening on a port that another program already has.",
    ErrorKind.PERMISSION: "The system did not allow the program to use that port: it may need administrator rights, "
    "or the port is reserved.",
    ErrorKind.TIMEOUT: "“Timed out” means there was no answer at all. Often a firewall silently drops the attempt, or "
    "the address is wrong.",
    ErrorKind.RESET: "“Reset” means the connection was made, then the other side hung up abruptly (it may have "
    "crashed or rejected the request).",
    ErrorKind.UNREACHABLE: "“Unreachable” means the network could not find a way to the other computer.",
    ErrorKind.NOT_FOUND: "The computer name could not be turned into an address: it may be misspelled, or the network "
    "(or VPN) that knows it is not connected.",
}


@dataclass(slots=True)
class _Result:
    headline: str = ""
    verdict: Verdict = Verdict.INFO
    findings: tuple[Finding, ...] = ()
    next_steps: tuple[str, ...] = ()
    do_it_yourself: str = ""
    details: tuple[tuple[str, str], ...] = ()
    holders: tuple[Holder, ...] = ()
    reach: ReachVerdict | None = None
    elsewhere: tuple[elsewhere.Elsewhere, ...] = ()

    def diagnosis(
        self,
        endpoint: Endpoint,
        *,
        kind: ErrorKind | None = None,
        extra_details: tuple[tuple[str, str], ...] = (),
        other_endpoints: tuple[Endpoint, ...] = (),
        problems: tuple[str, ...] = (),
        text: str = "",
    ) -> Diagnosis:
        return Diagnosis(
            headline=self.headline,
            verdict=self.verdict,
            endpoint=endpoint,
            kind=kind,
            findings=self.findings,
            next_steps=self.next_steps,
            do_it_yourself=self.do_it_yourself,
            details=(*self.details, *extra_details),
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
        self.steps: list[str] = []
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

    def holder_sentence(self, h: Holder) -> str:
        r = h.row
        where = format_endpoint(r.local_addr, r.local_port)
        parts = [f"{h.name} is listening on {where}" if r.is_listening else f"{h.name} uses {where}"]
        f = h.facts
        if f is not None:
            extra = []
            if f.create_time:
                extra.append(started_ago(f.create_time))
            if f.username:
                extra.append(f"running as {f.username}")
            if extra:
                parts.append(f"({', '.join(extra)})")
        kind = knowledge.describe_address(r.local_addr)
        sentence = " ".join(parts) + "."
        return f"{sentence} {kind}" if kind else sentence

    def holder_detail(self, h: Holder) -> str:
        f = h.facts
        if f is None:
            return ""
        bits = []
        if f.cmdline:
            command = redact_command(f.cmdline)  # this detail goes into reports: secrets hidden
            command = command if len(command) <= 300 else command[:300] + "…"
            bits.append(f"command: {command}")
        if f.exe:
            bits.append(f"program file: {f.exe}")
        if f.parent_name:
            bits.append(f"started by: {f.parent_name} (PID {f.ppid})")
        if f.hidden:
            bits.append("hidden by permissions: " + ", ".join(f.hidden))
        return "; ".join(bits)

    def earlier(self) -> list[Finding]:
        """What held the port before, from the history: the latest listeners, else the latest users."""
        if self.history is None:
            return []
        try:
            spans = [s for s in self.history.port_history(self.port, limit=50) if s.local_port == self.port]
        except HistoryUnavailable as exc:
            return [Finding("loopgui could not read its history of this port.", str(exc))]
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
            out.append(Finding(_earlier_sentence(span, self.port, first=i == 0), _span_detail(span)))
            if len(out) >= MAX_EARLIER:
                break
        return out

    def port_words(self) -> str:
        label = self.info.label
        return f"port {self.port} ({label})" if label else f"port {self.port}"

    def diy(self) -> str:
        """The command a person can type to see the same.  Text from the paste is never shell syntax here: a host
        appears only as an IP address or a valid host name (``shellquote.safe_host``), quoted for the shell the
        command is for; anything else gets a placeholder and a sentence."""
        p = int(self.port)
        if self.host and not self.env.is_local(self.host):
            host = shellquote.safe_host(self.host)
            windows = self.env.platform == "win32"
            if host is None:
                command = f"Test-NetConnection COMPUTER -Port {p}" if windows else f"nc -vz COMPUTER {p}"
                return (
                    f"{command}   ({'in PowerShell; ' if windows else ''}put the computer's name or address in "
                    "place of COMPUTER: the text did not hold a valid one)"
                )
            if windows:
                return f"Test-NetConnection {shellquote.powershell(host)} -Port {p}   (in PowerShell)"
            return f"nc -vz {shellquote.posix(host)} {p}"
        if self.env.platform == "win32":
            return f"netstat -ano | findstr :{p}"
        if self.env.platform == "darwin":
            return f"lsof -nP -i :{p}"
        return f"ss -tulpn | grep :{p}"

    def details(self) -> tuple[tuple[str, str], ...]:
        port_range = knowledge.port_range_sentence(self.port, self.env.ephemeral)
        out = [("Address", self.ep.display), ("Port range", port_range)]
        if self.ep.named:
            out.insert(1, ("Name in the message", self.ep.named))
        if self.info.iana_name or self.info.iana_description:
            out.append(("IANA registration", f"{self.info.iana_name} — {self.info.iana_description}".strip(" —")))
        if self.info.common_use:
            out.append(("Commonly used for", f"{self.info.common_name}: {self.info.common_use}"))
        if self.host.lower() == "localhost":
            out.append(("“localhost” on this computer means", ", ".join(self.env.localhost)))
        for r in self.listeners[:MAX_HOLDERS]:
            owner = f"PID {r.pid} {r.program}".strip() if r.pid is not None else "owner hidden"
            out.append(("Listening", f"{r.proto} {format_endpoint(r.local_addr, r.local_port)} ({owner})"))
        return tuple(out)

    def neighbours(self) -> list[SocketRow]:
        """Listeners on a port one typo away (62839 for 62893, 8008 for 8080, 300 for 3000)."""
        near = _typo_ports(self.port)
        return [r for r in self.all_listening if r.local_port in near]

    def add_known_use(self) -> None:
        if self.info.common_use:
            self.findings.append(
                Finding(f"Port {self.port} is commonly used by {self.info.common_name}: {self.info.common_use}")
            )
        elif self.info.iana_description:
            self.findings.append(
                Finding(
                    f"Port {self.port} is registered for “{self.info.iana_description}”, but any program may use it."
                )
            )

    def add_remote_access(self, listeners: list[SocketRow]) -> None:
        if not listeners:
            return
        if self.env.reach is not None and self.add_reach(listeners[0].proto):
            return
        kinds = {knowledge.address_kind(r.local_addr) for r in listeners}
        if kinds == {knowledge.LOOPBACK}:
            self.findings.append(
                Finding(
                    "Only this computer can connect to it: it listens on a loopback address. To let other computers "
                    "connect, the program has to listen on 0.0.0.0 (all network connections) instead; "
                    + knowledge.OPEN_TO_NETWORK,
                    "This computer's network addresses: " + (", ".join(self.env.own_addresses) or "none found"),
                )
            )
        elif knowledge.WILDCARD in kinds and self.env.own_addresses:
            first = self.env.own_addresses[0]
            self.findings.append(
                Finding(
                    "Other computers can try to connect too (a firewall may still stop them), "
                    f"for example at {format_endpoint(first, self.port)}.",
                    "This computer's network addresses: " + ", ".join(self.env.own_addresses),
                )
            )

    def add_reach(self, proto: str) -> bool:
        """The "can other computers connect?" verdict for the port's listeners, as two findings."""
        assert self.env.reach is not None
        listeners = [r for r in self.listeners if r.proto == proto]
        try:
            v = self.env.reach(self.port, proto.lower(), listeners)
        except Exception:  # explain what we can: the bind address alone
            log.exception("the reach verdict failed")
            return False
        self.reach = v
        detail = [*v.reasons, f"How to check yourself: {v.how_to_check}"] if v.how_to_check else list(v.reasons)
        self.findings.append(Finding(v.headline, " ".join(detail)))
        if v.safety:
            self.findings.append(Finding(v.safety))
        return True

    def result(self, headline: str, verdict: Verdict, holders: tuple[Holder, ...] = ()) -> _Result:
        return _Result(
            headline=headline,
            verdict=verdict,
            findings=tuple(self.findings),
            next_steps=tuple(self.steps),
            do_it_yourself=self.diy(),
            details=self.details(),
            holders=holders,
            reach=self.reach,
            elsewhere=self.found_elsewhere,
        )

    # -- the cases -------------------------------------------------------------------------------------------

    def build(self) -> _Result:
        if self.kind == ErrorKind.NOT_FOUND and self.selected is None and self.host:
            return self.name_lookup()
        if self.host and not self.env.is_local(self.host):
            return self.remote()
        if self.kind == ErrorKind.IN_USE:
            return self.in_use()
        if self.kind == ErrorKind.PERMISSION:
            return self.permission()
        return self.who_listens()

    def name_lookup(self) -> _Result:
        headline, findings, steps = _name_lookup_findings(self.host, self.env, self.kind_text)
        self.findings += findings
        self.steps += steps
        return self.result(headline, Verdict.PROBLEM)

    def remote(self) -> _Result:
        self.findings.append(
            Finding(
                f"{self.host} is another computer. loopgui can only see the programs on this one, so it cannot "
                f"tell which program should answer on {self.port_words()} there."
            )
        )
        if self.kind is not None:
            self.findings.append(Finding(_KIND_MEANING[self.kind]))
        self.add_known_use()
        self.steps += [
            f"Check that the address {self.ep.display} is right (a typing error in a name or number is common).",
            "Check that the program you expect is running on that computer.",
        ]
        if self.kind in (ErrorKind.TIMEOUT, ErrorKind.UNREACHABLE):
            self.steps.append("Check the network or VPN connection, and whether a firewall lets the port through.")
        return self.result(f"{self.ep.display} is on another computer.", Verdict.INFO)

    def in_use(self) -> _Result:
        takers = [r for r in self.listeners + self.connected if r.state != "TIME_WAIT"]
        if takers:
            holders = self.holders(takers)
            main = holders[0]
            for h in holders:
                self.findings.append(Finding(self.holder_sentence(h), self.holder_detail(h)))
            if main.row.pid is None:
                self.findings.append(Finding("Its name is hidden because it belongs to another user or to the system."))
                if not self.env.admin:
                    self.steps.append("Run loopgui as administrator to see which program it is.")
            else:
                self.steps.append(
                    f"If you do not need {main.name}, close it (“Close this program…”), then start yours again."
                )
            self.steps.append(
                f"Or start your program on another port (for example {_suggest_port(self.port, self.used)}) "
                "if it lets you choose."
            )
            return self.result(f"Port {self.port} is taken by {main.name}.", Verdict.PROBLEM, holders)
        if self.time_wait:
            # Agrees with what closing a program reports ("Port N is free now."): nobody holds the port; only
            # leftovers of closed connections remain, which most servers ignore (SO_REUSEADDR).
            self.findings.append(
                Finding(
                    f"Nobody holds port {self.port} now. {len(self.time_wait)} closed connection(s) on it are "
                    "leftovers that the system clears by itself within a minute; most programs can start anyway.",
                    "TIME_WAIT; servers that set SO_REUSEADDR before bind() can listen at once.",
                )
            )
            self.steps.append("Start your program again.")
            self.steps.append("If it still says the port is in use, wait a minute for the leftovers to clear.")
            return self.result(f"Port {self.port} is free now.", Verdict.OK)
        self.findings.append(
            Finding(f"Nothing uses port {self.port} now: the program that had it has closed since the error.")
        )
        self.findings += self.earlier()
        self.steps.append("Start your program again: the port is free.")
        return self.result(f"Port {self.port} is free now.", Verdict.OK)

    def permission(self) -> _Result:
        p = self.port
        if self.env.platform == "win32":
            for rng in self.env.excluded:
                if p in rng:
                    self.findings.append(
                        Finding(
                            f"Windows has reserved ports {rng} for itself (often for Hyper-V, WSL or Docker), so no "
                            "program may use them.",
                            "netsh int ipv4 show excludedportrange protocol=tcp",
                        )
                    )
                    self.steps += [
                        f"Use a port outside {rng}, for example "
                        f"{_suggest_port(p, self.used, avoid=self.env.excluded)}.",
                        "Restarting the “Windows NAT” service (net stop winnat, then net start winnat, as "
                        "administrator) often releases the reservation.",
                    ]
                    return self.result(f"Windows reserves port {p}.", Verdict.PROBLEM)
            self.findings.append(
                Finding(
                    "Windows refused the port. It may be reserved by the system, or a security program blocks it.",
                    "netsh int ipv4 show excludedportrange protocol=tcp",
                )
            )
            self.steps.append(f"Try another port, for example {_suggest_port(p, self.used)}.")
            return self.result(f"Windows did not allow port {p}.", Verdict.PROBLEM)
        if p < self.env.unprivileged_start:
            self.findings.append(
                Finding(
                    f"Ports below {self.env.unprivileged_start} are kept for system services: only an administrator "
                    "may start listening on them.",
                    "Linux alternatives: setcap cap_net_bind_service=+ep on the program, or a higher port behind a "
                    "redirect.",
                )
            )
            self.steps += [
                f"Use a port of 1024 or above, for example {_suggest_port(p, self.used)}.",
                "Or start the program with administrator rights (sudo) if it really must use this port.",
            ]
            return self.result(f"Port {p} needs administrator rights.", Verdict.PROBLEM)
        self.findings.append(
            Finding(
                "The system did not allow the port although it needs no special rights: security software "
                "(SELinux, AppArmor, an antivirus) may block it."
            )
        )
        return self.result(f"The system did not allow port {p}.", Verdict.PROBLEM)

    def who_listens(self) -> _Result:
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
                self.findings.append(Finding(self.holder_sentence(h), self.holder_detail(h)))
            self.add_remote_access(reachable)
            self.add_known_use()
            main = holders[0]
            if self.kind == ErrorKind.REFUSED:
                self.findings.insert(
                    0,
                    Finding("It was not listening when the error happened: it has started (or restarted) since."),
                )
                self.steps.append("Try again now: the program is there.")
                return self.result(f"{main.name} is listening on port {self.port} now.", Verdict.INFO, holders)
            if self.kind in (ErrorKind.TIMEOUT, ErrorKind.RESET):
                self.findings.insert(0, Finding(_KIND_MEANING[self.kind]))
                self.steps += [
                    f"{main.name} may be busy or stuck: wait a little and try again.",
                    "If it keeps happening, restart that program.",
                ]
                return self.result(
                    f"{main.name} listens on port {self.port}, but did not answer properly.", Verdict.PROBLEM, holders
                )
            self.steps.append("Nothing is wrong here: connect to this address to reach it.")
            return self.result(f"{main.name} is listening on port {self.port}.", Verdict.OK, holders)
        if self.tcp_listeners:
            return self.near_miss(targets)
        return self.nothing_listens()

    def connection(self, row: SocketRow) -> _Result:
        holders = self.holders([row])
        h = holders[0]
        if row.state == "TIME_WAIT":
            self.findings.append(
                Finding(
                    "This connection has closed. Nobody holds it; the system frees the port within a minute.",
                )
            )
            return self.result(
                f"A closed connection on port {row.local_port} is being cleaned up.", Verdict.INFO, holders
            )
        self.findings.append(
            Finding(
                f"{h.name} is connected from {format_endpoint(row.local_addr, row.local_port)} to "
                f"{format_endpoint(row.remote_addr, row.remote_port)}.",
                self.holder_detail(h),
            )
        )
        if row.local_port in self.env.ephemeral:
            self.findings.append(
                Finding(
                    f"Port {row.local_port} is a temporary port that the system handed out for this one connection; "
                    "it goes away when the connection closes."
                )
            )
        remote_info = knowledge.port_info(row.remote_port)
        if remote_info.label:
            self.findings.append(Finding(f"The other side, port {row.remote_port}, is usually {remote_info.label}."))
        return self.result(f"{h.name} has a connection on port {row.local_port}.", Verdict.INFO, holders)

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
        refused = "are refused" if self.kind == ErrorKind.REFUSED else "would be refused"
        self.findings.append(Finding(f"On this computer “localhost” means {_means(order)}."))
        for h in holders:
            self.findings.append(Finding(self.holder_sentence(h), self.holder_detail(h)))
        self.findings.append(
            Finding(
                f"Nothing listens on {format_endpoint(first, self.port)}: programs that try only the first address "
                f"of “localhost” (for example Node.js 17 to 19, and many others) connect there and {refused}.",
                "Which address comes first is decided by this computer's hosts file and address preferences "
                "(getaddrinfo).",
            )
        )
        self.steps += self.family_fixes(main, served[0], first)
        verdict = Verdict.PROBLEM if self.kind == ErrorKind.REFUSED else Verdict.INFO
        headline = f"“localhost” means {first} first on this computer, but {main.name} does not listen there."
        return self.result(headline, verdict, holders)

    def family_fixes(self, main: Holder, served: str, missing: str) -> list[str]:
        where = format_endpoint(served, self.port)
        wildcard = knowledge.address_kind(main.row.local_addr) == knowledge.WILDCARD
        example = "on “::” as well as “0.0.0.0”" if wildcard else f"on both {served} and {missing}"
        return [
            f"In the program that connects, use {where} instead of {self.ep.display} (the address, not the name).",
            f"Or make {main.name} listen on {missing} too (for example {example}, if its settings allow it).",
            "Or do both: then it works whichever address is tried first.",
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
        return Finding(
            f"On this computer “localhost” means {_means(order)}: a program given “localhost” tries {order[0]} "
            "first, and many programs (for example Node.js 17 to 19) try nothing else.",
        )

    def near_miss(self, targets: tuple[str, ...] | None) -> _Result:
        holders = self.holders(self.tcp_listeners)
        main = holders[0]
        where = ", ".join(format_endpoint(r.local_addr, r.local_port) for r in self.tcp_listeners[:3])
        wanted = ", ".join(targets or ())
        versions = {knowledge.ip_version(t) for t in targets or ()}
        listen_versions = {knowledge.ip_version(r.local_addr) for r in self.tcp_listeners}
        if versions and listen_versions and not (versions & listen_versions):
            v_have = "IPv6" if 6 in listen_versions else "IPv4"
            v_want = "IPv4" if 4 in versions else "IPv6"
            self.findings.append(
                Finding(
                    f"{main.name} listens on {where} ({v_have}), but the connection went to {wanted} ({v_want}). "
                    "They are both “this computer”, yet they are different addresses.",
                    "Which address “localhost” stands for first depends on the computer's hosts file; some programs "
                    "(for example Node.js 17 to 19) try only that first address. " + self.holder_detail(main),
                )
            )
            hint = self.localhost_hint()
            if hint is not None:
                self.findings.append(hint)
            listen_addr = self.tcp_listeners[0].local_addr
            missing = (targets or ("",))[0]
            self.steps.append(f"Connect to {format_endpoint(listen_addr, self.port)} instead of {self.ep.given}.")
            if missing:
                self.steps += self.family_fixes(main, _normal(listen_addr), missing)[1:]
            else:
                self.steps.append(
                    "Or make the program listen on both (for example on 0.0.0.0 and ::); " + knowledge.OPEN_TO_NETWORK
                )
        else:
            self.findings.append(
                Finding(
                    f"{main.name} listens on {where}, but the connection went to {wanted or self.ep.display}: "
                    "a program only answers on the address it listens on."
                )
            )
            self.steps.append(f"Connect to {where.split(', ')[0]} instead.")
        for h in holders[1:]:
            self.findings.append(Finding(self.holder_sentence(h), self.holder_detail(h)))
        return self.result(
            f"{main.name} listens on port {self.port}, but on a different address.", Verdict.PROBLEM, holders
        )

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
            self.findings.append(Finding(*elsewhere_words.finding(e)))
            self.steps += elsewhere_words.steps(e)
        self.found_elsewhere = found
        return found

    def nothing_listens(self) -> _Result:
        p = self.port
        headline = f"Nothing on this computer is listening on port {p} right now."
        self.findings += self.earlier()
        found = self.add_elsewhere()
        headline = (elsewhere_words.headline(found[0]) if found else None) or headline
        if self.kind in (ErrorKind.TIMEOUT, ErrorKind.RESET, ErrorKind.UNREACHABLE):
            self.findings.append(Finding(_KIND_MEANING[self.kind]))
        hidden = [r for r in self.listeners if r.pid is None]
        if self.listeners and not self.tcp_listeners:
            udp = self.holders(self.listeners)
            self.findings.append(
                Finding(f"Only UDP (single messages) is open on port {p}, by {udp[0].name}; connections use TCP.")
            )
        if hidden:
            self.findings.append(Finding("Some sockets on this port belong to other users or the system."))
        if p in self.env.ephemeral:
            self.findings.append(
                Finding(
                    f"Port {p} is one of the temporary ports this computer hands out ({self.env.ephemeral}). "
                    "Programs get such a port for a short while, so the program you want has probably restarted "
                    "on a new port: look for the new number in its window or log."
                )
            )
        elif p >= knowledge.IANA_DYNAMIC[0]:
            self.findings.append(Finding(knowledge.port_range_sentence(p, self.env.ephemeral)))
        for r in self.neighbours()[:3]:
            owner = r.program or "a program"
            self.findings.append(
                Finding(
                    f"Did you mean port {r.local_port}? {owner} is listening on "
                    f"{format_endpoint(r.local_addr, r.local_port)}."
                )
            )
        if self.time_wait or self.connected:
            self.findings.append(
                Finding("A connection on this port closed recently: the program that used it has stopped.")
            )
        self.add_known_use()
        name = self.info.common_name
        if not any(e.code is not elsewhere.Where.OTHER_NAMESPACE_UNREAD for e in found):  # it runs: no "start it"
            self.steps.append(
                f"Start the program that should answer here{f' (usually {name})' if name else ''}, "
                "and watch for errors when it starts."
            )
        self.steps.append(f"Check the port number: {p}. A single wrong digit is a common cause.")
        self.steps.append("Then try again: loopgui updates this page as soon as something starts listening.")
        verdict = Verdict.PROBLEM if self.kind is not None else Verdict.INFO
        return self.result(headline, verdict, self.holders(self.listeners))


_CLOSED_STATES = frozenset(("TIME_WAIT", "CLOSE", "CLOSE_WAIT", "FIN_WAIT1", "FIN_WAIT2", "LAST_ACK", "CLOSING"))


def _earlier_sentence(span: Span, port: int, *, first: bool) -> str:
    """ "node (PID 812) listened on 3000 until 10:04:55 (3 minutes ago); it stopped." or
    "Nothing listens on 62893 now. code (PID 4411) used it from 10:02:11 to 10:02:15, connected to …"."""
    if span.listened:
        return f"{span.who} listened on {port} until {clock(span.last_seen)} ({ago(span.last_seen)}); it stopped."
    peer = f", connected to {span.remote_endpoint}" if span.remote_endpoint else ""
    lead = f"Nothing listens on {port} now. " if first else ""
    return f"{lead}{span.who} used it from {clock(span.first_seen)} to {clock(span.used_until)}{peer}."


def _span_detail(span: Span) -> str:
    bits = [f"recorded {span.proto} {span.local_endpoint}", f"first state {span.first_state}"]
    if span.last_state != span.first_state:
        bits.append(f"last state {span.last_state}")
    if span.user:
        bits.append(f"user {span.user}")
    if span.command:
        bits.append(f"command: {redact_text(span.command)}")
    return "; ".join(bits)


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
