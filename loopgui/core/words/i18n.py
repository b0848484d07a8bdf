"""The one translation object: ``_()``, ``ngettext()``, ``N_()``; the user's language; numbers, times and lists.

Every sentence a person reads is made in ``loopgui/core/words/`` (or, for a widget's own caption, in ``ui/``)
through these functions, as a whole sentence with named placeholders::

    _("{program} listens on port {port}.").format(program=label, port=port)

never glued from English pieces.  ``N_()`` marks a text where it is declared (a table of captions) and the caller
translates it when shown.  Catalogs are ``po/<lang>.po`` in the repository, compiled to
``loopgui/locale/<lang>/LC_MESSAGES/loopgui.mo`` by the set-up and the build (``scripts/compile_catalogs.py``).
"""

from __future__ import annotations

import gettext
import io
import os
import re
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

DOMAIN = "loopgui"
SOURCE = "en"
# The languages loopgui speaks, with their own names (shown in the Language menu as they are written here).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "fr": "Français",
    "pt_BR": "Português (Brasil)",
    "zh_CN": "简体中文",
    "ja": "日本語",
}
LOCALE_DIR = Path(__file__).resolve().parent.parent.parent / "locale"

_lock = threading.Lock()
_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = SOURCE


def _(message: str) -> str:
    """``message`` in the user's language (the English text when no translation exists)."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, by the rules of the user's language."""
    return _translations.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in a context (two texts that are the same in English but not in every language)."""
    return _translations.pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now (translate it where it is shown)."""
    return message


def match_language(tag: str) -> str | None:
    """The supported language a locale name such as ``de_DE.UTF-8``, ``pt-BR``, ``zh_Hans_CN`` or ``ja`` means."""
    tag = tag.strip().split(".")[0].split("@")[0].replace("-", "_")
    if not tag or tag in ("C", "POSIX"):
        return None
    parts = tag.split("_")
    lang = parts[0].lower()
    region = parts[-1].upper() if len(parts) > 1 else ""
    if lang == "zh":
        # Simplified Chinese only: Taiwan and Hong Kong write Traditional, which loopgui does not have.
        return "zh_CN" if region not in ("TW", "HK", "MO") and "Hant" not in parts else None
    if lang == "pt":
        return "pt_BR"  # the one Portuguese loopgui has; closer to European Portuguese than English is
    return lang if lang in LANGUAGES else None


def system_language(environ: Mapping[str, str] | None = None) -> str:
    """The language the system asks for: ``LANGUAGE`` (a list), then ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as
    gettext reads them; on Windows and macOS the user's interface language.  English when none is supported."""
    env = os.environ if environ is None else environ
    if env.get("LC_ALL", "") in ("C", "POSIX") or (not env.get("LC_ALL") and env.get("LC_MESSAGES") in ("C", "POSIX")):
        return SOURCE
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        for tag in value.split(":"):
            found = match_language(tag)
            if found:
                return found
        if value and name != "LANGUAGE":
            return SOURCE  # the first variable set decides (LANGUAGE only adds a preference list)
    return _platform_language() or SOURCE


def _platform_language() -> str | None:  # pragma: no cover - Windows and macOS only
    if sys.platform == "win32":
        import ctypes

        buf = ctypes.create_unicode_buffer(85)
        windll = getattr(ctypes, "windll", None)
        if windll is not None and windll.kernel32.GetUserDefaultLocaleName(buf, 85):
            return match_language(buf.value)
    if sys.platform == "darwin":
        try:
            out = subprocess.run(
                ["/usr/bin/defaults", "read", "-g", "AppleLanguages"],
                capture_output=True,
                text=True,
                timeout=2,
                check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        for word in out.replace('"', " ").replace(",", " ").split():
            found = match_language(word)
            if found:
                return found
    return None


def _catalog(code: str, locale_dir: Path) -> gettext.NullTranslations:
    """The compiled catalog of ``code``; when the set-up has not compiled it, the ``.po`` read directly."""
    try:
        return gettext.translation(DOMAIN, str(locale_dir), languages=[code])
    except OSError:
        pass
    po = locale_dir / f"{code}.po"
    if not po.is_file():
        raise FileNotFoundError(po)
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=code)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def set_language(language: str | None, locale_dir: Path | None = None) -> str:
    """Speak ``language`` (a supported code, a locale name, or None for the system's) from now on; returns the code
    in use.  A catalog that is missing or damaged leaves English (the source), never an error."""
    global _translations, _language
    code = (match_language(language) if language else None) or system_language()
    translations: gettext.NullTranslations = gettext.NullTranslations()
    if code != SOURCE:
        try:
            translations = _catalog(code, locale_dir or LOCALE_DIR)
        except (OSError, ValueError, UnicodeDecodeError, LookupError):
            translations = gettext.NullTranslations()
    with _lock:
        _translations, _language = translations, code
    return code


