"""Before Qt starts: is there a desktop to show a window on, and can Qt's X11 support load?  No Qt here.

Without a display Qt aborts the whole program with a message about xcb that names libxcb-cursor0 whatever the
cause; loopgui says in plain words what is missing instead, and exits with 1.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from loopgui.core.words.i18n import N_, _

# Shared libraries Qt's xcb platform plugin loads, and the Debian/Ubuntu package that provides each.
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
}

_NOT_FOUND = re.compile(r"^\s*(\S+) => not found\s*$", re.MULTILINE)

# Marked here, translated in no_display_text(): the language is chosen after import.
NO_DISPLAY = N_(
    "loopgui is a desktop program: it needs a desktop session (a graphical login with X11 or Wayland) to show "
    "its window, and none was found here (DISPLAY and WAYLAND_DISPLAY are not set).\n"
    "Start it from your desktop's menu or a terminal inside the desktop. Over SSH, use `ssh -X`.\n"
    'Without a window, the terminal commands still work, e.g.: {command} explain "connect ECONNREFUSED '
    '127.0.0.1:3000"'
)


def own_command(path: str | None = None) -> str:
    """How to start this loopgui from a terminal: ``loopgui`` only when that name is on PATH and is this
    installation (a checkout's virtual environment is usually not on PATH); else this Python with ``-m loopgui``."""

    if getattr(sys, "frozen", False):
        return shlex.quote(sys.executable)
    found = shutil.which("loopgui", path=path)
    if found is not None and Path(found).parent.resolve() == Path(sys.executable).parent.resolve():
        return "loopgui"
    return f"{shlex.quote(sys.executable)} -m loopgui"


def no_display_text(path: str | None = None) -> str:
    """The no-desktop message, with a terminal command that works from here."""
    return _(NO_DISPLAY).format(command=own_command(path))


# Qt's own libraries travel with PySide6 (or inside the bundle, where ldd may not find them from the plugin's
# folder although Qt will): only system libraries count.
_BUNDLED = ("libQt6", "libicu", "libpyside6", "libshiboken6")


_LOCAL_DISPLAY = re.compile(r"(?:unix)?:(\d{1,6})(?:\.\d{1,6})?")


def unreachable_display(display: str) -> str | None:
    """Plain words when ``display`` names a display on this computer that nothing serves; None otherwise.

    Only local displays (``:0``, ``:1.0``) are checked, by connecting to the X server's socket (the file, then
    Linux's abstract name); remote ones (``localhost:10.0`` over ``ssh -X``) are left to Qt.
    """
    found = _LOCAL_DISPLAY.fullmatch(display)
    if found is None:
        return None
    path = f"/tmp/.X11-unix/X{found[1]}"
    for address in (path, "\0" + path):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(2)
                sock.connect(address)
                return None
        except OSError:
            continue
    return _(
        "loopgui cannot open its window: the desktop session it was given (DISPLAY={display}) is not running. "
        "Start loopgui from your desktop's menu or a terminal inside the desktop."
    ).format(display=display)


def missing_libraries(ldd_output: str) -> list[str]:
    """The system libraries ``ldd`` reports as not found, in order, without repeats."""
    seen: dict[str, None] = {}
    for name in _NOT_FOUND.findall(ldd_output):
        if not name.startswith(_BUNDLED):
            seen.setdefault(name, None)
    return list(seen)


def install_advice(missing: list[str]) -> str:
    """Plain words naming the missing libraries and, where known, the packages to install."""
    packages = sorted({DEBIAN_PACKAGES[m] for m in missing if m in DEBIAN_PACKAGES})
    unknown = [m for m in missing if m not in DEBIAN_PACKAGES]
    text = _(
        "loopgui cannot open its window: Qt's support for this desktop (X11) needs system libraries that are "
        "missing: {libraries}."
    ).format(libraries=", ".join(missing))
    if packages:
        command = "sudo apt-get install " + " ".join(packages)
        text += "\n" + _("On Debian or Ubuntu install them with:") + "\n  " + command
    if unknown and packages:
        text += "\n" + _("(Also missing, find the package that has them: {libraries}.)").format(
            libraries=", ".join(unknown)
        )

    return text


def xcb_plugin() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        plugin = Path(folder) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


def missing_for(plugin: Path) -> list[str]:
    """Libraries ``plugin`` needs that the system does not have (empty when ldd is not available)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        result = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return missing_libraries(result.stdout)


def display_problem(environ: Mapping[str, str] | None = None, platform: str = sys.platform) -> str | None:
    """Why the window cannot open here, in plain words; None when it can (or when Qt is told what to use)."""
    env = os.environ if environ is None else environ
    if not platform.startswith("linux"):
        return None
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen and not chosen.startswith("xcb"):
        return None  # offscreen, wayland, vnc, …: the user chose; Qt reports its own problems
    if not chosen and env.get("WAYLAND_DISPLAY"):
        return None
    if not env.get("DISPLAY"):
        return no_display_text(env.get("PATH"))
    gone = unreachable_display(env["DISPLAY"])
    if gone is not None:
        return gone
    plugin = xcb_plugin()
    missing = missing_for(plugin) if plugin is not None else []
    return install_advice(missing) if missing else None
