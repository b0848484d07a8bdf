"""Reach verdict rules on hand-made computers; the IPV6_V6ONLY query and the connect loop on loopback only."""

from __future__ import annotations

import socket
import sys
from collections import namedtuple

import pytest

from loopgui.core.cancel import Cancel, Cancelled
from loopgui.core.reach import assess as reach
from loopgui.core.reach.assess import Answer, FixedView, Interface, Listener, OwnOutcome, OwnResult, OwnTest, ReachCode
from loopgui.core.reach.firewall import Condition, ConditionCode, FirewallAnswer, Inbound, Packet, Reason, RuleRef
from loopgui.core.words import reach as words
from tests.helpers import row

Addr = namedtuple("Addr", "family address netmask broadcast ptp")
Stats = namedtuple("Stats", "isup")

WIFI = Interface("wlan0", reach.WIFI, ("192.168.1.20/24", "fe80::1/64"))
DOCKER = Interface("docker0", reach.CONTAINER, ("172.17.0.1/16",))
ALLOWED = FirewallAnswer(Inbound.ALLOWED, "nftables", Reason.ALLOWED_BY_RULE, port=8000, proto="tcp")
BLOCKED = FirewallAnswer(Inbound.BLOCKED, "ufw", Reason.BLOCKED_BY_RULE, port=8000, proto="tcp")
UNKNOWN = FirewallAnswer(Inbound.UNKNOWN, "", Reason.KERNEL_RULES_UNREADABLE, "sudo nft list ruleset")


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


def test_wifi_verdict_facts_and_the_answer_first() -> None:
    v = reach.verdict(8000, "tcp", [Listener("0.0.0.0", 8000)], [WIFI], ALLOWED)
    assert v.code == ReachCode.REACHABLE and v.answer == Answer.PROBABLY and v.reachable
    (v4, v6) = v.paths
    assert (v4.address, v4.version, v4.prefix, v4.code, v4.bind) == (
        "192.168.1.20",
        4,
        "192.168.1.0/24",
        ReachCode.REACHABLE,
        True,
    )
    assert (v6.address, v6.code, v6.bind) == ("fe80::1", ReachCode.NOT_LISTENING_HERE, False)  # 0.0.0.0: IPv4 only
    assert {g.key: g.code for g in v.families()} == {"ipv4": ReachCode.REACHABLE, "ipv6": ReachCode.NOT_LISTENING_HERE}
    assert words.headline(v) == "⚠ Other computers on your Wi-Fi (wlan0) can reach it at 192.168.1.20:8000."
    assert words.safety(v).startswith("⚠ Listening on all addresses exposes the program to the network")
    details = words.reasons(v)
    assert "192.168.1.20 is in the network 192.168.1.0/24." in details  # prefixes in the details
    assert any("fe80::1 is a link-local address" in d for d in details)
    data = v.as_dict()
    assert data["code"] == "reachable" and data["families"] == {"ipv4": "reachable", "ipv6": "not_listening_here"}
    assert data["networks"] == [
        {
            "interface": "wlan0",
            "kind": "wifi",
            "code": "reachable",
            "addresses": ["192.168.1.20"],
            "networks": ["192.168.1.0/24", "fe80::/64"],
        }
    ]


def test_loopback_verdicts_never_advise_connecting_to_0_0_0_0() -> None:
    for addr in ("127.0.0.1", "::1", "127.0.1.1"):
        v = reach.verdict(8000, "tcp", [Listener(addr, 8000)], [WIFI], ALLOWED)
        assert v.code == ReachCode.ONLY_THIS_COMPUTER and v.firewall() is None and not words.safety(v)
        assert words.headline(v) == f"Only this computer can connect: it listens on {addr}."
        text = " ".join(words.lines(v)).lower()
        assert "connect to 0.0.0.0" not in text and "listen on 0.0.0.0" in text


def test_ipv6_wildcard_and_the_v6only_flag() -> None:
    dual = reach.verdict(8000, "tcp", [Listener("::", 8000, v6only=False)], [WIFI], ALLOWED)
    assert [p.bind for p in dual.paths] == [True, True]
    assert "all addresses (::, IPv4 too)" in words.reasons(dual)[0]
    only6 = reach.verdict(8000, "tcp", [Listener("::", 8000, v6only=True)], [WIFI], ALLOWED)
    assert [p.bind for p in only6.paths] == [False, True]
    # flag unknown (not Linux) and no default known: IPv4 is "cannot tell", never a guess either way
    unsure = reach.verdict(8000, "tcp", [Listener("::", 8000)], [WIFI], ALLOWED, default_v6only=None)
    assert [p.code for p in unsure.paths] == [ReachCode.UNKNOWN, ReachCode.REACHABLE]
    assert unsure.code == ReachCode.REACHABLE  # IPv6 is open: one open way in is enough
    usual = reach.verdict(8000, "tcp", [Listener("::", 8000)], [WIFI], ALLOWED, default_v6only=False)
    assert usual.paths[0].bind is True and "IPv4 too unless the program turned that off" in words.reasons(usual)[0]


