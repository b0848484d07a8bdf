"""Remove secrets from command lines before they leave loopgui in a report (Copy report, ``--json``, terminal text,
exports).  The Program panel may still show the full line to the user on their own screen.

What is hidden, each replaced by ``(hidden)``:
- values of options and settings named like a secret: ``--password=x``, ``--password x``, ``-password x``,
  ``PASSWORD=x``, ``DB_PASSWORD=x``, ``token:x``, ``apiKey=x``, ``Password=x;`` inside a connection string,
  ``Authorization: Bearer x`` (names holding password, passwd, pwd, pass, secret, token, key, apikey, auth,
  authorization, credential(s));
- MySQL-style ``-pSECRET`` (only for the MySQL/MariaDB programs, where ``-p`` is the password), ``sshpass -p x``,
  ``redis-cli -a x``;
- the password in a URL: ``scheme://user:password@host``;
- well-known token shapes (GitHub ``ghp_…``/``github_pat_…``, ``sk-…``, Stripe, Slack ``xox…``, AWS ``AKIA…``,
  GitLab ``glpat-…``, Google ``AIza…``, JSON Web Tokens) and any other long random-looking run (24 or more
  characters of letters, digits and ``+/_=-``, not a path, mixing upper case, lower case and digits, or 32 or
  more hexadecimal digits, with high entropy).

Every function is linear in the length of its input (regular expressions that start only at the beginning of a
run of their characters, bounded look-ahead, no nested quantifiers over overlapping characters), and idempotent:
redacting redacted text changes nothing.
"""

from __future__ import annotations

import functools
import math
import re
import shlex
from collections import Counter
from collections.abc import Sequence

HIDDEN = "(hidden)"

_SECRET_NAMES = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "tokens",
        "key",
        "apikey",
        "auth",
        "authorization",
        "credential",
        "credentials",
        "creds",
    }
)
# Parts that make a name secret even inside a longer word: "dbpassword", "authtoken", "clientsecret".
_SECRET_PARTS = ("password", "passwd", "secret", "token", "apikey", "credential", "accesskey", "privatekey")

