"""The window's language: chosen from the settings or the system, Qt's own texts too, and the Language menu."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from loopgui.core.words import i18n
from loopgui.ui import language


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")
    app = QCoreApplication.instance()
    assert app is not None
    for translator in app.findChildren(language.QTranslator):
        app.removeTranslator(translator)
        translator.deleteLater()


def test_the_chosen_language_is_spoken_with_qts_own_texts(tmp_path: Path, qtbot: QtBot) -> None:
    q = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    q.setValue(language.KEY, "de")
    app = QCoreApplication.instance()
    assert app is not None
    assert language.apply(app, q) == "de"
    assert i18n.language() == "de"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Abbrechen"


@pytest.mark.parametrize("junk", ["xx", "../../etc/passwd", "de" * 40, 42])
def test_a_damaged_language_setting_means_the_systems_language(tmp_path: Path, junk: object) -> None:
    q = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    q.setValue(language.KEY, junk)
    assert language.chosen(q) == language.SYSTEM


def test_the_language_menu_lists_every_language_and_remembers_the_choice(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = QSettings(str(tmp_path / "menu.ini"), QSettings.Format.IniFormat)
    monkeypatch.setattr(language, "QSettings", lambda *a: store)
    told: list[str] = []
    parent = QMenu()
    menu = language.add_menu(parent, parent, told.append)
    names = [a.text() for a in menu.actions()]
    assert names == ["The system's language", *i18n.LANGUAGES.values()]
    japanese = next(a for a in menu.actions() if a.data() == "ja")
    japanese.trigger()
    assert store.value(language.KEY) == "ja" and told == ["The language changes when loopgui starts again."]
    assert language.chosen(store) == "ja"
