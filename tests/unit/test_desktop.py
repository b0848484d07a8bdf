"""Desktop integration files: the menu entry, icons and AppStream metainfo."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from loopgui.desktop import (
    APP_ID,
    ICON_SIZES,
    exec_value,
    install_desktop_entry,
    installed_files,
    resources_dir,
    uninstall_desktop_entry,
)

ROOT = Path(__file__).resolve().parents[2]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_icons_exist_in_every_size_and_the_window_icon_matches() -> None:
    icons = ROOT / "loopgui" / "resources" / "desktop" / "icons"
    assert (icons / "loopgui.svg").read_text().startswith("<svg")
    for size in ICON_SIZES:
        assert png_size(icons / f"loopgui-{size}.png") == (size, size)
    assert (ROOT / "loopgui" / "resources" / "loopgui-256.png").read_bytes() == (icons / "loopgui-256.png").read_bytes()


def test_desktop_entry_and_metainfo_are_valid() -> None:
    entry = (ROOT / "loopgui" / "resources" / "desktop" / f"{APP_ID}.desktop").read_text()
    assert entry.startswith("[Desktop Entry]\n")
    fields = dict(line.split("=", 1) for line in entry.splitlines()[1:] if "=" in line)
    assert fields["Type"] == "Application" and fields["Icon"] == APP_ID and fields["Terminal"] == "false"
    assert fields["Categories"].endswith(";")
    root = ET.parse(ROOT / "loopgui" / "resources" / "desktop" / f"{APP_ID}.metainfo.xml").getroot()
    assert root.tag == "component" and root.findtext("id") == APP_ID
    assert root.find("launchable").text == f"{APP_ID}.desktop"  # type: ignore[union-attr]


def test_install_puts_everything_under_local_share(tmp_path: Path) -> None:
    assert resources_dir() == ROOT / "loopgui" / "resources" / "desktop"
    files = install_desktop_entry(tmp_path, command=["/opt/loopgui/loopgui"])
    desktop = tmp_path / "applications" / f"{APP_ID}.desktop"
    assert desktop in files
    assert "\nExec=/opt/loopgui/loopgui\n" in desktop.read_text()
    for size in ICON_SIZES:
        assert (tmp_path / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png").is_file()
    assert (tmp_path / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    assert (tmp_path / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()


def test_install_from_the_command_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {"XDG_DATA_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "loopgui", "--install-desktop"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "application menu" in result.stdout
    entry = (tmp_path / "applications" / f"{APP_ID}.desktop").read_text()
    assert f"Exec={sys.executable} -m loopgui" in entry


MAIN_CATEGORIES = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game", "Graphics", "Network",
                   "Office", "Science", "Settings", "System", "Utility"}  # fmt: skip


def unquote_exec(line: str) -> list[str]:
    """Split an Exec value the way a desktop does (Desktop Entry Specification, "The Exec key")."""
    value = re.sub(r"\\(.)", lambda m: {"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(m[1], m[1]), line)
    args: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == " ":
            i += 1
            continue
        word = ""
        if value[i] == '"':
            i += 1
            while value[i] != '"':
                if value[i] == "\\":
                    assert value[i + 1] in '"`$\\', f"undefined escape in {line!r}"
                    i += 1
                word += value[i]
                i += 1
            i += 1
        else:
            while i < len(value) and value[i] != " ":
                assert value[i] not in "\"'\\><~|&;$*?#()`\t", f"unquoted reserved character in {line!r}"
                word += value[i]
                i += 1
        assert "%" not in word.replace("%%", ""), f"stray field code in {line!r}"
        args.append(word.replace("%%", "%"))
    return args


HOSTILE_FOLDERS = [
    "My Programs",
    'say "hi"',
    "back\\slash",
    "$HOME and `id`",
    "100% sure",
    "it's (a) test; ok & <more> | ~ * ? #",
]


@pytest.mark.parametrize("folder", HOSTILE_FOLDERS)
def test_exec_is_quoted_per_the_desktop_entry_spec(tmp_path: Path, folder: str) -> None:
    python = f"/opt/{folder}/bin/python3"
    value = exec_value([python, "-m", "loopgui"])
    assert unquote_exec(value) == [python, "-m", "loopgui"]
    install_desktop_entry(tmp_path, command=[python, "-m", "loopgui"])
    desktop = tmp_path / "applications" / f"{APP_ID}.desktop"
    fields = dict(line.split("=", 1) for line in desktop.read_text().splitlines()[1:] if "=" in line)
    assert unquote_exec(fields["Exec"]) == [python, "-m", "loopgui"]
    validate(desktop)


def test_a_plain_path_stays_unquoted_and_control_characters_are_refused() -> None:
    assert exec_value(["/usr/bin/python3", "-m", "loopgui"]) == "/usr/bin/python3 -m loopgui"
    with pytest.raises(ValueError, match="control characters"):
        exec_value(["/opt/a\nb/python3"])


def test_one_main_category() -> None:
    entry = (ROOT / "loopgui" / "resources" / "desktop" / f"{APP_ID}.desktop").read_text()
    fields = dict(line.split("=", 1) for line in entry.splitlines()[1:] if "=" in line)
    categories = [c for c in fields["Categories"].split(";") if c]
    assert len([c for c in categories if c in MAIN_CATEGORIES]) == 1, categories
    validate(ROOT / "loopgui" / "resources" / "desktop" / f"{APP_ID}.desktop")


def validate(desktop: Path) -> None:
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        return  # the spec checks above still ran; the official validator adds its own when installed
    result = subprocess.run([tool, str(desktop)], capture_output=True, text=True, check=False, timeout=30)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils is not installed")
def test_the_official_validator_accepts_a_folder_with_a_space(tmp_path: Path) -> None:
    install_desktop_entry(tmp_path, command=["/home/a user/loopgui folder/.venv/bin/python", "-m", "loopgui"])
    validate(tmp_path / "applications" / f"{APP_ID}.desktop")


def test_a_menu_entry_into_a_deleted_checkout_is_hidden_not_broken(tmp_path: Path) -> None:
    """TryExec names the program the entry starts: when the checkout (its virtual environment) is deleted, the
    desktop hides the entry instead of showing one that fails when clicked."""
    python = tmp_path / "checkout" / ".venv" / "bin" / "python"
    install_desktop_entry(tmp_path / "share", command=[str(python), "-m", "loopgui"])
    entry = (tmp_path / "share" / "applications" / f"{APP_ID}.desktop").read_text()
    assert f"\nTryExec={python}\n" in entry and f"\nExec={python} -m loopgui\n" in entry


def test_uninstall_removes_exactly_what_install_wrote(tmp_path: Path) -> None:
    target = tmp_path / "share"
    written = install_desktop_entry(target, command=["/opt/loopgui/loopgui"])
    other = target / "applications" / "someone-else.desktop"
    other.write_text("[Desktop Entry]\n")
    assert sorted(installed_files(target)) == sorted(written)
    removed = uninstall_desktop_entry(target)
    assert sorted(removed) == sorted(written) and installed_files(target) == []
    assert other.is_file()  # other programs' entries stay
    assert uninstall_desktop_entry(target) == []  # twice is fine


def test_uninstall_from_the_command_line_says_what_stays(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {
        "XDG_DATA_HOME": str(tmp_path / "share"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    install_desktop_entry(tmp_path / "share", command=["/opt/loopgui/loopgui"])
    autostart = tmp_path / "config" / "autostart" / f"{APP_ID}.desktop"
    autostart.parent.mkdir(parents=True)
    autostart.write_text("[Desktop Entry]\n")
    result = subprocess.run(
        [sys.executable, "-m", "loopgui", "--uninstall-desktop"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert installed_files(tmp_path / "share") == [] and not autostart.exists()
    assert "Removed loopgui from the application menu" in result.stdout
    for place in (tmp_path / "config" / "loopgui", tmp_path / "cache" / "loopgui", tmp_path / "share" / "loopgui"):
        assert str(place) in result.stdout