def test_families_are_alternatives_one_open_path_is_enough() -> None:
    """A dual-stack listener and a rule that drops the port for IPv6 only: IPv4 stays open (issue: wrong "no")."""
    drop6 = FirewallAnswer(
        Inbound.BLOCKED,
        "nftables",
        Reason.BLOCKED_BY_RULE,
        rule=RuleRef("nft", "ip6", "t", "in", "tcp dport 8000 drop"),
    )

    class PerFamily:
        def answer(self, packet: Packet) -> FirewallAnswer:
            return drop6 if packet.version == 6 else ALLOWED

    lan = Interface("eth0", reach.WIRED, ("10.0.0.5/24", "fd00::5/64"))
    v = reach.verdict(8000, "tcp", [Listener("::", 8000, v6only=False)], [lan], PerFamily())
    assert v.code == ReachCode.REACHABLE
    assert {g.key: g.code for g in v.families()} == {"ipv4": ReachCode.REACHABLE, "ipv6": ReachCode.BLOCKED_BY_FIREWALL}
    assert words.headline(v) == "⚠ Other computers on your wired network (eth0) can reach it at 10.0.0.5:8000."
    assert "IPv6 [fd00::5]:8000 on your wired network (eth0): the firewall blocks it (tcp dport 8000 drop)." in (
        words.reasons(v)
    )
    only6 = reach.verdict(8000, "tcp", [Listener("::", 8000, v6only=True)], [lan], PerFamily())
    assert only6.code == ReachCode.BLOCKED_BY_FIREWALL


def test_combine_codes_order() -> None:
    c = reach.combine_codes
    assert c([ReachCode.BLOCKED_BY_FIREWALL, ReachCode.REACHABLE]) == ReachCode.REACHABLE
    assert c([ReachCode.BLOCKED_BY_FIREWALL, ReachCode.REACHABLE_FROM_SOME]) == ReachCode.REACHABLE_FROM_SOME
    assert c([ReachCode.BLOCKED_BY_FIREWALL, ReachCode.UNKNOWN]) == ReachCode.UNKNOWN
    assert c([ReachCode.NOT_LISTENING_HERE, ReachCode.BLOCKED_BY_FIREWALL]) == ReachCode.BLOCKED_BY_FIREWALL
    assert c([]) == ReachCode.NO_NETWORK


def test_firewall_decides_between_yes_no_and_cannot_tell() -> None:
    listeners = [Listener("0.0.0.0", 8000)]
    blocked = reach.verdict(8000, "tcp", listeners, [WIFI], BLOCKED)
    assert blocked.code == ReachCode.BLOCKED_BY_FIREWALL and blocked.answer == Answer.NO
    assert words.headline(blocked) == "Other computers cannot connect: ufw on this computer blocks port 8000 (TCP)."
    assert not words.safety(blocked)  # no warning sign when nobody can connect
    unknown = reach.verdict(8000, "tcp", listeners, [WIFI], UNKNOWN)
    assert unknown.code == ReachCode.UNKNOWN and words.headline(unknown).startswith("Cannot tell")
    assert words.how_to_check(unknown) == "sudo nft list ruleset"
    lan = Condition(ConditionCode.FROM_ADDRESSES, ("10.0.0.0/8",))
    limited = FirewallAnswer(
        Inbound.LIMITED, "ufw", Reason.DEPENDS_ON_SENDER, port=8000, proto="tcp", conditions=(lan,)
    )
    some = reach.verdict(8000, "tcp", listeners, [WIFI], limited)
    assert some.code == ReachCode.REACHABLE_FROM_SOME and some.answer == Answer.PROBABLY
    assert words.headline(some).startswith("⚠ Some other computers on your Wi-Fi (wlan0) can reach it")
    # the reason and its condition in whole sentences (never the firewall's own words spliced in)
    said = words.reasons(some)
    assert "The firewall (ufw) lets port 8000/tcp in only from 10.0.0.0/8." in said
    assert (
        "IPv4 192.168.1.20:8000 on your Wi-Fi (wlan0): only some other computers can connect (from 10.0.0.0/8)." in said
    )
    fw_json = words.as_dict(some)["firewall"]
    assert isinstance(fw_json, dict) and fw_json["reason"] == "depends_on_sender"
    assert fw_json["conditions"] == [{"code": "from_addresses", "kind": "sender", "values": ["10.0.0.0/8"]}]


