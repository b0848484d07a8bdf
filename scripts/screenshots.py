"""Pictures of the real window for the README (run by scripts/screenshots.sh, which gives it a display, a private
network namespace with a demo server, and private settings).

    python scripts/screenshots.py PNG [--dark] [--tab NAME] [--size WxH] [TEXT...]

Starts loopgui's own ``main()`` with ``--self-test PNG`` (the real window, the real scanner), after making the
application with the Fusion style and, with ``--dark``, the dark colour scheme.
"""

from __future__ import annotations

import argparse
import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from loopgui import app as loopgui_app
from loopgui.ui.main_window import MainWindow


def dark_palette() -> QPalette:
    """A usual dark palette (the colours of Fusion's own dark scheme)."""
    roles = QPalette.ColorRole
    palette = QPalette()
    for role, colour in (
        (roles.Window, "#323232"),
        (roles.WindowText, "#f0f0f0"),
        (roles.Base, "#1e1e1e"),
        (roles.AlternateBase, "#2a2a2a"),
        (roles.ToolTipBase, "#3c3c3c"),
        (roles.ToolTipText, "#f0f0f0"),
        (roles.PlaceholderText, "#9a9a9a"),
        (roles.Text, "#f0f0f0"),
        (roles.Button, "#3c3c3c"),
        (roles.ButtonText, "#f0f0f0"),
        (roles.BrightText, "#ff6060"),
        (roles.Link, "#6cb4ff"),
        (roles.Highlight, "#2f6db5"),
        (roles.HighlightedText, "#ffffff"),
        (roles.Light, "#505050"),
        (roles.Midlight, "#424242"),
        (roles.Mid, "#2c2c2c"),
        (roles.Dark, "#1a1a1a"),
        (roles.Shadow, "#000000"),
    ):
        palette.setColor(role, QColor(colour))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#808080"))
    return palette


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("png")
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--tab", default="")
    parser.add_argument("--size", default="")
    parser.add_argument("text", nargs="*")
    args = parser.parse_intermixed_args()
    app = QApplication([sys.argv[0], "-style", "Fusion"])
    if args.dark:  # as a dark desktop theme hands it over (Xvfb has no desktop to ask)
        app.styleHints().setColorScheme(Qt.ColorScheme.Dark)
        app.setPalette(dark_palette())

    def arrange() -> None:
        for widget in app.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                if args.size:
                    width, height = (int(n) for n in args.size.split("x"))
                    widget.resize(width, height)
                for i in range(widget.tabs.count()):
                    if widget.tabs.tabText(i) == args.tab:
                        widget.tabs.setCurrentIndex(i)
                if widget.tabs.current_page() is widget.connectivity_panel:
                    QTimer.singleShot(300, widget.connectivity_panel.tcp_button.click)  # "Does it answer?"
                return
        QTimer.singleShot(50, arrange)

    QTimer.singleShot(0, arrange)
    return loopgui_app.main(["--self-test", args.png, *args.text])


if __name__ == "__main__":
    sys.exit(main())
