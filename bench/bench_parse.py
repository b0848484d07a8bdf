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

from bench.shapes import ADVERSARIAL
from loopgui.core.explain.endpoints import find_endpoints

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
