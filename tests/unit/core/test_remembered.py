"""The Language menu's choice read without Qt (Linux's settings file), exactly as QSettings wrote it, so that the
terminal verbs and --help follow it without loading Qt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from loopgui.core.remembered import MAX_BYTES, ini_value, language_setting, settings_file
from tests.paths import REPO

ROOT = REPO


def written_by_qsettings(path: Path, value: object) -> Path:
    q = QSettings(str(path), QSettings.Format.IniFormat)
    q.setValue("filter/text", "[ui]\nlanguage=fr")  # another setting's text that looks like the key
    q.setValue("ui/language", value)
    q.setValue("window/maximized", False)
    q.sync()
    return path


@pytest.mark.parametrize(("value", "expected"), [("ja", "ja"), ("pt_BR", "pt_BR"), ("de", "de"), ("", "")])
def test_the_choice_qsettings_wrote_is_read_back(tmp_path: Path, value: str, expected: str) -> None:
    assert language_setting(written_by_qsettings(tmp_path / "loopgui.conf", value)) == expected


@pytest.mark.parametrize("junk", ["xx", "../../etc/passwd", "de" * 40, 42, "zh_TW"])
def test_anything_else_means_the_systems_language(tmp_path: Path, junk: object) -> None:
    assert language_setting(written_by_qsettings(tmp_path / "loopgui.conf", junk)) == ""


def test_a_missing_unreadable_or_huge_file_means_the_systems_language(tmp_path: Path) -> None:
    assert language_setting(tmp_path / "none.conf") == ""
    assert language_setting(tmp_path) == ""  # a folder where the file should be
    huge = tmp_path / "huge.conf"
    huge.write_bytes(b"[ui]\nlanguage=de\n" + b"x" * MAX_BYTES)
    assert language_setting(huge) == ""
    assert ini_value('[ui]\nlanguage="ja"\n[other]\nlanguage=de\n', "ui", "language") == "ja"
    assert ini_value("[other]\nlanguage=de\n", "ui", "language") is None


def test_the_file_is_where_qsettings_keeps_loopguis_settings(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}
    assert settings_file(env, "linux") == tmp_path / "config" / "loopgui" / "loopgui.conf"
    assert settings_file(env, "win32") is None and settings_file(env, "darwin") is None
    code = "from PySide6.QtCore import QSettings; print(QSettings('loopgui', 'loopgui').fileName())"
    done = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=True
    )
    assert Path(done.stdout.strip()) == settings_file(env, "linux")


def test_the_verbs_and_help_follow_the_choice_without_loading_qt(tmp_path: Path) -> None:
    conf = tmp_path / "loopgui" / "loopgui.conf"
    conf.parent.mkdir()
    conf.write_text("[ui]\nlanguage=de\n", encoding="utf-8")
    code = (
        "import sys, io, contextlib; from loopgui.app import main; out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out): rc = main(['check', '--help'])\n"
        "assert rc == 0, rc; assert out.getvalue().startswith('Aufruf: loopgui check'), out.getvalue()[:80]\n"
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt loaded'"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    env.update(LANG="C.UTF-8", XDG_CONFIG_HOME=str(tmp_path), HOME=str(tmp_path), PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
