"""How long the "can other computers reach it?" answer takes: firewall parsing on large rulesets, and the
verdict for a listener on this machine (no traffic: the own-address test is not run here).

    .venv/bin/python bench/bench_reach.py --rules 1000 10000 50000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timing import median_ms
from loopgui.core.net.scanner import make_scanner
from loopgui.core.reach import assess as reach
from loopgui.core.reach import firewall


def iptables_rules(n: int) -> str:
    lines = ["*filter", ":INPUT DROP [0:0]", "-A INPUT -i lo -j ACCEPT"]
    lines += [f"-A INPUT -s 10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}/32 -j DROP" for i in range(n)]
    lines += ["-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT", "COMMIT", ""]
    return "\n".join(lines)


def nft_rules(n: int) -> str:
    saddr = {"payload": {"protocol": "ip", "field": "saddr"}}
    items: list[object] = [
        {"chain": {"family": "inet", "table": "t", "name": "in", "hook": "input", "type": "filter", "policy": "drop"}}
    ]
    for i in range(n):
        right = f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
        expr = [{"match": {"op": "==", "left": saddr, "right": right}}, {"drop": None}]
        items.append({"rule": {"family": "inet", "table": "t", "chain": "in", "expr": expr}})
    return json.dumps({"nftables": items})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| rules | iptables-save | nft -j |")
    print("|---:|---:|---:|")
    for n in args.rules:
        ipt, nft = iptables_rules(n), nft_rules(n)
        a = median_ms(lambda: firewall.iptables_inbound(ipt, 22), args.repeat)  # noqa: B023
        b = median_ms(lambda: firewall.nft_inbound(nft, 22), args.repeat)  # noqa: B023
        print(f"| {n:,} | {a:,.0f} ms | {b:,.0f} ms |")
    # the verdict of a 0.0.0.0 listener from one reading of the rules: every network connection x address x IP
    # version is a packet the rules decide (8 connections with an IPv4 and an IPv6 address each)
    rs = firewall.Rulesets(
        (
            firewall.ReaderResult("nft", "/usr/sbin/nft", firewall.ReaderStatus.READ, nft_rules(args.rules[-1])),
            firewall.ReaderResult(
                "iptables-legacy-save", "/usr/sbin/iptables-legacy-save", firewall.ReaderStatus.READ,
                iptables_rules(args.rules[-1]),
            ),
        )
    )  # fmt: skip
    ifaces = [reach.Interface(f"eth{i}", reach.WIRED, (f"10.{i}.0.5/24", f"fd0{i}::5/64")) for i in range(8)]
    listeners = [reach.Listener("0.0.0.0", 22), reach.Listener("::", 22, v6only=True)]
    paths = median_ms(lambda: reach.verdict(22, "tcp", listeners, ifaces, rs), args.repeat)
    print(f"\nverdict over 16 ways in, {args.rules[-1]:,} rules in each of nft and iptables-legacy: {paths:,.0f} ms")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    rows = list(make_scanner().scan().rows.values())
    live = median_ms(lambda: reach.live_verdict(port, "tcp", rows), args.repeat)
    fw = median_ms(lambda: firewall.read_rulesets((4, 6)), args.repeat)
    server.close()
    print(f"\nverdict for a 127.0.0.1 listener (no firewall needed): {live:.1f} ms")
    print(f"reading this computer's firewall, every reader (uncached): {fw:.0f} ms")


if __name__ == "__main__":
    main()
