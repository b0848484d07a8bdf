"""Settings the window remembered, read without Qt where that is possible, so that the terminal verbs and ``--help``
start without loading it.

On Linux and the other Unix systems QSettings("loopgui", "loopgui") keeps them in an INI file,
``$XDG_CONFIG_HOME/loopgui/loopgui.conf`` (``~/.config`` without it); on Windows (the registry) and macOS (a property
list) only Qt reads them: ``None`` there means "ask QSettings".
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from loopgui.core.paths import config_home
from loopgui.core.words.i18n import match_language

MAX_BYTES = 1_000_000  # a settings file is a few kB; a bigger one is not ours to parse
LANGUAGE_KEY = ("ui", "language")  # ui/language.py's KEY, "ui/language"


def settings_file(env: Mapping[str, str] | None = None, platform: str = sys.platform) -> Path | None:
    """Where QSettings keeps loopgui's settings as a file this module can read; None on Windows and macOS."""
    if platform in {"win32", "darwin"}:
        return None
    return config_home(env) / "loopgui" / "loopgui.conf"


def ini_value(text: str, section: str, key: str) -> str | None:
    """The value of ``key`` in ``[section]`` of a QSettings INI text (plain values only: quotes taken off)."""
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
        elif current == section and "=" in line:
            name, value = line.split("=", 1)
            if name.strip() == key:
                value = value.strip()
                if len(value) >= 2 and value[0] == value[-1] == '"':
                    value = value[1:-1]
                return value
    return None


def language_setting(path: Path) -> str:
    """The language chosen in View ▸ Language, as ``ui/language.chosen`` reads it: a supported code, or "" for the
    system's language (also when the file is missing, unreadable, too big, or holds anything else)."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError:
        return ""
    if len(data) > MAX_BYTES:
        return ""
    raw = ini_value(data.decode("utf-8", "replace"), *LANGUAGE_KEY) or ""
    return (match_language(raw) or "") if len(raw) <= 16 else ""
