"""Shared by the firewall parsers: the packet a ruleset decides, the answer, the rule that decided, and the
bookkeeping of a walk through the rules (certain outcomes and "maybe" branches).  Parsers are linear in their
input (bounded chain walks, no backtracking patterns)."""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

COMMAND_TIMEOUT = 2.5
TOTAL_BUDGET = 5.0  # seconds for all the commands of one answer
MAX_STEPS = 200_000  # rule visits per question: jumps cannot blow the walk up
MAX_DEPTH = 16


class Inbound(str, enum.Enum):
    ALLOWED = "allowed"  # the rules let new connections in on this port
    BLOCKED = "blocked"  # the rules stop them
    LIMITED = "limited"  # only from some senders or on some network connections
    UNKNOWN = "unknown"  # loopgui could not read or understand the rules


@dataclass(frozen=True, slots=True)
class Packet:
    """The packet whose fate the rules decide.  ``None`` fields are not known (for example the address of a
    computer that might connect); rules that depend on them make the answer "limited" or "unknown", never a guess.

    The usual question is the first packet of a new connection from another computer: ``iif`` and ``daddr`` name
    this computer's own network connection and address on it, ``saddr`` and ``sport`` stay unknown.  Local
    connections (``iif="lo"``) know both ends; a reply (``state="established"``, ``syn=False``) swaps the ports.
    """

    version: int
    proto: str
    dport: int | None
    iif: str | None = None  # the network connection it arrives on; None: any but loopback
    daddr: str | None = None  # this computer's address it is sent to
    saddr: str | None = None  # the sender's address
    sport: int | None = None  # the sender's port
    state: str = "new"  # conntrack state: "new" or "established"
    syn: bool = True  # a bare SYN (the first packet of a TCP connection)

    @property
    def loopback(self) -> bool:
        return self.iif == "lo"


def new_connection(
    port: int, proto: str = "tcp", version: int = 4, *, iif: str | None = None, daddr: str | None = None,
    saddr: str | None = None,
) -> Packet:  # fmt: skip
    """The first packet of a new connection to ``port``."""
    return Packet(version, proto.lower(), port, iif, daddr, saddr)


@dataclass(frozen=True, slots=True)
class RuleRef:
    """The rule (or chain policy) that decided, as the reader showed it: enough to look it up and remove it."""

    reader: str  # "nft", "iptables", "iptables-legacy", "ip6tables", "ip6tables-legacy"
    family: str  # nft family ("inet", "ip", "ip6"); for iptables "ipv4" / "ipv6"
    table: str
    chain: str
    text: str  # the rule as shown in the details
    handle: int | None = None  # nft rule handle (``nft delete rule … handle N``)
    spec: tuple[str, ...] = ()  # iptables: the rule's words after ``-A CHAIN``
    policy: bool = False  # the chain's policy decided, not a rule

    def as_dict(self) -> dict[str, object]:
        return {
            "reader": self.reader,
            "family": self.family,
            "table": self.table,
            "chain": self.chain,
            "rule": self.text,
            "handle": self.handle,
            "policy": self.policy,
        }


@dataclass(frozen=True, slots=True)
class FirewallAnswer:
    inbound: Inbound
    source: str  # which firewall said so ("nftables", "ufw", "Windows Defender Firewall", …); "" when none
    reason: str  # plain words
    how_to_check: str = ""  # a command or a place in the settings where a person can look
    details: tuple[str, ...] = ()  # the rules that decided, technical
    rule: RuleRef | None = None  # the rule that decided, where the reader can name it

    def as_dict(self) -> dict[str, object]:
        return {
            "inbound": self.inbound.value,
            "source": self.source or None,
            "reason": self.reason,
            "how_to_check": self.how_to_check or None,
            "details": list(self.details),
            "rule": self.rule.as_dict() if self.rule else None,
        }


# -- shared rule-walk bookkeeping ------------------------------------------------------------------------------

# A condition is True (matches the connection), False (does not) or a _Maybe: it depends on what loopgui does
# not know — who sends (an address, a network connection) or a rule it cannot read.
SENDER = "sender"
OPAQUE = "opaque"


@dataclass(frozen=True, slots=True)
class _Maybe:
    kind: str  # SENDER or OPAQUE
    what: str  # plain words: "from 192.168.1.0/24", "on eth0", "a rule loopgui cannot read"


Cond = bool | _Maybe


def _and(conds: Iterable[Cond]) -> Cond:
    maybe: _Maybe | None = None
    for c in conds:
        if c is False:
            return False
        if isinstance(c, _Maybe) and (maybe is None or (maybe.kind == SENDER and c.kind == OPAQUE)):
            maybe = c
    return True if maybe is None else maybe


def _not(c: Cond) -> Cond:
    return c if isinstance(c, _Maybe) else not c


class _TooComplex(Exception):
    pass


