"""ufw: ``ufw status verbose`` and its configuration files (read only where the kernel's rules cannot be)."""

from __future__ import annotations

import re

from loopgui.core.reach.rules import (
    ACCEPT,
    DROP,
    Cond,
    Condition,
    ConditionCode,
    FirewallAnswer,
    Inbound,
    Packet,
    Reason,
    _and,
    _conclude,
    _cond,
    _iface_matches,
    _in_ports,
    _is_any_address,
    _Walk,
)

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
        return FirewallAnswer(Inbound.UNKNOWN, "ufw", Reason.RULES_UNREADABLE, UFW_CHECK, port=port, proto=proto)
    if status.group(1).lower() != "active":
        return FirewallAnswer(Inbound.ALLOWED, "ufw", Reason.SWITCHED_OFF, UFW_CHECK, port=port, proto=proto)
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
            cond = _and((cond, _cond(ConditionCode.FROM_ADDRESSES, frm.replace(" (v6)", ""))))
        if cond is False:
            continue
        verdict = ACCEPT if action.startswith(("ALLOW", "LIMIT")) else DROP
        text_rule = f"{to}  {action}  {frm}"
        if cond is True:
            return _conclude(verdict, walk, "ufw", text_rule, UFW_CHECK, port, proto)
        walk.maybe(verdict, cond, text_rule)
    if default is None:
        return FirewallAnswer(Inbound.UNKNOWN, "ufw", Reason.NO_RULE_DEFAULT_UNKNOWN, UFW_CHECK, port=port, proto=proto)
    final = ACCEPT if default.group(1).lower() == "allow" else DROP
    shown = f"Default: {default.group(1)} (incoming)"  # as ``ufw status verbose`` prints it
    return _conclude(final, walk, "ufw", shown, UFW_CHECK, port, proto, policy=True)


def _ufw_to(to: str, port: int, proto: str, iif: str | None = None) -> Cond:
    """The "To" column: ``22/tcp``, ``80,443/tcp``, ``8000:8100/udp``, ``Anywhere``, ``22 on eth0``, an address
    and port, or an application profile such as ``OpenSSH`` (verbose shows its ports: ``22/tcp (OpenSSH)``)."""
    words = to.replace("(v6)", "").strip()
    iface: Condition | None = None
    m = re.search(r"\son\s+(\S+)$", words)
    if m:
        if iif is not None and not _iface_matches(m.group(1), iif):
            return False
        iface = None if iif is not None else _cond(ConditionCode.ON_INTERFACES, m.group(1))
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
            conds.append(_cond(ConditionCode.PORTS, part) if hit is None else hit)
        elif re.fullmatch(r"[0-9a-fA-F.:/]+", part):
            conds.append(True if _is_any_address(part) else _cond(ConditionCode.TO_ADDRESSES, part))
        else:
            return _cond(ConditionCode.APPLICATION_PROFILE, words)
    if not spec and not parts:
        return _and(conds)
    return _and(conds)
