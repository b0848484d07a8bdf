"""The Connectivity tests panel: runs off the GUI thread, shows plain results, cancels, repeats."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from loopgui.core.probes import Outcome
from loopgui.ui.panels.connectivity_panel import ConnectivityPanel
from tests.e2e.test_probes import full_backlog, http_server


@pytest.fixture
def listener() -> Iterator[int]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    yield s.getsockname()[1]
    s.close()


@pytest.fixture
def panel(qtbot: QtBot) -> ConnectivityPanel:
    p = ConnectivityPanel(used_ports=lambda: {1, 2}, who_holds=lambda port: "tester (PID 1)")
    qtbot.addWidget(p)
    p.show()
    return p


def wait_done(qtbot: QtBot, panel: ConnectivityPanel) -> None:
    qtbot.waitUntil(lambda: not panel.running, timeout=10000)


def test_tcp_test_shows_results(panel: ConnectivityPanel, qtbot: QtBot, listener: int) -> None:
    panel.set_target("127.0.0.1", listener)
    with qtbot.waitSignal(panel.finished, timeout=10000):
        panel.tcp_button.click()
        assert panel.running and not panel.tcp_button.isEnabled()
    top = panel.results.topLevelItem(0)
    assert top.text(1) == f"127.0.0.1:{listener}" and top.text(2).startswith("Connected in")
    assert top.child(0).text(1) == "Time to connect"
    assert panel.status.text().startswith("Connected in")
    assert panel.tcp_button.isEnabled()


def test_wildcard_target_becomes_localhost(panel: ConnectivityPanel) -> None:
    panel.set_target("0.0.0.0", 8080)
    assert panel.host_edit.text() == "localhost" and panel.port_spin.value() == 8080


def test_bad_input_gets_a_message(panel: ConnectivityPanel) -> None:
    panel.host_edit.setText("")
    panel.tcp_button.click()
    assert not panel.running
    assert "Type the computer" in panel.status.text()


def test_cancel_a_running_test(panel: ConnectivityPanel, qtbot: QtBot) -> None:
    with full_backlog() as port:
        panel.set_target("127.0.0.1", port)
        panel.timeout_spin.setValue(30)
        panel.tcp_button.click()
        qtbot.wait(200)
        assert panel.running
        panel.cancel_button.click()
        wait_done(qtbot, panel)
    assert panel.status.text() == "Cancelled."


def test_web_page_enables_open_in_browser(panel: ConnectivityPanel, qtbot: QtBot) -> None:
    with http_server() as port:
        panel.set_target("127.0.0.1", port)
        panel.http_button.click()
        wait_done(qtbot, panel)
    assert panel.last_results[0].outcome == Outcome.ANSWERED
    assert panel.browser_button.isEnabled()


def test_bind_test_free_port_and_self_test(panel: ConnectivityPanel, qtbot: QtBot, listener: int) -> None:
    panel.set_target("127.0.0.1", listener)
    panel.bind_button.click()
    wait_done(qtbot, panel)
    assert "In use by tester (PID 1)" in panel.results.topLevelItem(0).text(2)
    panel.free_button.click()
    wait_done(qtbot, panel)
    assert panel.last_results[0].outcome == Outcome.FREE
    panel.self_test_button.click()
    wait_done(qtbot, panel)
    assert [r.outcome for r in panel.last_results] == [Outcome.CONNECTED, Outcome.CONNECTED]


def test_repeat_mode_builds_a_history(panel: ConnectivityPanel, qtbot: QtBot, listener: int) -> None:
    panel.set_target("127.0.0.1", listener)
    panel.repeat_button.setChecked(True)
    assert panel.sparkline.isVisible()
    qtbot.waitUntil(lambda: len(panel.history.values) >= 2, timeout=5000)
    panel.repeat_button.setChecked(False)
    wait_done(qtbot, panel)
    assert all(v is not None for v in panel.history.values)
    assert "connected; fastest" in panel.sparkline_label.text()