@dataclass(slots=True)
class _Walk:
    """What a walk through the rules found: the certain outcome and what might have happened on the way."""

    maybes: list[tuple[str, _Maybe, str]] = field(default_factory=list)  # (verdict, why, rule text)
    steps: int = 0
    saw_xt: bool = False

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _TooComplex

    def maybe(self, verdict: str, why: _Maybe, rule: str | Callable[[], str]) -> None:
        if len(self.maybes) < 50:  # (the rule's text is only made for the ones kept)
            self.maybes.append((verdict, why, rule if isinstance(rule, str) else rule()))


ACCEPT = "accept"
DROP = "drop"


def _conclude(
    final: str, walk: _Walk, source: str, decided_by: str, how_to_check: str, port: int, proto: str, label: str = ""
) -> FirewallAnswer:
    """Turn a walk's certain outcome plus its "maybe" branches into an answer in plain words."""
    who = label or source
    other = [(v, m, r) for v, m, r in walk.maybes if v != final]
    pp = f"port {port}/{proto}"
    details = tuple([decided_by] if decided_by else []) + tuple(r for _, _, r in other[:5])
    if not other:
        if final == ACCEPT:
            return FirewallAnswer(
                Inbound.ALLOWED, source, f"{who} lets new connections to {pp} in.", how_to_check, details
            )
        return FirewallAnswer(Inbound.BLOCKED, source, f"{who} blocks new connections to {pp}.", how_to_check, details)
    if any(m.kind == OPAQUE for _, m, _ in other):
        opaque = next(m for _, m, _ in other if m.kind == OPAQUE)
        return FirewallAnswer(
            Inbound.UNKNOWN,
            source,
            f"{who} has rules loopgui cannot interpret for {pp} ({opaque.what}).",
            how_to_check,
            details,
        )
    whats = []
    for _, m, _ in other:
        if m.what not in whats:
            whats.append(m.what)
    said = ", ".join(whats[:3])
    reason = f"{who} lets {pp} in, but blocks it {said}." if final == ACCEPT else f"{who} lets {pp} in only {said}."
    return FirewallAnswer(Inbound.LIMITED, source, reason, how_to_check, details)


def _in_ports(port: int, spec: str) -> bool | None:
    """``22``, ``8000:8100``, ``8000-8100``, ``22,80,443`` (also mixed); None when it is not a port list."""
    found = False
    for raw in spec.split(","):
        part = raw.strip()
        if not part:
            continue
        m = re.fullmatch(r"(\d{1,5})(?:[:\-](\d{1,5}))?", part)
        if m is None:
            return None
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else first
        if first <= port <= last:
            found = True
    return found


def _is_any_address(text: str) -> bool:
    """``0.0.0.0/0`` or ``::/0``: every address (cheap: rulesets may hold many thousands of addresses)."""
    _, slash, prefix = text.strip().partition("/")
    return bool(slash) and prefix.strip() == "0"


def _source(text: str) -> Cond:
    """A rule for senders in ``text``: every sender (True), loopback only (False: never another computer)."""
    t = text.strip()
    if _is_any_address(t):
        return True
    if t.startswith("127.") or t.partition("/")[0] == "::1":
        return False
    return _Maybe(SENDER, f"from {t}")


def _address_in(address: str, spec: str) -> bool | None:
    """Whether ``address`` is in ``spec`` (an address, a prefix or a range "a-b"); None when unreadable."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if "-" in spec:
            lo, hi = (ipaddress.ip_address(x.strip()) for x in spec.split("-", 1))
            return lo.version == ip.version and lo <= ip <= hi  # type: ignore[operator]
        net = ipaddress.ip_network(spec.strip(), strict=False)
    except ValueError:
        return None
    return net.version == ip.version and ip in net


def _iface_matches(pattern: str, name: str) -> bool:
    """An interface name in a rule: exact, or a prefix ending in ``*`` (nft) or ``+`` (iptables)."""
    if pattern.endswith(("*", "+")):
        return name.startswith(pattern[:-1])
    return pattern == name


EPHEMERAL_LOW = 1024  # a sender's own port: any unprivileged port (operating systems choose from 1024 up)


def _unknown_port(values: list[Any] | None, direction: str) -> Cond:
    """A port rule for a port loopgui does not know (the sender's): never for privileged-only lists."""
    if values is None:
        return _Maybe(OPAQUE, "a list loopgui cannot read")
    shown: list[str] = []
    for v in values:
        lo, hi = v if isinstance(v, tuple) else (v, v)
        if isinstance(lo, int) and isinstance(hi, int):
            if hi >= EPHEMERAL_LOW:
                shown.append(str(lo) if lo == hi else f"{lo}-{hi}")
        else:
            shown.append(str(v))
    if not shown:
        return False
    return _Maybe(SENDER, f"{direction} port " + ", ".join(shown[:3]))
