#!/usr/bin/env python3
"""Regenerate loopgui/resources/strerror_l10n.json: glibc's network error texts in every language it is translated to.

The endpoint finder reads them to know an error's kind in a message written in another language ("Verbindungsaufbau
abgelehnt", "拒绝连接") without any English word or number.  The texts come from Debian's ``libc-l10n`` package (the
``libc.mo`` catalogs of the GNU C Library); to refresh:

    apt-get install libc-l10n
    python resources/make_strerror_table.py /usr/share/locale loopgui/resources/strerror_l10n.json

For every <LOCALE_ROOT>/<lang>/LC_MESSAGES/libc.mo the English strerror / gai_strerror texts below are looked up;
translations identical to the English text are skipped, and so are texts too short to be told from ordinary words:
fewer than MIN_LEN characters, unless they hold MIN_CJK Chinese, Japanese or Korean characters (拒绝连接, 连接超时
are whole sentences).  The output is deterministic: kinds, texts and languages are sorted.
"""

from __future__ import annotations

import errno
import gettext
import json
import os
import re
import subprocess
import sys
from pathlib import Path

MIN_LEN = 6
MIN_CJK = 3
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def long_enough(text: str) -> bool:
    """At least MIN_LEN characters, or MIN_CJK characters of Chinese, Japanese or Korean script."""
    return len(text) >= MIN_LEN or len(_CJK.findall(text)) >= MIN_CJK


# errno name -> kind; English text comes from os.strerror (glibc).
ERRNO_KINDS: dict[str, str] = {
    "ECONNREFUSED": "refused",
    "EADDRINUSE": "in_use",
    "EADDRNOTAVAIL": "not_available",
    "ETIMEDOUT": "timeout",
    "ECONNRESET": "reset",
    "ECONNABORTED": "reset",
    "ENETUNREACH": "unreachable",
    "EHOSTUNREACH": "unreachable",
    "EHOSTDOWN": "unreachable",
    "EAFNOSUPPORT": "family",
}

# gai_strerror texts (EAI_NONAME, EAI_AGAIN), also in libc.mo.
GAI_KINDS: dict[str, str] = {
    "Name or service not known": "not_found",
    "Temporary failure in name resolution": "not_found",
}


def english_texts() -> dict[str, str]:
    """Return English message -> kind."""
    texts = {os.strerror(getattr(errno, name)): kind for name, kind in ERRNO_KINDS.items()}
    texts.update(GAI_KINDS)
    return texts


def package_version() -> str:
    """Installed libc-l10n version, or "unknown"."""
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "libc-l10n"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out or "unknown"


def catalogs(root: Path) -> list[tuple[str, Path]]:
    """(lang, path) of every libc.mo under root, sorted by lang."""
    found = [(d.name, d / "LC_MESSAGES" / "libc.mo") for d in root.iterdir() if d.is_dir()]
    return sorted((lang, mo) for lang, mo in found if mo.is_file())


def build_table(root: Path) -> dict[str, list[dict[str, object]]]:
    """Map each kind to a sorted list of {"text", "langs"}."""
    english = english_texts()
    seen: dict[str, dict[str, set[str]]] = {}
    for lang, mo in catalogs(root):
        with mo.open("rb") as fh:
            trans = gettext.GNUTranslations(fh)
        for msgid, kind in english.items():
            text = trans.gettext(msgid).strip()
            if text == msgid or not long_enough(text):
                continue
            seen.setdefault(kind, {}).setdefault(text, set()).add(lang)
    return {
        kind: [{"text": t, "langs": sorted(langs)} for t, langs in sorted(texts.items())]
        for kind, texts in sorted(seen.items())
    }


def main(argv: list[str]) -> int:
    """Write the JSON table; return the exit status."""
    if len(argv) != 3:
        print(f"usage: {argv[0]} LOCALE_ROOT OUTPUT_JSON", file=sys.stderr)
        return 2
    root, out = Path(argv[1]), Path(argv[2])
    if not root.is_dir():
        print(f"not a directory: {root}", file=sys.stderr)
        return 2
    result = {
        "source": f"Debian libc-l10n {package_version()} libc.mo catalogs",
        "kinds": build_table(root),
    }
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
