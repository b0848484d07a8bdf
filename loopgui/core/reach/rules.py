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


class Reason(str, enum.Enum):
    """Why a firewall answers as it does: stable codes (``--json``, docs/JSON.md "Firewall reasons")."""

    NO_INBOUND_RULES = "no_inbound_rules"  # the firewall has no rules for incoming connections
    NOT_READ = "not_read"  # loopgui did not (or could not) read any firewall for this question
    RULES_UNREADABLE = "rules_unreadable"  # a reader ran but its output could not be read
    TOO_INVOLVED = "too_involved"  # the rules are too involved to follow within loopgui's limits
    ALLOWED_BY_RULE = "allowed_by_rule"  # a rule (or an accepting policy) lets new connections in
    BLOCKED_BY_RULE = "blocked_by_rule"  # a rule stops them
    POLICY_DROP = "policy_drop"  # no rule decided: the chain's (or the default) policy drops them
    UNINTERPRETABLE = "uninterpretable"  # a rule loopgui cannot interpret may decide (``conditions``)
    DEPENDS_ON_SENDER = "depends_on_sender"  # blocked, except for the senders in ``conditions``
    BLOCKED_FOR_SOME = "blocked_for_some"  # allowed, except for the senders in ``conditions``
    SWITCHED_OFF = "switched_off"  # the firewall is switched off
    BLOCK_ALL = "block_all"  # it blocks every incoming connection ("Block all")
    ALLOWS_ALL = "allows_all"  # it lets every incoming connection in
    DEFAULT_DENY_UNREADABLE = "default_deny_unreadable"  # on, blocks what no rule allows; rules not readable
    NO_RULE_DEFAULT_UNKNOWN = "no_rule_default_unknown"  # no rule for the port, the default was not shown
    ALLOWED_PROGRAMS_ONLY = "allowed_programs_only"  # macOS: only programs the person allowed
    FIREWALLD_PORT_OPEN = "firewalld_port_open"  # the zone lists the port (``ports``)
    FIREWALLD_SERVICE_OPEN = "firewalld_service_open"  # the zone lists a service with the port (``services``)
    FIREWALLD_RICH_RULE = "firewalld_rich_rule"  # a rich rule names the port (``details``)
    FIREWALLD_UNKNOWN_SERVICES = "firewalld_unknown_services"  # allowed services loopgui does not know
    FIREWALLD_BLOCKS = "firewalld_blocks"  # no setting of the zone allows the port
    KERNEL_RULES_UNREADABLE = "kernel_rules_unreadable"  # neither ufw nor firewalld on; kernel rules need rights
    OTHERS_UNREADABLE = "others_unreadable"  # ``seen`` lets it in; the kernel's own rules could not be read
    UNSUPPORTED_SYSTEM = "unsupported_system"  # loopgui has no reader for this operating system


class ConditionCode(str, enum.Enum):
    """What an answer depends on: who sends (``kind`` "sender") or a rule loopgui cannot follow ("opaque")."""

    # the sender or the way in (loopgui does not know who will connect)
    FROM_ADDRESSES = "from_addresses"  # values: addresses / networks / ranges as the rule writes them
    TO_ADDRESSES = "to_addresses"  # values: this computer's addresses the rule names
    FROM_SOME_ADDRESSES = "from_some_addresses"  # an address list loopgui cannot read
    TO_SOME_ADDRESSES = "to_some_addresses"
    ON_INTERFACES = "on_interfaces"  # values: network connection names (eth0, wlan*)
    ON_SOME_INTERFACES = "on_some_interfaces"
    FROM_PORTS = "from_ports"  # values: the sender's ports
    TO_PORTS = "to_ports"
    IN_SET = "in_set"  # values: the set's (ipset's) name
    IN_SOME_CASES = "in_some_cases"
    # a rule loopgui cannot follow
    UNREADABLE_RULE = "unreadable_rule"
    UNREADABLE_LIST = "unreadable_list"
    PROGRAM_DECIDES = "program_decides"  # queue / NFQUEUE: a program decides each connection
    IPTABLES_IN_NFTABLES = "iptables_in_nftables"  # an "xt" expression
    STATEMENT = "statement"  # values: the nft statement's name
    VERDICT_MAP = "verdict_map"
    COMPARISON = "comparison"  # values: the operator
    MATCH = "match"  # values: the expression or match as the rules name it ("ct helper", "mark", "tcp flags")
    ADDRESSES = "addresses"  # values: an address spec loopgui cannot compare
    PORTS = "ports"  # values: a port spec loopgui cannot read
    PORTS_EITHER_SIDE = "ports_either_side"  # iptables ``--ports``
    APPLICATION_PROFILE = "application_profile"  # values: the ufw application profile
    PROGRAM_RULE = "program_rule"  # values: the program a Windows rule is for


SENDER = "sender"
OPAQUE = "opaque"
_SENDER_CODES = frozenset(
    {
        ConditionCode.FROM_ADDRESSES,
        ConditionCode.TO_ADDRESSES,
        ConditionCode.FROM_SOME_ADDRESSES,
        ConditionCode.TO_SOME_ADDRESSES,
        ConditionCode.ON_INTERFACES,
        ConditionCode.ON_SOME_INTERFACES,
        ConditionCode.FROM_PORTS,
        ConditionCode.TO_PORTS,
        ConditionCode.IN_SET,
        ConditionCode.IN_SOME_CASES,
    }
)


