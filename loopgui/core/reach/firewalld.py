"""firewalld: ``firewall-cmd --state`` and ``--list-all`` (read only where the kernel's rules cannot be)."""

from __future__ import annotations

import re
from typing import Any

from loopgui.core.reach.rules import FirewallAnswer, Inbound, Reason, _in_ports

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
    facts: dict[str, Any] = {"port": port, "proto": proto}
    if "target" not in fields and "ports" not in fields and "services" not in fields:
        return FirewallAnswer(Inbound.UNKNOWN, "firewalld", Reason.RULES_UNREADABLE, FIREWALLD_CHECK, **facts)
    where: dict[str, Any] = {
        "zone": zone.split()[0] if zone else "default",
        "interfaces": tuple(fields.get("interfaces", "").split()),
    }
    details = [f"{zone}: target {fields.get('target', 'default')}"]
    for spec in fields.get("ports", "").split():
        m = re.fullmatch(r"(\d+(?:-\d+)?)/(\w+)", spec)
        if m and m.group(2) == proto and _in_ports(port, m.group(1)):
            return FirewallAnswer(
                Inbound.ALLOWED,
                "firewalld",
                Reason.FIREWALLD_PORT_OPEN,
                FIREWALLD_CHECK,
                (*details, f"ports: {spec}"),
                **facts,
                **where,
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
                    Reason.FIREWALLD_SERVICE_OPEN,
                    FIREWALLD_CHECK,
                    (*details, f"services: {service}"),
                    services=(service,),
                    **facts,
                    **where,
                )
    target = fields.get("target", "default").upper()
    if target == "ACCEPT":
        return FirewallAnswer(
            Inbound.ALLOWED, "firewalld", Reason.ALLOWS_ALL, FIREWALLD_CHECK, tuple(details), **facts, **where
        )
    if any(f'port="{port}"' in r or f"port={port}" in r for r in rich):
        return FirewallAnswer(
            Inbound.LIMITED,
            "firewalld",
            Reason.FIREWALLD_RICH_RULE,
            FIREWALLD_CHECK,
            (*details, *rich[:3]),
            **facts,
            **where,
        )
    if unknown_services:
        return FirewallAnswer(
            Inbound.UNKNOWN,
            "firewalld",
            Reason.FIREWALLD_UNKNOWN_SERVICES,
            f"firewall-cmd --info-service={unknown_services[0]}",
            tuple(details),
            services=tuple(unknown_services[:4]),
            **facts,
            **where,
        )
    return FirewallAnswer(
        Inbound.BLOCKED, "firewalld", Reason.FIREWALLD_BLOCKS, FIREWALLD_CHECK, tuple(details), **facts, **where
    )
