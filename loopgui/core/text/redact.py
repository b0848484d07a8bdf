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
from collections.abc import Callable, Sequence

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
        "pw",
        "bearer",
    }
)
# Parts that make a name secret even inside a longer word: "dbpassword", "authtoken", "clientsecret".
_SECRET_PARTS = (
    "password",
    "passwd",
    "pasword",  # a real misspelling (--dataflow.pasword=)
    "passwort",
    "secret",
    "token",
    "apikey",
    "credential",
    "accesskey",
    "privatekey",
)
# Names that say where a secret is, not the secret: --password-file, --tokenfile, --passwd-on-stdin, --auth-type,
# StrictHostKeyChecking, --key-path.  Their values stay.
_NOT_SECRET_ENDS = ("file", "files", "path", "dir", "stdin", "type", "fd", "cmd", "command", "checking", "prompt")
# Values that are never a secret: switches and where a secret is read from (openssl's file:, env:, fd:, stdin).
_PLAIN_VALUES = frozenset({"yes", "no", "true", "false", "on", "off", "0", "1", "stdin", "none", "null"})
_SOURCE_PREFIXES = ("file:", "env:", "fd:")

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
    if "".join(parts).endswith(_NOT_SECRET_ENDS):
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
        value = word[start:end].strip("\"'")
        if value in ("", HIDDEN) or _plain_value(value):
            pos = max(end, start)
            continue
        out += [word[copied:start], HIDDEN]
        copied = pos = end
    out.append(word[copied:])
    return "".join(out)


def _plain_value(value: str) -> bool:
    """A value that is not a secret: a switch (yes, false), where the secret is read from (file:x, env:x, a path)."""
    low = value.lower()
    return low in _PLAIN_VALUES or low.startswith(_SOURCE_PREFIXES) or value.startswith(("/", "~/", "./", "../"))


# https://TOKEN@github.com/…: the whole user part of a web or FTP address (a token, or a name beside one).
_URL_USER = re.compile(r"(?<![A-Za-z0-9+.-])((?:https?|ftps?|wss?|git\+https?)://)([^\s/@:]{1,256})@", re.IGNORECASE)
# Webhook addresses whose last path segment is the secret (Slack, Discord), and Teams' whose whole path is.
_WEBHOOK = re.compile(
    r"(?i)(https?://(?:hooks\.slack\.com/services/[^\s/]{1,64}/[^\s/]{1,64}/"
    r"|(?:[a-z]{1,10}\.)?discord(?:app)?\.com/api/webhooks/[^\s/]{1,64}/"
    r"|[a-z0-9-]{1,64}\.webhook\.office\.com/webhookb2/))([^\s\"'?#]{1,512})"
)
# A header with an authentication scheme whatever its name (Authentification: Basic …): the credentials.
_SCHEME_HEADER = re.compile(
    r"(?i)^([ \t]*[A-Za-z][A-Za-z0-9-]{0,63}[ \t]*:[ \t]*(?:basic|bearer|token|digest)[ \t]+)(\S+)"
)
_COOKIE_HEADER = re.compile(r"(?i)^[ \t]*(?:set-)?cookie[ \t]*:")
_COOKIE_PAIR = re.compile(r"([^\s=;,]{1,128}=)([^;,\s]*)")


def cookie_values(text: str) -> str:
    """``a=1; b=2`` with every value hidden (cookies are sessions: each value lets someone in)."""
    return _COOKIE_PAIR.sub(lambda m: m.group(1) + (HIDDEN if m.group(2) else ""), text)


def _tokens(word: str) -> str:
    if "://" in word:
        word = _URL_PASSWORD.sub(lambda m: m.group(1) + HIDDEN + "@", word)
        word = _URL_USER.sub(lambda m: m.group(1) + HIDDEN + "@", word)
        word = _WEBHOOK.sub(lambda m: m.group(1) + HIDDEN, word)
    if ":" in word:
        word = _SCHEME_HEADER.sub(lambda m: m.group(1) + HIDDEN, word)
        if _COOKIE_HEADER.match(word):
            head, _, rest = word.partition(":")
            word = head + ":" + cookie_values(rest)
    if len(word) < 10:  # shorter than any token shape
        return word
    word = _KNOWN_TOKENS.sub(HIDDEN, word)
    return _RANDOM_RUN.sub(_hide_run, word)


def _hide_run(m: re.Match[str]) -> str:
    """A random-looking run hidden; dashes in front of it stay (``--q8Zt…`` stays an option: ``--(hidden)``)."""
    if not _random_here(m):
        return m.group()
    run = m.group()
    return run[: len(run) - len(run.lstrip("-"))] + HIDDEN


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


