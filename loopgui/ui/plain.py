"""Showing untrusted text (program names, banners, page titles, pasted messages) as text, never as HTML.

Qt guesses that a string is rich text when it looks like HTML; labels, tooltips and message boxes would then
render it.  Everything user- or network-supplied goes through these helpers.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QMessageBox, QProgressDialog, QSizePolicy, QSpacerItem, QWidget

from loopgui.core.text.plaintext import shown


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally (Qt would otherwise guess it is HTML)."""
    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>" if text else ""


def fit_title(box: QMessageBox) -> None:
    """Make the box wide enough for its title: window managers cut a title that does not fit."""
    title = box.windowTitle()
    layout = box.layout()
    if not title or not isinstance(layout, QGridLayout):
        return
    width = box.fontMetrics().horizontalAdvance(title) + 140  # the window manager's buttons and margins
    layout.addItem(
        QSpacerItem(width, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Fixed),
        layout.rowCount(),
        0,
        1,
        layout.columnCount(),
    )


def plain_message_box(box: QMessageBox) -> QMessageBox:
    """Make a message box show its text and informative text literally."""
    box.setTextFormat(Qt.TextFormat.PlainText)
    fit_title(box)
    make_plain(box)  # the text, the informative text and every other label
    return box


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label that shows ``text`` literally, without control or bidi-override characters."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(shown(text, single_line=False))
    return label


def plain_progress(dialog: QProgressDialog) -> QProgressDialog:
    """A progress dialog whose text (it names a program) is shown literally: Qt's own label guesses HTML."""
    text = dialog.labelText()
    dialog.setLabel(plain_label())
    dialog.setLabelText(shown(text, single_line=False))
    return dialog


def make_plain(root: QWidget) -> None:
    """Every label under ``root`` shows its text literally (labels guess HTML by default).  Call it when a
    window or panel has been built; labels added later must use :func:`plain_label` or set PlainText."""
    labels = root.findChildren(QLabel)
    if isinstance(root, QLabel):
        labels.append(root)
    for label in labels:
        label.setTextFormat(Qt.TextFormat.PlainText)


def plain_warning(parent: QWidget | None, title: str, text: str) -> None:
    """``QMessageBox.warning`` that shows ``text`` literally (it may hold a file name or a system message)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    plain_message_box(box).exec()
