"""Find ``host:port`` endpoints in free text such as error messages."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

MAX_TEXT = 1_000_000  # characters read from a paste; the rest is ignored (and said so)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An address found in text.  ``host`` is "" when the text named only a port."""

    host: str
    port: int
    text: str

    @property
    def display(self) -> str:
        if not self.host:
            return f"port {self.port}"
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class FindResult:
    endpoints: tuple[Endpoint, ...]
    problems: tuple[str, ...] = ()

    @property
    def ports(self) -> frozenset[int]:
        return frozenset(e.port for e in self.endpoints)


_HOSTNAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*"
_IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"
_PATTERNS = [
    # URL: scheme://host[:port]
    re.compile(
        r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{1,15})://(?:[^@\s/]*@)?"
        r"(?:\[(?P<uv6>[0-9A-Fa-f:.%\w]+)\]|(?P<uhost>" + _HOSTNAME + r"))(?::(?P<uport>\d{1,6}))?"
    ),
    # [v6]:port
    re.compile(r"\[(?P<v6>[0-9A-Fa-f:.]+(?:%\w+)?)\]:(?P<v6port>\d{1,6})\b"),
    # v4:port
    re.compile(r"(?<![\w.])(?P<v4>" + _IPV4 + r"):(?P<v4port>\d{1,6})\b"),
    # bare v6 written with the port glued on, as Node does: ":::3000", "::1:3000"
    re.compile(r"(?<![\w:])(?P<bare6>::(?:1)?|::ffff:" + _IPV4 + r"):(?P<bare6port>\d{1,6})\b"),
    # *:80
    re.compile(r"(?<![\w*])\*:(?P<starport>\d{1,6})\b"),
    # name:port
    re.compile(r"(?<![\w.:/@-])(?P<name>" + _HOSTNAME + r"):(?P<nameport>\d{1,6})\b(?![.:]\d)"),
    # "port 5432", "port: 5432", "port=5432"
    re.compile(r"\bport\s*[:=]?\s*\"?(?P<port>\d{1,6})\b", re.IGNORECASE),
]
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21, "ssh": 22}


def _valid_host(host: str) -> bool:
    if re.fullmatch(_IPV4, host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
    return True


def find_endpoints(text: str) -> FindResult:
    """Every endpoint in ``text``, in the order they appear, without duplicates.

    Never raises: odd input gives no endpoints and a plain-language problem.
    """
    problems: list[str] = []
    if not isinstance(text, str):
        return FindResult((), ("That is not text.",))
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
        problems.append("The text is very long; only its first million characters were read.")
    found: list[tuple[int, Endpoint]] = []
    covered: list[tuple[int, int]] = []
    bad_ports: set[str] = set()
    bad_hosts: set[str] = set()
    bad_v6: set[str] = set()
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.span()
            if any(s <= start < e or s < end <= e for s, e in covered):
                continue
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            host = next((groups[g] for g in ("uv6", "uhost", "v6", "v4", "bare6", "name") if g in groups), "")
            port_text = next(
                (
                    groups[g]
                    for g in ("uport", "v6port", "v4port", "bare6port", "starport", "nameport", "port")
                    if g in groups
                ),
                "",
            )
            if not port_text and "scheme" in groups:
                port = _DEFAULT_PORTS.get(groups["scheme"].lower())
                if port is None:
                    continue
            else:
                port = int(port_text)
            if "starport" in groups:
                host = "*"
            if not 1 <= port <= 65535:
                bad_ports.add(port_text)
                covered.append((start, end))
                continue
            if "name" in groups and re.fullmatch(r"[\d.]+", host):
                continue  # "1.2.3:80" is a version number or time, not an address
            if host and not _valid_host(host):
                bad_hosts.add(host)
                covered.append((start, end))
                continue
            if "v6" in groups or "uv6" in groups:
                try:
                    ipaddress.IPv6Address(host.split("%", 1)[0])
                except ValueError:
                    bad_v6.add(host)
                    covered.append((start, end))
                    continue
            covered.append((start, end))
            found.append((start, Endpoint(host, port, m.group(0))))
    found.sort(key=lambda item: item[0])
    unique: list[Endpoint] = []
    seen: set[tuple[str, int]] = set()
    for _, ep in found:
        if (ep.host, ep.port) not in seen:
            seen.add((ep.host, ep.port))
            unique.append(ep)
    for p in sorted(bad_ports):
        problems.append(f"{p} is not a port number: ports go from 1 to 65535.")
    for h in sorted(bad_hosts):
        problems.append(f"{h} is not a valid address: each of its four numbers must be between 0 and 255.")
    for h in sorted(bad_v6):
        problems.append(f"{h} is not a valid IPv6 address.")
    return FindResult(tuple(unique), tuple(problems))
