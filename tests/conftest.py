"""Headless, isolated test set-up: offscreen Qt, settings in a temporary file."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[object]:
    """Settings stored in a temporary INI file, never the user's own."""
    from PySide6.QtCore import QSettings

    from loopgui.ui.settings import Settings

    yield Settings(QSettings(str(tmp_path / "loopgui.ini"), QSettings.Format.IniFormat))
