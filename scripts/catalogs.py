"""Translation catalogs: extract the texts to translate, update each language's .po, compile .mo, check them.

    python scripts/catalogs.py extract   # loopgui/locale/loopgui.pot from every _(), ngettext(), N_() in loopgui/
    python scripts/catalogs.py update    # merge the template into loopgui/locale/<lang>.po (new texts empty)
    python scripts/catalogs.py compile   # loopgui/locale/<lang>/LC_MESSAGES/loopgui.mo (set-up and build run this)
    python scripts/catalogs.py check     # every catalog complete, placeholders kept (exit 1 and a list if not)

The .po files are in the repository; the .mo files are made from them (and, when missing, loopgui reads the .po
itself, so an install without this step still speaks every language).
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "loopgui"
LOCALE = PACKAGE / "locale"
TEMPLATE = LOCALE / "loopgui.pot"
LANGUAGES = ("de", "es", "fr", "pt_BR", "zh_CN", "ja")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)[sr]|%[sr]")  # loopgui's {port}; argparse's %(prog)s, %s


def extract() -> Catalog:
    catalog = Catalog(project="loopgui", domain="loopgui", charset="utf-8")
    method_map = [("**.py", "python")]
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE), method_map=method_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",), strip_comment_tags=True
    ):
        catalog.add(message, None, [(f"loopgui/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def _write(catalog: Catalog, path: Path) -> None:
    buf = io.BytesIO()
    write_po(buf, catalog, width=120, omit_header=False, sort_output=False, include_lineno=False)
    path.write_bytes(buf.getvalue())


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def update() -> None:
    template = _read(TEMPLATE)
    for lang in LANGUAGES:
        po = LOCALE / f"{lang}.po"
        catalog = _read(po, lang) if po.exists() else Catalog(locale=lang, domain="loopgui", project="loopgui")
        catalog.update(template, no_fuzzy_matching=True)
        _write(catalog, po)


def compile_all() -> int:
    count = 0
    for lang in LANGUAGES:
        po = LOCALE / f"{lang}.po"
        if not po.exists():
            continue
        catalog = _read(po, lang)
        out = LOCALE / lang / "LC_MESSAGES" / "loopgui.mo"
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        count += 1
    return count


def problems(lang: str) -> list[str]:
    """What is wrong with one language's catalog: missing texts, and translations that lost or added a
    placeholder (``{port}``): a sentence that drops one would hide a fact; one that adds one would crash."""
    template = _read(TEMPLATE)
    po = LOCALE / f"{lang}.po"
    if not po.exists():
        return [f"{lang}: no catalog ({po.name})"]
    catalog = _read(po, lang)
    out = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = found.string if found is not None else None
        texts = strings if isinstance(strings, tuple) else (strings,)
        if found is None or not all(texts) or found.fuzzy:
            out.append(f"{lang}: not translated: {ids[0]!r}")
            continue
        wanted = set(PLACEHOLDER.findall(" ".join(str(i) for i in ids)))
        for text in texts:
            got = set(PLACEHOLDER.findall(str(text or "")))
            if got != wanted:
                out.append(f"{lang}: placeholders {sorted(got)} instead of {sorted(wanted)} in {ids[0]!r}")
    return out


def main(argv: list[str]) -> int:
    verb = argv[0] if argv else ""
    if verb == "extract":
        catalog = extract()
        _write(catalog, TEMPLATE)
        print(f"{len(catalog)} texts in {TEMPLATE.relative_to(ROOT)}")
        return 0
    if verb == "update":
        update()
        return 0
    if verb == "compile":
        print(f"compiled {compile_all()} catalogs")
        return 0
    if verb == "check":
        found = [p for lang in LANGUAGES for p in problems(lang)]
        print("\n".join(found) if found else "every catalog is complete")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
