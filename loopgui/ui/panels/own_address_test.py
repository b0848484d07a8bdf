"""The "Test own network addresses" button of the Connectivity tests tab.

It connects to the port on each of this computer's own network addresses (never to another computer) and lists
which answered: that shows whether the program's listening address leaves them out.  That traffic goes over
loopback, which the firewall does not filter like traffic from other computers: each row says so, and an address
whose loopback traffic this computer's firewall filters is shown as "no usable answer", not as a "no".  It runs
only when pressed, off the GUI thread, with the tab's time limit and Cancel, like the other tests.
"""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton

from loopgui.core.cancel import Cancel
from loopgui.core.net.probes import ProbeResult
from loopgui.core.reach import assess as reach
from loopgui.core.words import reach as reach_words
from loopgui.core.words.i18n import N_, _

# Marked here, translated in make_button(): the language is chosen after import.
TEXT = N_("Test own network addresses")  # short: the tab's buttons share a grid (and the window's minimum width)
NAME = N_("Test from this computer's own network addresses")
TIP = N_(
    "Connect to this port on each of this computer's own network addresses (Wi-Fi, cable, VPN…) and show which "
    "answered: that shows whether the program takes connections there. The test goes over loopback, so it does "
    "not show what the firewall does to other computers. Nothing else is contacted."
)


def make_button() -> QPushButton:
    button = QPushButton(_(TEXT))
    button.setToolTip(_(TIP))
    button.setAccessibleName(_(NAME))
    return button


def message(port: int) -> str:
    return _("Connecting to port {port} on this computer's own network addresses…").format(port=port)


def work(port: int, timeout: float, cancel: Cancel, targets: list[tuple[str, str]] | None = None) -> list[ProbeResult]:
    if targets is None:
        targets = reach.own_addresses(reach.interfaces())
    results = reach.own_address_test(port, targets, timeout, cancel) if targets else []
    filtered = reach.own_test_filtered(results, port) if results else ()
    return reach_words.own_probe_results(results, port, filtered)
