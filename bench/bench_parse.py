"""Time to find endpoints in a 1 MB paste (target: well under 100 ms).

python bench/bench_parse.py
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


def main() -> None:
    for label, text in (
        ("log-like 1 MB", make_text(1_000_000, 1)),
        ("one line of 1 MB", "x" * 999_980 + " 127.0.0.1:80"),
    ):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            result = find_endpoints(text)
            times.append(time.perf_counter() - start)
        print(f"{label}: median {statistics.median(times) * 1000:.0f} ms, {len(result.endpoints)} endpoints found")


if __name__ == "__main__":
    main()
