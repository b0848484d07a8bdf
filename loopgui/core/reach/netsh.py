"""Windows Defender Firewall: ``netsh advfirewall`` profiles and inbound rules."""

from __future__ import annotations

import re
from dataclasses import dataclass

from loopgui.core.reach.rules import (
    ACCEPT,
    DROP,
    OPAQUE,
    SENDER,
    Cond,
    FirewallAnswer,
    Inbound,
    _and,
    _conclude,
    _in_ports,
    _Maybe,
    _Walk,
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
