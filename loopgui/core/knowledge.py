"""What addresses and ports mean, in plain words."""

from __future__ import annotations

import ipaddress

LOOPBACK = "loopback"
WILDCARD = "wildcard"
PRIVATE = "private"
LINK_LOCAL = "link-local"
PUBLIC = "public"
OTHER = "other"

_KIND_HELP = {
    LOOPBACK: "This computer only (loopback): other computers cannot reach it.",
    WILDCARD: "Every network connection of this computer: other computers may be able to reach it.",
    PRIVATE: "An address inside a home or office network.",
    LINK_LOCAL: "An address that only works on the local network cable or Wi-Fi.",
    PUBLIC: "An address on the internet.",
    OTHER: "A special-purpose address.",
}


def address_kind(addr: str) -> str:
    """Classify an IP address: loopback, wildcard, private, link-local, public or other ("" if not an IP)."""
    try:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return WILDCARD
    if ip.is_loopback:
        return LOOPBACK
    if ip.is_link_local:
        return LINK_LOCAL
    if ip.is_private:
        return PRIVATE
    if ip.is_global:
        return PUBLIC
    return OTHER


def describe_address(addr: str) -> str:
    """One plain sentence about an address, or "" when it is not an IP address."""
    kind = address_kind(addr)
    return _KIND_HELP.get(kind, "")


def port_range_name(port: int) -> str:
    """IANA's three port ranges, in plain words."""
    if port < 1024:
        return "a well-known port (0–1023), used by standard services"
    if port < 49152:
        return "a registered port (1024–49151), used by specific programs"
    return "a dynamic port (49152–65535), handed out temporarily"
