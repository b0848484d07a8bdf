"""Windows Defender Firewall: ``netsh advfirewall`` profiles and inbound rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from loopgui.core.reach.rules import (
    ACCEPT,
    DROP,
    Cond,
    Condition,
    ConditionCode,
    FirewallAnswer,
    Inbound,
    Reason,
    _and,
    _conclude,
    _cond,
    _in_ports,
    _Walk,
)

# ---------------------------------------------------------------------------------------------------------------
# Windows Defender Firewall: `netsh advfirewall show currentprofile`, `… firewall show rule name=all dir=in verbose`
# ---------------------------------------------------------------------------------------------------------------

WINDOWS_FIREWALL = "Windows Defender Firewall"
WINDOWS_CHECK = "netsh advfirewall show currentprofile"  # (the words add the place in Windows Security)


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
    source = WINDOWS_FIREWALL
    profiles = netsh_profiles(profiles_text)
    facts: dict[str, Any] = {"port": port, "proto": proto}
    if not profiles:
        return FirewallAnswer(Inbound.UNKNOWN, source, Reason.RULES_UNREADABLE, WINDOWS_CHECK, **facts)
    active = [p for p in profiles if p.on]
    if not active:
        return FirewallAnswer(Inbound.ALLOWED, source, Reason.SWITCHED_OFF, WINDOWS_CHECK, **facts)
    if any(p.inbound == "blockinboundalways" for p in active):
        return FirewallAnswer(Inbound.BLOCKED, source, Reason.BLOCK_ALL, WINDOWS_CHECK, **facts)
    if all(p.inbound == "allowinbound" for p in active):
        return FirewallAnswer(Inbound.ALLOWED, source, Reason.ALLOWS_ALL, WINDOWS_CHECK, **facts)
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
            c = _cond(ConditionCode.PORTS, lport) if hit is None else hit
        prog = rule.get("program", "")
        if prog and prog.lower() != "any":
            c = _and((c, prog.lower() == program.lower() if program else _cond(ConditionCode.PROGRAM_RULE, prog)))
        remote = rule.get("remoteip", "any")
        if remote.lower() != "any":
            c = _and((c, _cond(ConditionCode.FROM_ADDRESSES, *(r.strip() for r in remote.split(",") if r.strip()))))
        if c is False:
            continue
        label = f"{rule['rule name']}: {rule.get('action', '')} {rproto} {lport}"
        (allow if rule.get("action", "").lower() == "allow" else block).append((c, label))
    if not read_any:
        return FirewallAnswer(Inbound.UNKNOWN, source, Reason.DEFAULT_DENY_UNREADABLE, WINDOWS_CHECK, **facts)
    sure_block = [label for c, label in block if c is True]
    if sure_block:
        return FirewallAnswer(
            Inbound.BLOCKED, source, Reason.BLOCKED_BY_RULE, WINDOWS_CHECK, tuple(sure_block[:3]), **facts
        )
    sure_allow = [label for c, label in allow if c is True]
    maybe = [(c, label) for c, label in allow + block if isinstance(c, Condition)]
    walk = _Walk()
    for c, label in maybe:
        assert isinstance(c, Condition)
        walk.maybe(ACCEPT if (c, label) in allow else DROP, c, label)
    final = ACCEPT if sure_allow else DROP
    decided = sure_allow[0] if sure_allow else "Firewall Policy BlockInbound"  # as netsh shows the profile
    return _conclude(final, walk, source, decided, WINDOWS_CHECK, port, proto, policy=not sure_allow)


def _netsh_fields(block: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in block.splitlines():
        key, colon, value = line.partition(":")
        if colon and re.fullmatch(r"[A-Za-z][A-Za-z ]{0,40}", key.strip()) and value[:1].isspace():
            fields.setdefault(key.strip().lower(), value.strip())
    return fields
