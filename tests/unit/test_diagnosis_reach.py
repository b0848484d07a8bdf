"""The "can other computers connect?" verdict in the Explanation (diagnosis findings, report and JSON)."""

from __future__ import annotations

from collections.abc import Sequence

from loopgui.core.explain.diagnosis import diagnose, explain_row
from loopgui.core.net.sockets import SocketRow
from loopgui.core.programs.processes import ProcessFacts
from loopgui.core.reach import assess as reach
from loopgui.core.reach.assess import Interface, Listener, ReachVerdict
from loopgui.core.reach.firewall import FirewallAnswer, Inbound
from loopgui.core.words.explain import render, report
from tests.helpers import as_map, row
from tests.unit.test_diagnosis import env

WIFI = Interface("wlan0", reach.WIFI, ("192.168.1.20/24",))


def facts(pid: int) -> ProcessFacts:
    return ProcessFacts(pid=pid, name="python3", create_time=None, username="sam", cmdline=("python3",))


def reader(firewall: FirewallAnswer, asked: list[tuple[int, str, list[str]]]):  # type: ignore[no-untyped-def]
    """A reach reader over a made-up computer with one Wi-Fi connection."""

    def read(port: int, proto: str, listeners: Sequence[SocketRow]) -> ReachVerdict:
        asked.append((port, proto, [r.local_addr for r in listeners]))
        found = [Listener(r.local_addr, port, proto) for r in listeners]
        return reach.verdict(port, proto, found, [WIFI], firewall, default_v6only=False)

    return read


def test_wildcard_listener_gets_the_wifi_verdict_and_the_safety_note() -> None:
    asked: list[tuple[int, str, list[str]]] = []
    allowed = FirewallAnswer(
        Inbound.ALLOWED, "nftables", "The firewall (nftables) has no rules for incoming connections."
    )
    rows = as_map([row(8000, local="0.0.0.0", program="python3", pid=9), row(9000, local="0.0.0.0")])
    d = diagnose("127.0.0.1:8000", rows, env=env(reach=reader(allowed, asked)), facts=facts)
    assert asked == [(8000, "tcp", ["0.0.0.0"])]
    texts = [f.text for f in render(d).findings]
    assert (
        "Other computers on your Wi-Fi (192.168.1.0/24) can probably connect: it listens on all IPv4 addresses "
        "(0.0.0.0) and the firewall has no rule against it."
    ) in texts
    assert any(t.startswith("Listening on all addresses exposes the program to the network") for t in texts)
    assert "Through your Wi-Fi (192.168.1.0/24) at 192.168.1.20:8000 (wlan0)" in report(d)
    data = d.as_dict()
    assert data["reach"]["answer"] == "probably" and data["reach"]["firewall"]["source"] == "nftables"  # type: ignore[index]


def test_loopback_listener_says_only_this_computer() -> None:
    asked: list[tuple[int, str, list[str]]] = []
    unused = FirewallAnswer(Inbound.UNKNOWN, "", "not read")
    rows = as_map([row(3000, local="127.0.0.1", program="node", pid=7)])
    d = diagnose("connect ECONNREFUSED 127.0.0.1:3000", rows, env=env(reach=reader(unused, asked)), facts=facts)
    assert "Only this computer: it listens on 127.0.0.1." in [f.text for f in render(d).findings]
    assert d.reach is not None and d.reach.answer == reach.Answer.NO
    assert not any("exposes" in f.text for f in render(d).findings)


def test_blocked_and_unknown_firewall_in_the_explanation() -> None:
    blocked = FirewallAnswer(Inbound.BLOCKED, "ufw", "The firewall ufw blocks new connections to port 8000/tcp.")
    rows = as_map([row(8000, local="::", program="python3", pid=9)])
    d = diagnose("localhost:8000", rows, env=env(reach=reader(blocked, [])), facts=facts)
    assert any(f.text.startswith("Other computers probably cannot connect") for f in render(d).findings)
    unknown = FirewallAnswer(
        Inbound.UNKNOWN, "", "Reading the firewall needs administrator rights.", "sudo nft list ruleset"
    )
    d = diagnose("localhost:8000", rows, env=env(reach=reader(unknown, [])), facts=facts)
    verdict = next(f for f in render(d).findings if f.text.startswith("Unknown:"))
    assert "How to check yourself: sudo nft list ruleset" in verdict.detail


def test_selected_udp_row_asks_about_udp() -> None:
    asked: list[tuple[int, str, list[str]]] = []
    allowed = FirewallAnswer(Inbound.ALLOWED, "nftables", "ok")
    udp = row(5353, proto="UDP", local="0.0.0.0", program="avahi", pid=3)
    explain_row(udp, as_map([udp]), env=env(reach=reader(allowed, asked)), facts=facts)
    assert asked == [(5353, "udp", ["0.0.0.0"])]


def test_a_failing_reader_leaves_the_bind_address_sentence() -> None:
    def broken(port: int, proto: str, listeners: Sequence[SocketRow]) -> ReachVerdict:
        raise RuntimeError("boom")

    rows = as_map([row(8000, local="0.0.0.0", program="python3", pid=9)])
    d = diagnose("127.0.0.1:8000", rows, env=env(reach=broken), facts=facts)
    assert d.reach is None and any("192.168.1.20:8000" in f.text for f in render(d).findings)
