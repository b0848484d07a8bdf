"""Putting loopgui into the desktop's application menu (freedesktop: ~/.local/share).  No Qt here."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

APP_ID = "io.github.loopgui.loopgui"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resources_dir() -> Path | None:
    """The menu entry, icons and AppStream file (``loopgui/resources/desktop``): in a checkout, an installed package
    (pip, pipx) and a bundle alike."""
    folder = Path(__file__).resolve().parent / "resources" / "desktop"
    return folder if (folder / f"{APP_ID}.desktop").is_file() else None


# Desktop Entry Specification, "The Exec key": an argument holding any of these must be quoted.
_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")
_ESCAPE_IN_QUOTES = re.compile(r'(["`$\\])')


def launch_command() -> list[str]:
    """How the menu entry starts this loopgui: the bundle's executable, or this Python with -m loopgui."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "loopgui"]


def exec_value(argv: Sequence[str]) -> str:
    """The ``Exec=`` line's value for ``argv``, quoted and escaped as the Desktop Entry Specification says.

    Each argument with a reserved character is put in double quotes with ``"`` `` ` `` ``$`` ``\\`` escaped by a
    backslash; ``%`` is doubled (it starts field codes); then, because Exec is a string value, every backslash is
    escaped once more.  Control characters cannot be written in a menu entry: ValueError in plain words.
    """
    words = []
    for arg in argv:
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in arg):
            raise ValueError(f"A menu entry cannot start a program whose path holds control characters: {arg!r}")
        word = arg.replace("%", "%%")
        if not word or any(c in _RESERVED for c in word):
            word = '"' + _ESCAPE_IN_QUOTES.sub(r"\\\1", word) + '"'
        words.append(word)
    return " ".join(words).replace("\\", "\\\\")


def data_home() -> Path:
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if value.startswith("/") else Path.home() / ".local" / "share"


def install_desktop_entry(
    target: Path | None = None, source: Path | None = None, command: Sequence[str] | None = None
) -> list[Path]:
    """Install the .desktop entry, icons and AppStream metainfo; returns the files written.

    ``command``: the program and its arguments that the menu entry starts (default: this loopgui).
    """
    target = target or data_home()
    source = source or resources_dir()
    if source is None:
        raise FileNotFoundError("loopgui's desktop files are missing from this installation.")
    written: list[Path] = []
    entry = (source / f"{APP_ID}.desktop").read_text(encoding="utf-8")
    argv = list(command or launch_command())
    exec_line = f"\nExec={exec_value(argv)}\n"
    if os.path.isabs(argv[0]):
        # The menu hides an entry whose program is gone (a deleted checkout or virtual environment) instead of
        # showing one that fails when clicked.
        exec_line += f"TryExec={exec_value(argv[:1])}\n"
    entry = entry.replace("\nExec=loopgui\n", exec_line)
    apps = target / "applications"
    apps.mkdir(parents=True, exist_ok=True)
    desktop = apps / f"{APP_ID}.desktop"
    desktop.write_text(entry, encoding="utf-8")
    written.append(desktop)
    for size in ICON_SIZES:
        png = source / "icons" / f"loopgui-{size}.png"
        if png.is_file():
            folder = target / "icons" / "hicolor" / f"{size}x{size}" / "apps"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{APP_ID}.png").write_bytes(png.read_bytes())
            written.append(folder / f"{APP_ID}.png")
    svg = source / "icons" / "loopgui.svg"
    if svg.is_file():
        folder = target / "icons" / "hicolor" / "scalable" / "apps"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{APP_ID}.svg").write_bytes(svg.read_bytes())
        written.append(folder / f"{APP_ID}.svg")
    meta = target / "metainfo"
    meta.mkdir(parents=True, exist_ok=True)
    info = meta / f"{APP_ID}.metainfo.xml"
    info.write_bytes((source / f"{APP_ID}.metainfo.xml").read_bytes())
    written.append(info)
    return written


def installed_files(target: Path | None = None) -> list[Path]:
    """Every file :func:`install_desktop_entry` may have written under ``target`` (those that exist)."""
    target = target or data_home()
    candidates = [target / "applications" / f"{APP_ID}.desktop", target / "metainfo" / f"{APP_ID}.metainfo.xml"]
    candidates += [target / "icons" / "hicolor" / f"{n}x{n}" / "apps" / f"{APP_ID}.png" for n in ICON_SIZES]
    candidates.append(target / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg")
    return [p for p in candidates if p.is_file() or p.is_symlink()]


def uninstall_desktop_entry(target: Path | None = None) -> list[Path]:
    """Remove the menu entry, icons and metainfo (and nothing else of the folders they are in); returns them.
    Symlinks are removed, never followed."""
    removed = []
    for path in installed_files(target):
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed
