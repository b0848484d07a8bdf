"""Remembered settings: every value read back is checked, and a damaged settings file never stops the window.

The fuzz test starts the real window in a child process with a damaged settings file in a temporary
XDG_CONFIG_HOME, so that a crash inside Qt (a segfault) or a freeze is a failed test, not a dead test run.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from loopgui.ui.settings import MAX_TEXT, Rect, Settings, TableLayout, WindowPlace, fit_rect, int_list

ROOT = Path(__file__).resolve().parents[2]

# Starts the window with the settings of XDG_CONFIG_HOME, shows it, lets it lay out, prints what it restored.
CHILD = r"""
import json, sys
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from loopgui.core.net.scanner import Scanner
from loopgui.core.net.sockets import Snapshot
from loopgui.ui.main_window import MainWindow

class Idle:
    name = "idle"
    def read(self, previous, now, should_stop):
        from loopgui.core.net.scanner import SourceResult
        return SourceResult({})

w = MainWindow(Scanner(Idle()), start=False)
w.show()
for _ in range(10):
    app.processEvents()
g, area = w.geometry(), w.screen().availableGeometry()
print(json.dumps({
    "window": [g.x(), g.y(), g.width(), g.height()],
    "area": [area.x(), area.y(), area.width(), area.height()],
    "split": w.splitter.sizes(),
    "interval": w.interval_spin.value(),
    "filter": len(w.filter_edit.text()),
}))
w.save_settings()
w.close()
"""

# The saved forms of earlier versions that crashed (QSplitter.restoreState: size count -1) or froze the window.
CRASHING_SPLITTER = r"@ByteArray(\0\0\0\xff\0\0\0\x1\xff\xff\xff\xff\0\0\x1T\0\0\x1h\0\xff\xff\xff\xff\x1\0\0\0\x2\0)"
FREEZING_SPLITTER = r"@ByteArray(\0\0\0\xff\0\0\0\x1\0\0\0\x2\0\0\x1T\0\0\x1h\0\x7f\xff\xff\xff\x1\0\0\0\x2\0)"
GOOD = """[filter]
listening_only=false
tcp=true
text=python
udp=true

[scan]
interval=2

[table]
widths=70,170,80,170,90,120,70,160,100
order=0,1,2,3,4,5,6,7,8
sort=2,0