def _base(word: str) -> str:
    """``/usr/bin/mysql`` → ``mysql``; ``nuget.exe`` → ``nuget``; ``smbclientng.py`` → ``smbclientng``."""
    name = word.replace("\\", "/").rsplit("/", 1)[-1].lower()
    for suffix in (".exe", ".py", ".sh"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _program(words: Sequence[str]) -> str:
    return _base(words[0]) if words else ""


def _takes_secret(option: str) -> bool:
    """``--password`` / ``-password`` / ``--api-key`` with no value of its own: the next word is the secret."""
    if not option.startswith("-") or "=" in option or len(option) < 3:
        return False
    return secret_name(option.lstrip("-"))


# Words that end one command and start the next (a pipe, a list) or run one (wrappers).
_SEPARATORS = frozenset({"|", "||", "&&", ";", "&", "|&"})
_WRAPPERS = frozenset({"sudo", "doas", "env", "nohup", "time", "exec", "nice", "command", "xargs", "timeout"})
# Options whose next word is a secret, per program (besides names such as --password, which count everywhere).
_NEXT_SECRET: dict[str, frozenset[str]] = {
    "sshpass": frozenset({"-p"}),
    "redis-cli": frozenset({"-a"}),
    "ipmitool": frozenset({"-P"}),
    "ipmipower": frozenset({"-p"}),
    "smbclientng": frozenset({"-p"}),
    "smbng": frozenset({"-p"}),
    "zhmc": frozenset({"-p"}),
    "nuget": frozenset({"-k"}),
    "dotnet": frozenset({"-k"}),
    **{name: frozenset({"-p"}) for name in ("mongo", "mongosh", "mongodump", "mongorestore", "mongoexport")},
    **{name: frozenset({"-p"}) for name in ("mongoimport", "mongostat", "mongotop")},
}
# Options whose value is USER<sep>PASSWORD: the part after the separator is the secret.
_USER_PASSWORD: dict[str, tuple[frozenset[str], str]] = {
    "curl": (frozenset({"-u", "--user", "-U", "--proxy-user"}), ":"),
    "http": (frozenset({"-a", "--auth"}), ":"),
    "https": (frozenset({"-a", "--auth"}), ":"),
    "xh": (frozenset({"-a", "--auth"}), ":"),
    "xhs": (frozenset({"-a", "--auth"}), ":"),
    "wget": (frozenset({"--user"}), ":"),
    "smbclient": (frozenset({"-U", "--user"}), "%"),
    "rpcclient": (frozenset({"-U", "--user"}), "%"),
    "smbmap": (frozenset({"-U"}), "%"),
}
# Options whose value is a list of cookies (name=value; …): every value is a session key.
_COOKIE_OPTIONS = frozenset({"--cookie", "--cookies"})
# Subcommands followed by positional secrets: how many words after them the secret is.
_POSITIONAL_SECRET = {"setapikey": 1, "add-token": 2, "create_user": 2}
# Programs where -p/-P given with a user (-u/-U/--user) is a password, unless it looks like a port: every other one.
# Excluded: those where -p is a port, a switch or asks for the password (mysql's -p alone asks; "-p root" names the
# database), and copy tools where -p keeps permissions.
_P_NOT_PASSWORD = frozenset({"ssh", "scp", "sftp", "rsync", "tar", "cp", "mkdir", "install", "nc", "ncat", "socat"})
_USER_OPTIONS = frozenset({"-u", "-U", "--user", "--username", "--login"})
_PORT_LIKE = re.compile(r"[0-9]{1,5}(?:[:/.-][0-9A-Za-z:/.-]{0,40})?")
# smbclient's options that take a value (its positional words are the service and the password).
_SMBCLIENT_VALUES = frozenset(
    {"-L", "-I", "-U", "-W", "-p", "-c", "-D", "-O", "-n", "-i", "-s", "-l", "-d", "-t", "-T", "-m", "-A", "-b", "-M"}
)
_STDIN_PASSWORD = re.compile(r"(?i)^--?(?:passwd|password|pass|pw)[-_]?(?:on[-_]?)?stdin$")


# Programs with rules of their own: met inside another command (docker run … mysql …), their rules apply after them.
_RULED = frozenset(
    {*_MYSQL, *_PASSWORD_FLAG, *_NEXT_SECRET, *_USER_PASSWORD, "htpasswd", "mysqladmin", "keepassxc", "setx"}
) - {"dotnet", "http", "https"}


_SETTING = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}=")  # VAR=value before a program
_PROGRAM_WORD = re.compile(r"[A-Za-z0-9_./\\-]{1,256}")  # a program's name or path (not an address)


