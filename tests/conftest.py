"""Headless, isolated test set-up: offscreen Qt, settings in a temporary file."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_data_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test (and every program it starts) keeps loopgui's data, such as the history, in a folder of its own."""
    folder = tmp_path_factory.mktemp("data-home")
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[object]:
    """Settings stored in a temporary INI file, never the user's own."""
    from PySide6.QtCore import QSettings

    from loopgui.ui.settings import Settings

    yield Settings(QSettings(str(tmp_path / "loopgui.ini"), QSettings.Format.IniFormat))
