"""Times in words, in the user's language: "3 minutes ago", "started 12 minutes ago", "10:04:55"."""

from __future__ import annotations

import time
from datetime import datetime

from loopgui.core.words.i18n import _, format_clock, format_datetime, format_duration, ngettext


def ago(t: float, now: float | None = None) -> str:
    """``3 minutes ago`` (``less than a minute ago`` under a minute)."""
    seconds = max(0.0, (time.time() if now is None else now) - t)
    if seconds < 60:
        return _("less than a minute ago")
    for size, singular, plural in (
        (86400, "{n} day ago", "{n} days ago"),
        (3600, "{n} hour ago", "{n} hours ago"),
        (60, "{n} minute ago", "{n} minutes ago"),
    ):
        if seconds >= size:
            n = int(seconds // size)
            return ngettext(singular, plural, n).format(n=n)
    return _("just now")


def started_ago(create_time: float, now: float | None = None) -> str:
    """``started 12 minutes ago``."""
    seconds = max(0.0, (time.time() if now is None else now) - create_time)
    if seconds < 60:
        return _("started less than a minute ago")
    for size, singular, plural in (
        (86400, "started {n} day ago", "started {n} days ago"),
        (3600, "started {n} hour ago", "started {n} hours ago"),
        (60, "started {n} minute ago", "started {n} minutes ago"),
    ):
        if seconds >= size:
            n = int(seconds // size)
            return ngettext(singular, plural, n).format(n=n)
    return _("started just now")


def clock(t: float, now: float | None = None) -> str:
    """10:02:11 today; the date and time before that."""
    moment = datetime.fromtimestamp(t)
    today = datetime.fromtimestamp(time.time() if now is None else now)
    if moment.date() == today.date():
        return format_clock(t)
    return format_datetime(t)


def duration(seconds: float) -> str:
    """``2 minutes`` / ``under a second``: how long something lasted, rounded as people say it."""
    if seconds < 1:
        return _("under a second")
    return format_duration(seconds)
