"""Watch notices in words: the tray's title and text for a :class:`WatchEvent`."""

from __future__ import annotations

from loopgui.core.watch import WatchEvent, WatchKind
from loopgui.core.words.i18n import _
from loopgui.core.words.programs import program_text


def title(event: WatchEvent) -> str:
    if event.kind is WatchKind.STARTED:
        return _("Port {port} is in use now").format(port=event.port)
    if event.kind is WatchKind.STOPPED:
        return _("Port {port} is free now").format(port=event.port)
    return _("{program} started listening").format(program=event.program or program_text("", event.pid))


def text(event: WatchEvent) -> str:
    who = program_text(event.program, event.pid)
    if event.kind is WatchKind.STARTED:
        return _("{program} started listening on {address}.").format(program=who, address=event.address)
    if event.kind is WatchKind.STOPPED:
        return _("Nothing listens on port {port} any more: the program that had it stopped.").format(port=event.port)
    return _("{program} started listening on {address}: other programs can connect to it there.").format(
        program=who, address=event.address
    )
