"""Text shapes that made the old endpoint finder quadratic (a 1 MB paste of them took hours), and relatives.

Shared by bench/bench_parse.py (target: each at most 2 s per 1 MB) and
tests/unit/core/explain/test_endpoints.py (a generous bound on 100 kB that only catches a blow-up).  Each entry
makes a text of about ``n`` characters.
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
    # issue 26's rules
    "address port N": lambda n: "Connection reset by 1.1.1.1 port 1 " * (n // 35),
    "long name port N": lambda n: "a" * (n - 7) + " port 1",
    "name:port [name/address]": lambda n: "a:1 [a/1.1.1.1] " * (n // 16),
    "name:port ([v6]:port)": lambda n: "a:1 ([::1]:1) " * (n // 14),
    "ssh -L forwards": lambda n: "-L 1:a:1 " * (n // 9),
    "firewall log without DPT": lambda n: "SRC=1.1.1.1 DST=1.1.1.1 " * (n // 24),
    "firewall log, DPT far away": lambda n: ("SRC=1.1.1.1 DST=1.1.1.1 " + "x" * 290 + " DPT=1\n") * (n // 320),
    "port ranges": lambda n: "range: 1-" * (n // 9),
    "address/port": lambda n: "1.1.1.1/1000 " * (n // 13),
    "masked addresses": lambda n: "x.x.1.1:1 " * (n // 10),
    "address and port words": lambda n: "1.1.1.1 11 " * (n // 11),
    "catalog words": lambda n: "Connection refused Host is down Verbindungsaufbau abgelehnt " * (n // 60),
    "broken lines": lambda n: "a \n " * (n // 4),
    "lookups on a name server": lambda n: "lookup a on " * (n // 12) + "i/o timeout",
    "host before error words": lambda n: "localhost refused to connect " * (n // 29),
    ".NET inner exceptions": lambda n: " ---> Address already in use" * (n // 29),
    "localhost:port words": lambda n: "localhost:port ECONNREFUSED " * (n // 28),
}
