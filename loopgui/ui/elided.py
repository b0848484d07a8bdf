"""A check box (and a one-line label) whose text gives way in a narrow window instead of being cut off unseen.

Wide enough, it is an ordinary check box.  Narrower than its caption (a small window, a longer language), the caption
ends in "…" and the tooltip starts with the whole caption, then says what the box does; so the window can narrow
without widening every other control, and nothing is hidden from the user.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QCheckBox, QLabel, QSizePolicy, QStyle, QStyleOptionButton, QStylePainter, QWidget

from loopgui.ui.plain import plain_tooltip

ELLIPSIS = "…"  # what Qt's elidedText ends a cut text with


class ElidedCheckBox(QCheckBox):
    def __init__(self, caption: str, about: str = "", parent: QWidget | None = None) -> None:
        super().__init__(caption, parent)
        self._about = about
        policy = self.sizePolicy()  # a check box's is Minimum: never narrower than its whole caption
        policy.setHorizontalPolicy(QSizePolicy.Policy.Preferred)
        self.setSizePolicy(policy)
        self._update_tip()

    def set_about(self, about: str) -> None:
        """What the box does, for its tooltip (after the whole caption when the caption is cut)."""
        self._about = about
        self._update_tip()

    def about(self) -> str:
        return self._about

    def _text_room(self) -> int:
        option = QStyleOptionButton()
        self.initStyleOption(option)
        return self.style().subElementRect(QStyle.SubElement.SE_CheckBoxContents, option, self).width()

    def is_elided(self) -> bool:
        """True when the caption does not fit and ends in "…" (its whole text is then in the tooltip)."""
        return self.fontMetrics().horizontalAdvance(self.text()) > self._text_room()

    def shown_text(self) -> str:
        """The caption as drawn: whole, or cut with "…"."""
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self._text_room())

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        # Down to the box itself (the window's other controls keep their narrowest width): from there on "…", or at
        # the very narrowest the bare box, and the whole caption in the tooltip.
        box = hint.width() - self.fontMetrics().horizontalAdvance(self.text())
        return QSize(min(hint.width(), max(box, hint.height() + 8)), hint.height())

    def setText(self, text: str) -> None:
        super().setText(text)
        self.updateGeometry()
        self._update_tip()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tip()

    def _update_tip(self) -> None:
        parts = [self.text()] if self.is_elided() else []
        if self._about:
            parts.append(self._about)
        self.setToolTip(plain_tooltip("\n\n".join(parts)))

    def paintEvent(self, event: QPaintEvent) -> None:
        option = QStyleOptionButton()
        self.initStyleOption(option)
        option.text = self.shown_text()
        painter = QStylePainter(self)
        painter.drawControl(QStyle.ControlElement.CE_CheckBox, option)


class ElidedLabel(QLabel):
    """A one-line plain-text label that ends in "…" when it does not fit, its whole text then in the tooltip."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        policy = self.sizePolicy()
        policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)  # never widens the window
        self.setSizePolicy(policy)
        self._update_tip()

    def _text_room(self) -> int:
        return self.contentsRect().width() - max(self.indent(), 0) - 2 * self.margin()

    def is_elided(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self.text()) > self._text_room()

    def shown_text(self) -> str:
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self._text_room())

    def setText(self, text: str) -> None:
        super().setText(text)
        self._update_tip()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tip()

    def _update_tip(self) -> None:
        self.setToolTip(plain_tooltip(self.text()) if self.is_elided() else "")

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        room = self.contentsRect().adjusted(max(self.indent(), 0) + self.margin(), 0, -self.margin(), 0)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(room, int(self.alignment()), self.shown_text())
