"""The Explain panel: a diagnosis in plain words, with the technical details one click away."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from loopgui.core.explain.diagnosis import Diagnosis, Verdict
from loopgui.core.words import explain as words
from loopgui.core.words.i18n import N_, _

_ICONS = {
    Verdict.PROBLEM: QStyle.StandardPixmap.SP_MessageBoxWarning,
    Verdict.OK: QStyle.StandardPixmap.SP_DialogApplyButton,
    Verdict.INFO: QStyle.StandardPixmap.SP_MessageBoxInformation,
    Verdict.UNKNOWN: QStyle.StandardPixmap.SP_MessageBoxQuestion,
}

# The sign beside the headline, in words (for screen readers and the legend).
VERDICT_WORDS = {
    Verdict.PROBLEM: N_("Problem found"),
    Verdict.OK: N_("All is well"),
    Verdict.INFO: N_("Information"),
    Verdict.UNKNOWN: N_("Cannot tell"),
}

# Marked here, translated where shown: the language is chosen after import.
WELCOME = N_(
    "Paste an error message in the box above and press Investigate — or pick a row in the table — "
    "to learn what the address and port mean and which program uses them."
)


def _plain_label(text: str = "", *, selectable: bool = True) -> QLabel:
    """A word-wrapped label that never interprets text as HTML (messages and program names are untrusted)."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ExplainPanel(QWidget):
    """Shows one :class:`Diagnosis`.

    Signals:
        close_program_requested(int): the user asked to close the program with this PID.
        explain_row_requested(): the user asked to explain the row picked in the table instead.
        back_requested(): the user asked to go back to the explanation of the pasted message.
        content_changed(): what is shown changed, and with it the height it needs (see :meth:`content_height`).
    """

    close_program_requested = Signal(int)
    explain_row_requested = Signal()
    back_requested = Signal()
    content_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.diagnosis: Diagnosis | None = None
        self._to_top = False
        self.closing_enabled = False  # the window turns it on when it can close programs
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(scroll)
        self.scroll_area = scroll
        body = QWidget()
        scroll.setWidget(body)
        self._body_layout: QVBoxLayout | None = None
        layout = QVBoxLayout(body)
        self._body_layout = layout
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)

        # Which subject the explanation is about, with the switch between a pasted message and a picked row.
        self.switch_bar = QFrame()
        self.switch_bar.setFrameShape(QFrame.Shape.StyledPanel)
        switch_row = QHBoxLayout(self.switch_bar)
        switch_row.setContentsMargins(8, 4, 8, 4)
        self.switch_label = _plain_label(selectable=False)
        self.switch_label.setAccessibleName(_("What this explanation is about"))
        self.explain_row_button = QPushButton(_("Explain this row"))
        self.explain_row_button.setToolTip(_("Show the explanation of the row you picked in the table instead."))
        self.explain_row_button.clicked.connect(self.explain_row_requested)
        self.back_button = QPushButton(_("Back to your message"))
        self.back_button.setToolTip(_("Show the explanation of the message you pasted again."))
        self.back_button.clicked.connect(self.back_requested)
        switch_row.addWidget(self.switch_label, 1)
        switch_row.addWidget(self.explain_row_button)
        switch_row.addWidget(self.back_button)
        self.switch_bar.hide()
        layout.addWidget(self.switch_bar)

        top = QHBoxLayout()
        self.icon = QLabel()
        self.icon.setFixedSize(32, 32)
        self.headline = _plain_label(_(WELCOME))
        self.headline.setAccessibleName(_("Verdict"))
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.headline_font = font
        # Both at the top: a word-wrapped label may be given more height than its text needs, and centred text then
        # floated down from the icon.  The first line is lowered to the middle of the icon.
        self.headline.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.headline.setContentsMargins(0, max(0, (32 - QFontMetrics(font).height()) // 2), 0, 0)
        top.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.headline, 1)
        self.busy = QLabel(_("Looking…"))
        self.busy.hide()
        top.addWidget(self.busy, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)

        self.findings_title = QLabel(_("What loopgui found"))
        self.findings = _plain_label()
        self.findings.setAccessibleName(_("What loopgui found"))
        self.steps_title = QLabel(_("What you can do"))
        self.steps = _plain_label()
        self.steps.setAccessibleName(_("What you can do"))
        for title in (self.findings_title, self.steps_title):
            f = title.font()
            f.setBold(True)
            title.setFont(f)
        layout.addWidget(self.findings_title)
        layout.addWidget(self.findings)
        layout.addWidget(self.steps_title)
        layout.addWidget(self.steps)

        diy_row = QHBoxLayout()
        self.diy_title = QLabel(_("Do it yourself:"))
        self.diy = _plain_label()
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        self.diy.setFont(mono)
        self.diy.setToolTip(_("The command that shows the same facts in a terminal on this computer."))
        diy_row.addWidget(self.diy_title)
        diy_row.addWidget(self.diy, 1)
        layout.addLayout(diy_row)

        buttons = QHBoxLayout()
        self.details_button = QToolButton()
        self.details_button.setText(_("Technical details"))
        self.details_button.setCheckable(True)
        self.details_button.setToolTip(_("Show or hide the technical facts behind the explanation."))
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.toggled.connect(self._toggle_details)
        self.close_button = QPushButton(_("Close this program…"))
        self.close_button.setToolTip(_("Close the program that holds this port, after asking you."))
        self.close_button.clicked.connect(self._request_close)
        self.copy_button = QPushButton(_("Copy report"))
        self.copy_button.setToolTip(_("Put the whole explanation on the clipboard, to send to whoever helps you."))
        self.copy_button.clicked.connect(self.copy_report)
        buttons.addWidget(self.details_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.copy_button)
        layout.addLayout(buttons)

        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setFont(mono)
        self.details.setAccessibleName(_("Technical details"))
        self.details.setAccessibleDescription(_("The facts behind the explanation, for whoever helps you."))
        self.details.setMinimumHeight(120)
        self.details.hide()
        layout.addWidget(self.details)
        layout.addStretch(1)
        self.show_welcome()

    # -- public ------------------------------------------------------------------------------------------------

    def start_subject(self) -> None:
        """A new subject (a message, a row, back to the message): its explanation starts at the top, where the
        headline is (quiet re-runs for the same subject keep the reader's place)."""
        self._to_top = True
        self.scroll_area.verticalScrollBar().setValue(0)

    def show_welcome(self) -> None:
        self.start_subject()
        self.diagnosis = None
        self.headline.setFont(self.font())
        self.headline.setText(_(WELCOME))
        self.icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation).pixmap(32, 32))
        for w in (
            self.findings_title,
            self.findings,
            self.steps_title,
            self.steps,
            self.diy_title,
            self.diy,
            self.details_button,
            self.details,
            self.copy_button,
            self.close_button,
        ):
            w.hide()
        self.content_changed.emit()

    def offer_switch(self, text: str, to: str) -> None:
        """Say what the explanation is about; ``to`` is "row" (offer "Explain this row"), "pasted" (offer the way
        back to the message) or "" (hide the bar)."""
        self.switch_label.setText(text)
        self.explain_row_button.setVisible(to == "row")
        self.back_button.setVisible(to == "pasted")
        self.switch_bar.setVisible(bool(text))
        self.content_changed.emit()

    def content_height(self, width: int) -> int:
        """The height the explanation needs to show everything without scrolling, ``width`` pixels wide."""
        layout = self._body_layout
        if layout is None:
            return 0
        return layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else layout.totalSizeHint().height()

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)

    def show_diagnosis(self, d: Diagnosis) -> None:
        if self._to_top:
            self._to_top = False
            self.scroll_area.verticalScrollBar().setValue(0)
        self.diagnosis = d
        r = words.render(d)
        self.set_busy(False)
        self.headline.setFont(self.headline_font)
        self.headline.setText(r.headline)
        self.icon.setPixmap(self.style().standardIcon(_ICONS[d.verdict]).pixmap(32, 32))
        self.icon.setAccessibleName(_(VERDICT_WORDS[d.verdict]))
        self.headline.setAccessibleDescription(
            _("Verdict: {verdict} ({code})").format(verdict=_(VERDICT_WORDS[d.verdict]), code=d.verdict.value)
        )

        findings = [f"• {f.text}" for f in r.findings] + list(r.problems)
        if r.others:
            findings.append(f"• {r.others}")
        self._set(self.findings_title, self.findings, "\n".join(findings))
        self._set(self.steps_title, self.steps, "\n".join(f"{i}. {s}" for i, s in enumerate(r.next_steps, 1)))
        self._set(self.diy_title, self.diy, r.do_it_yourself)
        technical = r.technical()
        self.details.setPlainText("\n".join(technical))
        self.details_button.setVisible(bool(technical))
        self.details.setVisible(bool(technical) and self.details_button.isChecked())
        self.copy_button.show()
        self.close_button.setVisible(self.closing_enabled and self.closable_pid() is not None)
        self.content_changed.emit()

    def closable_pid(self) -> int | None:
        """The PID of the program the diagnosis is about, if there is one to close."""
        d = self.diagnosis
        if d is None or not d.holders:
            return None
        pid = d.holders[0].row.pid
        return pid if pid is not None and (d.verdict != Verdict.UNKNOWN) else None

    def copy_report(self) -> None:
        if self.diagnosis is not None:
            QGuiApplication.clipboard().setText(words.report(self.diagnosis))

    # -- internals ---------------------------------------------------------------------------------------------

    @staticmethod
    def _set(title: QLabel, body: QLabel, text: str) -> None:
        body.setText(text)
        title.setVisible(bool(text))
        body.setVisible(bool(text))

    def _toggle_details(self, on: bool) -> None:
        self.details_button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.details.setVisible(on)
        self.content_changed.emit()

    def _request_close(self) -> None:
        pid = self.closable_pid()
        if pid is not None:
            self.close_program_requested.emit(pid)
