"""Firewall parsers on recorded outputs (tests/data/firewall, each with its source), and the Linux reader."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopgui.core.reach import firewall as fw
from loopgui.core.reach.firewall import Condition, ConditionCode, Inbound, Reason
from tests.paths import DATA

DATA = DATA / "firewall"


def data(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def test_every_data_file_is_listed_with_its_source() -> None:
    sources = data("SOURCES.md")
    for path in DATA.iterdir():
        if path.name.startswith("public_") and path.suffix != ".tsv":
            assert path.name in sources, path.name
    for line in data("public_socketfilterfw.tsv").splitlines()[1:]:
        assert line.split("\t")[0].startswith("https://")


# -- nftables (generated here inside a private network namespace) ------------------------------------------------


ON_WLAN0 = Condition(ConditionCode.ON_INTERFACES, ("wlan0",))
FROM_LAN = Condition(ConditionCode.FROM_ADDRESSES, ("192.168.1.0/24",))


@pytest.mark.parametrize(
    ("port", "proto", "inbound", "reason", "conditions"),
    [
        (22, "tcp", Inbound.ALLOWED, Reason.ALLOWED_BY_RULE, ()),
        (8080, "tcp", Inbound.ALLOWED, Reason.ALLOWED_BY_RULE, ()),
        (5353, "udp", Inbound.ALLOWED, Reason.ALLOWED_BY_RULE, ()),
        (5353, "tcp", Inbound.BLOCKED, Reason.BLOCKED_BY_RULE, ()),
        (3000, "tcp", Inbound.BLOCKED, Reason.BLOCKED_BY_RULE, ()),
        (9000, "tcp", Inbound.LIMITED, Reason.DEPENDS_ON_SENDER, (ON_WLAN0,)),
        (5432, "tcp", Inbound.LIMITED, Reason.DEPENDS_ON_SENDER, (FROM_LAN,)),
    ],
)
def test_nft_default_drop(
    port: int, proto: str, inbound: Inbound, reason: Reason, conditions: tuple[Condition, ...]
) -> None:
    answer = fw.nft_inbound(data("generated_nft_default_drop.json"), port, proto, 4)
    assert (answer.inbound, answer.reason, answer.conditions) == (inbound, reason, conditions)
    assert (answer.port, answer.proto) == (port, proto)
    assert answer.source == "nftables" and answer.how_to_check == "sudo nft list ruleset"


def test_nft_family_matters_for_an_ipv4_only_rule() -> None:
    # "ip saddr 192.168.1.0/24 tcp dport 5432 accept" cannot match IPv6: the chain's reject decides
    assert fw.nft_inbound(data("generated_nft_default_drop.json"), 5432, "tcp", 6).inbound == Inbound.BLOCKED


def test_nft_empty_ruleset_and_unreadable_output() -> None:
    empty = fw.nft_inbound(data("generated_nft_empty.json"), 22)
    assert (empty.inbound, empty.reason) == (Inbound.ALLOWED, Reason.NO_INBOUND_RULES)
    for text in ("", "Error: Operation not permitted", "[1, 2]", '{"nftables": 3}'):
        answer = fw.nft_inbound(text, 22)
        assert (answer.inbound, answer.reason) == (Inbound.UNKNOWN, Reason.RULES_UNREADABLE) and answer.how_to_check


def test_nft_sees_iptables_nft_rules_as_opaque_but_follows_plain_ones() -> None:
    text = data("generated_nft_from_iptables_nft.json")
    assert fw.nft_inbound(text, 22).inbound == Inbound.ALLOWED
    assert fw.nft_inbound(text, 6379).inbound == Inbound.BLOCKED  # jump blocklist -> tcp dport 6379 drop
    unknown = fw.nft_inbound(text, 3000)
    assert (unknown.inbound, unknown.reason) == (Inbound.UNKNOWN, Reason.UNINTERPRETABLE)
    assert unknown.conditions == (Condition(ConditionCode.IPTABLES_IN_NFTABLES),)


def test_nft_jump_loops_and_deep_chains_end() -> None:
    looping = {
        "nftables": [
            {"chain": {"family": "inet", "table": "t", "name": "in", "hook": "input", "type": "filter", "prio": 0}},
            {"chain": {"family": "inet", "table": "t", "name": "a"}},
            {"rule": {"family": "inet", "table": "t", "chain": "in", "expr": [{"jump": {"target": "a"}}]}},
            {"rule": {"family": "inet", "table": "t", "chain": "a", "expr": [{"jump": {"target": "a"}}]}},
        ]
    }
    import json

    answer = fw.nft_inbound(json.dumps(looping), 80)
    assert (answer.inbound, answer.reason) == (Inbound.UNKNOWN, Reason.TOO_INVOLVED)


# -- iptables ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("port", "inbound"),
    [(22, Inbound.ALLOWED), (80, Inbound.ALLOWED), (8050, Inbound.ALLOWED), (3306, Inbound.LIMITED),
     (6379, Inbound.BLOCKED), (3000, Inbound.BLOCKED)],
)  # fmt: skip
def test_iptables_generated_save_and_dash_s_agree(port: int, inbound: Inbound) -> None:
    assert fw.iptables_inbound(data("generated_iptables_save.txt"), port).inbound == inbound
    assert fw.iptables_inbound(data("generated_iptables_S.txt"), port).inbound == inbound


def test_iptables_algo_vpn_server() -> None:
    text = data("public_iptables_save_algo_296.txt")
    assert fw.iptables_inbound(text, 22).inbound == Inbound.ALLOWED  # --dport 22 --ctstate NEW
    assert fw.iptables_inbound(text, 4500, "udp").inbound == Inbound.ALLOWED  # multiport 500,4500
    limited = fw.iptables_inbound(text, 8080)  # only to the VPN's own address 172.16.0.1
    assert (limited.inbound, limited.reason) == (Inbound.LIMITED, Reason.DEPENDS_ON_SENDER)
    assert limited.conditions == (Condition(ConditionCode.TO_ADDRESSES, ("172.16.0.1/32",)),)
    blocked = fw.iptables_inbound(text, 3000)
    assert (blocked.inbound, blocked.reason) == (Inbound.BLOCKED, Reason.POLICY_DROP)
    assert "INPUT policy DROP" in blocked.details and blocked.rule is not None and blocked.rule.policy


def test_iptables_setup_ipsec_vpn() -> None:
    text = data("public_iptables_save_setup_ipsec_vpn_499.txt")
    assert fw.iptables_inbound(text, 443).inbound == Inbound.ALLOWED  # NEW + --dport 443
    answer = fw.iptables_inbound(text, 8080)
    # the syn-flood chain returns (its limit lets a first SYN through), then "-j REJECT"; the accept for
    # 192.168.42.0/24 makes it "only from there"; the -s 127.0.0.1 rule can never match another computer
    assert answer.inbound == Inbound.LIMITED
    assert answer.reason == Reason.DEPENDS_ON_SENDER
    assert answer.conditions == (Condition(ConditionCode.FROM_ADDRESSES, ("192.168.42.0/24",)),)


def test_iptables_unreadable() -> None:
    for text in ("", "iptables-save v1.8.9 (nf_tables): Permission denied (you must be root)"):
        assert fw.iptables_inbound(text, 22).inbound == Inbound.UNKNOWN


def test_iptables_negation_interface_and_tcp_flags() -> None:
    rules = "\n".join(
        [
            "-P INPUT DROP",
            "-A INPUT ! -i lo -p tcp --dport 81 -j ACCEPT",  # every network connection but loopback
            "-A INPUT -p tcp --tcp-flags ALL NONE -j DROP",  # null scan: not a SYN
            "-A INPUT -p tcp ! --dport 82 -j ACCEPT",
        ]
    )
    assert fw.iptables_inbound(rules, 81).inbound == Inbound.ALLOWED
    assert fw.iptables_inbound(rules, 83).inbound == Inbound.ALLOWED
    assert fw.iptables_inbound(rules, 82).inbound == Inbound.BLOCKED


# -- ufw ---------------------------------------------------------------------------------------------------------


def test_ufw_verbose_from_ufw_docker() -> None:
    text = data("public_ufw_status_verbose_ufw_docker_21.txt")
    allowed = fw.ufw_inbound(text, 22, "tcp")
    assert allowed.inbound == Inbound.ALLOWED and allowed.source == "ufw"
    assert fw.ufw_inbound(text, 22, "tcp", 6).inbound == Inbound.ALLOWED  # the (v6) rule
    blocked = fw.ufw_inbound(text, 80, "tcp")  # ALLOW FWD is for routed traffic, not for this computer
    assert (blocked.inbound, blocked.reason) == (Inbound.BLOCKED, Reason.POLICY_DROP)
    assert blocked.details[0] == "Default: deny (incoming)"  # as ufw prints it
    assert fw.ufw_inbound(text, 22, "udp").inbound == Inbound.BLOCKED


def test_ufw_numbered_without_default_from_cloudflare_ufw() -> None:
    text = data("public_ufw_status_numbered_cloudflare_ufw_3.txt")
    assert fw.ufw_inbound(text, 22).inbound == Inbound.ALLOWED  # [ 2] 22/tcp ALLOW IN Anywhere
    answer = fw.ufw_inbound(text, 8080)  # only rules for some senders, and the default is not shown
    assert (answer.inbound, answer.reason) == (Inbound.UNKNOWN, Reason.NO_RULE_DEFAULT_UNKNOWN)
    assert (answer.port, answer.proto) == (8080, "tcp")


def test_ufw_inactive_and_files() -> None:
    off = fw.ufw_inbound("Status: inactive\n", 22)
    assert (off.inbound, off.reason, off.source) == (Inbound.ALLOWED, Reason.SWITCHED_OFF, "ufw")
    unread = fw.ufw_inbound("ERROR: You need to be root to run this script\n", 22)
    assert (unread.inbound, unread.reason) == (Inbound.UNKNOWN, Reason.RULES_UNREADABLE)
    assert fw.ufw_enabled("# /etc/ufw/ufw.conf\nENABLED=yes\nLOGLEVEL=low\n") is True
    assert fw.ufw_enabled("ENABLED=no\n") is False and fw.ufw_enabled("") is None
    assert fw.ufw_default_input('IPV6=yes\nDEFAULT_INPUT_POLICY="DROP"\n') == "drop"


def test_ufw_interface_and_application_rules() -> None:
    text = "\n".join(
        [
            "Status: active",
            "Default: deny (incoming), allow (outgoing), disabled (routed)",
            "",
            "To                         Action      From",
            "--                         ------      ----",
            "8000:8100/tcp on wlan0     ALLOW IN    Anywhere",
        ]
    )
    limited = fw.ufw_inbound(text, 8050)
    assert (limited.inbound, limited.reason) == (Inbound.LIMITED, Reason.DEPENDS_ON_SENDER)
    assert limited.conditions == (ON_WLAN0,)
    assert fw.ufw_inbound(text, 8200).inbound == Inbound.BLOCKED
    app = text + "\nApache Full                ALLOW IN    Anywhere\n"
    profile = fw.ufw_inbound(app, 80)  # which ports "Apache Full" has is not shown
    assert (profile.inbound, profile.reason) == (Inbound.UNKNOWN, Reason.UNINTERPRETABLE)
    assert profile.conditions == (Condition(ConditionCode.APPLICATION_PROFILE, ("Apache Full",)),)


# -- firewalld ---------------------------------------------------------------------------------------------------


def test_firewalld_ports_services_and_default_target() -> None:
    text = data("public_firewalld_list_all_firewalld_641.txt")
    port = fw.firewalld_inbound(text, 2002)  # 2001-2003/tcp
    assert (port.inbound, port.reason, port.details[-1]) == (
        Inbound.ALLOWED,
        Reason.FIREWALLD_PORT_OPEN,
        "ports: 2001-2003/tcp",
    )
    cockpit = fw.firewalld_inbound(text, 9090)
    assert (cockpit.inbound, cockpit.reason, cockpit.services) == (
        Inbound.ALLOWED,
        Reason.FIREWALLD_SERVICE_OPEN,
        ("cockpit",),
    )
    blocked = fw.firewalld_inbound(text, 8080)
    assert (blocked.inbound, blocked.reason) == (Inbound.BLOCKED, Reason.FIREWALLD_BLOCKS)
    assert blocked.zone == "home" and "br0" in blocked.interfaces and (blocked.port, blocked.proto) == (8080, "tcp")
    assert fw.firewalld_inbound(data("public_firewalld_list_all_ginger_107.txt"), 22).inbound == Inbound.ALLOWED
    assert fw.firewalld_inbound(data("public_firewalld_list_all_ginger_107.txt"), 3000).inbound == Inbound.BLOCKED
    assert fw.firewalld_running("running\n") is True and fw.firewalld_running("not running\n") is False


def test_firewalld_unknown_service_is_not_guessed() -> None:
    text = "public (active)\n  target: default\n  services: ssh my-app\n  ports: \n"
    answer = fw.firewalld_inbound(text, 7000)
    assert answer.inbound == Inbound.UNKNOWN and answer.how_to_check == "firewall-cmd --info-service=my-app"
    assert answer.reason == Reason.FIREWALLD_UNKNOWN_SERVICES and answer.services == ("my-app",)


# -- Windows -----------------------------------------------------------------------------------------------------


def test_netsh_profiles_real_outputs() -> None:
    (domain,) = fw.netsh_profiles(data("public_netsh_currentprofile_datacadamia.txt"))
    assert domain.name == "Domain" and domain.on and domain.inbound == "blockinbound"
    (public,) = fw.netsh_profiles(data("public_netsh_monitor_public_datacadamia.txt"))
    assert public.name == "Public" and public.on


def test_netsh_rules_for_port_and_program() -> None:
    profile = data("public_netsh_monitor_public_datacadamia.txt")  # Public profile, BlockInbound
    rules = data("handmade_netsh_rules.txt")
    ok = fw.netsh_inbound(profile, rules, 8080, "tcp", program=r"C:\Tools\demo.exe")
    assert ok.inbound == Inbound.ALLOWED
    other_program = fw.netsh_inbound(profile, rules, 8080, "tcp", program=r"C:\Other\server.exe")
    assert other_program.inbound == Inbound.BLOCKED
    rule = fw.netsh_inbound(profile, rules, 6379)  # a block rule
    assert (rule.inbound, rule.reason, rule.source) == (Inbound.BLOCKED, Reason.BLOCKED_BY_RULE, fw.WINDOWS_FIREWALL)
    assert (other_program.reason, other_program.details) == (Reason.POLICY_DROP, ("Firewall Policy BlockInbound",))
    assert fw.netsh_inbound(profile, rules, 9000).inbound == Inbound.BLOCKED  # its allow rule is disabled
    assert fw.netsh_inbound(profile, rules, 5050).inbound == Inbound.BLOCKED  # that rule is for "Private" only
    private = profile.replace("Public Profile", "Private Profile")
    limited = fw.netsh_inbound(private, rules, 5050)
    assert (limited.inbound, limited.reason) == (Inbound.LIMITED, Reason.DEPENDS_ON_SENDER)
    assert limited.conditions == (Condition(ConditionCode.FROM_ADDRESSES, ("LocalSubnet",)),)


def test_netsh_off_and_unreadable() -> None:
    off = data("public_netsh_currentprofile_datacadamia.txt").replace("ON", "OFF")
    assert fw.netsh_inbound(off, "", 8080).reason == Reason.SWITCHED_OFF
    assert fw.netsh_inbound("Der Befehl wurde nicht gefunden.", "", 8080).reason == Reason.RULES_UNREADABLE
    unread = fw.netsh_inbound(data("public_netsh_currentprofile_datacadamia.txt"), "", 8080)
    assert (unread.inbound, unread.reason) == (Inbound.UNKNOWN, Reason.DEFAULT_DENY_UNREADABLE)
    assert unread.how_to_check == "netsh advfirewall show currentprofile"  # a command, never translated
    block_all = data("public_netsh_currentprofile_datacadamia.txt").replace("BlockInbound,", "BlockInboundAlways,")
    assert fw.netsh_inbound(block_all, "", 8080).reason == Reason.BLOCK_ALL


# -- macOS -------------------------------------------------------------------------------------------------------


def test_socketfilterfw_real_lines() -> None:
    expected = {0: Inbound.ALLOWED, 1: Inbound.UNKNOWN, 2: Inbound.BLOCKED}
    for line in data("public_socketfilterfw.tsv").splitlines()[1:]:
        output = line.split("\t")[1]
        state = fw.socketfilterfw_state(output)
        assert state in expected
        assert fw.macos_app_firewall(output).inbound == expected[state]
    assert fw.macos_app_firewall("").inbound == Inbound.UNKNOWN
    on = fw.macos_app_firewall("Firewall is enabled. (State = 1)")
    assert (on.reason, on.source) == (Reason.ALLOWED_PROGRAMS_ONLY, fw.MACOS_FIREWALL)
    assert on.how_to_check == fw.MACOS_CHECK


def test_pf_rules() -> None:
    assert fw.pf_inbound(data("public_pfctl_macos_security_353.txt"), 22).inbound == Inbound.BLOCKED
    opnsense = fw.pf_inbound(data("public_pfctl_opnsense_2866.txt"), 22)
    assert opnsense.inbound == Inbound.LIMITED
    assert Condition(ConditionCode.ON_INTERFACES, ("igb3",)) in opnsense.conditions
    last_wins = "block drop in all\npass in proto tcp from any to any port = 22 flags S/SA keep state\n"
    assert fw.pf_inbound(last_wins, 22).inbound == Inbound.ALLOWED
    assert fw.pf_inbound(last_wins, 23).inbound == Inbound.BLOCKED
    quick = "block drop in quick proto tcp to any port { 22 23 }\npass in all\n"
    assert fw.pf_inbound(quick, 23).inbound == Inbound.BLOCKED
    assert fw.pf_inbound("", 22).inbound == Inbound.ALLOWED


# -- reading this computer (commands replaced by recorded outputs) -----------------------------------------------


class FakeRun:
    def __init__(self, outputs: dict[str, tuple[int, str] | None]) -> None:
        self.outputs = outputs
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, args: Sequence[str]) -> tuple[int, str] | None:
        self.calls.append(tuple(args))
        assert args[0].startswith("/")  # commands run by absolute path only
        return self.outputs.get(args[0].rsplit("/", 1)[-1])


def which(name: str) -> str:
    return f"/usr/sbin/{name}"


def test_linux_reader_uses_nft_when_readable() -> None:
    run = FakeRun({"nft": (0, data("generated_nft_default_drop.json"))})
    answer = fw.read_firewall(22, "tcp", (4,), platform="linux", run=run, which=which, read=lambda p: None)
    assert answer.inbound == Inbound.ALLOWED
    assert all(not any(c in ("sh", "bash", "-c") for c in call) for call in run.calls)  # fixed commands only


def test_linux_reader_without_admin_rights_says_unknown_and_how_to_check() -> None:
    run = FakeRun({"nft": (1, ""), "iptables-legacy-save": (1, ""), "iptables-nft-save": (1, "")})
    answer = fw.read_firewall(8080, "tcp", (4,), platform="linux", run=run, which=which, read=lambda p: None)
    assert answer.inbound == Inbound.UNKNOWN and answer.how_to_check == "sudo nft list ruleset"
    assert (answer.reason, answer.source, answer.port) == (Reason.KERNEL_RULES_UNREADABLE, "", 8080)
    files = {"/etc/ufw/ufw.conf": "ENABLED=yes\n", "/etc/default/ufw": 'DEFAULT_INPUT_POLICY="DROP"\n'}
    ufw = fw.read_firewall(8080, "tcp", (4,), platform="linux", run=run, which=which, read=files.get)
    assert ufw.inbound == Inbound.UNKNOWN and ufw.source == "ufw" and "sudo ufw status verbose" in ufw.how_to_check
    assert ufw.reason == Reason.DEFAULT_DENY_UNREADABLE
    accept = {**files, "/etc/default/ufw": 'DEFAULT_INPUT_POLICY="ACCEPT"\n'}
    partial = fw.read_firewall(8080, "tcp", (4,), platform="linux", run=run, which=which, read=accept.get)
    assert (partial.inbound, partial.reason) == (Inbound.UNKNOWN, Reason.OTHERS_UNREADABLE)
    assert partial.seen is not None and (partial.seen.source, partial.seen.reason) == ("ufw", Reason.ALLOWS_ALL)


def test_linux_reader_reads_ufw_status_only_without_the_kernel_rules() -> None:
    ufw = data("public_ufw_status_verbose_ufw_docker_21.txt")
    run = FakeRun({"nft": (1, ""), "ufw": (0, ufw)})
    answer = fw.read_firewall(80, "tcp", (4,), platform="linux", run=run, which=which, read=lambda p: None)
    assert answer.inbound == Inbound.BLOCKED and answer.source == "ufw"
    # with the kernel's rules readable, ufw's own rules are among them: its status is not asked
    run = FakeRun({"nft": (0, data("generated_nft_empty.json")), "ufw": (0, ufw)})
    answer = fw.read_firewall(80, "tcp", (4,), platform="linux", run=run, which=which, read=lambda p: None)
    assert answer.inbound == Inbound.ALLOWED and not any(c[0].endswith("ufw") for c in run.calls)


def test_linux_reader_prefers_iptables_save_for_iptables_nft_rules() -> None:
    run = FakeRun(
        {
            "nft": (0, data("generated_nft_from_iptables_nft.json")),
            "iptables-nft-save": (0, data("generated_iptables_save.txt")),
        }
    )
    answer = fw.read_firewall(8050, "tcp", (4,), platform="linux", run=run, which=which, read=lambda p: None)
    assert answer.inbound == Inbound.ALLOWED  # (nft alone sees opaque "xt" rules: its ip filter table is skipped)


def test_other_platforms_readers() -> None:
    win = FakeRun(
        {"netsh": (0, data("public_netsh_monitor_public_datacadamia.txt") + "\n" + data("handmade_netsh_rules.txt"))}
    )
    assert fw.read_firewall(6379, platform="win32", run=win, which=which).inbound == Inbound.BLOCKED
    mac = FakeRun({"socketfilterfw": (0, "Firewall is disabled. (State = 0)\n")})
    assert fw.read_firewall(22, platform="darwin", run=mac, which=which).inbound == Inbound.ALLOWED
    other = fw.read_firewall(22, platform="sunos5", run=mac)
    assert (other.inbound, other.reason) == (Inbound.UNKNOWN, Reason.UNSUPPORTED_SYSTEM)


def test_commands_stop_when_the_time_is_used_up() -> None:
    slow_calls: list[str] = []

    def slow(args: Sequence[str]) -> tuple[int, str] | None:
        slow_calls.append(args[0])
        time.sleep(0.2)
        return (1, "")

    start = time.perf_counter()
    answer = fw.read_firewall(80, platform="linux", run=slow, which=which, read=lambda p: None, budget=0.3)
    assert time.perf_counter() - start < 1.0 and len(slow_calls) == 2  # nft, iptables-legacy-save; then no time
    assert answer.inbound == Inbound.UNKNOWN


def test_cached_reader_asks_once_within_its_time() -> None:
    calls: list[int] = []

    def reader(port: int, proto: str, versions: Sequence[int], program: str = "") -> fw.FirewallAnswer:
        calls.append(port)
        return fw.FirewallAnswer(Inbound.ALLOWED, "x", Reason.ALLOWED_BY_RULE)

    cached = fw.CachedFirewall(ttl=60, reader=reader)
    cached(80)
    cached(80)
    cached(81)
    assert calls == [80, 81]


# -- any input ---------------------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_parsers_never_crash(text: str) -> None:
    for parse in (fw.nft_inbound, fw.iptables_inbound, fw.ufw_inbound, fw.firewalld_inbound, fw.pf_inbound):
        assert isinstance(parse(text, 80, "tcp", 4), fw.FirewallAnswer)
    assert isinstance(fw.netsh_inbound(text, text, 80), fw.FirewallAnswer)
    fw.socketfilterfw_state(text)


def test_hostile_inputs_stay_linear() -> None:
    big = 200_000
    hostile = [
        " " * big + "x",
        "\n" * big,
        "-A INPUT " + "-j x " * (big // 6),
        "Status: active\n--  --\n" + ("22/tcp" + " " * 50 + "ALLOW IN    Anywhere\n") * 2000,
        "Rule Name: a" + " " * big + "b\n",
        "pass in " + "port { " * (big // 7),
    ]
    start = time.perf_counter()
    for text in hostile:
        for parse in (fw.iptables_inbound, fw.ufw_inbound, fw.firewalld_inbound, fw.pf_inbound):
            parse(text, 80, "tcp", 4)
        fw.netsh_inbound(text, text, 80)
    assert time.perf_counter() - start < 10  # catches quadratic blow-ups only


def test_large_rulesets_are_followed_to_the_end() -> None:
    import json

    n = 20_000
    ipt = "*filter\n:INPUT DROP [0:0]\n"
    ipt += "".join(f"-A INPUT -s 10.0.{i // 256 % 256}.{i % 256}/32 -j DROP\n" for i in range(n))
    ipt += "-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n"
    items: list[object] = [
        {"chain": {"family": "inet", "table": "t", "name": "in", "hook": "input", "type": "filter", "policy": "drop"}}
    ]
    saddr = {"payload": {"protocol": "ip", "field": "saddr"}}
    items += [
        {"rule": {"family": "inet", "table": "t", "chain": "in", "expr": [
            {"match": {"op": "==", "left": saddr, "right": f"10.0.{i // 256 % 256}.{i % 256}"}}, {"drop": None}]}}
        for i in range(n)
    ]  # fmt: skip
    dport = {"payload": {"protocol": "tcp", "field": "dport"}}
    items.append(
        {"rule": {"family": "inet", "table": "t", "chain": "in", "expr": [
            {"match": {"op": "==", "left": dport, "right": 22}}, {"accept": None}]}}
    )  # fmt: skip
    start = time.perf_counter()
    a = fw.iptables_inbound(ipt, 22)
    b = fw.nft_inbound(json.dumps({"nftables": items}), 22)
    assert time.perf_counter() - start < 10  # linear; catches blow-ups only
    for answer in (a, b):  # let in, but the blocklist stops some senders: "limited", with the first few named
        assert (answer.inbound, answer.reason) == (Inbound.LIMITED, Reason.BLOCKED_FOR_SOME)
        first = answer.conditions[0]  # (iptables writes "10.0.0.0/32", nft "10.0.0.0")
        assert first.code == ConditionCode.FROM_ADDRESSES and first.values[0] in ("10.0.0.0/32", "10.0.0.0")


# -- running a reader: absolute paths, output capped while it streams, the whole process group killed ------------


def test_commands_run_by_absolute_path_only() -> None:
    assert fw.run_fixed(["true"]) is None  # a bare name is never looked up in PATH
    assert fw.run_fixed(["/bin/sh", "-c", "echo hi"]) == (0, "hi\n")
    assert fw.find_command("sh", folders=("/nonexistent", "/bin", "/usr/bin")) in ("/bin/sh", "/usr/bin/sh")
    assert fw.find_command("surely-not-a-command-here") is None
    calls: list[tuple[str, ...]] = []

    def run(args: Sequence[str]) -> tuple[int, str] | None:
        calls.append(tuple(args))
        return None

    fw.read_rulesets((4, 6), run=run, read=lambda p: None, which=lambda n: f"/opt/fake/{n}" if n != "ufw" else None)
    assert calls and all(c[0].startswith("/opt/fake/") for c in calls)
    assert {c[0].rsplit("/", 1)[1] for c in calls} >= {"nft", "iptables-legacy-save", "iptables-nft-save",
                                                       "ip6tables-legacy-save", "ip6tables-nft-save"}  # fmt: skip


def test_endless_output_is_cut_while_it_streams(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="loopgui.firewall")
    endless = ["/bin/sh", "-c", "while :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done"]
    assert fw.run_fixed(endless, cap=100_000, timeout=60) is None
    assert "too much output" in caplog.text  # stopped at the cap, not at the time limit
    done = fw.run_fixed(["/bin/sh", "-c", "i=0; while [ $i -lt 500 ]; do echo 123456789; i=$((i+1)); done"])
    assert done is not None and done[1] == "123456789\n" * 500  # (below the cap: all of it)


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    import os

    mark = tmp_path / "child.pid"
    # the command starts a child that would outlive it and keep the pipe open
    script = f"sleep 30 & echo $! > {mark}; wait"
    assert fw.run_fixed(["/bin/sh", "-c", script], timeout=0.5) is None
    child = int(mark.read_text())
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{child}/stat", encoding="ascii") as f:  # a zombie waiting for its reaper is gone too
            if f.read().split(") ", 1)[1].startswith("Z"):
                break
        time.sleep(0.02)
    else:
        raise AssertionError("the child of the timed-out command still runs")


def test_ufw_named_when_it_is_on_and_the_kernel_rules_decide() -> None:
    nft = data("generated_nft_default_drop.json")
    run = FakeRun({"nft": (0, nft)})
    files = {"/etc/ufw/ufw.conf": "ENABLED=yes\n"}
    answer = fw.read_firewall(3000, "tcp", (4,), platform="linux", run=run, which=which, read=files.get)
    assert answer.inbound == Inbound.BLOCKED and answer.how_to_check == "sudo ufw status verbose"
    assert answer.rule is not None and answer.rule.reader == "nft"  # the rule that decides is kept
