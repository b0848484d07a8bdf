"""Headless, isolated test set-up: offscreen Qt, settings in a temporary file."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.netns import INSIDE, OUTER, REPORT, bring_loopback_up, netns_prefix

if os.environ.get(INSIDE) == "1":
    bring_loopback_up()  # this pytest runs inside a network namespace of its own (see pytest_pyfunc_call)


_inner_results: dict[str, dict[str, tuple[str, str]]] = {}  # module file -> nodeid -> (outcome, message)
_inner_output: dict[str, str] = {}


def _run_module_in_netns(item: pytest.Function, prefix: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """Run every ``own_netns`` test of ``item``'s module in one pytest inside a new network namespace."""
    module = str(item.path)
    if module not in _inner_results:
        nodeids = [
            i.nodeid
            for i in item.session.items
            if str(i.path) == module and i.get_closest_marker("own_netns") is not None
        ]
        report = Path(item.config._tmp_path_factory.mktemp("netns")) / "results.json"  # type: ignore[attr-defined]
        cmd = [*prefix, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", *nodeids]
        env = dict(os.environ, **{INSIDE: "1", REPORT: str(report), OUTER: os.readlink("/proc/self/ns/net")})
        done = subprocess.run(
            cmd, cwd=item.config.rootpath, env=env, capture_output=True, text=True, timeout=1800, check=False
        )
        _inner_output[module] = (done.stdout + done.stderr)[-6000:]
        try:
            _inner_results[module] = {k: tuple(v) for k, v in json.loads(report.read_text()).items()}  # type: ignore[misc]
        except (OSError, ValueError):
            _inner_results[module] = {}
    return _inner_results[module]


def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """An ``own_netns`` test runs again in a pytest of its own inside a private network namespace (tests/netns.py),
    with the other such tests of its module: it then sees only its own sockets, whatever else runs on the machine."""
    marker = pyfuncitem.get_closest_marker("own_netns")
    if marker is None or os.environ.get(INSIDE) == "1":
        return None
    prefix, why = netns_prefix(own_pids=marker.kwargs.get("pids", True))
    if not prefix:
        if marker.kwargs.get("required"):
            pytest.skip(why)
        return None  # runs here; it matches only its own sockets, by both ends and the program
    results = _run_module_in_netns(pyfuncitem, prefix)
    outcome, message = results.get(pyfuncitem.nodeid, ("missing", _inner_output[str(pyfuncitem.path)]))
    if outcome == "skipped":
        pytest.skip(message)
    if outcome != "passed":
        pytest.fail(f"in its own network namespace ({' '.join(prefix)}):\n{message}", pytrace=False)
    if message:
        print(message)  # what the test printed inside (the soak test's figures), for -rP / -s
    return True


_reports: dict[str, tuple[str, str]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Inside the namespace: remember each test's outcome for the pytest outside (``REPORT`` names the file)."""
    if not os.environ.get(REPORT) or os.environ.get(INSIDE) != "1":
        return
    before = _reports.get(report.nodeid, ("passed", ""))
    if before[0] != "passed":
        return
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _reports[report.nodeid] = ("skipped", reason.removeprefix("Skipped: "))
    elif report.failed:
        _reports[report.nodeid] = ("failed", report.longreprtext[-6000:])
    elif report.when == "call":
        _reports[report.nodeid] = ("passed", report.capstdout[-2000:])


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get(REPORT)
    if path and os.environ.get(INSIDE) == "1":
        Path(path).write_text(json.dumps(_reports), encoding="utf-8")


@pytest.fixture(autouse=True)
def private_data_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test (and every program it starts) keeps loopgui's data, such as the history, in a folder of its own,
    and reads no settings of this machine's user (the terminal verbs follow the Language menu's remembered choice)."""
    folder = tmp_path_factory.mktemp("data-home")
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config-home")))
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[object]:
    """Settings stored in a temporary INI file, never the user's own."""
    from PySide6.QtCore import QSettings

    from loopgui.ui.settings import Settings

    yield Settings(QSettings(str(tmp_path / "loopgui.ini"), QSettings.Format.IniFormat))
