"""macOS: the application firewall (``socketfilterfw``) and pf (``pfctl -sr``)."""

from __future__ import annotations

import re

from loopgui.core.reach.rules import (
    ACCEPT,
    DROP,
    Cond,
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
# macOS: application firewall and pf
# ---------------------------------------------------------------------------------------------------------------

MACOS_CHECK = "/usr/libexec/ApplicationFirewall/socketfilterfw --getglobalstate"  # (the words add the Settings)
MACOS_FIREWALL = "macOS application firewall"


def socketfilterfw_state(text: str) -> int | None:
    """``socketfilterfw --getglobalstate``: "Firewall is enabled. (State = 1)" -> 1 (0 off, 2 block all)."""
    m = re.search(r"State\s*=\s*(\d)", text)
    if m:
        return int(m.group(1))
    if re.search(r"firewall is disabled", text, re.IGNORECASE):
        return 0
    return None


def macos_app_firewall(text: str) -> FirewallAnswer:
    state = socketfilterfw_state(text)
    if state is None:
        return FirewallAnswer(Inbound.UNKNOWN, MACOS_FIREWALL, Reason.RULES_UNREADABLE, MACOS_CHECK)
    if state == 0:
        return FirewallAnswer(Inbound.ALLOWED, MACOS_FIREWALL, Reason.SWITCHED_OFF, MACOS_CHECK)
    if state >= 2:
        return FirewallAnswer(Inbound.BLOCKED, MACOS_FIREWALL, Reason.BLOCK_ALL, MACOS_CHECK)
    return FirewallAnswer(Inbound.UNKNOWN, MACOS_FIREWALL, Reason.ALLOWED_PROGRAMS_ONLY, MACOS_CHECK)


PF_CHECK = "sudo pfctl -sr"


def pf_inbound(text: str, port: int, proto: str = "tcp", version: int = 4) -> FirewallAnswer:
    """Decide from ``pfctl -sr``: the last matching rule wins, unless a ``quick`` rule matched first."""
    walk = _Walk()
    final = ACCEPT
    decided = ""  # no rule matches: pf lets it in
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
        return FirewallAnswer(Inbound.ALLOWED, "pf", Reason.NO_INBOUND_RULES, PF_CHECK, port=port, proto=proto)
    return _conclude(final, walk, "pf", decided, PF_CHECK, port, proto)


def _pf_rule(rest: str, port: int, proto: str, version: int) -> Cond:
    words = rest.replace("{", " { ").replace("}", " } ").split()
    conds: list[Cond] = []
    if "out" in words[:4]:
        return False
    if "on" in words:
        iface = words[words.index("on") + 1] if words.index("on") + 1 < len(words) else ""
        if iface.startswith("lo"):
            return False
        conds.append(_cond(ConditionCode.ON_INTERFACES, iface))
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
                conds.append(
                    _cond(ConditionCode.FROM_ADDRESSES if side == "from" else ConditionCode.TO_ADDRESSES, host)
                )
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
                    hit = _cond(ConditionCode.PORTS, v)
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