def _segments(words: Sequence[str]) -> list[tuple[int, int]]:
    """Where each command of a pipeline or list starts and ends (separators excluded)."""
    out: list[tuple[int, int]] = []
    start = 0
    for i, word in enumerate(words):
        if word in _SEPARATORS:
            out.append((start, i))
            start = i + 1
    out.append((start, len(words)))
    return out


def _command_program(words: Sequence[str], start: int, end: int) -> tuple[str, int]:
    """The program of one command and where it stands: after wrappers (sudo, env), their options and ``VAR=value``
    settings."""
    for i in range(start, end):
        word = words[i]
        base = _base(word)
        if base in _WRAPPERS or word.startswith("-") or _SETTING.match(word):
            continue
        return (base if _PROGRAM_WORD.fullmatch(word) else ""), i
    return "", end


def _hide_after(word: str, sep: str) -> str:
    """``user:pass`` → ``user:(hidden)`` (the first separator; nothing after it, nothing hidden)."""
    head, found, tail = word.partition(sep)
    return word if not found or not tail or tail == HIDDEN else head + found + HIDDEN


def redact_words(words: Sequence[str], _depth: int = 0) -> list[str]:
    """A command line (one string per argument) with every secret replaced by ``(hidden)``.

    Besides secret-named options and settings, each command of a pipeline is read with its program's rules:
    ``curl -u user:PASS``, ``smbclient -U user%PASS`` (and its password as a positional word), ``htpasswd -b FILE
    USER PASS``, ``docker login -u U -p PASS`` and any ``-u USER -p PASS`` (not a port), ``ipmitool -P PASS``,
    ``mysqladmin password NEW``, ``aws configure set …key VALUE``, ``setx NAME VALUE``,
    ``echo PASS | … --passwd-on-stdin``, ``--cookie a=X``.  A word holding a whole command (``sh -c '…'``,
    ``ssh host "…"``) is redacted as one."""
    out = [_nested(redact_word(w), _depth) for w in words]
    hidden = [False] * len(words)

    def hide(i: int) -> None:
        if 0 <= i < len(words) and words[i] not in _SEPARATORS:
            hidden[i] = True

    stdin_password = any(_STDIN_PASSWORD.match(w) for w in words)
    for start, end in _segments(words):
        program, at = _command_program(words, start, end)
        if at >= end:
            continue
        seg = words[at:end]
        flag = _PASSWORD_FLAG.get(program)
        next_secret = _NEXT_SECRET.get(program, frozenset())
        user_password = _USER_PASSWORD.get(program)
        has_user = any(w in _USER_OPTIONS or w.startswith(("--user=", "--username=")) for w in seg)
        generic_p = has_user and program not in _MYSQL and program not in _P_NOT_PASSWORD
        login = "login" in seg
        positionals: list[int] = []
        options: list[str] = []
        i = at + 1
        while i < end:
            word = words[i]
            nxt = words[i + 1] if i + 1 < end else None
            takes_value = False
            if (
                word.startswith("-p")
                and len(word) > 2
                and not word.startswith("--")
                and (program in _MYSQL or "-p" in next_secret or (generic_p and not _PORT_LIKE.fullmatch(word[2:])))
            ):
                out[i] = "-p" + HIDDEN  # -pSECRET (mysql, mongo, … and -u USER -pSECRET)
            elif user_password is not None and word in user_password[0] and nxt is not None:
                out[i + 1] = _hide_after(words[i + 1], user_password[1])
                takes_value = True
            elif user_password is not None and any(
                word.startswith(o) and len(word) > len(o) and o.startswith("-") and not o.startswith("--")
                for o in user_password[0]
            ):
                out[i] = _hide_after(word, user_password[1])  # -uuser:pass
            elif user_password is not None and "=" in word and word.split("=", 1)[0] in user_password[0]:
                name, _, value = word.partition("=")
                if user_password[1] in value:  # else the setting rules above have judged the word already
                    out[i] = name + "=" + _hide_after(value, user_password[1])
            elif word in _COOKIE_OPTIONS or (program == "curl" and word == "-b"):
                if nxt is not None and "=" in nxt:
                    out[i + 1] = cookie_values(nxt)
                takes_value = True
            elif word.split("=", 1)[0] in _COOKIE_OPTIONS and "=" in word:
                name, _, value = word.partition("=")
                out[i] = name + "=" + cookie_values(value)
            elif (
                nxt is not None
                and not nxt.startswith("-")
                and (
                    _takes_secret(word)
                    or word == flag
                    or word in next_secret
                    or (login and word in ("-p", "--password"))
                    or (generic_p and word in ("-p", "-P") and not _PORT_LIKE.fullmatch(nxt))
                )
            ):
                if not _plain_value(nxt) or word == flag or word in next_secret:
                    hide(i + 1)
                takes_value = True
            elif any(c.isspace() for c in word):
                pass  # a whole command inside one word (redacted as one): no position
            elif word.startswith("-"):
                options.append(word)
                if program == "smbclient" and word in _SMBCLIENT_VALUES:
                    takes_value = True
            elif (
                _PROGRAM_WORD.fullmatch(word) and _base(word) in _RULED and _base(word) != program
            ):  # docker run … mysql -pX: mysql's rules now
                _positional_rules(program, words, positionals, options, hide)
                program = _base(word)
                flag = _PASSWORD_FLAG.get(program)
                next_secret = _NEXT_SECRET.get(program, frozenset())
                user_password = _USER_PASSWORD.get(program)
                generic_p = has_user and program not in _MYSQL and program not in _P_NOT_PASSWORD
                positionals, options = [], []
            else:
                positionals.append(i)
                count = _POSITIONAL_SECRET.get(word.lower())
                if count is not None:
                    hide(i + count)
            i += 2 if takes_value else 1
        _positional_rules(program, words, positionals, options, hide)
    if stdin_password:  # echo PASS | program --passwd-on-stdin: the secret is echo's argument
        for start, end in _segments(words):
            if end > start and _base(words[start]) in ("echo", "printf"):
                for j in range(start + 1, end):
                    if not words[j].startswith("-"):
                        hide(j)
    return [HIDDEN if hidden[i] else w for i, w in enumerate(out)]


