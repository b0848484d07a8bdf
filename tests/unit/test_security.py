"""Security rules from SECURITY.md that code review could miss."""

from __future__ import annotations

import ast
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from loopgui.core.net.probes import printable
from loopgui.core.programs.actions import ClosePlan, Member
from loopgui.core.programs.processes import Identity
from loopgui.ui.close_flow import confirm_box
from loopgui.ui.plain import plain_tooltip

ROOT = Path(__file__).resolve().parents[2] / "loopgui"


def test_no_shell_anywhere() -> None:
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "shell":
                raise AssertionError(f"shell= in {path}")
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("system", "popen")
                and getattr(node.value, "id", "") == "os"
            ):
                raise AssertionError(f"os.{node.attr} in {path}")


def test_hostile_program_name_is_shown_literally(qapp: QApplication) -> None:
    evil = '<img src="x"><b>evil</b>'
    plan = ClosePlan(Member(Identity(1, 1.0, evil), f"{evil} --flag"), (Member(Identity(2, 1.0, evil), evil),))
    box, _, check = confirm_box(None, plan)
    assert check is not None and evil not in check.text()
    labels = [lb for lb in box.findChildren(QLabel) if lb.text()]
    assert labels and all(lb.textFormat() == Qt.TextFormat.PlainText for lb in labels if evil in lb.text())
    assert any(evil in lb.text() for lb in labels)


def test_tooltips_escape_html() -> None:
    assert plain_tooltip("<b>x</b>\nline") == "<qt>&lt;b&gt;x&lt;/b&gt;<br>line</qt>"
    assert plain_tooltip("") == ""


def test_banners_are_made_printable() -> None:
    assert printable(b"\x1b[2J\x00hello\r\nworld\x07") == "[2J hello world"
    assert len(printable(b"a" * 500)) == 201
