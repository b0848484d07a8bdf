"""Reach verdict rules on hand-made computers; the IPV6_V6ONLY query and the connect loop on loopback only."""

from __future__ import annotations

import socket
import sys
from collections import namedtuple

import pytest

from loopgui.core.net.probes import Cancel, Cancelled
from loopgui.core.reach import assess as reach
from loopgui.core.reach.assess import Answer, Interface, Listener, OwnOutcome, OwnResult
from loopgui.core.reach.firewall import FirewallAnswer, Inbound
from tests.helpers import row

Addr = namedtuple("Addr", "family address netmask broadcast ptp")
Stats = namedtuple("Stats", "isup")

WIFI = Interface("wlan0", reach.WIFI, ("192.168.1.20/24", "fe80::1/64"))
DOCKER = Interface("docker0", reach.CONTAINER, ("172.17.0.1/16",))
ALLOWED = FirewallAnswer(
    Inbound.ALLOWED, "nftables", "The firewall (nftables) lets new connections to port 8000/tcp in."
)
BLOCKED = FirewallAnswer(Inbound.BLOCKED, "ufw", "The firewall ufw blocks new connections to port 8000/tcp.")
UNKNOWN = FirewallAnswer(
    Inbound.UNKNOWN, "", "Reading the firewall needs administrator rights.", "sudo nft list ruleset"
)


@pytest.mark.parametrize(
    ("name", "kind"),
    [("wlan0", reach.WIFI), ("wlp3s0", reach.WIFI), ("Wi-Fi", reach.WIFI), ("eth0", reach.WIRED),
     ("enp0s31f6", reach.WIRED), ("Ethernet 2", reach.WIRED), ("tailscale0", reach.VPN), ("wg0", reach.VPN),
     ("tun0", reach.VPN), ("ztabcdef", reach.VPN), ("docker0", reach.CONTAINER), ("br-1a2b3c", reach.CONTAINER),
     ("virbr0", reach.CONTAINER), ("podman0", reach.CONTAINER), ("cni0", reach.CONTAINER),
     ("vEthernet (WSL)", reach.CONTAINER), ("d0", reach.OTHER)],
)  # fmt: skip
def test_interface_kinds(name: str, kind: str) -> None:
    assert reach.interface_kind(name, platform="linux") == kind


def test_interface_kind_uses_the_wireless_flag_and_mac_en0_stays_neutral() -> None:
    assert reach.interface_kind("enx001122", wireless=True) == reach.WIFI
    assert reach.interface_kind("en0", platform="darwin") == reach.OTHER
    assert reach.interface_kind("en0", platform="linux") == reach.WIRED


def test_interfaces_from_psutil_shaped_data() -> None:
    addrs = {
        "lo": [Addr(socket.AF_INET, "127.0.0.1", "255.0.0.0", None, None)],
        "wlan0": [
            Addr(socket.AF_INET, "192.168.1.20", "255.255.255.0", None, None),
            Addr(socket.AF_INET6, "fe80::1%wlan0", "ffff:ffff:ffff:ffff::", None, None),
            Addr(getattr(socket, "AF_PACKET", 17), "aa:bb:cc:dd:ee:ff", None, None, None),
        ],
        "docker0": [Addr(socket.AF_INET, "172.17.0.1", "255.255.0.0", None, None)],
        "eth1": [Addr(socket.AF_INET, "10.0.0.5", "255.255.255.0", None, None)],
    }
    stats = {"wlan0": Stats(True), "docker0": Stats(True), "eth1": Stats(False)}
    found = reach.interfaces(addrs, stats, wireless=lambda n: False, platform="linux")
    assert [i.name for i in found] == ["wlan0", "docker0", "eth1"]  # loopback left out
    assert found[0].kind == reach.WIFI and found[0].addresses == ("192.168.1.20/24", "fe80::1/64")
    assert found[0].networks(4) == ("192.168.1.0/24",) and found[0].networks(6) == ("fe80::/64",)
    assert found[2].up is False
    assert reach.own_addresses(found) == [("192.168.1.20", "wlan0"), ("fe80::1", "wlan0"), ("172.17.0.1", "docker0")]


