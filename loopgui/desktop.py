"""Putting loopgui into the desktop's application menu (freedesktop: ~/.local/share).  No Qt here."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

APP_ID = "io.github.loopgui.loopgui"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resources_dir() -> Path | None:
    """The top-level resources/ folder: inside a bundle, or beside the package in a source checkout."""
    bundle = getattr(sys, "_MEIPASS", None)
    candidates = [Path(bundle) / "resources"] if bundle else []
    candidates.append(Path(__file__).resolve().parent.parent / "resources")
    return next((c for c in candidates if (c / f"{APP_ID}.desktop").is_file()), None)


def launch_command() -> str:
    """How the menu entry starts this loopgui: the bundle's executable, or this Python with -m loopgui."""
    if getattr(sys, "frozen", False):
        return shlex.quote(sys.executable)
    return f"{shlex.quote(sys.executable)} -m loopgui"


def data_home() -> Path:
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if value.startswith("/") else Path.home() / ".local" / "share"


def install_desktop_entry(
    target: Path | None = None, source: Path | None = None, command: str | None = None
) -> list[Path]:
    """Install the .desktop entry, icons and AppStream metainfo; returns the files written."""
    target = target or data_home()
    source = source or resources_dir()
    if source is None:
        raise FileNotFoundError("loopgui's desktop files are missing from this installation.")
    written: list[Path] = []
    entry = (source / f"{APP_ID}.desktop").read_text(encoding="utf-8")
    entry = entry.replace("\nExec=loopgui\n", f"\nExec={command or launch_command()}\n")
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
