"""Which process owns the display loopgui draws on (Linux): the X server of ``DISPLAY`` or the Wayland compositor
of ``WAYLAND_DISPLAY``, found by who holds the listening socket of that display."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping

log = logging.getLogger("loopgui.display")

MAX_UNIX_LINES = 200_000  # /proc/net/unix lines read at most
_DISPLAY = re.compile(r"^(?:unix)?:(\d{1,5})(?:\.\d{1,5})?$")
_ACCEPTCON = 0x10000  # __SO_ACCEPTCON in /proc/net/unix flags: a listening socket


def display_socket_paths(environ: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """(display name, socket path) pairs of the displays named in ``environ``: X11's ``DISPLAY=:N`` is the socket
    /tmp/.X11-unix/XN (also in the abstract namespace), Wayland's ``WAYLAND_DISPLAY`` a socket in XDG_RUNTIME_DIR
    (or an absolute path)."""
    out: list[tuple[str, str]] = []
    display = environ.get("DISPLAY", "")
    m = _DISPLAY.match(display)
    if m:
        path = f"/tmp/.X11-unix/X{int(m.group(1))}"
        out += [(display, path), (display, "@" + path)]
    wayland = environ.get("WAYLAND_DISPLAY", "")
    if wayland and "\n" not in wayland:
        if wayland.startswith("/"):
            out.append((wayland, wayland))
        elif environ.get("XDG_RUNTIME_DIR", "").startswith("/"):
            out.append((wayland, os.path.join(environ["XDG_RUNTIME_DIR"], wayland)))
    return tuple(out)


def listening_unix_inodes(paths: Iterable[str], net_unix: str = "/proc/net/unix") -> dict[int, str]:
    """inode -> path of the listening Unix sockets bound to one of ``paths`` (Linux)."""
    wanted = set(paths)
    found: dict[int, str] = {}
    if not wanted:
        return found
    try:
        with open(net_unix, encoding="utf-8", errors="replace") as f:
            next(f, None)  # the header
            for n, line in enumerate(f):
                if n >= MAX_UNIX_LINES:
                    break
                parts = line.split()
                if len(parts) < 8 or parts[7] not in wanted:
                    continue
                try:
                    flags, inode = int(parts[3], 16), int(parts[6])
                except ValueError:
                    continue
                if flags & _ACCEPTCON:
                    found[inode] = parts[7]
    except OSError as exc:
        log.debug("cannot read %s: %s", net_unix, exc)
    return found


def socket_owners(inodes: Iterable[int], proc: str = "/proc") -> set[int]:
    """The PIDs that hold one of the socket ``inodes`` open (the processes whose descriptors loopgui may read)."""
    targets = {f"socket:[{i}]" for i in inodes}
    owners: set[int] = set()
    if not targets:
        return owners
    try:
        pids = [int(d) for d in os.listdir(proc) if d.isdigit()]
    except OSError:
        return owners
    for pid in pids:
        try:
            fds = os.listdir(f"{proc}/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"{proc}/{pid}/fd/{fd}") in targets:
                    owners.add(pid)
                    break
            except OSError:
                continue
    return owners


def display_servers(
    environ: Mapping[str, str] | None = None, *, net_unix: str = "/proc/net/unix", proc: str = "/proc"
) -> dict[int, str]:
    """PID -> display name of the processes that own the display loopgui draws on (Linux; {} elsewhere)."""
    if not sys.platform.startswith("linux"):
        return {}
    pairs = display_socket_paths(os.environ if environ is None else environ)
    names = {path: name for name, path in pairs}
    inodes = listening_unix_inodes(names, net_unix)
    out: dict[int, str] = {}
    for inode, path in inodes.items():
        for pid in socket_owners([inode], proc):
            out.setdefault(pid, names[path])
    return out