def test_wifi_verdict_in_plain_words() -> None:
    v = reach.verdict(8000, "tcp", [Listener("0.0.0.0", 8000)], [WIFI], ALLOWED)
    assert v.answer == Answer.PROBABLY and v.reachable
    assert v.headline == (
        "Other computers on your Wi-Fi (192.168.1.0/24) can probably connect: it listens on all IPv4 addresses "
        "(0.0.0.0) and the firewall has no rule against it."
    )
    assert v.safety.startswith("Listening on all addresses exposes the program to the network")
    assert "Through your Wi-Fi (192.168.1.0/24) at 192.168.1.20:8000 (wlan0)." in v.reasons
    assert v.as_dict()["networks"] == [
        {
            "interface": "wlan0",
            "kind": "wifi",
            "addresses": ["192.168.1.20"],
            "networks": ["192.168.1.0/24", "fe80::/64"],
        }
    ]


def test_loopback_verdicts() -> None:
    for addr in ("127.0.0.1", "::1", "127.0.1.1"):
        v = reach.verdict(8000, "tcp", [Listener(addr, 8000)], [WIFI], ALLOWED)
        assert v.answer == Answer.NO and v.headline == f"Only this computer: it listens on {addr}."
        assert not v.safety and v.firewall is None


def test_ipv6_wildcard_and_the_v6only_flag() -> None:
    dual = reach.verdict(8000, "tcp", [Listener("::", 8000, v6only=False)], [WIFI], ALLOWED)
    assert "all addresses (::, IPv4 too)" in dual.headline and dual.exposure is not None
    assert dual.exposure.reachable[0].addresses == ("192.168.1.20", "fe80::1")
    only6 = reach.verdict(8000, "tcp", [Listener("::", 8000, v6only=True)], [WIFI], ALLOWED)
    assert only6.exposure is not None and only6.exposure.reachable[0].addresses == ("fe80::1",)
    # flag unknown (not Linux): IPv4 is never left out on a guess, whatever the system's default
    for default in (None, True):
        unsure = reach.verdict(8000, "tcp", [Listener("::", 8000)], [WIFI], ALLOWED, default_v6only=default)
        assert unsure.exposure is not None and unsure.exposure.ipv4_unsure
        assert "192.168.1.20" in unsure.exposure.reachable[0].addresses and "perhaps IPv4 too" in unsure.headline
        assert any("could not read that setting" in r for r in unsure.reasons)
    usual = reach.verdict(8000, "tcp", [Listener("::", 8000)], [WIFI], ALLOWED, default_v6only=False)
    assert usual.exposure is not None and not usual.exposure.ipv4_unsure
    assert "IPv4 too unless the program turned that off" in usual.headline


def test_firewall_decides_between_probably_no_and_unknown() -> None:
    listeners = [Listener("0.0.0.0", 8000)]
    blocked = reach.verdict(8000, "tcp", listeners, [WIFI], BLOCKED)
    assert blocked.answer == Answer.NO
    assert blocked.headline == (
        "Other computers probably cannot connect: it listens on all IPv4 addresses (0.0.0.0), but the firewall "
        "blocks port 8000."
    )
    assert blocked.safety  # still exposed if the firewall changes
    unknown = reach.verdict(8000, "tcp", listeners, [WIFI], UNKNOWN)
    assert unknown.answer == Answer.UNKNOWN and unknown.headline.startswith("Unknown: other computers on your Wi-Fi")
    assert unknown.how_to_check == "sudo nft list ruleset"
    limited = FirewallAnswer(Inbound.LIMITED, "ufw", "The firewall ufw lets port 8000/tcp in only from 10.0.0.0/8.")
    some = reach.verdict(8000, "tcp", listeners, [WIFI], limited)
    assert some.answer == Answer.PROBABLY and some.headline.startswith("Some other computers")
    assert some.headline.endswith("the firewall ufw lets port 8000/tcp in only from 10.0.0.0/8.")


def test_specific_address_and_missing_address() -> None:
    one = reach.verdict(8000, "tcp", [Listener("172.17.0.1", 8000)], [WIFI, DOCKER], ALLOWED)
    assert one.headline.startswith(
        "Other computers on containers and virtual machines on this computer (docker0: 172.17.0.0/16)"
    )
    assert one.safety.startswith("Listening on a network address")
    gone = reach.verdict(8000, "tcp", [Listener("10.8.0.2", 8000)], [WIFI], ALLOWED)
    assert gone.answer == Answer.NO and "none of this computer's network connections has that address" in gone.headline


