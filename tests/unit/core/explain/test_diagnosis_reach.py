"""The "can other computers connect?" verdict in the Explanation (diagnosis findings, report and JSON)."""

from __future__ import annotations

from collections.abc import Sequence

from loopgui.core.explain.diagnosis import diagnose, explain_row
from loopgui.core.net.sockets import SocketRow
from loopgui.core.programs.processes import ProcessFacts
from loopgui.core.reach import assess as reach
from loopgui.core.reach.assess import Interface, Listener, ReachVerdict
from loopgui.core.reach.firewall import FirewallAnswer, Inbound, Reason
from loopgui.core.words import explain as words
from loopgui.core.words.explain import render, report
from tests.helpers import as_map, row
from tests.unit.core.explain.test_diagnosis import env

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
    allowed = FirewallAnswer(Inbound.ALLOWED, "nftables", Reason.NO_INBOUND_RULES, "sudo nft list ruleset")
    rows = as_map([row(8000, local="0.0.0.0", program="python3", pid=9), row(9000, local="0.0.0.0")])
    d = diagnose("127.0.0.1:8000", rows, env=env(reach=reader(allowed, asked)), facts=facts)
    assert asked == [(8000, "tcp", ["0.0.0.0"])]
    texts = [f.text for f in render(d).findings]
    assert d.reach is not None and d.reach.code == reach.ReachCode.REACHABLE
    assert "⚠ Other computers on your Wi-Fi (wlan0) can reach it at 192.168.1.20:8000." in texts  # the answer first
    assert any(t.startswith("⚠ Listening on all addresses exposes the program to the network") for t in texts)
    assert "192.168.1.20 is in the network 192.168.1.0/24." in report(d)  # the prefix is in the details
    data = words.as_json(d)
    assert data["reach"]["code"] == "reachable" and data["reach"]["firewall"]["source"] == "nftables"  # type: ignore[index]
    assert data["reach"]["firewall"]["reason"] == "no_inbound_rules"  # type: ignore[index]
    said = "The firewall (nftables) has no rules for incoming connections."
    assert data["reach"]["text"]["firewall"] == said and said in data["reach"]["text"]["reasons"]  # type: ignore[index]
    assert data["reach"]["text"]["headline"].startswith("⚠ Other computers")  # type: ignore[index]


def test_loopback_listener_says_only_this_computer() -> None:
    asked: list[tuple[int, str, list[str]]] = []
    unused = FirewallAnswer(Inbound.UNKNOWN, "", Reason.NOT_READ)
    rows = as_map([row(3000, local="127.0.0.1", program="node", pid=7)])
    d = diagnose("connect ECONNREFUSED 127.0.0.1:3000", rows, env=env(reach=reader(unused, asked)), facts=facts)
    assert "Only this computer can connect: it listens on 127.0.0.1." in [f.text for f in render(d).findings]
    assert d.reach is not None and d.reach.code == reach.ReachCode.ONLY_THIS_COMPUTER
    assert not any("exposes" in f.text for f in render(d).findings)


def test_blocked_and_unknown_firewall_in_the_explanation() -> None:
    blocked = FirewallAnswer(Inbound.BLOCKED, "ufw", Reason.BLOCKED_BY_RULE, port=8000, proto="tcp")
    rows = as_map([row(8000, local="::", program="python3", pid=9)])
    d = diagnose("localhost:8000", rows, env=env(reach=reader(blocked, [])), facts=facts)
    assert d.reach is not None and d.reach.code == reach.ReachCode.BLOCKED_BY_FIREWALL
    texts = [f.text for f in render(d).findings]
    assert "Other computers cannot connect: ufw on this computer blocks port 8000 (TCP)." in texts
    unknown = FirewallAnswer(Inbound.UNKNOWN, "", Reason.KERNEL_RULES_UNREADABLE, "sudo nft list ruleset")
    d = diagnose("localhost:8000", rows, env=env(reach=reader(unknown, [])), facts=facts)
    assert d.reach is not None and d.reach.code == reach.ReachCode.UNKNOWN
    verdict = next(f for f in render(d).findings if f.text.startswith("Cannot tell"))
    assert "How to check yourself: sudo nft list ruleset" in verdict.detail
    assert "reading the system's own firewall rules needs administrator rights" in verdict.detail
    data = words.as_json(d)
    assert data["reach"]["firewall"]["reason"] == "kernel_rules_unreadable"  # type: ignore[index]
    assert data["reach"]["firewall"]["how_to_check"] == "sudo nft list ruleset"  # type: ignore[index]


def test_selected_udp_row_asks_about_udp() -> None:
    asked: list[tuple[int, str, list[str]]] = []
    allowed = FirewallAnswer(Inbound.ALLOWED, "nftables", Reason.ALLOWED_BY_RULE)
    udp = row(5353, proto="UDP", local="0.0.0.0", program="avahi", pid=3)
    explain_row(udp, as_map([udp]), env=env(reach=reader(allowed, asked)), facts=facts)
    assert asked == [(5353, "udp", ["0.0.0.0"])]


def test_a_failing_reader_leaves_the_bind_address_sentence() -> None:
    def broken(port: int, proto: str, listeners: Sequence[SocketRow]) -> ReachVerdict:
        raise RuntimeError("boom")

    rows = as_map([row(8000, local="0.0.0.0", program="python3", pid=9)])
    d = diagnose("127.0.0.1:8000", rows, env=env(reach=broken), facts=facts)
    assert d.reach is None and any("192.168.1.20:8000" in f.text for f in render(d).findings)


def test_a_timeout_to_this_computer_names_the_firewall_rule_that_drops_it() -> None:
    """`connect ETIMEDOUT 127.0.0.1:8005` with a program listening there and `iif lo tcp dport 8005 drop`: the
    explanation says the firewall drops it, which rule, and how to remove it (not "the program may be stuck")."""
    from dataclasses import replace as dc_replace

    from loopgui.core.explain.facts import Case, F, S
    from loopgui.core.reach.assess import LocalBlock
    from loopgui.core.reach.rules import RuleRef

    rule = RuleRef("nft", "inet", "filter", "input", 'iif "lo" tcp dport 8005 drop', handle=7)
    answer = FirewallAnswer(Inbound.BLOCKED, "nftables", Reason.BLOCKED_BY_RULE, rule=rule, port=8005, proto="tcp")
    asked: list[tuple[int, str, str]] = []

    def local(port: int, proto: str, address: str) -> LocalBlock | None:
        asked.append((port, proto, address))
        return LocalBlock(port, proto, address, answer) if port == 8005 else None

    rows = as_map([row(8005, local="127.0.0.1", program="python3", pid=9)])
    d = diagnose("connect ETIMEDOUT 127.0.0.1:8005", rows, env=dc_replace(env(), local_firewall=local), facts=facts)
    assert d.case.code is Case.LOCAL_FIREWALL and asked == [(8005, "tcp", "127.0.0.1")]
    assert d.has(F.LOCAL_FIREWALL_DROP) and d.step_codes() == [S.REMOVE_FIREWALL_RULE.value]
    r = render(d)
    assert r.headline == "This computer's firewall drops connections to port 8005 on 127.0.0.1, so nothing can answer."
    assert 'iif "lo" tcp dport 8005 drop' in r.findings[0].text
    assert "nft delete rule inet filter input handle 7" in r.next_steps[0]
    assert "busy or stuck" not in report(d)
    # a refused connection, or a port without such a rule, is explained as before
    other = diagnose("connect ETIMEDOUT 127.0.0.1:8006", {}, env=dc_replace(env(), local_firewall=local), facts=facts)
    assert other.case.code is Case.NOTHING_LISTENS
