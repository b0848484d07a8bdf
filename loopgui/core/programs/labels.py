"""Which program it is, in a few words: a program's name plus what tells it apart ("python3 -m http.server 8000",
"node server.js"), from its command line, secrets left out.  Facts about a program's identity, the same in every
language; the scanners cache them per PID (:class:`ProgramLabels`)."""

from __future__ import annotations

import ntpath
import posixpath
import shlex
from collections.abc import Iterable, Sequence

import psutil

from loopgui.core.text.redact import HIDDEN, redact_word, redact_words

_INTERPRETERS = ("python", "node", "nodejs", "ruby", "perl", "php", "java", "deno", "bun", "dotnet", "pwsh")
_SHELLS = ("sh", "bash", "dash", "zsh", "fish", "powershell", "cmd")
_SECRET_WORDS = ("pass", "token", "secret", "apikey", "api_key", "api-key", "auth", "credential", "private")
_MAX_LABEL = 60
# Interpreter options followed by a value that is not the script: python -X dev, node -r dotenv, java -cp lib.
_OPTIONS_WITH_VALUE = frozenset({"-X", "-W", "-Q", "-r", "--require", "-cp", "-classpath", "--class-path"})


def _is_secret(arg: str) -> bool:
    low = arg.casefold()
    return any(word in low for word in _SECRET_WORDS) or ("://" in low and "@" in low) or redact_word(arg) != arg


def _base(path: str) -> str:
    return ntpath.basename(path) if "\\" in path else posixpath.basename(path)


def _stem(name: str) -> str:
    low = _base(name).casefold()
    for suffix in (".exe", ".bin"):
        if low.endswith(suffix):
            low = low[: -len(suffix)]
    return low.rstrip("0123456789.-")


def program_label(name: str, cmdline: Sequence[str]) -> str:
    """What tells one program from another of the same name: ``python3 -m http.server 8000``, ``node server.js``.

    Interpreters and shells get their script or module and what follows it; other programs keep their name.  Secrets
    (arguments that look like passwords, tokens or URLs with credentials) are left out, and the label is short.
    """
    if not cmdline:
        return name
    cmdline = redact_words(cmdline)
    first = _base(cmdline[0]) or name
    shown = name or first
    stem = _stem(first) or _stem(name)
    if stem not in _INTERPRETERS and stem not in _SHELLS:
        return shown
    parts = [shown]
    rest = list(cmdline[1:])
    i = 0
    # Skip interpreter options until the script or "-m module" / "-jar file" / "-c".
    while i < len(rest):
        arg = rest[i]
        if arg in ("-m", "-jar") and i + 1 < len(rest):
            parts += [arg, rest[i + 1]]
            i += 2
            break
        if arg in _OPTIONS_WITH_VALUE:
            i += 2
            continue
        if arg in ("-c", "-e", "--eval"):
            parts.append("-c …")
            i = len(rest)
            break
        if arg.startswith("-"):
            i += 1
            continue
        parts.append(_base(arg) if ("/" in arg or "\\" in arg) and stem != "java" else arg)
        i += 1
        break
    else:
        return shown
    for arg in rest[i : i + 3]:
        if _is_secret(arg) or HIDDEN in arg:  # a secret, or what core.redact hid: the label stops there
            parts.append("…")
            break
        parts.append(arg)
    label = " ".join(parts)
    return label if len(label) <= _MAX_LABEL else label[: _MAX_LABEL - 1] + "…"


def command_label(name: str, command: str) -> str:
    """:func:`program_label` from a command line kept as one string (as the close plan keeps it)."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    return program_label(name, words) if words else name


class ProgramLabels:
    """Program labels by PID (name plus what tells it apart), cached until the process is gone.  Used by the
    scanners: one command-line read per new program, never per scan."""

    def __init__(self) -> None:
        self._labels: dict[int, tuple[str, str]] = {}

    def label(self, pid: int, name: str) -> tuple[str, str]:
        """(label, program file) for ``pid``; the file is "" when hidden."""
        cached = self._labels.get(pid)
        if cached is not None:
            return cached
        try:
            proc = psutil.Process(pid)
            cmdline = proc.cmdline()
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            return name, ""
        except (psutil.AccessDenied, OSError):
            cmdline = []
        try:
            path = proc.exe() if cmdline else ""
        except (psutil.Error, OSError):
            path = ""
        found = self._labels[pid] = (program_label(name, cmdline), path)
        return found

    def forget_except(self, alive: Iterable[int]) -> None:
        keep = set(alive)
        for pid in [p for p in self._labels if p not in keep]:
            del self._labels[pid]