class Pseudo(gettext.NullTranslations):
    """The pseudo-language of the tests: every text accented and 40% longer, placeholders kept, so a text that
    never went through ``_()`` stands out, and cut or overflowing text shows in the window."""

    MARK = "⟦"
    _ACCENTS = str.maketrans("aeiouAEIOUcnsyCNSY", "áéíóúÁÉÍÓÚçñšýÇÑŠÝ")

    def gettext(self, message: str) -> str:
        return self._pseudo(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self._pseudo(msgid1 if n == 1 else msgid2)

    def pgettext(self, context: str, message: str) -> str:
        return self._pseudo(message)

    def _pseudo(self, message: str) -> str:
        out = []
        for i, part in enumerate(_PLACEHOLDER.split(message)):
            out.append(part if i % 2 else part.translate(self._ACCENTS))
        text = "".join(out)
        return f"{self.MARK}{text}{'~' * max(1, (len(message) * 2) // 5)}⟧"


_PLACEHOLDER = re.compile(r"(\{[a-z_]+\})")


def set_pseudo() -> None:
    """Speak the pseudo-language (tests only)."""
    global _translations, _language
    with _lock:
        _translations, _language = Pseudo(), SOURCE


def language() -> str:
    """The code of the language in use (``en``, ``de``, …, ``pt_BR``)."""
    return _language


def babel_locale() -> str:
    return _language


def format_number(n: int | float) -> str:
    """``20,040`` / ``20.040`` / ``20 040``, as the user's language writes numbers."""
    from babel.numbers import format_decimal

    return str(format_decimal(n, locale=babel_locale()))


def field_text(label: str, value: str) -> str:
    """``Port: 8080``, as the language writes a label and its value (French puts a space before the colon,
    Chinese and Japanese use the full-width colon)."""
    # Translators: a label and its value, e.g. "Port: 8080"; keep both placeholders.
    return _("{label}: {value}").format(label=label, value=value)


def format_percent(fraction: float) -> str:
    """``12%`` / ``12 %`` / ``12 %``, as the user's language writes a share (0.12), whole percents."""
    from babel.numbers import format_percent as babel_percent

    return str(babel_percent(fraction, locale=babel_locale()))


def format_list(items: Sequence[str], style: str = "standard") -> str:
    """``a, b and c`` in the user's language (``style="or"`` for alternatives)."""
    from babel.lists import format_list as babel_list

    if not items:
        return ""
    return str(babel_list(list(items), style=style, locale=babel_locale()))  # type: ignore[arg-type]


def format_duration(seconds: float, *, add_direction: bool = False) -> str:
    """``3 minutes`` (or ``3 minutes ago`` with ``add_direction`` for a time in the past) in the user's language."""
    from babel.dates import format_timedelta

    return str(
        format_timedelta(
            timedelta(seconds=-abs(seconds) if add_direction else abs(seconds)),
            add_direction=add_direction,
            threshold=1.0,
            locale=babel_locale(),
        )
    )


def format_clock(timestamp: float) -> str:
    """The local time of day, ``10:04:55``, as the user's language writes it."""
    from babel.dates import format_time

    return str(format_time(datetime.fromtimestamp(timestamp), format="medium", locale=babel_locale()))


def format_datetime(timestamp: float) -> str:
    """Date and time, ``5 Dec 2026, 10:04:55``, as the user's language writes them."""
    from babel.dates import format_datetime as babel_datetime

    return str(babel_datetime(datetime.fromtimestamp(timestamp), format="medium", locale=babel_locale()))
