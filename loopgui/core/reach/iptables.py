"""iptables (legacy and nft variants): decide for one packet from ``iptables-save`` output (raw and mangle
PREROUTING, mangle INPUT, filter INPUT)."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re
import shlex
from collections.abc import Mapping, Sequence
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
    _in_ports,
    _is_any_address,
    _not,
    _source,
    _TooComplex,
    _unknown_port,
    _Walk,
    new_connection,
)

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
        return FirewallAnswer(Inbound.UNKNOWN, source, Reason.RULES_UNREADABLE, check, port=port, proto=proto)
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
        return FirewallAnswer(Inbound.UNKNOWN, source, Reason.TOO_INVOLVED, check, port=port, proto=proto)
    if not any_rules and final == ACCEPT:
        return FirewallAnswer(Inbound.ALLOWED, source, Reason.NO_INBOUND_RULES, check, port=port, proto=proto)
    ref = refs.get(decided)
    answer = _conclude(final, walk, source, decided, check, port, proto, policy=ref is not None and ref.policy)
    if ref is not None:
        reader = source.replace(" (legacy)", "-legacy")
        ref = RuleRef(reader, "ipv4" if version == 4 else "ipv6", ref.table, ref.chain, ref.text, None, ref.spec,
                      ref.policy)  # fmt: skip
    return dataclasses.replace(answer, rule=ref)


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
        why = cond if not isinstance(cond, bool) else _cond(ConditionCode.IN_SOME_CASES)
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
            walk.maybe(DROP, _cond(ConditionCode.PROGRAM_DECIDES), text)
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
        return True if _is_any_address(spec) else _cond(ConditionCode.TO_ADDRESSES, spec)
    if known is not None:
        hits = [_address_in(known, part) for part in spec.split(",") if part]
        if any(h is True for h in hits):
            return True
        return False if hits and all(h is False for h in hits) else _cond(ConditionCode.ADDRESSES, spec)
    if direction == "from":
        conds = [_source(part) for part in spec.split(",") if part]
        if any(c is True for c in conds):
            return True
        return (
            False
            if conds and all(c is False for c in conds)
            else _cond(ConditionCode.FROM_ADDRESSES, *[p for p in spec.split(",") if p][:3])
        )
    return True if _is_any_address(spec) else _cond(ConditionCode.TO_ADDRESSES, spec)


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
                c = False if value == "lo" else _cond(ConditionCode.ON_INTERFACES, value)
        elif w in ("-s", "--source", "--src"):
            c = _ipt_address(value, pkt.saddr, "from")
        elif w in ("-d", "--destination", "--dst"):
            c = _ipt_address(value, pkt.daddr, "to")
        elif w in ("--dport", "--destination-port", "--dports", "--destination-ports", "--sport", "--source-port",
                   "--sports", "--source-ports"):  # fmt: skip
            known = pkt.dport if "d" in w.lstrip("-")[:1] else pkt.sport
            if known is not None:
                hit = _in_ports(known, value)
                c = _cond(ConditionCode.PORTS, value) if hit is None else hit
            else:
                c = _unknown_port(_port_values(value), "to" if w.startswith("--d") else "from")
        elif w == "--ports":
            c = _cond(ConditionCode.PORTS_EITHER_SIDE)
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
            c, step = (({"SYN"} & mask) == comp) if pkt.syn else _cond(ConditionCode.MATCH, "tcp flags"), 3
        elif w in ("--icmp-type", "--icmpv6-type"):
            c = False
        elif w in ("--rt-type", "--rt-segsleft", "--rt-len", "--fragid", "--fraglen"):
            c = False  # a routing header or a fragment: the first packet of a connection carries neither
        elif w in ("-f", "--fragment", "--fragres", "--fragfirst", "--fragmore", "--fraglast"):
            c, step = False, 1
        elif w in ("--update", "--rcheck"):
            c, step = False, 1  # "recent" matches repeat visitors, not a first connection
        elif w in ("--match-set",):
            c, step = _cond(ConditionCode.IN_SET, value), 3
        elif w in ("-j", "--jump", "-g", "--goto"):
            target = value
            goto = w in ("-g", "--goto")
        elif w in ("-m", "--match"):
            if value in ("policy", "mark", "connmark", "owner", "bpf", "u32", "string", "geoip", "time"):
                c = _cond(ConditionCode.MATCH, value)
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
