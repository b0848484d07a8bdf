"""Text shapes that made the old endpoint finder quadratic (a 1 MB paste of them took hours), and relatives.

Shared by bench/bench_parse.py (target: each at most 2 s per 1 MB) and tests/unit/test_endpoints.py (a generous
bound on 100 kB that only catches a blow-up).  Each entry makes a text of about ``n`` characters.
"""

from __future__ import annotations

from collections.abc import Callable

ADVERSARIAL: dict[str, Callable[[int], str]] = {
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
