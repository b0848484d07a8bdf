"""The "Test own network addresses" button of the Connectivity tests tab.

It connects to the port on each of this computer's own network addresses (never to another computer) and lists
which answered: that shows whether the program's listening address leaves them out.  It runs only when pressed,
off the GUI thread, with the tab's time limit and Cancel, like the other tests.
"""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton

from loopgui.core.net.probes import Cancel, ProbeResult
from loopgui.core.reach import assess as reach

TEXT = "Test own network addresses"  # short: the tab's buttons share a grid (and the window's minimum width)
NAME = "Test from this computer's own network addresses"
TIP = (
    "Connect to this port on each of this computer's own network addresses (Wi-Fi, cable, VPN…) and show which "
    "answered: if they answer, other computers on those networks can try too. Nothing else is contacted."
)


def make_button() -> QPushButton:
    button = QPushButton(TEXT)
    button.setToolTip(TIP)
    button.setAccessibleName(NAME)
    return button


def message(port: int) -> str:
    return f"Connecting to port {port} on this computer's own network addresses…"


def work(port: int, timeout: float, cancel: Cancel) -> list[ProbeResult]:
    return reach.own_address_probe(port, timeout, cancel)