[window]
rect=40,40,700,500
maximized=false
split=300,400
"""


def start_window(config: Path, text: str | bytes) -> dict[str, object]:
    folder = config / "loopgui"
    folder.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    (folder / "loopgui.conf").write_bytes(data)
    env = dict(os.environ, XDG_CONFIG_HOME=str(config), QT_QPA_PLATFORM="offscreen")
    env["PYTHONPATH"] = str(ROOT)
    try:
        p = subprocess.run(
            [sys.executable, "-c", CHILD], check=False, env=env, capture_output=True, text=True, timeout=60, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the window froze with this settings file:\n{data[:300]!r}")
    assert p.returncode == 0, f"the window died ({p.returncode}) with this settings file:\n{data[:300]!r}\n{p.stderr}"
    result: dict[str, object] = json.loads(p.stdout.strip().splitlines()[-1])
    window, area = result["window"], result["area"]
    assert isinstance(window, list) and isinstance(area, list)
    x, y, w, h = window
    ax, ay, aw, ah = area
    # on the screen and no bigger than it (the platform may shift it by its frame)
    assert ax <= x < ax + aw and ay <= y < ay + ah and w <= aw and h <= ah, result
    assert 0.5 <= float(str(result["interval"])) <= 10
    assert int(str(result["filter"])) <= MAX_TEXT
    # What it saved again must be readable and start the window the same way.
    return result


def mutations() -> list[tuple[str, str | bytes]]:
    rng = random.Random(20261123)
    cases: list[tuple[str, str | bytes]] = [
        ("old splitter blob that crashed", GOOD + f"splitter={CRASHING_SPLITTER}\n"),
        ("old splitter blob that froze", GOOD + f"splitter={FREEZING_SPLITTER}\n"),
        ("random bytes", bytes(rng.randrange(256) for _ in range(2000))),
        ("truncated", GOOD[: len(GOOD) // 2]),
        ("empty", ""),
        (
            "wrong types",
            "[scan]\ninterval=@ByteArray(\\xff\\xff)\n[filter]\ntcp=@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\x10)\n"
            "listening_only=2\nudp=@Invalid()\ntext=@Rect(1 2 3 4)\n[table]\nwidths=a,b\norder=@Size(1 2)\n"
            "[window]\nrect=@Point(1 2)\nmaximized=maybe\nsplit=@Variant(\\0\\0\\0\\x2\\0)\n",
        ),
        (
            "numbers out of range",
            "[scan]\ninterval=nan\n[window]\nrect=-99999,-99999,99999,99999\nsplit=0,0\n[table]\n"
            "widths=99999999999999999999,1,1,1,1,1,1,1,1\norder=0,0,0,0,0,0,0,0,0\nsort=42,7\n"
            f"[filter]\ntext={'x' * 5000}\n",
        ),
        ("off screen", GOOD.replace("rect=40,40,700,500", "rect=90000,-90000,800,600")),
        ("bigger than the screen", GOOD.replace("rect=40,40,700,500", "rect=0,0,99999,99999")),
    ]
    for n in range(4):  # a few random byte flips of a good file
        data = bytearray(GOOD.encode())
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        cases.append((f"flipped bytes {n}", bytes(data)))
    return cases


@pytest.mark.parametrize(("name", "text"), mutations(), ids=[m[0] for m in mutations()])
def test_window_starts_with_a_damaged_settings_file(tmp_path: Path, name: str, text: str | bytes) -> None:
    start_window(tmp_path, text)


def test_good_settings_come_back(tmp_path: Path) -> None:
    first = start_window(tmp_path, GOOD)
    assert first["interval"] == 2 and first["filter"] == 0  # the filter text is not restored
    assert first["window"][2:] == [700, 500]  # type: ignore[index]
    second = start_window(tmp_path, (tmp_path / "loopgui" / "loopgui.conf").read_bytes())
    assert second["window"] == first["window"] and second["split"] == first["split"]


def test_int_list_takes_only_what_fits() -> None:
    assert int_list("1, 2,3", 3, 0, 5) == (1, 2, 3)
    assert int_list(["1", "2"], 2, 0, 5) == (1, 2)
    assert int_list("1,2", 3, 0, 5) is None
    assert int_list("1,9", 2, 0, 5) is None
    assert int_list("1,99999999999999999999", 2, 0, 5) is None
    assert int_list("1,x", 2, 0, 5) is None
    assert int_list(b"1,2", 2, 0, 5) is None
    assert int_list("1," * 100_000, 2, 0, 5) is None


def test_fit_rect_keeps_the_window_on_the_screen() -> None:
    area = Rect(0, 30, 1600, 970)
    assert fit_rect(Rect(100, 100, 800, 600), area) == Rect(100, 100, 800, 600)
    assert fit_rect(Rect(-5000, 99999, 800, 600), area) == Rect(0, 400, 800, 600)
    assert fit_rect(Rect(0, 0, 99999, 99999), area) == area
    assert fit_rect(Rect(10, 40, 1, 1), area) == Rect(10, 40, 480, 320)
    tiny = Rect(0, 0, 300, 200)
    assert fit_rect(Rect(50, 50, 800, 600), tiny) == tiny


@hsettings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "scan/interval",
                "filter/text",
                "filter/tcp",
                "filter/udp",
                "filter/listening_only",
                "window/rect",
                "window/maximized",
                "window/split",
                "table/widths",
                "table/order",
                "table/sort",
            ]
        ),
        st.one_of(
            st.text(max_size=60),
            st.integers(-(2**63), 2**63 - 1),
            st.floats(),
            st.booleans(),
            st.lists(st.integers(-(2**63), 2**63 - 1), max_size=12),
            st.lists(st.text(max_size=5), max_size=12),
            st.binary(max_size=40),
        ),
    )
)
def test_any_value_reads_back_as_a_valid_setting(values: dict[str, object]) -> None:
    from PySide6.QtCore import QByteArray, QSettings

    folder = tempfile.TemporaryDirectory()
    q = QSettings(str(Path(folder.name) / "loopgui.ini"), QSettings.Format.IniFormat)  # never the user's own
    for key, value in values.items():
        q.setValue(key, QByteArray(value) if isinstance(value, bytes) else value)
    s = Settings(q)
    assert 0.5 <= s.interval <= 10
    assert isinstance(s.listening_only, bool) and isinstance(s.show_tcp, bool) and isinstance(s.show_udp, bool)
    assert isinstance(s.filter_text, str) and len(s.filter_text) <= MAX_TEXT
    place = s.window_place
    assert place is None or (place.rect.width > 0 and place.rect.height > 0)
    layout = s.table_layout(9)
    assert layout is None or (sorted(layout.order) == list(range(9)) and 0 <= layout.sort_column < 9)
    split = s.splitter_sizes
    assert split is None or (min(split) >= 0 and sum(split) > 0)
    del s, q
    folder.cleanup()


def test_settings_round_trip(settings: Settings, qtbot: QtBot) -> None:
    settings.window_place = WindowPlace(Rect(1, 2, 800, 600), True)
    settings.set_table_layout(TableLayout((50,) * 9, (8, 7, 6, 5, 4, 3, 2, 1, 0), 3, True))
    settings.splitter_sizes = (10, 20)
    assert settings.window_place == WindowPlace(Rect(1, 2, 800, 600), True)
    assert settings.table_layout(9) == TableLayout((50,) * 9, (8, 7, 6, 5, 4, 3, 2, 1, 0), 3, True)
    assert settings.table_layout(8) is None  # a table with another number of columns starts fresh
    assert settings.splitter_sizes == (10, 20)