def _nested(word: str, depth: int) -> str:
    """A word that holds a whole command (``sh -c 'exec mysql -pX'``) redacted as a command too (two levels deep at
    most, so any text is looked at a bounded number of times)."""
    if depth >= 2 or not any(c.isspace() for c in word):
        return word
    return redact_text(word, depth + 1)


def _positional_rules(
    program: str, words: Sequence[str], positionals: list[int], options: list[str], hide: Callable[[int], None]
) -> None:
    """Secrets given as plain words, by position."""
    if program == "htpasswd":
        flags = "".join(o[1:] for o in options if not o.startswith("--"))
        if "b" in flags:  # htpasswd -b[c] FILE USER PASSWORD; htpasswd -nb USER PASSWORD
            index = 1 if "n" in flags else 2
            if index < len(positionals):
                hide(positionals[index])
    elif program == "smbclient":  # smbclient [//server/service] [password]
        for j in positionals:
            if not words[j].startswith(("/", "\\")):
                hide(j)
    elif program == "mysqladmin":  # mysqladmin … password NEW
        for n, j in enumerate(positionals):
            if words[j].lower() == "password" and n + 1 < len(positionals):
                hide(positionals[n + 1])
    elif program == "aws" and [words[j] for j in positionals[:2]] == ["configure", "set"] and len(positionals) >= 4:
        if secret_name(words[positionals[2]].rsplit(".", 1)[-1]):  # aws configure set …aws_access_key_id VALUE
            hide(positionals[3])
    elif program == "setx" and len(positionals) >= 2 and secret_name(words[positionals[0]]):  # setx NAME VALUE
        hide(positionals[1])
    elif program in ("keepassxc", "keepassxc-cli"):  # the password typed where the database file goes
        for j in positionals:
            if not words[j].lower().endswith(".kdbx") and not words[j].startswith(("/", "~")):
                hide(j)


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


def redact_text(text: str, _depth: int = 0) -> str:
    """A command line given as text (``shlex.join`` of the arguments, or as a shell would take it), secrets
    hidden.  Words that hold no secret are left exactly as they were written."""
    if not text:
        return text
    spans = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    words = [_unquote(text[a:b]) for a, b in spans]
    redacted = redact_words(words, _depth)
    out: list[str] = []
    last = 0
    for (a, b), before, after in zip(spans, words, redacted, strict=True):
        out.append(text[last:a])
        out.append(text[a:b] if after == before else _shown(after))
        last = b
    out.append(text[last:])
    return "".join(out)