@dataclass(frozen=True, slots=True)
class Condition:
    """What a "maybe" depends on, as facts: a code and the values the rule names (addresses, interfaces, …)."""

    code: ConditionCode
    values: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return SENDER if self.code in _SENDER_CODES else OPAQUE

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code.value, "kind": self.kind, "values": list(self.values)}


@dataclass(frozen=True, slots=True)
class FirewallAnswer:
    """One firewall's answer for one packet: a verdict, the reason code and the evidence behind it."""

    inbound: Inbound
    source: str  # which firewall said so ("nftables", "iptables (legacy)", "ufw", "firewalld", "pf", …); "" none
    reason: Reason
    how_to_check: str = ""  # the command a person can run to look (never translated)
    details: tuple[str, ...] = ()  # the rules that decided, as the tool printed them
    rule: RuleRef | None = None  # the rule that decided, where the reader can name it
    port: int | None = None
    proto: str = ""
    conditions: tuple[Condition, ...] = ()  # what a limited or unknown answer depends on
    zone: str = ""  # firewalld's zone
    interfaces: tuple[str, ...] = ()  # firewalld: the zone's network connections
    services: tuple[str, ...] = ()  # firewalld: the service that allows the port, or the unknown ones
    seen: FirewallAnswer | None = None  # OTHERS_UNREADABLE: what the readable firewall said

    def as_dict(self) -> dict[str, object]:
        return {
            "inbound": self.inbound.value,
            "source": self.source or None,
            "reason": self.reason.value,
            "port": self.port,
            "protocol": self.proto or None,
            "conditions": [c.as_dict() for c in self.conditions],
            "zone": self.zone or None,
            "interfaces": list(self.interfaces),
            "services": list(self.services),
            "how_to_check": self.how_to_check or None,
            "details": list(self.details),
            "rule": self.rule.as_dict() if self.rule else None,
            "seen": self.seen.as_dict() if self.seen else None,
        }


# -- shared rule-walk bookkeeping ------------------------------------------------------------------------------

# A condition is True (matches the connection), False (does not) or a _Maybe (a :class:`Condition`): it depends
# on what loopgui does not know — who sends (an address, a network connection) or a rule it cannot read.
_Maybe = Condition


def _cond(code: ConditionCode, *values: object) -> Condition:
    return Condition(code, tuple(str(v) for v in values))


Cond = bool | Condition


def _and(conds: Iterable[Cond]) -> Cond:
    maybe: Condition | None = None
    for c in conds:
        if c is False:
            return False
        if isinstance(c, Condition) and (maybe is None or (maybe.kind == SENDER and c.kind == OPAQUE)):
            maybe = c
    return True if maybe is None else maybe


def _not(c: Cond) -> Cond:
    return c if isinstance(c, Condition) else not c


class _TooComplex(Exception):
    pass


@dataclass(slots=True)
class _Walk:
    """What a walk through the rules found: the certain outcome and what might have happened on the way."""

    maybes: list[tuple[str, Condition, str]] = field(default_factory=list)  # (verdict, why, rule text)
    steps: int = 0
    saw_xt: bool = False

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _TooComplex

    def maybe(self, verdict: str, why: Condition, rule: str | Callable[[], str]) -> None:
        if len(self.maybes) < 50:  # (the rule's text is only made for the ones kept)
            self.maybes.append((verdict, why, rule if isinstance(rule, str) else rule()))


ACCEPT = "accept"
DROP = "drop"


def _conclude(
    final: str, walk: _Walk, source: str, decided_by: str, how_to_check: str, port: int, proto: str,
    *, policy: bool = False,
) -> FirewallAnswer:  # fmt: skip
    """Turn a walk's certain outcome plus its "maybe" branches into an answer (a reason code and evidence).
    ``policy``: a chain's policy (or the default), not a rule, decided."""
    other = [(v, m, r) for v, m, r in walk.maybes if v != final]
    details = tuple([decided_by] if decided_by else []) + tuple(r for _, _, r in other[:5])
    facts: dict[str, Any] = {"port": port, "proto": proto}
    if not other:
        if final == ACCEPT:
            return FirewallAnswer(Inbound.ALLOWED, source, Reason.ALLOWED_BY_RULE, how_to_check, details, **facts)
        reason = Reason.POLICY_DROP if policy else Reason.BLOCKED_BY_RULE
        return FirewallAnswer(Inbound.BLOCKED, source, reason, how_to_check, details, **facts)
    opaque = next((m for _, m, _ in other if m.kind == OPAQUE), None)
    if opaque is not None:
        return FirewallAnswer(
            Inbound.UNKNOWN, source, Reason.UNINTERPRETABLE, how_to_check, details, conditions=(opaque,), **facts
        )
    whats: list[Condition] = []
    for _, m, _ in other:
        if m not in whats:
            whats.append(m)
    reason = Reason.BLOCKED_FOR_SOME if final == ACCEPT else Reason.DEPENDS_ON_SENDER
    return FirewallAnswer(Inbound.LIMITED, source, reason, how_to_check, details, conditions=tuple(whats[:3]), **facts)


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
    return _cond(ConditionCode.FROM_ADDRESSES, t)


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
        return _cond(ConditionCode.UNREADABLE_LIST)
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
    code = ConditionCode.TO_PORTS if direction == "to" else ConditionCode.FROM_PORTS
    return Condition(code, tuple(shown[:3]))
