"""Honest self-checks and the first start: no display, no fonts, missing Qt libraries, the start-up time."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loopgui import display

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.update(extra)
    return env


def test_no_display_says_so_in_plain_words(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "loopgui"],
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 1, (result.returncode, result.stderr)  # not an abort inside Qt (-6)
    assert "needs a desktop session" in result.stderr
    assert "xcb" not in result.stderr and "qt.qpa" not in result.stderr
    assert "loopgui explain" in result.stderr  # what still works without a window


def test_a_display_nobody_serves_is_named(tmp_path: Path) -> None:
    free = next(n for n in range(97, 60, -1) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    assert display.unreachable_display(f":{free}") is not None
    assert display.unreachable_display("localhost:10.0") is None  # ssh -X: left to Qt
    result = subprocess.run(
        [sys.executable, "-m", "loopgui"],
        env=clean_env(tmp_path, DISPLAY=f":{free}"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 1, (result.returncode, result.stderr)  # Qt alone aborts (-6)
    assert f"DISPLAY=:{free}) is not running" in result.stderr and "qt.qpa" not in result.stderr


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed")
def test_a_running_display_is_accepted(tmp_path: Path) -> None:
    free = next(n for n in range(96, 60, -1) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    with subprocess.Popen(["Xvfb", f":{free}", "-nolisten", "tcp"], stderr=subprocess.DEVNULL) as server:
        try:
            deadline = time.monotonic() + 20
            while display.unreachable_display(f":{free}") is not None and time.monotonic() < deadline:
                time.sleep(0.1)
            assert display.display_problem({"DISPLAY": f":{free}"}, "linux") is None
        finally:
            server.terminate()
            server.wait(10)


def test_terminal_verbs_need_no_display(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "loopgui", "explain", "connect ECONNREFUSED 127.0.0.1:9"],
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_missing_qt_libraries_are_named_with_their_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    ldd = (
        "\tlinux-vdso.so.1 (0x00007ffd)\n"
        "\tlibxcb-cursor.so.0 => not found\n"
        "\tlibxcb-icccm.so.4 => not found\n"
        "\tlibxcb-cursor.so.0 => not found\n"
        "\tlibexotic.so.9 => not found\n"
        "\tlibQt6XcbQpa.so.6 => not found\n"
        "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n"
    )
    missing = display.missing_libraries(ldd)
    assert missing == ["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libexotic.so.9"]
    monkeypatch.setattr(display, "missing_for", lambda plugin: missing)
    monkeypatch.setattr(display, "unreachable_display", lambda name: None)  # as if :0 were running
    text = display.display_problem({"DISPLAY": ":0"}, "linux")
    assert text is not None
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4" in text and "libexotic.so.9" in text
    assert display.display_problem({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display.display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display.display_problem({}, "win32") is None
    assert display.display_problem({}, "linux") == display.no_display_text()


def test_the_no_desktop_message_suggests_a_command_that_exists(tmp_path: Path) -> None:
    """From a checkout whose virtual environment is not on PATH, "loopgui explain …" would fail: the message names
    this Python with -m loopgui instead; with this installation's loopgui on PATH, the short name."""
    import shlex
    import sys

    text = display.display_problem({"PATH": str(tmp_path)}, "linux")
    assert text is not None
    command = next(line for line in text.splitlines() if "explain" in line).split(": ", 1)[1]
    words = shlex.split(command)
    assert words[:3] == [sys.executable, "-m", "loopgui"] and words[3] == "explain"
    here = str(Path(sys.executable).parent)
    if shutil.which("loopgui", path=here):  # the virtual environment's own script
        text = display.display_problem({"PATH": here}, "linux")
        assert text is not None and 'e.g.: loopgui explain "connect' in text


@pytest.mark.skipif(shutil.which("ldd") is None, reason="ldd (libc-bin) is not installed")
def test_ldd_finds_what_the_real_xcb_plugin_lacks(tmp_path: Path) -> None:
    """The real plugin, copied away from Qt's own libraries, lacks them: ldd must say so."""
    plugin = display.xcb_plugin()
    assert plugin is not None
    assert display.missing_for(plugin) == [], "this machine has every library scripts/setup.sh installs"
    alone = tmp_path / "libqxcb.so"
    shutil.copy(plugin, alone)
    # Away from Qt's libraries ldd misses them, but those travel with PySide6: only system libraries count.
    assert display.missing_for(alone) == []
    ldd = subprocess.run(["ldd", str(alone)], capture_output=True, text=True, check=False, timeout=30).stdout
    assert "libQt6XcbQpa.so.6 => not found" in ldd


def test_self_test_fails_without_fonts(tmp_path: Path) -> None:
    """Every glyph a box (a bare system with only libgl1 and libegl1): the self-test must not say "ok"."""
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><cachedir>{tmp_path}/fontcache</cachedir></fontconfig>\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "loopgui", "--self-test", str(tmp_path / "x.png")],
        env=clean_env(tmp_path, QT_QPA_PLATFORM="offscreen", FONTCONFIG_FILE=str(config)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no usable font" in result.stderr and "fonts-dejavu-core" in result.stderr
    assert "self-test: ok" not in result.stdout


def test_self_test_reports_the_real_start_to_window_time(tmp_path: Path) -> None:
    started = time.monotonic()
    with subprocess.Popen(
        [sys.executable, "-m", "loopgui", "--self-test", str(tmp_path / "x.png")],
        env=clean_env(tmp_path, QT_QPA_PLATFORM="offscreen"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    ) as child:
        assert child.stdout is not None
        reported = elapsed = None
        for line in child.stdout:
            found = re.search(r"window shown ([0-9.]+) s after the program started", line)
            if found:
                elapsed = time.monotonic() - started  # the child started after `started`: an upper bound
                reported = float(found[1])
                break
        child.stdout.read()
        assert child.wait(timeout=120) == 0
    assert reported is not None and elapsed is not None
    assert 0 < reported <= elapsed + 0.02, (reported, elapsed)  # psutil's create_time said ~0.6 s more
