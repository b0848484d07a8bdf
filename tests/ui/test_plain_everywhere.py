"""Untrusted text is shown as plain, printable text everywhere: every label of the window and its dialogs, the
close progress dialog, certificate subjects and issuers, program names.  Hostile names are markup and bidi
overrides (U+202E turned a certificate line around)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Any

import psutil
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressDialog, QWidget
from pytestqt.qtbot import QtBot

from loopgui.core.net import probes
from loopgui.core.programs import processes
from loopgui.core.programs.actions import ClosePlan, Member
from loopgui.core.programs.processes import Identity, ProcessFacts
from loopgui.core.text.plaintext import shown
from loopgui.ui import close_flow as close_flow_mod
from loopgui.ui.main_window import MainWindow
from loopgui.ui.plain import make_plain, plain_label, plain_progress
from loopgui.ui.settings import Settings
from tests.helpers import row, scripted_scanner

EVIL = "<h1>BIG</h1>\u202egpj.exe"
BIDI_AND_CONTROLS = ("\u202e", "\u202d", "\u2066", "\u200f", "\x1b", "\x00")


def assert_all_plain(root: QWidget) -> int:
    labels = root.findChildren(QLabel)
    not_plain = [(lb.objectName(), lb.text()[:60]) for lb in labels if lb.textFormat() != Qt.TextFormat.PlainText]
    assert not not_plain, f"labels that would render markup: {not_plain}"
    return len(labels)


def test_shown_removes_controls_and_bidi() -> None:
    assert shown("a\u202eb\u2066c\x1b[31md\x00e\u200f") == "abc[31mde"
    assert shown("line one\nline two") == "line one line two"
    assert shown("line one\nline two", single_line=False) == "line one\nline two"
    assert shown("x" * 50, 10) == "x" * 10 + "…"
    assert shown("plain text: ok") == "plain text: ok"


def test_every_label_of_the_window_is_plain(qtbot: QtBot, settings: Settings) -> None:
    scanner, _ = scripted_scanner(lambda: [row(8080, program=EVIL, pid=4242)])
    win = MainWindow(scanner, settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.model.total == 1, timeout=5000)
    win.investigate_edit.setText(f"{EVIL} connect ECONNREFUSED 127.0.0.1:8080")
    win.investigate()
    qtbot.waitUntil(lambda: win.explain_panel.diagnosis is not None, timeout=5000)
    facts = ProcessFacts(pid=4242, name=EVIL, exe=f"/opt/{EVIL}", cmdline=(EVIL, "--title", EVIL), username=EVIL)
    win.process_panel.show_facts(facts, [])
    qtbot.wait(50)
    assert assert_all_plain(win) > 10
    win.close()


def test_close_progress_dialog_shows_the_name_literally(qtbot: QtBot, settings: Settings, monkeypatch: Any) -> None:
    scanner, _ = scripted_scanner(list)
    win = MainWindow(scanner, settings)
    qtbot.addWidget(win)
    release = threading.Event()

    def slow_close(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        raise RuntimeError("stopped by the test")

    monkeypatch.setattr(close_flow_mod, "close_plan", slow_close)
    flow = win.close_flow
    flow._plan = ClosePlan(Member(Identity(4242, 1.0, EVIL), EVIL), ())
    flow._asker = type("Quiet", (), {"inform": lambda *a, **k: None})()
    flow._run(False, force=False)
    try:
        dialogs = win.findChildren(QProgressDialog)
        assert dialogs
        for dialog in dialogs:
            assert_all_plain(dialog)
            texts = [lb.text() for lb in dialog.findChildren(QLabel)]
            assert any("<h1>BIG</h1>" in t for t in texts), texts  # shown, literally
            assert not any(c in t for t in texts for c in BIDI_AND_CONTROLS), texts
    finally:
        release.set()
    qtbot.waitUntil(lambda: not flow.busy, timeout=5000)
    win.close()


def test_helpers(qtbot: QtBot) -> None:
    label = plain_label(EVIL)
    qtbot.addWidget(label)
    assert label.textFormat() == Qt.TextFormat.PlainText and "\u202e" not in label.text()
    dialog = plain_progress(QProgressDialog(EVIL, "Stop", 0, 10))
    qtbot.addWidget(dialog)
    assert_all_plain(dialog)
    parent = QWidget()
    qtbot.addWidget(parent)
    QLabel("<b>x</b>", parent)
    make_plain(parent)
    assert_all_plain(parent)


def test_program_names_lose_bidi_and_controls(monkeypatch: pytest.MonkeyPatch) -> None:
    class Hostile:
        pid = 4242

        def __init__(self, pid: int) -> None:
            pass

        def name(self) -> str:
            return EVIL + "\x1b]0;title\x07"

        def create_time(self) -> float:
            return 1.0

        def exe(self) -> str:
            return "/usr/bin/x"

        def cmdline(self) -> list[str]:
            return [EVIL, "--flag"]

        def username(self) -> str:
            return "me"

        def ppid(self) -> int:
            return 0

        def children(self) -> list[Any]:
            return []

        def memory_info(self) -> None:
            return None

    monkeypatch.setattr(psutil, "Process", Hostile)
    facts = processes.process_facts(4242)
    owner = processes.ProcessNames().owner(4242)
    for text in (facts.name, facts.command, owner.name):
        assert "<h1>BIG</h1>" in text and not any(c in text for c in BIDI_AND_CONTROLS), text


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is installed by scripts/test.sh")
def test_certificate_subject_and_issuer_are_printable(tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert)),
            *("-days", "3", "-utf8", "-subj", "/CN=<h1>BIG\u202egpj.exe/O=evil\u202d\u2066corp"),  # "/" splits
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    info = probes._decode_certificate(der)
    assert info is not None and "<h1>BIGgpj.exe" in info.subject and info.subject == info.issuer and info.self_signed
    for value in (info.subject, info.issuer):
        assert value.isprintable() and not any(c in value for c in BIDI_AND_CONTROLS), value


def test_export_failure_names_the_file_literally(
    qtbot: QtBot, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    scanner, _ = scripted_scanner(list)
    win = MainWindow(scanner, settings, start=False)
    qtbot.addWidget(win)
    bad = str(tmp_path / "<h1>BIG</h1>" / "missing" / "x.csv")  # a folder that does not exist
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (bad, ""))
    seen: list[QMessageBox] = []

    def record(box: QMessageBox) -> int:
        seen.append(box)
        assert_all_plain(box)
        assert any("<h1>BIG</h1>" in lb.text() for lb in box.findChildren(QLabel))
        return 0

    monkeypatch.setattr(QMessageBox, "exec", record)
    win._ask_export("csv")
    assert seen
    win.close()
