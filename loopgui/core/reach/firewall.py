"""What this computer's firewall says about new connections from other computers to one port.

Each reader runs one fixed command (never user text, never a shell, a few seconds at most) or reads one file,
and each parser turns that output into a :class:`FirewallAnswer`: allowed, blocked, limited (only from some
senders or on some network connections) or unknown.  Where loopgui cannot read the rules — most need
administrator rights — the answer is "unknown" together with the command a person can run to look; loopgui
never guesses.  Parsers are linear in their input (bounded chain walks, no backtracking patterns).

The question each parser answers: a new connection (TCP SYN, or a first UDP datagram) arrives from another
computer on a network connection other than loopback, for ``port``/``proto`` and IP version 4 or 6.  What
happens to it?
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import functools
import ipaddress
import json
import logging
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("loopgui.firewall")

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


# ---------------------------------------------------------------------------------------------------------------
# nftables: `nft -j list ruleset`
# ---------------------------------------------------------------------------------------------------------------

NFT_CHECK = "sudo nft list ruleset"
_NFT_FAMILIES = {4: ("ip", "inet"), 6: ("ip6", "inet")}
_TERMINALS = ("accept", "drop", "reject", "return", "jump", "goto", "queue")


def nft_inbound(
    text: str, port: int, proto: str = "tcp", version: int = 4, *, packet: Packet | None = None,
    skip_tables: Sequence[tuple[str, str]] = (),
) -> FirewallAnswer:  # fmt: skip
    """Decide from ``nft -j list ruleset`` output.  ``skip_tables``: (family, table) read by another reader."""
    tables = _nft_tables(text, version, tuple(sorted(set(skip_tables))))
    if tables is None:
        return FirewallAnswer(Inbound.UNKNOWN, "nftables", "loopgui could not read the nftables rules.", NFT_CHECK)
    pkt = packet or new_connection(port, proto, version)
    return _Nft(tables, pkt).answer()


@dataclass(frozen=True, slots=True)
class _NftTables:
    """One IP version's chains, rules, sets and rule handles of an ``nft -j`` listing, read once."""

    chains: dict[tuple[str, str, str], dict[str, Any]]
    rules: dict[tuple[str, str, str], list[list[Any]]]
    sets: dict[tuple[str, str, str], list[Any]]
    handles: dict[int, int]  # id(expr) -> rule handle


@functools.lru_cache(maxsize=16)
def _nft_tables(text: str, version: int, skip: tuple[tuple[str, str], ...]) -> _NftTables | None:
    """Parsed once per listing and IP version: a verdict asks about many packets (ways in, replies)."""
    try:
        data = json.loads(text)
        items = data["nftables"]
        if not isinstance(items, list):
            raise TypeError("not a list")
    except (ValueError, TypeError, KeyError):
        return None
    families = _NFT_FAMILIES.get(version, ("inet",))
    t = _NftTables({}, {}, {}, {})
    skipped = set(skip)
    for item in items:
        if not isinstance(item, dict):
            continue
        inner = next(iter(item.values()), None) if item else None
        if isinstance(inner, dict) and (str(inner.get("family")), str(inner.get("table"))) in skipped:
            continue
        if "chain" in item and isinstance(item["chain"], dict):
            c = item["chain"]
            if c.get("family") in families:
                key = (str(c.get("family")), str(c.get("table")), str(c.get("name")))
                t.chains[key] = c
                t.rules.setdefault(key, [])
        elif "rule" in item and isinstance(item["rule"], dict):
            r = item["rule"]
            if r.get("family") in families and isinstance(r.get("expr"), list):
                key = (str(r.get("family")), str(r.get("table")), str(r.get("chain")))
                t.rules.setdefault(key, []).append(r["expr"])
                if isinstance(r.get("handle"), int):
                    t.handles[id(r["expr"])] = r["handle"]
        else:
            for kind in ("set", "map"):
                s = item.get(kind)
                if isinstance(s, dict) and s.get("family") in families:
                    elem = s.get("elem")
                    t.sets[(str(s.get("family")), str(s.get("table")), str(s.get("name")))] = (
                        elem if isinstance(elem, list) else []
                    )
    return t


