"""The table's filter: which rows it shows for what the user typed.  A word matches what the table shows (the
human state names in the user's language, the program, why there is none) and the technical words ("listen",
"ipv6", "hidden", "nobody"), so it lives with the words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from loopgui.core.net.sockets import ORPHAN_STATES, TCP, UNIX, SocketRow
from loopgui.core.words.i18n import _
from loopgui.core.words.programs import closed_text, hidden_text
from loopgui.core.words.states import STATE_LABELS


@dataclass(frozen=True, slots=True)
class RowFilter:
    """Which rows the table shows.  Each word of ``text`` matches any column (case-insensitive), except that a
    number matches a whole port or PID ("8080" does not find 48080); ``ports`` keeps rows whose local or remote port
    is one of them (the investigate bar sets it)."""

    text: str = ""
    listening_only: bool = False
    tcp: bool = True
    udp: bool = True
    ports: frozenset[int] = frozenset()
    elsewhere: bool = False  # also file sockets and other namespaces' sockets (the scanner reads them on request)

    @property
    def is_everything(self) -> bool:
        return not self.text.strip() and not self.listening_only and self.tcp and self.udp and not self.ports

    def select(self, rows: Iterable[SocketRow]) -> list[SocketRow]:
        """The rows this filter accepts, in their order (the same as :meth:`accepts` on each, quicker when the
        filter keeps everything)."""
        if self.is_everything:
            return list(rows) if self.elsewhere else [r for r in rows if not r.elsewhere]
        return [r for r in rows if self.accepts(r)]

    def accepts(self, row: SocketRow) -> bool:
        if row.elsewhere and not self.elsewhere:
            return False
        if row.proto == UNIX:
            pass  # neither TCP nor UDP: the two switches do not apply
        elif row.proto == TCP:
            if not self.tcp:
                return False
        elif not self.udp:
            return False
        if self.listening_only and not row.is_listening:
            return False
        if self.ports and row.local_port not in self.ports and row.remote_port not in self.ports:
            return False
        words = self.text.casefold().split()
        if words:
            haystack = ""
            for word in words:
                if word.isascii() and word.isdigit():  # a number is a whole port (or PID): "8080" is not 48080
                    if int(word) not in (row.local_port, row.remote_port or -1, row.pid):
                        return False
                    continue
                haystack = haystack or search_text(row)
                if word not in haystack:
                    return False
        return True


# Other words people use for a state (the checkbox says "Listening only"; older versions said "Recently closed").
_STATE_SYNONYMS = {"LISTEN": "listening", "TIME_WAIT": "recently closed"}


def search_text(row: SocketRow) -> str:
    """Everything the filter box can match in a row, lower-cased: what the table shows (human state names, the
    program label or why there is none) and the technical words ("listen", "ipv6", "hidden", "nobody")."""
    return " ".join(
        (
            row.proto,
            f"ipv{row.family}",
            row.local_endpoint,
            row.remote_endpoint,
            row.state,
            STATE_LABELS.get(row.state, ""),
            _(STATE_LABELS[row.state]) if row.state in STATE_LABELS else "",
            _STATE_SYNONYMS.get(row.state, ""),
            "" if row.pid is None else str(row.pid),
            row.program,
            row.label,
            ""
            if row.pid is not None
            else (closed_text() + " nobody" if row.state in ORPHAN_STATES else hidden_text() + " hidden"),
            FILE_SOCKET_WORDS if row.proto == UNIX else "",
            OTHER_NETWORK_WORDS if row.namespace else "",
        )
    ).casefold()


FILE_SOCKET_WORDS = "file socket unix"
OTHER_NETWORK_WORDS = "other network namespace container"
