"""Knowledge: address classes, port ranges and the per-OS parsers, tested on recorded outputs."""

from __future__ import annotations

from loopgui.core.explain import knowledge as k

WINDOWS_DYNAMIC = """
Protocol tcp Dynamic Port Range
---------------------------------
Start Port      : 49152
Number of Ports : 16384

"""
WINDOWS_DYNAMIC_GERMAN = """
Protokoll tcp Dynamischer Portbereich
---------------------------------
Startport       : 1025
Anzahl der Ports: 64511
"""
WINDOWS_EXCLUDED = """
Protocol tcp Port Exclusion Ranges

Start Port    End Port
----------    --------
      1080        1080
      2869        2869
     50000       50059     *
     61000       61099

* - Administered port exclusions.

"""


def test_address_kinds() -> None:
    assert k.address_kind("127.0.0.5") == k.LOOPBACK
    assert k.address_kind("::1") == k.LOOPBACK
    assert k.address_kind("::ffff:127.0.0.1") == k.LOOPBACK
    assert k.address_kind("0.0.0.0") == k.WILDCARD and k.address_kind("::") == k.WILDCARD
    assert k.address_kind("192.168.0.4") == k.PRIVATE and k.address_kind("fd00::2") == k.PRIVATE
    assert k.address_kind("169.254.1.1") == k.LINK_LOCAL and k.address_kind("fe80::1%eth0") == k.LINK_LOCAL
    assert k.address_kind("8.8.8.8") == k.PUBLIC
    assert k.address_kind("localhost") == ""
    assert k.ip_version("::1") == 6 and k.ip_version("127.0.0.1") == 4 and k.ip_version("::ffff:1.2.3.4") == 4


def test_linux_and_macos_parsers() -> None:
    assert k.parse_linux_port_range("32768\t60999\n") == k.PortRange(32768, 60999)
    assert k.parse_macos_port_range("49152\n65535\n") == k.PortRange(49152, 65535)
    assert k.parse_linux_port_range("garbage") is None
    assert k.parse_linux_port_range("70000 80000") is None


def test_windows_parsers() -> None:
    assert k.parse_windows_dynamic_port(WINDOWS_DYNAMIC) == k.PortRange(49152, 65535)
    assert k.parse_windows_dynamic_port(WINDOWS_DYNAMIC_GERMAN) == k.PortRange(1025, 65535)
    assert k.parse_windows_dynamic_port("") is None
    ranges = k.parse_windows_excluded_ranges(WINDOWS_EXCLUDED)
    assert ranges == (
        k.PortRange(1080, 1080),
        k.PortRange(2869, 2869),
        k.PortRange(50000, 50059),
        k.PortRange(61000, 61099),
    )
    assert 50010 in ranges[2] and 50060 not in ranges[2]
    assert str(ranges[2]) == "50000–50059"


def test_this_computer() -> None:
    r = k.ephemeral_range()
    assert 1 <= r.first <= r.last <= 65535
    assert k.localhost_addresses()
    assert k.is_this_computer("localhost") and k.is_this_computer("127.0.0.1") and k.is_this_computer("[::1]")
    assert not k.is_this_computer("example.invalid")
    assert k.unprivileged_port_start() >= 0


def test_names() -> None:
    pg = k.port_info(5432)
    assert pg.iana_name == "postgresql" and pg.common_name == "PostgreSQL" and pg.label == "PostgreSQL"
    assert k.port_info(53, "udp").iana_name == "domain"
    assert k.port_info(11434).common_name == "Ollama"
    assert k.port_info(62893).label == ""
