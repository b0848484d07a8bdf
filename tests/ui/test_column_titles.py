"""Every column title of the table is whole in every language (German and Japanese titles are longer)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from loopgui.core.words import i18n
from loopgui.ui.socket_model import SocketTableModel
from loopgui.ui.socket_view import HEADER_EXTRA, SocketTableView


@pytest.mark.parametrize("language", ["en", "de", "es", "fr", "pt_BR", "zh_CN", "ja"])
def test_every_column_title_fits_its_column(qtbot: QtBot, language: str) -> None:
    before = i18n.language()
    i18n.set_language(language)
    try:
        model = SocketTableModel()
        view = SocketTableView(model)
        qtbot.addWidget(view)
        metrics = view.horizontalHeader().fontMetrics()
        for column in range(model.columnCount()):
            title = str(model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole))
            assert title and view.columnWidth(column) >= metrics.horizontalAdvance(title) + HEADER_EXTRA, title
    finally:
        i18n.set_language(before)
