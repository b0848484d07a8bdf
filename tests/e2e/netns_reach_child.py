"""Runs INSIDE a private network and mount namespace that tests/e2e/test_reach_netns.py creates (``unshare -n -m``).

Never run it directly on a real computer: it adds network interfaces and firewall rules.  It refuses to start
unless the namespace has no interface other than loopback, so it cannot touch a real network.

The ground-truth matrix: this namespace ("this computer") gets ``v0`` (10.99.0.1/24, fd99::1/64), one end of a
veth pair whose other end ``v1`` (10.99.0.2, fd99::2) lives in a second network namespace, the peer, started
here with ``unshare -n``.  Real listeners on 127.0.0.1, 0.0.0.0, ``::`` (IPv4 too), ``::`` (IPv6 only), 10.99.0.1
and fd99::1; for each firewall ruleset (nftables input and prerouting hooks, interface, source and destination
matches, named sets, jumps, policies, per-family rules; iptables-legacy and iptables-nft; ufw) the reach verdict
is taken with and without the own-address test, and the peer makes a real connection to each listener over
IPv4 and IPv6.  ufw runs on a private copy of /etc/ufw (bind-mounted in this mount namespace only).  Prints one
JSON document.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import io
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

HOST4, HOST6 = "10.99.0.1", "fd99::1"
PEER4, PEER6 = "10.99.0.2", "fd99::2"
CONNECT_TIMEOUT = 0.6
OWN_TIMEOUT = 0.6


def sh(*args: str, stdin: str | None = None) -> None:
    done = subprocess.run(list(args), capture_output=True, timeout=20, input=stdin, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip()} (input: {stdin})")


def have(name: str) -> bool:
    return shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin") is not None


# -- the peer: a process in its own network namespace that connects when asked --------------------------------


def peer_main() -> int:
    """Read "family address port" lines, connect to all of them at once, answer one JSON line per batch."""
    signal.alarm(170)
    for line in sys.stdin:
        asks = json.loads(line)
        out = {}
        socks: dict[int, tuple[socket.socket, str]] = {}
        for key, (addr, port) in asks.items():
            family = socket.AF_INET6 if ":" in addr else socket.AF_INET
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setblocking(False)
            err = s.connect_ex((addr, port))
            if err not in (0, 115):  # EINPROGRESS
                out[key] = os.strerror(err)
                s.close()
                continue
            socks[s.fileno()] = (s, key)
        end = time.monotonic() + CONNECT_TIMEOUT
        while socks and time.monotonic() < end:
            _, ready, _ = select.select([], [s for s, _ in socks.values()], [], max(0.0, end - time.monotonic()))
            for s in ready:
                sock, key = socks.pop(s.fileno())
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                out[key] = "connected" if err == 0 else ("refused" if err == 111 else os.strerror(err))
                sock.close()
        for sock, key in socks.values():
            out[key] = "timeout"
            sock.close()
        print(json.dumps(out), flush=True)
    return 0


class Peer:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["unshare", "-n", sys.executable, "-m", "tests.e2e.netns_reach_child", "--peer"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(0.05)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # wait until it is in its own namespace
            try:
                if os.readlink(f"/proc/{self.proc.pid}/ns/net") != os.readlink("/proc/self/ns/net"):
                    break
            except OSError:
                pass
            time.sleep(0.02)
        # the child of unshare (unshare execs python itself, so the PID is the same)
        self.pid = self.proc.pid

    def run(self, *args: str) -> None:
        sh("nsenter", "-t", str(self.pid), "-n", *args)

    def connect(self, asks: dict[str, tuple[str, int]]) -> dict[str, str]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(asks) + "\n")
        self.proc.stdin.flush()
        result: dict[str, str] = json.loads(self.proc.stdout.readline())
        return result

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self.proc.stdin:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# -- listeners ----------------------------------------------------------------------------------------------------


def listener(family: int, addr: str, *, v6only: bool | None = None) -> socket.socket:
    s = socket.socket(family, socket.SOCK_STREAM)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    s.bind((addr, 0))
    s.listen(64)
    return s


LISTENERS = {
    "loopback": (socket.AF_INET, "127.0.0.1", None),
    "any4": (socket.AF_INET, "0.0.0.0", None),
    "any6_dual": (socket.AF_INET6, "::", False),
    "any6_only": (socket.AF_INET6, "::", True),
    "specific4": (socket.AF_INET, HOST4, None),
    "specific6": (socket.AF_INET6, HOST6, None),
}


# -- rulesets -------------------------------------------------------------------------------------------------------


def rulesets(ports: dict[str, int]) -> list[tuple[str, str, list[list[str]], str]]:
    """(name, tool, commands, note): every listener's port is affected, so one load tests them all."""
    every = ", ".join(str(p) for p in ports.values())
    some_names = ("any4", "any6_dual", "specific4")  # the ports "allow" rulesets let in
    some = ", ".join(str(ports[n]) for n in some_names)
    csv_every = ",".join(str(p) for p in ports.values())
    csv_some = ",".join(str(ports[n]) for n in some_names)

    def nft(body: str) -> list[list[str]]:
        return [["nft", "-f", "-", body]]

    def inet(chain: str, hook: str = "input", policy: str = "accept", prio: str = "filter", extra: str = "") -> str:
        return (
            f"table inet t {{ {extra}\n chain c {{ type filter hook {hook} priority {prio}; policy {policy};\n"
            f"{chain}\n }}\n}}"
        )

    out: list[tuple[str, str, list[list[str]], str]] = [
        ("no rules", "none", [], ""),
        ("nft input drop", "nft", nft(inet(f"tcp dport {{ {every} }} drop")), ""),
        ("nft input reject", "nft", nft(inet(f"tcp dport {{ {every} }} reject with tcp reset")), ""),
        ("nft prerouting drop", "nft", nft(inet(f"tcp dport {{ {every} }} drop", hook="prerouting", prio="-150")), ""),
        ("nft iifname v0 drop", "nft", nft(inet(f'iifname "v0" tcp dport {{ {every} }} drop')), ""),
        ("nft iifname other drop", "nft", nft(inet(f'iifname "eth9" tcp dport {{ {every} }} drop')), ""),
        ("nft iif lo drop", "nft", nft(inet(f'iif "lo" tcp dport {{ {every} }} drop')), "loopback firewall"),
        ("nft ip saddr peer drop", "nft", nft(inet(f"ip saddr {PEER4} tcp dport {{ {every} }} drop")), "sender"),
        ("nft ip6 saddr other drop", "nft", nft(inet(f"ip6 saddr fd98::/64 tcp dport {{ {every} }} drop")), "sender"),
        ("nft ip daddr own drop", "nft", nft(inet(f"ip daddr {HOST4} tcp dport {{ {every} }} drop")), ""),
        ("nft ip6 daddr other drop", "nft", nft(inet(f"ip6 daddr fd98::1 tcp dport {{ {every} }} drop")), ""),
        (
            "nft named set",
            "nft",
            nft(
                inet("tcp dport @blocked drop", extra=f"set blocked {{ type inet_service; elements = {{ {every} }} }}")
            ),
            "",
        ),
        (
            "nft jump",
            "nft",
            nft(
                f"table inet t {{\n chain sub {{ tcp dport {{ {every} }} drop\n }}\n"
                " chain c { type filter hook input priority filter; policy accept;\n jump sub\n }\n}"
            ),
            "",
        ),
        ("nft policy drop, port accept only", "nft", nft(inet(f"tcp dport {{ {every} }} accept", policy="drop")), ""),
        (
            "nft policy drop, lo and established",
            "nft",
            nft(
                inet(
                    f'iif "lo" accept\n ct state established,related accept\n tcp dport {{ {some} }} accept',
                    "input",
                    "drop",
                )
            ),
            "",
        ),
        (
            "nft ip6 table drop",
            "nft",
            nft(
                "table ip6 t {\n chain c { type filter hook input priority 0; policy accept;\n"
                f" tcp dport {{ {every} }} drop\n }}\n}}"
            ),
            "",
        ),
        ("nft nfproto ipv4 drop", "nft", nft(inet(f"meta nfproto ipv4 tcp dport {{ {every} }} drop")), ""),
        ("nft tcp sport privileged drop", "nft", nft(inet("tcp sport 1-1023 drop")), ""),
        ("nft tcp sport port drop", "nft", nft(inet(f"tcp sport {{ {every} }} drop")), "sender port"),
        (
            "iptables-legacy reject",
            "iptables-legacy",
            [["iptables-legacy", "-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports", csv_every, "-j", "REJECT"]],
            "",
        ),
        (
            "ip6tables-legacy drop",
            "iptables-legacy",
            [["ip6tables-legacy", "-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports", csv_every, "-j", "DROP"]],
            "",
        ),
        (
            "iptables-legacy raw prerouting drop",
            "iptables-legacy",
            [
                [
                    "iptables-legacy",
                    "-t",
                    "raw",
                    "-A",
                    "PREROUTING",
                    "-p",
                    "tcp",
                    "-m",
                    "multiport",
                    "--dports",
                    csv_every,
                    "-j",
                    "DROP",
                ]
            ],
            "",
        ),
        (
            "iptables-legacy -d own drop",
            "iptables-legacy",
            [
                [
                    "iptables-legacy",
                    "-A",
                    "INPUT",
                    "-d",
                    HOST4,
                    "-p",
                    "tcp",
                    "-m",
                    "multiport",
                    "--dports",
                    csv_every,
                    "-j",
                    "DROP",
                ]
            ],
            "",
        ),
        (
            "iptables-nft drop",
            "iptables-nft",
            [["iptables-nft", "-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports", csv_every, "-j", "DROP"]],
            "",
        ),
        (
            "iptables-nft policy drop, lo and established",
            "iptables-nft",
            [
                ["iptables-nft", "-P", "INPUT", "DROP"],
                ["iptables-nft", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"],
                ["iptables-nft", "-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"],
                ["iptables-nft", "-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports", csv_some, "-j", "ACCEPT"],
                ["ip6tables-nft", "-P", "INPUT", "DROP"],
                ["ip6tables-nft", "-A", "INPUT", "-i", "lo", "-j", "ACCEPT"],
                ["ip6tables-nft", "-A", "INPUT", "-p", "tcp", "-m", "multiport", "--dports", csv_every, "-j", "ACCEPT"],
            ],
            "",
        ),
        (
            "ip6tables-nft -i v0 drop",
            "iptables-nft",
            [
                [
                    "ip6tables-nft",
                    "-A",
                    "INPUT",
                    "-i",
                    "v0",
                    "-p",
                    "tcp",
                    "-m",
                    "multiport",
                    "--dports",
                    csv_every,
                    "-j",
                    "DROP",
                ]
            ],
            "",
        ),
    ]
    ufw = [["ufw", "--force", "enable"]] + [["ufw", "allow", f"{ports[n]}/tcp"] for n in some_names]
    out.append(("ufw deny incoming, some ports allowed", "ufw", ufw, ""))
    return out


def clear_rules() -> None:
    if have("nft"):
        sh("nft", "flush", "ruleset")
    for tool in ("iptables-legacy", "ip6tables-legacy"):
        if have(tool):
            for table in ("filter", "raw", "mangle"):
                subprocess.run([tool, "-t", table, "-F"], capture_output=True, timeout=10, check=False)
                subprocess.run([tool, "-t", table, "-X"], capture_output=True, timeout=10, check=False)
            subprocess.run([tool, "-P", "INPUT", "ACCEPT"], capture_output=True, timeout=10, check=False)


def load(commands: list[list[str]]) -> None:
    for cmd in commands:
        if cmd[:3] == ["nft", "-f", "-"]:
            sh("nft", "-f", "-", stdin=cmd[3])
        else:
            sh(*cmd)


def private_ufw() -> bool:
    """ufw keeps its state in /etc/ufw: give it a private copy in this mount namespace only."""
    if not have("ufw") or not os.path.isdir("/etc/ufw"):
        return False
    try:
        sh("mount", "--make-rprivate", "/")
        copy = tempfile.mkdtemp(prefix="loopgui-ufw-")
        shutil.copytree("/etc/ufw", copy, dirs_exist_ok=True, symlinks=True)
        sh("mount", "--bind", copy, "/etc/ufw")
    except (subprocess.SubprocessError, OSError):
        return False
    return True


# -- the run ---------------------------------------------------------------------------------------------------------


def verdicts(reach: Any, words: Any, rows: list[Any], ports: dict[str, int], *, own: bool) -> dict[str, Any]:
    """Every listener's verdict at once (own-address tests run side by side), plus the verdict for the peer."""

    def one(name: str) -> dict[str, Any]:
        port = ports[name]
        v = reach.live_verdict(port, "tcp", rows, own_test=own, timeout=OWN_TIMEOUT)
        data = words.as_dict(v)
        if any(p.code == reach.ReachCode.REACHABLE_FROM_SOME for p in v.paths):
            mine = reach.live_verdict(port, "tcp", rows, own_test=False, senders=(PEER4, PEER6))
            data["for_peer"] = words.as_dict(mine)
        return data

    with concurrent.futures.ThreadPoolExecutor(len(ports)) as pool:
        return dict(zip(ports, pool.map(one, ports), strict=True))


def main() -> int:
    if "--peer" in sys.argv:
        return peer_main()
    signal.alarm(170)
    names = {name for _, name in socket.if_nameindex()}
    if names - {"lo"}:
        print(json.dumps({"refused": f"not a fresh network namespace: {sorted(names)}"}))
        return 3
    missing = [t for t in ("nft", "iptables-legacy", "iptables-nft", "nsenter", "unshare") if not have(t)]
    if missing:
        print(json.dumps({"missing": missing}))
        return 0
    sh("ip", "link", "set", "lo", "up")
    peer = Peer()
    try:
        sh("ip", "link", "add", "name", "v0", "type", "veth", "peer", "name", "v1")
        sh("ip", "link", "set", "v1", "netns", str(peer.pid))
        sh("ip", "link", "set", "v0", "addrgenmode", "none")
        sh("ip", "addr", "add", f"{HOST4}/24", "dev", "v0")
        sh("ip", "-6", "addr", "add", f"{HOST6}/64", "dev", "v0", "nodad")
        sh("ip", "link", "set", "v0", "up")
        peer.run("ip", "link", "set", "lo", "up")
        peer.run("ip", "link", "set", "v1", "addrgenmode", "none")
        peer.run("ip", "addr", "add", f"{PEER4}/24", "dev", "v1")
        peer.run("ip", "-6", "addr", "add", f"{PEER6}/64", "dev", "v1", "nodad")
        peer.run("ip", "link", "set", "v1", "up")
        return run(peer)
    finally:
        peer.close()


def run(peer: Peer) -> int:
    from loopgui.commands import check
    from loopgui.core.net.scanner import make_scanner
    from loopgui.core.reach import assess as reach
    from loopgui.core.words import reach as words

    socks = {name: listener(f, a, v6only=v6) for name, (f, a, v6) in LISTENERS.items()}
    ports = {name: s.getsockname()[1] for name, s in socks.items()}
    rows = list(make_scanner().scan().rows.values())
    ufw_ok = private_ufw()
    cases = []
    start = time.monotonic()
    for name, tool, commands, note in rulesets(ports):
        if tool == "ufw" and not ufw_ok:
            continue
        clear_rules()
        load(commands)
        reach.forget_rules()
        asks = {f"{n}/4": (HOST4, p) for n, p in ports.items()}
        asks.update({f"{n}/6": (HOST6, p) for n, p in ports.items()})
        truth = peer.connect(asks)
        case: dict[str, Any] = {"ruleset": name, "tool": tool, "note": note, "truth": truth}
        case["without_own_test"] = verdicts(reach, words, rows, ports, own=False)
        case["with_own_test"] = verdicts(reach, words, rows, ports, own=True)
        if name in ("no rules", "nft input drop", "nft iif lo drop"):
            for n in ("any4", "loopback"):
                buf, errs = io.StringIO(), io.StringIO()
                code = check.main(["--from-network", f"127.0.0.1:{ports[n]}", "--json"], out=buf, err=errs)
                case.setdefault("cli", {})[n] = {"code": code, "json": json.loads(buf.getvalue())}
        if name in ("no rules", "nft iif lo drop"):
            case["gui_own"] = gui_rows(ports["any4"], "0.0.0.0", own=True)
        if name == "nft iif lo drop":
            case["local"] = local_block_case(reach, words, check, ports["loopback"])
        if tool == "ufw":
            sh("ufw", "--force", "disable")
        cases.append(case)
    clear_rules()
    took = time.monotonic() - start
    print(json.dumps({"ports": ports, "cases": cases, "ufw": ufw_ok, "seconds": took}))
    for s in socks.values():
        s.close()
    return 0


def local_block_case(reach: Any, words: Any, check: Any, port: int) -> dict[str, Any]:
    """The firewall drops local connections to the port: the core fact, ``loopgui check`` and the Connectivity
    tests tab say so (with the rule), not "often a firewall"."""
    block = reach.local_block(port, "tcp", "127.0.0.1")
    out: dict[str, Any] = {"block": block.as_dict() if block else None}
    if block is not None:
        out["text"] = words.local_block_text(block)
        out["steps"] = words.local_block_steps(block)
    out["free_port_block"] = reach.local_block(1, "udp", "127.0.0.1") is not None
    buf, errs = io.StringIO(), io.StringIO()
    out["cli_code"] = check.main([f"127.0.0.1:{port}", "--timeout", "0.5"], out=buf, err=errs)
    out["cli_text"] = buf.getvalue()
    out["gui"] = gui_rows(port, "127.0.0.1", own=False)
    # the explanation of the same message, with this namespace's live sockets and rules
    from loopgui.core.explain.diagnosis import Environment, diagnose
    from loopgui.core.net.scanner import make_scanner
    from loopgui.core.words import explain as explain_words

    d = diagnose(f"connect ETIMEDOUT 127.0.0.1:{port}", make_scanner().scan().rows, env=Environment.current())
    rendered = explain_words.render(d)
    out["explain"] = {
        "case": d.case.code.value,
        "headline": rendered.headline,
        "findings": [f.text for f in rendered.findings],
        "steps": list(rendered.next_steps),
    }
    return out


def gui_rows(port: int, host: str, *, own: bool) -> list[list[str]]:
    """Press the Connectivity tests tab's "Connect (TCP)" or "Test own network addresses" button (offscreen)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from loopgui.ui.panels.connectivity_panel import ConnectivityPanel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    panel = ConnectivityPanel()
    panel.set_target(host, port)
    panel.timeout_spin.setValue(0.5)
    (panel.own_address_button if own else panel.tcp_button).click()
    end = time.monotonic() + 15
    while (panel.running or panel.results.topLevelItemCount() == 0) and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    rows = []
    for i in range(panel.results.topLevelItemCount()):
        item = panel.results.topLevelItem(i)
        rows.append([item.text(0), item.text(1), item.text(2)])
    return rows


if __name__ == "__main__":
    sys.exit(main())
