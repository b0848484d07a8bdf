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
    if seconds >= 86400:
        n = int(seconds // 86400)
        return ngettext("{n} day ago", "{n} days ago", n).format(n=n)
    if seconds >= 3600:
        n = int(seconds // 3600)
        return ngettext("{n} hour ago", "{n} hours ago", n).format(n=n)
    n = int(seconds // 60)
    return ngettext("{n} minute ago", "{n} minutes ago", n).format(n=n)


def started_ago(create_time: float, now: float | None = None) -> str:
    """``started 12 minutes ago``."""
    seconds = max(0.0, (time.time() if now is None else now) - create_time)
    if seconds < 60:
        return _("started less than a minute ago")
    if seconds >= 86400:
        n = int(seconds // 86400)
        return ngettext("started {n} day ago", "started {n} days ago", n).format(n=n)
    if seconds >= 3600:
        n = int(seconds // 3600)
        return ngettext("started {n} hour ago", "started {n} hours ago", n).format(n=n)
    n = int(seconds // 60)
    return ngettext("started {n} minute ago", "started {n} minutes ago", n).format(n=n)


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