def test_nothing_listens() -> None:
    v = reach.verdict(8000, "tcp", [], [WIFI], None)
    assert v.answer == Answer.NO and "nothing on this computer listens on port 8000" in v.headline


def test_own_address_results_change_the_answer() -> None:
    listeners = [Listener("0.0.0.0", 8000)]
    refused = [OwnResult("192.168.1.20", "wlan0", OwnOutcome.REFUSED, 0.001)]
    v = reach.verdict(8000, "tcp", listeners, [WIFI], ALLOWED, own=refused)
    assert v.answer == Answer.NO and "did not answer on any of this computer's own network addresses" in v.headline
    answered = [OwnResult("192.168.1.20", "wlan0", OwnOutcome.ANSWERED, 0.001)]
    ok = reach.verdict(8000, "tcp", listeners, [WIFI], ALLOWED, own=answered)
    assert (
        ok.answer == Answer.PROBABLY and "Tested from this computer: it answered on 192.168.1.20 (wlan0)." in ok.reasons
    )
    assert ok.as_dict()["own_address_test"] == [
        {"address": "192.168.1.20", "interface": "wlan0", "outcome": "answered"}
    ]


def test_listeners_of_a_snapshot() -> None:
    rows = [row(8000, local="0.0.0.0"), row(8000, local="127.0.0.1"), row(8001, local="0.0.0.0"),
            row(8000, proto="UDP", local="0.0.0.0")]  # fmt: skip
    assert [lst.address for lst in reach.listeners_of(rows, 8000)] == ["0.0.0.0", "127.0.0.1"]
    assert [lst.address for lst in reach.listeners_of(rows, 8000, "udp")] == ["0.0.0.0"]


# -- on loopback only ----------------------------------------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sock_diag is Linux only")
def test_v6only_flag_read_from_the_kernel() -> None:
    socks = []
    try:
        for flag in (0, 1):
            s = socket.socket(socket.AF_INET6)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, flag)
            s.bind(("::1", 0))
            s.listen()
            socks.append(s)
        flags = reach.v6only_flags()
        # Linux marks a socket bound to one IPv6 address (not ::) IPv6-only whatever the program asked; the
        # "::" cases (flag off and on) are read back in tests/e2e/test_reach_netns.py inside a namespace
        assert flags[("tcp", "::1", socks[0].getsockname()[1])] is True
        assert flags[("tcp", "::1", socks[1].getsockname()[1])] is True
        u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        u.bind(("::1", 0))
        socks.append(u)
        assert reach.v6only_flags()[("udp", "::1", u.getsockname()[1])] is True
    finally:
        for s in socks:
            s.close()


def test_parse_v6only_stops_on_broken_input() -> None:
    out: dict[tuple[str, str, int], bool] = {}
    assert reach.parse_v6only(b"\xff" * 15, 6, out) is False and out == {}
    assert reach.parse_v6only(b"\x05\x00\x00\x00" + b"\x00" * 12, 6, out) is True  # length < 16: stop
    assert out == {}


def test_own_address_test_mechanics_on_loopback() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]  # bound, not listening: refuses
    try:
        (ok,) = reach.own_address_test(port, [("127.0.0.1", "lo")], timeout=2)
        assert ok.outcome == OwnOutcome.ANSWERED and ok.seconds is not None
        (no,) = reach.own_address_test(closed_port, [("127.0.0.1", "lo")], timeout=2)
        assert no.outcome == OwnOutcome.REFUSED and "refused" in no.text
        cancel = Cancel()
        cancel.cancel()
        with pytest.raises(Cancelled):
            reach.own_address_test(port, [("127.0.0.1", "lo")], timeout=2, cancel=cancel)
    finally:
        server.close()
        closed.close()


def test_program_file_of_a_listener() -> None:
    import os

    import psutil

    mine = row(8000, local="127.0.0.1", pid=os.getpid())
    assert reach._program_file([row(8000, pid=None), mine], 8000, "tcp") == psutil.Process().exe()
    assert reach._program_file([mine], 8001, "tcp") == ""
