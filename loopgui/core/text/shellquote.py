"""Text from a paste or the network must never become shell syntax in a command loopgui shows.

Two layers:
- ``safe_host`` admits a host only when it is an IP address (``ipaddress``) or a valid host name (IDNA), and gives
  it in a canonical ASCII form (``xn--`` for international names, so look-alike letters are visible) that needs no
  quoting in any shell.  Anything else is refused: callers then show a placeholder or a plain sentence.
- ``posix``, ``powershell`` and ``cmd`` quote one word for the shell a command targets; ``join`` builds a command
  line from words.  cmd.exe has no reliable quoting, so ``cmd`` accepts only words that need none or that nothing
  inside double quotes can affect, and refuses the rest (ValueError).
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Iterable
from typing import Literal

Shell = Literal["posix", "powershell", "cmd"]

_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_ZONE = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_CMD_SAFE = re.compile(r"[A-Za-z0-9_.:,/\\=+@-]{1,200}")
_CMD_IN_QUOTES = re.compile(r"[A-Za-z0-9 _.:,/\\=+@()'-]{1,200}")  # no " % ! ^ & | < > or control characters
# Characters PowerShell treats as a single quote inside a single-quoted string (it doubles any of them).
_PS_QUOTES = "'\u2018\u2019\u201a\u201b"


def safe_host(text: str) -> str | None:
    """``text`` as an IP address or host name in a form safe in every shell without quoting, or None.

    ``[::1]`` → ``::1``; ``fe80::1%eth0`` keeps a plain zone; ``Bücher.example`` → ``xn--bcher-kva.example``;
    full-width digits are normalised; anything with other characters (``;``, ``$(…)``, quotes, spaces, new lines,
    a leading ``-`` that a program would read as an option) is refused.
    """
    if not isinstance(text, str):
        return None
    host = text.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or len(host) > 253 or not host.isprintable():
        return None
    address, percent, zone = host.partition("%")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if ip is not None:
        if not percent:
            return ip.compressed
        if ip.version == 6 and _ZONE.fullmatch(zone):
            return f"{ip.compressed}%{zone}"
        return None
    if percent:
        return None
    try:
        name = host.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return None
    name = name[:-1] if name.endswith(".") else name
    if not name or len(name) > 253:
        return None
    if all(_LABEL.fullmatch(label) for label in name.split(".")):
        return name.lower()
    return None


def posix(word: str) -> str:
    """One word for sh/bash/zsh: left bare when that is safe, else in single quotes."""
    return shlex.quote(word)


def powershell(word: str) -> str:
    """One word for PowerShell: single quotes, each kind of single quote doubled (no expansion inside)."""
    if word and re.fullmatch(r"[A-Za-z0-9_.:/\\=+@-]+", word) and not word.startswith("-"):
        return word
    return "'" + "".join(c * 2 if c in _PS_QUOTES else c for c in word) + "'"


def cmd(word: str) -> str:
    """One word for cmd.exe, which has no reliable quoting (``%`` expands and ``"`` cannot be escaped inside
    quotes): a word that needs no quoting as it is, a word with spaces and a few harmless characters in double
    quotes (``cmd_quoted``).  Raises ValueError for anything else."""
    return word if _CMD_SAFE.fullmatch(word) else cmd_quoted(word)


def cmd_quoted(word: str) -> str:
    """``"word"`` for cmd.exe when nothing in it acts inside double quotes; ValueError otherwise."""
    if _CMD_IN_QUOTES.fullmatch(word):
        return f'"{word}"'
    raise ValueError(f"{word[:40]!r} cannot be given to cmd.exe safely")


def quote(word: str, shell: Shell) -> str:
    if shell == "posix":
        return posix(word)
    if shell == "powershell":
        return powershell(word)
    return cmd(word)


def join(words: Iterable[str], shell: Shell) -> str:
    """A command line from words, each quoted for ``shell`` (ValueError from ``cmd`` when one cannot be)."""
    return " ".join(quote(w, shell) for w in words)
