"""Desktop integration files: the menu entry, icons and AppStream metainfo."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path

from loopgui.desktop import APP_ID, ICON_SIZES, install_desktop_entry, resources_dir

ROOT = Path(__file__).resolve().parents[2]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_icons_exist_in_every_size_and_the_window_icon_matches() -> None:
    icons = ROOT / "resources" / "icons"
    assert (icons / "loopgui.svg").read_text().startswith("<svg")
    for size in ICON_SIZES:
        assert png_size(icons / f"loopgui-{size}.png") == (size, size)
    assert (ROOT / "loopgui" / "resources" / "loopgui-256.png").read_bytes() == (icons / "loopgui-256.png").read_bytes()


def test_desktop_entry_and_metainfo_are_valid() -> None:
    entry = (ROOT / "resources" / f"{APP_ID}.desktop").read_text()
    assert entry.startswith("[Desktop Entry]\n")
    fields = dict(line.split("=", 1) for line in entry.splitlines()[1:] if "=" in line)
    assert fields["Type"] == "Application" and fields["Icon"] == APP_ID and fields["Terminal"] == "false"
    assert fields["Categories"].endswith(";")
    root = ET.parse(ROOT / "resources" / f"{APP_ID}.metainfo.xml").getroot()
    assert root.tag == "component" and root.findtext("id") == APP_ID
    assert root.find("launchable").text == f"{APP_ID}.desktop"  # type: ignore[union-attr]


def test_install_puts_everything_under_local_share(tmp_path: Path) -> None:
    assert resources_dir() == ROOT / "resources"
    files = install_desktop_entry(tmp_path, command="/opt/loopgui/loopgui")
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