def test_specific_address_and_missing_address() -> None:
    one = reach.verdict(8000, "tcp", [Listener("172.17.0.1", 8000)], [WIFI, DOCKER], ALLOWED)
    assert one.code == ReachCode.REACHABLE and [p.address for p in one.open_paths()] == ["172.17.0.1"]
    assert words.headline(one) == (
        "⚠ Other computers on containers and virtual machines on this computer (docker0) can reach it at "
        "172.17.0.1:8000."
    )
    assert words.safety(one).startswith("⚠ Listening on a network address")
    gone = reach.verdict(8000, "tcp", [Listener("10.8.0.2", 8000)], [WIFI], ALLOWED)
    assert gone.code == ReachCode.NOT_LISTENING_HERE
    assert reach.verdict(8000, "tcp", [Listener("0.0.0.0", 8000)], [], ALLOWED).code == ReachCode.NO_NETWORK


def test_nothing_listens() -> None:
    v = reach.verdict(8000, "tcp", [], [WIFI], None)
    assert v.code == ReachCode.NOTHING_LISTENS
    assert "nothing on this computer listens on port 8000" in words.headline(v)


def test_own_address_results_are_read_knowing_they_run_over_loopback() -> None:
    listeners = [Listener("0.0.0.0", 8000)]
    refused = [OwnResult("192.168.1.20", "wlan0", OwnOutcome.REFUSED, 0.001)]
    # nothing filters loopback: a refusal means the program does not take connections there
    v = reach.verdict(8000, "tcp", listeners, [WIFI], ALLOWED, own=refused)
    assert v.code == ReachCode.NOT_LISTENING_HERE and v.paths[0].own_test == OwnTest.NOT_LISTENING
    # the loopback traffic is rejected by a rule: the refusal is the firewall's, not the program's (no "nothing
    # takes connections there"), and the verdict follows the rules for other computers
    reject = FirewallAnswer(
        Inbound.BLOCKED, "nftables", Reason.BLOCKED_BY_RULE, rule=RuleRef("nft", "inet", "t", "in", "reject")
    )
    v = reach.verdict(8000, "tcp", listeners, [WIFI], FixedView(ALLOWED, reject), own=refused)
    assert v.code == ReachCode.REACHABLE and v.paths[0].own_test == OwnTest.FILTERED
    text = " ".join(words.reasons(v))
    assert "nothing takes connections" not in text and "does not show what other computers meet" in text
    assert "loopback, which the firewall does not filter like traffic from other computers" in text
    # policy drop with an accept for the port, none for replies: no answer on loopback, yet others connect
    silent = [OwnResult("192.168.1.20", "wlan0", OwnOutcome.NO_ANSWER, 2.0)]
    v = reach.verdict(8000, "tcp", listeners, [WIFI], FixedView(ALLOWED, reject), own=silent)
    assert v.code == ReachCode.REACHABLE and v.paths[0].own_test == OwnTest.FILTERED
    # unreadable loopback rules: the failure does not count
    v = reach.verdict(8000, "tcp", listeners, [WIFI], FixedView(ALLOWED, UNKNOWN), own=silent)
    assert v.code == ReachCode.REACHABLE and v.paths[0].own_test == OwnTest.INCONCLUSIVE
    # nothing filters and no answer: the program does not answer
    v = reach.verdict(8000, "tcp", listeners, [WIFI], ALLOWED, own=silent)
    assert v.code == ReachCode.NOT_ANSWERING
    answered = [OwnResult("192.168.1.20", "wlan0", OwnOutcome.ANSWERED, 0.001)]
    ok = reach.verdict(8000, "tcp", listeners, [WIFI], ALLOWED, own=answered)
    assert ok.code == ReachCode.REACHABLE and ok.paths[0].own_test == OwnTest.LISTENS
    assert ok.as_dict()["own_address_test"] == [
        {"address": "192.168.1.20", "interface": "wlan0", "outcome": "answered"}
    ]
    # the answer does not override the firewall: it only shows the program listens there
    assert reach.verdict(8000, "tcp", listeners, [WIFI], BLOCKED, own=answered).code == ReachCode.BLOCKED_BY_FIREWALL