class _Nft:
    def __init__(self, tables: _NftTables, packet: Packet) -> None:
        self.packet = packet
        self.port = packet.dport if packet.dport is not None else 0
        self.proto = packet.proto
        self.version = packet.version
        self.chains = tables.chains
        self.rules = tables.rules
        self.sets = tables.sets
        self.handles = tables.handles
        self.refs: dict[str, RuleRef] = {}

    def answer(self) -> FirewallAnswer:
        # a packet for this computer passes the prerouting hook first, then input (each in priority order)
        base = [
            (k, c)
            for k, c in self.chains.items()
            if c.get("hook") in ("prerouting", "input") and c.get("type", "filter") in ("filter", "nat")
        ]
        base.sort(key=lambda kc: (kc[1].get("hook") != "prerouting", _prio(kc[1].get("prio"))))
        walk = _Walk()
        final = ACCEPT
        decided = ""
        try:
            for key, chain in base:
                outcome, rule = self.walk(key, walk, certain=True, depth=0)
                if outcome == "queue":
                    walk.maybe(DROP, _Maybe(OPAQUE, "a program decides each connection"), rule)
                    outcome = None
                if outcome is None:  # fell through: the chain's policy decides
                    outcome = DROP if str(chain.get("policy", "accept")) == "drop" else ACCEPT
                    rule = f"{key[0]} {key[1]} {key[2]}: policy {chain.get('policy', 'accept')}"
                    self.refs[rule] = RuleRef("nft", key[0], key[1], key[2], rule, policy=True)
                if outcome == DROP:
                    final, decided = DROP, rule
                    break
                decided = decided or rule
        except _TooComplex:
            return FirewallAnswer(
                Inbound.UNKNOWN, "nftables", "The nftables rules are too involved to follow.", NFT_CHECK
            )
        if not base:
            return FirewallAnswer(
                Inbound.ALLOWED, "nftables", "The firewall (nftables) has no rules for incoming connections.", NFT_CHECK
            )
        answer = _conclude(
            final, walk, "nftables", decided, NFT_CHECK, self.port, self.proto, "The firewall (nftables)"
        )
        ref = self.refs.get(decided)
        if walk.saw_xt:
            return FirewallAnswer(
                answer.inbound, "nftables", answer.reason, answer.how_to_check, (*answer.details, "xt"), ref
            )
        return FirewallAnswer(answer.inbound, "nftables", answer.reason, answer.how_to_check, answer.details, ref)

    def walk(self, key: tuple[str, str, str], walk: _Walk, *, certain: bool, depth: int) -> tuple[str | None, str]:
        """Run one chain: (ACCEPT | DROP | "queue" | None for "fell through or returned", the deciding rule)."""
        if depth > MAX_DEPTH:
            raise _TooComplex
        for expr in self.rules.get(key, []):
            walk.step()
            text = functools.partial(_rule_label, key, expr)
            cond: Cond = True
            verdict: tuple[str, str] | None = None  # (kind, jump target)
            for stmt in expr:
                if not isinstance(stmt, dict) or not stmt:
                    continue
                name, value = next(iter(stmt.items()))
                if name == "match":
                    cond = _and((cond, self.match(value)))
                elif name == "vmap":
                    cond, verdict = self.vmap(value, cond, walk, text)
                    break
                elif name in _TERMINALS:
                    target = value.get("target", "") if isinstance(value, dict) else ""
                    verdict = (name, str(target))
                    break
                elif name == "xt":
                    walk.saw_xt = True
                    cond = _and((cond, _Maybe(OPAQUE, "an iptables rule inside nftables")))
                elif name in ("counter", "log", "limit", "quota", "mangle", "set", "notrack", "meta", "ct", "comment"):
                    continue  # does not decide
                else:
                    cond = _and((cond, _Maybe(OPAQUE, f"a “{name}” rule")))
                if cond is False:
                    break
            if cond is False or verdict is None:
                continue
            kind, target = verdict
            sure = certain and cond is True
            why = cond if isinstance(cond, _Maybe) else None
            if kind in ("accept", "drop", "reject", "queue"):
                outcome = ACCEPT if kind == "accept" else ("queue" if kind == "queue" else DROP)
                if sure:
                    label = text()
                    self.refs[label] = RuleRef("nft", key[0], key[1], key[2], label, self.handles.get(id(expr)))
                    return outcome, label
                walk.maybe(DROP if outcome == "queue" else outcome, why or _Maybe(SENDER, "in some cases"), text)
                continue
            if kind == "return":
                if sure:
                    return None, text()
                continue
            sub = (key[0], key[1], target)
            inner, rule = self.walk(sub, walk, certain=sure, depth=depth + 1)
            if inner is not None and sure:
                return inner, rule
            if inner is not None:
                walk.maybe(DROP if inner == "queue" else inner, why or _Maybe(SENDER, "in some cases"), rule)
            if kind == "goto" and sure:
                return None, text()
        return None, ""

    def vmap(self, value: Any, cond: Cond, walk: _Walk, text: Callable[[], str]) -> tuple[Cond, tuple[str, str] | None]:
        """A verdict map: pick the entry for our connection (e.g. ``ct state vmap { established : accept }``)."""
        if not isinstance(value, dict):
            return _and((cond, _Maybe(OPAQUE, "a verdict map"))), None
        entries = value.get("data", {})
        entries = entries.get("set") if isinstance(entries, dict) else None
        if not isinstance(entries, list):
            return _and((cond, _Maybe(OPAQUE, "a verdict map"))), None
        for entry in entries:
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], dict) and entry[1]):
                continue
            hit = _and((cond, self.compare(value.get("key"), "==", entry[0])))
            if hit is False:
                continue
            name, v = next(iter(entry[1].items()))
            target = v.get("target", "") if isinstance(v, dict) else ""
            if hit is True:
                return True, (name, str(target))
            if name in ("accept", "drop", "reject"):
                walk.maybe(ACCEPT if name == "accept" else DROP, hit, text)
        return False, None

    def match(self, m: Any) -> Cond:
        if not isinstance(m, dict):
            return _Maybe(OPAQUE, "a rule loopgui cannot read")
        return self.compare(m.get("left"), str(m.get("op", "==")), m.get("right"))

    def compare(self, left: Any, op: str, right: Any) -> Cond:
        result = self._compare(left, right)
        if op in ("!=",):
            return _not(result)
        if op in ("==", "in"):
            return result
        return _Maybe(OPAQUE, f"a comparison “{op}”")

    def _compare(self, left: Any, right: Any) -> Cond:
        pkt = self.packet
        if not isinstance(left, dict) or not left:
            return _Maybe(OPAQUE, "a rule loopgui cannot read")
        kind, what = next(iter(left.items()))
        if kind == "payload" and isinstance(what, dict):
            protocol = what.get("protocol")
            fld = what.get("field")
            if protocol in ("tcp", "udp", "th", "udplite", "sctp", "dccp"):
                if protocol not in ("th", self.proto):
                    return False
                if fld in ("dport", "sport"):
                    value = pkt.dport if fld == "dport" else pkt.sport
                    if value is not None:
                        return self.values_contain(right, value)
                    return _unknown_port(self.expand(right), "to" if fld == "dport" else "from")
                return _Maybe(OPAQUE, f"{protocol} {fld}")
            if protocol in ("ip", "ip6"):
                if (protocol == "ip") != (self.version == 4):
                    return False
                if fld == "saddr":
                    return self.address(right, "from", pkt.saddr)
                if fld == "daddr":
                    return self.address(right, "to", pkt.daddr)
                if fld in ("protocol", "nexthdr"):
                    return self.values_contain(right, self.proto, names=True)
                return _Maybe(OPAQUE, f"{protocol} {fld}")
            if protocol in ("icmp", "icmpv6", "ah", "esp", "igmp"):
                return False
            return _Maybe(OPAQUE, f"{protocol} {fld}")
        if kind == "meta" and isinstance(what, dict):
            key = what.get("key")
            if key == "l4proto":
                return self.values_contain(right, self.proto, names=True)
            if key == "protocol":
                return self.values_contain(right, "ip" if self.version == 4 else "ip6", names=True)
            if key == "nfproto":
                return self.values_contain(right, "ipv4" if self.version == 4 else "ipv6", names=True)
            if key in ("iif", "iifname", "iiftype"):
                names = _flat_values(right)
                if names is None:
                    return _Maybe(SENDER, "on some network connections")
                if key == "iiftype":
                    return ("loopback" in names) == pkt.loopback
                if pkt.iif is not None:
                    return any(_iface_matches(str(n), pkt.iif) for n in names)
                others = [str(n) for n in names if str(n) != "lo"]
                if not others:
                    return False
                return _Maybe(SENDER, "on " + ", ".join(others[:3]))
            if key == "pkttype":
                names = _flat_values(right)
                return _Maybe(OPAQUE, "packet type") if names is None else bool({"host", "unicast"} & set(names))
            return _Maybe(OPAQUE, f"meta {key}")
        if kind == "ct" and isinstance(what, dict):
            if what.get("key") == "state":
                names = _flat_values(right)
                if names is None:
                    return _Maybe(OPAQUE, "connection state")
                return pkt.state in names
            if what.get("key") == "status":
                names = _flat_values(right)
                return False if names is not None and "dnat" in names else _Maybe(OPAQUE, "connection status")
            return _Maybe(OPAQUE, f"ct {what.get('key')}")
        if kind == "&" and isinstance(what, list) and what:
            first = what[0]
            if isinstance(first, dict) and first.get("payload", {}).get("field") == "flags":
                # tcp flags & (fin|syn|rst|ack) == syn: the first packet of a new connection is a bare SYN
                if first["payload"].get("protocol") != self.proto:
                    return False
                names = _flat_values(right)
                if names is not None:
                    return (names == ["syn"]) == pkt.syn
            return _Maybe(OPAQUE, "tcp flags")
        if kind == "fib" and isinstance(what, dict):
            flags = what.get("flags")
            names = _flat_values(right)
            if what.get("result") == "type" and flags in ("daddr", ["daddr"]) and names is not None:
                return "local" in names  # a packet for this computer: its destination is a local address
            return _Maybe(OPAQUE, "a routing check")
        return _Maybe(OPAQUE, f"{kind}")

    def values_contain(self, right: Any, value: int | str, *, names: bool = False) -> Cond:
        values = self.expand(right)
        if values is None:
            return _Maybe(OPAQUE, "a list loopgui cannot read")
        aliases: set[object] = {value}
        if names and isinstance(value, str):
            aliases |= {"tcp": {6}, "udp": {17}}.get(value, set())
        for v in values:
            if isinstance(v, tuple):
                lo, hi = v
                if isinstance(value, int) and isinstance(lo, int) and isinstance(hi, int) and lo <= value <= hi:
                    return True
            elif v in aliases:
                return True
        return False

    def expand(self, right: Any) -> list[Any] | None:
        """Right-hand values: a number, a name, ``{"set": [...]}``, ``{"range": [a, b]}``, ``"@named_set"``."""
        if isinstance(right, (int, str)) and not (isinstance(right, str) and right.startswith("@")):
            return [right]
        if isinstance(right, str):
            for (_, _, name), elems in self.sets.items():
                if name == right[1:]:
                    return self.expand({"set": elems})
            return None
        if isinstance(right, list):
            return self.expand({"set": right})
        if isinstance(right, dict):
            if "set" in right and isinstance(right["set"], list):
                out: list[Any] = []
                for element in right["set"]:
                    e = element
                    if isinstance(e, dict) and "elem" in e and isinstance(e["elem"], dict):
                        e = e["elem"].get("val")
                    sub = self.expand(e)
                    if sub is None:
                        return None
                    out += sub
                return out
            if "range" in right and isinstance(right["range"], list) and len(right["range"]) == 2:
                lo, hi = right["range"]
                return [(lo, hi)]
        return None

    def address(self, right: Any, direction: str, known: str | None = None) -> Cond:
        texts: list[str] = []
        values = self.expand(right) if not (isinstance(right, dict) and "prefix" in right) else [right]
        for v in values or []:
            if isinstance(v, dict) and isinstance(v.get("prefix"), dict):
                texts.append(f"{v['prefix'].get('addr')}/{v['prefix'].get('len')}")
            elif isinstance(v, tuple):
                texts.append(f"{v[0]}-{v[1]}")
            elif isinstance(v, str):
                texts.append(v)
        if values is None or not texts:
            return _Maybe(SENDER, f"{direction} some addresses")
        if known is not None:
            hits = [_address_in(known, t) for t in texts]
            if any(h is True for h in hits):
                return True
            if all(h is False for h in hits):
                return False
            return _Maybe(OPAQUE, f"addresses {texts[0]}")
        if direction == "from":
            conds = [_source(t) for t in texts]
            if any(c is True for c in conds):
                return True
            if all(c is False for c in conds):
                return False
            return _Maybe(SENDER, "from " + ", ".join(texts[:3]))
        if any(_is_any_address(t) for t in texts):
            return True
        return _Maybe(SENDER, f"{direction} " + ", ".join(texts[:3]))


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


