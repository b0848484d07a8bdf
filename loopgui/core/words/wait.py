"""What ``loopgui wait`` says."""

from __future__ import annotations

from loopgui.core.text.plaintext import shown
from loopgui.core.words.i18n import _, format_number


def _seconds(seconds: float) -> str:
    return format_number(round(seconds, 1))


def answers(address: str, took: float) -> str:
    return _("{address} answers (after {seconds} s).").format(address=address, seconds=_seconds(took))


def closed(target: str, took: float) -> str:
    return _("Nothing listens on {target} any more (after {seconds} s).").format(target=target, seconds=_seconds(took))


def still_answers(address: str) -> str:
    return _("{address} still answers.").format(address=address)


def stopped(target: str, took: float, terminated: bool, *, closed: bool) -> str:
    """Stopped by the user (Ctrl+C) or by SIGTERM: the real time waited, never the timeout."""
    if terminated:
        if closed:
            return _("Stopped (SIGTERM) after {seconds} s; something still listened on {target}.").format(
                seconds=_seconds(took), target=target
            )
        return _("Stopped (SIGTERM) after {seconds} s; nothing answered on {target} until then.").format(
            seconds=_seconds(took), target=target
        )
    if closed:
        return _("Stopped (Ctrl+C) after {seconds} s; something still listened on {target}.").format(
            seconds=_seconds(took), target=target
        )
    return _("Stopped (Ctrl+C) after {seconds} s; nothing answered on {target} until then.").format(
        seconds=_seconds(took), target=target
    )


def timed_out(target: str, timeout: float, last: str, *, closed: bool) -> str:
    if closed:
        text = _("Something still listened on {target} after {seconds} s.").format(
            target=target, seconds=_seconds(timeout)
        )
    else:
        text = _("Nothing answered on {target} within {seconds} s.").format(target=target, seconds=_seconds(timeout))
    if last:
        return _("{sentence} Last attempt: {problem}").format(sentence=text, problem=last)
    return text


def bad_host(host: str) -> str:
    """A host with control characters, spaces or shell syntax (shown cleaned)."""
    return _("loopgui wait: “{host}” is not a computer name or address.").format(host=shown(host, 60))
