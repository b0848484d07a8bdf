"""Every folder and file loopgui writes, and how: private to the user, never through a symbolic link.

Where (Linux and BSD; ``XDG_*`` variables win wherever they are absolute paths):
- data: ``~/.local/share/loopgui`` (the history database, its lock and set-aside copies);
- config: ``~/.config/loopgui`` (the settings file);
- cache: ``~/.cache/loopgui`` (the log file ``loopgui.log``);
- autostart: ``~/.config/autostart/io.github.loopgui.loopgui.desktop`` (``core/autostart.py``).
Windows keeps them under ``%APPDATA%`` / ``%LOCALAPPDATA%``, macOS under ``~/Library``.

How: loopgui's own folders are made 0700 (a folder the user owns that is wider, for example one made earlier as
0755, is tightened), its files 0600 whatever the umask (created with ``O_CREAT`` and that mode, tightened when
they exist).  A folder or file of loopgui's that is a symbolic link, not a folder (or not a regular file), or owned by
someone else is refused: :class:`UnsafePath` carries the fact (a code and the path), ``core/words/paths.py`` says it.
Files are opened with ``O_NOFOLLOW``; folders are checked with ``lstat`` and opened with ``O_NOFOLLOW |
O_DIRECTORY`` before their mode is changed through the open descriptor, so a link swapped in between is noticed.
"""

from __future__ import annotations

import contextlib
import enum
import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP = "loopgui"
FOLDER_MODE = 0o700
FILE_MODE = 0o600
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_POSIX = os.name == "posix"


class PathProblem(str, enum.Enum):
    """Why loopgui refuses to use one of its folders or files."""

    SYMLINK = "symlink"  # it is a symbolic link (it could lead anywhere, such as a shared folder)
    NOT_A_FOLDER = "not_a_folder"
    NOT_A_FILE = "not_a_file"  # a folder, a device, a pipe where a file should be
    OTHER_OWNER = "other_owner"  # another user owns it (loopgui cannot keep it private)


class UnsafePath(OSError):
    """loopgui refuses ``path`` (``problem`` says why); nothing was written there."""

    def __init__(self, problem: PathProblem, path: Path) -> None:
        super().__init__(f"{problem.value}: {path}")
        self.problem = problem
        self.path = path


@dataclass(frozen=True, slots=True)
class Folders:
    data: Path
    config: Path
    cache: Path


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def _home(env: Mapping[str, str]) -> Path:
    return Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())


def _xdg(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "")
    return Path(value) if value and os.path.isabs(value) else None


def data_dir(env: Mapping[str, str] | None = None, platform: str = sys.platform) -> Path:
    """loopgui's folder in the user's data directory (``XDG_DATA_HOME`` wins wherever it is set: tests set it)."""
    env = _env(env)
    xdg = _xdg(env, "XDG_DATA_HOME")
    if xdg is not None:
        return xdg / APP
    home = _home(env)
    if platform == "win32":
        appdata = env.get("APPDATA", "")
        return (Path(appdata) if appdata else home / "AppData" / "Roaming") / APP
    if platform == "darwin":
        return home / "Library" / "Application Support" / APP
    return home / ".local" / "share" / APP


def config_home(env: Mapping[str, str] | None = None) -> Path:
    """The user's configuration directory (``XDG_CONFIG_HOME`` or ``~/.config``)."""
    env = _env(env)
    return _xdg(env, "XDG_CONFIG_HOME") or _home(env) / ".config"


def config_dir(env: Mapping[str, str] | None = None, platform: str = sys.platform) -> Path:
    """Where the settings file lives."""
    env = _env(env)
    if platform == "win32":
        appdata = env.get("APPDATA", "")
        return (Path(appdata) if appdata else _home(env) / "AppData" / "Roaming") / APP
    if platform == "darwin":
        return _home(env) / "Library" / "Preferences" / APP
    return config_home(env) / APP


def cache_dir(env: Mapping[str, str] | None = None, platform: str = sys.platform) -> Path:
    """Where the log file lives."""
    env = _env(env)
    if platform == "win32":
        local = env.get("LOCALAPPDATA", "")
        return (Path(local) if local else _home(env) / "AppData" / "Local") / APP / "cache"
    if platform == "darwin":
        return _home(env) / "Library" / "Caches" / APP
    return (_xdg(env, "XDG_CACHE_HOME") or _home(env) / ".cache") / APP


