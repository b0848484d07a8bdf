"""Find ``host:port`` endpoints and the kind of error in free text such as error messages."""

from __future__ import annotations

import bisect
import enum
import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass

MAX_TEXT = 1_000_000  # characters read from a paste; the rest is ignored (and said so)


class ErrorKind(str, enum.Enum):
    REFUSED = "refused"
    IN_USE = "in_use"
    PERMISSION = "permission"
    TIMEOUT = "timeout"
    RESET = "reset"
    UNREACHABLE = "unreachable"
    NOT_FOUND = "not_found"

    @property
    def plain(self) -> str:
        return _KIND_PLAIN[self]


_KIND_PLAIN = {
    ErrorKind.REFUSED: "the connection was refused",
    ErrorKind.IN_USE: "the port is already in use",
    ErrorKind.PERMISSION: "the system did not allow using the port",
    ErrorKind.TIMEOUT: "the connection attempt timed out",
    ErrorKind.RESET: "the connection was cut off",
    ErrorKind.UNREACHABLE: "the other computer could not be reached",
    ErrorKind.NOT_FOUND: "a computer name could not be found",
}

# Checked in this order; the first kind whose pattern matches wins.  Matched against the lower-cased text with
# lower-cased patterns: much faster than re.IGNORECASE on a large paste (so no upper-case escapes like \S here).
_KIND_PATTERNS: tuple[tuple[ErrorKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern.lower()))
    for kind, pattern in (
        (
            ErrorKind.IN_USE,
            r"EADDRINUSE|address already in use|address in use|Errno 98\b|Errno 48\b|WinError 10048|WSAEADDRINUSE"
            r"|only one usage of each socket address|port is already allocated|is already in use|was already in use"
            r"|is already used|was already used"
            r"|already in use|already running on port|port \d+ is in use",
        ),
        (
            ErrorKind.PERMISSION,
            r"EACCES|WinError 10013|WSAEACCES|forbidden by its access permissions|permission denied|Errno 13\b"
            r"|operation not permitted|requires? (?:root|admin)",
        ),
        (
            ErrorKind.REFUSED,
            r"ECONNREFUSED|connection refused|Errno 111\b|Errno 61\b|WinError 10061|WSAECONNREFUSED|actively refused"
            r"|ERR_CONNECTION_REFUSED|refused to connect|couldn'?t connect to server|can'?t connect to"
            r"|could not connect|failed to connect|unable to connect|connect failed",
        ),
        (
            ErrorKind.TIMEOUT,
            r"ETIMEDOUT|timed out|time-?out expired|timeout\b|WinError 10060|WSAETIMEDOUT|ERR_CONNECTION_TIMED_OUT"
            r"|Errno 110\b|Errno 60\b",
        ),
        (
            ErrorKind.RESET,
            r"ECONNRESET|connection reset|Errno 104\b|Errno 54\b|WinError 10054|WSAECONNRESET|ERR_CONNECTION_RESET"
            r"|socket hang up|EPIPE|broken pipe|ERR_EMPTY_RESPONSE|connection (?:was )?closed|ECONNABORTED",
        ),
        (
            ErrorKind.UNREACHABLE,
            r"ENETUNREACH|EHOSTUNREACH|no route to host|network is unreachable|host is unreachable|Errno 113\b"
            r"|Errno 101\b|WinError 10065|WinError 10051|ERR_ADDRESS_UNREACHABLE|ERR_NETWORK_CHANGED",
        ),
        (
            ErrorKind.NOT_FOUND,
            r"ENOTFOUND|EAI_AGAIN|EAI_NONAME|getaddrinfo|name or service not known|nodename nor servname"
            r"|could not resolve|ERR_NAME_NOT_RESOLVED|Errno -[235]\b|Errno 11001|unknown host|UnknownHost"
            r"|no such host|name resolution",
        ),
    )
)


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
    """Endpoints, most likely first; the error kind if one was recognised; plain-language problems."""

    endpoints: tuple[Endpoint, ...]
    problems: tuple[str, ...] = ()
    kind: ErrorKind | None = None
    kind_text: str = ""

    @property
    def ports(self) -> frozenset[int]:
        return frozenset(e.port for e in self.endpoints)


_HOSTNAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*"
_IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"
_ANYHOST = r"\[[0-9A-Fa-f:.]+\]|" + _IPV4 + r"|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+|" + _HOSTNAME
# Each finder: a regex, the characters that may not come right before the match (a look-behind done in Python:
# a regex that starts with a look-behind cannot skip ahead quickly, which made a 1 MB paste slow), and for two
# of them a walk backwards from a fast anchor ("://", ":port") to where the match really starts.
_HOST_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")
_SCHEME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-")
_HOSTNAME_RE = re.compile(_HOSTNAME)


@dataclass(frozen=True, slots=True)
class _Finder:
    pattern: re.Pattern[str]
    not_after: str = ""  # characters (besides letters, digits and "_") that may not precede the match
    word_before: bool = False  # also refuse letters, digits and "_" right before the match
    back: str = ""  # "scheme" or "host": extend the match backwards from its anchor
    lowered: bool = False  # search the lower-cased text (case-insensitive words)


