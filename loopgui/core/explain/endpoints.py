"""Find ``host:port`` endpoints and the kind of error in free text such as error messages.

Every pattern here runs in linear time on any input: each quantifier is bounded (``{0,N}``) or cannot overlap its
neighbour, every pattern starts at a literal anchor or a short bounded token, and walks backwards from an anchor
stop at the previous anchor.  ``bench/bench_parse.py`` measures adversarial 1 MB pastes.
"""

from __future__ import annotations

import bisect
import enum
import functools
import ipaddress
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources

from loopgui.core.explain.facts import Fact, Problem, fact

MAX_TEXT = 1_000_000  # characters read from a paste; the rest is ignored (and said so)
MAX_MATCHES = 10_000  # matches read per pattern: a paste with more addresses than that is not an error message
MAX_KIND_MATCHES = 2_000


class ErrorKind(str, enum.Enum):
    REFUSED = "refused"
    IN_USE = "in_use"
    PERMISSION = "permission"
    TIMEOUT = "timeout"
    RESET = "reset"
    UNREACHABLE = "unreachable"
    NOT_FOUND = "not_found"
    NOT_AVAILABLE = "not_available"  # EADDRNOTAVAIL: an address this computer does not have
    FAMILY = "family"  # EAFNOSUPPORT: an address family (usually IPv6) the system does not support


# -- error kinds ---------------------------------------------------------------------------------------------------
# Matched against the lower-cased text (much faster than re.IGNORECASE on a large paste).  Each kind has words of
# two strengths: 3 = an error code or number (ECONNREFUSED, [Errno 111], (10061)), 2 = the words of the error
# ("connection refused", also as Windows and Linux print them in other languages).  Words that do not say why a
# connection failed ("failed to connect", "could not connect") are no kind at all.  The strongest words win; among
# equally strong words the earlier kind in this list wins (an "address in use" explains the refusals after it).

_ERRNO_WORDS = ("errno", "winerror", "os error", "socket error", "error", "code", "err")
# Error numbers (Linux, macOS, Windows sockets; Node.js prints them negative, Python's name lookups too).
_ERRNO_KINDS: dict[str, ErrorKind] = {
    **dict.fromkeys(("98", "48", "10048", "-98", "-48", "-4091"), ErrorKind.IN_USE),
    **dict.fromkeys(("13", "10013", "-13", "-4092"), ErrorKind.PERMISSION),
    **dict.fromkeys(("111", "61", "10061", "1225", "-111", "-61", "-4078"), ErrorKind.REFUSED),
    **dict.fromkeys(("110", "60", "10060", "-110", "-60", "-4039"), ErrorKind.TIMEOUT),
    **dict.fromkeys(("104", "54", "10054", "-104", "-54", "-4077"), ErrorKind.RESET),
    **dict.fromkeys(("113", "101", "65", "51", "10065", "10051", "-113", "-101", "-65", "-51"), ErrorKind.UNREACHABLE),
    **dict.fromkeys(("11001", "-2", "-3", "-5", "-3008", "-3001"), ErrorKind.NOT_FOUND),
}