def _prio(value: Any) -> int:
    names = {"raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100}
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return names.get(value, 0)
    return 0


def _flat_values(right: Any) -> list[str] | None:
    if isinstance(right, (str, int)):
        return [str(right)]
    if isinstance(right, list):
        return [str(v) for v in right if isinstance(v, (str, int))]
    if isinstance(right, dict) and isinstance(right.get("set"), list):
        return [str(v) for v in right["set"] if isinstance(v, (str, int))]
    return None


def _rule_label(key: tuple[str, str, str], expr: list[Any]) -> str:
    return f"{key[1]} {key[2]}: {_nft_text(expr)}"


def _nft_text(expr: list[Any]) -> str:
    """A short technical rendering of one rule, for the details."""
    bits: list[str] = []
    for stmt in expr:
        if not isinstance(stmt, dict) or not stmt:
            continue
        name, value = next(iter(stmt.items()))
        if name == "match" and isinstance(value, dict):
            bits.append(f"{_nft_operand(value.get('left'))} {value.get('op', '==')} {_nft_operand(value.get('right'))}")
        elif name in ("counter", "comment"):
            continue
        elif isinstance(value, dict) and "target" in value:
            bits.append(f"{name} {value['target']}")
        else:
            bits.append(name)
    return " ".join(bits)[:200]


def _nft_operand(v: Any) -> str:
    if isinstance(v, dict) and v:
        k, inner = next(iter(v.items()))
        if k == "prefix" and isinstance(inner, dict):
            return f"{inner.get('addr')}/{inner.get('len')}"
        if isinstance(inner, dict):
            return " ".join(str(x) for x in inner.values() if isinstance(x, (str, int)))
        if k == "set" and isinstance(inner, list):
            return "{" + ", ".join(_nft_operand(x) for x in inner[:8]) + "}"
        return str(k)
    if isinstance(v, list):
        return "{" + ", ".join(_nft_operand(x) for x in v[:8]) + "}"
    return str(v)


# ---------------------------------------------------------------------------------------------------------------
# iptables: `iptables-save` / `iptables -S` (and the ip6tables twins)
# ---------------------------------------------------------------------------------------------------------------

IPTABLES_CHECK = "sudo iptables -S INPUT"
_IPT_NONTERMINAL = {"LOG", "NFLOG", "ULOG", "MARK", "CONNMARK", "AUDIT", "TRACE", "CT", "NOTRACK", "TCPMSS", "SET"}


# the chains a packet for this computer passes, in order: (table, chain)
_IPT_PATH = (("raw", "PREROUTING"), ("mangle", "PREROUTING"), ("nat", "PREROUTING"), ("mangle", "INPUT"),
             ("filter", "INPUT"))  # fmt: skip


@functools.lru_cache(maxsize=16)
def iptables_tables(text: str) -> dict[str, tuple[dict[str, str], dict[str, list[list[str]]]]]:
    """``iptables-save`` (or ``iptables -S``, the filter table): table -> (policies, chain -> rules).

    Parsed once per output (a verdict asks about many packets); callers never change the result."""
    tables: dict[str, tuple[dict[str, str], dict[str, list[list[str]]]]] = {}
    table = "filter"
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            table = line[1:].strip()
            continue
        if line == "COMMIT":
            continue
        policies, rules = tables.setdefault(table, ({}, {}))
        if line.startswith(":"):
            parts = line[1:].split()
            if len(parts) >= 2:
                policies[parts[0]] = parts[1]
                rules.setdefault(parts[0], [])
            continue
        words = line.split()
        if '"' in line or "'" in line:  # comments: -m comment --comment "allow web"
            with contextlib.suppress(ValueError):
                words = shlex.split(line)
        if len(words) >= 3 and words[0] == "-P":
            policies[words[1]] = words[2]
        elif len(words) >= 2 and words[0] == "-A":
            rules.setdefault(words[1], []).append(words[2:])
        elif len(words) >= 2 and words[0] == "-N":
            rules.setdefault(words[1], [])
    return {name: t for name, t in tables.items() if t[0] or t[1]}


def iptables_inbound(
    text: str, port: int, proto: str = "tcp", version: int = 4, *, packet: Packet | None = None,
    source: str = "",
) -> FirewallAnswer:  # fmt: skip
    """Decide from ``iptables-save`` (or the lines of ``iptables -S``): raw, mangle and filter tables."""
    check = IPTABLES_CHECK if version == 4 else IPTABLES_CHECK.replace("iptables", "ip6tables")
    source = source or ("iptables" if version == 4 else "ip6tables")
    pkt = packet or new_connection(port, proto, version)
    tables = iptables_tables(text)
    if not tables:
        return FirewallAnswer(Inbound.UNKNOWN, source, f"loopgui could not read the {source} rules.", check)
    walk = _Walk()
    final, decided, any_rules = ACCEPT, "", False
    refs: dict[str, RuleRef] = {}
    try:
        for table, chain in _IPT_PATH:
            if table not in tables:
                continue
            policies, rules = tables[table]
            any_rules = any_rules or bool(rules.get(chain))
            outcome, rule = _ipt_walk(chain, rules, pkt, walk, certain=True, depth=0, table=table, refs=refs)
            if outcome is None:
                policy = policies.get(chain, "ACCEPT")
                outcome = DROP if policy in ("DROP", "REJECT") else ACCEPT
                rule = f"{'' if table == 'filter' else f'-t {table} '}{chain} policy {policy}"
                refs[rule] = RuleRef("", "", table, chain, rule, policy=True)
            if outcome == DROP:
                final, decided = DROP, rule
                break
            if table == "filter" or not decided:
                decided = rule
    except _TooComplex:
        return FirewallAnswer(Inbound.UNKNOWN, source, f"The {source} rules are too involved to follow.", check)
    if not any_rules and final == ACCEPT:
        return FirewallAnswer(
            Inbound.ALLOWED, source, f"The firewall ({source}) has no rules for incoming connections.", check
        )
    answer = _conclude(final, walk, source, decided, check, port, proto, f"The firewall ({source})")
    ref = refs.get(decided)
    if ref is not None:
        reader = source.replace(" (legacy)", "-legacy")
        ref = RuleRef(reader, "ipv4" if version == 4 else "ipv6", ref.table, ref.chain, ref.text, None, ref.spec,
                      ref.policy)  # fmt: skip
    return FirewallAnswer(answer.inbound, answer.source, answer.reason, answer.how_to_check, answer.details, ref)


def _ipt_walk(
    chain: str, rules: Mapping[str, list[list[str]]], pkt: Packet, walk: _Walk, *, certain: bool, depth: int,
    table: str = "filter", refs: dict[str, RuleRef] | None = None,
) -> tuple[str | None, str]:  # fmt: skip
    if depth > MAX_DEPTH:
        raise _TooComplex
    prefix = "" if table == "filter" else f"-t {table} "
    for words in rules.get(chain, []):
        walk.step()
        cond, target, goto = _ipt_rule(words, pkt)
        text = f"{prefix}-A {chain} " + " ".join(words)
        if cond is False or not target:
            continue
        sure = certain and cond is True
        why = cond if isinstance(cond, _Maybe) else _Maybe(SENDER, "in some cases")
        if target in ("ACCEPT", "DROP", "REJECT"):
            outcome = ACCEPT if target == "ACCEPT" else DROP
            if sure:
                if refs is not None:
                    refs[text] = RuleRef("", "", table, chain, text, spec=tuple(words))
                return outcome, text
            walk.maybe(outcome, why, text)
        elif target == "RETURN":
            if sure:
                return None, text
        elif target in ("NFQUEUE", "QUEUE"):
            walk.maybe(DROP, _Maybe(OPAQUE, "a program decides each connection"), text)
        elif target in _IPT_NONTERMINAL or target not in rules:
            continue
        else:
            inner, rule = _ipt_walk(target, rules, pkt, walk, certain=sure, depth=depth + 1, table=table, refs=refs)
            if inner is not None and sure:
                return inner, rule
            if inner is not None:
                walk.maybe(inner, why, rule)
            if goto and sure:
                return None, text
    return None, ""


_TCP_FLAGS = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"}


def _ipt_address(spec: str, known: str | None, direction: str) -> Cond:
    if known is None and "," not in spec:  # the usual case, kept cheap: blocklists hold many thousands
        if direction == "from":
            return _source(spec)
        return True if _is_any_address(spec) else _Maybe(SENDER, f"to {spec}")
    if known is not None:
        hits = [_address_in(known, part) for part in spec.split(",") if part]
        if any(h is True for h in hits):
            return True
        return False if hits and all(h is False for h in hits) else _Maybe(OPAQUE, f"addresses {spec}")
    if direction == "from":
        conds = [_source(part) for part in spec.split(",") if part]
        if any(c is True for c in conds):
            return True
        return False if conds and all(c is False for c in conds) else _Maybe(SENDER, f"from {spec}")
    return True if _is_any_address(spec) else _Maybe(SENDER, f"to {spec}")


def _port_values(spec: str) -> list[Any] | None:
    out: list[Any] = []
    for part in spec.split(","):
        m = re.fullmatch(r"(\d{1,5})(?:[:\-](\d{1,5}))?", part.strip())
        if m is None:
            return None
        out.append((int(m.group(1)), int(m.group(2) or m.group(1))))
    return out


def _ipt_rule(words: Sequence[str], pkt: Packet) -> tuple[Cond, str, bool]:
    """(does the rule match the packet, its target, whether it is a goto)."""
    proto = pkt.proto
    conds: list[Cond] = []
    target = ""
    goto = False
    negate = False
    i = 0
    n = len(words)

    def arg(k: int) -> str:
        return words[k] if k < n else ""

    while i < n:
        w = words[i]
        if w == "!":
            negate = True
            i += 1
            continue
        c: Cond | None = None
        step = 2
        value = arg(i + 1)
        if w in ("-p", "--protocol"):
            c = value.lower() in (proto, "all", "0", {"tcp": "6", "udp": "17"}.get(proto, ""))
        elif w in ("-i", "--in-interface"):
            if pkt.iif is not None:
                c = _iface_matches(value, pkt.iif)
            else:
                c = False if value == "lo" else _Maybe(SENDER, f"on {value}")
        elif w in ("-s", "--source", "--src"):
            c = _ipt_address(value, pkt.saddr, "from")
        elif w in ("-d", "--destination", "--dst"):
            c = _ipt_address(value, pkt.daddr, "to")
        elif w in ("--dport", "--destination-port", "--dports", "--destination-ports", "--sport", "--source-port",
                   "--sports", "--source-ports"):  # fmt: skip
            known = pkt.dport if "d" in w.lstrip("-")[:1] else pkt.sport
            if known is not None:
                hit = _in_ports(known, value)
                c = _Maybe(OPAQUE, f"ports {value}") if hit is None else hit
            else:
                c = _unknown_port(_port_values(value), "to" if w.startswith("--d") else "from")
        elif w == "--ports":
            c = _Maybe(OPAQUE, "ports of either side")
        elif w in ("--state", "--ctstate"):
            c = pkt.state.upper() in value.upper().split(",")
        elif w == "--dst-type":
            c = value.upper() in ("LOCAL", "UNICAST")
        elif w == "--src-type":
            c = value.upper() in (("UNICAST", "LOCAL") if pkt.loopback else ("UNICAST",))
        elif w == "--pkt-type":
            c = value.lower() in ("host", "unicast")
        elif w == "--syn":
            c, step = proto == "tcp" and pkt.syn, 1
        elif w == "--tcp-flags":
            mask = {f for f in value.upper().split(",") if f}
            comp = {f for f in arg(i + 2).upper().split(",") if f}
            if "ALL" in mask:
                mask = set(_TCP_FLAGS)
            if "NONE" in comp:
                comp = set()
            c, step = (({"SYN"} & mask) == comp) if pkt.syn else _Maybe(OPAQUE, "tcp flags"), 3
        elif w in ("--icmp-type", "--icmpv6-type"):
            c = False
        elif w in ("--rt-type", "--rt-segsleft", "--rt-len", "--fragid", "--fraglen"):
            c = False  # a routing header or a fragment: the first packet of a connection carries neither
        elif w in ("-f", "--fragment", "--fragres", "--fragfirst", "--fragmore", "--fraglast"):
            c, step = False, 1
        elif w in ("--update", "--rcheck"):
            c, step = False, 1  # "recent" matches repeat visitors, not a first connection
        elif w in ("--match-set",):
            c, step = _Maybe(SENDER, f"depending on the list “{value}”"), 3
        elif w in ("-j", "--jump", "-g", "--goto"):
            target = value
            goto = w in ("-g", "--goto")
        elif w in ("-m", "--match"):
            if value in ("policy", "mark", "connmark", "owner", "bpf", "u32", "string", "geoip", "time"):
                c = _Maybe(OPAQUE, f"a “{value}” match")
        elif w in ("-c", "--set-counters"):
            step = 3
        elif w.startswith("-"):
            # options of modules that do not change the answer for a new connection (comments, limits,
            # log prefixes, reject types, ...): skip the option and its value, if it has one
            step = 1 if (i + 1 >= n or value.startswith("-") or value == "!") else 2
        else:
            step = 1
        if c is not None:
            conds.append(_not(c) if negate else c)
        negate = False
        i += step
    return _and(conds), target, goto


# ---------------------------------------------------------------------------------------------------------------
# ufw: `ufw status verbose`, /etc/ufw/ufw.conf, /etc/default/ufw
# ---------------------------------------------------------------------------------------------------------------

UFW_CHECK = "sudo ufw status verbose"


def ufw_enabled(conf: str) -> bool | None:
    """``/etc/ufw/ufw.conf``: ``ENABLED=yes``."""
    m = re.search(r"^[ \t]*ENABLED[ \t]*=\s*\"?(\w+)", conf, re.MULTILINE)
    return None if m is None else m.group(1).lower() == "yes"


def ufw_default_input(defaults: str) -> str | None:
    """``/etc/default/ufw``: ``DEFAULT_INPUT_POLICY="DROP"`` -> "drop"."""
    m = re.search(r"^[ \t]*DEFAULT_INPUT_POLICY[ \t]*=\s*\"?(\w+)", defaults, re.MULTILINE)
    return None if m is None else m.group(1).lower()


def ufw_inbound(
    text: str, port: int, proto: str = "tcp", version: int = 4, *, packet: Packet | None = None
) -> FirewallAnswer:
    """Decide from ``ufw status verbose`` (or plain ``ufw status``, which lacks the default policy)."""
    status = re.search(r"^Status:\s*(\w+)", text, re.MULTILINE)
    if status is None:
        return FirewallAnswer(Inbound.UNKNOWN, "ufw", "loopgui could not read ufw's status.", UFW_CHECK)
    if status.group(1).lower() != "active":
        return FirewallAnswer(Inbound.ALLOWED, "ufw", "The firewall ufw is switched off.", UFW_CHECK)
    default = re.search(r"^Default:\s*(\w+)\s*\(incoming\)", text, re.MULTILINE)
    walk = _Walk()
    in_rules = False
    for line in text.splitlines():
        if re.match(r"^\s*--\s+-+", line):
            in_rules = True
            continue
        if not in_rules or not line.strip():
            continue
        entry = re.sub(r"^\[\s*\d+\]\s*", "", line.strip())  # "ufw status numbered": "[ 1] 22/tcp ..."
        hash_at = entry.find(" #")
        if hash_at >= 0:
            entry = entry[:hash_at].rstrip()  # a rule's comment
        cols = re.split(r"\s{2,}", entry)
        if len(cols) < 3:
            continue
        to, action, frm = cols[0], cols[1].upper(), cols[2]
        if action.endswith(("OUT", "FWD")):
            continue
        v6 = "(v6)" in to or "(v6)" in frm
        if v6 != (version == 6):
            continue
        cond = _ufw_to(to, port, proto, packet.iif if packet else None)
        if not re.match(r"^Anywhere(\s|$)", frm):
            cond = _and((cond, _Maybe(SENDER, f"from {frm.replace(' (v6)', '')}")))
        if cond is False:
            continue
        verdict = ACCEPT if action.startswith(("ALLOW", "LIMIT")) else DROP
        text_rule = f"{to}  {action}  {frm}"
        if cond is True:
            return _conclude(verdict, walk, "ufw", text_rule, UFW_CHECK, port, proto, "The firewall ufw")
        walk.maybe(verdict, cond, text_rule)
    if default is None:
        return FirewallAnswer(
            Inbound.UNKNOWN,
            "ufw",
            f"ufw is on and has no rule for port {port}/{proto}; its default for incoming connections was not shown.",
            UFW_CHECK,
        )
    final = ACCEPT if default.group(1).lower() == "allow" else DROP
    return _conclude(
        final, walk, "ufw", f"Default: {default.group(1)} (incoming)", UFW_CHECK, port, proto, "The firewall ufw"
    )


def _ufw_to(to: str, port: int, proto: str, iif: str | None = None) -> Cond:
    """The "To" column: ``22/tcp``, ``80,443/tcp``, ``8000:8100/udp``, ``Anywhere``, ``22 on eth0``, an address
    and port, or an application profile such as ``OpenSSH`` (verbose shows its ports: ``22/tcp (OpenSSH)``)."""
    words = to.replace("(v6)", "").strip()
    iface: _Maybe | None = None
    m = re.search(r"\son\s+(\S+)$", words)
    if m:
        if iif is not None and not _iface_matches(m.group(1), iif):
            return False
        iface = None if iif is not None else _Maybe(SENDER, f"on {m.group(1)}")
        words = words[: m.start()].strip()
    words = re.sub(r"\s*\([^)]*\)\s*$", "", words).strip()  # "(OpenSSH)" after the ports
    parts = words.split()
    conds: list[Cond] = [iface] if iface else []
    spec = ""
    for part in parts:
        if part == "Anywhere":
            continue
        pm = re.fullmatch(r"([\d,:]+)(?:/(tcp|udp))?", part)
        if pm:
            spec = part
            if pm.group(2) and pm.group(2) != proto:
                return False
            hit = _in_ports(port, pm.group(1))
            conds.append(_Maybe(OPAQUE, part) if hit is None else hit)
        elif re.fullmatch(r"[0-9a-fA-F.:/]+", part):
            conds.append(True if _is_any_address(part) else _Maybe(SENDER, f"to {part}"))
        else:
            return _Maybe(OPAQUE, f"the application profile “{words}”")
    if not spec and not parts:
        return _and(conds)
    return _and(conds)


# ---------------------------------------------------------------------------------------------------------------
# firewalld: `firewall-cmd --state`, `firewall-cmd --list-all`
# ---------------------------------------------------------------------------------------------------------------

FIREWALLD_CHECK = "firewall-cmd --list-all"
# Ports of firewalld's most common predefined services (its /usr/lib/firewalld/services/*.xml).
FIREWALLD_SERVICES: dict[str, tuple[tuple[str, str], ...]] = {
    "ssh": (("22", "tcp"),),
    "http": (("80", "tcp"),),
    "https": (("443", "tcp"),),
    "dhcpv6-client": (("546", "udp"),),
    "dhcp": (("67", "udp"),),
    "mdns": (("5353", "udp"),),
    "cockpit": (("9090", "tcp"),),
    "dns": (("53", "tcp"), ("53", "udp")),
    "samba-client": (("137", "udp"), ("138", "udp")),
    "samba": (("139", "tcp"), ("445", "tcp"), ("137", "udp"), ("138", "udp")),
    "nfs": (("2049", "tcp"),),
    "ipp-client": (("631", "udp"),),
    "ipp": (("631", "tcp"), ("631", "udp")),
    "mysql": (("3306", "tcp"),),
    "postgresql": (("5432", "tcp"),),
    "rdp": (("3389", "tcp"),),
    "vnc-server": (("5900-5903", "tcp"),),
    "kdeconnect": (("1714-1764", "tcp"), ("1714-1764", "udp")),
}


def firewalld_running(state: str) -> bool | None:
    s = state.strip().lower()
    if s == "running":
        return True
    if s == "not running":
        return False
    return None


def firewalld_inbound(text: str, port: int, proto: str = "tcp", version: int = 4) -> FirewallAnswer:
    """Decide from ``firewall-cmd --list-all`` (the default zone)."""
    del version  # zones hold both IP versions
    fields: dict[str, str] = {}
    rich: list[str] = []
    zone = ""
    in_rich = False
    for line in text.splitlines():
        if not line.strip():
            continue
        if not zone and not fields and ":" not in line:
            zone = line.strip()  # "public (active)", "  home (active)"
            continue
        m = re.match(r"^\s*([a-z][a-z0-9 -]*):\s*(.*)$", line)
        if m and not (in_rich and line.startswith(("\trule", "\t\trule", "        rule"))):
            key = m.group(1).strip()
            fields[key] = m.group(2).strip()
            in_rich = key == "rich rules"
            continue
        if in_rich:
            rich.append(line.strip())
    if "target" not in fields and "ports" not in fields and "services" not in fields:
        return FirewallAnswer(
            Inbound.UNKNOWN, "firewalld", "loopgui could not read firewalld's settings.", FIREWALLD_CHECK
        )
    zone_name = zone.split()[0] if zone else "default"
    where = f"zone “{zone_name}”"
    if fields.get("interfaces"):
        where += f" (network connections {fields['interfaces']})"
    details = [f"{zone}: target {fields.get('target', 'default')}"]
    for spec in fields.get("ports", "").split():
        m = re.fullmatch(r"(\d+(?:-\d+)?)/(\w+)", spec)
        if m and m.group(2) == proto and _in_ports(port, m.group(1)):
            return FirewallAnswer(
                Inbound.ALLOWED,
                "firewalld",
                f"firewalld lets port {port}/{proto} in ({where}).",
                FIREWALLD_CHECK,
                (*details, f"ports: {spec}"),
            )
    unknown_services = []
    for service in fields.get("services", "").split():
        known = FIREWALLD_SERVICES.get(service)
        if known is None:
            unknown_services.append(service)
            continue
        for ports, p in known:
            if p == proto and _in_ports(port, ports):
                return FirewallAnswer(
                    Inbound.ALLOWED,
                    "firewalld",
                    f"firewalld lets port {port}/{proto} in as the service “{service}” ({where}).",
                    FIREWALLD_CHECK,
                    (*details, f"services: {service}"),
                )
    target = fields.get("target", "default").upper()
    if target == "ACCEPT":
        return FirewallAnswer(
            Inbound.ALLOWED,
            "firewalld",
            f"firewalld lets every connection in ({where}).",
            FIREWALLD_CHECK,
            tuple(details),
        )
    if any(f'port="{port}"' in r or f"port={port}" in r for r in rich):
        return FirewallAnswer(
            Inbound.LIMITED,
            "firewalld",
            f"firewalld has a special rule for port {port} ({where}).",
            FIREWALLD_CHECK,
            (*details, *rich[:3]),
        )
    if unknown_services:
        names = ", ".join(unknown_services[:4])
        return FirewallAnswer(
            Inbound.UNKNOWN,
            "firewalld",
            f"firewalld blocks what it does not allow, and allows services loopgui does not know ({names}).",
            f"firewall-cmd --info-service={unknown_services[0]}",
            tuple(details),
        )
    return FirewallAnswer(
        Inbound.BLOCKED,
        "firewalld",
        f"firewalld blocks port {port}/{proto}: no rule allows it ({where}).",
        FIREWALLD_CHECK,
        tuple(details),
    )


# ---------------------------------------------------------------------------------------------------------------
# Windows Defender Firewall: `netsh advfirewall show currentprofile`, `… firewall show rule name=all dir=in verbose`
# ---------------------------------------------------------------------------------------------------------------

WINDOWS_CHECK = "Windows Security → Firewall & network protection (or: netsh advfirewall show currentprofile)"


@dataclass(frozen=True, slots=True)
class WindowsProfile:
    name: str  # Domain, Private, Public
    on: bool
    inbound: str  # "blockinbound", "blockinboundalways", "allowinbound", "notconfigured"


def netsh_profiles(text: str) -> tuple[WindowsProfile, ...]:
    """``netsh advfirewall show currentprofile`` / ``show allprofiles`` (English Windows)."""
    out: list[WindowsProfile] = []
    name = ""
    state: bool | None = None
    policy = ""
    for line in [*text.splitlines(), "End Profile Settings:"]:
        m = re.match(r"^\s*(\w+) Profile Settings:", line)
        if m:
            if name and state is not None:
                out.append(WindowsProfile(name, state, policy))
            name, state, policy = m.group(1), None, ""
            continue
        m = re.match(r"^\s*State\s+(ON|OFF)\s*$", line, re.IGNORECASE)
        if m:
            state = m.group(1).upper() == "ON"
            continue
        m = re.match(r"^\s*Firewall Policy\s+(\w+)", line, re.IGNORECASE)
        if m:
            policy = m.group(1).lower()
    return tuple(out)


def netsh_inbound(
    profiles_text: str, rules_text: str, port: int, proto: str = "tcp", program: str = ""
) -> FirewallAnswer:
    """Decide from the active profile(s) and the inbound rules (block rules win over allow rules)."""
    source = "Windows Defender Firewall"
    profiles = netsh_profiles(profiles_text)
    if not profiles:
        return FirewallAnswer(Inbound.UNKNOWN, source, "loopgui could not read the firewall's state.", WINDOWS_CHECK)
    active = [p for p in profiles if p.on]
    if not active:
        return FirewallAnswer(Inbound.ALLOWED, source, f"{source} is switched off.", WINDOWS_CHECK)
    if any(p.inbound == "blockinboundalways" for p in active):
        return FirewallAnswer(
            Inbound.BLOCKED, source, f"{source} blocks all incoming connections (“Block all”).", WINDOWS_CHECK
        )
    if all(p.inbound == "allowinbound" for p in active):
        return FirewallAnswer(Inbound.ALLOWED, source, f"{source} lets all incoming connections in.", WINDOWS_CHECK)
    names = {p.name.lower() for p in active}
    allow: list[tuple[Cond, str]] = []
    block: list[tuple[Cond, str]] = []
    read_any = False
    for block_text in re.split(r"\n\s*\n", rules_text):
        rule = _netsh_fields(block_text)
        if "rule name" not in rule:
            continue
        read_any = True
        if rule.get("enabled", "").lower() != "yes" or rule.get("direction", "in").lower() != "in":
            continue
        profs = {p.strip().lower() for p in rule.get("profiles", "any").split(",")}
        if "any" not in profs and not (profs & names):
            continue
        rproto = rule.get("protocol", "any").lower()
        if rproto not in ("any", proto):
            continue
        lport = rule.get("localport", "any")
        c: Cond = True
        if lport.lower() != "any":
            hit = _in_ports(port, lport)
            c = _Maybe(OPAQUE, f"ports {lport}") if hit is None else hit
        prog = rule.get("program", "")
        if prog and prog.lower() != "any":
            c = _and((c, prog.lower() == program.lower() if program else _Maybe(OPAQUE, f"a rule for {prog}")))
        remote = rule.get("remoteip", "any")
        if remote.lower() != "any":
            c = _and((c, _Maybe(SENDER, f"from {remote}")))
        if c is False:
            continue
        label = f"{rule['rule name']}: {rule.get('action', '')} {rproto} {lport}"
        (allow if rule.get("action", "").lower() == "allow" else block).append((c, label))
    if not read_any:
        return FirewallAnswer(
            Inbound.UNKNOWN,
            source,
            f"{source} is on and blocks what no rule allows; loopgui could not read its rules.",
            WINDOWS_CHECK,
        )
    sure_block = [label for c, label in block if c is True]
    if sure_block:
        return FirewallAnswer(
            Inbound.BLOCKED,
            source,
            f"{source} has a rule that blocks port {port}.",
            WINDOWS_CHECK,
            tuple(sure_block[:3]),
        )
    sure_allow = [label for c, label in allow if c is True]
    maybe = [(c, label) for c, label in allow + block if isinstance(c, _Maybe)]
    walk = _Walk()
    for c, label in maybe:
        assert isinstance(c, _Maybe)
        walk.maybe(ACCEPT if (c, label) in allow else DROP, c, label)
    final = ACCEPT if sure_allow else DROP
    decided = sure_allow[0] if sure_allow else "no rule allows it (Firewall Policy BlockInbound)"
    return _conclude(final, walk, source, decided, WINDOWS_CHECK, port, proto)


def _netsh_fields(block: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in block.splitlines():
        key, colon, value = line.partition(":")
        if colon and re.fullmatch(r"[A-Za-z][A-Za-z ]{0,40}", key.strip()) and value[:1].isspace():
            fields.setdefault(key.strip().lower(), value.strip())
    return fields


# ---------------------------------------------------------------------------------------------------------------
# macOS: application firewall and pf
# ---------------------------------------------------------------------------------------------------------------

MACOS_CHECK = "System Settings → Network → Firewall (Options… lists the programs it lets in)"


def socketfilterfw_state(text: str) -> int | None:
    """``socketfilterfw --getglobalstate``: "Firewall is enabled. (State = 1)" -> 1 (0 off, 2 block all)."""
    m = re.search(r"State\s*=\s*(\d)", text)
    if m:
        return int(m.group(1))
    if re.search(r"firewall is disabled", text, re.IGNORECASE):
        return 0
    return None


def macos_app_firewall(text: str) -> FirewallAnswer:
    source = "the macOS application firewall"
    state = socketfilterfw_state(text)
    if state is None:
        return FirewallAnswer(
            Inbound.UNKNOWN, "macOS firewall", "loopgui could not read the firewall's state.", MACOS_CHECK
        )
    if state == 0:
        return FirewallAnswer(Inbound.ALLOWED, "macOS firewall", "The macOS firewall is switched off.", MACOS_CHECK)
    if state >= 2:
        return FirewallAnswer(
            Inbound.BLOCKED, "macOS firewall", "The macOS firewall blocks all incoming connections.", MACOS_CHECK
        )
    return FirewallAnswer(
        Inbound.UNKNOWN,
        "macOS firewall",
        f"{source[0].upper()}{source[1:]} is on: it lets in only programs you allowed (it asks the first time).",
        MACOS_CHECK,
    )


PF_CHECK = "sudo pfctl -sr"


def pf_inbound(text: str, port: int, proto: str = "tcp", version: int = 4) -> FirewallAnswer:
    """Decide from ``pfctl -sr``: the last matching rule wins, unless a ``quick`` rule matched first."""
    walk = _Walk()
    final = ACCEPT
    decided = "no rule matches (pf lets it in)"
    read_any = False
    for raw in text.splitlines():
        line = raw.strip()
        m = re.match(r"^(pass|block)\b(.*)$", line)
        if not m:
            continue
        read_any = True
        action = ACCEPT if m.group(1) == "pass" else DROP
        cond = _pf_rule(m.group(2), port, proto, version)
        if cond is False:
            continue
        quick = re.search(r"\bquick\b", m.group(2)) is not None
        if cond is True:
            final, decided = action, line
            walk.maybes.clear()  # a later certain match overrides earlier ones
            if quick:
                break
        else:
            walk.maybe(action, cond, line)
    if not read_any:
        return FirewallAnswer(Inbound.ALLOWED, "pf", "The packet filter (pf) has no filter rules.", PF_CHECK)
    return _conclude(final, walk, "pf", decided, PF_CHECK, port, proto, "The packet filter (pf)")


def _pf_rule(rest: str, port: int, proto: str, version: int) -> Cond:
    words = rest.replace("{", " { ").replace("}", " } ").split()
    conds: list[Cond] = []
    if "out" in words[:4]:
        return False
    if "on" in words:
        iface = words[words.index("on") + 1] if words.index("on") + 1 < len(words) else ""
        if iface.startswith("lo"):
            return False
        conds.append(_Maybe(SENDER, f"on {iface}"))
    if ("inet" in words and version == 6) or ("inet6" in words and version == 4):
        return False
    if "proto" in words:
        k = words.index("proto") + 1
        protos = _pf_list(words, k)
        conds.append(proto in protos)
    for side in ("from", "to"):
        if side in words:
            k = words.index(side) + 1
            host = words[k] if k < len(words) else "any"
            if host not in ("any", "(self)", "self") and not host.startswith("port"):
                conds.append(_Maybe(SENDER, f"{side} {host}"))
    if "to" in words:
        after = words[words.index("to") :]
        if "port" in after:
            k = after.index("port") + 1
            if k < len(after) and after[k] == "=":
                k += 1
            values = _pf_list(after, k)
            hit: Cond = False
            for v in values:
                r = _in_ports(port, v)
                if r is None:
                    hit = _Maybe(OPAQUE, f"port {v}")
                elif r:
                    hit = True
                    break
            conds.append(hit)
    return _and(conds)


def _pf_list(words: list[str], k: int) -> list[str]:
    if k < len(words) and words[k] == "{":
        out = []
        for w in words[k + 1 :]:
            if w == "}":
                break
            out.append(w.strip(","))
        return out
    return [words[k]] if k < len(words) else []


# ---------------------------------------------------------------------------------------------------------------
# Reading this computer's firewall
# ---------------------------------------------------------------------------------------------------------------

Runner = Callable[[Sequence[str]], "tuple[int, str] | None"]
FileReader = Callable[[str], "str | None"]
Finder = Callable[[str], "str | None"]

MAX_OUTPUT = 4_000_000  # bytes of one command's output; more is not a ruleset loopgui reads
# Folders a command is looked for in, in order: never the PATH (anyone may put a folder into it).
COMMAND_FOLDERS = ("/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin")


def find_command(name: str, folders: Sequence[str] = COMMAND_FOLDERS) -> str | None:
    """The absolute path of a system command in the fixed folders (never looked up in PATH); None when absent."""
    if sys.platform == "win32":
        root = os.environ.get("SYSTEMROOT", r"C:\Windows")
        path = os.path.join(root, "System32", name + ".exe")
        return path if os.path.isfile(path) else None
    for folder in folders:
        path = os.path.join(folder, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the command and everything it started (its own process group), then reap it."""
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.SubprocessError, OSError):
        proc.wait(timeout=1.0)


def run_fixed(
    args: Sequence[str], *, timeout: float = COMMAND_TIMEOUT, cap: int = MAX_OUTPUT
) -> tuple[int, str] | None:
    """Run a fixed command given by absolute path (no shell, no user text): (exit code, output) or None.

    The output is read while it streams and the command is stopped once it wrote more than ``cap`` bytes; on
    ``timeout`` its whole process group is killed (a child it started cannot keep running or hold the pipe).
    """
    if not args or not os.path.isabs(args[0]):
        log.debug("refusing to run %r: not an absolute path", args[:1])
        return None
    env = {"LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    if sys.platform == "win32":
        env = dict(os.environ)
    try:
        proc = subprocess.Popen(
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=sys.platform != "win32",
        )
    except OSError as exc:
        log.debug("could not run %s: %s", args[0], exc)
        return None
    assert proc.stdout is not None
    chunks: list[bytes] = []
    state = {"size": 0, "over": False}
    stream = proc.stdout

    def read() -> None:
        while True:
            try:
                data = stream.read1(65536)  # type: ignore[attr-defined]
            except (OSError, ValueError):
                return
            if not data:
                return
            state["size"] += len(data)
            if state["size"] > cap:
                state["over"] = True
                _kill_group(proc)
                return
            chunks.append(data)

    reader = threading.Thread(target=read, name="loopgui-firewall-read", daemon=True)
    start = time.monotonic()
    reader.start()
    reader.join(timeout)
    try:
        if reader.is_alive() or state["over"]:
            log.info("stopped %s: %s", args[0], "too much output" if state["over"] else "no end in time")
            _kill_group(proc)
            reader.join(1.0)
            return None
        try:
            code = proc.wait(timeout=max(0.05, timeout - (time.monotonic() - start)))
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return None
    finally:
        with contextlib.suppress(OSError):
            stream.close()
    return code, b"".join(chunks).decode("utf-8", errors="replace")


def read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(200_000)
    except OSError:
        return None


class _Budget:
    """A runner that starts no command once the time is used up (it answers "could not run" instead)."""

    def __init__(self, run: Runner, seconds: float) -> None:
        self._run = run
        self._end = time.monotonic() + seconds

    def __call__(self, args: Sequence[str]) -> tuple[int, str] | None:
        if time.monotonic() >= self._end:
            log.info("no time left to run %s", args[0])
            return None
        return self._run(args)


def combine(answers: Sequence[FirewallAnswer]) -> FirewallAnswer:
    """A connection must pass every firewall: blocked beats limited beats unknown beats allowed."""
    order = (Inbound.BLOCKED, Inbound.LIMITED, Inbound.UNKNOWN, Inbound.ALLOWED)
    for level in order:
        for a in answers:
            if a.inbound == level:
                return a
    return FirewallAnswer(Inbound.UNKNOWN, "", "loopgui could not read this computer's firewall.")


class ReaderStatus(str, enum.Enum):
    READ = "read"
    MISSING = "missing"  # the command is not installed
    FAILED = "failed"  # it ran but failed (usually: administrator rights needed)
    NOT_RUN = "not_run"  # no time left, or it could not be started
    EMPTY = "empty"  # it ran and this firewall has no tables


@dataclass(frozen=True, slots=True)
class ReaderResult:
    """One reader's raw output: which command, how it went, what it printed."""

    name: str  # "nft", "iptables-legacy-save", "ip6tables-nft-save", "ufw", "firewall-cmd", ...
    command: str  # the absolute path run ("" when missing)
    status: ReaderStatus
    output: str = ""
    code: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {"reader": self.name, "command": self.command or None, "status": self.status.value, "exit": self.code}


@dataclass(frozen=True, slots=True)
class Rulesets:
    """Everything the Linux readers returned, read once; :meth:`answer` decides for any packet from it."""

    readers: tuple[ReaderResult, ...]
    files: Mapping[str, str | None] = field(default_factory=dict)
    # answers that did not depend on the network connection or the destination address, by the rest of the packet
    memo: dict[tuple[object, ...], FirewallAnswer] = field(default_factory=dict, compare=False, repr=False)

    def get(self, name: str) -> ReaderResult | None:
        return next((r for r in self.readers if r.name == name), None)

    def text(self, name: str) -> str | None:
        r = self.get(name)
        return r.output if r is not None and r.status == ReaderStatus.READ else None

    @property
    def kernel_read(self) -> bool:
        names = ("nft", *(f"{f}-{v}-save" for f in ("iptables", "ip6tables") for v in ("legacy", "nft")))
        return any(self.text(n) is not None for n in (*names, "iptables-save", "ip6tables-save"))

    def answer(self, packet: Packet) -> FirewallAnswer:
        key = (packet.version, packet.proto, packet.dport, packet.saddr, packet.sport, packet.state, packet.syn)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        tracked = _Tracked(packet)
        answer = _linux_answer(self, tracked)  # type: ignore[arg-type]
        if not tracked.used:  # no rule looked at where it arrives: the same for every way in
            self.memo[key] = answer
        return answer


class _Tracked:
    """A packet that notes whether a rule looked at where it arrives (network connection, destination)."""

    __slots__ = ("_packet", "used")

    def __init__(self, packet: Packet) -> None:
        self._packet = packet
        self.used = False

    def __getattr__(self, name: str) -> Any:
        if name in ("iif", "daddr", "loopback"):
            self.used = True
        return getattr(self._packet, name)


def _reader(name: str, args: Sequence[str], run: Runner, which: Finder) -> ReaderResult:
    path = which(name)
    if path is None:
        return ReaderResult(name, "", ReaderStatus.MISSING)
    done = run([path, *args])
    if done is None:
        return ReaderResult(name, path, ReaderStatus.NOT_RUN)
    if done[0] != 0:
        return ReaderResult(name, path, ReaderStatus.FAILED, code=done[0])
    return ReaderResult(name, path, ReaderStatus.READ, done[1], 0)


_IPT_SAVES = tuple(f"{fam}-{variant}-save" for fam in ("iptables", "ip6tables") for variant in ("legacy", "nft"))


def read_rulesets(
    versions: Sequence[int] = (4, 6),
    *,
    run: Runner = run_fixed,
    read: FileReader = read_text,
    which: Finder = find_command,
    budget: float = TOTAL_BUDGET,
) -> Rulesets:
    """Run the Linux firewall readers once: nft, iptables-legacy-save and iptables-nft-save (both IP versions;
    plain iptables-save where neither variant is installed), and ufw / firewalld for their own view."""
    run = _Budget(run, budget)
    out = [_reader("nft", ("-j", "list", "ruleset"), run, which)]
    for fam, v in (("iptables", 4), ("ip6tables", 6)):
        if v not in versions:
            continue
        found = False
        for variant in ("legacy", "nft"):
            r = _reader(f"{fam}-{variant}-save", (), run, which)
            found = found or r.status != ReaderStatus.MISSING
            out.append(r)
        if not found:
            out.append(_reader(f"{fam}-save", (), run, which))
    kernel = any(r.status == ReaderStatus.READ for r in out)
    if not kernel:  # ufw and firewalld only say something the kernel's rules did not
        out.append(_reader("ufw", ("status", "verbose"), run, which))
        state = _reader("firewall-cmd", ("--state",), run, which)
        out.append(state)
        if state.status == ReaderStatus.READ and firewalld_running(state.output):
            listed = _reader("firewall-cmd", ("--list-all",), run, which)
            out.append(ReaderResult("firewall-cmd --list-all", listed.command, listed.status, listed.output))
    files = {path: read(path) for path in ("/etc/ufw/ufw.conf", "/etc/default/ufw")}
    return Rulesets(tuple(out), files)


_XTABLES = ("filter", "raw", "mangle", "nat", "security")


def _linux_answer(rs: Rulesets, pkt: Packet) -> FirewallAnswer:
    answers: list[FirewallAnswer] = []
    fam = "iptables" if pkt.version == 4 else "ip6tables"
    port = pkt.dport if pkt.dport is not None else 0
    skip: list[tuple[str, str]] = []
    nft_variant = rs.text(f"{fam}-nft-save")
    if nft_variant is not None and "incompatible" not in nft_variant:
        # iptables-nft keeps its rules in nftables tables: read them once, through iptables-nft-save
        skip = [("ip" if pkt.version == 4 else "ip6", t) for t in _XTABLES]
    nft = rs.text("nft")
    if nft is not None and nft.strip():
        answers.append(nft_inbound(nft, port, pkt.proto, pkt.version, packet=pkt, skip_tables=skip))
    for name, source in ((f"{fam}-legacy-save", f"{fam} (legacy)"), (f"{fam}-nft-save", fam), (f"{fam}-save", fam)):
        text = rs.text(name)
        if text is not None and iptables_tables(text):
            answers.append(iptables_inbound(text, port, pkt.proto, pkt.version, packet=pkt, source=source))
    if rs.kernel_read:
        if not answers:  # every reader ran and found no tables at all
            return FirewallAnswer(
                Inbound.ALLOWED, "nftables", "The firewall has no rules for incoming connections.", NFT_CHECK
            )
        return _mention_ufw(combine(answers), rs)
    return _without_kernel(rs, pkt, port)


def _mention_ufw(answer: FirewallAnswer, rs: Rulesets) -> FirewallAnswer:
    """ufw and firewalld write their rules into the kernel's tables: point at their own command to look."""
    conf = rs.files.get("/etc/ufw/ufw.conf")
    if conf is not None and ufw_enabled(conf) and answer.inbound != Inbound.ALLOWED:
        return dataclasses.replace(answer, how_to_check=UFW_CHECK)
    return answer


def _without_kernel(rs: Rulesets, pkt: Packet, port: int) -> FirewallAnswer:
    answers: list[FirewallAnswer] = []
    ufw = rs.text("ufw")
    if ufw is not None and "Status:" in ufw:
        answers.append(ufw_inbound(ufw, port, pkt.proto, pkt.version, packet=pkt))
    else:
        conf = rs.files.get("/etc/ufw/ufw.conf")
        if conf is not None and ufw_enabled(conf):
            policy = ufw_default_input(rs.files.get("/etc/default/ufw") or "")
            if policy == "accept":
                answers.append(
                    FirewallAnswer(Inbound.ALLOWED, "ufw", "ufw is on and lets incoming connections in.", UFW_CHECK)
                )
            else:
                answers.append(
                    FirewallAnswer(
                        Inbound.UNKNOWN,
                        "ufw",
                        "The firewall ufw is on and blocks incoming connections unless a rule allows them; "
                        "reading its rules needs administrator rights.",
                        UFW_CHECK,
                    )
                )
    state = rs.get("firewall-cmd")
    if state is not None and state.status == ReaderStatus.READ and firewalld_running(state.output):
        listed = rs.text("firewall-cmd --list-all")
        if listed is not None:
            answers.append(firewalld_inbound(listed, port, pkt.proto))
        else:
            answers.append(
                FirewallAnswer(
                    Inbound.UNKNOWN,
                    "firewalld",
                    "The firewall firewalld is running; loopgui could not read its rules.",
                    FIREWALLD_CHECK,
                )
            )
    if not answers:
        return FirewallAnswer(
            Inbound.UNKNOWN,
            "",
            "Neither ufw nor firewalld is switched on, but reading the system's own firewall rules needs "
            "administrator rights.",
            NFT_CHECK,
        )
    if all(a.inbound == Inbound.ALLOWED for a in answers):
        return FirewallAnswer(
            Inbound.UNKNOWN,
            answers[0].source,
            answers[0].reason + " Other firewall rules could not be read without administrator rights.",
            NFT_CHECK,
        )
    return combine(answers)


def read_firewall(
    port: int,
    proto: str = "tcp",
    versions: Sequence[int] = (4,),
    *,
    program: str = "",
    platform: str = sys.platform,
    run: Runner = run_fixed,
    read: FileReader = read_text,
    which: Finder = find_command,
    budget: float = TOTAL_BUDGET,
) -> FirewallAnswer:
    """What this computer's firewall says about new connections from other computers to ``port``.

    Commands start only while ``budget`` seconds are left (each has its own time limit too), so one answer
    never takes much longer than that; what could not be run in time counts as unreadable.
    """
    proto = proto.lower()
    if platform.startswith("linux"):
        rs = read_rulesets(versions, run=run, read=read, which=which, budget=budget)
        return combine([rs.answer(new_connection(port, proto, v)) for v in versions])
    budgeted = _Budget(run, budget)
    if platform == "win32":
        netsh = which("netsh")
        if netsh is None:
            return FirewallAnswer(
                Inbound.UNKNOWN, "Windows Defender Firewall", "loopgui could not read the firewall.", WINDOWS_CHECK
            )
        profiles = budgeted([netsh, "advfirewall", "show", "currentprofile"])
        if profiles is None or profiles[0] != 0:
            return FirewallAnswer(
                Inbound.UNKNOWN, "Windows Defender Firewall", "loopgui could not read the firewall.", WINDOWS_CHECK
            )
        rules = budgeted([netsh, "advfirewall", "firewall", "show", "rule", "name=all", "dir=in", "verbose"])
        return netsh_inbound(profiles[1], rules[1] if rules and rules[0] == 0 else "", port, proto, program)
    if platform == "darwin":
        app = budgeted(["/usr/libexec/ApplicationFirewall/socketfilterfw", "--getglobalstate"])
        answers = [macos_app_firewall(app[1] if app else "")]
        pfctl = which("pfctl")
        pf = budgeted([pfctl, "-sr"]) if pfctl else None
        if pf is not None and pf[0] == 0:
            answers += [pf_inbound(pf[1], port, proto, v) for v in versions]
        return combine(answers)
    return FirewallAnswer(Inbound.UNKNOWN, "", "loopgui cannot read the firewall on this system.")


class CachedFirewall:
    """``read_firewall`` with answers kept for a few seconds: the Explanation refreshes often."""

    def __init__(self, ttl: float = 15.0, reader: Callable[..., FirewallAnswer] = read_firewall) -> None:
        self._ttl = ttl
        self._reader = reader
        self._cache: dict[tuple[object, ...], tuple[float, FirewallAnswer]] = {}

    def __call__(
        self, port: int, proto: str = "tcp", versions: Sequence[int] = (4,), program: str = ""
    ) -> FirewallAnswer:
        key = (port, proto, tuple(versions), program)
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        answer = self._reader(port, proto, versions, program=program)
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[key] = (now, answer)
        return answer
