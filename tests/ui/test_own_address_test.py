"""The "Test from this computer's own addresses" button: off the GUI thread, time limit and Cancel passed on,
results in the list.  The core function is replaced here: no test connects to this machine's own addresses."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot

from loopgui.core.cancel import Cancel, Cancelled
from loopgui.core.net.probes import Outcome, ProbeCode, ProbeTest
from loopgui.core.reach import assess as reach
from loopgui.core.reach.assess import OwnOutcome, OwnResult
from loopgui.core.words import probes as probe_words
from loopgui.core.words import reach as reach_words
from loopgui.ui.panels import own_address_test
from loopgui.ui.panels.connectivity_panel import ConnectivityPanel


@pytest.fixture
def panel(qtbot: QtBot) -> ConnectivityPanel:
    p = ConnectivityPanel()
    qtbot.addWidget(p)
    p.show()
    return p


def test_button_runs_the_own_address_test(
    panel: ConnectivityPanel, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[int, float, bool]] = []
    targets = [("192.168.1.20", "wlan0"), ("fd00::5", "wlan0")]

    def fake(port: int, given: object, timeout: float = 2.0, cancel: Cancel | None = None) -> list[OwnResult]:
        asked.append((port, timeout, threading.current_thread() is threading.main_thread()))
        assert given == targets
        return [
            OwnResult("192.168.1.20", "wlan0", OwnOutcome.ANSWERED, 0.001),
            OwnResult("fd00::5", "wlan0", OwnOutcome.REFUSED, 0.001),
        ]

    monkeypatch.setattr(reach, "own_addresses", lambda ifaces: targets)
    monkeypatch.setattr(reach, "own_address_test", fake)
    monkeypatch.setattr(reach, "own_test_filtered", lambda results, port: ())  # this machine's rules: not read
    panel.set_target("0.0.0.0", 8000)
    panel.timeout_spin.setValue(1.5)
    button = panel.own_address_button
    assert button.text() == "Test own network addresses" and "Nothing else is contacted" in button.toolTip()
    with qtbot.waitSignal(panel.finished, timeout=10000):
        button.click()
        assert not button.isEnabled()  # like every other test while one runs
    assert asked == [(8000, 1.5, False)]  # off the GUI thread, with the tab's time limit
    assert panel.results.topLevelItemCount() == 2
    assert panel.results.topLevelItem(0).text(1) == "192.168.1.20:8000"
    assert panel.status.text().startswith("Done: 1 of 2 succeeded: ") and button.isEnabled()
    assert "answered" in panel.status.text() and "refused" in panel.status.text()  # which address did what


def test_cancel_stops_it(panel: ConnectivityPanel, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    started = threading.Event()

    def slow(port: int, given: object, timeout: float = 2.0, cancel: Cancel | None = None) -> list[OwnResult]:
        started.set()
        assert cancel is not None
        while True:
            cancel.check()
            threading.Event().wait(0.01)

    monkeypatch.setattr(reach, "own_addresses", lambda ifaces: [("192.168.1.20", "wlan0")])
    monkeypatch.setattr(reach, "own_address_test", slow)
    panel.set_target("localhost", 8000)
    with qtbot.waitSignal(panel.finished, timeout=10000):
        panel.own_address_button.click()
        assert started.wait(5)
        panel.cancel_button.click()
    assert panel.status.text() == "Cancelled."


def test_core_probe_on_loopback_targets_only() -> None:
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        (r,) = own_address_test.work(server.getsockname()[1], 2.0, Cancel(), targets=[("127.0.0.1", "lo")])
    finally:
        server.close()
    assert r.outcome == Outcome.CONNECTED and r.good and r.code == ProbeCode.OWN_ANSWERED and r.interface == "lo"
    assert r.test == ProbeTest.OWN_ADDRESS
    assert probe_words.details(r)[0] == ("Network connection", "lo")
    # an answer is not a promise about the firewall
    assert "this test goes over loopback" in probe_words.verdict_text(r)
    (none,) = own_address_test.work(8000, 1.0, Cancel(), targets=[])
    assert none.outcome == Outcome.NO_ANSWER and none.code == ProbeCode.NO_OWN_ADDRESS
    assert "no network address besides loopback" in probe_words.verdict_text(none)
    cancel = Cancel()
    cancel.cancel()
    with pytest.raises(Cancelled):
        own_address_test.work(8000, 1.0, cancel, targets=[("127.0.0.1", "lo")])


def test_rows_say_when_the_loopback_firewall_filtered_the_test() -> None:
    results = [
        OwnResult("10.0.0.5", "eth0", OwnOutcome.NO_ANSWER, 2.0),
        OwnResult("fd00::5", "eth0", OwnOutcome.REFUSED),
    ]
    rows = reach_words.own_probe_results(results, 8000, filtered=("10.0.0.5",))
    assert rows[0].outcome == Outcome.ERROR and rows[0].code == ProbeCode.OWN_FILTERED
    assert "filters its own traffic to this address" in probe_words.verdict_text(rows[0])
    assert rows[1].outcome == Outcome.REFUSED and rows[1].code == ProbeCode.OWN_REFUSED
