"""Architecture rules from DESIGN.md that a refactor could break silently."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.paths import REPO

ROOT = Path(__file__).resolve().parents[2] / "loopgui"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_and_cli_never_import_qt() -> None:
    for path in [*ROOT.joinpath("core").rglob("*.py"), *ROOT.joinpath("commands").glob("*.py"), ROOT / "cli.py"]:
        assert not any(m.startswith("PySide6") for m in imported_modules(path)), path


def test_ui_never_talks_to_psutil_or_sockets_directly() -> None:
    for path in ROOT.joinpath("ui").rglob("*.py"):
        bad = {m for m in imported_modules(path) if m.split(".")[0] in ("psutil", "socket")}
        assert not bad, (path, bad)


def test_explain_runs_without_loading_qt() -> None:
    code = (
        "import sys, io; from loopgui.commands.explain import main as explain_main; "
        "rc = explain_main(['127.0.0.1:9'], out=io.StringIO()); "
        "assert rc == 0; assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt loaded'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_unit_tests_mirror_the_source_tree() -> None:
    # tests/unit/core/<package>/ and tests/unit/commands/ stand beside loopgui/core/<package>/ and loopgui/commands/
    unit = REPO / "tests" / "unit"
    for folder in sorted(p for p in unit.rglob("*") if p.is_dir() and p.name != "__pycache__"):
        mirrored = REPO / "loopgui" / folder.relative_to(unit)
        assert mirrored.is_dir(), f"{folder.relative_to(REPO)} has no {mirrored.relative_to(REPO)}"
    for package in ("explain", "net", "programs", "reach", "history", "text", "words"):
        assert list((unit / "core" / package).glob("test_*.py")), f"no tests for loopgui/core/{package}"