_FINDERS = [
    # PostgreSQL: server at "localhost" (::1), port 5432  /  on host "localhost" (127.0.0.1) and ... on port 5432
    _Finder(
        re.compile(
            r"(?:server at|host) \"(?P<pghost>[^\"\s]{1,255})\"(?: \((?P<pgip>[0-9A-Fa-f:.]+)\))?"
            r"[^\"]{0,120}?port (?P<pgport>\d{1,6})",
            re.DOTALL,
        )
    ),
    # curl, ssh: "connect to localhost port 62893", "connect to host 10.0.0.5 port 22"
    _Finder(re.compile(r"connect to (?:host )?(?P<chost>" + _ANYHOST + r") port (?P<cport>\d{1,6})\b")),
    # URL: scheme://host[:port] (found by its "://")
    _Finder(
        re.compile(
            r"://(?:[^@\s/]*@)?(?:\[(?P<uv6>[0-9A-Fa-f:.%\w]+)\]|(?P<uhost>" + _HOSTNAME + r"))(?::(?P<uport>\d{1,6}))?"
        ),
        back="scheme",
    ),
    # [v6]:port
    _Finder(re.compile(r"\[(?P<v6>[0-9A-Fa-f:.]+(?:%\w+)?)\]:(?P<v6port>\d{1,6})\b")),
    # v4:port
    _Finder(re.compile(r"(?P<v4>" + _IPV4 + r"):(?P<v4port>\d{1,6})\b"), not_after=".", word_before=True),
    # bare v6 written with the port glued on, as Node does: ":::3000", "::1:3000", "::ffff:127.0.0.1:80"
    _Finder(
        re.compile(r"(?P<bare6>::(?:1)?|::ffff:" + _IPV4 + r"):(?P<bare6port>\d{1,6})\b"),
        not_after=":",
        word_before=True,
    ),
    # *:80
    _Finder(re.compile(r"\*:(?P<starport>\d{1,6})\b"), not_after="*", word_before=True),
    # name:port (found by its ":port")
    _Finder(re.compile(r":(?P<nameport>\d{1,6})\b(?![.:]\d)"), back="host"),
    # "port 5432", "port: 5432", "port=5432", "Port 8080 was already in use"
    _Finder(re.compile(r"port\s*[:=]?\s*\"?(?P<port>\d{1,6})\b"), word_before=True, lowered=True),
]
_HOST_GROUPS = ("pgip", "pghost", "chost", "uv6", "uhost", "v6", "v4", "bare6", "name")
_PORT_GROUPS = ("pgport", "cport", "uport", "v6port", "v4port", "bare6port", "starport", "nameport", "port")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21, "ssh": 22}
_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::", "*"}


def _valid_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def _valid_ipv6(host: str) -> bool:
    try:
        ipaddress.IPv6Address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _required_words(pattern: str) -> list[str] | None:
    """For each top-level alternative of ``pattern``, its longest run of plain characters outside any group: text
    matching that alternative must contain it.  None when an alternative has no such run of 3 characters."""
    alternatives, depth, current = [], 0, ""
    for ch in pattern:
        if ch == "|" and depth == 0:
            alternatives.append(current)
            current = ""
            continue
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        current += ch
    alternatives.append(current)
    words = []
    for alt in alternatives:
        runs, run, depth, i = [], "", 0, 0
        while i < len(alt):
            ch = alt[i]
            quantified = i + 1 < len(alt) and alt[i + 1] in "?*{"
            if ch == "\\" or ch in "()[]{}?*+.^$" or depth or quantified:
                runs.append(run)
                run = ""
                if ch in "([":
                    depth += 1
                elif ch in ")]":
                    depth -= 1
                i += 2 if ch == "\\" else 1
                continue
            run += ch
            i += 1
        runs.append(run)
        best = max(runs, key=len)
        if len(best) < 3:
            return None
        words.append(best)
    return words


_KIND_LITERALS = [_required_words(p.pattern) for _, p in _KIND_PATTERNS]


class _Spans:
    """Parts of the text already read by an earlier (more specific) pattern; kept sorted, so each check is a
    binary search, not a scan (a 1 MB paste can hold thousands of addresses)."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def claim(self, start: int, end: int) -> bool:
        """Mark [start, end) as read; False (and nothing marked) when it overlaps a part read before."""
        i = bisect.bisect_right(self._starts, start)
        if i > 0 and self._ends[i - 1] > start:
            return False
        if i < len(self._starts) and self._starts[i] < end:
            return False
        self._starts.insert(i, start)
        self._ends.insert(i, end)
        return True


def _lower(text: str) -> str:
    """``text`` lower-cased, position for position (the rare letters whose lower case is longer stay as they are)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return lowered


