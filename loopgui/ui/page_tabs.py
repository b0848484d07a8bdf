"""Tabs whose pages scroll: on a small or scaled screen (1366×768 at 2×) a page taller than the space left for it
scrolls instead of pushing the table and the status bar off the screen (a QTabWidget asks for the tallest page's
minimum height)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QTabWidget, QWidget


class PageTabs(QTabWidget):
    """A QTabWidget that wraps each page added with ``scroll=True`` (the default) in a frameless scroll area.
    :meth:`setCurrentWidget`, :meth:`indexOf` and :meth:`current_page` take and give the page itself."""

    def addTab(self, widget: QWidget, title: str, scroll: bool = True) -> int:  # type: ignore[override]
        if not scroll:
            return super().addTab(widget, title)
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        area.setWidget(widget)
        area.setObjectName(f"page-{widget.objectName() or type(widget).__name__}")
        return super().addTab(area, title)

    def page(self, index: int) -> QWidget | None:
        """The page at ``index`` (not its scroll area)."""
        holder = self.widget(index)
        if isinstance(holder, QScrollArea) and holder.widget() is not None and holder.objectName().startswith("page-"):
            return holder.widget()
        return holder

    def current_page(self) -> QWidget | None:
        return self.page(self.currentIndex())

    def indexOf(self, widget: QWidget) -> int:
        for i in range(self.count()):
            if self.page(i) is widget or self.widget(i) is widget:
                return i
        return -1

    def setCurrentWidget(self, widget: QWidget) -> None:
        index = self.indexOf(widget)
        if index >= 0:
            self.setCurrentIndex(index)
