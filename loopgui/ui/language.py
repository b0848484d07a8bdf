"""The user's language: loopgui's own catalogs and, in the window, Qt's (standard buttons, context menus), chosen
from View ▸ Language (remembered; it takes effect when loopgui starts again), else from the system.  The same rule
for the window, ``loopgui --help`` and the terminal verbs; this module loads only QtCore until a menu is built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QSettings, QTranslator

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMenu, QWidget

from loopgui.core.words import i18n
from loopgui.core.words.i18n import _

KEY = "ui/language"  # "" = the system's language
SYSTEM = ""


def chosen(settings: QSettings | None = None) -> str:
    """The language the user chose in the menu ("" for the system's); anything unknown counts as the system's."""
    q = settings if settings is not None else QSettings("loopgui", "loopgui")
    raw = q.value(KEY, SYSTEM)
    if not isinstance(raw, str) or len(raw) > 16:
        return SYSTEM
    return i18n.match_language(raw) or SYSTEM


def at_start() -> str:
    """The language to speak on Windows and macOS from the first line on (``--help``, the terminal verbs, then the
    window): the one chosen in the menu, else the system's.  Only QtCore is loaded for it (QSettings reads the
    registry and property lists); ``app.start_language`` reads Linux's settings file without Qt."""
    return i18n.set_language(chosen() or None)


def apply(app: QCoreApplication, settings: QSettings | None = None) -> str:
    """Speak the chosen (or the system's) language: loopgui's texts and Qt's own.  Returns the code in use."""
    code = i18n.set_language(chosen(settings) or None)
    if code != i18n.SOURCE:
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        for name in ("qtbase", "qt"):
            translator = QTranslator(app)
            if translator.load(f"{name}_{code}", folder):
                app.installTranslator(translator)
                break
    return code


def add_menu(parent_menu: QMenu, window: QWidget, notify: object = None) -> QMenu:
    """View ▸ Language: the system's language or one of loopgui's, remembered for the next start."""
    from PySide6.QtGui import QActionGroup  # noqa: PLC0415 - the verbs and --help load only QtCore

    menu = parent_menu.addMenu(_("&Language"))
    group = QActionGroup(menu)
    group.setExclusive(True)
    current = chosen()
    entries = [(SYSTEM, _("The system's language"))] + [(code, name) for code, name in i18n.LANGUAGES.items()]
    for code, name in entries:
        action = menu.addAction(name)
        action.setCheckable(True)
        action.setChecked(code == current)
        action.setData(code)
        group.addAction(action)

    def picked(action: object) -> None:
        code = getattr(action, "data", lambda: SYSTEM)()
        q = QSettings("loopgui", "loopgui")
        q.setValue(KEY, code if isinstance(code, str) else SYSTEM)
        q.sync()
        if callable(notify):
            notify(_("The language changes when loopgui starts again."))

    group.triggered.connect(picked)
    return menu
