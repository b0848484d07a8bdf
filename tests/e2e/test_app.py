"""The program as a user starts it: command-line options and the self-test."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "cfg"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    return subprocess.run(
        [sys.executable, "-m", "loopgui", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_self_test_opens_the_window_and_saves_a_picture(tmp_path: Path) -> None:
    png = tmp_path / "window.png"
    result = run("--self-test", str(png), "connect ECONNREFUSED 127.0.0.1:9", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "self-test: ok" in result.stdout and "window shown" in result.stdout
    assert re.search(r"first table \(\d+ rows?\) shown [0-9.]+ s after the program started", result.stdout)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list((tmp_path / "cache").rglob("loopgui.log"))  # the log file lives in the user's cache folder


def test_version_and_help(tmp_path: Path) -> None:
    assert run("--version", home=tmp_path).stdout.strip().startswith("loopgui ")
    help_text = run("--help", home=tmp_path).stdout
    assert "--self-test" in help_text and "--install-desktop" in help_text


def test_bad_option_is_explained_without_a_traceback(tmp_path: Path) -> None:
    result = run("--interval", "soon", home=tmp_path)
    assert result.returncode == 2
    assert "invalid float value: 'soon'" in result.stderr and "Traceback" not in result.stderr


def test_qt_options_are_accepted_and_reach_qt(tmp_path: Path) -> None:
    """-style and -platform are Qt's own options: passed to Qt (here with no display and no QT_QPA_PLATFORM, so
    only "-platform offscreen" lets the window open), never rejected by the argument parser."""
    png = tmp_path / "window.png"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    result = subprocess.run(
        [sys.executable, "-m", "loopgui", "-style", "Fusion", "-platform", "offscreen", "--self-test", str(png)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "self-test: ok" in result.stdout and "unrecognized arguments" not in result.stderr
