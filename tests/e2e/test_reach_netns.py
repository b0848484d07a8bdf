"""The whole "can other computers reach it?" verdict, end to end, inside a network namespace this test creates.

Real listeners on 127.0.0.1, 0.0.0.0, ``::`` (IPv4 too), ``::`` (IPv6 only) and one network address; the
own-address test connects to the namespace's test addresses (10.99.0.1, fd99::1) only.  Nothing leaves the
namespace: it has no route to any real network.  Skipped with the reason where namespaces are not allowed.
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

from tests.netns import netns_prefix

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="network namespaces are a Linux feature"),
]

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def netns_result() -> dict[str, Any]:
    prefix, why = netns_prefix()  # root may use unshare -n; others need -rn
    if not prefix:
        pytest.skip(why)
    if shutil.which("ip") is None:
        pytest.skip("ip (iproute2) is not installed: the namespace's interfaces cannot be set up")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "tests.e2e.netns_reach_child"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    if done.returncode != 0 and "Operation not permitted" in done.stderr:
        pytest.skip(f"network namespace set-up not permitted here: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def open_phase() -> dict[str, Any]:
    result = netns_result()
    if not result["nft"]:
        pytest.skip("nft is not installed: the verdicts below need the firewall's (empty) rules to be readable")
    phase: dict[str, Any] = result["open"]
    return phase


def firewalled_phase() -> dict[str, Any]:
    result = netns_result()
    if not result["nft"]:
        pytest.skip("nft is not installed: no firewall rules can be set up in the namespace")
    phase: dict[str, Any] = result["firewalled"]
    return phase


def outcomes(verdict: dict[str, Any]) -> dict[str, str]:
    return {o["address"]: o["outcome"] for o in verdict["own_address_test"]}


def test_loopback_listener_is_only_this_computer() -> None:
    v = open_phase()["loopback"]
    assert v["answer"] == "no" and v["headline"] == "Only this computer: it listens on 127.0.0.1."
    assert v["reachable_from_other_computers"] is False and v["safety"] is None
    assert outcomes(v) == {"10.99.0.1": "refused", "fd99::1": "refused"}  # the bind address excludes them


def test_ipv4_wildcard_listener_is_reachable_on_ipv4() -> None:
    v = open_phase()["any4"]
    assert v["answer"] == "probably"
    assert v["headline"] == (
        "Other computers on the network (d0: 10.99.0.0/24) can probably connect: it listens on all IPv4 "
        "addresses (0.0.0.0) and the firewall has no rule against it."
    )
    assert "exposes the program to the network" in v["safety"]
    assert v["firewall"]["source"] == "nftables" and v["firewall"]["inbound"] == "allowed"
    assert outcomes(v) == {"10.99.0.1": "answered", "fd99::1": "refused"}
    assert [n["interface"] for n in v["networks"]] == ["d0"] and v["networks"][0]["addresses"] == ["10.99.0.1"]


def test_ipv6_wildcard_dual_stack_also_covers_ipv4() -> None:
    v = open_phase()["any6_dual"]
    assert v["answer"] == "probably" and "all addresses (::, IPv4 too)" in v["headline"]
    assert outcomes(v) == {"10.99.0.1": "answered", "fd99::1": "answered"}
    assert v["networks"][0]["addresses"] == ["10.99.0.1", "fd99::1"]


def test_ipv6_only_wildcard_excludes_ipv4() -> None:
    v = open_phase()["any6_only"]
    assert v["answer"] == "probably" and "all IPv6 addresses only (::)" in v["headline"]
    assert outcomes(v) == {"10.99.0.1": "refused", "fd99::1": "answered"}  # the kernel's IPV6_V6ONLY, read back
    assert v["networks"][0]["addresses"] == ["fd99::1"]


def test_specific_address_listener() -> None:
    v = open_phase()["specific"]
    assert v["answer"] == "probably" and "it listens on 10.99.0.1 and" in v["headline"]
    assert "Listening on a network address exposes the program to that network" in v["safety"]


def test_firewall_rules_change_the_verdict() -> None:
    phase = firewalled_phase()
    allowed = phase["any4"]
    assert allowed["answer"] == "probably" and allowed["firewall"]["inbound"] == "allowed"
    for name in ("any6_dual", "any6_only", "specific"):
        v = phase[name]
        assert v["answer"] == "no", name
        assert "but the firewall blocks port" in v["headline"]
        assert v["firewall"]["source"] == "nftables" and v["firewall"]["inbound"] == "blocked"
    assert phase["loopback"]["headline"] == "Only this computer: it listens on 127.0.0.1."


def test_check_from_network_verb() -> None:
    any4 = open_phase()["cli_any4"]
    assert any4["code"] == 0 and any4["err"] == ""
    data = any4["json"]
    assert data["test"] == "from-network" and data["ok"] is True and data["answer"] == "probably"
    assert {o["address"]: o["outcome"] for o in data["own_address_test"]}["10.99.0.1"] == "answered"
    loop = open_phase()["cli_loopback"]
    assert loop["code"] == 1
    assert "Only this computer: it listens on 127.0.0.1." in loop["text"]
    assert "Tested from this computer: 10.99.0.1 (d0): refused" in loop["text"]
    blocked = firewalled_phase()["cli_any4"]  # port any4 is the one the rules let in
    assert blocked["code"] == 0 and blocked["json"]["firewall"]["inbound"] == "allowed"


def test_the_connectivity_tab_button_for_real() -> None:
    gui = netns_result()["gui"]
    rows = {address: result for _, address, result in gui["rows"]}
    port = netns_result()["ports"]["any4"]
    assert rows[f"10.99.0.1:{port}"].startswith("Answered")
    assert rows[f"[fd99::1]:{port}"].startswith("Refused")
    assert gui["status"].startswith("Done: 1 of 2 succeeded")
