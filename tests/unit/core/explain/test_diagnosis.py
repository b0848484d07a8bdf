"""Diagnosis rules on hand-made socket tables and a hand-made computer."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from loopgui.core.explain import knowledge
from loopgui.core.explain.diagnosis import Environment, Verdict, _typo_ports, diagnose, explain_row
from loopgui.core.explain.endpoints import ErrorKind
from loopgui.core.explain.facts import F, ProgramRef, Range
from loopgui.core.explain.knowledge import PortRange
from loopgui.core.programs.processes import ProcessFacts
from loopgui.core.words import explain as words
from loopgui.core.words.explain import render
from tests.helpers import as_map, row


def env(platform: str = "linux", **kw: object) -> Environment:
    base: dict[str, object] = {
        "platform": platform,
        "ephemeral": PortRange(32768, 60999),
        "excluded": (),
        "unprivileged_start": 1024,
        "localhost": ("127.0.0.1", "::1"),
        "own_addresses": ("192.168.1.20",),
        "is_local": lambda h: (
            h.lower() in ("localhost", "", "*", "192.168.1.20")
            or knowledge.address_kind(h) in (knowledge.LOOPBACK, knowledge.WILDCARD)
        ),
    }
    base.update(kw)
    return Environment(**base)  # type: ignore[arg-type]


def facts(pid: int) -> ProcessFacts:
    return ProcessFacts(pid=pid, name="node", create_time=None, username="sam", cmdline=("node", "server.js"))


def text_of(d: object) -> str:
    return words.report(d)  # type: ignore[attr-defined]


def test_refused_and_nothing_listens_in_ephemeral_range() -> None:
    d = diagnose("connect ECONNREFUSED 127.0.0.1:45000", {}, env=env(), facts=facts)
    assert render(d).headline == "Nothing on this computer is listening on port 45000 right now."
    assert d.verdict == Verdict.PROBLEM and d.kind == ErrorKind.REFUSED
    eph = d.finding(F.EPHEMERAL_PORT)
    assert eph is not None and eph["range"] == Range(32768, 60999) and eph["port"] == 45000
    assert any("temporary ports" in f.text and "32768–60999" in f.detail for f in render(d).findings)
    assert render(d).do_it_yourself == "ss -tulpn | grep :45000"


def test_did_you_mean_a_port_one_typo_away() -> None:
    rows = as_map([row(62839, program="python3", pid=5)])
    d = diagnose("ECONNREFUSED 127.0.0.1:62893", rows, env=env(), facts=facts)
    near = d.finding(F.DID_YOU_MEAN)
    assert near is not None and near["port"] == 62839 and near["program"] == ProgramRef("python3", 5)
    assert any("Did you mean port 62839? python3 (PID 5) is listening" in f.text for f in render(d).findings)
    assert {62839, 62803, 6289}.issubset(_typo_ports(62893))
    assert {30000, 300, 3001}.issubset(_typo_ports(3000)) and 3000 not in _typo_ports(3000)


def test_listener_on_ipv6_only_is_a_near_miss() -> None:
    rows = as_map([row(3000, local="::1", program="node", pid=7)])
    d = diagnose("connect ECONNREFUSED 127.0.0.1:3000", rows, env=env(), facts=facts)
    assert d.verdict == Verdict.PROBLEM
    assert "different address" in render(d).headline
    assert "(IPv6)" in render(d).findings[0].text and "127.0.0.1 (IPv4)" in render(d).findings[0].text
    assert render(d).next_steps[0] == "Connect to [::1]:3000 instead of 127.0.0.1:3000."


def test_localhost_first_address_served_is_fine() -> None:
    rows = as_map([row(3000, local="::1", program="node", pid=7)])
    d = diagnose("http://localhost:3000", rows, env=env(localhost=("::1", "127.0.0.1")), facts=facts)
    assert d.verdict == Verdict.OK and render(d).headline == "node (PID 7) is listening on port 3000."
    assert any("Only this computer can connect" in f.text for f in render(d).findings)
    one_family = diagnose("http://localhost:3000", rows, env=env(localhost=("127.0.0.1",)), facts=facts)
    assert one_family.verdict == Verdict.PROBLEM
    assert any("“localhost” means only 127.0.0.1" in f.text for f in render(one_family).findings)


@pytest.mark.parametrize(
    ("order", "listen", "other"),
    [(("::1", "127.0.0.1"), "127.0.0.1", "::1"), (("127.0.0.1", "::1"), "::1", "127.0.0.1")],
)
def test_localhost_truth_when_the_first_address_is_not_served(order: tuple[str, str], listen: str, other: str) -> None:
    rows = as_map([row(3000, local=listen, program="node", pid=7)])
    d = diagnose("Error: connect ECONNREFUSED localhost:3000", rows, env=env(localhost=order), facts=facts)
    assert d.verdict == Verdict.PROBLEM
    assert (
        render(d).headline
        == f"“localhost” means {other} first on this computer, but node (PID 7) does not listen there."
    )
    assert render(d).findings[0].text == f"On this computer “localhost” means {order[0]} first, then {order[1]}."
    assert any("connect there and are refused" in f.text for f in render(d).findings)
    listen_at = f"[{listen}]:3000" if ":" in listen else f"{listen}:3000"
    assert (
        render(d).next_steps[0].startswith(f"In the program that connects, use {listen_at} instead of localhost:3000")
    )
    assert f"listen on {other} too" in render(d).next_steps[1]
    # Pasted without an error: not "nothing is wrong", but the same facts, as information.
    plain = diagnose("localhost:3000", rows, env=env(localhost=order), facts=facts)
    assert plain.verdict == Verdict.INFO and "would be refused" in words.report(plain)
    assert "Nothing is wrong" not in words.report(plain)


def test_localhost_truth_with_an_ipv4_wildcard_listener() -> None:
    rows = as_map([row(8000, local="0.0.0.0", program="python3", pid=9)])
    d = diagnose("connect ECONNREFUSED localhost:8000", rows, env=env(localhost=("::1", "127.0.0.1")), facts=facts)
    assert (
        render(d).headline == "“localhost” means ::1 first on this computer, but python3 (PID 9) does not listen there."
    )
    assert (
        render(d).next_steps[0].startswith("In the program that connects, use 127.0.0.1:8000 instead of localhost:8000")
    )
    assert "on “::” as well as “0.0.0.0”" in render(d).next_steps[1]
    assert "127.0.0.1 only" not in words.report(d)


def test_psql_says_which_address_localhost_stood_for() -> None:
    rows = as_map([row(5432, local="127.0.0.1", program="postgres", pid=70)])
    d = diagnose(
        'connection to server at "localhost" (::1), port 5432 failed: Connection refused',
        rows,
        env=env(localhost=("::1", "127.0.0.1")),
        facts=facts,
    )
    assert d.verdict == Verdict.PROBLEM and "different address" in render(d).headline
    assert render(d).next_steps[0] == "Connect to 127.0.0.1:5432 instead of localhost:5432."
    assert d.endpoint is not None and (d.endpoint.host, d.endpoint.named) == ("::1", "localhost")
    assert [e.display for e in d.other_endpoints] == ["localhost:5432"]
    assert ("Name in the message", "localhost") in render(d).details


def test_name_lookup_of_localhost_is_about_the_hosts_file() -> None:
    rows = as_map([row(3000, program="node", pid=7)])
    for text in ("Error: getaddrinfo ENOTFOUND localhost", "getaddrinfo ENOTFOUND localhost localhost:3000"):
        d = diagnose(text, rows, env=env(), facts=facts)
        assert d.verdict == Verdict.PROBLEM and render(d).headline == "The name “localhost” could not be looked up."
        report = words.report(d)
        assert "hosts file (/etc/hosts)" in report and "127.0.0.1 localhost" in report
        assert "not which port" not in report and "Nothing on this computer is listening" not in report
    win = diagnose("getaddrinfo ENOTFOUND localhost", {}, env=env("win32"), facts=facts)
    assert "C:\\Windows\\System32\\drivers\\etc\\hosts" in words.report(win)


def test_name_lookup_of_another_computer() -> None:
    d = diagnose("Error: getaddrinfo ENOTFOUND db.internal", {}, env=env(), facts=facts)
    assert render(d).headline == "The computer name “db.internal” could not be found."
    assert any("VPN" in s for s in render(d).next_steps)
    again = diagnose("Error: getaddrinfo EAI_AGAIN api.example.test", {}, env=env(), facts=facts)
    assert any("temporary failure" in f.text for f in render(again).findings)
    url = diagnose("Error: getaddrinfo ENOTFOUND http://127.0.0.1 http://127.0.0.1:8080", {}, env=env(), facts=facts)
    assert render(url).headline == "A web address was used as a computer name: “http://127.0.0.1”."
    assert "without “http://”" in render(url).next_steps[0]
    go = diagnose("dial tcp: lookup postgres on 127.0.0.11:53: no such host", {}, env=env(), facts=facts)
    assert render(go).headline == "The computer name “postgres” could not be found."  # not the name server 127.0.0.11


def test_port_plainly_there_is_not_missing() -> None:
    for text in (
        "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 8000)",
        "listen tcp :8080: bind: address already in use",
        'Errno::ECONNREFUSED: Connection refused - connect(2) for "localhost" port 1337',
    ):
        d = diagnose(text, {}, env=env(), facts=facts)
        assert "not which port" not in render(d).headline and d.endpoint is not None


def test_wildcard_listener_accepts_and_mentions_other_computers() -> None:
    rows = as_map([row(8000, local="0.0.0.0", program="python3", pid=9)])
    d = diagnose("127.0.0.1:8000", rows, env=env(), facts=facts)
    assert d.verdict == Verdict.OK
    assert any("192.168.1.20:8000" in f.text for f in render(d).findings)


def test_refused_but_listening_now() -> None:
    rows = as_map([row(5432, program="postgres", pid=70)])
    d = diagnose(
        'connection to server at "localhost" (127.0.0.1), port 5432 failed: Connection refused',
        rows,
        env=env(),
        facts=facts,
    )
    assert render(d).headline == "postgres (PID 70) is listening on port 5432 now."
    assert "started (or restarted) since" in render(d).findings[0].text


def test_in_use_names_the_holder_and_suggests_a_free_port() -> None:
    rows = as_map([row(3000, local="::", program="node", pid=7), row(3001, program="other", pid=8)])
    d = diagnose("Error: listen EADDRINUSE: address already in use :::3000", rows, env=env(), facts=facts)
    assert d.verdict == Verdict.PROBLEM and render(d).headline == "Port 3000 is taken by node (PID 7)."
    assert d.holders[0].row.pid == 7 and d.holders[0].facts is not None
    assert any("3002" in s for s in render(d).next_steps)  # 3001 is taken too
    assert "running as sam" in render(d).findings[0].text
    assert "node server.js" in render(d).findings[0].detail


def test_in_use_by_a_hidden_owner() -> None:
    rows = as_map([row(8080, pid=None, program="")])
    d = diagnose("bind: address already in use 0.0.0.0:8080", rows, env=env(), facts=facts)
    assert "another user or of the system" in render(d).headline
    assert any("administrator" in s for s in render(d).next_steps)
    as_admin = diagnose("bind: address already in use 0.0.0.0:8080", rows, env=replace(env(), admin=True), facts=facts)
    assert not any("administrator" in s for s in render(as_admin).next_steps)  # it has those rights already


def test_in_use_only_time_wait() -> None:
    rows = as_map([row(8080, remote="127.0.0.1", rport=50000, state="TIME_WAIT", pid=None, program="")])
    d = diagnose("EADDRINUSE 127.0.0.1:8080", rows, env=env(), facts=facts)
    # The same words as after closing a program ("Port 8080 is free now."): the two never contradict each other.
    assert render(d).headline == "Port 8080 is free now." and d.verdict == Verdict.OK
    assert (
        d.codes() == ["leftovers_only"]
        and any("leftover" in f.text for f in render(d).findings)
        and render(d).next_steps[0] == "Start your program again."
    )


def test_in_use_but_free_now() -> None:
    d = diagnose("EADDRINUSE 127.0.0.1:8080", {}, env=env(), facts=facts)
    assert render(d).headline == "Port 8080 is free now." and d.verdict == Verdict.OK


def test_permission_below_1024_on_linux() -> None:
    d = diagnose("listen EACCES: permission denied 0.0.0.0:80", {}, env=env(), facts=facts)
    assert render(d).headline == "Port 80 needs administrator rights."
    assert any("8080" in s for s in render(d).next_steps)


def test_windows_excluded_range() -> None:
    win = env("win32", excluded=(PortRange(2980, 3079),), unprivileged_start=0)
    d = diagnose("Error: listen EACCES: permission denied 127.0.0.1:3000", {}, env=win, facts=facts)
    assert render(d).headline == "Windows reserves port 3000."
    assert "2980–3079" in render(d).findings[0].text
    assert any("3080" in s for s in render(d).next_steps)
    assert render(d).do_it_yourself == "netstat -ano | findstr :3000"


def test_remote_host() -> None:
    d = diagnose("ssh: connect to host 10.1.1.1 port 22: Connection timed out", {}, env=env(), facts=facts)
    assert render(d).headline == "10.1.1.1:22 is on another computer."
    assert any("firewall" in s for s in render(d).next_steps)
    assert render(d).do_it_yourself == "nc -vz 10.1.1.1 22"
    assert render(diagnose("10.1.1.1:22", {}, env=env("win32"), facts=facts)).do_it_yourself.startswith(
        "Test-NetConnection"
    )


def test_no_port_but_a_known_error() -> None:
    d = diagnose("OSError: [Errno 98] Address already in use", {}, env=env(), facts=facts)
    assert d.verdict == Verdict.UNKNOWN and "not which port" in render(d).headline
    assert d.kind == ErrorKind.IN_USE


@pytest.mark.parametrize("text", ["", "   ", "hello world", "port 99999"])
def test_nothing_to_go_on(text: str) -> None:
    d = diagnose(text, {}, env=env(), facts=facts)
    assert d.verdict == Verdict.UNKNOWN
    assert d.endpoint is None


def test_explain_a_connection_row() -> None:
    conn = row(51544, remote="127.0.0.1", rport=5432, program="psql", pid=11)
    d = explain_row(conn, as_map([conn]), env=env(), facts=facts)
    assert render(d).headline == "psql (PID 11) has a connection on port 51544."
    assert any("temporary port" in f.text for f in render(d).findings)
    assert any("PostgreSQL" in f.text for f in render(d).findings)


def test_explain_a_udp_row() -> None:
    dns = row(5353, proto="UDP", local="0.0.0.0", program="avahi-daemon", pid=640)
    d = explain_row(dns, as_map([dns]), env=env(), facts=facts)
    assert render(d).headline == "avahi-daemon (PID 640) is listening on port 5353."


def test_report_and_json_shapes() -> None:
    rows = as_map([row(3000, local="::1", program="node", pid=7)])
    d = diagnose("ECONNREFUSED 127.0.0.1:3000 and also localhost:9229", rows, env=env(), facts=facts)
    report = words.report(d)
    assert report.startswith("loopgui report, ")
    for part in (
        "Pasted: ECONNREFUSED",
        "What loopgui found:",
        "What you can do:",
        "Do it yourself:",
        "Technical details:",
        "The text also mentions localhost:9229.",
    ):
        assert part in report
    data = json.loads(json.dumps(words.as_json(d)))
    assert data["endpoint"] == {"host": "127.0.0.1", "port": 3000, "text": "127.0.0.1:3000", "name": None}
    assert data["error_kind"] == "refused" and data["verdict"] == "problem"
    assert data["case"] == {
        "code": "listening_on_other_address",
        "port": 3000,
        "program": data["holders"][0]["program"],
    }
    program = data["holders"][0]["program"]
    assert program["pid"] == 7 and program["command"] == "node server.js" and program["name"] == "node"
    assert data["findings"][0]["code"] == "family_mismatch" and data["findings"][0]["where"] == ["[::1]:3000"]
    assert data["text"]["headline"] == words.render(d).headline


def test_host_without_port_is_said_plainly_with_the_usual_port_as_a_hint() -> None:
    rows = as_map([row(3306, local="127.0.0.1", program="mysqld", pid=70)])
    d = diagnose(
        "ERROR 2003 (HY000): Can't connect to MySQL server on 'localhost' (10061)", rows, env=env(), facts=facts
    )
    assert render(d).headline == "The message names the computer “localhost” but not the port."
    assert d.endpoint is None and d.kind == ErrorKind.REFUSED
    report = words.report(d)
    assert "MySQL, which normally uses port 3306" in report and "not something the message says" in report
    plain = diagnose("Connecting to remote server localhost failed", {}, env=env(), facts=facts)
    assert "names the computer “localhost”" in render(plain).headline and "5985" in words.report(plain)
    # a lookup failure without a port stays a name problem
    ssh = diagnose("ssh: Could not resolve hostname github.com: Temporary failure in name resolution", {}, env=env())
    assert render(ssh).headline == "The computer name “github.com” could not be found."


def test_dialled_address_from_localhost_keeps_the_localhost_truth() -> None:
    rows = as_map([row(3142, local="127.0.0.1", program="apt-cacher", pid=70)])
    d = diagnose(
        "Failed to connect to localhost:3142 because dial tcp [::1]:3142: connect: connection refused",
        rows,
        env=env(localhost=("::1", "127.0.0.1")),
        facts=facts,
    )
    assert d.endpoint is not None and (d.endpoint.host, d.endpoint.named) == ("::1", "localhost")
    report = words.report(d)
    assert "“localhost” means ::1 first, then 127.0.0.1" in report
    assert render(d).next_steps[0] == "Connect to 127.0.0.1:3142 instead of localhost:3142."


def test_a_long_command_line_is_named_once_per_page() -> None:
    from dataclasses import replace as dc_replace

    server = dc_replace(row(8765, program="python3", pid=42), label="python3 -m http.server 8765 --bind 127.0.0.1")
    d = diagnose("connect ECONNREFUSED 127.0.0.1:8765", as_map([server]), env=env(), facts=facts)
    r = render(d)
    page = " ".join([r.headline, *(f.text for f in r.findings), *r.next_steps])
    assert page.count("python3 -m http.server 8765 --bind 127.0.0.1") == 1
    assert "It is listening on 127.0.0.1:8765 (running as sam)." in page


def test_cannot_assign_requested_address_has_its_own_diagnosis() -> None:
    d = diagnose("Error: listen EADDRNOTAVAIL: address not available 192.168.5.7:3000", {}, env=env(), facts=facts)
    assert d.kind is ErrorKind.NOT_AVAILABLE and d.case.code.value == "address_not_on_this_computer"
    assert d.case["address"] == "192.168.5.7" and d.codes() == ["address_not_here"]
    r = render(d)
    assert r.headline == "This computer does not have the address 192.168.5.7."
    assert "replace 192.168.5.7 with one of this computer's addresses" in r.next_steps[0]


def test_address_family_not_supported_has_its_own_diagnosis() -> None:
    d = diagnose("socket.error: [Errno 97] Address family not supported by protocol [::1]:8080", {}, env=env())
    assert d.kind is ErrorKind.FAMILY and d.case.code.value == "address_family_off"
    assert d.case["family"] == "IPv6"
    r = render(d)
    assert r.headline == "IPv6 is switched off on this computer."
    assert "IPv4 address (such as 127.0.0.1)" in r.next_steps[0]
