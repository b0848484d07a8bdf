"""Start loopgui when the user logs in: an XDG autostart entry (Linux and BSD), a Run key value (Windows) or a
LaunchAgent (macOS).  Written only when the user asks, removed when the user asks.  No Qt here.

The content builders are pure functions, tested on every system; only :func:`enable`/:func:`disable` touch the
system, each for the platform it runs on.
"""

from __future__ import annotations

import errno
import os
import plistlib
import stat
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from loopgui.core.paths import config_home, remove_file, write_private

APP_ID = "io.github.loopgui.loopgui"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "loopgui"

# Characters that make an Exec argument need quoting (Desktop Entry Specification, "The Exec key").
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
_ESCAPED_IN_QUOTES = set('"`$\\')


def login_command() -> list[str]:
    """How the login item starts loopgui: in the background (tray icon), this program or this Python."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--background"]
    return [sys.executable, "-m", "loopgui", "--background"]


def quote_exec_argument(arg: str) -> str:
    """One argument of an Exec line: double-quoted with ``"`$\\`` escaped when it holds a reserved character;
    ``%`` doubled (field codes)."""
    if not arg:
        arg_text = '""'
    elif any(c in _RESERVED for c in arg):
        arg_text = '"' + "".join("\\" + c if c in _ESCAPED_IN_QUOTES else c for c in arg) + '"'
    else:
        arg_text = arg
    return arg_text.replace("%", "%%")


def _string_value(text: str) -> str:
    """The general escapes of a string value (applied after the quoting rule, as the spec says)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def desktop_entry(argv: Sequence[str]) -> str:
    """The autostart .desktop file for ``argv``."""
    exec_line = " ".join(quote_exec_argument(a) for a in argv)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=loopgui\n"
        "Comment=Watch which programs use which network ports (started at login)\n"
        f"Exec={_string_value(exec_line)}\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "NoDisplay=true\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def windows_run_value(argv: Sequence[str]) -> str:
    """The command line stored in the Run key (quoted the way Windows programs parse their arguments)."""
    return subprocess.list2cmdline(list(argv))


def launch_agent(argv: Sequence[str]) -> bytes:
    """The LaunchAgent property list (~/Library/LaunchAgents)."""
    return plistlib.dumps(
        {"Label": APP_ID, "ProgramArguments": list(argv), "RunAtLoad": True, "ProcessType": "Interactive"}
    )


def autostart_file(platform: str = sys.platform, env: Mapping[str, str] | None = None) -> Path | None:
    """Where the login item lives (None on Windows, which keeps it in the registry)."""
    env = os.environ if env is None else env
    if platform == "win32":
        return None
    if platform == "darwin":
        return Path(env.get("HOME") or Path.home()) / "Library" / "LaunchAgents" / f"{APP_ID}.plist"
    return config_home(env) / "autostart" / f"{APP_ID}.desktop"


def is_enabled(platform: str = sys.platform) -> bool:
    if platform == "win32":
        return _windows_value() is not None
    path = autostart_file(platform)
    if path is None:
        return False
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)  # a link is not loopgui's entry (and is never followed)
    except OSError:
        return False


@dataclass(frozen=True, slots=True)
class LoginItem:
    """Where the login item was written: a file (``path``), or on Windows a value of a registry key of the user
    (``registry_key`` under HKEY_CURRENT_USER, ``registry_value``).  ``core/words/window.py`` says it."""

    path: str = ""
    registry_key: str = ""
    registry_value: str = ""


def enable(argv: Sequence[str] | None = None, platform: str = sys.platform) -> LoginItem:
    """Write the login item; returns where.  Raises OSError when it cannot, ``paths.UnsafePath`` when a symbolic
    link (or anything but a file) stands where the entry goes: it is never written through."""
    argv = list(argv) if argv is not None else login_command()
    if platform == "win32":
        _windows_set(windows_run_value(argv))
        return LoginItem(registry_key=f"HKEY_CURRENT_USER\\{RUN_KEY}", registry_value=RUN_VALUE)
    path = autostart_file(platform)
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)  # the autostart folder is shared with other programs: left as is
    data = launch_agent(argv) if platform == "darwin" else desktop_entry(argv).encode("utf-8")
    write_private(path, data, folder=False)  # 0600, a new file renamed into place; a link there is refused
    return LoginItem(path=str(path))


def disable(platform: str = sys.platform) -> None:
    """Remove the login item (nothing happens when there is none)."""
    if platform == "win32":
        _windows_delete()
        return
    path = autostart_file(platform)
    if path is not None:
        remove_file(path)  # a link is removed itself, never what it points to


# -- Windows registry (only imported there) ----------------------------------------------------------------------


def _windows_value() -> str | None:
    if sys.platform != "win32":
        return None
    import winreg  # noqa: PLC0415 - Windows only

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            value, _ = winreg.QueryValueEx(key, RUN_VALUE)
            return str(value)
    except OSError:
        return None


def _windows_set(command: str) -> None:
    if sys.platform != "win32":
        raise OSError(errno.ENOSYS, os.strerror(errno.ENOSYS), "winreg")  # the registry exists only on Windows
    import winreg  # noqa: PLC0415 - Windows only

    with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
        winreg.SetValueEx(key, RUN_VALUE, 0, winreg.REG_SZ, command)


def _windows_delete() -> None:
    if sys.platform != "win32":
        return
    import winreg  # noqa: PLC0415 - Windows only

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            winreg.DeleteValue(key, RUN_VALUE)
    except FileNotFoundError:
        return
