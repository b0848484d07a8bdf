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
import enum
import functools
import json
import logging
import re
import shlex
import subprocess
import sys
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
class FirewallAnswer:
    inbound: Inbound
    source: str  # which firewall said so ("nftables", "ufw", "Windows Defender Firewall", …); "" when none
    reason: str  # plain words
    how_to_check: str = ""  # a command or a place in the settings where a person can look
    details: tuple[str, ...] = ()  # the rules that decided, technical

    def as_dict(self) -> dict[str, object]:
        return {
            "inbound": self.inbound.value,
            "source": self.source or None,
            "reason": self.reason,
            "how_to_check": self.how_to_check or None,
            "details": list(self.details),
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


def nft_inbound(text: str, port: int, proto: str = "tcp", version: int = 4) -> FirewallAnswer:
    """Decide from ``nft -j list ruleset`` output."""
    try:
        data = json.loads(text)
        items = data["nftables"]
        if not isinstance(items, list):
            raise TypeError("not a list")
    except (ValueError, TypeError, KeyError):
        return FirewallAnswer(Inbound.UNKNOWN, "nftables", "loopgui could not read the nftables rules.", NFT_CHECK)
    return _Nft(items, port, proto.lower(), version).answer()


class _Nft:
    def __init__(self, items: list[Any], port: int, proto: str, version: int) -> None:
        self.port = port
        self.proto = proto
        self.version = version
        families = _NFT_FAMILIES.get(version, ("inet",))
        self.chains: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.rules: dict[tuple[str, str, str], list[list[Any]]] = {}
        self.sets: dict[tuple[str, str, str], list[Any]] = {}
        for item in items:
            if not isinstance(item, dict):
                continue
            if "chain" in item and isinstance(item["chain"], dict):
                c = item["chain"]
                if c.get("family") in families:
                    key = (str(c.get("family")), str(c.get("table")), str(c.get("name")))
                    self.chains[key] = c
                    self.rules.setdefault(key, [])
            elif "rule" in item and isinstance(item["rule"], dict):
                r = item["rule"]
                if r.get("family") in families and isinstance(r.get("expr"), list):
                    key = (str(r.get("family")), str(r.get("table")), str(r.get("chain")))
                    self.rules.setdefault(key, []).append(r["expr"])
            else:
                for kind in ("set", "map"):
                    s = item.get(kind)
                    if isinstance(s, dict) and s.get("family") in families:
                        elem = s.get("elem")
                        self.sets[(str(s.get("family")), str(s.get("table")), str(s.get("name")))] = (
                            elem if isinstance(elem, list) else []
                        )

    def answer(self) -> FirewallAnswer:
        base = [
            (k, c) for k, c in self.chains.items() if c.get("hook") == "input" and c.get("type", "filter") == "filter"
        ]
        base.sort(key=lambda kc: _prio(kc[1].get("prio")))
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
        if walk.saw_xt:
            return FirewallAnswer(
                answer.inbound, "nftables", answer.reason, answer.how_to_check, (*answer.details, "xt")
            )
        return FirewallAnswer(answer.inbound, "nftables", answer.reason, answer.how_to_check, answer.details)

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
                    return outcome, text()
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
        if not isinstance(left, dict) or not left:
            return _Maybe(OPAQUE, "a rule loopgui cannot read")
        kind, what = next(iter(left.items()))
        if kind == "payload" and isinstance(what, dict):
            protocol = what.get("protocol")
            fld = what.get("field")
            if protocol in ("tcp", "udp", "th", "udplite", "sctp", "dccp"):
                if protocol not in ("th", self.proto):
                    return False
                if fld == "dport":
                    return self.values_contain(right, self.port)
                return _Maybe(OPAQUE, f"{protocol} {fld}")
            if protocol in ("ip", "ip6"):
                if (protocol == "ip") != (self.version == 4):
                    return False
                if fld == "saddr":
                    return self.address(right, "from")
                if fld == "daddr":
                    return self.address(right, "to")
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
                    return "loopback" not in names if names else False
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
                return "new" in names
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
                    return names == ["syn"]
            return _Maybe(OPAQUE, "tcp flags")
        if kind == "fib":
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

    def address(self, right: Any, direction: str) -> Cond:
        if isinstance(right, dict) and "prefix" in right:
            p = right["prefix"]
            text = f"{p.get('addr')}/{p.get('len')}" if isinstance(p, dict) else ""
        elif isinstance(right, str) and not right.startswith("@"):
            text = right
        else:
            return _Maybe(SENDER, f"{direction} some addresses")
        if direction == "from":
            return _source(text)
        if _is_any_address(text):
            return True
        return _Maybe(SENDER, f"{direction} {text}")


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


def iptables_inbound(text: str, port: int, proto: str = "tcp", version: int = 4) -> FirewallAnswer:
    """Decide from the filter table of ``iptables-save`` (or the lines of ``iptables -S``)."""
    check = IPTABLES_CHECK if version == 4 else IPTABLES_CHECK.replace("iptables", "ip6tables")
    source = "iptables" if version == 4 else "ip6tables"
    policies: dict[str, str] = {}
    rules: dict[str, list[list[str]]] = {}
    table = "filter"
    seen = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            table = line[1:].strip()
            continue
        if table != "filter" or line == "COMMIT":
            continue
        if line.startswith(":"):
            parts = line[1:].split()
            if len(parts) >= 2:
                policies[parts[0]] = parts[1]
                seen = True
            continue
        words = line.split()
        if '"' in line or "'" in line:  # comments: -m comment --comment "allow web"
            with contextlib.suppress(ValueError):
                words = shlex.split(line)
        if len(words) >= 3 and words[0] == "-P":
            policies[words[1]] = words[2]
            seen = True
        elif len(words) >= 2 and words[0] == "-A":
            rules.setdefault(words[1], []).append(words[2:])
            seen = True
        elif len(words) >= 2 and words[0] == "-N":
            rules.setdefault(words[1], [])
    if not seen:
        return FirewallAnswer(Inbound.UNKNOWN, source, f"loopgui could not read the {source} rules.", check)
    walk = _Walk()
    try:
        outcome, rule = _ipt_walk("INPUT", rules, port, proto.lower(), walk, certain=True, depth=0)
    except _TooComplex:
        return FirewallAnswer(Inbound.UNKNOWN, source, f"The {source} rules are too involved to follow.", check)
    if outcome is None:
        policy = policies.get("INPUT", "ACCEPT")
        outcome = DROP if policy in ("DROP", "REJECT") else ACCEPT
        rule = f"INPUT policy {policy}"
    if not rules.get("INPUT") and outcome == ACCEPT:
        return FirewallAnswer(
            Inbound.ALLOWED, source, f"The firewall ({source}) has no rules for incoming connections.", check
        )
    return _conclude(outcome, walk, source, rule, check, port, proto, f"The firewall ({source})")


def _ipt_walk(
    chain: str, rules: Mapping[str, list[list[str]]], port: int, proto: str, walk: _Walk, *, certain: bool, depth: int
) -> tuple[str | None, str]:
    if depth > MAX_DEPTH:
        raise _TooComplex
    for words in rules.get(chain, []):
        walk.step()
        cond, target, goto = _ipt_rule(words, port, proto)
        text = f"-A {chain} " + " ".join(words)
        if cond is False or not target:
            continue
        sure = certain and cond is True
        why = cond if isinstance(cond, _Maybe) else _Maybe(SENDER, "in some cases")
        if target in ("ACCEPT", "DROP", "REJECT"):
            outcome = ACCEPT if target == "ACCEPT" else DROP
            if sure:
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
            inner, rule = _ipt_walk(target, rules, port, proto, walk, certain=sure, depth=depth + 1)
            if inner is not None and sure:
                return inner, rule
            if inner is not None:
                walk.maybe(inner, why, rule)
            if goto and sure:
                return None, text
    return None, ""


_TCP_FLAGS = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"}


def _ipt_rule(words: Sequence[str], port: int, proto: str) -> tuple[Cond, str, bool]:
    """(does the rule match our new connection, its target, whether it is a goto)."""
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
            c = False if value == "lo" else _Maybe(SENDER, f"on {value}")
        elif w in ("-s", "--source", "--src"):
            c = _source(value)
        elif w in ("-d", "--destination", "--dst"):
            c = True if _is_any_address(value) else _Maybe(SENDER, f"to {value}")
        elif w in ("--dport", "--destination-port", "--dports", "--destination-ports"):
            hit = _in_ports(port, value)
            c = _Maybe(OPAQUE, f"ports {value}") if hit is None else hit
        elif w in ("--sport", "--source-port", "--sports", "--source-ports", "--ports"):
            c = _Maybe(OPAQUE, "the sender's port")
        elif w in ("--state", "--ctstate"):
            c = "NEW" in value.upper().split(",")
        elif w == "--dst-type":
            c = value.upper() in ("LOCAL", "UNICAST")
        elif w == "--src-type":
            c = value.upper() in ("UNICAST",)
        elif w == "--pkt-type":
            c = value.lower() in ("host", "unicast")
        elif w == "--syn":
            c, step = proto == "tcp", 1
        elif w == "--tcp-flags":
            mask = {f for f in value.upper().split(",") if f}
            comp = {f for f in arg(i + 2).upper().split(",") if f}
            if "ALL" in mask:
                mask = set(_TCP_FLAGS)
            if "NONE" in comp:
                comp = set()
            c, step = ({"SYN"} & mask) == comp, 3
        elif w in ("--icmp-type", "--icmpv6-type"):
            c = False
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


def ufw_inbound(text: str, port: int, proto: str = "tcp", version: int = 4) -> FirewallAnswer:
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
        cond = _ufw_to(to, port, proto)
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


def _ufw_to(to: str, port: int, proto: str) -> Cond:
    """The "To" column: ``22/tcp``, ``80,443/tcp``, ``8000:8100/udp``, ``Anywhere``, ``22 on eth0``, an address
    and port, or an application profile such as ``OpenSSH`` (verbose shows its ports: ``22/tcp (OpenSSH)``)."""
    words = to.replace("(v6)", "").strip()
    iface: _Maybe | None = None
    m = re.search(r"\son\s+(\S+)$", words)
    if m:
        iface = _Maybe(SENDER, f"on {m.group(1)}")
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


def run_fixed(args: Sequence[str]) -> tuple[int, str] | None:
    """Run a fixed command (no shell, no user text) for at most a few seconds: (exit code, output) or None."""
    try:
        done = subprocess.run(
            list(args), capture_output=True, text=True, errors="replace", timeout=COMMAND_TIMEOUT, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("could not run %s: %s", args[0], exc)
        return None
    return done.returncode, done.stdout[:2_000_000]


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


def read_firewall(
    port: int,
    proto: str = "tcp",
    versions: Sequence[int] = (4,),
    *,
    program: str = "",
    platform: str = sys.platform,
    run: Runner = run_fixed,
    read: FileReader = read_text,
    budget: float = TOTAL_BUDGET,
) -> FirewallAnswer:
    """What this computer's firewall says about new connections from other computers to ``port``.

    Commands start only while ``budget`` seconds are left (each has its own time limit too), so one answer
    never takes much longer than that; what could not be run in time counts as unreadable.
    """
    proto = proto.lower()
    run = _Budget(run, budget)
    if platform.startswith("linux"):
        return _linux(port, proto, versions, run, read)
    if platform == "win32":
        profiles = run(["netsh", "advfirewall", "show", "currentprofile"])
        if profiles is None or profiles[0] != 0:
            return FirewallAnswer(
                Inbound.UNKNOWN, "Windows Defender Firewall", "loopgui could not read the firewall.", WINDOWS_CHECK
            )
        rules = run(["netsh", "advfirewall", "firewall", "show", "rule", "name=all", "dir=in", "verbose"])
        return netsh_inbound(profiles[1], rules[1] if rules and rules[0] == 0 else "", port, proto, program)
    if platform == "darwin":
        app = run(["/usr/libexec/ApplicationFirewall/socketfilterfw", "--getglobalstate"])
        answers = [macos_app_firewall(app[1] if app else "")]
        pf = run(["pfctl", "-sr"])
        if pf is not None and pf[0] == 0:
            answers += [pf_inbound(pf[1], port, proto, v) for v in versions]
        return combine(answers)
    return FirewallAnswer(Inbound.UNKNOWN, "", "loopgui cannot read the firewall on this system.")


def _linux(port: int, proto: str, versions: Sequence[int], run: Runner, read: FileReader) -> FirewallAnswer:
    answers: list[FirewallAnswer] = []
    kernel_read = False
    nft = run(["nft", "-j", "list", "ruleset"])
    nft_answers: list[FirewallAnswer] = []
    if nft is not None and nft[0] == 0 and nft[1].strip():
        nft_answers = [nft_inbound(nft[1], port, proto, v) for v in versions]
        kernel_read = True
    ipt_answers: list[FirewallAnswer] = []
    for v in versions:
        cmd = "iptables-save" if v == 4 else "ip6tables-save"
        out = run([cmd])
        if out is not None and out[0] == 0 and "*filter" in out[1]:
            ipt_answers.append(iptables_inbound(out[1], port, proto, v))
    if ipt_answers:
        kernel_read = True
        # iptables-nft rules show in nftables as opaque "xt" statements: iptables-save reads them properly.
        nft_answers = [a for a in nft_answers if "xt" not in a.details]
    answers += nft_answers + ipt_answers
    ufw = run(["ufw", "status", "verbose"])
    if ufw is not None and ufw[0] == 0 and "Status:" in ufw[1]:
        answers += [ufw_inbound(ufw[1], port, proto, v) for v in versions]
    else:
        conf = read("/etc/ufw/ufw.conf")
        if conf is not None and ufw_enabled(conf):
            policy = ufw_default_input(read("/etc/default/ufw") or "")
            if policy == "accept":
                answers.append(
                    FirewallAnswer(Inbound.ALLOWED, "ufw", "ufw is on and lets incoming connections in.", UFW_CHECK)
                )
            elif not kernel_read:
                answers.append(
                    FirewallAnswer(
                        Inbound.UNKNOWN,
                        "ufw",
                        "The firewall ufw is on and blocks incoming connections unless a rule allows them; "
                        "reading its rules needs administrator rights.",
                        UFW_CHECK,
                    )
                )
    state = run(["firewall-cmd", "--state"])
    if state is not None and firewalld_running(state[1]):
        listed = run(["firewall-cmd", "--list-all"])
        if listed is not None and listed[0] == 0:
            answers.append(firewalld_inbound(listed[1], port, proto))
        elif not kernel_read:
            answers.append(
                FirewallAnswer(
                    Inbound.UNKNOWN,
                    "firewalld",
                    "The firewall firewalld is running; loopgui could not read its rules.",
                    FIREWALLD_CHECK,
                )
            )
    if not kernel_read and not answers:
        return FirewallAnswer(
            Inbound.UNKNOWN,
            "",
            "Neither ufw nor firewalld is switched on, but reading the system's own firewall rules needs "
            "administrator rights.",
            NFT_CHECK,
        )
    if not kernel_read and all(a.inbound == Inbound.ALLOWED for a in answers):
        return FirewallAnswer(
            Inbound.UNKNOWN,
            answers[0].source,
            answers[0].reason + " Other firewall rules could not be read without administrator rights.",
            NFT_CHECK,
        )
    return combine(answers)


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