def folders(env: Mapping[str, str] | None = None, platform: str = sys.platform) -> Folders:
    return Folders(data_dir(env, platform), config_dir(env, platform), cache_dir(env, platform))


def log_file(env: Mapping[str, str] | None = None) -> Path:
    return cache_dir(env) / "loopgui.log"


# -- making them private ---------------------------------------------------------------------------------------


def _owned(st: os.stat_result) -> bool:
    return not _POSIX or st.st_uid == os.geteuid()


def private_dir(path: Path) -> Path:
    """``path`` as a private folder of loopgui's: created 0700 (its parents as the system makes them), tightened to
    0700 when the user owns it and it is wider.  Raises :class:`UnsafePath` for a symbolic link, something that is
    not a folder or a folder of another user; OSError when it cannot be made."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, FOLDER_MODE)  # the umask may take bits away, never add them; fixed below anyway
        st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise UnsafePath(PathProblem.SYMLINK, path)
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafePath(PathProblem.NOT_A_FOLDER, path)
    if not _POSIX:
        return path
    if not _owned(st):
        raise UnsafePath(PathProblem.OTHER_OWNER, path)
    if stat.S_IMODE(st.st_mode) != FOLDER_MODE:
        try:
            fd = os.open(path, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC)
        except OSError as exc:
            if os.path.islink(path):
                raise UnsafePath(PathProblem.SYMLINK, path) from exc
            raise
        try:
            if not stat.S_ISDIR(os.fstat(fd).st_mode):  # pragma: no cover - swapped between lstat and open
                raise UnsafePath(PathProblem.NOT_A_FOLDER, path)
            os.fchmod(fd, FOLDER_MODE)
        finally:
            os.close(fd)
    return path


def open_private(path: Path, flags: int = os.O_RDWR | os.O_CREAT, *, folder: bool = True) -> int:
    """Open (create) ``path`` as a private file: mode 0600 whatever the umask, never through a symbolic link, in a
    private folder (``folder=False`` leaves the folder as it is, for a shared one such as ``~/.config/autostart``).
    Returns the descriptor.  Raises :class:`UnsafePath` or OSError."""
    if folder:
        private_dir(path.parent)
    try:
        fd = os.open(path, flags | _NOFOLLOW | _CLOEXEC, FILE_MODE)
    except OSError as exc:
        if os.path.islink(path):
            raise UnsafePath(PathProblem.SYMLINK, path) from exc
        if os.path.isdir(path):
            raise UnsafePath(PathProblem.NOT_A_FILE, path) from exc
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePath(PathProblem.NOT_A_FILE, path)
        if _POSIX:
            if not _owned(st):
                raise UnsafePath(PathProblem.OTHER_OWNER, path)
            if stat.S_IMODE(st.st_mode) != FILE_MODE:
                os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def touch_private(path: Path) -> Path:
    """Create ``path`` empty if missing (0600), or make an existing one private; the folder private too."""
    os.close(open_private(path, os.O_RDONLY | os.O_CREAT))
    return path


def tighten_files(folder: Path, prefix: str = "") -> None:
    """Make the regular files the user owns directly in ``folder`` (starting with ``prefix``) 0600: files written
    by an earlier loopgui under a wider umask.  Links and others' files are left alone (never followed)."""
    if not _POSIX:
        return
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and _owned(st) and stat.S_IMODE(st.st_mode) != FILE_MODE:
                fd = os.open(entry.path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
                try:
                    os.fchmod(fd, FILE_MODE)
                finally:
                    os.close(fd)
        except OSError:
            continue


def write_private(path: Path, data: bytes, *, folder: bool = True) -> None:
    """Replace ``path``'s content with ``data`` as a private file, refusing a symbolic link where it stands.

    Written to a new file beside it (``O_EXCL``) and renamed over it, so a reader never sees half a file and a link
    swapped in meanwhile is replaced, not followed."""
    if folder:
        private_dir(path.parent)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise UnsafePath(PathProblem.SYMLINK, path)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePath(PathProblem.NOT_A_FILE, path)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)
    fd = open_private(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, folder=False)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def remove_file(path: Path) -> None:
    """Remove ``path`` (a link is removed itself, never what it points to); nothing when it is not there."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
