"""Start at login: the file contents for each system, written and removed on request."""

from __future__ import annotations

import plistlib
import shlex
from pathlib import Path

import pytest

from loopgui.core import autostart
from loopgui.core.words.window import login_item_text


def test_exec_quoting_follows_the_desktop_entry_spec() -> None:
    q = autostart.quote_exec_argument
    assert q("/usr/bin/python3") == "/usr/bin/python3"
    assert q("/home/a b/py") == '"/home/a b/py"'
    assert q('say "hi"') == '"say \\"hi\\""'
    assert q("$HOME`x`") == '"\\$HOME\\`x\\`"'
    assert q("back\\slash") == '"back\\\\slash"'
    assert q("100%") == "100%%"
    assert q("") == '""'


def test_desktop_entry_for_a_path_with_spaces_and_a_backslash() -> None:
    text = autostart.desktop_entry(["/opt/my apps/python3", "-m", "loopgui", "--background"])
    assert "[Desktop Entry]\nType=Application\n" in text
    assert 'Exec="/opt/my apps/python3" -m loopgui --background\n' in text
    weird = autostart.desktop_entry(["/x\\y z/py"])
    # the quoting rule escapes \ as \\, then the string rule doubles each: four in the file
    assert 'Exec="/x\\\\\\\\y z/py"\n' in weird
    assert 'Exec="a\\nb"\n' in autostart.desktop_entry(["a\nb"])  # a new line cannot end the Exec line


def test_windows_run_value_and_macos_plist_are_built_without_those_systems() -> None:
    assert autostart.windows_run_value(["C:\\Program Files\\loopgui\\loopgui.exe", "--background"]) == (
        '"C:\\Program Files\\loopgui\\loopgui.exe" --background'
    )
    plist = plistlib.loads(autostart.launch_agent(["/Applications/loopgui.app/Contents/MacOS/loopgui", "--background"]))
    assert plist["Label"] == "io.github.loopgui.loopgui"
    assert plist["ProgramArguments"] == ["/Applications/loopgui.app/Contents/MacOS/loopgui", "--background"]
    assert plist["RunAtLoad"] is True
    assert autostart.autostart_file("darwin", {"HOME": "/Users/a"}) == Path(
        "/Users/a/Library/LaunchAgents/io.github.loopgui.loopgui.plist"
    )
    assert autostart.autostart_file("win32", {}) is None


def test_linux_entry_is_written_under_xdg_config_home_and_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert not autostart.is_enabled("linux")
    where = autostart.enable(["/usr/bin/python3", "-m", "loopgui", "--background"], platform="linux")
    path = tmp_path / "cfg" / "autostart" / "io.github.loopgui.loopgui.desktop"
    assert where == autostart.LoginItem(path=str(path)) and path.is_file()
    assert login_item_text(where) == str(path)
    assert autostart.is_enabled("linux")
    text = path.read_text(encoding="utf-8")
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    assert shlex.split(exec_line[5:]) == ["/usr/bin/python3", "-m", "loopgui", "--background"]
    autostart.disable("linux")
    assert not path.exists() and not autostart.is_enabled("linux")
    autostart.disable("linux")  # removing twice is fine


def test_default_command_starts_this_loopgui_in_the_background() -> None:
    argv = autostart.login_command()
    assert argv[-1] == "--background" and Path(argv[0]).name.startswith("python")


def test_config_home_ignores_a_relative_value() -> None:
    assert autostart.config_home({"XDG_CONFIG_HOME": "rel", "HOME": "/home/a"}) == Path("/home/a/.config")


def test_the_windows_login_item_is_a_registry_key_and_value() -> None:
    item = autostart.LoginItem(registry_key=f"HKEY_CURRENT_USER\\{autostart.RUN_KEY}", registry_value="loopgui")
    assert login_item_text(item) == (
        "the Windows registry (HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run, value “loopgui”)"
    )
