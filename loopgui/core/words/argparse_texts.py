"""argparse's own words (``usage:``, ``options``, its error messages) in the user's language.

Python ships no translation of argparse's texts (Debian 12's python3.11 neither: no ``messages`` catalog for it in
/usr/share/locale), so ``loopgui --help`` printed "usage:" and "options:" in English around translated help.  argparse
looks each of its texts up through the module-level ``_`` and ``ngettext`` it imported from gettext; ``install()``
points them at loopgui's catalog, which carries argparse's msgids (Python 3.11's, those a user of loopgui's verbs can
meet; listed below so that extraction finds them).  A text not listed stays argparse's English.
"""

from __future__ import annotations

import argparse

from loopgui.core.words.i18n import N_, _, ngettext

# Exactly as argparse writes them (msgid = argparse's English, %-placeholders included).
TEXTS = (
    # TRANSLATORS: argparse: the start of the usage line, "usage: loopgui check [-h] …" (keep the space at the end).
    N_("usage: "),
    # TRANSLATORS: argparse: the heading of the options list in --help.
    N_("options"),
    # TRANSLATORS: argparse: the heading of the list of values given without an option (TARGET, TEXT) in --help.
    N_("positional arguments"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    # TRANSLATORS: argparse: the frame of every error; %(prog)s is "loopgui check", keep the line break at the end.
    N_("%(prog)s: error: %(message)s\n"),
    # TRANSLATORS: argparse: %(argument_name)s is an option such as --timeout, %(message)s what is wrong with it.
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    # TRANSLATORS: argparse: %(type)s is a Python type name such as float, %(value)r the value typed.
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
)


def install() -> None:
    """Make argparse speak the user's language (the one ``i18n.set_language`` chose, now and after a change)."""
    setattr(argparse, "_", _)  # noqa: B010 - argparse reads these module globals at each use
    setattr(argparse, "ngettext", ngettext)  # noqa: B010