def test_local_block_fact_and_words() -> None:
    rule = RuleRef("nft", "inet", "filter", "input", "filter input: iif == lo tcp dport == 8005 drop", handle=7)
    drop = FirewallAnswer(Inbound.BLOCKED, "nftables", Reason.BLOCKED_BY_RULE, "sudo nft list ruleset", rule=rule)
    view = FixedView(ALLOWED, drop)
    b = reach.local_block(8005, "tcp", "127.0.0.1", view=view)
    assert b is not None and b.firewall.rule == rule and b.address == "127.0.0.1"
    assert reach.local_block(8005, "tcp", "127.0.0.1", view=FixedView(ALLOWED)) is None
    assert reach.local_block(8005, "tcp", "192.168.1.20", view=view) is None  # loopback addresses only
    assert "firewall drops local connections to port 8005 (TCP)" in words.local_block_text(b)
    assert words.local_block_steps(b) == [
        "See the rule: sudo nft -a list chain inet filter input",
        "Remove it (if nobody put it there on purpose): sudo nft delete rule inet filter input handle 7",
    ]
    ipt = RuleRef("iptables-legacy", "ipv4", "filter", "INPUT", "-A INPUT -i lo -p tcp --dport 8005 -j DROP",
                  spec=("-i", "lo", "-p", "tcp", "--dport", "8005", "-j", "DROP"))  # fmt: skip
    assert words.remove_command(ipt) == "sudo iptables-legacy -t filter -D INPUT -i lo -p tcp --dport 8005 -j DROP"


def test_connectivity_rows_name_the_local_firewall_instead_of_guessing() -> None:
    from loopgui.core.net.probes import Outcome, ProbeCode, ProbeResult, ProbeTest
    from loopgui.core.words import probes as probe_words

    rule = RuleRef("nft", "inet", "f", "input", "f input: iif == lo tcp dport == 8005 drop", handle=3)
    drop = FirewallAnswer(Inbound.BLOCKED, "nftables", Reason.BLOCKED_BY_RULE, rule=rule)
    timeout = ProbeResult(ProbeTest.TCP, "127.0.0.1:8005", Outcome.TIMEOUT, ProbeCode.TIMED_OUT, 3.0)

    def find(port: int, proto: str, address: str) -> reach.LocalBlock | None:
        return reach.local_block(port, proto, address, view=FixedView(ALLOWED, drop))

    (r,) = words.explain_timeouts([timeout], 8005, find)
    assert r.code == ProbeCode.LOCAL_FIREWALL_BLOCK and r.outcome == Outcome.TIMEOUT and r.seconds == 3.0
    assert r.block is not None and r.block.firewall.rule == rule and r.block.address == "127.0.0.1"
    text = probe_words.verdict_text(r)
    assert "often a firewall" not in text
    assert text.startswith("This computer's firewall drops local connections to port 8005 (TCP) at 127.0.0.1")
    assert "sudo nft delete rule inet f input handle 3" in text
    assert ("Firewall rule", rule.text) in probe_words.details(r)
    assert r.as_dict()["firewall"] is not None and r.as_dict()["code"] == "local_firewall_block"
    other = ProbeResult(ProbeTest.TCP, "10.0.0.9:8005", Outcome.TIMEOUT, ProbeCode.TIMED_OUT)
    assert words.explain_timeouts([other], 8005, find) == [other]  # not loopback: not asked


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
        assert no.outcome == OwnOutcome.REFUSED
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


def test_under_ufw_check_yourself_with_ufw_status_verbose() -> None:
    rule = RuleRef("iptables", "ipv4", "filter", "INPUT", "-A INPUT policy DROP", policy=True)
    ufw_on = FirewallAnswer(Inbound.BLOCKED, "iptables", Reason.BLOCKED_BY_RULE, "sudo ufw status verbose", rule=rule)
    v = reach.verdict(8000, "tcp", [Listener("0.0.0.0", 8000)], [WIFI], ufw_on)
    assert words.how_to_check(v) == "sudo ufw status verbose"
    plain = FirewallAnswer(Inbound.BLOCKED, "nftables", Reason.BLOCKED_BY_RULE, "sudo nft list ruleset",
                           rule=RuleRef("nft", "inet", "filter", "input", "x", handle=4))  # fmt: skip
    v = reach.verdict(8000, "tcp", [Listener("0.0.0.0", 8000)], [WIFI], plain)
    assert words.how_to_check(v) == "sudo nft -a list chain inet filter input"


def test_wildcard_address_is_described_in_a_whole_sentence() -> None:
    from loopgui.core.explain import knowledge
    from loopgui.core.words.explain import address_kind_sentence

    for addr in ("0.0.0.0", "::"):
        text = address_kind_sentence(knowledge.address_kind(addr))
        assert text.startswith("It listens on every network connection of this computer")
        assert not text.startswith("Every network connection of this computer:")
