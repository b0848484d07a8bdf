"""Start-up: command-line arguments, logging, the crash dialog, the main window."""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import logging
import logging.handlers
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from loopgui import __version__
from loopgui.core.paths import cache_dir, open_private, private_dir, tighten_files
from loopgui.core.words.i18n import _, ngettext
from loopgui.core.words.paths import os_error_text

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon

    from loopgui.ui.history_panel import HistoryFeature
    from loopgui.ui.main_window import MainWindow
    from loopgui.ui.tray import TrayFeature

log = logging.getLogger("loopgui")

_IMPORTED = time.monotonic()  # the fallback for "when did this program start"

_log_path: Path | None = None


# Options QApplication itself reads (Qt's QApplication/QGuiApplication documentation): they go to Qt, not argparse.
QT_OPTIONS_WITH_VALUE = frozenset(
    {
        "style",
        "stylesheet",
        "platform",
        "platformpluginpath",
        "platformtheme",
        "plugin",
        "qwindowgeometry",
        "geometry",
        "qwindowtitle",
        "title",
        "qwindowicon",
        "icon",
        "display",
        "session",
        "name",
        "qmljsdebugger",
    }
)
QT_FLAGS = frozenset({"reverse", "widgetcount", "nograb", "dograb", "sync"})


def _with_qt_platform(environ: Mapping[str, str], qt_arguments: Sequence[str]) -> dict[str, str]:
    """The environment as Qt will see it: ``-platform offscreen`` on the command line counts like
    QT_QPA_PLATFORM=offscreen."""
    env = dict(environ)
    for i, word in enumerate(qt_arguments):
        if word.startswith("-platform="):
            env["QT_QPA_PLATFORM"] = word.split("=", 1)[1]
        elif word == "-platform" and i + 1 < len(qt_arguments):
            env["QT_QPA_PLATFORM"] = qt_arguments[i + 1]
    return env


