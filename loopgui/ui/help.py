"""Help pages: what the colours and words mean (the legend), and a short "How to use".  All text here is ours."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from loopgui.core.programs.processes import running_as_admin
from loopgui.core.words.i18n import N_, _
from loopgui.core.words.labels import JARGON, STATE_NAMES
from loopgui.core.words.programs import closed_text, hidden_text
from loopgui.ui.socket_model import GONE_COLOR, NEW_COLOR

# Titles are keys of the help windows too: marked here, translated where shown.
LEGEND_TITLE = N_("What the colours and words mean")
HOW_TO_TITLE = N_("How to use loopgui")


def _swatch(color: QColor, text: str) -> str:
    c = QColor(color)
    c.setAlpha(255)
    return f'<tr><td bgcolor="{c.name()}">{"&nbsp;" * 8}</td><td>&nbsp;{html.escape(text)}</td></tr>'


def legend_html() -> str:
    states = "".join(
        f"<li><b>{html.escape(STATE_NAMES[s])}</b> ({s}): {html.escape(meaning)}</li>"
        for s, meaning in (
            ("LISTEN", _("a program waits for others to connect: a server.")),
            ("ESTABLISHED", _("two programs are connected and can talk.")),
            ("TIME_WAIT", _("a connection that has closed; the system clears it by itself within a minute.")),
            ("CLOSE_WAIT", _("the other side left; the program here has not closed its end yet.")),
            ("NONE", _("UDP: single messages, no connection (shown for UDP sockets).")),
        )
    )
    words = "".join(f"<li>{html.escape(_(text))}</li>" for text in JARGON.values())
    closed = f"<b>{html.escape(closed_text())}</b>"
    hidden = f"<b>{html.escape(hidden_text())}</b>"
    if running_as_admin():
        grey = _(
            "Grey, slanted program names: there is no program to show. {closed} means the connection has ended and "
            "the system is clearing it. {hidden} means loopgui may not look at that program."
        )
    else:
        grey = _(
            "Grey, slanted program names: there is no program to show. {closed} means the connection has ended and "
            "the system is clearing it. {hidden} means loopgui may not look at that program (run loopgui as "
            "administrator to see it)."
        )
    return f"""
<h3>{_("Colours in the table")}</h3>
<table cellspacing="4">
{_swatch(NEW_COLOR, _("Green: the socket appeared in the last few seconds."))}
{_swatch(GONE_COLOR, _("Red: the socket has just closed; the row goes away after a few seconds."))}
</table>
<p>{grey.format(closed=closed, hidden=hidden)}</p>
<h3>{_("Signs in the Explanation")}</h3>
<ul>
<li>{_("A green check: nothing is wrong there.")}</li>
<li>{_("A yellow warning sign: loopgui found the problem; the steps below say what to do.")}</li>
<li>{_("A blue “i”: information, no problem.")}</li>
<li>{_("A question mark: loopgui cannot tell; the steps say what to try.")}</li>
</ul>
<p>{_("The first line of the Explanation always says the same in words, so no sign has to be seen.")}</p>
<h3>{_("States")}</h3>
<ul>{states}</ul>
<h3>{_("Words")}</h3>
<ul>{words}
<li>{
        _(
            "127.0.0.1 and ::1 both mean “this computer” (loopback); 0.0.0.0 and :: mean “every network connection "
            "of this computer”, so other computers may connect too."
        )
    }</li>
<li>{
        _(
            "A port is a program's door number, from 1 to 65535. This computer hands out some of them for a short "
            "while (temporary ports); the Explanation says which range."
        )
    }</li>
</ul>
"""


def how_to_html() -> str:
    paste = QKeySequence("Ctrl+L").toString(QKeySequence.SequenceFormat.NativeText)
    find = QKeySequence(QKeySequence.StandardKey.Find).toString(QKeySequence.SequenceFormat.NativeText)
    steps = (
        _(
            "<b>Paste the error message</b> (or just the address, like 127.0.0.1:3000, or a port number, like 3000) "
            "into the box at the top and press Enter. {shortcut} takes you to that box."
        ).format(shortcut=paste),
        _(
            "<b>Read the Explanation</b>: the first line says what is going on; “What you can do” lists the next "
            "steps. It stays until you paste something else. Picking a row in the table does not replace it: press "
            "“Explain this row” to see that row, and “Back to your message” to return."
        ),
        _(
            "<b>Try it</b> in the Connectivity tests tab: “Does it answer?” connects to every address of the "
            "computer named there and says which answered."
        ),
        _(
            "<b>The Program tab</b> shows which program holds the socket you picked. “Close this program…” asks "
            "before it closes anything; the Delete key in the table does the same."
        ),
        _(
            "<b>The table</b> lists every socket of this computer and updates itself. Type in the filter "
            "({shortcut}) to find rows; several words must all match, and a number matches a whole port (3000 does "
            "not find 13000). Right-click a row for what you can do with it; Enter or a double-click shows all its "
            "Properties, to read or copy. Right-click a column title to choose the columns. Tab and Shift+Tab move "
            "between the parts of the window."
        ).format(shortcut=find),
        _(
            "<b>The History tab</b> says which program used a port earlier, and when: the address in an error "
            "message is often gone by the time you look. The History menu switches the recording off and clears it."
        ),
        _(
            "<b>The Watch menu</b> tells you when a program starts or stops listening on a port, for example the one "
            "you are waiting for; “Watch a port…” takes any number."
        ),
    )
    items = "\n".join(f"<li>{step}</li>" for step in steps)
    return f"""
<ol>
{items}
</ol>
<p>{_("Everything loopgui finds stays on this computer.")}</p>
"""


class HelpDialog(QDialog):
    """A small window with one help page (plain HTML of our own), readable by screen readers."""

    def __init__(self, title: str, body: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_(title))
        self.setObjectName("loopgui-help")
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(body)
        self.browser.setAccessibleName(_(title))
        self.browser.setAccessibleDescription(_("Help text; use the arrow keys to read it."))
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName(_("Close"))
        close.setAccessibleDescription(_("Close this help window."))
        layout.addWidget(buttons)
        self.resize(560, 520)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)


class HelpPages:
    """The help windows of one main window, made once and shown again."""

    def __init__(self, parent: QWidget) -> None:
        self._parent = parent
        self.dialogs: dict[str, HelpDialog] = {}

    def show(self, title: str) -> HelpDialog:
        dialog = self.dialogs.get(title)
        if dialog is None:
            body = legend_html() if title == LEGEND_TITLE else how_to_html()
            dialog = self.dialogs[title] = HelpDialog(title, body, self._parent)
        dialog.show()
        dialog.activateWindow()
        return dialog
