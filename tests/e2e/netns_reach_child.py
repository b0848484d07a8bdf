"""Runs INSIDE a private network namespace that tests/e2e/test_reach_netns.py creates (``unshare -n``).

Never run it directly on a real computer: it adds a dummy network interface and firewall rules.  It refuses to
start unless the namespace has no interface other than loopback, so it cannot touch a real network.

Sets up ``d0`` (a dummy interface, or one end of a veth pair where the dummy driver is missing) with
10.99.0.1/24 and fd99::1/64, real listeners on 127.0.0.1, 0.0.0.0, ``::``
(IPv4 too) and ``::`` (IPV6_V6ONLY), runs the whole reach verdict with the own-address test for each, then
again under an nftables ruleset that only lets the 0.0.0.0 port in; prints one JSON document.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys


def sh(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True, timeout=10)


def listener(family: int, addr: str, *, v6only: bool | None = None) -> socket.socket:
    s = socket.socket(family, socket.SOCK_STREAM)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    s.bind((addr, 0))
    s.listen(16)
    return s


def gui_button(port: int) -> dict[str, object]:
    """Press the Connectivity tab's "Test own network addresses" button (offscreen) and read its result list."""
    import time

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from loopgui.ui.panels.connectivity_panel import ConnectivityPanel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    panel = ConnectivityPanel()
    panel.set_target("0.0.0.0", port)
    panel.own_address_button.click()
    end = time.monotonic() + 15
    while (panel.running or panel.results.topLevelItemCount() == 0) and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    rows = []
    for i in range(panel.results.topLevelItemCount()):
        item = panel.results.topLevelItem(i)
        rows.append([item.text(0), item.text(1), item.text(2)])
    return {"status": panel.status.text(), "rows": rows}


def main() -> int:
    signal.alarm(50)
    names = {name for _, name in socket.if_nameindex()}  # (this namespace; /sys may show the host)
    if names - {"lo"}:
        print(json.dumps({"refused": f"not a fresh network namespace: {sorted(names)}"}))
        return 3
    sh("ip", "link", "set", "lo", "up")
    made = subprocess.run(["ip", "link", "add", "d0", "type", "dummy"], capture_output=True, timeout=10, check=False)
    if made.returncode != 0:  # no dummy driver (e.g. in a container): a veth pair works the same here
        sh("ip", "link", "add", "d0", "type", "veth", "peer", "name", "d0peer")
        sh("ip", "link", "set", "d0peer", "addrgenmode", "none")
        sh("ip", "link", "set", "d0peer", "up")
    sh("ip", "link", "set", "d0", "addrgenmode", "none")  # no link-local address still in duplicate detection
    sh("ip", "addr", "add", "10.99.0.1/24", "dev", "d0")
    sh("ip", "-6", "addr", "add", "fd99::1/64", "dev", "d0", "nodad")
    sh("ip", "link", "set", "d0", "up")

    from loopgui.commands import check
    from loopgui.core.net.scanner import make_scanner
    from loopgui.core.reach import assess as reach

    socks = {
        "loopback": listener(socket.AF_INET, "127.0.0.1"),
        "any4": listener(socket.AF_INET, "0.0.0.0"),
        "any6_dual": listener(socket.AF_INET6, "::", v6only=False),
        "any6_only": listener(socket.AF_INET6, "::", v6only=True),
        "specific": listener(socket.AF_INET, "10.99.0.1"),
    }
    ports = {name: s.getsockname()[1] for name, s in socks.items()}

    def run_all(phase: str) -> dict[str, object]:
        rows = make_scanner().scan().rows.values()
        out: dict[str, object] = {}
        for name, port in ports.items():
            v = reach.live_verdict(port, "tcp", rows, own_test=True, timeout=2.0)
            out[name] = v.as_dict()
        # the terminal verb, as a person would run it (its own scan, JSON / text, exit code)
        buf, errs = io.StringIO(), io.StringIO()
        code = check.main(["--from-network", f"127.0.0.1:{ports['any4']}", "--json"], out=buf, err=errs)
        out["cli_any4"] = {"code": code, "json": json.loads(buf.getvalue()), "err": errs.getvalue()}
        buf, errs = io.StringIO(), io.StringIO()
        code = check.main(["--from-network", f"localhost:{ports['loopback']}"], out=buf, err=errs)
        out["cli_loopback"] = {"code": code, "text": buf.getvalue(), "err": errs.getvalue()}
        out["phase"] = phase
        return out

    result_gui = gui_button(ports["any4"])
    has_nft = shutil.which("nft") is not None
    result: dict[str, object] = {"ports": ports, "nft": has_nft, "gui": result_gui, "open": run_all("no firewall")}
    if not has_nft:  # the firewall phase needs nftables; the test skips it with the reason
        print(json.dumps(result))
        return 0
    rules = f"""
table inet loopgui_test {{
  chain input {{
    type filter hook input priority filter; policy drop;
    iif "lo" accept
    ct state established,related accept
    tcp dport {ports["any4"]} accept
  }}
}}
"""
    subprocess.run(["nft", "-f", "-"], input=rules, text=True, check=True, capture_output=True, timeout=10)
    reach._firewall = reach.CachedFirewall()  # a fresh cache: the rules just changed
    result["firewalled"] = run_all("nft default drop, port any4 allowed")
    print(json.dumps(result))
    for s in socks.values():
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
