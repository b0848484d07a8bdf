"""Connectivity tests: "does it answer?" for the address being investigated, run off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from loopgui.core import probes
from loopgui.core.probes import BadInput, Cancel, Cancelled, LatencyHistory, Outcome, ProbeResult
from loopgui.ui.background import BackgroundOp
from loopgui.ui.plain import plain_tooltip

ProbeWork = Callable[[Cancel], list[ProbeResult]]

_GOOD = QStyle.StandardPixmap.SP_DialogApplyButton
_BAD = QStyle.StandardPixmap.SP_MessageBoxWarning
_NEUTRAL = QStyle.StandardPixmap.SP_MessageBoxInformation
_NEUTRAL_OUTCOMES = {Outcome.NO_ANSWER}


def _button(text: str, tip: str) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tip)
    return button


class Sparkline(QWidget):
    """A small chart of connect times; failed attempts are red ticks."""

    def __init__(self, history: LatencyHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.setMinimumHeight(36)
        self.setAccessibleName("Connection time history")

    def sizeHint(self) -> QSize:
        return QSize(240, 40)

    def paintEvent(self, event: QPaintEvent) -> None:
        values = self.history.values
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.rect().adjusted(2, 2, -2, -2)
        painter.setPen(QPen(self.palette().mid().color()))
        painter.drawRect(rect)
        if not values:
            return
        ok = [v for v in values if v is not None]
        top = max(ok) if ok else 1.0
        step = rect.width() / max(1, self.history.size - 1)
        points = QPolygonF()
        for i, v in enumerate(values):
            x = rect.left() + i * step
            if v is None:
                painter.setPen(QPen(QColor(218, 54, 51), 2))
                painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
                continue
            y = rect.bottom() - (v / top if top else 0) * (rect.height() - 4)
            points.append(QPointF(x, y))
        painter.setPen(QPen(self.palette().highlight().color(), 2))
        painter.drawPolyline(points)


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
        who_holds: Callable[[int], str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._used_ports = used_ports or set
        self._who_holds = who_holds
        self._cancel: Cancel | None = None
        self._running = False
        self.last_results: list[ProbeResult] = []
        self.history = LatencyHistory()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)

        form = QHBoxLayout()
        self.host_edit = QLineEdit("localhost")
        self.host_edit.setPlaceholderText("localhost, 127.0.0.1 or a name")
        self.host_edit.setAccessibleName("Computer to test")
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1, 65535)
        self.port_spin.setValue(80)
        self.port_spin.setAccessibleName("Port to test")
        self.timeout_spin = QDoubleSpinBox()
        self.timeout_spin.setRange(0.2, probes.MAX_TIMEOUT)
        self.timeout_spin.setValue(probes.DEFAULT_TIMEOUT)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setDecimals(1)
        self.timeout_spin.setToolTip("How long each test waits for an answer.")
        self.timeout_spin.setAccessibleName("Time limit in seconds")
        for text, widget in (
            ("Computer:", self.host_edit),
            ("Port:", self.port_spin),
            ("Wait up to:", self.timeout_spin),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addWidget(label)
            form.addWidget(widget, 2 if widget is self.host_edit else 0)
        layout.addLayout(form)

        grid = QGridLayout()
        self.tcp_button = _button(
            "Does it answer?", "Connect to every address the computer has, and read what the program says first."
        )
        self.http_button = _button(
            "Open as a web page", "Ask for the main page (HTTP, or HTTPS on 443/8443) and show the answer."
        )
        self.https_button = _button("…securely (HTTPS)", "Ask for the main page over HTTPS and show the certificate.")
        self.udp_button = _button(
            "Send a message (UDP)", "Send an empty UDP message: useful for DNS, games and video calls."
        )
        self.bind_button = _button(
            "Could a program listen here?", "Try to start listening on this port on this computer, and stop at once."
        )
        self.self_test_button = _button(
            "Loopback self-test", "loopgui talks to itself over 127.0.0.1 and ::1 to prove they work."
        )
        self.free_button = _button(
            "Find a free port", "Suggest a port that no program uses and that both 127.0.0.1 and ::1 allow."
        )
        self.repeat_button = _button(
            "Repeat every second", "Keep testing the connection every second until you press it again."
        )
        self.repeat_button.setCheckable(True)
        for i, b in enumerate([*self._buttons(), self.repeat_button]):
            grid.addWidget(b, i // 4, i % 4)
        layout.addLayout(grid)

        self.tcp_button.clicked.connect(self.run_tcp)
        self.http_button.clicked.connect(lambda: self.run_http(None))
        self.https_button.clicked.connect(lambda: self.run_http(True))
        self.udp_button.clicked.connect(self.run_udp)
        self.bind_button.clicked.connect(self.run_bind)
        self.self_test_button.clicked.connect(self.run_self_test)
        self.free_button.clicked.connect(self.run_free_port)
        self.repeat_button.toggled.connect(self.set_repeat)

        status = QHBoxLayout()
        self.status = QLabel("Pick a test. loopgui only tests the computer and port written above.")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.browser_button = QPushButton("Open in browser")
        self.browser_button.setEnabled(False)
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
        self.results.setHeaderLabels(["Test", "Address", "Result"])
        self.results.setRootIsDecorated(True)
        self.results.setWordWrap(True)
        self.results.setAccessibleName("Test results")
        self.results.setColumnWidth(0, 190)
        self.results.setColumnWidth(1, 190)
        layout.addWidget(self.results, 1)

        self._repeat_timer = QTimer(self)
        self._repeat_timer.setInterval(1000)
        self._repeat_timer.timeout.connect(self._repeat_once)
        self._web_url = ""

    # -- public ------------------------------------------------------------------------------------------------

    def set_target(self, host: str, port: int) -> None:
        """Fill in the address to test (from the investigate bar or the table); runs nothing."""
        if host in ("", "*", "0.0.0.0", "::"):
            host = "localhost"  # "all network connections" is reached through this computer's own name
        self.host_edit.setText(host)
        if 1 <= port <= 65535:
            self.port_spin.setValue(port)

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
        self._start(f"Connecting to {host} port {port}…", lambda c: probes.tcp_probe(host, port, timeout, c))

    def run_http(self, https: bool | None) -> None:
        host, port, timeout = self._inputs()
        scheme = "https" if (https or (https is None and port in (443, 8443))) else "http"
        self._web_url = f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}/"
        self._start(
            f"Asking {self._web_url} for its main page…",
            lambda c: [probes.http_probe(host, port, timeout, c, https=https)],
        )

    def run_udp(self) -> None:
        host, port, timeout = self._inputs()
        self._start(f"Sending a UDP message to {host} port {port}…", lambda c: probes.udp_probe(host, port, timeout, c))

    def run_bind(self) -> None:
        _, port, _ = self._inputs()
        who = self._who_holds
        self._start(f"Trying to listen on port {port}…", lambda c: probes.bind_test(port, who))

    def run_self_test(self) -> None:
        _, _, timeout = self._inputs()
        self._start("Testing this computer's loopback…", lambda c: probes.loopback_self_test(timeout, c))

    def run_free_port(self) -> None:
        used = self._used_ports()

        def work(cancel: Cancel) -> list[ProbeResult]:
            port = probes.find_free_port(used)
            if port is None:
                return [ProbeResult("Find a free port", "", Outcome.ERROR, "No free port found; try again.")]
            return [
                ProbeResult(
                    "Find a free port",
                    f"port {port}",
                    Outcome.FREE,
                    f"Port {port} is free on both 127.0.0.1 and ::1, and no well-known program uses it.",
                )
            ]

        self._start("Looking for a free port…", work)

    def set_repeat(self, on: bool) -> None:
        if on:
            self.history.values.clear()
            self.sparkline.show()
            self.sparkline_label.show()
            self.repeat_button.setText("Stop repeating")
            self._repeat_once()
            self._repeat_timer.start()
        else:
            self._repeat_timer.stop()
            self.repeat_button.setText("Repeat every second")

    def open_in_browser(self) -> None:
        if self._web_url:
            QDesktopServices.openUrl(QUrl(self._web_url))

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
        ]

    def _start(self, message: str, work: ProbeWork, *, repeat: bool = False) -> None:
        if self._running:
            return
        try:
            probes.check_target(self.host_edit.text(), self.port_spin.value())
        except BadInput as exc:
            self.status.setText(str(exc))
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

        def done(results: list[ProbeResult]) -> None:
            self._finish()
            if repeat:
                self._record_repeat(results)
                return
            self.last_results = results
            self._show(results)
            answered_web = any(r.test.startswith("Web page") and r.outcome == Outcome.ANSWERED for r in results)
            self.browser_button.setEnabled(answered_web)
            good = sum(r.good for r in results)
            if len(results) == 1:
                self.status.setText(results[0].verdict)
            else:
                self.status.setText(f"Done: {good} of {len(results)} succeeded." if results else "Done.")

        def failed(exc: BaseException) -> None:
            self._finish()
            if isinstance(exc, Cancelled):
                self.status.setText("Cancelled.")
            elif isinstance(exc, BadInput):
                self.status.setText(str(exc))
            else:
                self.status.setText(f"The test failed: {exc}")
            if repeat and not isinstance(exc, Cancelled):
                self.history.add(None)
                self.sparkline.update()

        BackgroundOp(self, lambda: work(cancel), done).on_failure(failed).start()

    def _finish(self) -> None:
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
        self._start("", lambda c: probes.tcp_probe(host, port, min(timeout, 0.9), c, greeting=False), repeat=True)

    def _record_repeat(self, results: list[ProbeResult]) -> None:
        first = results[0] if results else None
        self.history.add(first.seconds if first is not None and first.outcome == Outcome.CONNECTED else None)
        self.sparkline.update()
        self.sparkline_label.setText(self.history.summary)
        if first is not None:
            self.status.setText(f"{first.target}: {first.verdict}")

    def _show(self, results: list[ProbeResult]) -> None:
        self.results.clear()
        style = self.style()
        for r in results:
            item = QTreeWidgetItem([r.test, r.target, r.verdict])
            pixmap = _GOOD if r.good else (_NEUTRAL if r.outcome in _NEUTRAL_OUTCOMES else _BAD)
            item.setIcon(0, style.standardIcon(pixmap))
            item.setToolTip(2, plain_tooltip(r.verdict))
            for key, value in r.details:
                child = QTreeWidgetItem(["", key, value])
                child.setToolTip(2, plain_tooltip(value))
                item.addChild(child)
            self.results.addTopLevelItem(item)
            item.setExpanded(True)
