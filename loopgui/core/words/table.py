"""The bar above the table, in words: what the table is narrowed to, how many sockets use those ports on this
computer (counted over every socket, never over the filtered rows), and how many of them the user's filter hides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from loopgui.core.explain.endpoints import FindResult
from loopgui.core.net.sockets import SocketRow
from loopgui.core.words.explain import problem
from loopgui.core.words.filter import RowFilter
from loopgui.core.words.i18n import _, format_list, ngettext


@dataclass(frozen=True, slots=True)
class PortUse:
    """Facts for the bar: sockets on the investigated ports over all sockets, and how many the filter hides."""

    ports: frozenset[int]
    on_ports: int  # sockets using one of the ports (local or remote side), whatever the filter
    hidden: int  # of those, the ones the user's own filter (text, listening only, TCP/UDP) hides


def port_use(rows: Mapping[bytes, SocketRow], ports: frozenset[int], user_filter: RowFilter) -> PortUse:
    """Count over every socket of the snapshot; ``user_filter`` is the filter without the investigation's ports."""
    on = [r for r in rows.values() if r.local_port in ports or r.remote_port in ports]
    hidden = sum(1 for r in on if not user_filter.accepts(r))
    return PortUse(ports, len(on), hidden)


def bar_text(found: FindResult | None, use: PortUse | None) -> str:
    """The sentence of the bar above the table ("" when the table is not narrowed)."""
    if found is None:
        return ""
    if found.endpoints:
        ports = sorted(found.ports)
        names = [e.display for e in found.endpoints[:5]]
        listed = format_list([str(p) for p in ports])
        if any(e.host for e in found.endpoints):
            text = ngettext(
                "Showing what uses port {ports} (found: {addresses}).",
                "Showing what uses ports {ports} (found: {addresses}).",
                len(ports),
            ).format(ports=listed, addresses=format_list(names))
        else:
            text = ngettext("Showing what uses port {ports}.", "Showing what uses ports {ports}.", len(ports)).format(
                ports=listed
            )
        if use is None:
            return text
        if use.on_ports == 0:
            return _("{sentence} Nothing on this computer uses it right now.").format(sentence=text)
        if use.hidden:
            hidden = ngettext(
                "{count} row is hidden by your filter.", "{count} rows are hidden by your filter.", use.hidden
            ).format(count=use.hidden)
            return _("{sentence} {hidden}").format(sentence=text, hidden=hidden)
        return text
    if found.host_only:
        return _("The text names the computer “{host}”, but no port number.").format(host=found.host_only)
    lines = [_("No address or port number found in that text."), *(problem(p) for p in found.problems)]
    lines.append(_("Paste text that contains something like 127.0.0.1:62893 or “port 5432”."))
    return " ".join(lines)
