"""nftables: decide for one packet from ``nft -j list ruleset`` (prerouting and input hooks, sets, jumps, maps)."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from loopgui.core.reach.rules import (
    ACCEPT,
    DROP,
    MAX_DEPTH,
    Cond,
    ConditionCode,
    FirewallAnswer,
    Inbound,
    Packet,
    Reason,
    RuleRef,
    _address_in,
    _and,
    _conclude,
    _cond,
    _iface_matches,
    _is_any_address,
    _not,
    _source,
    _TooComplex,
    _unknown_port,
    _Walk,
    new_connection,
)

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
        return FirewallAnswer(Inbound.UNKNOWN, "nftables", Reason.RULES_UNREADABLE, NFT_CHECK, port=port, proto=proto)
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
                    walk.maybe(DROP, _cond(ConditionCode.PROGRAM_DECIDES), rule)
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
                Inbound.UNKNOWN, "nftables", Reason.TOO_INVOLVED, NFT_CHECK, port=self.port, proto=self.proto
            )
        if not base:
            return FirewallAnswer(
                Inbound.ALLOWED, "nftables", Reason.NO_INBOUND_RULES, NFT_CHECK, port=self.port, proto=self.proto
            )
        ref = self.refs.get(decided)
        answer = _conclude(
            final, walk, "nftables", decided, NFT_CHECK, self.port, self.proto, policy=ref is not None and ref.policy
        )
        details = (*answer.details, "xt") if walk.saw_xt else answer.details
        return dataclasses.replace(answer, details=details, rule=ref)

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
                    cond = _and((cond, _cond(ConditionCode.IPTABLES_IN_NFTABLES)))
                elif name in ("counter", "log", "limit", "quota", "mangle", "set", "notrack", "meta", "ct", "comment"):
                    continue  # does not decide
                else:
                    cond = _and((cond, _cond(ConditionCode.STATEMENT, name)))
                if cond is False:
                    break
            if cond is False or verdict is None:
                continue
            kind, target = verdict
            sure = certain and cond is True
            why = cond if not isinstance(cond, bool) else None
            if kind in ("accept", "drop", "reject", "queue"):
                outcome = ACCEPT if kind == "accept" else ("queue" if kind == "queue" else DROP)
                if sure:
                    label = text()
                    self.refs[label] = RuleRef("nft", key[0], key[1], key[2], label, self.handles.get(id(expr)))
                    return outcome, label
                walk.maybe(DROP if outcome == "queue" else outcome, why or _cond(ConditionCode.IN_SOME_CASES), text)
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
                walk.maybe(DROP if inner == "queue" else inner, why or _cond(ConditionCode.IN_SOME_CASES), rule)
            if kind == "goto" and sure:
                return None, text()
        return None, ""

    def vmap(self, value: Any, cond: Cond, walk: _Walk, text: Callable[[], str]) -> tuple[Cond, tuple[str, str] | None]:
        """A verdict map: pick the entry for our connection (e.g. ``ct state vmap { established : accept }``)."""
        if not isinstance(value, dict):
            return _and((cond, _cond(ConditionCode.VERDICT_MAP))), None
        entries = value.get("data", {})
        entries = entries.get("set") if isinstance(entries, dict) else None
        if not isinstance(entries, list):
            return _and((cond, _cond(ConditionCode.VERDICT_MAP))), None
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
            return _cond(ConditionCode.UNREADABLE_RULE)
        return self.compare(m.get("left"), str(m.get("op", "==")), m.get("right"))

    def compare(self, left: Any, op: str, right: Any) -> Cond:
        result = self._compare(left, right)
        if op in ("!=",):
            return _not(result)
        if op in ("==", "in"):
            return result
        return _cond(ConditionCode.COMPARISON, op)

    def _compare(self, left: Any, right: Any) -> Cond:
        pkt = self.packet
        if not isinstance(left, dict) or not left:
            return _cond(ConditionCode.UNREADABLE_RULE)
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
                return _cond(ConditionCode.MATCH, f"{protocol} {fld}")
            if protocol in ("ip", "ip6"):
                if (protocol == "ip") != (self.version == 4):
                    return False
                if fld == "saddr":
                    return self.address(right, "from", pkt.saddr)
                if fld == "daddr":
                    return self.address(right, "to", pkt.daddr)
                if fld in ("protocol", "nexthdr"):
                    return self.values_contain(right, self.proto, names=True)
                return _cond(ConditionCode.MATCH, f"{protocol} {fld}")
            if protocol in ("icmp", "icmpv6", "ah", "esp", "igmp"):
                return False
            return _cond(ConditionCode.MATCH, f"{protocol} {fld}")
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
                    return _cond(ConditionCode.ON_SOME_INTERFACES)
                if key == "iiftype":
                    return ("loopback" in names) == pkt.loopback
                if pkt.iif is not None:
                    return any(_iface_matches(str(n), pkt.iif) for n in names)
                others = [str(n) for n in names if str(n) != "lo"]
                if not others:
                    return False
                return _cond(ConditionCode.ON_INTERFACES, *others[:3])
            if key == "pkttype":
                names = _flat_values(right)
                return (
                    _cond(ConditionCode.MATCH, "meta pkttype")
                    if names is None
                    else bool({"host", "unicast"} & set(names))
                )
            return _cond(ConditionCode.MATCH, f"meta {key}")
        if kind == "ct" and isinstance(what, dict):
            if what.get("key") == "state":
                names = _flat_values(right)
                if names is None:
                    return _cond(ConditionCode.MATCH, "ct state")
                return pkt.state in names
            if what.get("key") == "status":
                names = _flat_values(right)
                return False if names is not None and "dnat" in names else _cond(ConditionCode.MATCH, "ct status")
            return _cond(ConditionCode.MATCH, f"ct {what.get('key')}")
        if kind == "&" and isinstance(what, list) and what:
            first = what[0]
            if isinstance(first, dict) and first.get("payload", {}).get("field") == "flags":
                # tcp flags & (fin|syn|rst|ack) == syn: the first packet of a new connection is a bare SYN
                if first["payload"].get("protocol") != self.proto:
                    return False
                names = _flat_values(right)
                if names is not None:
                    return (names == ["syn"]) == pkt.syn
            return _cond(ConditionCode.MATCH, "tcp flags")
        if kind == "fib" and isinstance(what, dict):
            flags = what.get("flags")
            names = _flat_values(right)
            if what.get("result") == "type" and flags in ("daddr", ["daddr"]) and names is not None:
                return "local" in names  # a packet for this computer: its destination is a local address
            return _cond(ConditionCode.MATCH, "fib")
        return _cond(ConditionCode.MATCH, kind)

    def values_contain(self, right: Any, value: int | str, *, names: bool = False) -> Cond:
        values = self.expand(right)
        if values is None:
            return _cond(ConditionCode.UNREADABLE_LIST)
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
            some = ConditionCode.FROM_SOME_ADDRESSES if direction == "from" else ConditionCode.TO_SOME_ADDRESSES
            return _cond(some)
        if known is not None:
            hits = [_address_in(known, t) for t in texts]
            if any(h is True for h in hits):
                return True
            if all(h is False for h in hits):
                return False
            return _cond(ConditionCode.ADDRESSES, texts[0])
        if direction == "from":
            conds = [_source(t) for t in texts]
            if any(c is True for c in conds):
                return True
            if all(c is False for c in conds):
                return False
            return _cond(ConditionCode.FROM_ADDRESSES, *texts[:3])
        if any(_is_any_address(t) for t in texts):
            return True
        return _cond(ConditionCode.FROM_ADDRESSES if direction == "from" else ConditionCode.TO_ADDRESSES, *texts[:3])


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
