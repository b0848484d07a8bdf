"""Connectivity tests: page-title search on hostile bodies, and how far each probe overshoots its deadline.

python bench/bench_probes.py [--timeout 1.0] [--repeat 3]

Targets: the title of any 64 KiB body in well under 10 ms; every probe ends within its deadline plus ~0.1 s
against a server that sends one byte a second, one that accepts and never speaks, and a name with four silent
addresses.  Servers run on loopback only and stop when the benchmark ends.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timing import median_ms
from loopgui.core.net import probes

OLD_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)  # before: quadratic

BODIES = {
    "64 KiB of '<title>'": b"<title>" * (65536 // 7),
    "64 KiB of '<title '": b"<title " * (65536 // 7),
    "64 KiB ordinary page": b"<html><head><title>Hello</title></head><body>" + b"<p>text</p>" * 5950 + b"</body>",
}


@contextlib.contextmanager
def server(behaviour: str, addresses: tuple[str, ...] = ("127.0.0.1",)) -> Iterator[int]:
    """'drip': sends an HTTP answer one byte a second; 'silent': accepts and never speaks; 'full': never
    accepts and its queue is full (connecting gets no answer)."""
    listeners: list[socket.socket] = []
    first = socket.socket()
    first.bind((addresses[0], 0))
    listeners.append(first)
    port = first.getsockname()[1]
    for a in addresses[1:]:
        s = socket.socket()
        s.bind((a, port))
        listeners.append(s)
    stop = threading.Event()
    held: list[socket.socket] = []
    for s in listeners:
        s.listen(0 if behaviour == "full" else 8)
        s.settimeout(0.1)
        if behaviour == "full":
            for _ in range(4):
                c = socket.socket()
                c.setblocking(False)
                c.connect_ex(s.getsockname())
                held.append(c)

    def drip(conn: socket.socket) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nServer: drip\r\n\r\n":
            if stop.wait(1.0):
                return
            with contextlib.suppress(OSError):
                conn.send(bytes([byte]))

    def serve(s: socket.socket) -> None:
        while not stop.is_set():
            try:
                conn, _ = s.accept()
            except OSError:
                continue
            held.append(conn)
            if behaviour == "drip":
                threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threads = [threading.Thread(target=serve, args=(s,), daemon=True) for s in listeners if behaviour != "full"]
    for t in threads:
        t.start()
    time.sleep(0.2)
    try:
        yield port
    finally:
        stop.set()
        for t in threads:
            t.join(2)
        for c in held + listeners:
            c.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print("Page title (median):")
    for label, body in BODIES.items():
        new = median_ms(lambda b=body: probes.page_title(b), args.repeat)  # type: ignore[misc]
        old = median_ms(lambda b=body: OLD_TITLE.search(b), 1)  # type: ignore[misc]
        print(f"  {label}: {new:.2f} ms (the old regular expression: {old:.0f} ms)")

    four = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")

    def many(host: str, port: int, type: int = 0) -> list[tuple[object, ...]]:
        return [(socket.AF_INET, type, 0, "", (a, port)) for a in four]

    t = args.timeout
    local = ("127.0.0.1",)

    def http(port: int) -> object:
        return probes.http_probe("127.0.0.1", port, t)

    def https(port: int) -> object:
        return probes.http_probe("127.0.0.1", port, t, https=True)

    def tcp_many(port: int) -> object:
        return probes.tcp_probe("many", port, t, resolver=many)

    cases: list[tuple[str, str, tuple[str, ...], Callable[[int], object]]] = [
        ("HTTP, one byte a second", "drip", local, http),
        ("HTTP, accepts and never speaks", "silent", local, http),
        ("HTTPS, accepts and never speaks", "silent", local, https),
        ("TCP + greeting, four silent addresses", "silent", four, tcp_many),
        ("TCP, four addresses that never answer", "full", four, tcp_many),
    ]
    print(f"Deadline overshoot (timeout {t:g} s; worst of {args.repeat}):")
    for label, behaviour, addresses, work in cases:
        with server(behaviour, addresses) as port:
            worst = 0.0
            for _ in range(args.repeat):
                start = time.perf_counter()
                work(port)
                worst = max(worst, time.perf_counter() - start)
        print(f"  {label}: took {worst:.3f} s, overshoot {max(0.0, worst - t) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
