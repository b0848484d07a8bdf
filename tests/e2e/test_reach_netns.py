"""Ground truth for "can other computers reach it?", inside network namespaces this test creates.

tests/e2e/netns_reach_child.py runs in a private network and mount namespace ("this computer") joined by a veth
pair to a second namespace (the peer).  For every firewall ruleset it takes the verdict of each real listener
with and without the own-address test, and the peer makes a real connection to each over IPv4 and IPv6.  Every
verdict must agree with what the peer met: zero disagreements, and "cannot tell" nowhere (every ruleset here can
be read).  Nothing leaves the namespaces: they have no route to any real network.  Skipped with the reason where
namespaces or the firewall tools are not available (scripts/setup.sh installs nftables, iptables, ufw).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="network namespaces are a Linux feature"),
]

ROOT = Path(__file__).resolve().parents[2]
OPEN = ("reachable", "reachable_from_some")
FAMILIES = (("4", "10.99.0.1"), ("6", "fd99::1"))


def _allowed() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None or os.geteuid() != 0:
        return False
    try:
        done = subprocess.run(["unshare", "-n", "-m", "true"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


@functools.cache
def matrix() -> dict[str, Any]:
    if not _allowed():
        pytest.skip("needs root and unshare -n -m (network and mount namespaces) to build the ground truth")
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        ["unshare", "-n", "-m", sys.executable, "-m", "tests.e2e.netns_reach_child"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if done.returncode != 0 and "Operation not permitted" in done.stderr:
        pytest.skip(f"network namespace set-up not permitted here: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    if "missing" in result:
        pytest.skip(f"firewall tools missing: {', '.join(result['missing'])} (scripts/setup.sh installs them)")
    return result


def case(name: str) -> dict[str, Any]:
    return next(c for c in matrix()["cases"] if c["ruleset"] == name)


def predicted(verdict: dict[str, Any], address: str) -> str:
    """The code the verdict gives for the peer's way in (its network connection and IP version)."""
    path = next((p for p in verdict["paths"] if p["address"] == address), None)
    if path is None:  # no way in at all (loopback listener): the whole verdict
        code: str = verdict["code"]
        return code
    if path["code"] == "reachable_from_some":  # it depends on the sender: ask for the peer's own addresses
        return str(next(p for p in verdict["for_peer"]["paths"] if p["address"] == address)["code"])
    return str(path["code"])


def test_every_verdict_agrees_with_a_real_connection_from_the_peer() -> None:
    result = matrix()
    disagreements: list[str] = []
    compared = 0
    rulesets = {c["ruleset"] for c in result["cases"]}
    for c in result["cases"]:
        for mode in ("without_own_test", "with_own_test"):
            for name, verdict in c[mode].items():
                connected = []
                for family, address in FAMILIES:
                    truth = c["truth"][f"{name}/{family}"]
                    code = predicted(verdict, address)
                    compared += 1
                    connected.append(truth == "connected")
                    if code == "unknown" or (code in OPEN) != (truth == "connected"):
                        disagreements.append(f"{c['ruleset']} / {mode} / {name} / IPv{family}: {code} vs {truth}")
                # the whole answer: one open way in is enough (families and networks are alternatives)
                whole = verdict["for_peer"]["code"] if "for_peer" in verdict else verdict["code"]
                if (whole in OPEN) != any(connected):
                    disagreements.append(f"{c['ruleset']} / {mode} / {name}: whole {whole} vs {connected}")
    assert disagreements == []
    assert compared >= 600 and len(rulesets) >= 25, (compared, len(rulesets))
    assert result["seconds"] < 90


def test_the_matrix_covers_every_kind_of_rule_the_issue_names() -> None:
    names = {c["ruleset"] for c in matrix()["cases"]}
    for needed in (
        "nft prerouting drop",
        "nft iifname v0 drop",
        "nft ip daddr own drop",
        "nft ip saddr peer drop",
        "nft named set",
        "nft jump",
        "nft policy drop, port accept only",
        "nft ip6 table drop",
        "nft tcp sport port drop",
        "iptables-legacy reject",
        "iptables-nft drop",
    ):
        assert needed in names
    if matrix()["ufw"]:
        assert "ufw deny incoming, some ports allowed" in names


def test_per_family_drop_leaves_the_dual_stack_listener_open() -> None:
    """Wrong "no" before: a rule dropping the port for IPv6 only made the dual-stack listener "blocked"."""
    for name in ("nft ip6 table drop", "ip6tables-legacy drop"):
        v = case(name)["without_own_test"]["any6_dual"]
        assert v["code"] == "reachable" and v["families"] == {"ipv4": "reachable", "ipv6": "blocked_by_firewall"}
        assert case(name)["without_own_test"]["any6_only"]["code"] == "blocked_by_firewall"


