"""Every text of the window goes through gettext, and none is cut when it grows (issue 23).

In the pseudo-language (``i18n.set_pseudo()``) every translated text carries the mark "⟦" and is about 40% longer.
``tests/ui/pseudo_probe.py`` builds the main window as the program does (scripted scanner, History tab and Watch
menu from ``install_features``), on a 1366×768 screen, shows an explanation of a message about a listener, opens
every tab, and reports:

- "unmarked": every visible text with a letter that lacks the mark: window title, labels, buttons, group titles,
  placeholders, combo items, tab texts and tips, header labels (and tips) of tables and trees, tooltips,
  accessible names, and every action of the menu bar with its submenus (text and tooltip).  Allowed (data, not
  loopgui's sentences; see ``pseudo_probe.is_data``): the Program tab's values (read from the scan), the
  Explanation's "Do it yourself" command, and the language names in the Language menu (written in their own
  language on purpose);
- "cut": every button and one-line plain label whose text is wider than the widget.

It runs in a process of its own: the screen is fixed when Qt starts, and the pseudo-language never leaks into
other tests (the probe also sets English back when it ends).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pytestqt.qtbot import QtBot


def run_probe(tmp_path: Path) -> dict[str, object]:
    screen = tmp_path / "screen.json"
    screen.write_text(
        json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": 1366, "height": 768, "logicalDpi": 96}]}),
        encoding="utf-8",
    )
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={screen}")
    env.pop("QT_SCALE_FACTOR", None)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.pseudo_probe"],
        check=False,
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_every_text_of_the_window_is_translated_and_none_is_cut(tmp_path: Path) -> None:
    report = run_probe(tmp_path)
    assert report["explained"] is True  # the Explanation's texts were on screen
    tabs = report["tabs"]
    assert isinstance(tabs, list) and len(tabs) == 4 and all(str(t).startswith("⟦") for t in tabs)
    checked = report["checked"]
    assert isinstance(checked, int) and checked > 100  # the walk reached the window's texts, menus and tooltips
    assert report["unmarked"] == []
    assert report["cut"] == []


def test_the_probe_sees_a_text_that_is_not_translated(qtbot: QtBot) -> None:
    """The check itself: an English caption set without _() is reported; a data widget of the allow-list is not."""
    from PySide6.QtWidgets import QLabel

    from tests.ui.pseudo_probe import MARK, has_letter, widget_texts

    label = QLabel("Refresh now")
    qtbot.addWidget(label)
    texts = [text for _what, text in widget_texts(label) if text and has_letter(text)]
    assert texts == ["Refresh now"] and all(MARK not in t for t in texts)
    assert not has_letter("127.0.0.1:8000") and has_letter("::1 localhost")