# A name followed by = or : (a setting or an option with its value in the same word).  The name starts only at the
# start of a run of name characters and is at most 64 long, so each position is looked at a bounded number of times.
_ASSIGNMENT = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z][A-Za-z0-9_.-]{0,63})([\"']?[ \t]*[=:][ \t]*)")
_URL_PASSWORD = re.compile(r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{0,31}://[^\s/@:]{0,256}:)([^\s/@]{1,256})@")
_TOKEN_RUN = r"[A-Za-z0-9_-]"
_KNOWN_TOKENS = re.compile(
    r"(?<![A-Za-z0-9_-])(?:"
    r"gh[pousr]_[A-Za-z0-9]{20,}"
    r"|github_pat_[A-Za-z0-9_]{20,}"
    r"|sk-[A-Za-z0-9_-]{16,}"
    r"|[sr]k_(?:live|test)_[A-Za-z0-9]{10,}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Za-z])"
    r"|glpat-[A-Za-z0-9_-]{20,}"
    r"|AIza[0-9A-Za-z_-]{30,}"
    r"|eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"
    r")"
)
_RANDOM_RUN = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{24,}")
_HEX = re.compile(r"[0-9a-fA-F]+")
# Where an unquoted value ends inside a word.
_VALUE_END = re.compile(r"[\s;&,)}\]\"']")
_SCHEME = re.compile(r"(?i)(?:bearer|basic|token|digest)[ \t]+")

# Programs whose -pVALUE is a password, and programs whose option X takes a password as the next word.
_MYSQL = frozenset(
    {"mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlshow", "mysqlcheck", "mariadb", "mariadb-dump"}
)
_PASSWORD_FLAG = {"sshpass": "-p", "redis-cli": "-a"}


def _name_parts(name: str) -> list[str]:
    """``--db-password`` → [db, password]; ``apiKey`` → [api, key]; ``AWS_SECRET_ACCESS_KEY`` → [aws, secret, …]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name[:64])
    return [p for p in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if p]


@functools.lru_cache(maxsize=4096)
def secret_name(name: str) -> bool:
    """Whether an option or setting called ``name`` holds a secret (``--password``, ``GITHUB_TOKEN``, ``apiKey``)."""
    parts = _name_parts(name)
    if not parts:
        return False
    if any(p in _SECRET_NAMES for p in parts):
        return True
    compact = "".join(parts)
    return any(part in compact for part in _SECRET_PARTS)


def _entropy(text: str) -> float:
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def looks_random(run: str) -> bool:
    """A long run that looks like a key or token rather than a word, a name or a number."""
    if len(run) < 24 or run.startswith("/") or "//" in run:
        return False  # a path or a URL, not a key
    digits = sum(c.isdigit() for c in run)
    upper = sum(c.isupper() for c in run)
    lower = sum(c.islower() for c in run)
    if len(run) >= 32 and _HEX.fullmatch(run) and digits and (upper or lower):
        return _entropy(run) >= 3.0
    return digits >= 2 and upper >= 2 and lower >= 2 and _entropy(run) >= 3.5


def _value_end(word: str, start: int) -> int:
    """Where the value that starts at ``start`` ends: a quoted value to its closing quote, a scheme such as
    ``Bearer`` together with what follows it, else up to the next delimiter."""
    if start < len(word) and word[start] in "\"'":
        close = word.find(word[start], start + 1)
        return len(word) if close < 0 else _plain_end(word, close + 1)  # with anything glued to it
    scheme = _SCHEME.match(word, start)
    return _plain_end(word, scheme.end() if scheme else start)


def _plain_end(word: str, start: int) -> int:
    stop = _VALUE_END.search(word, start)
    return len(word) if stop is None else stop.start()


def _assignments(word: str) -> str:
    """Hide the values of secret-named settings inside one word (``--password=x``, ``a=1;Password=x;b=2``)."""
    out: list[str] = []
    copied = pos = 0
    while (m := _ASSIGNMENT.search(word, pos)) is not None:
        start = m.end()
        if not secret_name(m.group(1)) or (":" in m.group(2) and word.startswith("//", start)):
            pos = start  # not secret (or a URL's scheme): settings inside the value are still looked at
            continue
        if m.start(1) == len(word) - len(word.lstrip("-/")):
            end = len(word)  # --password=… or PASSWORD=… as a whole argument: the rest of it is the value
        elif word.startswith(HIDDEN, start):
            end = _plain_end(word, start + len(HIDDEN))  # hidden already; anything glued to it goes with it
        else:
            end = _value_end(word, start)
        if word[start:end] in ("", HIDDEN):
            pos = max(end, start)
            continue
        out += [word[copied:start], HIDDEN]
        copied = pos = end
    out.append(word[copied:])
    return "".join(out)


def _tokens(word: str) -> str:
    word = _URL_PASSWORD.sub(lambda m: m.group(1) + HIDDEN + "@", word)
    word = _KNOWN_TOKENS.sub(HIDDEN, word)
    return _RANDOM_RUN.sub(lambda m: HIDDEN if _random_here(m) else m.group(), word)


_EDGES = " \t\n=:,;\"'"


def _random_here(m: re.Match[str]) -> bool:
    """A random-looking run; one holding ``/`` only when it stands alone (not part of a path such as
    ``python3.11/site-packages/My2Module/File3.txt``)."""
    run = m.group()
    if "/" in run:
        text, a, b = m.string, m.start(), m.end()
        if (a and text[a - 1] not in _EDGES) or (b < len(text) and text[b] not in _EDGES):
            return False
    return looks_random(run)


def redact_word(word: str) -> str:
    """One argument with its secrets hidden (settings, URL passwords, tokens)."""
    return _tokens(_assignments(word))


def _program(words: Sequence[str]) -> str:
    if not words:
        return ""
    first = words[0].replace("\\", "/").rsplit("/", 1)[-1].lower()
    return first[:-4] if first.endswith(".exe") else first


def _takes_secret(option: str) -> bool:
    """``--password`` / ``-password`` / ``--api-key`` with no value of its own: the next word is the secret."""
    if not option.startswith("-") or "=" in option or len(option) < 3:
        return False
    return secret_name(option.lstrip("-"))


def redact_words(words: Sequence[str]) -> list[str]:
    """A command line (one string per argument) with every secret replaced by ``(hidden)``."""
    program = _program(words)
    flag = _PASSWORD_FLAG.get(program)
    out: list[str] = []
    hide_next = False
    for i, word in enumerate(words):
        if hide_next and (not word.startswith("-") or word == HIDDEN):
            out.append(HIDDEN)
            hide_next = False
            continue
        hide_next = False
        if i and program in _MYSQL and word.startswith("-p") and len(word) > 2 and not word.startswith("--"):
            out.append("-p" + HIDDEN)
            continue
        if i and (_takes_secret(word) or (flag is not None and word == flag)):
            hide_next = True
        out.append(redact_word(word))
    return out


def _shown(word: str) -> str:
    """``word`` for a shell-like command line: quoted when needed, with ``(hidden)`` left readable."""
    plain = word.replace(HIDDEN, "x")
    return word if shlex.quote(plain) == plain else shlex.quote(word)


def redact_command(words: Sequence[str]) -> str:
    """A command line as one line of text, secrets hidden (``mysql -u root -p(hidden)``)."""
    return " ".join(_shown(w) for w in redact_words(words))


# A shell-like word: runs of plain characters, quoted parts (closing quote optional) and escapes.  Each
# alternative starts with a different character, so there is no backtracking between them.
_WORD = re.compile(r"""(?:[^\s'"\\]+|'[^']*'?|"(?:[^"\\]|\\.)*"?|\\.?)+""", re.DOTALL)
_PART = re.compile(r"""[^'"\\]+|'([^']*)'?|"((?:[^"\\]|\\.)*)"?|\\(.?)""", re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _unquote(token: str) -> str:
    out = []
    for m in _PART.finditer(token):
        if m.group(1) is not None:
            out.append(m.group(1))
        elif m.group(2) is not None:
            out.append(_ESCAPE.sub(r"\1", m.group(2)))
        elif m.group(3) is not None:
            out.append(m.group(3))
        else:
            out.append(m.group())
    return "".join(out)


def redact_text(text: str) -> str:
    """A command line given as text (``shlex.join`` of the arguments, or as a shell would take it), secrets
    hidden.  Words that hold no secret are left exactly as they were written."""
    if not text:
        return text
    spans = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    words = [_unquote(text[a:b]) for a, b in spans]
    redacted = redact_words(words)
    out: list[str] = []
    last = 0
    for (a, b), before, after in zip(spans, words, redacted, strict=True):
        out.append(text[last:a])
        out.append(text[a:b] if after == before else _shown(after))
        last = b
    out.append(text[last:])
    return "".join(out)
