"""ufw: ``ufw status verbose`` and its configuration files (read only where the kernel's rules cannot be)."""

from __future__ import annotations

import re

from loopgui.core.reach.rules import (
    ACCEPT,
    DROP,
    OPAQUE,
    SENDER,
    Cond,
    FirewallAnswer,
    Inbound,
    Packet,
    _and,
    _conclude,
    _iface_matches,
    _in_ports,
    _is_any_address,
    _Maybe,
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
