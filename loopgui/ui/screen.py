"""Fitting a window to the screen it is on, and colours that read on the window's palette (light or dark)."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QWidget

# Before the window manager has framed a window its frame is unknown: allow for a usual title bar and border.
GUESSED_FRAME = (8, 32)


def fit_to_screen(window: QWidget, *, resize: bool = True) -> None:
    """Never larger than the screen's free area (scaling can make a remembered or default size too big), and never
    off it: a title bar out of reach cannot be dragged back.  ``resize=False``: only move it back onto the screen."""
    handle = window.windowHandle()
    screen = (handle.screen() if handle is not None else None) or QGuiApplication.primaryScreen()
    if screen is None:
        return
    area = screen.availableGeometry()
    frame, inner = window.frameGeometry(), window.geometry()
    extra_w = frame.width() - inner.width() if frame.width() > inner.width() else GUESSED_FRAME[0]
    extra_h = frame.height() - inner.height() if frame.height() > inner.height() else GUESSED_FRAME[1]
    width = max(200, min(window.width(), area.width() - extra_w))
    height = max(150, min(window.height(), area.height() - extra_h))
    if not resize:
        width, height = window.width(), window.height()
    elif (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    x = min(max(frame.x(), area.left()), max(area.left(), area.right() + 1 - width - extra_w))
    y = min(max(frame.y(), area.top()), max(area.top(), area.bottom() + 1 - height - extra_h))
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)


def split_sizes(total: int, wanted_top: int, table_need: int | None) -> tuple[int, int]:
    """How to share ``total`` pixels between the explanation (top) and the table (bottom).

    The explanation gets the height its text needs (``wanted_top``), but at least two fifths of the space while the
    table lists every socket (``table_need`` None: room for a picked row's explanation) and a fifth while it is
    narrowed.  The table keeps at least what it needs: ``table_need`` pixels when it is narrowed to a few rows (an
    investigation), and more than half of the space when it lists every socket.  So a one-line welcome leaves the
    table most of the window, and an explanation is not cut off above a table that shows one row."""
    total = max(0, total)
    table_min = max(table_need, total // 5) if table_need is not None else (total * 11) // 20
    top = max(wanted_top, total // 5 if table_need is not None else total * 2 // 5)
    top = max(0, min(top, total - table_min))
    return top, total - top


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def warning_colour(palette: QPalette) -> str:
    """Orange that reads on the palette's window colour."""
    return "#ffb060" if is_dark(palette) else "#b35900"
