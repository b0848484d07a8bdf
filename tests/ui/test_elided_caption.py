"""The "Files, containers" switch above the table is never cut off unseen (issue 23): in a narrow window or a longer
language its caption ends in "…" and its tooltip starts with the whole caption; wide enough, it shows whole."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from loopgui.core.words import i18n
from loopgui.ui.elided import ELLIPSIS, ElidedCheckBox
from loopgui.ui.main_window import MainWindow
from loopgui.ui.settings import Settings
from tests.helpers import row, scripted_scanner


def tip_text(box: ElidedCheckBox) -> str:
    """The tooltip as the user reads it (it is set as escaped plain text)."""
    return html.unescape(box.toolTip().removeprefix("<qt>").removesuffix("</qt>").replace("<br>", "\n"))


def test_a_narrow_box_ends_in_an_ellipsis_and_its_tooltip_carries_the_whole_caption(qtbot: QtBot) -> None:
    box = ElidedCheckBox("Files, containers", "Also show local file sockets.")
    qtbot.addWidget(box)
    box.show()  # a hidden widget gets its resize events only when shown
    box.resize(box.sizeHint())
    assert not box.is_elided() and box.shown_text() == "Files, containers"
    assert tip_text(box) == "Also show local file sockets."  # whole: the tooltip only says what it does
    box.resize(box.sizeHint().width() // 2, box.height())
    assert box.is_elided()
    shown = box.shown_text()
    assert shown.endswith(ELLIPSIS) and len(shown) < len("Files, containers")
    assert tip_text(box) == "Files, containers\n\nAlso show local file sockets."
    box.resize(box.sizeHint())
    assert tip_text(box) == "Also show local file sockets."  # wide again: the caption is no longer repeated


def test_a_box_narrows_to_the_box_itself_its_caption_in_the_tooltip(qtbot: QtBot) -> None:
    box = ElidedCheckBox("Dateien, Container")
    qtbot.addWidget(box)
    box.show()
    assert box.minimumSizeHint().width() < box.sizeHint().width()
    box.resize(box.minimumSizeHint())  # the narrowest: the bare box, or "…" where there is room for it
    assert box.shown_text() in ("", ELLIPSIS) and box.is_elided()
    assert tip_text(box) == "Dateien, Container"
    box.resize(box.minimumSizeHint().width() + box.fontMetrics().horizontalAdvance("Da" + ELLIPSIS) + 4, box.height())
    shown = box.shown_text()
    assert shown.endswith(ELLIPSIS) and len(shown) >= 2
    assert box.fontMetrics().horizontalAdvance(shown) <= box.width()


@pytest.fixture(params=["en", "de", "pseudo"])
def narrow_window(request: pytest.FixtureRequest, qtbot: QtBot, settings: Settings) -> Iterator[tuple[str, MainWindow]]:
    if request.param == "pseudo":
        i18n.set_pseudo()
    else:
        i18n.set_language(request.param)
    try:
        scanner, _source = scripted_scanner(lambda: [row(8003, program="python3", pid=4003)])
        win = MainWindow(scanner, settings)  # type: ignore[arg-type]
        qtbot.addWidget(win)
        win.show()
        for _ in range(2):  # the first narrowing wraps the filter row, which lets the window narrow further
            win.resize(900, 700)
            qtbot.wait(20)
        qtbot.waitUntil(lambda: win.width() == 900, timeout=5000)
        qtbot.wait(50)
        yield request.param, win
        win.close()
    finally:
        i18n.set_language("en")


def test_at_900_pixels_the_switchs_caption_is_whole_or_its_tooltip_carries_it(
    narrow_window: tuple[str, MainWindow],
) -> None:
    lang, win = narrow_window
    box = win.elsewhere_check
    assert isinstance(box, ElidedCheckBox)
    caption = box.text()
    assert (i18n.Pseudo.MARK in caption) == (lang == "pseudo")  # the caption is in the language under test
    assert box.isVisible() and box.width() >= box.minimumSizeHint().width()
    right = box.mapTo(win, box.rect().topRight()).x()
    assert right <= win.width()  # on the window, not pushed off its edge
    if box.is_elided():
        assert box.shown_text().endswith(ELLIPSIS)
        assert tip_text(box).startswith(caption + "\n\n")
    else:
        assert box.shown_text() == caption
        assert box.fontMetrics().horizontalAdvance(caption) <= box.width()
    assert tip_text(box).endswith(box.about())  # what it does, in every case
    if lang == "en":
        assert not box.is_elided()  # English fits whole at 900 pixels


def test_the_tip_under_the_paste_box_ends_in_an_ellipsis_with_its_whole_text_in_the_tooltip(qtbot: QtBot) -> None:
    from loopgui.ui.elided import ElidedLabel

    text = "Tip: right-click a row for what you can do with it; Enter or a double-click shows all its details."
    label = ElidedLabel(text)
    qtbot.addWidget(label)
    label.setIndent(10)
    label.show()
    label.resize(2000, 30)
    assert not label.is_elided() and label.toolTip() == "" and label.shown_text() == text
    label.resize(200, 30)
    assert label.is_elided() and label.shown_text().endswith("…") and text in label.toolTip()
    assert not label.grab().isNull()  # it paints
    assert label.sizeHint().width() > 0 and label.sizePolicy().horizontalPolicy().name == "Ignored"
