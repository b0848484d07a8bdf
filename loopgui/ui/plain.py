"""Showing untrusted text (program names, banners, page titles, pasted messages) as text, never as HTML.

Qt guesses that a string is rich text when it looks like HTML; labels, tooltips and message boxes would then
render it.  Everything user- or network-supplied goes through these helpers.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally (Qt would otherwise guess it is HTML)."""
    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>" if text else ""


def plain_message_box(box: QMessageBox) -> QMessageBox:
    """Make a message box show its text and informative text literally."""
    box.setTextFormat(Qt.TextFormat.PlainText)
    for label in box.findChildren(QLabel):
        if label.objectName() in ("qt_msgbox_label", "qt_msgbox_informativelabel"):
            label.setTextFormat(Qt.TextFormat.PlainText)
    return box