def split_qt_args(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(Qt's options, the rest): ``-style Fusion``, ``--platform=offscreen``, ``-reverse`` … go to QApplication."""
    qt: list[str] = []
    rest: list[str] = []
    words = list(argv)
    i = 0
    while i < len(words):
        word = words[i]
        name, eq, _value = word.lstrip("-").partition("=")
        if word.startswith("-") and word != "--" and name in QT_OPTIONS_WITH_VALUE:
            if eq:
                qt.append("-" + word.lstrip("-"))
            elif i + 1 < len(words):
                qt += ["-" + name, words[i + 1]]
                i += 1
            else:
                rest.append(word)  # no value: argparse says what is wrong
        elif word.startswith("-") and not eq and name in QT_FLAGS:
            qt.append("-" + name)
        else:
            rest.append(word)
        i += 1
    return qt, rest


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    from loopgui.cli import verbs_help

    parser = argparse.ArgumentParser(
        prog="loopgui",
        description=_("See which program uses which network port, and what an error message about one means."),
        epilog=_("In a terminal:") + "\n" + verbs_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("text", nargs="*", help=_("an error message or address to investigate at start"))
    parser.add_argument(
        "--interval", type=float, default=None, metavar="SECONDS", help=_("refresh interval, 0.5 to 10 seconds")
    )
    parser.add_argument("--scanner", choices=("auto", "netlink", "psutil"), default="auto", help=argparse.SUPPRESS)
    parser.add_argument(
        "--self-test",
        metavar="PNG",
        default=None,
        help=_("open the window, wait for one scan, save a picture of the window to PNG and exit (0 = all well)"),
    )
    parser.add_argument(
        "--install-desktop",
        action="store_true",
        help=_("add loopgui to the desktop's application menu (in ~/.local/share) and exit"),
    )
    parser.add_argument(
        "--uninstall-desktop",
        action="store_true",
        help=_(
            "remove loopgui from the application menu and from the programs started at login, then say where "
            "its settings, log and history are, and exit"
        ),
    )
    parser.add_argument(
        "--background",
        action="store_true",
        help=_("start with only the tray icon (as “Start loopgui when I log in” does); the window opens from it"),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"loopgui {__version__}",
        help=_("show program's version number and exit"),
    )
    return parser.parse_args(argv)


class PrivateLogFile(logging.handlers.RotatingFileHandler):
    """The log file, 0600 whatever the umask and never opened through a symbolic link (``core/paths.py``)."""

    def _open(self) -> io.TextIOWrapper:
        fd = open_private(Path(self.baseFilename), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


def setup_logging(folder: Path | None) -> Path | None:
    """Log to stderr and, when possible, to ``folder/loopgui.log`` (kept small, private: folder 0700, files 0600)."""
    global _log_path
    root = logging.getLogger("loopgui")
    root.setLevel(logging.INFO)
    if not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
        stream = logging.StreamHandler()
        stream.setLevel(logging.WARNING)
        stream.setFormatter(logging.Formatter("loopgui: %(levelname)s: %(message)s"))
        root.addHandler(stream)
    if folder is not None:
        try:
            private_dir(folder)
            tighten_files(folder, "loopgui.log")  # files an earlier loopgui left readable by others
            path = folder / "loopgui.log"
            handler = PrivateLogFile(path, maxBytes=1_000_000, backupCount=2, encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
            root.addHandler(handler)
            _log_path = path
        except OSError as exc:
            log.warning("cannot write a log file in %s: %s", folder, os_error_text(exc))
    return _log_path


def crash_message(exc_type: type[BaseException], exc: BaseException, log_path: Path | None) -> str:
    parts = [_("Something went wrong inside loopgui. It keeps running, but what you just did may not have finished.")]
    if log_path:
        parts.append(_("The details were saved in {path}.").format(path=log_path))
    parts.append(_("If it happens again, please send the details below to whoever helps you with your computer."))
    parts.append(f"({exc_type.__name__}: {exc})")
    return "\n\n".join(parts)


def _show_crash_dialog(text: str, details: str) -> None:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from loopgui.ui.plain import plain_message_box

    box = QMessageBox(QMessageBox.Icon.Critical, _("loopgui hit a problem"), text, QMessageBox.StandardButton.Ok)
    plain_message_box(box)
    box.setDetailedText(details)
    parent = QApplication.activeWindow()
    if parent is not None:
        box.setParent(parent, box.windowFlags())
    box.exec()


ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], None]


def make_excepthook(show: Callable[[str, str], None] = _show_crash_dialog) -> ExceptHook:
    """An excepthook that logs the error and, on the GUI thread, shows it in a dialog (a bundle has no console)."""
    busy = threading.Lock()

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.critical("unexpected error\n%s", details)
        if threading.current_thread() is not threading.main_thread():
            return
        if not busy.acquire(blocking=False):
            return  # an error while the dialog is open: logged, not stacked
        try:
            from PySide6.QtWidgets import QApplication

            if QApplication.instance() is not None:
                show(crash_message(exc_type, exc, _log_path), details)
        finally:
            busy.release()

    return hook


def _no_dialog(text: str, details: str) -> None:
    print(f"loopgui: {text}\n{details}", file=sys.stderr)


def install_excepthook(*, interactive: bool = True) -> None:
    """``interactive=False`` (the self-test): errors go to standard error, never to a dialog nobody can close."""
    hook = make_excepthook() if interactive else make_excepthook(show=_no_dialog)
    sys.excepthook = hook

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            hook(args.exc_type, args.exc_value, args.exc_traceback)

    threading.excepthook = thread_hook


def _start_ticks(pid: str) -> int:
    """When process ``pid`` ("self" or a number) started, in clock ticks since boot (``/proc/PID/stat`` field 22)."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    return int(stat[stat.rindex(")") + 2 :].split()[19])  # fields[0] is field 3


def launch_pid() -> str:
    """The process the user launched: "self", or for a one-file bundle its bootloader.

    A one-file bundle is started as a bootloader that unpacks the bundle to a temporary folder (``sys._MEIPASS``,
    away from the program file) and then runs it as its child, the same program file: the user's launch is the
    parent's start, so the unpacking is counted.  A one-folder bundle or a source run counts from its own start,
    whatever started it (a shell, the desktop, a Python that runs the tests).
    """
    bundle = getattr(sys, "_MEIPASS", None)
    if not getattr(sys, "frozen", False) or not bundle:
        return "self"
    if os.path.realpath(bundle) == os.path.dirname(os.path.realpath(sys.executable)):
        return "self"  # one folder: nothing was unpacked
    try:
        parent = os.getppid()
        if parent > 1 and os.path.realpath(f"/proc/{parent}/exe") == os.path.realpath(sys.executable):
            return str(parent)
    except OSError:
        pass
    return "self"


def seconds_since_start() -> float:
    """How long ago the user launched loopgui, to the clock tick (a one-file bundle's unpacking included).

    Linux: the start time in ``/proc/PID/stat`` (clock ticks since boot) against CLOCK_BOOTTIME; psutil's
    create_time adds the boot time, which the kernel gives in whole seconds, and was up to a second off.
    Elsewhere: since loopgui was first imported.
    """
    try:
        ticks = _start_ticks(launch_pid())
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return time.monotonic() - _IMPORTED
    return age if 0 <= age < 10**7 else time.monotonic() - _IMPORTED


def font_problem() -> str | None:
    """Plain words when text cannot be drawn (no usable font: every letter would be a box); None when it can."""
    from PySide6.QtGui import QColor, QFontDatabase, QFontMetrics, QGuiApplication, QImage, QPainter

    font = QGuiApplication.font()
    metrics = QFontMetrics(font)

    def picture(text: str) -> bytes:
        image = QImage(48, 48, QImage.Format.Format_ARGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.setFont(font)
        painter.setPen(QColor("black"))
        painter.drawText(4, 36, text)
        painter.end()
        return bytes(image.constBits())

    letters_known = all(metrics.inFont(c) for c in "Aa0")
    if QFontDatabase.families() and letters_known and picture("A") != picture("B"):
        return None
    return _(
        "text cannot be drawn: no usable font was found, so every letter would show as a box. "
        "Install a font, e.g. on Debian or Ubuntu: {command}"
    ).format(command="sudo apt-get install fonts-dejavu-core")


def run_self_test(window: object, png: str, timeout_ms: int = 15000, *, explains: bool = False) -> int:
    """Show the window, wait for one scan (and, with ``explains``, for the explanation of the text given, made
    from that scan), save it as a PNG.  0 when all of that worked."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from loopgui.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    fonts = font_problem()
    if fonts is not None:
        _say(_("self-test: {problem}").format(problem=fonts), sys.stderr)
        window.close()
        return 1
    loop = QEventLoop()
    got: list[object] = []
    explained: list[object] = []

    def settle() -> None:
        if got and (explained or not explains):
            QTimer.singleShot(300, loop.quit)  # let the table and the explanation paint

    def shown(diagnosis: object) -> None:
        if got:  # made from a scan, not from the empty table before it
            explained.append(diagnosis)
            settle()

    def first_table() -> None:
        # the window applied the first snapshot already (its slot was connected first): paint the rows now and
        # tell when the first table was on screen (from launch, as the window's time)
        window.table.viewport().repaint()
        rows = len(getattr(got[0], "rows", ()))
        _say(
            ngettext(
                "self-test: first table ({count} row) shown {seconds} s after the program started",
                "self-test: first table ({count} rows) shown {seconds} s after the program started",
                rows,
            ).format(count=rows, seconds=f"{seconds_since_start():.2f}")
        )

    def done(snapshot: object) -> None:
        got.append(snapshot)
        if len(got) == 1 and window.isVisible():
            first_table()  # else once the window is shown
        settle()

    window.scan_thread.scanned.connect(done)
    window.investigation.diagnosis_shown.connect(shown)
    window.scan_thread.failed.connect(
        lambda msg: _say(_("self-test: scan failed: {problem}").format(problem=msg), sys.stderr)
    )
    QTimer.singleShot(timeout_ms, loop.quit)
    if not window.scan_thread.isRunning():
        window.scan_thread.start()
    window.show()
    QApplication.processEvents()
    _say(
        _("self-test: window shown {seconds} s after the program started").format(
            seconds=f"{seconds_since_start():.2f}"
        )
    )
    if got:  # the first scan came before the window was on screen
        first_table()
    loop.exec()
    QApplication.processEvents()
    saved = window.grab().save(png, "PNG")
    window.close()
    if not got:
        _say(_("self-test: no scan finished in time"), sys.stderr)
        return 1
    if explains and not explained:
        _say(_("self-test: no explanation appeared in time"), sys.stderr)
        return 1
    if not saved:
        _say(_("self-test: could not write {path}").format(path=png), sys.stderr)
        return 1
    rows = len(getattr(got[0], "rows", ()))
    _say(
        ngettext(
            "self-test: ok, {count} socket, picture saved to {path}",
            "self-test: ok, {count} sockets, picture saved to {path}",
            rows,
        ).format(count=rows, path=png)
    )
    return 0


def _say(text: str, stream: TextIO | None = None) -> None:
    """Print, even when whoever reads the output has stopped reading (``| head``)."""
    with contextlib.suppress(OSError):  # BrokenPipeError is an OSError
        print(text, file=stream or sys.stdout, flush=True)


def app_icon() -> QIcon:
    from importlib import resources

    from PySide6.QtGui import QIcon, QPixmap

    pixmap = QPixmap()
    pixmap.loadFromData(resources.files("loopgui.resources").joinpath("loopgui-256.png").read_bytes())
    return QIcon(pixmap)


def install_features(window: MainWindow) -> tuple[HistoryFeature, TrayFeature]:
    """Add the History tab and menu (and recording) and the Watch menu with the tray icon to ``window``."""
    from loopgui.ui.history_panel import HistoryFeature
    from loopgui.ui.settings import Settings
    from loopgui.ui.tray import TrayFeature

    settings = Settings()
    return HistoryFeature(window, settings), TrayFeature(window, settings)


DESKTOP_FILE_NAME = "io.github.loopgui.loopgui"  # resources/io.github.loopgui.loopgui.desktop


def configure_app(app: object) -> None:
    """Names, icon and desktop entry of the application.  No display name: Qt would append it to every window
    title ("loopgui — who uses which port — loopgui").  The desktop file name groups the window with the launcher."""
    from PySide6.QtWidgets import QApplication

    assert isinstance(app, QApplication)
    app.setApplicationName("loopgui")
    app.setOrganizationName("loopgui")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(DESKTOP_FILE_NAME)
    app.setWindowIcon(app_icon())


def own_places(env: Mapping[str, str] | None = None) -> list[Path]:
    """Where loopgui keeps the user's settings, log and history on Linux (Qt's and the XDG defaults)."""
    from loopgui.core.paths import data_dir

    env = os.environ if env is None else env
    home = Path(env.get("HOME") or Path.home())

    def xdg(name: str, default: str) -> Path:
        value = env.get(name, "")
        return Path(value) if value.startswith("/") else home / default

    return [
        xdg("XDG_CONFIG_HOME", ".config") / "loopgui",
        xdg("XDG_CACHE_HOME", ".cache") / "loopgui",
        data_dir(env),
    ]


def uninstall_desktop() -> int:
    """``--uninstall-desktop``: the menu entry, icons and login item go; the user is told what stays."""
    from loopgui.core import autostart
    from loopgui.core.words.window import leftovers_text, uninstalled_text
    from loopgui.desktop import uninstall_desktop_entry

    try:
        removed = uninstall_desktop_entry()
        autostart.disable()
    except OSError as exc:
        print(f"loopgui: {exc}", file=sys.stderr)
        return 1
    print(uninstalled_text(len(removed)))
    print(leftovers_text([str(p) for p in own_places() if p.exists()] or [str(p) for p in own_places()]))
    return 0


def start_language() -> str:
    """Choose the language before any parser or help text is built: the Language menu's choice, else the system's
    (the window's rule, for ``loopgui --help`` and the verbs too); argparse's own words follow it."""
    from loopgui.core.remembered import language_setting, settings_file
    from loopgui.core.words import argparse_texts, i18n

    path = settings_file()
    if path is not None:  # Linux and other Unix systems: the settings are a file, read without loading Qt
        code = i18n.set_language(language_setting(path) or None)
    else:  # pragma: no cover - Windows and macOS: only QSettings reads the registry and property lists
        try:
            from loopgui.ui.language import at_start
        except ImportError:  # a Qt that cannot be loaded: the verbs still run, in the system's language
            code = i18n.set_language(None)
        else:
            code = at_start()
    argparse_texts.install()
    return code


class StartupCollector:
    """Python's cyclic garbage collector stays off while the window starts, then what the start made is frozen.

    Starting makes hundreds of thousands of objects that live as long as the program (modules, classes, Qt's
    enumerations): the collector would walk all of them again and again while they are made (about 0.1 s of a
    0.5 s start), and at every full collection after.  It is switched off until the window has shown its first
    table (or STARTUP_GC_LIMIT seconds have passed); then everything alive is frozen (``gc.freeze``: never walked
    again) and the collector runs as usual for what comes after."""

    def __init__(self) -> None:
        self._was_on = gc.isenabled()
        gc.disable()
        self._done = False

    def resume_after(self, window: MainWindow) -> None:
        from PySide6.QtCore import QTimer

        window.first_table_shown.connect(self.resume)
        QTimer.singleShot(int(STARTUP_GC_LIMIT * 1000), self.resume)

    def resume(self) -> None:
        if self._done:
            return
        self._done = True
        gc.freeze()
        if self._was_on:
            gc.enable()


STARTUP_GC_LIMIT = 5.0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    from loopgui.cli import run_verb

    code = run_verb(arguments, start_language())
    if code is not None:
        return code
    qt_arguments, arguments = split_qt_args(arguments)
    args = parse_args(arguments)
    if args.install_desktop:
        from loopgui.desktop import install_desktop_entry

        try:
            files = install_desktop_entry()
        except (OSError, ValueError) as exc:
            print(_("loopgui: could not add the menu entry: {reason}").format(reason=exc), file=sys.stderr)
            return 1
        print(
            ngettext(
                "loopgui is now in the application menu ({count} file in {folder}).",
                "loopgui is now in the application menu ({count} files in {folder}).",
                len(files),
            ).format(count=len(files), folder=files[0].parent.parent)
        )

        return 0

    if args.uninstall_desktop:
        return uninstall_desktop()

    from loopgui.display import display_problem

    problem = display_problem(_with_qt_platform(os.environ, qt_arguments))
    if problem is not None:
        _say(f"loopgui: {problem}", sys.stderr)
        return 1

    from loopgui.core.net.scanner import FirstScan, make_scanner

    startup_gc = StartupCollector()  # no cyclic garbage collection while the window starts
    first_scan = FirstScan(make_scanner(args.scanner))  # runs while Qt and the window load

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from loopgui.ui.main_window import MainWindow

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([*sys.argv[:1], *qt_arguments])
    configure_app(app)
    from loopgui.ui.caret import CaretRest

    _caret_rest = CaretRest(app)  # the text cursor rests after 10 s without input: an idle window repaints nothing
    from loopgui.ui import language

    language.apply(app)
    setup_logging(cache_dir())
    install_excepthook(interactive=not args.self_test)

    window = MainWindow(first_scan.scanner, start=False)
    window.scan_thread.use_first_scan(first_scan)
    startup_gc.resume_after(window)
    if args.interval is not None:
        window.set_interval(args.interval)
    features = install_features(window)  # History tab and recording, Watch menu and tray icon
    if not args.self_test:  # the self-test starts it once it listens (the early first scan is sent at once)
        window.scan_thread.start()
    if args.text:
        window.investigate_edit.setText(" ".join(args.text))
        window.investigate()
    if args.self_test:
        return run_self_test(window, args.self_test, explains=bool(args.text))
    if args.background and features[1].notifier.is_tray:
        return app.exec()  # the tray icon brings the window
    window.show()
    if not args.text:
        QTimer.singleShot(400, window.offer_clipboard)
    return app.exec()
