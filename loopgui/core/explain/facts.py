"""The vocabulary of an explanation: codes with typed evidence, and nothing a person reads.

A :class:`Diagnosis` (``core/explain/diagnosis.py``) is a :class:`Case` (what the headline says) plus findings,
next steps and technical details, each a code with evidence.  ``core/words/explain.py`` turns them into sentences;
``--json`` carries them as they are.  The values of every code are stable: scripts may depend on them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar


class Verdict(str, enum.Enum):
    PROBLEM = "problem"  # something is wrong and we know what
    OK = "ok"  # all is as it should be
    INFO = "info"  # facts, nothing wrong found
    UNKNOWN = "unknown"  # not enough to go on


class Case(str, enum.Enum):
    """What the explanation is about, in one code: the headline."""

    EMPTY = "empty"  # nothing pasted yet
    NO_ADDRESS = "no_address"  # text without an address or port
    KIND_WITHOUT_PORT = "kind_without_port"  # "connection refused" but no port
    HOST_WITHOUT_PORT = "host_without_port"  # a computer named, no port
    URL_AS_NAME = "url_as_name"  # "getaddrinfo ENOTFOUND http://localhost:3000"
    LOCALHOST_NOT_FOUND = "localhost_not_found"  # the name "localhost" could not be looked up
    NAME_NOT_FOUND = "name_not_found"  # a computer name could not be looked up
    REMOTE = "remote_computer"  # the address is another computer's
    PORT_TAKEN = "port_taken"  # in use: a program holds the port
    PORT_FREE_NOW = "port_free_now"  # in use when the error happened, free now
    WINDOWS_RESERVED = "windows_reserved_port"
    WINDOWS_DENIED = "windows_denied_port"
    PRIVILEGED_PORT = "privileged_port"  # below the unprivileged start: administrator rights needed
    PORT_NOT_ALLOWED = "port_not_allowed"  # security software, most likely
    LISTENING_NOW = "listening_now"  # refused then, listening now
    NOT_ANSWERING = "listening_not_answering"  # timed out / reset while a program listens
    LISTENING = "listening"  # all is well
    CONNECTION_CLOSING = "connection_closing"  # a picked TIME_WAIT row
    CONNECTION = "connection"  # a picked connected row
    LOCALHOST_FIRST_MISSED = "localhost_first_address_missed"  # "localhost" means ::1 first, program on 127.0.0.1
    OTHER_ADDRESS = "listening_on_other_address"  # the program listens on the port, on another address
    NOTHING_LISTENS = "nothing_listens"
    ADDRESS_NOT_HERE = "address_not_on_this_computer"  # EADDRNOTAVAIL: asked to listen on an address it lacks
    FAMILY_OFF = "address_family_off"  # EAFNOSUPPORT: IPv6 (usually) is switched off


class F(str, enum.Enum):
    """Finding codes: one fact each, with its evidence."""

    KIND_MEANING = "kind_meaning"  # kind
    HOST_WITHOUT_PORT = "host_without_port"  # host, kind
    USUAL_PORT_HINT = "usual_port_hint"  # program, usual
    URL_AS_NAME = "url_as_name"  # host
    NAME_NOT_LOOKED_UP = "name_not_looked_up"  # host
    LOCALHOST_HOSTS_FILE = "localhost_hosts_file"  # hosts_file
    LOCALHOST_MEANS = "localhost_means"  # addresses
    COMPUTER_NOT_FOUND = "computer_not_found"  # host
    NAME_SERVICE_SILENT = "name_service_silent"
    REMOTE_COMPUTER = "remote_computer"  # host, port, service
    COMMON_USE = "common_use"  # port, name, use
    HOLDER = "holder"  # program, address, port, listening, started, user, address_kind
    HIDDEN_OWNER = "hidden_owner"
    LEFTOVERS_ONLY = "leftovers_only"  # port, count
    FREE_SINCE_ERROR = "free_since_error"  # port
    WINDOWS_RESERVED = "windows_reserved"  # first, last
    WINDOWS_DENIED = "windows_denied"
    PRIVILEGED_PORT = "privileged_port"  # start
    SECURITY_SOFTWARE = "security_software"
    STARTED_SINCE = "started_since"
    LISTENS_LOOPBACK_ONLY = "loopback_only"  # own_addresses
    OTHERS_MAY_CONNECT = "others_may_connect"  # address, port, own_addresses
    REACH = "reach"  # reach verdict (core/reach)
    REACH_SAFETY = "reach_safety"  # reach verdict: listening on all addresses exposes the program
    CONNECTED = "connected"  # program, local, remote
    CONNECTION_CLOSED = "connection_closed"
    TEMPORARY_PORT = "temporary_port"  # port
    REMOTE_SERVICE = "remote_service"  # port, service
    ADDRESS_NOT_SERVED = "address_not_served"  # address, port, refused(bool)
    FAMILY_MISMATCH = "family_mismatch"  # program, where, have, wanted, want
    LOCALHOST_FIRST_ONLY = "localhost_first_only"  # addresses
    WRONG_ADDRESS = "wrong_address"  # program, where, wanted
    EARLIER_LISTENER = "earlier_listener"  # span, port
    EARLIER_USER = "earlier_user"  # span, port, first
    HISTORY_UNREADABLE = "history_unreadable"  # error
    UDP_ONLY = "udp_only"  # port, program
    OTHER_USERS_SOCKETS = "other_users_sockets"
    EPHEMERAL_PORT = "ephemeral_port"  # port, first, last
    DYNAMIC_PORT = "dynamic_port"  # port
    DID_YOU_MEAN = "did_you_mean"  # port, program, address
    CLOSED_RECENTLY = "closed_recently"
    LOCAL_FIREWALL_DROP = "local_firewall_drop"  # port, rule (core/reach)
    ADDRESS_NOT_HERE = "address_not_here"  # address, own_addresses
    FAMILY_OFF = "family_off"  # family
    PICKED_GONE = "picked_socket_gone"  # proto, local, remote, program, state


class S(str, enum.Enum):
    """Next-step codes."""

    PASTE_WHOLE_MESSAGE = "paste_whole_message"
    TYPE_ADDRESS = "type_address"
    PASTE_SOMETHING = "paste_something"
    FIND_PORT_IN_SETTINGS = "find_port_in_settings"
    CHECK_USUAL_PORT = "check_usual_port"  # host, port
    TYPE_HOST_PORT = "type_host_port"  # host
    NAME_WITHOUT_SCHEME = "name_without_scheme"  # name
    FIX_HOSTS_FILE = "fix_hosts_file"  # hosts_file
    USE_LOOPBACK_NUMBER = "use_loopback_number"  # name
    CHECK_SPELLING = "check_spelling"  # host
    CONNECT_VPN = "connect_vpn"
    COMPOSE_SERVICE_NAME = "compose_service_name"
    CHECK_ADDRESS = "check_address"  # address
    CHECK_REMOTE_PROGRAM = "check_remote_program"
    CHECK_NETWORK = "check_network"
    ADMIN_TO_SEE = "admin_to_see"
    CLOSE_HOLDER = "close_holder"  # program
    OTHER_PORT = "other_port"  # port
    START_AGAIN = "start_again"
    WAIT_LEFTOVERS = "wait_leftovers"
    START_AGAIN_FREE = "start_again_free"
    PORT_OUTSIDE_RESERVED = "port_outside_reserved"  # first, last, port
    RESTART_WINNAT = "restart_winnat"
    TRY_OTHER_PORT = "try_other_port"  # port
    HIGHER_PORT = "higher_port"  # port
    RUN_AS_ADMIN = "run_as_admin"
    TRY_AGAIN_NOW = "try_again_now"
    WAIT_BUSY = "wait_busy"  # program
    RESTART_PROGRAM = "restart_program"
    NOTHING_WRONG = "nothing_wrong"
    USE_ADDRESS_NOT_NAME = "use_address_not_name"  # where, given
    LISTEN_ON_MISSING = "listen_on_missing"  # program, missing, example (served, missing, wildcard)
    DO_BOTH = "do_both"
    CONNECT_INSTEAD = "connect_instead"  # where, given
    LISTEN_ON_BOTH = "listen_on_both"
    START_PROGRAM = "start_program"  # usual
    CHECK_PORT_NUMBER = "check_port_number"  # port
    TRY_AGAIN_WHEN_LISTENING = "try_again_when_listening"
    REMOVE_FIREWALL_RULE = "remove_firewall_rule"  # port, rule
    LISTEN_ON_OWN_ADDRESS = "listen_on_own_address"  # address
    USE_IPV4 = "use_ipv4"


class D(str, enum.Enum):
    """Technical-detail codes (label and value in the details list)."""

    ADDRESS = "address"
    NAME_IN_MESSAGE = "name_in_message"
    PORT_RANGE = "port_range"  # port, first, last (this computer's temporary range)
    IANA = "iana"  # name, description
    COMMON_USE = "common_use"  # name, use
    LOCALHOST_MEANS = "localhost_means"  # addresses
    LISTENING = "listening"  # proto, address, port, pid, program
    ERROR_WORDS = "error_words"
    COMPUTER = "computer"
    NAME = "name"
    USUAL_PORT = "usual_port"  # program, usual
    THIS_COMPUTER = "this_computer_addresses"  # addresses


class Problem(str, enum.Enum):
    """Something about the pasted text itself (``core/explain/endpoints.py``)."""

    NOT_TEXT = "not_text"
    TOO_LONG = "too_long"  # limit
    BAD_PORT = "bad_port"  # value
    BAD_IPV4 = "bad_ipv4"  # value


@dataclass(frozen=True, slots=True)
class ProgramRef:
    """A program as evidence: how the table names it, and what could be read about it (all may be empty)."""

    name: str  # the table's label: "python3 -m http.server 8000"; "" when hidden
    pid: int | None  # None: it belongs to another user or the system (or no program holds the socket)
    user: str = ""
    started: float | None = None
    command: str = ""  # redacted
    exe: str = ""
    parent: str = ""
    ppid: int | None = None
    hidden: tuple[str, ...] = ()  # which facts permissions hid
    closed: bool = False  # no program: the connection is already closed

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name or None,
            "pid": self.pid,
            "user": self.user or None,
            "started": self.started,
            "command": self.command or None,
            "program_file": self.exe or None,
            "parent": self.parent or None,
            "parent_pid": self.ppid,
            "hidden": list(self.hidden),
            "no_program": "connection_closed" if self.closed else ("hidden" if self.pid is None else None),
        }


@dataclass(frozen=True, slots=True)
class Range:
    first: int
    last: int

    def as_dict(self) -> dict[str, object]:
        return {"first": self.first, "last": self.last}


Value = object  # int, float, str, bool, None, tuple[str, ...], ProgramRef, Range, a Span or a reach verdict
C = TypeVar("C", bound=enum.Enum)


@dataclass(frozen=True, slots=True)
class Fact(Generic[C]):
    """A code and its evidence (name → value)."""

    code: C
    evidence: tuple[tuple[str, Value], ...] = ()

    def __getitem__(self, name: str) -> Value:
        for key, value in self.evidence:
            if key == name:
                return value
        raise KeyError(name)

    def get(self, name: str, default: Value = None) -> Value:
        for key, value in self.evidence:
            if key == name:
                return value
        return default

    def __iter__(self) -> Iterator[tuple[str, Value]]:
        return iter(self.evidence)

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code.value, **{k: to_json(v) for k, v in self.evidence}}


def fact(code: C, **evidence: Value) -> Fact[C]:
    return Fact(code, tuple(evidence.items()))


def to_json(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [to_json(v) for v in value]
    as_dict = getattr(value, "as_dict", None)
    if callable(as_dict):
        return as_dict()
    return value
