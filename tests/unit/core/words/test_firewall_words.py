"""Firewall reasons and conditions in words (core/words/reach.py): every code has a whole sentence made through
gettext, the evidence fills its placeholders, commands are never translated, and German is German."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from loopgui.core.reach import assess as reach
from loopgui.core.reach.assess import Interface, Listener
from loopgui.core.reach.firewall import (
    MACOS_CHECK,
    MACOS_FIREWALL,
    WINDOWS_CHECK,
    WINDOWS_FIREWALL,
    Condition,
    ConditionCode,
    FirewallAnswer,
    Inbound,
    Reason,
    RuleRef,
)
from loopgui.core.words import i18n
from loopgui.core.words import reach as words

RULE = RuleRef("nft", "inet", "filter", "input", "filter input: tcp dport == 8000 drop", handle=5)
LAN = Condition(ConditionCode.FROM_ADDRESSES, ("192.168.1.0/24",))
WIFI = Interface("wlan0", reach.WIFI, ("192.168.1.20/24",))


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


def answer(reason: Reason, **evidence: object) -> FirewallAnswer:
    facts: dict[str, object] = {"port": 8000, "proto": "tcp", "zone": "public", "interfaces": ("eth0",)}
    facts.update(evidence)
    return FirewallAnswer(Inbound.UNKNOWN, "nftables", reason, "sudo nft list ruleset", **facts)  # type: ignore[arg-type]


def every_reason() -> list[FirewallAnswer]:
    out = []
    for reason in Reason:
        extra: dict[str, object] = {}
        if reason in (Reason.DEPENDS_ON_SENDER, Reason.BLOCKED_FOR_SOME, Reason.UNINTERPRETABLE):
            extra["conditions"] = (LAN,)
        if reason in (Reason.BLOCKED_BY_RULE, Reason.POLICY_DROP):
            extra["rule"] = RULE
        if reason in (Reason.FIREWALLD_SERVICE_OPEN, Reason.FIREWALLD_UNKNOWN_SERVICES):
            extra["services"] = ("cockpit",)
        if reason == Reason.OTHERS_UNREADABLE:
            extra["seen"] = answer(Reason.ALLOWS_ALL, zone="")
        out.append(answer(reason, **extra))
    return out


def test_every_reason_and_condition_has_a_sentence_through_gettext() -> None:
    """In the pseudo-language every sentence starts with its mark: English glued outside _() would not."""
    i18n.set_pseudo()
    for a in every_reason():
        text = words.firewall_text(a)
        assert text.startswith(i18n.Pseudo.MARK), (a.reason, text)
    for code in ConditionCode:
        assert words.condition_text(Condition(code, ("x",))).startswith(i18n.Pseudo.MARK), code


def test_reason_sentences_in_english() -> None:
    blocked = FirewallAnswer(Inbound.BLOCKED, "nftables", Reason.BLOCKED_BY_RULE, rule=RULE, port=8000, proto="tcp")
    assert words.firewall_text(blocked) == (
        "The firewall (nftables) blocks new connections to port 8000/tcp with the rule "
        "“filter input: tcp dport == 8000 drop”."
    )
    policy = RuleRef("", "", "filter", "INPUT", "INPUT policy DROP", policy=True)
    dropped = FirewallAnswer(
        Inbound.BLOCKED, "iptables (legacy)", Reason.POLICY_DROP, rule=policy, port=3000, proto="tcp"
    )
    assert words.firewall_text(dropped) == (
        "The firewall (iptables (legacy)) blocks new connections to port 3000/tcp: no rule lets them in, and its "
        "default (“INPUT policy DROP”) drops them."
    )
    service = answer(Reason.FIREWALLD_SERVICE_OPEN, services=("cockpit",), interfaces=("eth0", "br0"))
    assert words.firewall_text(service) == (
        "firewalld lets port 8000/tcp in as the service “cockpit” (zone “public”, network connections eth0 and br0)."
    )
    opaque = answer(Reason.UNINTERPRETABLE, conditions=(Condition(ConditionCode.MATCH, ("ct helper",)),))
    assert words.firewall_text(opaque) == (
        "The firewall (nftables) has rules loopgui cannot interpret for port 8000/tcp (the match “ct helper”)."
    )
    some = answer(Reason.BLOCKED_FOR_SOME, conditions=(LAN, Condition(ConditionCode.ON_INTERFACES, ("eth0",))))
    assert words.firewall_text(some) == (
        "The firewall (nftables) lets port 8000/tcp in, but blocks it from 192.168.1.0/24 and on eth0."
    )
    partial = answer(Reason.OTHERS_UNREADABLE, seen=FirewallAnswer(Inbound.ALLOWED, "ufw", Reason.ALLOWS_ALL))
    assert words.firewall_text(partial) == (
        "The firewall (ufw) lets every incoming connection in. Other firewall rules could not be read without "
        "administrator rights."
    )


def test_how_to_check_keeps_the_command_and_adds_the_settings_place() -> None:
    listeners = [Listener("0.0.0.0", 8000)]
    win = FirewallAnswer(Inbound.UNKNOWN, WINDOWS_FIREWALL, Reason.DEFAULT_DENY_UNREADABLE, WINDOWS_CHECK)
    v = reach.verdict(8000, "tcp", listeners, [WIFI], win)
    assert words.how_to_check(v) == (
        "Windows Security → Firewall & network protection (or: netsh advfirewall show currentprofile)"
    )
    mac = FirewallAnswer(Inbound.UNKNOWN, MACOS_FIREWALL, Reason.ALLOWED_PROGRAMS_ONLY, MACOS_CHECK)
    v = reach.verdict(8000, "tcp", listeners, [WIFI], mac)
    assert words.how_to_check(v).startswith("System Settings → Network → Firewall")
    assert MACOS_CHECK in words.how_to_check(v)


def test_a_blocked_by_rule_reason_in_german_is_german(tmp_path: Path) -> None:
    blocked = FirewallAnswer(
        Inbound.BLOCKED, "nftables", Reason.BLOCKED_BY_RULE, "sudo nft list ruleset", rule=RULE, port=8000, proto="tcp"
    )
    v = reach.verdict(8000, "tcp", [Listener("0.0.0.0", 8000)], [WIFI], blocked)
    english = words.reasons(v)
    # the shipped German catalog: the verdict and the path blocked by the rule are German, the rule stays as is
    i18n.set_language("de")
    assert words.headline(v) == (
        "Andere Computer können sich nicht verbinden: nftables auf diesem Computer blockiert Port 8000 (TCP)."
    )
    german = words.reasons(v)
    assert german != english
    assert any(s.endswith(": Die Firewall blockiert es (filter input: tcp dport == 8000 drop).") for s in german), (
        german
    )
    assert words.how_to_check(v) == "sudo nft -a list chain inet filter input"  # a command is never translated
    # the reason's own sentence is one whole msgid: a German catalog translates it whole, the evidence in place
    msgid = "The firewall ({firewall}) blocks new connections to port {port}/{proto} with the rule “{rule}”."
    msgstr = "Die Firewall ({firewall}) blockiert neue Verbindungen zu Port {port}/{proto} mit der Regel „{rule}“."
    (tmp_path / "de.po").write_text(
        f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "{msgid}"\nmsgstr "{msgstr}"\n',
        encoding="utf-8",
    )
    i18n.set_language("de", locale_dir=tmp_path)
    assert words.firewall_text(blocked) == (
        "Die Firewall (nftables) blockiert neue Verbindungen zu Port 8000/tcp mit der Regel "
        "„filter input: tcp dport == 8000 drop“."
    )


def test_a_limit_without_conditions_leaves_no_empty_parentheses() -> None:
    rich = FirewallAnswer(Inbound.LIMITED, "firewalld", Reason.FIREWALLD_RICH_RULE, port=8000, proto="tcp", zone="home")
    v = reach.verdict(8000, "tcp", [Listener("0.0.0.0", 8000)], [WIFI], rich)
    said = words.reasons(v)
    assert "IPv4 192.168.1.20:8000 on your Wi-Fi (wlan0): only some other computers can connect." in said
    assert "firewalld has a special rule for port 8000 (zone “home”)." in said and not any("()" in s for s in said)