def detect_kind(text: str, lowered: str | None = None) -> tuple[ErrorKind | None, str, int]:
    """(kind, the words that show it, where they start) or (None, "", -1).  ``lowered``: ``_lower(text)``, if the
    caller has it already."""
    if lowered is None:
        lowered = _lower(text)
    for (kind, pattern), literals in zip(_KIND_PATTERNS, _KIND_LITERALS, strict=True):
        # A regex alternation scans slowly; plain substring search is fast.  Skip kinds none of whose words occur.
        if literals is not None and not any(word in lowered for word in literals):
            continue
        m = pattern.search(lowered)
        if m:
            return kind, text[m.start() : m.end()], m.start()
    return None, "", -1


def _before_ok(text: str, start: int, finder: _Finder) -> bool:
    if start == 0:
        return True
    prev = text[start - 1]
    if finder.word_before and (prev.isalnum() or prev == "_"):
        return False
    return prev not in finder.not_after


def _matches(text: str, lowered: str) -> Iterator[tuple[re.Match[str], int, dict[str, str]]]:
    """Every candidate match of every finder, in finder order, with its real start and its named groups."""
    for finder in _FINDERS:
        source = lowered if finder.lowered else text
        for m in finder.pattern.finditer(source):
            start = m.start()
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            if finder.back == "scheme":
                i = start
                while i > 0 and start - i < 17 and text[i - 1] in _SCHEME_CHARS:
                    i -= 1
                scheme = text[i:start]
                if not (2 <= len(scheme) <= 16 and scheme[0].isalpha()) or (i > 0 and text[i - 1] in _SCHEME_CHARS):
                    continue
                groups["scheme"] = scheme
                start = i
            elif finder.back == "host":
                i = start
                while i > 0 and start - i < 254 and text[i - 1] in _HOST_CHARS:
                    i -= 1
                name = text[i:start]
                prev = text[i - 1] if i > 0 else ""
                if not name or (prev and (prev.isalnum() or prev in "_.:/@-")) or not _HOSTNAME_RE.fullmatch(name):
                    continue
                groups["name"] = name
                start = i
            elif not _before_ok(text, start, finder):
                continue
            yield m, start, groups


def find_endpoints(text: str) -> FindResult:
    """Every endpoint in ``text`` without duplicates, the most likely one first, and the error kind.

    Never raises: odd input gives no endpoints and a plain-language problem.
    """
    problems: list[str] = []
    if not isinstance(text, str):
        return FindResult((), ("That is not text.",))
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
        problems.append("The text is very long; only its first million characters were read.")
    text = text.replace("\x00", " ")
    lowered = _lower(text)
    kind, kind_text, kind_at = detect_kind(text, lowered)
    found: list[tuple[int, Endpoint]] = []
    covered = _Spans()
    bad_ports: set[str] = set()
    bad_hosts: set[str] = set()
    for m, start, groups in _matches(text, lowered):
        end = m.end()
        if not covered.claim(start, end):
            continue
        host = next((groups[g] for g in _HOST_GROUPS if g in groups), "").strip("[]")
        port_text = next((groups[g] for g in _PORT_GROUPS if g in groups), "")
        if not port_text:
            port = _DEFAULT_PORTS.get(groups.get("scheme", "").lower())
            if port is None:
                continue
            port_text = str(port)
        port = int(port_text)
        if "starport" in groups:
            host = "*"
        if "name" in groups and re.fullmatch(r"[\d.]+", host):
            continue  # "1.2.3:80" is a version number or a time, not an address
        if not 1 <= port <= 65535:
            bad_ports.add(port_text)
            continue
        if re.fullmatch(_IPV4, host) and not _valid_ipv4(host):
            bad_hosts.add(host)
            continue
        if ":" in host and not _valid_ipv6(host):
            continue
        found.append((start, Endpoint(host, port, text[start:end])))
    unique: dict[tuple[str, int], tuple[int, Endpoint]] = {}
    for start, ep in sorted(found, key=lambda item: item[0]):
        unique.setdefault((ep.host.lower(), ep.port), (start, ep))
    # A bare "port 5432" adds nothing when the same port was also found with its host.
    with_host = {p for (h, p) in unique if h}
    ranked = [(s, ep) for (h, p), (s, ep) in unique.items() if h or p not in with_host]

    def score(item: tuple[int, Endpoint]) -> tuple[int, int]:
        start, ep = item
        points = 0
        if ep.host:
            points += 2
        if ep.host.lower() in _LOCAL_NAMES or ep.host.startswith("127."):
            points += 1
        if kind_at >= 0 and 0 <= start - kind_at <= 80:
            points += 1  # "ECONNREFUSED 127.0.0.1:3000": the address right after the error words
        return (-points, start)

    ranked.sort(key=score)
    for p in sorted(bad_ports, key=len):
        problems.append(f"{p} is not a port number: ports go from 1 to 65535.")
    for h in sorted(bad_hosts):
        problems.append(f"{h} is not a valid address: each of its four numbers must be between 0 and 255.")
    return FindResult(tuple(ep for _, ep in ranked), tuple(problems), kind, kind_text)