def _load_words(name: str) -> dict[str, object]:
    data = json.loads(resources.files("loopgui.resources").joinpath(name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# Generated from the catalogs in resources/error_words/ (resources/generate_error_words.py) and from glibc's own
# translations (resources/make_strerror_table.py): names, numbers and texts of each kind as the software prints them.
_ERROR_WORDS = _load_words("error_words.json")
_STRERROR = _load_words("strerror_l10n.json")


def _catalog_numbers() -> dict[str, ErrorKind]:
    numbers = _ERROR_WORDS["numbers"]
    assert isinstance(numbers, dict)
    return {n: ErrorKind(kind) for kind, ns in numbers.items() for n in ns}


for _number, _kind in _catalog_numbers().items():
    _ERRNO_KINDS.setdefault(_number, _kind)  # the list above decides where it says otherwise
_SHORT_NOT_FOUND = frozenset(("-2", "-3", "-5"))  # only after "errno": "code -2" alone says too little
# Patterns whose group "n" is an error number: "[Errno 111]", "os error 98", "(111: Connection refused)", "(10061)",
# and the distinctive Windows numbers standing alone.
_ERRNO_RES: tuple[re.Pattern[str], ...] = (
    *(re.compile(w + r"[ :=#]{0,3}(?P<n>-?\d{1,5})(?![\d.:])") for w in _ERRNO_WORDS),
    re.compile(r"\((?P<n>\d{2,5})(?:\)|:)"),
    re.compile(r"(?P<n>100(?:48|61|13|60|54|65|51|49|47)|11001)(?![\w:.])"),
)


_KIND_WORDS: tuple[tuple[ErrorKind, int, str], ...] = (
    (ErrorKind.IN_USE, 3, r"eaddrinuse\b|wsaeaddrinuse\b"),
    (
        ErrorKind.IN_USE,
        2,
        r"address already in use|address in use|connection in use: \(|only one usage of each socket address"
        r"|port is already allocated"
        r"|already in use|already be in use|already used|already running on port|port \d{1,5} is in use"
        r"|currently in use|is in use by another"
        r"|addressinuse|portinuse|地址已在使用|通常每个套接字地址|adresse bereits verwendet|adresse déjà utilisée"
        r"|dirección ya (?:está )?en uso|被占用|已占用|使用中です|既に使用されています|wird bereits verwendet"
        r"|уже используется|está en uso"
        r"|solo se permite un uso de cada dirección|une seule utilisation de chaque adresse"
        r"|jede socketadresse"
        # no free port to listen on: "Cannot find empty port in range: 7860-7860", "Ports 8080 to 8090 are all in use"
        r"|cannot find (?:an? )?(?:empty|free|available|unused) port|no (?:empty|free|available|unused) ports?"
        r"|are all in use",
    ),
    (ErrorKind.PERMISSION, 3, r"eacces\b|wsaeacces\b|eperm\b"),
    (
        ErrorKind.PERMISSION,
        2,
        r"an attempt was made to access a socket in a way forbidden|forbidden by its access permissions"
        r"|permission denied|operation not permitted|requires? (?:root|admin)"
        r"|permission to listen [^\n]{0,80}?denied|privileged port|权限不够|以一种访问权限不允许的方式",
    ),
    (
        ErrorKind.REFUSED,
        3,
        r"econnrefused\b|wsaeconnrefused\b|err_connection_refused",
    ),
    (
        ErrorKind.REFUSED,
        2,
        r"connection refused|no connection could be made because the target machine|connect call failed"
        r"|actively refused|actively rejected|refused to connect"
        r"|refused the connection|refused connection|connection (?:to|with) [^\n]{1,200}? (?:was )?refused"
        r"|connection was refused|connection was actively refused|connection (?:was )?rejected"
        # Chrome's "HOST refused to connect" page in other languages
        r"|n'autorise pas la connexion|a refusé la connexion|hat die verbindung abgelehnt|rechazó la conexión"
        r"|ha rifiutato la connessione|recusou a conexão|не позволяет установить соединение|接続が拒否"
        r"|connectionrefused"
        r"|积极拒绝|拒绝连接|拒绝网络连接|拒绝了我们的连接请求|拒絕連線|denegó expresamente|conexión rehusada"
        r"|connexion refusée"
        r"|expressément refusée"
        r"|verbindung verweigert|die verbindung verweigerte|接続を拒否|拒否されたため|отказано в соединении"
        r"|отверг запрос|recusou ativamente|conexão recusada|연결을 거부",
    ),
    (
        ErrorKind.TIMEOUT,
        3,
        r"etimedout\b|wsaetimedout\b|err_connection_timed_out|err_timed_out|sockettimeoutexception"
        r"|connecttimeoutexception",
    ),
    (
        ErrorKind.TIMEOUT,
        2,
        r"timed out|time-?out expired|timeout was reached|timeout exceeded|curl: \(28\)|i/o timeout|connect timeout"
        r"|connection timeout|deadline exceeded|timeout of \d{1,7}ms exceeded|esockettimedout|连接超时|连线逾时"
        r"|zeitüberschreitung|délai d'attente|tiempo de espera"
        # StackExchange.Redis names the failure last: "... disable AbortOnConnectFail. Timeout"
        r"|abortonconnectfail\. timeout",
    ),
    (
        ErrorKind.RESET,
        3,
        r"econnreset\b|wsaeconnreset\b|epipe\b|err_connection_reset|err_empty_response",
    ),
    (
        ErrorKind.RESET,
        2,
        r"connection reset|socket hang up|broken pipe|connection aborted|econnaborted\b|连接被对方重设|连接被对方重置|"
        r"connection was forcibly closed|强迫关闭了一个现有的连接"
        r"|forces an existing connection to be closed",  # a translated Windows 10054 text
    ),
    (
        ErrorKind.UNREACHABLE,
        3,
        r"enetunreach\b|ehostunreach\b|ehostdown\b|enetdown\b|err_address_unreachable|noroutetohostexception",
    ),
    (
        ErrorKind.UNREACHABLE,
        2,
        r"no route to host|network is unreachable|host is unreachable|没有到主机的路由|网络不可达"
        r"|attempted to an unreachable",  # Windows: "A socket operation was attempted to an unreachable network/host"
    ),
    (
        ErrorKind.NOT_FOUND,
        3,
        r"enotfound\b|eai_again\b|eai_noname\b|err_name_not_resolved|unknownhostexception|nxdomain\b",
    ),
    (
        ErrorKind.NOT_FOUND,
        2,
        r"name or service not known|nodename nor servname|could not resolve|could not translate host name"
        r"|unknown host|no such host|curl: \(6\)|name resolution|temporary failure in name|getaddrinfo failed"
        r"|temporary failure resolving|failed to resolve",
    ),
)


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern ("a|b(c|d)" → ["a", "b(c|d)"])."""
    out, depth, current, escaped = [], 0, "", False
    for ch in pattern:
        if escaped:
            current += ch
            escaped = False
            continue
        if ch == "\\":
            escaped = True
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(current)
            current = ""
            continue
        current += ch
    out.append(current)
    return out


# One pattern per alternative: each starts with plain letters, so the regex engine jumps from one place where those
# letters occur to the next (one pattern with a hundred alternatives tries each of them at every character).
# Compiled when first needed (about 150 patterns: 15 ms that the window's start need not wait for).
@functools.cache
def _kind_res() -> tuple[tuple[int, re.Pattern[str]], ...]:
    return tuple((i, re.compile(alt)) for i, (_, _, words) in enumerate(_KIND_WORDS) for alt in _alternatives(words))


_KIND_ORDER = list(ErrorKind)


@functools.cache
def _catalog_phrases() -> tuple[tuple[str, ErrorKind, int], ...]:
    """(words, kind, strength) from the catalogs (worked out when first needed): names are as strong as an error
    code, texts as words; glibc's texts in every language it is translated to.  Lower case, one space for any
    white space, straight apostrophes."""
    out: dict[str, tuple[ErrorKind, int]] = {}
    for part, strength in (("names", 3), ("texts", 2)):
        table = _ERROR_WORDS[part]
        assert isinstance(table, dict)
        for kind, words in table.items():
            for word in words:
                out.setdefault(_squeeze(word), (ErrorKind(kind), strength))
    kinds = _STRERROR["kinds"]
    assert isinstance(kinds, dict)
    for kind, entries in kinds.items():
        for entry in entries:
            # lower-cased as the text is (_lower): Turkish "İ" stays as it is
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in str(entry["text"]))
            out.setdefault(_squeeze(low).rstrip("."), (ErrorKind(kind), 2))
    # words that hold shorter words of the same kind and strength add nothing ("java.net.connectexception:
    # connection refused" after "connection refused")
    kept = [(w, k, st) for w, (k, st) in sorted(out.items()) if w]
    alike: dict[tuple[ErrorKind, int], list[str]] = {}
    for w, k, st in kept:
        alike.setdefault((k, st), []).append(w)
    return tuple((w, k, st) for w, k, st in kept if not any(o != w and o in w and _holds(w, o) for o in alike[(k, st)]))


def _holds(longer: str, shorter: str) -> bool:
    """``shorter`` occurs in ``longer`` as whole words (as _catalog_hits would find it)."""

    def wordy(ch: str) -> bool:  # as _wordy, defined further down
        return ch.isascii() and (ch.isalnum() or ch == "_")

    at = longer.find(shorter)
    while at >= 0:
        end = at + len(shorter)
        if not (at and wordy(longer[at - 1]) and wordy(shorter[0])) and not (
            end < len(longer) and wordy(longer[end]) and wordy(shorter[-1])
        ):
            return True
        at = longer.find(shorter, at + 1)
    return False


_SPACES = str.maketrans({"\t": " ", "\n": " ", "\r": " ", "\f": " ", "\v": " ", "\xa0": " ", "\u2019": "'"})
_SPACE_RUN = re.compile(r"  +")


def _squeeze(text: str) -> str:
    """``text`` with every run of white space as one space: a kind phrase broken across lines is still found."""
    return _SPACE_RUN.sub(" ", text.translate(_SPACES))


def _squeeze_map(text: str) -> tuple[list[int], list[int]]:
    """The map from ``_squeeze(text)`` back to ``text``: where each removed run starts in the squeezed text, and the
    characters removed up to there (made only when words were found: a paste of many short lines pays nothing)."""
    spans = [m.span() for m in _SPACE_RUN.finditer(text.translate(_SPACES))]
    removed = list(itertools.accumulate(end - start - 1 for start, end in spans))
    at = [start + 1 - gone + (end - start - 1) for (start, end), gone in zip(spans, removed, strict=True)]
    return at, removed


def _unsqueeze(pos: int, at: list[int], removed: list[int]) -> int:
    i = bisect.bisect_right(at, pos)
    return pos + (removed[i - 1] if i else 0)


@dataclass(frozen=True, slots=True)
class _KindHit:
    kind: ErrorKind
    strength: int
    start: int
    end: int


def _catalog_hits(lowered: str) -> Iterator[_KindHit]:
    """The catalogs' words, found with plain searches in the text with its white space squeezed."""
    squeezed = _squeeze(lowered)
    ascii_only = squeezed.isascii()
    found: list[tuple[int, int, ErrorKind, int]] = []
    for words, kind, strength in _catalog_phrases():
        if ascii_only and not words.isascii():
            continue
        first, last = words[0], words[-1]
        edge_start = first.isascii() and first.isalnum()
        edge_end = last.isascii() and last.isalnum()
        start = squeezed.find(words)
        count = 0
        while start >= 0 and count < MAX_KIND_MATCHES:
            end = start + len(words)
            count += 1
            if not (edge_start and start and _wordy(squeezed[start - 1])) and not (
                edge_end and end < len(squeezed) and _wordy(squeezed[end])
            ):
                found.append((start, end, kind, strength))
            start = squeezed.find(words, end)
    if not found:
        return
    at, removed = _squeeze_map(lowered) if len(squeezed) != len(lowered) else ([], [])
    for start, end, kind, strength in found:
        yield _KindHit(kind, strength, _unsqueeze(start, at, removed), _unsqueeze(end - 1, at, removed) + 1)


def _kind_hits(lowered: str) -> list[_KindHit]:
    hits: list[_KindHit] = list(_catalog_hits(lowered))
    for index, m in _kind_matches(lowered):
        start = m.start()
        prev = lowered[start - 1] if start else ""
        first = m.group()[0]
        if prev.isascii() and (prev.isalnum() or prev == "_") and first.isascii() and first.isalnum():
            continue  # inside a longer word: "RemoteAccessException" is not EACCES
        if index >= 0:
            kind, strength, _ = _KIND_WORDS[index]
        else:
            number = m.group("n")
            found = _ERRNO_KINDS.get(number)
            if found is None or (number in _SHORT_NOT_FOUND and not m.group().startswith("errno")):
                continue
            if first.isdigit() and (prev in ":./-" or lowered.endswith("port ", 0, start)):
                continue  # a port or a part of an address, not an error number
            kind, strength = found, 3
        hits.append(_KindHit(kind, strength, start, m.end()))
    hits.sort(key=lambda h: h.start)
    return hits


def _kind_matches(lowered: str) -> Iterator[tuple[int, re.Match[str]]]:
    """(index into _KIND_WORDS, match), or (-1, match) for an error number."""
    patterns = [*_kind_res(), *((-1, p) for p in _ERRNO_RES)]
    for index, pattern in patterns:
        for n, m in enumerate(pattern.finditer(lowered)):
            if n >= MAX_KIND_MATCHES:
                break
            yield index, m


def _choose_kind(hits: list[_KindHit], inner: int = -1) -> ErrorKind | None:
    """The strongest words' kind; among equally strong words, those of the cause (after .NET's " ---> ", which
    starts the inner exception, at ``inner``) win over the wrapper's, then the earlier kind in the list."""
    if not hits:
        return None
    best = max(hits, key=lambda h: (h.strength, 0 <= inner <= h.start, -_KIND_ORDER.index(h.kind)))
    return best.kind


# -- endpoints -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An address found in text.  ``host`` is "" when the text named only a port.  When the text gives both a name
    and the address it stood for ("localhost/127.0.0.1:8080", 'server at "localhost" (::1)', "Failed to connect to
    localhost:3000 ... dial tcp [::1]:3000"), ``host`` is the address actually dialled and ``named`` the name."""

    host: str
    port: int
    text: str
    named: str = ""

    @property
    def display(self) -> str:
        if not self.host:
            return f"port {self.port}"
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def given(self) -> str:
        """The address as the program was given it: "localhost:5432" for 'server at "localhost" (::1), port 5432'."""
        if not self.named:
            return self.display
        return f"[{self.named}]:{self.port}" if ":" in self.named else f"{self.named}:{self.port}"


@dataclass(frozen=True, slots=True)
class FindResult:
    """Endpoints, most likely first; the error kind if one was recognised; plain-language problems.
    ``lookup_host``: the name a failed name lookup was about ("getaddrinfo ENOTFOUND db"), else "".
    ``host_only``: the computer the failure is about when the text names it without any port ("Could not resolve
    hostname github.com", "Can't connect to MySQL server on 'localhost' (10061)"); then it is the answer, not
    ``endpoints[0]`` (any endpoints are other addresses in the text).  ``port_hint``: (program, usual port) when
    the text names a well-known program, such as ("MySQL", "3306"); a hint, never what the text said."""

    endpoints: tuple[Endpoint, ...]
    problems: tuple[Fact[Problem], ...] = ()
    kind: ErrorKind | None = None
    kind_text: str = ""
    lookup_host: str = ""
    host_only: str = ""
    port_hint: tuple[str, str] = ("", "")

    @property
    def ports(self) -> frozenset[int]:
        return frozenset(e.port for e in self.endpoints)


_HOST_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_")
_SCHEME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-")
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOSTNAME_RE = re.compile(_LABEL + r"(?:\." + _LABEL + r"){0,126}\.?")
_IPV4_RE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_DIGITS_DOTS = re.compile(r"[\d.]+")
_IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"
# A host written in a phrase or a field: one bounded run, checked afterwards (no backtracking into it).
_HOSTTOK = r"\[?(?P<{0}>[\w.:%-]{{1,253}}+)\]?"
_QHOST = r"(?P<{0}>[^\"'`\s]{{1,253}}+)"
_PORTTOK = r"(?P<{0}>\d{{1,6}}+)(?!\.?\d)"
# Words that look like a name before ":port" but are not one ("line:42", "port:8080").
_NOT_NAMES_TEXT = (
    "port ports line lines col column row pid id code errno error err status time at in on to from by of v ver "
    "version size len length offset page step stage http https tcp tcp4 tcp6 udp udp4 udp6 ws wss address addr "
    "host hostname listen bind dial connect thread localport remoteport uid gid fd exit signal attempt retry "
    "retries count index node char"
)
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
_PROTOCOLS = frozenset(("tcp", "tcp4", "tcp6", "udp", "udp4", "udp6"))
_NO_HOST = frozenset(("null", "undefined", "nil", "None"))  # Node's "bind EACCES null:80": no host given
# File name endings: "events.js:292", "main.go:26" and "asgi.py:77" name a line of a file, not a computer.
_FILE_ENDINGS_TEXT = (
    "js mjs cjs jsx ts tsx vue svelte py pyx pyw go java kt kts scala groovy rb erb php c h cc cpp cxx hpp hh cs "
    "fs vb rs swift m mm dart ex exs erl hrl clj cljs lua pl pm sh bash zsh ps1 psm1 r jl zig nim hs ml elm coffee "
    "json yaml yml toml ini cfg conf xml html htm css scss less sql log txt md gradle jar class dll so exe "
    "lock tpl twig jsp aspx cshtml razor ejs hbs pug"
)
_FILE_ENDINGS = frozenset(_FILE_ENDINGS_TEXT.split())


@functools.lru_cache(maxsize=4096)  # a paste repeats the same few addresses thousands of times
def _valid_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def _valid_ipv6(host: str) -> bool:
    if ":" not in host:
        return False
    try:
        ipaddress.IPv6Address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _clean_host(raw: str) -> str:
    """A host as written, without brackets and trailing dots; "" when it is neither an address nor a name."""
    h = raw.strip().strip("[]").rstrip(".")
    if not h:
        return ""
    if ":" in h:
        return h if _valid_ipv6(h) else ""
    if "%" in h:
        return ""
    if h == "*":
        return h
    if _IPV4_RE.fullmatch(h):
        return h  # checked (and a problem reported when wrong) by the caller
    if _DIGITS_DOTS.fullmatch(h):
        return ""
    return h if len(h) <= 253 and _HOSTNAME_RE.fullmatch(h) else ""


def _is_local_name(name: str) -> bool:
    low = name.lower()
    return low == "localhost" or low.endswith(".localhost")


def _plausible_name(name: str) -> bool:
    """A name written right before ":port" without any other hint: reject file names, words, class names."""
    low = name.lower()
    if low == "localhost" or low.endswith(".localhost"):
        return True
    if "__" in name:
        return False  # "<startReceiving>b__175_2:1971": a compiler-made .NET method name, not a computer
    if "." in name:
        last = low.rstrip(".").rsplit(".", 1)[-1]
        return last not in _FILE_ENDINGS and not last.isdigit() and not _DIGITS_DOTS.fullmatch(low)
    if len(name) < 2 or low in _NOT_NAMES or name[0].isdigit():
        return False
    return name == low  # "NetworkClient:725", "T:4345": a class or thread, not a computer


@dataclass(slots=True)
class _Cand:
    start: int
    end: int
    host: str
    port: int | None
    points: int
    named: str = ""
    port_text: str = ""


_Handler = Callable[[str, "re.Match[str]"], Iterator[_Cand]]


def _wordy(ch: str) -> bool:
    """A letter, digit or "_" of the English alphabet: Chinese or Japanese text may touch an address directly
    ("连接127.0.0.1:30001时"), so only these make an address part of a longer word."""
    return ch.isascii() and (ch.isalnum() or ch == "_")


def _int(text: str) -> int | None:
    return int(text) if text and text.isdigit() and len(text) <= 6 else None


# Each finder: a pattern searched in the text (or the lower-cased text) and a function from a match to candidates.
# Earlier finders are more specific: the text they read is not read again by later ones.


def _walk_back(text: str, start: int, chars: frozenset[str], limit: int) -> int:
    i = start
    while i > 0 and start - i < limit and text[i - 1] in chars:
        i -= 1
    return i


def _f_pg(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # libpq: connection to server at "localhost" (::1), port 5432 failed / on host "localhost" (127.0.0.1) and
    # accepting TCP/IP connections on port 5432 / host name "localhost", service "5432"
    # (the address in brackets is the one dialled: it is the endpoint, the name is kept with it and listed too)
    host = _clean_host(text[m.start("pgh") : m.end("pgh")])
    ip = _clean_host(m.group("pgip") or "")
    port = _int(m.group("pgp"))
    if ip and ip != host:
        yield _Cand(m.start(), m.end(), ip, port, 3, named=host)
        if host:
            yield _Cand(m.start("pgh"), m.end("pgh"), host, port, 2)
    elif host:
        yield _Cand(m.start(), m.end(), host, port, 3)


def _f_fields(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # host='localhost', port=8100 / address: '127.0.0.1',\n port: 3000 / mysql:host=127.0.0.1;port=3306
    host = _clean_host(text[m.start("kh") : m.end("kh")])
    if host:
        yield _Cand(m.start(), m.end(), host, _int(m.group("kp")), 3)


_NOT_HOSTS = frozenset(("the", "remote", "any", "all", "a", "this", "that", "server", "unix", "socket"))


def _phrase_host(raw: str) -> str:
    """A host named in a phrase ("connect to HOST port N"): "" for words such as "TCP" or "the"."""
    if raw.endswith(".") and not _IPV4_RE.fullmatch(raw[:-1]):
        return ""  # the end of a sentence: "failed to start. Port 8080"
    host = _clean_host(raw)
    low = host.lower()
    return "" if low in _NOT_NAMES or low in _NOT_HOSTS else host


def _f_generic(groups: tuple[str, str], points: int = 3) -> _Handler:
    hg, pg = groups

    def handler(text: str, m: re.Match[str]) -> Iterator[_Cand]:
        host = _phrase_host(text[m.start(hg) : m.end(hg)])
        if host:
            yield _Cand(m.start(), m.end(), host, _int(m.group(pg)), points)

    return handler


def _f_quoted_host(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # `localhost`:`5432`, "db":5432; not a JSON key such as "file_line":3218 (a word joined by "_", no dot)
    raw = m.group("qh")
    if "_" in raw and "." not in raw:
        return
    yield from _f_generic(("qh", "qp"))(text, m)


def _f_port_on(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # "Unable to connect to port 22 on 127.0.0.1": only an address or a dotted name counts as the host
    host = _clean_host(text[m.start("oh") : m.end("oh")])
    if host and (":" in host or _IPV4_RE.fullmatch(host) or "." in host or host.lower() == "localhost"):
        yield _Cand(m.start(), m.end(), host, _int(m.group("op")), 3)


_IP_CHARS = frozenset("0123456789abcdefABCDEF:.")
_REDACTED_V4 = re.compile(r"[\dxX*]{1,3}(?:\.[\dxX*]{1,3}){3}")


def _named_and_ip(text: str, ip_start: int, ip_end: int, port: int | None, end: int) -> Iterator[_Cand]:
    """Java and Android write "name/address" ("localhost/127.0.0.1", "/192.168.49.1" when there is no name): the
    address is the one dialled and is the endpoint, with the name kept; the name is listed after it.  A hidden
    address ("xx.xxx.xx.xx") is not an endpoint: then the name is."""
    if text.startswith("//", ip_start - 2):
        return  # "http://[::1]:8080": a URL, read by the URL finder
    raw_ip = text[ip_start:ip_end]
    ip = "" if _REDACTED_V4.fullmatch(raw_ip) and not _IPV4_RE.fullmatch(raw_ip) else _clean_host(raw_ip)
    named = ""
    start = ip_start
    if ip_start > 0 and text[ip_start - 1] == "/":
        i = _walk_back(text, ip_start - 1, _HOST_CHARS, 253)
        name = text[i : ip_start - 1]
        if name and (i == 0 or text[i - 1] not in "/:@.\\") and _plausible_slash_name(name):
            named = _phrase_host(name)
            start = i if named else ip_start - 1
        else:
            start = ip_start - 1
    if named and ip:
        yield _Cand(start, end, ip, port, 3, named=named)
        yield _Cand(start, ip_start - 1, named, port, 2)
    elif named:
        yield _Cand(start, end, named, port, 3)
    elif ip and (":" in ip or _IPV4_RE.fullmatch(ip)):
        yield _Cand(start, end, ip, port, 3)


def _plausible_slash_name(name: str) -> bool:
    low = name.lower()
    if "." in low and low.rsplit(".", 1)[-1] in _FILE_ENDINGS:
        return False
    return not _DIGITS_DOTS.fullmatch(low) and not low.isdigit()


def _f_paren_port(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # Android: "failed to connect to localhost/127.0.0.1 (port 443)", "/192.168.49.1 (port 8988)",
    # "ossars.net/182.92.80.26(port 1935)", "10.0.2.2(port8443)" (found by its "(port N)")
    end = m.start()
    if end > 0 and text[end - 1] == " ":
        end -= 1
    if end > 1 and text[end - 1] in "'\"`" and text[end - 2] in _HOST_CHARS:
        end -= 1  # "Could not connect to '106.14.201.122' (port 22)": the host in quotes
    start = _walk_back(text, end, _IP_CHARS, 64)
    name_end = end > 0 and text[end - 1] in _HOST_CHARS  # "github.com (port 9418)": ends in a letter of no address
    if start == end and not name_end:
        return
    if start == end or (start > 0 and text[start - 1] in _HOST_CHARS and text[start - 1] not in _IP_CHARS):
        start = _walk_back(text, end, _HOST_CHARS, 253)  # a name, not an address: "ossars.net(port 1935)"
        host = _phrase_host(text[start:end])
        if host and not _IPV4_RE.fullmatch(host) and "." not in host and not _is_local_name(host):
            host = ""  # "listening (port 80)": a word, not a computer
        if host and (start == 0 or text[start - 1] not in "/:@"):
            yield _Cand(start, m.end(), host, _int(m.group("pp")), 3)
        return
    yield from _named_and_ip(text, start, end, _int(m.group("pp")), m.end())


def _f_java(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # Java's InetSocketAddress: "localhost/127.0.0.1:8080", "kafka/172.18.0.2:29092", "/192.168.10.6:8080"
    yield from _named_and_ip(text, m.start("sip"), m.end("sip"), _int(m.group("sp")), m.end())


def _f_wget(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # wget: "Connecting to example.org (example.org)|93.184.216.34|:443... failed": the address dialled, with the name
    host = _clean_host(m.group("wip"))
    if not host or not _is_address(host):
        return
    named = ""
    if m.start() > 0 and text[m.start() - 1] == ")":
        i = _walk_back(text, m.start() - 1, _HOST_CHARS, 253)
        if i > 0 and text[i - 1] == "(":
            named = _phrase_host(text[i : m.start() - 1])
    yield _Cand(m.start(), m.end(), host, _int(m.group("wp")), 3, named=named, port_text=m.group("wp"))


def _f_url(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    start = m.start()
    i = _walk_back(text, start, _SCHEME_CHARS, 17)
    scheme = text[i:start]
    if not (2 <= len(scheme) <= 16 and scheme[0].isalpha()) or (i > 0 and text[i - 1] in _SCHEME_CHARS):
        return
    raw = m.group("uv6") or m.group("uhost") or ""
    host = _clean_host(raw.replace("%25", "%"))
    if not host or (not m.group("uport") and _is_docs_url(text, i, m.end(), host)):
        return  # a documentation link; an address with its own port is a server, whatever its path
    port_text = m.group("uport") or ""
    if port_text:
        yield _Cand(i, m.end(), host, _int(port_text), 3, port_text=port_text)
        return
    default = _DEFAULT_PORTS.get(scheme.lower())
    if default is not None:
        yield _Cand(i, m.end(), host, default, 0)


# Documentation links in error messages ("see https://curl.haxx.se/libcurl/c/libcurl-errors.html",
# "Background on this error at: https://sqlalche.me/e/20/e3q8", "https://nodejs.org/api/errors.html#..."): they are
# never the endpoint a failure is about.
_DOCS_BEFORE = re.compile(r"(?:\bsee|\bvisit|information|more info|documentation|background on this error at)\W{0,4}$")
# Paths that are documentation whatever the host; "/api/..." alone is not one (REST calls fail too).
_DOCS_PATH = re.compile(
    r"/(?:docs?|documentation|manual|wiki|help|reference|faq|kb|libcurl|fwlink)(?:[/#?.]|$)"
    r"|/api/errors\.html|/errors?\.html?(?:[#?]|$)|^/e/\d{1,3}/|/issues/\d"
)
_DOCS_HOSTS = frozenset(("docs", "learn", "developer", "developers", "help", "support", "aka", "wiki"))


def _is_docs_url(text: str, start: int, host_end: int, host: str) -> bool:
    if _DOCS_BEFORE.search(text[max(0, start - 40) : start].lower()):
        return True
    if host.lower().split(".", 1)[0] in _DOCS_HOSTS:
        return True
    path_end = host_end
    while path_end < len(text) and path_end - host_end < 200 and not text[path_end].isspace():
        path_end += 1
    path = text[host_end:path_end].lower().rstrip(").,;'\"`>]")
    return bool(_DOCS_PATH.search(path))


def _f_multiaddr(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    host = _clean_host(m.group("mh"))
    if host:
        yield _Cand(m.start(), m.end(), host, _int(m.group("mp")), 3)


def _f_v6(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # "[::1]:8080", "[fe80::1%1]:8080", and ssh's "[localhost]:2222"
    host = _clean_host(m.group("v6"))
    if host and _IPV4_RE.fullmatch(host):
        # Postfix "gmail-smtp-in.l.google.com[74.125.141.26]:25": the address dialled, with the name it stood for
        i = _walk_back(text, m.start(), _HOST_CHARS, 253)
        named = _phrase_host(text[i : m.start()]) if i < m.start() else ""
        if named and _IPV4_RE.fullmatch(named):
            named = ""
        yield _Cand(
            i if named else m.start(),
            m.end(),
            host,
            _int(m.group("v6port")),
            3,
            named=named,
            port_text=m.group("v6port"),
        )
        return
    if host and (":" in host or (_plausible_name(host) and ("." in host or _is_local_name(host)))):
        yield _Cand(m.start(), m.end(), host, _int(m.group("v6port")), 3, port_text=m.group("v6port"))


def _f_errno6(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # Node glues the port to an IPv6 address: "ECONNREFUSED ::1:3000", "EADDRINUSE :::3000"
    host = m.group("e6")
    if _valid_ipv6(host):
        yield _Cand(m.start("e6"), m.end(), host, _int(m.group("e6p")), 3, port_text=m.group("e6p"))


def _f_v4(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # One pattern for every IPv4 shape (one pass over the text instead of four): "1.2.3.4:80"; an address with some
    # numbers hidden, "xxx.181.86.189:6697", still the endpoint; OkHttp's "127.0.0.1/7912" (a number above 128 is
    # no network prefix such as "/24"); a command given an address and a port as two words, "agent.jar 10.0.3.1
    # 3366" (a weak hint)
    start = m.start()
    prev = text[start - 1] if start > 0 else ""
    if prev and (_wordy(prev) or prev == "."):
        return
    raw = m.group("v4")
    strict = bool(_IPV4_RE.fullmatch(raw))
    port_text = m.group("v4port")
    if port_text is not None:
        if strict or (prev not in ":/" and sum(p.isdigit() for p in raw.split(".")) >= 2):
            yield _Cand(start, m.end(), raw, _int(port_text), 3, port_text=port_text)
        return
    if not strict or prev in ":/" or not _valid_ipv4(raw):
        return
    if m.group("slp") is not None:
        port = _int(m.group("slp"))
        if port is not None and port > 128:
            yield _Cand(start, m.end(), raw, port, 3, port_text=m.group("slp"))
    else:
        yield _Cand(start, m.end(), raw, _int(m.group("tap")), 1, port_text=m.group("tap"))


def _f_bare6(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    start = m.start()
    if start > 0 and (_wordy(text[start - 1]) or text[start - 1] in ":"):
        return
    yield _Cand(start, m.end(), m.group("bare6"), _int(m.group("b6p")), 3, port_text=m.group("b6p"))


def _f_star(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    start = m.start()
    if start > 0 and (_wordy(text[start - 1]) or text[start - 1] in "*"):
        return
    yield _Cand(start, m.end(), "*", _int(m.group("starport")), 3, port_text=m.group("starport"))


def _f_name(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # name:port, name:[port] (found by its ":port"), and a port with no host: Go's "listen tcp :8080"
    start = m.start()
    port_text = m.group("np") or m.group("npb")
    i = _walk_back(text, start, _HOST_CHARS, 254)
    name = text[i:start]
    prev = text[i - 1] if i > 0 else ""
    if not name or name.lower() in _PROTOCOLS or name in _NO_HOST:
        if not name and prev in "'\"`" and i > 1 and _wordy(text[i - 2]):
            key = text[_walk_back(text, i - 1, _HOST_CHARS, 64) : i - 1].lower()
            if "port" not in key:
                return  # a quoted key of JSON or a dict: "file_line":3218 (but "port":40667 is a port)
        if name or prev == "" or prev in " \t\n'\"([=`":  # "listen tcp :8080", adb's "tcp:5037"
            yield _Cand(i, m.end(), "", _int(port_text), 2, port_text=port_text)
        return
    if prev and (_wordy(prev) or prev in ".:/-\\"):
        return
    host = _clean_host(name)
    if not host or _IPV4_RE.fullmatch(host):
        return
    if _plausible_name(host) or (_after_connect_to(text, i) and _plausible_word_host(host)):
        yield _Cand(i, m.end(), host, _int(port_text), 3, port_text=port_text)


_CONNECT_TO = ("connect to ", "connecting to ", "connection to ", "connected to ")


def _after_connect_to(text: str, start: int) -> bool:
    return text[max(0, start - 16) : start].lower().endswith(_CONNECT_TO)


def _plausible_word_host(name: str) -> bool:
    """A one-word computer name right after "connect to" ("Failed to connect to LP1721:1433"): Windows writes its
    computer names in capitals, so any word that is not a common word, a file name or a made-up identifier."""
    low = name.lower()
    return (
        len(name) >= 2
        and low not in _NOT_NAMES
        and low not in _NOT_HOSTS
        and "__" not in name
        and ("." not in low or low.rsplit(".", 1)[-1] not in _FILE_ENDINGS)
    )


def _f_port_words(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    start = m.start()
    if start > 0 and _wordy(text[start - 1]):
        return
    yield _Cand(start, m.end(), "", _int(m.group("port")), 1, port_text=m.group("port"))


def _f_hostless(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # Tomcat "Connector[HTTP/1.1-8080]" and "http-nio-8080", Go "lookup udp/8024": a port with no host
    port_text = m.group("tp") or m.group("tp2") or m.group("tp3")
    yield _Cand(m.start(), m.end(), "", _int(port_text), 2, port_text=port_text)


def _f_quoted_port(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # 'listen EACCES: permission denied "80"'
    group = "qp" if m.group("qp") else "qp2"
    yield _Cand(m.start(group), m.end(group), "", _int(m.group(group)), 1, port_text=m.group(group))


def _f_host_port(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # ssh "Connection reset by ::1 port 2222", "Connection closed by 159.89.214.31 port 22", "127.0.1.1 port 9000
    # connect failed", nc's "connectx to 127.0.0.1 port 4999": an address, "localhost" or a dotted name right before
    # "port N" (found by its " port N"; the walk back stops at the space before the previous match)
    end = m.start()
    start = _walk_back(text, end, _HOST_CHARS | _IP_CHARS, 253)
    if start == end or (start > 0 and text[start - 1] in "/@"):
        return
    raw = text[start:end]
    host = _phrase_host(raw)
    if not host or host == "*":
        return
    if _is_address(host) or _is_local_name(host) or ("." in host and _plausible_name(host)):
        # ssh -v's "connect to address ::1 port 22" is one attempt of several; its last line names the host asked for
        points = 2 if text[max(0, start - 8) : start].lower() == "address " else 3
        yield _Cand(start, m.end(), host, _int(m.group("hpp")), points, port_text=m.group("hpp"))


def _f_dialled_after(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # A name and port followed by the address dialled for it: Apache HttpClient "Connect to localhost:8080
    # [localhost/127.0.0.1] failed", "localhost:8400 ([::1]:8400)" (found by its ":port [" or ":port (")
    name_start = _walk_back(text, m.start(), _HOST_CHARS, 253)
    name = _phrase_host(text[name_start : m.start()])
    ip = _clean_host(m.group("dip"))
    port = _int(m.group("dp"))
    if not name or _is_address(name) or not ip or not _is_address(ip):
        return
    if name_start > 0 and (_wordy(text[name_start - 1]) or text[name_start - 1] in ".:/-\\"):
        return
    if m.group("dname") and m.group("dname").lower() != name.lower():
        return  # "[other/10.0.0.1]": not the address of this name
    if m.group("dipp") and _int(m.group("dipp")) != port:
        return
    if _IPV4_RE.fullmatch(ip) and not _valid_ipv4(ip):
        return
    yield _Cand(name_start, m.end(), ip, port, 3, named=name, port_text=m.group("dp"))
    yield _Cand(name_start, m.start() + 1 + len(m.group("dp")), name, port, 2)


def _f_forward(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # ssh "-L 8080:localhost:5000" / "-L8080:127.0.0.1:64296": the forward's target is what a failed "channel N:
    # open failed" is about; otherwise it is only an address on a command line, below the error's own address
    host = _phrase_host(m.group("fh").strip("[]"))
    if not host:
        return
    failed = "open failed" in text[m.end() : m.end() + 2000].lower()
    yield _Cand(m.start(), m.end(), host, _int(m.group("fp")), 3 if failed else 1, port_text=m.group("fp"))


def _f_range(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # "Cannot find empty port in range: 7860-7860": the first port of the range
    yield _Cand(m.start(), m.end(), "", _int(m.group("rp")), 2, port_text=m.group("rp"))


def _f_netfilter(text: str, m: re.Match[str]) -> Iterator[_Cand]:
    # the kernel's firewall log: "... SRC=192.168.1.2 DST=192.168.1.115 ... DPT=22000": the destination
    # (worth more than the other fields of the line: "MAC=dc:1b:..." is no endpoint)
    line_end = text.find("\n", m.end(), m.end() + 300)
    at = text.find(" DPT=", m.end() - 1, line_end if line_end >= 0 else m.end() + 300)
    if at < 0:
        return
    end = at + 5
    while end < len(text) and end - at < 10 and text[end].isdigit():
        end += 1
    port_text = text[at + 5 : end]
    yield _Cand(m.start(), end, m.group("nfh"), _int(port_text), 4, port_text=port_text)


@dataclass(frozen=True, slots=True)
class _Finder:
    pattern: re.Pattern[str]
    handler: _Handler
    lowered: bool = False
    word_start: bool = False  # the match may not follow a letter, digit or "_" (checked here: a leading \b is slow)


_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21, "ssh": 22}


# The finders' patterns are compiled when first needed (a window that starts need not wait for them).
@functools.cache
def _finders() -> tuple[_Finder, ...]:
    return (
        _Finder(
            re.compile(
                r"(?:server at|host|host name) [\"'](?P<pgh>[^\"'\s]{1,253}+)[\"']"
                r"(?: \((?P<pgip>[0-9a-f:.%]{2,64}+)\))?"
                r"[^\"']{0,120}?(?:port|service) [\"']?(?P<pgp>\d{1,6}+)(?!\.?\d)"
            ),
            _f_pg,
            lowered=True,
        ),
        _Finder(
            re.compile(
                r"(?:host|hostname|address|addr|server)['\"]?[ \t]{0,3}[=:][ \t]{0,3}['\"]?"
                + _HOSTTOK.format("kh")
                + r"['\"]?(?:[ \t]{0,3}[,;&])?\s{0,40}['\"]?(?:port|localport)['\"]?[ \t]{0,3}[=:][ \t]{0,3}['\"]?"
                + _PORTTOK.format("kp")
            ),
            _f_fields,
            lowered=True,
            word_start=True,
        ),
        _Finder(
            re.compile(
                r"[({]\s?['\"]"
                + _QHOST.format("th")
                + r"['\"],\s?"
                + _PORTTOK.format("tp")
                + r"(?:,\s?\d{1,10}){0,2}[)}]"
            ),
            _f_generic(("th", "tp")),
        ),
        _Finder(
            re.compile(
                r"(?:(?:connect(?:x|ing|ed)?|connection) to (?:host )?|to host )"
                + _HOSTTOK.format("ch")
                + r" port "
                + _PORTTOK.format("cp")
            ),
            _f_generic(("ch", "cp")),
            lowered=True,
        ),
        _Finder(re.compile(r" port " + _PORTTOK.format("hpp")), _f_host_port, lowered=True),
        _Finder(
            re.compile(
                r":(?P<dp>\d{1,6}+) [\[(](?:(?P<dname>[\w.-]{1,253}+)/)?\[?(?P<dip>[0-9A-Fa-f:.]{2,45}+)\]?"
                r"(?::(?P<dipp>\d{1,6}+))?[\])]"
            ),
            _f_dialled_after,
        ),
        _Finder(
            re.compile(
                r"(?<!\S)-L ?(?:[\w.*-]{1,64}+:|\[[0-9A-Fa-f:.]{2,45}+\]:)?\d{1,6}+:"
                r"(?P<fh>\[[0-9A-Fa-f:.%]{2,45}+\]|[\w.-]{1,253}+):(?P<fp>\d{1,6}+)(?!\.?\d)"
            ),
            _f_forward,
        ),
        _Finder(
            re.compile(r"SRC=[\d.]{7,15}+ DST=(?P<nfh>" + _IPV4 + r") "),
            _f_netfilter,
            word_start=True,
        ),
        _Finder(
            re.compile(r"range:? ?\[?(?P<rp>\d{1,5}+) ?[-–~] ?\d{1,5}+(?!\.?\d)"),
            _f_range,
            lowered=True,
        ),
        _Finder(
            re.compile(r"for \"" + _QHOST.format("rh") + r"\" port " + _PORTTOK.format("rp")),
            _f_generic(("rh", "rp")),
            lowered=True,
            word_start=True,
        ),
        _Finder(
            re.compile(r"port " + _PORTTOK.format("op") + r" on (?:host )?['\"]?" + _HOSTTOK.format("oh")),
            _f_port_on,
            lowered=True,
            word_start=True,
        ),
        _Finder(
            re.compile(
                r"(?:telnet|nc|ncat|netcat)(?: -[a-z]{1,5}){0,4} "
                + _HOSTTOK.format("xh")
                + r" "
                + _PORTTOK.format("xp")
            ),
            _f_generic(("xh", "xp")),
            lowered=True,
            word_start=True,
        ),
        _Finder(
            re.compile(
                r"(?<!\S)(?:-h ?|--host[= ]|--listen[= ])"
                + _HOSTTOK.format("mh")
                + r"[^\n]{0,80}? (?:-[pP] ?|--port[= ])"
                + _PORTTOK.format("mp")
            ),
            _f_generic(("mh", "mp")),
        ),
        _Finder(
            re.compile(r"[`'\"]" + _QHOST.format("qh") + r"[`'\"]:[`'\"]?" + _PORTTOK.format("qp")),
            _f_quoted_host,
        ),
        _Finder(
            # SQL Server's JDBC driver: "The TCP/IP connection to the host localhost, port 1433 has failed"
            re.compile(r"host " + _HOSTTOK.format("hh") + r",? (?:and )?port " + _PORTTOK.format("hp")),
            _f_generic(("hh", "hp")),
            lowered=True,
            word_start=True,
        ),
        _Finder(
            # PowerShell's Test-NetConnection: "WARNING: TCP connect to (192.168.1.10 : 3389) failed"
            re.compile(r"\(" + _HOSTTOK.format("ph") + r" : " + _PORTTOK.format("pp2") + r"\)"),
            _f_generic(("ph", "pp2")),
        ),
        _Finder(
            # gRPC: "ipv6:%5B::1%5D:50051" (brackets written as %5B and %5D)
            re.compile(r"ipv6:%5b(?P<gh>[0-9a-f:.]{2,64}+)%5d:" + _PORTTOK.format("gp")),
            _f_generic(("gh", "gp")),
            lowered=True,
        ),
        _Finder(
            re.compile(r"(?:address|host) \[" + _HOSTTOK.format("bh") + r"\] (?:and )?port \[" + _PORTTOK.format("bp")),
            _f_generic(("bh", "bp")),
            lowered=True,
        ),
        _Finder(
            re.compile(
                r"connector\[[\w/.]{0,20}?-(?P<tp>\d{1,5}+)\]|(?:http|https|ajp)-(?:nio2?|bio|apr)-(?:[\w.]{1,64}-)?"
                r"(?P<tp2>\d{1,5}+)(?!\.?\d)|lookup (?:tcp|udp)/(?P<tp3>\d{1,5}+)(?!\.?\d)"
            ),
            _f_hostless,
            lowered=True,
        ),
        _Finder(
            re.compile(
                r"/(?:ip4|ip6|dns|dns4|dns6|dnsaddr)/(?P<mh>[^/\s]{1,253}+)/(?:tcp|udp)/" + _PORTTOK.format("mp")
            ),
            _f_multiaddr,
        ),
        _Finder(
            re.compile(r"\(port ?" + _PORTTOK.format("pp") + r"\)"),
            _f_paren_port,
        ),
        _Finder(
            re.compile(
                r"/(?P<sip>\[[0-9A-Fa-f:.%]{2,64}+\]|"
                + _IPV4
                + r"|[\dxX*]{1,3}(?:\.[\dxX*]{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}):"
                + _PORTTOK.format("sp")
            ),
            _f_java,
        ),
        _Finder(re.compile(r"\|(?P<wip>[0-9A-Fa-f:.]{2,64}+)\|:" + _PORTTOK.format("wp")), _f_wget),
        _Finder(
            re.compile(
                r"://(?:[^@\s/]{0,256}+@)?(?:\[(?P<uv6>[0-9A-Fa-f:.%]{2,64}+)\]|(?P<uhost>[A-Za-z0-9_][\w.-]{0,252}+))"
                r"(?::(?P<uport>\d{1,6}+)(?!\.?\d))?"
            ),
            _f_url,
        ),
        _Finder(re.compile(r"\[(?P<v6>[\w:.-]{2,253}+(?:%[\w.-]{1,32}+)?)\]:" + _PORTTOK.format("v6port")), _f_v6),
        _Finder(
            re.compile(
                r"e(?:connrefused|addrinuse|acces|timedout|connreset|hostunreach|netunreach|addrnotavail)"
                r"(?::? [a-z ]{0,30}?)? (?P<e6>[0-9a-f:.]{2,64}(?:%[\w.-]{1,16}+)?):(?P<e6p>\d{1,6}+)(?![\w.:%])"
            ),
            _f_errno6,
            lowered=True,
            word_start=True,
        ),
        _Finder(
            re.compile(
                r"(?P<v4>[\dxX*]{1,3}(?:\.[\dxX*]{1,3}){3})(?:\.?:"
                + _PORTTOK.format("v4port")
                + r"|/"
                + _PORTTOK.format("slp")
                + r"(?![/.\w])| (?P<tap>\d{2,5}+)(?![\d.:\w]))"
            ),
            _f_v4,
        ),
        _Finder(re.compile(r"(?P<bare6>::(?:1)?|::ffff:" + _IPV4 + r"):" + _PORTTOK.format("b6p")), _f_bare6),
        _Finder(re.compile(r"\*:" + _PORTTOK.format("starport")), _f_star),
        _Finder(re.compile(r":(?:\[(?P<npb>\d{1,6}+)\]|(?P<np>\d{1,6}+)(?![.:]\d|\d))"), _f_name),
        _Finder(
            re.compile(
                r"(?:port(?:s|\(s\))?(?: number)?|端口|ポート|puerto|porta|порт)"
                r"[ \t]{0,3}[:=#]?[ \t]{0,3}[\"'\[({]{0,2}"
                r"(?P<port>\d{1,6}+)(?!\.?\d)"
            ),
            _f_port_words,
            lowered=True,
        ),
        _Finder(
            # 'listen EACCES: permission denied "80"', Node's "permission denied 5000;" (a port given as a string)
            re.compile(
                r"(?:denied|refused|in use|eacces|eaddrinuse):? "
                r"(?:[\"'](?P<qp>\d{1,6}+)[\"']|(?P<qp2>\d{1,6}+)(?![\d.:]))"
            ),
            _f_quoted_port,
            lowered=True,
        ),
    )


class _Spans:
    """Parts of the text already read by an earlier (more specific) finder.  Claims of one finder are checked
    against the parts of earlier finders (binary search) and merged in once the finder is done: linear overall."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._new: list[tuple[int, int]] = []

    def free(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self._starts, start)
        if i > 0 and self._ends[i - 1] > start:
            return False
        return not (i < len(self._starts) and self._starts[i] < end)

    def claim(self, start: int, end: int) -> None:
        self._new.append((start, end))

    def commit(self) -> None:
        if not self._new:
            return
        merged = sorted([*zip(self._starts, self._ends, strict=True), *self._new])
        self._starts = [s for s, _ in merged]
        self._ends = [e for _, e in merged]
        self._new = []


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
        lowered = _lower(_normal(text))
    hits = _kind_hits(lowered)
    kind, kind_text = _resolve_kind(text, lowered, hits)
    if kind is None:
        return None, "", -1
    first = next((h for h in hits if h.kind == kind), None)
    return kind, kind_text, first.start if first else lowered.find(kind_text.lower())


# Go: "lookup registry-1.docker.io on 10.0.2.3:53: read udp ...: i/o timeout": the name server did not answer, so
# the name could not be looked up.
_LOOKUP_ON_RE = re.compile(r"lookup [\w.-]{1,253}+ on ")


def _resolve_kind(text: str, lowered: str, hits: list[_KindHit]) -> tuple[ErrorKind | None, str]:
    """(kind, the words that show it).  A timeout of a name lookup at its name server is a name not found."""
    kind = _choose_kind(hits, lowered.find(" ---> "))
    kind_text = _kind_text(text, hits, kind)
    if kind == ErrorKind.TIMEOUT:
        first = next(h for h in hits if h.kind == kind)
        line_start = lowered.rfind("\n", 0, first.start) + 1
        lookup = _LOOKUP_ON_RE.search(lowered, max(line_start, first.start - 1000), first.start)
        if lookup is not None:
            return ErrorKind.NOT_FOUND, text[lookup.start() : first.end]
    return kind, kind_text


def _kind_text(text: str, hits: list[_KindHit], kind: ErrorKind | None) -> str:
    """The words that show the kind: the shortest of its strongest words ("ECONNREFUSED", "Connection refused")."""
    mine = [h for h in hits if h.kind == kind]
    if not mine:
        return ""
    top = max(h.strength for h in mine)
    best = min((h for h in mine if h.strength == top), key=lambda h: (h.end - h.start, h.start))
    return text[best.start : best.end]


_LOOKUP_RE = re.compile(
    r"(?:(?:getaddrinfo )?(?:enotfound|eai_again|eai_noname)|could not resolve hostname|could not resolve host:?"
    r"|could not resolve proxy:?|could not resolve|temporary failure resolving|could not translate host name"
    r"|unknown host:?|unknownhostexception:|no such host|failed to resolve host|failed to resolve"
    r"|unable to look up|getaddrinfo|lookup|resolving) [\"'‘]?"
    r"(?P<lh>[\w.:%/-]{1,253}+)"
)


_NOT_LOOKUP_NAMES = frozenset(
    ("enotfound", "eai_again", "failed", "for", "to", "is", "was", "known", "found", "the", "a", "an", "address")
)


def _lookup_host(text: str, lowered: str) -> str:
    """The name a failed name lookup was about: "getaddrinfo ENOTFOUND db.internal" → "db.internal".  A web address
    given where a name belongs ("getaddrinfo ENOTFOUND http://127.0.0.1") is returned as written."""
    for n, m in enumerate(_LOOKUP_RE.finditer(lowered)):
        if n >= MAX_MATCHES:
            break
        raw = text[m.start("lh") : m.end("lh")]
        if m.group().startswith("resolving"):
            if not lowered.startswith("... failed", m.end("lh") - 3):
                continue  # only wget's "Resolving example.org... failed: ..."; not "Resolving timed out"
            raw = raw[:-3]
        raw = raw.rstrip(".,;:'\")’")
        if raw.lower() in _NOT_LOOKUP_NAMES or raw.lower().split("/", 1)[0] in _PROTOCOLS:
            continue  # "getaddrinfo failed", "No such host is known", Go's "lookup udp/8024"
        if "://" in raw:
            scheme, _, rest = raw.partition("://")
            if scheme.isalpha() and rest and _clean_host(rest.split("/", 1)[0].rsplit(":", 1)[0]):
                return raw
            continue
        host = _clean_host(raw.split("/", 1)[0])
        if host:
            return host
    return ""


def _normal(text: str) -> str:
    """Full-width colon (Chinese and Japanese text) as ":" and NUL as space, position for position."""
    return text.replace("\x00", " ").replace("\uff1a", ":")


_DIAL_WORDS = ("dial tcp", "dial tcp4", "dial tcp6", "dial udp", "dial udp4", "dial udp6")
# A dev server's banner ("➜  Local:   http://localhost:5173/", "- Network: http://192.168.1.5:3000"): where it serves,
# not the address a failure after it is about.
_BANNER_LABELS = ("local:", "network:", "on your network:")


def _is_banner(lowered: str, c: _Cand) -> bool:
    return lowered[max(0, c.start - 24) : c.start].rstrip(" \t").endswith(_BANNER_LABELS)


def _context_points(lowered: str, c: _Cand, positions: list[_KindHit], starts: list[int]) -> tuple[int, int]:
    """Extra points from the words around a candidate, and its distance to the nearest words of the error kind."""
    points = 0
    before = lowered[max(0, c.start - 14) : c.start].rstrip(" \t'\"([`")
    after = lowered[c.end : c.end + 4].lstrip(" ,")
    if after.startswith(("->", "=>")):
        points -= 1  # "172.17.0.9:43740 -> 172.17.0.5:5672": the connection went to the second
    if before.endswith(" on") and "lookup " in lowered[max(0, c.start - 300) : c.start]:
        points -= 3  # Go: "lookup postgres on 127.0.0.11:53: no such host": that is the name server, not the target
    if before.endswith(_DIAL_WORDS):
        points += 1  # Go "dial tcp 127.0.0.1:3320" (after "failed to connect to localhost:3320"): the address dialled
    if before.endswith("from") or before.endswith("client:"):
        points -= 2  # "proxy request ... from localhost:3000 to http://localhost:8080": the target failed
    elif before.endswith((" to", "\tto", "\nto", "upstream:", "upstream: ", "->", "=>")):
        points += 1
    window_start = max(0, c.start - 300)
    line_start = lowered.rfind("\n", window_start, c.start) + 1 or window_start
    line_end = lowered.find("\n", c.end, c.end + 300)
    line = lowered[line_start : line_end if line_end >= 0 else c.end + 300]
    if "overriding address" in line or "now listening on" in line:
        points -= 3  # Kestrel: the addresses it will not use, or that worked
    distance = 1 << 30
    attached = False
    if positions:
        i = bisect.bisect_left(starts, c.start)
        for h in positions[max(0, i - 2) : i + 2]:
            gap = c.start - h.end if h.end <= c.start else h.start - c.end
            if h.strength == 3 and 0 <= gap <= 3:
                attached = True  # "ECONNREFUSED ::1:3000", "localhost:5000 (ECONNREFUSED)": the error's own address
            if h.end <= c.start:
                d = c.start - h.end
                same_line = "\n" not in lowered[h.end : c.start]
            elif c.end <= h.start:
                d = h.start - c.end
                same_line = "\n" not in lowered[c.end : h.start]
            else:
                d, same_line = 0, True
            if same_line and d <= 80:
                d = d // 4
            else:
                d += 1000
            distance = min(distance, d)
        if distance < 1000:
            points += 2
        if attached:
            points += 1
    return points, distance


def find_endpoints(text: str) -> FindResult:
    """Every endpoint in ``text`` without duplicates, the most likely one first, and the error kind.

    Never raises: odd input gives no endpoints and a plain-language problem.
    """
    problems: list[Fact[Problem]] = []
    if not isinstance(text, str):
        return FindResult((), (fact(Problem.NOT_TEXT),))
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
        problems.append(fact(Problem.TOO_LONG, limit=MAX_TEXT))
    text = _normal(text)
    bare = text.strip()
    if bare.isascii() and bare.isdigit() and len(bare) <= 5 and 1 <= int(bare) <= 65535:
        return FindResult((Endpoint("", int(bare), bare),))  # just a port number: "8080"
    lowered = _lower(text)
    hits = _kind_hits(lowered)
    kind, kind_text = _resolve_kind(text, lowered, hits)
    found: list[_Cand] = []
    covered = _Spans()
    bad_ports: set[str] = set()
    bad_hosts: set[str] = set()
    for finder in _finders():
        source = lowered if finder.lowered else text
        handler = finder.handler
        for n, m in enumerate(finder.pattern.finditer(source)):
            if n >= MAX_MATCHES:
                break
            at = m.start()
            if finder.word_start and at > 0 and _wordy(source[at - 1]):
                continue
            for c in handler(text, m):
                if not covered.free(c.start, c.end):
                    continue
                covered.claim(min(c.start, m.start()), max(c.end, m.end()))
                if c.port is None or not 1 <= c.port <= 65535:
                    bad_ports.add(c.port_text or str(c.port or ""))
                    continue
                if _IPV4_RE.fullmatch(c.host) and not _valid_ipv4(c.host):
                    bad_hosts.add(c.host)
                found.append(c)
        covered.commit()
    best: dict[tuple[str, int], tuple[tuple[int, int, int], _Cand]] = {}
    positions = [h for h in hits if h.kind == kind]
    starts = [h.start for h in positions]
    if kind is not None:
        found = [c for c in found if not _is_banner(lowered, c)]
    for c in found:
        extra, distance = _context_points(lowered, c, positions, starts)
        key = (-(c.points + extra), distance, c.start)
        ident = (c.host.lower(), c.port or 0)
        if ident not in best or key < best[ident][0]:
            best[ident] = (key, c)
    # A bare "port 5432" adds nothing when the same port was also found with its host.
    with_host = {p for (h, p) in best if h}
    ranked = sorted((v for (h, p), v in best.items() if h or p not in with_host), key=lambda item: item[0])
    endpoints = [Endpoint(c.host, c.port or 0, text[c.start : c.end], c.named) for _, c in ranked]
    if endpoints and not endpoints[0].named and _is_address(endpoints[0].host):
        # "Failed to connect to localhost:3142 because dial tcp [::1]:3142": the address dialled is the endpoint;
        # the name given for the same port is what it was looked up from.
        first = ranked[0][1]
        names = [c for _, c in ranked[1:] if c.port == first.port and c.host and not _is_address(c.host)]
        if names:
            name = min(names, key=lambda c: abs(c.start - first.start)).host
            endpoints[0] = Endpoint(first.host, first.port or 0, text[first.start : first.end], name)
    for p in sorted((p for p in bad_ports if p), key=len):
        problems.append(fact(Problem.BAD_PORT, value=p))
    for h in sorted(bad_hosts):
        problems.append(fact(Problem.BAD_IPV4, value=h))
    lookup = _lookup_host(text, lowered) if kind == ErrorKind.NOT_FOUND else ""
    host_only = ""
    if lookup:
        name = lookup.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0] if "://" in lookup else lookup
        same = [e for e in endpoints if e.host.lower() == name.lower()]
        if same and ("://" in lookup or not _default_port_only(same[0])):
            endpoints.remove(same[0])
            endpoints.insert(0, same[0])
        else:
            host_only = lookup  # "Get https://index.docker.io/v1/...: lookup index.docker.io": no port was written
    else:
        named, name_of = _named_host(text, lowered)
        if not named and not endpoints and kind in _BARE_KINDS:
            named = _bare_host(text, lowered)
        before_kind = False
        if not named and endpoints and kind in _CONNECT_KINDS:
            named = _host_before_kind(text, lowered, positions)
            before_kind = bool(named)
        if named:
            same = [e for e in endpoints if named.lower() in (e.host.lower(), e.named.lower())]
            if before_kind:  # the host the error sentence names, as written, before an address of it
                same.sort(key=lambda e: e.host.lower() != named.lower())
            by_name = [e for e in endpoints if e.host and not _is_address(e.host)]
            given = [e for e in by_name if name_of and e.host.lower() == name_of.lower()]
            if not given and not name_of and len(by_name) == 1 and endpoints[0] is by_name[0]:
                # MySQL Workbench: "... to server at localhost:3306: Can't connect to MySQL server on '127.0.0.1'
                # (61)": the address dialled for the one name:port given
                given = by_name
            if same:
                endpoints.remove(same[0])
                endpoints.insert(0, same[0])
            elif _is_address(named) and given:
                # rsync: "opening tcp connection to example.org port 873" ... "failed to connect to example.org
                # (192.0.2.7)": the address dialled, with the port given for its name
                endpoints.insert(0, Endpoint(named, given[0].port, given[0].text, given[0].host))
            elif not endpoints or ranked[0][0][1] >= 1000:
                host_only = named  # the endpoints found are not near the error words
    hint = _port_hint(lowered) if host_only else ("", "")
    return FindResult(tuple(endpoints), tuple(problems), kind, kind_text, lookup, host_only, hint)


def _default_port_only(endpoint: Endpoint) -> bool:
    """A web address without a port ("https://index.docker.io/v1/"): its port is the scheme's, not written."""
    return "://" in endpoint.text and not endpoint.text.endswith(f":{endpoint.port}")


def _is_address(host: str) -> bool:
    return bool(_IPV4_RE.fullmatch(host)) or _valid_ipv6(host)


# A connection failure that names the computer but no port: "Can't connect to MySQL server on 'localhost' (10061)",
# rsync's "failed to connect to localhost: Connection refused (61)", WinRM's "Connecting to remote server localhost
# failed".  Only an address, "localhost" or a dotted name counts ("connect to MySQL" names a program).
_CONNECT_HOST_RE = re.compile(
    r"(?:(?:connect|connecting|connection) to|connection failed for:?) (?:(?:the |a )?(?:[\w-]{1,20} ){0,2}?server "
    r"(?:on |at )?)?[\"'`/]?"
    r"(?P<ch>[\w.:%-]{1,253}+)"
)
# A bare address in a failure with no port at all: Chrome's "127.0.0.1 refused to connect" in any language.
# ("localhost:port" with the word "port": a host, no port)
_BARE_HOST_RE = re.compile(r"(?<![\d./:@])(?:" + _IPV4 + r"|localhost)(?![a-z0-9_./-]|:[\d\[/])")  # CJK may follow
# Chrome's "localhost refused to connect": the host the error sentence itself names
_HOST_BEFORE_KIND_RE = re.compile(r"(?<![\w./:-])(?:" + _IPV4 + r"|localhost) $")

_CONNECT_KINDS = (ErrorKind.REFUSED, ErrorKind.TIMEOUT, ErrorKind.RESET, ErrorKind.UNREACHABLE)
# A failure naming one address and no port at all is about that address, whether connecting or listening
# ("app.run(host='0.0.0.0') ... Address already in use").
_BARE_KINDS = (*_CONNECT_KINDS, ErrorKind.IN_USE, ErrorKind.NOT_AVAILABLE)


_DIALLED_AFTER = re.compile(r" ?\((?P<ip>" + _IPV4 + r"|[0-9a-f:]{2,39}+)\)")


def _named_host(text: str, lowered: str) -> tuple[str, str]:
    """(host, name): the computer a connection failure names without a port; when the name is followed by the
    address dialled for it (rsync's "failed to connect to example.org (192.0.2.7)"), that address and the name;
    such a phrase wins over an earlier one without an address ("opening tcp connection to example.org port 873")."""
    first = ("", "")
    for n, m in enumerate(_CONNECT_HOST_RE.finditer(lowered)):
        if n >= MAX_MATCHES:
            break
        if m.start() > 0 and _wordy(lowered[m.start() - 1]):
            continue
        raw = text[m.start("ch") : m.end("ch")].rstrip(".,;:'\")`")
        after = m.start("ch") + len(raw)
        if lowered.startswith(":", after) and lowered[after + 1 : after + 2].isdigit():
            continue  # "localhost:3000": an endpoint with its port, found by the finders
        host = _phrase_host(raw)
        if not host or host == "*":
            continue
        if _is_address(host) and (not _IPV4_RE.fullmatch(host) or _valid_ipv4(host)):
            first = first if first[0] else (host, "")
        elif _is_local_name(host) or ("." in host and _plausible_name(host) and not _DIGITS_DOTS.fullmatch(host)):
            dialled = _DIALLED_AFTER.match(lowered, after)
            ip = dialled.group("ip") if dialled else ""
            if ip and _is_address(ip) and (not _IPV4_RE.fullmatch(ip) or _valid_ipv4(ip)):
                return ip, host
            first = first if first[0] else (host, "")
    return first


def _host_before_kind(text: str, lowered: str, positions: list[_KindHit]) -> str:
    """The address or "localhost" right before the error's words ("localhost refused to connect")."""
    for h in positions[:MAX_KIND_MATCHES]:
        m = _HOST_BEFORE_KIND_RE.search(lowered, max(0, h.start - 40), h.start)
        if m is not None:
            host = text[m.start() : m.end() - 1]
            if host.lower() == "localhost" or _valid_ipv4(host):
                return host
    return ""


def _bare_host(text: str, lowered: str) -> str:
    """The first address or "localhost" standing alone in a connection failure that gives no port at all."""
    for n, m in enumerate(_BARE_HOST_RE.finditer(lowered)):
        if n >= MAX_MATCHES:
            break
        host = text[m.start() : m.end()]
        if host.lower() == "localhost" or _valid_ipv4(host):
            return host
    return ""


# Well-known programs and the port they normally use: said as a hint when the text names a computer but no port.
_PROGRAM_PORTS: tuple[tuple[str, str, str], ...] = (
    (r"mysql|mariadb", "MySQL", "3306"),
    (r"postgres|psql|libpq|postgrex", "PostgreSQL", "5432"),
    (r"rsync", "rsync", "873"),
    (r"winrm|connecting to remote server", "WinRM (PowerShell remoting)", "5985 (5986 with HTTPS)"),
    (r"smtp", "SMTP (mail)", "25 or 587"),
    (r"git://|git daemon|fatal: unable to connect to", "git", "9418"),  # git's own protocol says "unable to connect"
    (r"\bssh\b", "ssh", "22"),
)
_PROGRAM_RES = tuple((re.compile(w), name, port) for w, name, port in _PROGRAM_PORTS)


def _port_hint(lowered: str) -> tuple[str, str]:
    """(program, its usual port) for the program named first in the text, or ("", "")."""
    best: tuple[int, str, str] = (1 << 62, "", "")
    for pattern, name, port in _PROGRAM_RES:
        m = pattern.search(lowered)
        if m is not None and m.start() < best[0]:
            best = (m.start(), name, port)
    return best[1], best[2]
