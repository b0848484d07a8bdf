"""Connection states in words: the table's human names and what each state means (tooltips, Properties, Help).

Marked with ``N_`` and translated where shown (``_(STATE_LABELS[state])``): the language is chosen after import.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from loopgui.core.words.i18n import N_

# Plain-language meaning of each connection state, for tooltips and reports.
STATE_HELP: Mapping[str, str] = MappingProxyType(
    {
        "LISTEN": N_("Waiting for connections: a program offers a service on this port."),
        "ESTABLISHED": N_("Connected: the two sides can exchange data."),
        "SYN_SENT": N_("Trying to connect: no answer from the other side yet."),
        "SYN_RECV": N_("A new connection is being set up."),
        "FIN_WAIT1": N_("Closing: this side has said goodbye."),
        "FIN_WAIT2": N_("Closing: waiting for the other side to say goodbye."),
        "TIME_WAIT": N_("Recently closed. Nobody holds it; the system frees it within a minute."),
        "CLOSE": N_("Closed."),
        "CLOSE_WAIT": N_("The other side closed the connection; the program here has not closed it yet."),
        "LAST_ACK": N_("Closing: waiting for the last confirmation from the other side."),
        "CLOSING": N_("Closing: both sides said goodbye at the same time."),
        "NONE": N_("UDP has no connections: the program sends and receives single messages on this port."),
    }
)

# How a state is shown in the table, human name first (the technical name follows it there; see core.labels).
STATE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "LISTEN": N_("Waiting for connections"),
        "ESTABLISHED": N_("Connected"),
        "SYN_SENT": N_("Connecting"),
        "SYN_RECV": N_("Connecting"),
        "FIN_WAIT1": N_("Closing"),
        "FIN_WAIT2": N_("Closing"),
        "TIME_WAIT": N_("Closing (leftover)"),
        "CLOSE": N_("Closed"),
        "CLOSE_WAIT": N_("Closing (other side left)"),
        "LAST_ACK": N_("Closing"),
        "CLOSING": N_("Closing"),
        "NONE": N_("Open for messages"),
    }
)
