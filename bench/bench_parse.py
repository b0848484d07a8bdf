"""Time to find endpoints in a 1 MB paste: log-like text, and adversarial shapes (target: each at most 2 s).

python bench/bench_parse.py            # median of three runs per case
python bench/bench_parse.py --quick    # one run per case
"""

from __future__ import annotations

import random
import statistics
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loopgui.core.endpoints import find_endpoints

LINES = [
    "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)",
    "Error: connect ECONNREFUSED 127.0.0.1:{port}",
    "2026-11-22 12:00:01,123 INFO request GET /api/v1/items?page=2 took 12 ms",
    "Traceback (most recent call last):",
    '  File "/usr/lib/python3/dist-packages/requests/adapters.py", line 519, in send',
    "curl: (7) Failed to connect to localhost port {port} after 0 ms: Couldn't connect to server",
]


def make_text(size: int, seed: int) -> str:
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < size:
        if rng.random() < 0.8:
            line = rng.choice(LINES).format(port=rng.randint(1, 65535))
        else:
            line = "".join(rng.choice(string.printable) for _ in range(rng.randint(10, 200)))
        parts.append(line)
        total += len(line) + 1
    return "\n".join(parts)[:size]


# Shapes that made the old finder quadratic (hours for 1 MB), and relatives; target: each at most 2 s per 1 MB.
ADVERSARIAL = {
    "port + spaces": lambda n: "port" + " " * n,
    "connect to + colons": lambda n: "connect to " + ":" * n,
    'server at " + text': lambda n: 'server at "' + "x" * n,
    "digits": lambda n: "1" * n,
    "digits and dots": lambda n: "1." * (n // 2),
    "colons ::::": lambda n: ":" * n,
    "digit colon": lambda n: "1:" * (n // 2),
    "brackets [[[[": lambda n: "[" * n,
    "bracket digit colon": lambda n: "[1:" * (n // 3),
    "parentheses ((((": lambda n: "(" * n,
    "quotes ''''": lambda n: "'" * n,
    "name dots": lambda n: "a." * (n // 2),
    "names and ports near error words": lambda n: "ab:1 ECONNREFUSED " * (n // 18),
    "bracketed IPv6 endpoints": lambda n: "[::1]:1 " * (n // 8),
    "URLs": lambda n: "http://a:1 " * (n // 11),
    "-h options": lambda n: "-h a " * (n // 5),
    "android (port N)": lambda n: "/1.1.1.1 (port 1)" * (n // 17),
    "connection to": lambda n: "connection to " * (n // 14),
    "port N on": lambda n: "port 1 on " * (n // 10),
    'for "': lambda n: 'for "' * (n // 5),
    "java name/address": lambda n: "a/1.1.1.1:1 " * (n // 12),
    "error codes": lambda n: "ECONNREFUSED " * (n // 13),
    "error code and hex words": lambda n: "EADDRINUSE: abcdef abcdef abcdef abcdef " * (n // 40),
    "host= and spaces": lambda n: "host=a" + " " * n,
    "errno words": lambda n: "errno " * (n // 6),
    "host=' fields": lambda n: "host='" * (n // 6),
    "connect to + words and server": lambda n: "connect to the a b server on " * (n // 29),
    "connect to + long name": lambda n: "failed to connect to " + "a" * n,
    "resolving + dotted name": lambda n: "Resolving " + "a." * (n // 2),
    "wget |address|": lambda n: "|1|:1 " * (n // 6),
    "see + URLs": lambda n: "(see https://a/docs) " * (n // 21),
    "dev-server banner": lambda n: "Local: http://a:1 ECONNREFUSED " * (n // 31),
    "bare addresses": lambda n: "1.1.1.1 refused " * (n // 16),
    "name (port N)": lambda n: "a" * (n - 10) + " (port 1)",
    "name[address]:port": lambda n: "a[1.1.1.1]:1 " * (n // 13),
}


def main() -> None:
    runs = 1 if "--quick" in sys.argv else 3
    cases = [
        ("log-like 1 MB", make_text(1_000_000, 1)),
        ("one line of 1 MB", "x" * 999_980 + " 127.0.0.1:80"),
        *((f"adversarial 1 MB, {label}", make(1_000_000)) for label, make in ADVERSARIAL.items()),
    ]
    worst = 0.0
    for label, text in cases:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            result = find_endpoints(text)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        if label.startswith("adversarial"):
            worst = max(worst, median)
        print(f"{label}: median {median * 1000:.0f} ms, {len(result.endpoints)} endpoints found", flush=True)
    print(f"slowest adversarial case: {worst * 1000:.0f} ms (target: at most 2000 ms)")


if __name__ == "__main__":
    main()
