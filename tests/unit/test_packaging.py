"""What the packages carry: the wheel (pip, pipx) holds the menu entry, icons and AppStream file; the bundle keeps
Babel's data for every language loopgui speaks."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from loopgui.core.words import i18n
from loopgui.desktop import APP_ID, ICON_SIZES

ROOT = Path(__file__).resolve().parents[2]


def spec_babel_locales() -> set[str]:
    text = (ROOT / "packaging" / "loopgui.spec").read_text(encoding="utf-8")
    found = re.search(r"^BABEL_LOCALES = (\{.*?\})$", text, re.MULTILINE)
    assert found, "packaging/loopgui.spec has no BABEL_LOCALES"
    value: set[str] = ast.literal_eval(found.group(1))
    return value


OPENED_BY_FORMATTING = """
import builtins, json, os
opened = set()
real_open = builtins.open
def watching_open(file, *args, **kwargs):
    name = os.fspath(file) if isinstance(file, (str, os.PathLike)) else ""
    if name.endswith(".dat") and "locale-data" in name:
        opened.add(os.path.basename(name)[:-4])
    return real_open(file, *args, **kwargs)
builtins.open = watching_open
from loopgui.core.words import i18n
for language in i18n.LANGUAGES:
    i18n.set_language(language)
    i18n.format_number(1234567.5)
    i18n.format_list(["a", "b", "c"])
    i18n.format_duration(3700)
    i18n.format_clock(1_000_000_000)
    i18n.format_datetime(1_000_000_000)
    i18n.ngettext("{n} socket", "{n} sockets", 2)
print(json.dumps(sorted(opened)))
"""


def test_the_bundle_keeps_babel_data_for_every_language_loopgui_speaks() -> None:
    """Every Babel data file that formatting in each language opens (in a fresh Python: Babel keeps what it loaded)
    is one the spec keeps, and the spec keeps no other."""
    done = subprocess.run(
        [sys.executable, "-c", OPENED_BY_FORMATTING], capture_output=True, text=True, timeout=120, check=True, cwd=ROOT
    )
    opened = set(json.loads(done.stdout))
    assert set(i18n.LANGUAGES) - {"zh_CN"} <= opened  # zh_CN's data is Babel's zh_Hans_CN
    assert opened == spec_babel_locales()  # all that is needed, nothing more


@pytest.mark.e2e
def test_the_wheel_pipx_installs_has_the_command_and_the_menu_files(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 and "setuptools" in done.stderr and "No matching distribution" in done.stderr:
        pytest.skip(f"pip cannot get the build tool (setuptools) from its package index here: {done.stderr[-300:]}")
    assert done.returncode == 0, done.stderr[-3000:]
    [wheel] = tmp_path.glob("loopgui-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    folder = "loopgui/resources/desktop/"
    assert {f"{folder}{APP_ID}.desktop", f"{folder}{APP_ID}.metainfo.xml", f"{folder}icons/loopgui.svg"} <= names
    assert {f"{folder}icons/loopgui-{size}.png" for size in ICON_SIZES} <= names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "loopgui = loopgui.app:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_release_workflow_passes_actionlint() -> None:
    """The Windows/macOS release workflow cannot run here; actionlint (with shellcheck on its scripts) checks it."""
    tool = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if tool is None:
        pytest.skip("actionlint is not installed (the test extra installs it on Linux: pip install -e '.[test]')")
    done = subprocess.run(
        [tool, "-no-color", "-oneline", str(ROOT / ".github" / "workflows" / "release.yml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_shell_scripts_pass_shellcheck() -> None:
    tool = shutil.which("shellcheck")
    if tool is None:
        pytest.skip("shellcheck is not installed (./scripts/test.sh installs it)")
    scripts = [
        *sorted((ROOT / "packaging").glob("*.sh")),
        *sorted((ROOT / "scripts").glob("*.sh")),
        ROOT / ".ci" / "run",
    ]
    done = subprocess.run(
        [tool, "-S", "warning", *map(str, scripts)], capture_output=True, text=True, timeout=120, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout[-4000:]


def deb_control_fields() -> dict[str, str]:
    """The control file packaging/build_deb.sh writes, with the shell variables it fills from fixed values."""
    script = (ROOT / "packaging" / "build_deb.sh").read_text(encoding="utf-8")
    block = re.search(r'cat > "\$pkg/DEBIAN/control" <<CONTROL\n(.*?)\nCONTROL\n', script, re.DOTALL)
    assert block, "build_deb.sh writes no control file"
    fixed = dict(re.findall(r'^([a-z_]+)="([^"$]*)"$', script, re.MULTILINE))  # name="value" without expansions
    fields = {}
    for line in block.group(1).splitlines():
        if line and not line.startswith(" ") and ":" in line:
            name, value = line.split(":", 1)
            fields[name] = re.sub(r"\$([a-z_]+)", lambda m: fixed.get(m.group(1), m.group(0)), value.strip())
    return fields


def test_the_deb_recommends_a_cjk_font_for_chinese_and_japanese() -> None:
    """Without a CJK font Chinese and Japanese show boxes; Debian 12's fonts-noto-cjk covers both (Recommends:
    apt installs it by default)."""
    fields = deb_control_fields()
    assert "fonts-noto-cjk" in [p.strip() for p in fields["Recommends"].split(",")]
    assert {"zh_CN", "ja"} <= set(i18n.LANGUAGES)
