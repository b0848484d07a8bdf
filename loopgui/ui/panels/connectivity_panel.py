"""Connectivity tests: "does it answer?" for the address being investigated, run off the GUI thread."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from PySide6.QtCore import QPointF, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QPainter, QPaintEvent, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from loopgui.core.cancel import Cancel, Cancelled
from loopgui.core.explain.facts import ProgramRef
from loopgui.core.net import probes
from loopgui.core.net.probes import BadInput, LatencyHistory, Outcome, ProbeCode, ProbeResult
from loopgui.core.reach.assess import local_block
from loopgui.core.words import probes as probe_words
from loopgui.core.words import reach as reach_words
from loopgui.core.words.i18n import N_, _, field_text
from loopgui.core.words.window import waiting_text
from loopgui.ui.background import BackgroundOp
from loopgui.ui.panels import own_address_test
from loopgui.ui.plain import plain_tooltip

ProbeWork = Callable[[Cancel], list[ProbeResult]]

_GOOD = QStyle.StandardPixmap.SP_DialogApplyButton
_BAD = QStyle.StandardPixmap.SP_MessageBoxWarning
_NEUTRAL = QStyle.StandardPixmap.SP_MessageBoxInformation
_NEUTRAL_OUTCOMES = {Outcome.NO_ANSWER}
IDLE = N_("Pick a test. loopgui only tests the computer and port written above.")


def _button(text: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    return button


def line_color(palette: QPalette) -> QColor:
    """The chart line: the palette's highlight, or its text colour when the highlight hardly differs from the
    background (some dark themes) — readable on light and dark alike."""
    base = palette.color(QPalette.ColorRole.Base)
    highlight = palette.color(QPalette.ColorRole.Highlight)
    if abs(highlight.lightnessF() - base.lightnessF()) >= 0.25:
        return highlight
    return palette.color(QPalette.ColorRole.Text)


def failure_color(palette: QPalette) -> QColor:
    """Failed attempts: red, lighter on a dark background."""
    dark = palette.color(QPalette.ColorRole.Base).lightnessF() < 0.5
    return QColor(255, 110, 100) if dark else QColor(200, 40, 40)


class Sparkline(QWidget):
    """Connect times of the repeat mode: a line in milliseconds (left axis), one point per second (bottom axis);
    failed attempts are red ticks.  Colours come from the palette, so it reads on dark themes too."""

    def __init__(self, history: LatencyHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.setMinimumHeight(90)
        self.setAccessibleName(_("Connection time chart"))
        self.setAccessibleDescription(
            _("Time to connect, in milliseconds, for each try of the last minute; failed tries are marked in red.")
        )

    def sizeHint(self) -> QSize:
        return QSize(320, 110)

    def axis_labels(self) -> tuple[str, str, str]:
        """(top of the vertical axis, bottom axis left end, bottom axis right end)."""
        ok = [v for v in self.history.values if v is not None]
        top = max(ok) * 1000 if ok else 1.0
        return (
            _("{ms} ms").format(ms=f"{top:.1f}"),
            _("{seconds} s ago").format(seconds=self.history.size),
            _("now"),
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        values = self.history.values
        palette = self.palette()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = painter.fontMetrics()
        top_text, left_text, right_text = self.axis_labels()
        margin_left = metrics.horizontalAdvance(top_text) + 8
        margin_bottom = metrics.height() + 4
        plot = self.rect().adjusted(margin_left, 4, -6, -margin_bottom)
        painter.fillRect(plot, palette.color(QPalette.ColorRole.Base))
        text_pen = QPen(palette.color(QPalette.ColorRole.Text))
        painter.setPen(text_pen)
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())  # x axis: time
        painter.drawLine(plot.bottomLeft(), plot.topLeft())  # y axis: milliseconds
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(0, plot.top(), margin_left - 4, metrics.height(), right, top_text)
        zero = _("{ms} ms").format(ms=0)
        painter.drawText(0, plot.bottom() - metrics.height(), margin_left - 4, metrics.height(), right, zero)
        below = plot.bottom() + 2
        painter.drawText(plot.left(), below, plot.width(), metrics.height(), Qt.AlignmentFlag.AlignLeft, left_text)
        painter.drawText(plot.left(), below, plot.width(), metrics.height(), Qt.AlignmentFlag.AlignRight, right_text)
        if not values:
            return
        ok = [v for v in values if v is not None]
        top = max(ok) if ok else 1.0
        step = plot.width() / max(1, self.history.size - 1)
        start = plot.right() - (len(values) - 1) * step  # the newest point is at "now"
        points = QPolygonF()
        for i, v in enumerate(values):
            x = start + i * step
            if v is None:
                painter.setPen(QPen(failure_color(palette), 2))
                painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
                continue
            y = plot.bottom() - (v / top if top else 0) * (plot.height() - 2)
            points.append(QPointF(x, y))
        painter.setPen(QPen(line_color(palette), 2))
        painter.drawPolyline(points)


def other_family_note(result: ProbeResult, listening: list[str]) -> ProbeResult:
    """A refusal on one address family while the program listens on the other: ``refused_other_family`` with
    where it listens, instead of "nothing listens"."""
    if result.outcome != Outcome.REFUSED or not listening:
        return result
    tried_v6 = result.target.startswith("[")
    same = [a for a in listening if (":" in a) == tried_v6]
    if same:
        return result
    return dataclasses.replace(result, code=ProbeCode.REFUSED_OTHER_FAMILY, listens=listening[0])


def summary(results: list[ProbeResult]) -> str:
    """``"1 of 2 succeeded: [::1]:8000 answered; 127.0.0.1:8000 refused."``"""
    return probe_words.summary(results)


class ConnectivityPanel(QWidget):
    """Buttons for each test, a results list, and a repeat mode with a latency chart.

    Signals:
        finished(): a test finished (or failed, or was cancelled).
    """

    finished = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        used_ports: Callable[[], set[int]] | None = None,
        who_holds: Callable[[int], ProgramRef | None] | None = None,
        listening_on: Callable[[int], list[str]] | None = None,
        open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl,
        resolver: probes.Resolver | None = None,
        local_block: reach_words.LocalBlockFinder = local_block,
    ) -> None:
        super().__init__(parent)
        self._local_block = local_block  # does this computer's firewall drop local connections to the port?
        self._used_ports = used_ports or set
        self._who_holds = who_holds
        self._listening_on = listening_on or (lambda _port: [])
        self._open_url = open_url
        self._resolver = resolver
        self._cancel: Cancel | None = None
        self._running = False
        self.last_results: list[ProbeResult] = []
        self.history = LatencyHistory()
        # Everything scrolls inside the tab, so the tab never forces the window taller than a small or scaled
        # screen (at 2x a 1000-pixel screen has 500 points).
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        scroll.setWidget(body)
        outer.addWidget(scroll)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 10, 12, 10)

        form = QHBoxLayout()
        self.host_edit = QLineEdit("localhost")
        self.host_edit.setPlaceholderText(_("localhost, 127.0.0.1 or a name"))
        self.host_edit.setAccessibleName(_("Computer to test"))
        self.host_edit.setToolTip(_("The computer to test: its name (localhost means this one) or its address."))
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(80)
        self.port_spin.setAccessibleName(_("Port to test"))
        self.port_spin.setToolTip(_("The port number to test, from 1 to 65535."))
        self.timeout_spin = QDoubleSpinBox()
        self.timeout_spin.setRange(0.2, probes.MAX_TIMEOUT)
        self.timeout_spin.setValue(probes.DEFAULT_TIMEOUT)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setDecimals(1)
        self.timeout_spin.setToolTip(_("How long each test waits for an answer."))
        self.timeout_spin.setAccessibleName(_("Time limit in seconds"))
        for text, widget in (
            (_("Computer:"), self.host_edit),
            (_("Port:"), self.port_spin),
            (_("Wait up to:"), self.timeout_spin),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addWidget(label)
            form.addWidget(widget, 2 if widget is self.host_edit else 0)
        layout.addLayout(form)

        grid = QGridLayout()
        self.tcp_button = _button(
            _("Does it answer?"), _("Connect to every address the computer has, and read what the program says first.")
        )
        self.http_button = _button(
            _("Open as a web page"), _("Ask for the main page (HTTP, or HTTPS on 443/8443) and show the answer.")
        )
        self.https_button = _button(
            _("…securely (HTTPS)"), _("Ask for the main page over HTTPS and show the certificate.")
        )
        self.udp_button = _button(
            _("Send a message (UDP)"), _("Send an empty UDP message: useful for DNS, games and video calls.")
        )
        self.bind_button = _button(
            _("Could a program listen here?"),
            _("Try to start listening on this port on this computer, and stop at once."),
        )
        self.self_test_button = _button(
            _("Loopback self-test"), _("loopgui talks to itself over 127.0.0.1 and ::1 to prove they work.")
        )
        self.free_button = _button(
            _("Find a free port"), _("Suggest a port that no program uses and that both 127.0.0.1 and ::1 allow.")
        )
        self.repeat_button = _button(
            _("Repeat every second"), _("Keep testing the connection every second until you press it again.")
        )
        self.repeat_button.setCheckable(True)
        self.own_address_button = own_address_test.make_button()
        placed = [b for b in self._buttons() if b is not self.own_address_button]
        for i, b in enumerate([*placed, self.repeat_button, self.own_address_button]):
            grid.addWidget(b, i // 4, i % 4)
        layout.addLayout(grid)

        self.tcp_button.clicked.connect(self.run_tcp)
        self.http_button.clicked.connect(lambda: self.run_http(None))
        self.https_button.clicked.connect(lambda: self.run_http(True))
        self.udp_button.clicked.connect(self.run_udp)
        self.bind_button.clicked.connect(self.run_bind)
        self.self_test_button.clicked.connect(self.run_self_test)
        self.free_button.clicked.connect(self.run_free_port)
        self.own_address_button.clicked.connect(self.run_own_addresses)
        self.repeat_button.toggled.connect(self.set_repeat)

        status = QHBoxLayout()
        self.status = QLabel(_(IDLE))
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.setToolTip(_("Stop the test that is running."))
        self.cancel_button.clicked.connect(self.cancel)
        self.browser_button = QPushButton(_("Open in browser"))
        self.browser_button.setEnabled(False)
        self.browser_button.setToolTip(_("Open the page that answered in your web browser."))
        self.browser_button.clicked.connect(self.open_in_browser)
        status.addWidget(self.status, 1)
        status.addWidget(self.browser_button)
        status.addWidget(self.cancel_button)
        layout.addLayout(status)

        self.sparkline = Sparkline(self.history)
        self.sparkline_label = QLabel()
        self.sparkline_label.setTextFormat(Qt.TextFormat.PlainText)
        self.sparkline.hide()
        self.sparkline_label.hide()
        spark_row = QHBoxLayout()
        spark_row.addWidget(self.sparkline, 1)
        spark_row.addWidget(self.sparkline_label, 1)
        layout.addLayout(spark_row)

        self.results = QTreeWidget()
        self.results.setColumnCount(3)
        self.results.setHeaderLabels([_("Test"), _("Address"), _("Result")])
        self.results.setRootIsDecorated(True)
        self.results.setWordWrap(True)
        self.results.setAccessibleName(_("Test results"))
        self.results.setAccessibleDescription(_("Each test, the address it tried and what happened."))
        header = self.results.header()
        header.setAccessibleName(_("Result columns"))
        header.setAccessibleDescription(_("Test, address tried, and result."))
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)  # test names are never cut off
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.results, 1)

        self._waiting = ("", 0.0)
        self._elapsed_timer = QTimer(self)
        self._elapsed_timer.setInterval(1000)
        self._elapsed_timer.timeout.connect(self._show_elapsed)
        self._repeat_timer = QTimer(self)
        self._repeat_timer.setInterval(1000)
        self._repeat_timer.timeout.connect(self._repeat_once)
        self._web_url = ""
        self.host_edit.textEdited.connect(lambda _t: self.clear_results())
        self.port_spin.valueChanged.connect(lambda _v: self._on_port_edited())

    # -- public ------------------------------------------------------------------------------------------------

    def set_target(self, host: str, port: int) -> None:
        """Fill in the address to test (from the investigate bar or the table); runs nothing."""
        if host in ("", "*", "0.0.0.0", "::"):
            host = "localhost"  # "all network connections" is reached through this computer's own name
        if host == self.host_edit.text() and port == self.port_spin.value():
            return
        self.host_edit.setText(host)
        if 1 <= port <= 65535:
            self.port_spin.blockSignals(True)
            self.port_spin.setValue(port)
            self.port_spin.blockSignals(False)
        self.clear_results()

    def clear_results(self) -> None:
        """The target changed: results, chart and status about the old one go (a running test is cancelled)."""
        if self._running or self.repeat_button.isChecked():
            self.cancel()
        self.results.clear()
        self.last_results = []
        self.history.values.clear()
        self.sparkline.update()
        self.sparkline_label.setText("")
        self.sparkline.hide()
        self.sparkline_label.hide()
        self._web_url = ""
        self.browser_button.setEnabled(False)
        self.status.setText(_(IDLE))

    def _on_port_edited(self) -> None:
        self.clear_results()

    @property
    def running(self) -> bool:
        return self._running

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()
        self.repeat_button.setChecked(False)

    # -- tests -------------------------------------------------------------------------------------------------

    def run_tcp(self) -> None:
        host, port, timeout = self._inputs()
        self._start(
            _("Connecting to {host} port {port}…").format(host=host, port=port),
            lambda c: reach_words.explain_timeouts(
                probes.tcp_probe(host, port, timeout, c, resolver=self._resolver), port, self._local_block
            ),
        )

    def run_http(self, https: bool | None) -> None:
        host, port, timeout = self._inputs()
        scheme = "https" if (https or (https is None and port in (443, 8443))) else "http"
        self._web_url = f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}/"
        self._start(
            _("Asking {url} for its main page…").format(url=self._web_url),
            lambda c: [probes.http_probe(host, port, timeout, c, https=https)],
        )

    def run_udp(self) -> None:
        host, port, timeout = self._inputs()
        self._start(
            _("Sending a UDP message to {host} port {port}…").format(host=host, port=port),
            lambda c: probes.udp_probe(host, port, timeout, c),
        )

    def run_bind(self) -> None:
        _host, port, _timeout = self._inputs()
        who = self._who_holds
        self._start(_("Trying to listen on port {port}…").format(port=port), lambda c: probes.bind_test(port, who))

    def run_self_test(self) -> None:
        _host, _port, timeout = self._inputs()
        self._start(_("Testing this computer's loopback…"), lambda c: probes.loopback_self_test(timeout, c))

    def run_free_port(self) -> None:
        used = self._used_ports()
        self._start(_("Looking for a free port…"), lambda c: probes.free_port_test(used))

    def run_own_addresses(self) -> None:
        _host, port, timeout = self._inputs()
        self._start(own_address_test.message(port), lambda c: own_address_test.work(port, timeout, c))

    def set_repeat(self, on: bool) -> None:
        if on:
            self.history.values.clear()
            self.sparkline.show()
            self.sparkline_label.show()
            self.repeat_button.setText(_("Stop repeating"))
            self._repeat_once()
            self._repeat_timer.start()
        else:
            self._repeat_timer.stop()
            self.repeat_button.setText(_("Repeat every second"))
            self.cancel_button.setEnabled(self._running)

    def open_in_browser(self) -> None:
        if self._web_url and not self._open_url(QUrl(self._web_url)):
            self.status.setText(
                _("loopgui could not open a web browser. Copy this address into your browser: {url}").format(
                    url=self._web_url
                )
            )

    # -- internals ---------------------------------------------------------------------------------------------

    def _inputs(self) -> tuple[str, int, float]:
        return self.host_edit.text().strip(), self.port_spin.value(), self.timeout_spin.value()

    def _buttons(self) -> list[QPushButton]:
        """The one-shot test buttons (disabled while a test runs)."""
        return [
            self.tcp_button,
            self.http_button,
            self.https_button,
            self.udp_button,
            self.bind_button,
            self.self_test_button,
            self.free_button,
            self.own_address_button,
        ]

    def _start(self, message: str, work: ProbeWork, *, repeat: bool = False) -> None:
        if self._running:
            return
        try:
            probes.check_target(self.host_edit.text(), self.port_spin.value())
        except BadInput as exc:
            self.status.setText(probe_words.bad_input_text(exc))
            self.repeat_button.setChecked(False)
            return
        cancel = Cancel()
        self._cancel = cancel
        self._running = True
        for b in self._buttons():
            b.setEnabled(False)
        self.cancel_button.setEnabled(True)
        if not repeat:
            self.browser_button.setEnabled(False)
            self.status.setText(message)
            self._waiting = (message, time.monotonic())
            self._elapsed_timer.start()

        def done(results: list[ProbeResult]) -> None:
            self._finish()
            if repeat:
                self._record_repeat(results)
                return
            listening = self._listening_on(self.port_spin.value())
            results = [other_family_note(r, listening) for r in results]
            self.last_results = results
            self._show(results)
            answered_web = any(r.code == ProbeCode.PAGE for r in results)
            self.browser_button.setEnabled(answered_web)
            if len(results) == 1:
                self.status.setText(probe_words.verdict_text(results[0]))
            else:
                self.status.setText(summary(results) if results else _("Done."))

        def failed(exc: BaseException) -> None:
            self._finish()
            if isinstance(exc, Cancelled):
                self.status.setText(_("Cancelled."))
            elif isinstance(exc, BadInput):
                self.status.setText(probe_words.bad_input_text(exc))
            else:
                self.status.setText(_("The test failed: {reason}").format(reason=exc))
            if repeat and not isinstance(exc, Cancelled):
                self.history.add(None)
                self.sparkline.update()

        BackgroundOp(self, lambda: work(cancel), done).on_failure(failed).start()

    def _show_elapsed(self) -> None:
        """While a test waits (a silent port waits for its whole timeout), the status says for how long."""
        message, started = self._waiting
        seconds = time.monotonic() - started
        if self._running and seconds >= 1:
            self.status.setText(f"{message} {waiting_text(seconds)}")

    def _finish(self) -> None:
        self._elapsed_timer.stop()
        self._running = False
        self._cancel = None
        for b in self._buttons():
            b.setEnabled(True)
        self.cancel_button.setEnabled(self.repeat_button.isChecked())
        self.finished.emit()

    def _repeat_once(self) -> None:
        if self._running:
            return
        host, port, timeout = self._inputs()
        self._start(
            "",
            lambda c: probes.tcp_probe(host, port, min(timeout, 0.9), c, greeting=False, resolver=self._resolver),
            repeat=True,
        )

    def _record_repeat(self, results: list[ProbeResult]) -> None:
        first = results[0] if results else None
        self.history.add(first.seconds if first is not None and first.outcome == Outcome.CONNECTED else None)
        self.sparkline.update()
        self.sparkline_label.setText(probe_words.latency_text(self.history.values))
        if first is not None:
            self.status.setText(field_text(first.target, probe_words.verdict_text(first)))

    def _show(self, results: list[ProbeResult]) -> None:
        self.results.clear()
        style = self.style()
        for r in results:
            shown = probe_words.line(r)
            item = QTreeWidgetItem([shown.test, shown.target, shown.verdict])
            pixmap = _GOOD if r.good else (_NEUTRAL if r.outcome in _NEUTRAL_OUTCOMES else _BAD)
            item.setIcon(0, style.standardIcon(pixmap))
            item.setToolTip(2, plain_tooltip(shown.verdict))
            for key, value in shown.details:
                child = QTreeWidgetItem(["", key, value])
                child.setToolTip(2, plain_tooltip(value))
                item.addChild(child)
            self.results.addTopLevelItem(item)
            item.setExpanded(True)