def test_rules_read_right_without_the_own_address_test() -> None:
    """Wrong "yes" before, hidden by the own-address test: iptables-legacy, destination address, prerouting."""
    for name in ("iptables-legacy reject", "nft ip daddr own drop", "nft prerouting drop", "nft iifname v0 drop"):
        v = case(name)["without_own_test"]["any4"]
        assert v["code"] == "blocked_by_firewall", name
        assert v["paths"][0]["firewall"]["rule"] is not None
    legacy = case("iptables-legacy reject")["without_own_test"]["any4"]["firewall"]
    assert legacy["source"] == "iptables (legacy)" and legacy["rule"]["reader"] == "iptables-legacy"
    assert legacy["reason"] == "blocked_by_rule" and (legacy["port"], legacy["protocol"]) == (
        matrix()["ports"]["any4"],
        "tcp",
    )
    assert "-j REJECT" in legacy["rule"]["rule"]  # the rule as iptables-legacy-save printed it
    readers = {r["reader"]: r for r in case("no rules")["without_own_test"]["any4"]["firewall_readers"]}
    assert readers["iptables-legacy-save"]["command"].startswith("/") and readers["nft"]["status"] == "read"


def test_policy_drop_without_loopback_accept_follows_the_rules_not_the_test() -> None:
    """Wrong "no" before: the own-address test's reply is dropped on loopback; others still connect."""
    v = case("nft policy drop, port accept only")["with_own_test"]["any4"]
    assert v["code"] == "reachable" and v["firewall"]["reason"] == "allowed_by_rule"
    own = v["paths"][0]["own_address_test"]
    assert own["outcome"] == "no_answer" and own["code"] in ("filtered", "inconclusive")
    assert any("over loopback" in r for r in v["text"]["reasons"])


def test_sender_port_rules_are_read() -> None:
    privileged = case("nft tcp sport privileged drop")["without_own_test"]["any4"]
    assert privileged["code"] == "reachable"  # senders use unprivileged ports
    some = case("nft tcp sport port drop")["without_own_test"]["any4"]
    assert some["code"] == "reachable_from_some" and "could not read" not in json.dumps(some["text"])
    assert some["firewall"]["reason"] == "blocked_for_some"
    assert (
        some["firewall"]["conditions"][0]["code"] == "from_ports"
        and some["firewall"]["conditions"][0]["kind"] == "sender"
    )


def test_check_from_network_exit_codes_and_text() -> None:
    cli = case("no rules")["cli"]
    assert cli["any4"]["code"] == 0 and cli["any4"]["json"]["code"] == "reachable"
    assert cli["any4"]["json"]["text"]["headline"].startswith("⚠ Other computers on the network v0 can reach it at")
    assert cli["loopback"]["code"] == 1 and cli["loopback"]["json"]["code"] == "only_this_computer"
    blocked = case("nft input drop")["cli"]["any4"]
    assert blocked["code"] == 1 and blocked["json"]["code"] == "blocked_by_firewall"
    # `check --from-network --json`: the firewall's reason code and evidence, the sentence beside them
    fw = blocked["json"]["firewall"]
    assert (fw["reason"], fw["source"], fw["protocol"]) == ("blocked_by_rule", "nftables", "tcp")
    assert fw["port"] == matrix()["ports"]["any4"] and fw["rule"]["reader"] == "nft" and fw["conditions"] == []
    assert blocked["json"]["text"]["firewall"].startswith("The firewall (nftables) blocks new connections to port")
    assert cli["any4"]["json"]["firewall"]["reason"] == "no_inbound_rules"


def test_own_address_button_says_what_the_loopback_test_can_show() -> None:
    rows = {address: text for _, address, text in case("no rules")["gui_own"]}
    port = matrix()["ports"]["any4"]
    assert rows[f"10.99.0.1:{port}"].startswith("Answered") and "goes over loopback" in rows[f"10.99.0.1:{port}"]
    assert rows[f"[fd99::1]:{port}"].startswith("Refused: the program does not take connections")
    filtered = {address: text for _, address, text in case("nft iif lo drop")["gui_own"]}
    assert filtered[f"10.99.0.1:{port}"].startswith("No usable answer: this computer's firewall filters its own")


def test_local_firewall_block_in_core_check_and_connectivity_tab() -> None:
    """`iif lo tcp dport N drop` and a program on 127.0.0.1:N: said with the rule, never "often a firewall"."""
    local = case("nft iif lo drop")["local"]
    block = local["block"]
    port = matrix()["ports"]["loopback"]
    assert block is not None and block["inbound"] == "blocked" and block["port"] == port
    assert block["reason"] == "blocked_by_rule" and block["protocol"] == "tcp"
    assert block["rule"]["reader"] == "nft" and isinstance(block["rule"]["handle"], int)
    assert "iif == lo" in block["rule"]["rule"]
    assert local["free_port_block"] is False  # UDP port 1: no rule, no block
    assert local["steps"][1].startswith("Remove it (if nobody put it there on purpose): sudo nft delete rule inet t c")
    assert local["cli_code"] == 1
    said = f"This computer's firewall drops local connections to port {port} (TCP) at 127.0.0.1"
    assert said in local["cli_text"] and "often a firewall" not in local["cli_text"]
    ((_, address, text),) = local["gui"]
    assert address == f"127.0.0.1:{port}" and text.startswith(said) and "often a firewall" not in text
    # the explanation of `connect ETIMEDOUT 127.0.0.1:N` agrees with the connectivity test
    explained = local["explain"]
    assert explained["case"] == "local_firewall_drops"
    assert explained["findings"][0].startswith(said)
    assert any("sudo nft delete rule inet t c" in step for step in explained["steps"])
    assert not any("busy or stuck" in step for step in explained["steps"])
