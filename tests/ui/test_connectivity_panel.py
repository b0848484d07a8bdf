"""The Connectivity tests panel: runs off the GUI thread, shows plain results, cancels, repeats."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from loopgui.core.explain.facts import ProgramRef
from loopgui.core.net.probes import Outcome, ProbeCode, ProbeTest
from loopgui.core.words import probes as probe_words
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
    p = ConnectivityPanel(used_ports=lambda: {1, 2}, who_holds=lambda port: ProgramRef("tester", 1))
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
    assert panel.last_results[0].code in (ProbeCode.CONNECTED, ProbeCode.CONNECTED_GREETING)
    assert top.text(0) == "Connect (TCP)"
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
    assert panel.last_results[0].code == ProbeCode.PAGE
    assert panel.browser_button.isEnabled()


def test_bind_test_free_port_and_self_test(panel: ConnectivityPanel, qtbot: QtBot, listener: int) -> None:
    panel.set_target("127.0.0.1", listener)
    panel.bind_button.click()
    wait_done(qtbot, panel)
    held = panel.last_results[0]
    assert held.code == ProbeCode.IN_USE and held.holder == ProgramRef("tester", 1)
    assert "In use by tester (PID 1)" in panel.results.topLevelItem(0).text(2)
    panel.free_button.click()
    wait_done(qtbot, panel)
    (free,) = panel.last_results
    assert free.code == ProbeCode.FREE_PORT_FOUND and free.port is not None
    assert panel.results.topLevelItem(0).text(1) == f"port {free.port}"
    assert panel.results.topLevelItem(0).text(0) == "Find a free port"
    panel.self_test_button.click()
    wait_done(qtbot, panel)
    assert [r.code for r in panel.last_results] == [ProbeCode.SELF_TEST_OK, ProbeCode.SELF_TEST_OK]


def test_repeat_mode_builds_a_history(panel: ConnectivityPanel, qtbot: QtBot, listener: int) -> None:
    panel.set_target("127.0.0.1", listener)
    panel.repeat_button.setChecked(True)
    assert panel.sparkline.isVisible()
    qtbot.waitUntil(lambda: len(panel.history.values) >= 2, timeout=5000)
    panel.repeat_button.setChecked(False)
    wait_done(qtbot, panel)
    assert all(v is not None for v in panel.history.values)
    assert "connected; fastest" in panel.sparkline_label.text()


def _both_loopbacks(host: str, port: object, *args: object, **kw: object) -> list[tuple[object, ...]]:
    """Like getaddrinfo on a usual Debian system: localhost is ::1 first, then 127.0.0.1."""
    assert host == "localhost"
    return [
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
    ]


def test_localhost_tests_every_address_and_names_which_answered(qtbot: QtBot) -> None:
    with socket.socket(socket.AF_INET6) as v6:
        v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        v6.bind(("::1", 0))
        v6.listen()
        port = v6.getsockname()[1]
        p = ConnectivityPanel(listening_on=lambda _port: ["::1"], resolver=_both_loopbacks)
        qtbot.addWidget(p)
        p.set_target("localhost", port)
        with qtbot.waitSignal(p.finished, timeout=10000):
            p.tcp_button.click()
    status = p.status.text()
    assert f"1 of 2 succeeded: [::1]:{port} answered; 127.0.0.1:{port} refused." in status
    refused = next(r for r in p.last_results if r.outcome == Outcome.REFUSED)
    assert refused.code == ProbeCode.REFUSED_OTHER_FAMILY and refused.listens == "::1"
    text = probe_words.verdict_text(refused)
    assert "nothing listens" not in text and "[::1]" in text and "IPv6" in text


def test_a_new_target_clears_results_and_chart(panel: ConnectivityPanel, qtbot: QtBot, listener: int) -> None:
    assert not panel.cancel_button.isEnabled()  # nothing runs
    panel.set_target("127.0.0.1", listener)
    panel.repeat_button.setChecked(True)
    qtbot.waitUntil(lambda: len(panel.history.values) >= 1, timeout=5000)
    panel.repeat_button.setChecked(False)
    qtbot.waitUntil(lambda: not panel.running, timeout=5000)
    assert not panel.cancel_button.isEnabled()  # stopped repeating and nothing runs: nothing to cancel
    with qtbot.waitSignal(panel.finished, timeout=10000):
        panel.tcp_button.click()
    assert panel.results.topLevelItemCount() == 1
    panel.set_target("127.0.0.1", listener + 1 if listener < 65535 else listener - 1)
    assert panel.results.topLevelItemCount() == 0 and panel.history.values == []
    assert not panel.sparkline.isVisible() and not panel.browser_button.isEnabled()
    panel.tcp_button.click()
    wait_done(qtbot, panel)
    panel.port_spin.setValue(listener)  # the user types another port: the old results go too
    assert panel.results.topLevelItemCount() == 0


def test_the_test_name_column_is_not_cut_off(panel: ConnectivityPanel, qtbot: QtBot, listener: int) -> None:
    panel.resize(500, 400)
    panel.set_target("127.0.0.1", listener)
    with qtbot.waitSignal(panel.finished, timeout=10000):
        panel.tcp_button.click()
    item = panel.results.topLevelItem(0)
    needed = panel.results.fontMetrics().horizontalAdvance(item.text(0)) + panel.results.iconSize().width()
    assert panel.results.columnWidth(0) >= needed


def test_open_in_browser_failing_says_so(qtbot: QtBot) -> None:
    from PySide6.QtCore import QUrl

    opened: list[QUrl] = []

    def refuse(url: QUrl) -> bool:
        opened.append(url)
        return False

    p = ConnectivityPanel(open_url=refuse)
    qtbot.addWidget(p)
    with http_server() as port:
        p.set_target("127.0.0.1", port)
        with qtbot.waitSignal(p.finished, timeout=10000):
            p.http_button.click()
    assert p.browser_button.isEnabled()
    p.browser_button.click()
    assert opened and "could not open a web browser" in p.status.text()
    assert f"http://127.0.0.1:{port}/" in p.status.text()


def test_chart_has_axes_units_and_palette_colours(qtbot: QtBot) -> None:
    from PySide6.QtGui import QColor, QPalette

    from loopgui.ui.panels.connectivity_panel import Sparkline, line_color

    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Base, QColor(30, 30, 30))
    dark.setColor(QPalette.ColorRole.Text, QColor(230, 230, 230))
    dark.setColor(QPalette.ColorRole.Highlight, QColor(40, 40, 48))  # a highlight that vanishes on the base
    assert line_color(dark) == QColor(230, 230, 230)
    light = QPalette()
    light.setColor(QPalette.ColorRole.Base, QColor(255, 255, 255))
    light.setColor(QPalette.ColorRole.Highlight, QColor(48, 140, 198))
    assert line_color(light) == QColor(48, 140, 198)

    p = ConnectivityPanel()
    qtbot.addWidget(p)
    for v in (0.001, None, 0.004):
        p.history.add(v)
    chart: Sparkline = p.sparkline
    assert chart.axis_labels() == ("4.0 ms", "60 s ago", "now")
    chart.setPalette(dark)
    chart.resize(300, 100)
    image = chart.grab().toImage()
    colours = {image.pixelColor(x, y).rgb() for x in range(0, 300, 3) for y in range(0, 100, 3)}
    assert QColor(230, 230, 230).rgb() in colours  # axes and the line in the text colour: visible on dark
    assert chart.accessibleName() and "milliseconds" in chart.accessibleDescription()


def test_a_waiting_test_says_how_long_it_has_waited(panel: ConnectivityPanel, qtbot: QtBot) -> None:
    """A port that never answers keeps a test waiting up to its timeout: the status counts the time meanwhile."""
    with full_backlog() as port:
        panel.set_target("127.0.0.1", port)
        panel.timeout_spin.setValue(30)
        panel.tcp_button.click()
        qtbot.waitUntil(lambda: "so far" in panel.status.text(), timeout=4000)
        assert "second" in panel.status.text() and panel.running
        panel.cancel_button.click()
        wait_done(qtbot, panel)
    assert panel.status.text() == "Cancelled."


def test_other_family_note_never_advises_connecting_to_a_wildcard_address() -> None:
    from loopgui.core.net.probes import ProbeResult
    from loopgui.ui.panels.connectivity_panel import other_family_note

    def note(r: ProbeResult, listening: list[str]) -> str:
        return probe_words.verdict_text(other_family_note(r, listening))

    refused6 = ProbeResult(ProbeTest.TCP, "[::1]:8000", Outcome.REFUSED, ProbeCode.REFUSED)
    assert other_family_note(refused6, ["0.0.0.0"]).code == ProbeCode.REFUSED_OTHER_FAMILY
    assert other_family_note(refused6, ["::"]) == refused6  # the same family listens: a plain refusal
    text = note(refused6, ["0.0.0.0"])
    assert "connect to 127.0.0.1 instead" in text and "connect to 0.0.0.0" not in text
    assert "listens on this port at 0.0.0.0 (IPv4)" in text
    refused4 = ProbeResult(ProbeTest.TCP, "127.0.0.1:8000", Outcome.REFUSED, ProbeCode.REFUSED)
    assert "connect to [::1] instead" in note(refused4, ["::"])
    assert "connect to 10.0.0.5 instead" in note(refused6, ["10.0.0.5"])


def test_results_and_status_are_in_the_users_language(qtbot: QtBot, listener: int) -> None:
    """Everything the tab says about a result comes from the catalog (the pseudo-language marks each text)."""
    from loopgui.core.words import i18n

    i18n.set_pseudo()
    try:
        p = ConnectivityPanel(who_holds=lambda port: ProgramRef("tester", 1))
        qtbot.addWidget(p)
        p.set_target("127.0.0.1", listener)
        with qtbot.waitSignal(p.finished, timeout=10000):
            p.bind_button.click()
        top = p.results.topLevelItem(0)
        assert top.text(0).startswith(i18n.Pseudo.MARK) and top.text(2).startswith(i18n.Pseudo.MARK)
        assert "⟦tester (" in top.text(2)  # the program's name is data, never translated
        assert p.status.text().startswith(i18n.Pseudo.MARK)
        with qtbot.waitSignal(p.finished, timeout=10000):
            p.free_button.click()
        assert p.results.topLevelItem(0).text(1).startswith(i18n.Pseudo.MARK)  # "port 41234"
    finally:
        i18n.set_language("en")
