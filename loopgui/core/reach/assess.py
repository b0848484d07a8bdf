"""Can other computers reach it?  Facts per way in: bind address, firewall and own-address test.

* A way in (a :class:`PathFact`) is one of this computer's network connections × one of its addresses (IPv4 or
  IPv6).  The bind address says whether the listener takes it: loopback only (127.x, ::1), all addresses
  (0.0.0.0; ``::``, which also takes IPv4 unless IPV6_V6ONLY is on) or one.  On Linux the socket's own
  IPV6_V6ONLY flag comes from the kernel (sock_diag ``INET_DIAG_SKV6ONLY``).
* The firewall decides per packet (:mod:`loopgui.core.reach.firewall`): the arriving network connection, the
  destination address, the IP version; "unknown" where the rules cannot be read, never a guess.
* Ways in are alternatives: one open way is enough (:func:`combine_codes`).
* The own-address test connects to the port on this computer's own non-loopback addresses — never to another
  computer — and only when the user asks (a button, or ``loopgui check --from-network``).  That traffic runs over
  loopback, so a failure counts only where the rules certainly let it through.
* :func:`local_block` says whether the firewall drops local connections to a port (a rule on ``lo``).

No sentence is made here: :mod:`loopgui.core.words.reach` says it.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import functools
import ipaddress
import os
import select
import socket
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from loopgui.core.cancel import Cancel
from loopgui.core.explain import knowledge
from loopgui.core.net import netlink
from loopgui.core.net.sockets import SocketRow, format_endpoint
from loopgui.core.reach.firewall import (
    FirewallAnswer,
    Inbound,
    Packet,
    ReaderResult,
    Reason,
    Rulesets,
    read_firewall,
    read_rulesets,
)

# -- this computer's network connections -------------------------------------------------------------------------

WIFI = "wifi"
WIRED = "wired"
VPN = "vpn"
CONTAINER = "container"
OTHER = "other"

_CONTAINER_PREFIXES = (
    "docker", "br-", "cni", "podman", "virbr", "veth", "lxcbr", "lxdbr", "vboxnet", "vmnet", "vethernet",
    "flannel", "cali", "weave", "kube", "incusbr",
)  # fmt: skip
_VPN_PREFIXES = ("tun", "tap", "wg", "tailscale", "zt", "utun", "ppp", "ipsec", "nordlynx", "proton", "mullvad")
_WIRED_PREFIXES = ("eth", "eno", "ens", "enp", "enx", "em")


def interface_kind(name: str, *, wireless: bool = False, platform: str = sys.platform) -> str:
    """Wi-Fi, wired, VPN, container/VM bridge or other, from the interface name (and Linux's own flag)."""
    n = name.lower()
    if wireless or n.startswith(("wl", "wifi")) or "wi-fi" in n or "wireless" in n or "wlan" in n:
        return WIFI
    if n.startswith(_CONTAINER_PREFIXES):
        return CONTAINER
    if n.startswith(_VPN_PREFIXES) or "vpn" in n:
        return VPN
    if n.startswith(_WIRED_PREFIXES) or "ethernet" in n or (n.startswith("en") and platform != "darwin"):
        return WIRED  # (on a Mac, en0 may be Wi-Fi or a cable: it stays "other")
    return OTHER


@dataclass(frozen=True, slots=True)
class Interface:
    name: str
    kind: str
    addresses: tuple[str, ...]  # "192.168.1.20/24", "fe80::1/64" (no scope)
    up: bool = True

    def networks(self, version: int | None = None) -> tuple[str, ...]:
        out: list[str] = []
        for a in self.addresses:
            try:
                net = ipaddress.ip_interface(a).network
            except ValueError:
                continue
            if version in (None, net.version) and str(net) not in out:
                out.append(str(net))
        return tuple(out)


def _is_wireless(name: str) -> bool:
    return os.path.isdir(f"/sys/class/net/{name}/wireless") or os.path.exists(f"/sys/class/net/{name}/phy80211")


def _with_prefix(ip: str, mask: object) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    """``192.168.1.20`` + ``255.255.255.0`` -> 192.168.1.20/24; ``fd00::1`` + ``ffff:ffff:ffff:ffff::`` -> /64."""
    if isinstance(mask, str) and mask:
        try:
            bits = int(ipaddress.ip_address(mask.split("/")[0]))
            width = 32 if "." in mask else 128
            ones = bin(bits).count("1")
            if bits == ((1 << ones) - 1) << (width - ones):  # a proper netmask: leading ones only
                return ipaddress.ip_interface(f"{ip}/{ones}")
        except ValueError:
            pass
    return ipaddress.ip_interface(ip)


def interfaces(
    if_addrs: Mapping[str, Sequence[object]] | None = None,
    if_stats: Mapping[str, object] | None = None,
    *,
    wireless: Callable[[str], bool] = _is_wireless,
    platform: str = sys.platform,
) -> tuple[Interface, ...]:
    """This computer's network connections that have an IP address other than loopback (psutil's view)."""
    if if_addrs is None or if_stats is None:
        import psutil  # noqa: PLC0415 - only where the live computer is asked

        try:
            if_addrs = psutil.net_if_addrs() if if_addrs is None else if_addrs
            if_stats = psutil.net_if_stats() if if_stats is None else if_stats
        except (OSError, psutil.Error):
            return ()
    out: list[Interface] = []
    for name, addrs in if_addrs.items():
        found: list[str] = []
        for a in addrs:
            family = getattr(a, "family", None)
            if family not in (socket.AF_INET, socket.AF_INET6):
                continue
            ip = str(getattr(a, "address", "")).split("%", 1)[0]
            if knowledge.address_kind(ip) in (knowledge.LOOPBACK, "", knowledge.WILDCARD):
                continue
            found.append(str(_with_prefix(ip, getattr(a, "netmask", None))))
        if not found:
            continue
        stats = if_stats.get(name)
        up = bool(getattr(stats, "isup", True)) if stats is not None else True
        out.append(Interface(name, interface_kind(name, wireless=wireless(name), platform=platform), tuple(found), up))
    return tuple(out)


# -- IPV6_V6ONLY --------------------------------------------------------------------------------------------------


def bindv6only_default(path: str = "/proc/sys/net/ipv6/bindv6only") -> bool | None:
    """Linux's default for new IPv6 sockets (0: ``::`` takes IPv4 too); None where it cannot be read."""
    if sys.platform == "win32":
        return True  # Windows sockets are IPv6-only unless the program turns that off
    try:
        with open(path, encoding="ascii") as f:
            return f.read().strip() == "1"
    except OSError:
        return None


parse_v6only = netlink.parse_v6only


def v6only_flags() -> dict[tuple[str, str, int], bool]:
    """Linux: the IPV6_V6ONLY flag of every listening IPv6 socket, from the kernel; {} where not available."""
    if not sys.platform.startswith("linux"):
        return {}
    out: dict[tuple[str, str, int], bool] = {}
    for protocol in (6, 17):
        try:
            netlink.exchange(
                netlink.build_request(socket.AF_INET6, protocol, 1),
                functools.partial(parse_v6only, protocol=protocol, out=out),
                timeout=2.0,
                buf=bytearray(1 << 17),
                max_reads=10_000,
            )
        except OSError:
            continue
    return out


# -- what a listener accepts -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Listener:
    address: str
    port: int
    proto: str = "tcp"
    v6only: bool | None = None  # only meaningful for "::"

    @property
    def shown(self) -> str:
        return format_endpoint(self.address, self.port)


def _accepts(listener: Listener, addr: str, default_v6only: bool | None) -> bool | None:
    """Whether a listener takes connections to ``addr``: True, False, or None (cannot tell)."""
    la = listener.address.split("%", 1)[0]
    version = knowledge.ip_version(addr)
    kind = knowledge.address_kind(la)
    if kind == knowledge.LOOPBACK:
        return False
    if la == "0.0.0.0":
        return version == 4
    if la in ("::", "*", ""):
        if version == 6:
            return True
        if listener.v6only is not None:  # read from the kernel for this very socket
            return not listener.v6only
        # only the system's default is known, and a program may change it: IPv4 "yes" by default, else "perhaps"
        return True if default_v6only is False else None
    try:
        lip = ipaddress.ip_address(la)
        if isinstance(lip, ipaddress.IPv6Address) and lip.ipv4_mapped is not None:
            lip = lip.ipv4_mapped
        return lip == ipaddress.ip_address(addr)
    except ValueError:
        return False


# -- own-address test --------------------------------------------------------------------------------------------


class OwnOutcome(str, enum.Enum):
    ANSWERED = "answered"
    REFUSED = "refused"
    NO_ANSWER = "no_answer"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class OwnResult:
    address: str
    interface: str
    outcome: OwnOutcome
    seconds: float | None = None
    error: str = ""


MAX_OWN_ADDRESSES = 32


def own_addresses(ifaces: Sequence[Interface]) -> list[tuple[str, str]]:
    """(address, interface) for each of this computer's own non-loopback addresses, at most 32."""
    out: list[tuple[str, str]] = []
    for iface in ifaces:
        if not iface.up:
            continue
        for a in iface.addresses:
            ip = a.split("/")[0]
            if knowledge.address_kind(ip) in (knowledge.LOOPBACK, knowledge.WILDCARD, ""):
                continue
            out.append((ip, iface.name))
    return out[:MAX_OWN_ADDRESSES]


def own_address_test(
    port: int, targets: Sequence[tuple[str, str]], timeout: float = 2.0, cancel: Cancel | None = None
) -> list[OwnResult]:
    """Connect (TCP) to ``port`` on each of this computer's own addresses at once; one overall deadline.

    ``targets`` must be this computer's own addresses (see :func:`own_addresses`): nothing else is contacted.
    Raises :class:`Cancelled` when ``cancel`` is set.
    """
    cancel = cancel or Cancel()
    timeout = min(max(0.1, float(timeout)), 30.0)
    pending: dict[int, tuple[socket.socket, str, str, float]] = {}
    results: dict[tuple[str, str], OwnResult] = {}
    try:
        for addr, iface in targets:
            family = socket.AF_INET6 if ":" in addr else socket.AF_INET
            sockaddr: tuple[object, ...] = (addr, port)
            if family == socket.AF_INET6:
                scope = 0
                if knowledge.address_kind(addr) == knowledge.LINK_LOCAL:
                    with contextlib.suppress(OSError):
                        scope = socket.if_nametoindex(iface)
                sockaddr = (addr, port, 0, scope)
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            start = time.perf_counter()
            err = sock.connect_ex(sockaddr)
            if err in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY, getattr(errno, "WSAEWOULDBLOCK", -1)):
                pending[sock.fileno()] = (sock, addr, iface, start)
            else:
                results[(addr, iface)] = _own_failure(addr, iface, err, time.perf_counter() - start)
                sock.close()
        deadline = time.perf_counter() + timeout
        while pending:
            cancel.check()
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            socks = [entry[0] for entry in pending.values()]
            _, writable, failed = select.select([], socks, socks, min(0.05, left))
            for sock in {*writable, *failed}:
                entry = pending.pop(sock.fileno(), None)
                if entry is None:
                    continue
                _, addr, iface, start = entry
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                took = time.perf_counter() - start
                results[(addr, iface)] = (
                    OwnResult(addr, iface, OwnOutcome.ANSWERED, took)
                    if err == 0
                    else _own_failure(addr, iface, err, took)
                )
                sock.close()
        for _sock, addr, iface, _start in pending.values():
            results[(addr, iface)] = OwnResult(addr, iface, OwnOutcome.NO_ANSWER, timeout)
    finally:
        for sock, *_ in pending.values():
            sock.close()
    return [results[(a, i)] for a, i in targets if (a, i) in results]


def _own_failure(addr: str, iface: str, err: int, took: float) -> OwnResult:
    if err in (errno.ECONNREFUSED, 10061):
        return OwnResult(addr, iface, OwnOutcome.REFUSED, took)
    if err in (errno.ETIMEDOUT, 10060):
        return OwnResult(addr, iface, OwnOutcome.NO_ANSWER, took)
    return OwnResult(addr, iface, OwnOutcome.ERROR, took, os.strerror(err) if err > 0 else str(err))


# -- the verdict: facts per path, per network, per IP version --------------------------------------------------


class ReachCode(str, enum.Enum):
    """Can other computers connect?  Stable codes (``--json``; docs/JSON.md)."""

    REACHABLE = "reachable"  # the listener takes it and the firewall lets it in
    REACHABLE_FROM_SOME = "reachable_from_some"  # the firewall lets only some senders in
    BLOCKED_BY_FIREWALL = "blocked_by_firewall"
    ONLY_THIS_COMPUTER = "only_this_computer"  # it listens on loopback only
    NOT_LISTENING_HERE = "not_listening_here"  # its bind address leaves this network address out
    NOT_ANSWERING = "not_answering"  # the own-address test got no answer and nothing on the way filtered it
    NOTHING_LISTENS = "nothing_listens"
    NO_NETWORK = "no_network"  # this computer has no network address the listener could use
    UNKNOWN = "unknown"  # it depends on what loopgui could not read (evidence says what)


# The open codes: someone on that network can connect.
OPEN = (ReachCode.REACHABLE, ReachCode.REACHABLE_FROM_SOME)


class OwnTest(str, enum.Enum):
    """What the own-address test (a connection over loopback to this computer's own address) shows."""

    NOT_RUN = "not_run"
    LISTENS = "listens"  # it answered: the program takes connections on this address
    NOT_LISTENING = "not_listening"  # refused, and nothing on this computer filters that loopback traffic
    NOT_ANSWERING = "not_answering"  # no answer, and nothing filters that loopback traffic
    FILTERED = "filtered"  # this computer's firewall filters its own traffic to that address: the test cannot tell
    INCONCLUSIVE = "inconclusive"  # it failed, and loopgui could not read whether the firewall filtered it
    ERROR = "error"


class Answer(str, enum.Enum):
    """The whole verdict in three words (kept for scripts that read ``"answer"``)."""

    PROBABLY = "probably"
    NO = "no"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class PathFact:
    """One way in: another computer connects to ``address`` on ``interface`` (one IP version)."""

    interface: Interface
    address: str  # this computer's address (no prefix)
    prefix: str  # its network, e.g. "192.168.1.0/24"
    version: int
    code: ReachCode
    bind: bool | None  # the listener takes connections to this address (None: cannot tell)
    firewall: FirewallAnswer | None
    own: OwnResult | None = None
    own_test: OwnTest = OwnTest.NOT_RUN
    own_filter: FirewallAnswer | None = None  # the firewall's answer for the own-address test's loopback traffic

    def as_dict(self) -> dict[str, object]:
        return {
            "interface": self.interface.name,
            "kind": self.interface.kind,
            "address": self.address,
            "network": self.prefix,
            "family": f"ipv{self.version}",
            "code": self.code.value,
            "bind_accepts": self.bind,
            "firewall": self.firewall.as_dict() if self.firewall else None,
            "own_address_test": {
                "code": self.own_test.value,
                "outcome": self.own.outcome.value if self.own else None,
                "loopback_firewall": self.own_filter.as_dict() if self.own_filter else None,
            },
        }


@dataclass(frozen=True, slots=True)
class GroupFact:
    """The combined answer for one network connection, or for one IP version."""

    key: str  # interface name, or "ipv4" / "ipv6"
    code: ReachCode
    paths: tuple[PathFact, ...]


def combine_codes(codes: Iterable[ReachCode]) -> ReachCode:
    """Ways in are alternatives: one open path is enough.  Otherwise "cannot tell" beats every "no", and the
    most telling "no" is kept (the firewall, then a silent program, then the bind address)."""
    found = set(codes)
    for code in (
        ReachCode.REACHABLE,
        ReachCode.REACHABLE_FROM_SOME,
        ReachCode.UNKNOWN,
        ReachCode.BLOCKED_BY_FIREWALL,
        ReachCode.NOT_ANSWERING,
        ReachCode.NOT_LISTENING_HERE,
        ReachCode.ONLY_THIS_COMPUTER,
        ReachCode.NO_NETWORK,
        ReachCode.NOTHING_LISTENS,
    ):
        if code in found:
            return code
    return ReachCode.NO_NETWORK


@dataclass(frozen=True, slots=True)
class ReachVerdict:
    """Can other computers connect to ``port``?  Facts only: :mod:`loopgui.core.words.reach` says it."""

    code: ReachCode
    port: int
    proto: str = "tcp"
    listeners: tuple[Listener, ...] = ()
    paths: tuple[PathFact, ...] = ()
    default_v6only: bool | None = None
    firewall_read: bool = False  # the firewall was asked
    readers: tuple[ReaderResult, ...] = ()  # what each firewall reader did (evidence for "cannot tell")
    own: tuple[OwnResult, ...] = ()
    own_test_run: bool = False

    @property
    def answer(self) -> Answer:
        if self.code in OPEN:
            return Answer.PROBABLY
        return Answer.UNKNOWN if self.code == ReachCode.UNKNOWN else Answer.NO

    @property
    def reachable(self) -> bool:
        return self.code in OPEN

    @property
    def wildcard(self) -> bool:
        return any(_bare(lst.address) in ("0.0.0.0", "::", "*", "") for lst in self.listeners)

    @property
    def exposed(self) -> bool:
        """Some other computer can connect: the program is open to that network."""
        return self.code in OPEN

    def families(self) -> tuple[GroupFact, ...]:
        out = []
        for v in (4, 6):
            chosen = tuple(p for p in self.paths if p.version == v)
            if chosen:
                out.append(GroupFact(f"ipv{v}", combine_codes(p.code for p in chosen), chosen))
        return tuple(out)

    def networks(self) -> tuple[GroupFact, ...]:
        names: list[str] = []
        for p in self.paths:
            if p.interface.name not in names:
                names.append(p.interface.name)
        out = []
        for name in names:
            chosen = tuple(p for p in self.paths if p.interface.name == name)
            out.append(GroupFact(name, combine_codes(p.code for p in chosen), chosen))
        return tuple(out)

    def open_paths(self) -> tuple[PathFact, ...]:
        return tuple(p for p in self.paths if p.code in OPEN)

    def firewall(self) -> FirewallAnswer | None:
        """The firewall answer that matters most for the verdict (a blocking one, else the first read)."""
        answers = [p.firewall for p in self.paths if p.firewall is not None]
        for level in (Inbound.BLOCKED, Inbound.LIMITED, Inbound.UNKNOWN, Inbound.ALLOWED):
            for a in answers:
                if a.inbound == level:
                    return a
        return None

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code.value,
            "answer": self.answer.value,
            "reachable_from_other_computers": self.reachable,
            "port": self.port,
            "protocol": self.proto,
            "listening_on": [lst.shown for lst in self.listeners],
            "listeners": [{"address": lst.address, "port": lst.port, "v6only": lst.v6only} for lst in self.listeners],
            "families": {g.key: g.code.value for g in self.families()},
            "networks": [
                {
                    "interface": g.key,
                    "kind": g.paths[0].interface.kind,
                    "code": g.code.value,
                    "addresses": [p.address for p in g.paths if p.bind is not False],
                    "networks": list(g.paths[0].interface.networks()),
                }
                for g in self.networks()
            ],
            "paths": [p.as_dict() for p in self.paths],
            "firewall": fw.as_dict() if (fw := self.firewall()) else None,
            "firewall_readers": [r.as_dict() for r in self.readers],
            "own_address_test": [
                {"address": o.address, "interface": o.interface, "outcome": o.outcome.value} for o in self.own
            ],
        }


class FirewallView(Protocol):
    """Answers for single packets from one reading of the rules."""

    def answer(self, packet: Packet) -> FirewallAnswer: ...


@dataclass(frozen=True, slots=True)
class FixedView:
    """The same answer for every packet from another computer (tests; systems read per IP version only)."""

    fixed: FirewallAnswer
    local: FirewallAnswer | None = None  # for loopback packets (None: nothing filters them)

    def answer(self, packet: Packet) -> FirewallAnswer:
        if packet.loopback:
            return self.local or FirewallAnswer(Inbound.ALLOWED, self.fixed.source, Reason.NO_INBOUND_RULES)
        return self.fixed


class _PerVersion:
    """Other systems: their readers answer per IP version for any network connection; loopback unknown."""

    def __init__(self, port: int, proto: str, program: str) -> None:
        self._port, self._proto, self._program = port, proto, program
        self._cache: dict[int, FirewallAnswer] = {}

    def answer(self, packet: Packet) -> FirewallAnswer:
        if packet.loopback:
            return FirewallAnswer(Inbound.UNKNOWN, "", Reason.NOT_READ)
        if packet.version not in self._cache:
            self._cache[packet.version] = read_firewall(
                self._port, self._proto, (packet.version,), program=self._program
            )
        return self._cache[packet.version]


def _bare(address: str) -> str:
    return address.split("%", 1)[0]


def _own_meaning(own: OwnResult | None, view: FirewallView | None, port: int, proto: str, version: int) -> tuple[
    OwnTest, FirewallAnswer | None
]:  # fmt: skip
    """What an own-address result shows.  Its connection runs over loopback (source and destination are this
    computer's own address), which the firewall may treat unlike traffic from outside: a failure counts only when
    the rules certainly let both the connection and its reply through on loopback."""
    if own is None:
        return OwnTest.NOT_RUN, None
    if own.outcome == OwnOutcome.ANSWERED:
        return OwnTest.LISTENS, None
    if own.outcome == OwnOutcome.ERROR:
        return OwnTest.ERROR, None
    if view is None:
        return OwnTest.INCONCLUSIVE, None
    a = own.address
    there = view.answer(Packet(version, proto, port, "lo", a, a))
    back = view.answer(Packet(version, proto, None, "lo", a, a, port, "established", False))
    for answer in (there, back):
        if answer.inbound == Inbound.BLOCKED:
            return OwnTest.FILTERED, answer
        if answer.inbound != Inbound.ALLOWED:
            return OwnTest.INCONCLUSIVE, answer
    if own.outcome == OwnOutcome.REFUSED:
        return OwnTest.NOT_LISTENING, there
    return OwnTest.NOT_ANSWERING, there


_FIREWALL_CODE = {
    Inbound.ALLOWED: ReachCode.REACHABLE,
    Inbound.LIMITED: ReachCode.REACHABLE_FROM_SOME,
    Inbound.BLOCKED: ReachCode.BLOCKED_BY_FIREWALL,
    Inbound.UNKNOWN: ReachCode.UNKNOWN,
}


def _path(
    iface: Interface,
    address: str,
    listeners: Sequence[Listener],
    view: FirewallView | None,
    own: OwnResult | None,
    port: int,
    proto: str,
    default_v6only: bool | None,
    senders: Sequence[str],
) -> PathFact:
    version = knowledge.ip_version(address)
    prefix = ""
    for a in iface.addresses:
        if a.split("/")[0] == address:
            prefix = str(ipaddress.ip_interface(a).network)
    verdicts = [_accepts(lst, address, default_v6only) for lst in listeners]
    bind: bool | None = True if True in verdicts else (None if None in verdicts else False)
    own_test, own_filter = _own_meaning(own, view, port, proto, version)
    if own_test == OwnTest.LISTENS:
        bind = True
    elif own_test == OwnTest.NOT_LISTENING:
        bind = False
    firewall = None
    if bind is not False and view is not None:
        saddr = next((a for a in senders if knowledge.ip_version(a) == version), None)
        firewall = view.answer(Packet(version, proto, port, iface.name, address, saddr))
    if bind is False:
        code = ReachCode.NOT_LISTENING_HERE
    elif own_test == OwnTest.NOT_ANSWERING:
        code = ReachCode.NOT_ANSWERING
    elif firewall is None:
        code = ReachCode.UNKNOWN
    elif bind is None and firewall.inbound != Inbound.BLOCKED:
        code = ReachCode.UNKNOWN  # the firewall lets it in, but whether the program takes IPv4 is not known
    else:
        code = _FIREWALL_CODE[firewall.inbound]
    return PathFact(iface, address, prefix, version, code, bind, firewall, own, own_test, own_filter)


def verdict(
    port: int,
    proto: str,
    listeners: Sequence[Listener],
    ifaces: Sequence[Interface],
    firewall: FirewallAnswer | FirewallView | None,
    *,
    own: Sequence[OwnResult] = (),
    own_test_run: bool | None = None,
    default_v6only: bool | None = None,
    readers: Sequence[ReaderResult] = (),
    senders: Sequence[str] = (),
) -> ReachVerdict:
    """Can other computers connect to ``port``?  ``firewall``: one answer for every way in, or a view that
    answers per packet (network connection, address, IP version).  ``senders``: decide for these sender
    addresses (one per IP version) instead of for any other computer."""
    proto = proto.lower()
    view: FirewallView | None = FixedView(firewall) if isinstance(firewall, FirewallAnswer) else firewall
    run = bool(own) if own_test_run is None else own_test_run
    base = {
        "port": port, "proto": proto, "listeners": tuple(listeners), "default_v6only": default_v6only,
        "firewall_read": view is not None, "readers": tuple(readers), "own": tuple(own), "own_test_run": run,
    }  # fmt: skip
    if not listeners:
        return ReachVerdict(ReachCode.NOTHING_LISTENS, **base)  # type: ignore[arg-type]
    if all(knowledge.address_kind(_bare(lst.address)) == knowledge.LOOPBACK for lst in listeners):
        return ReachVerdict(ReachCode.ONLY_THIS_COMPUTER, **base)  # type: ignore[arg-type]
    by_address = {(o.address, o.interface): o for o in own}
    paths: list[PathFact] = []
    for iface in ifaces:
        if not iface.up:
            continue
        for a in iface.addresses:
            ip = a.split("/")[0]
            if knowledge.address_kind(ip) in (knowledge.LOOPBACK, knowledge.WILDCARD, ""):
                continue
            o = by_address.get((ip, iface.name))
            paths.append(_path(iface, ip, listeners, view, o, port, proto, default_v6only, senders))
    code = combine_codes(p.code for p in paths) if paths else ReachCode.NO_NETWORK
    return ReachVerdict(code, paths=tuple(paths), **base)  # type: ignore[arg-type]


def own_test_filtered(
    results: Sequence[OwnResult], port: int, proto: str = "tcp", *, view: FirewallView | None = None
) -> tuple[str, ...]:
    """The addresses whose own-address test this computer's firewall filtered on loopback (Linux: read from the
    rules; elsewhere nothing is known, so nothing is listed)."""
    if view is None:
        if not sys.platform.startswith("linux") or all(o.outcome == OwnOutcome.ANSWERED for o in results):
            return ()
        view = _rulesets((4, 6))
    out = []
    for o in results:
        meaning, _ = _own_meaning(o, view, port, proto, knowledge.ip_version(o.address))
        if meaning in (OwnTest.FILTERED, OwnTest.INCONCLUSIVE):
            out.append(o.address)
    return tuple(out)


# -- a firewall that drops this computer's own local connections -------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocalBlock:
    """This computer's firewall drops (or rejects) local connections to ``port`` at ``address`` (loopback)."""

    port: int
    proto: str
    address: str  # the loopback address asked about (127.0.0.1, ::1)
    firewall: FirewallAnswer  # with the rule that decides (``firewall.rule``)

    def as_dict(self) -> dict[str, object]:
        return {**self.firewall.as_dict(), "port": self.port, "protocol": self.proto, "address": self.address}


def local_block(
    port: int,
    proto: str = "tcp",
    address: str = "127.0.0.1",
    *,
    view: FirewallView | None = None,
    platform: str = sys.platform,
) -> LocalBlock | None:
    """Whether this computer's firewall drops a new local connection to ``address``:``port`` (a loopback address).

    Reads the rules that apply to loopback with the same readers as the reach verdict (Linux).  None when the
    rules let it through or cannot be read (the caller then says what else may be the cause).
    """
    address = _bare(address)
    if knowledge.address_kind(address) != knowledge.LOOPBACK:
        return None
    if view is None:
        if not platform.startswith("linux"):
            return None
        view = _rulesets((4, 6))
    version = knowledge.ip_version(address)
    answer = view.answer(Packet(version, proto.lower(), port, "lo", address, address))
    if answer.inbound != Inbound.BLOCKED:
        return None
    return LocalBlock(port, proto.lower(), address, answer)


# -- live ------------------------------------------------------------------------------------------------------------

RULES_TTL = 15.0  # seconds a reading of the rules is reused (the Explanation refreshes often)
_rules_cache: dict[tuple[int, ...], tuple[float, Rulesets]] = {}


def _rulesets(versions: Sequence[int] = (4, 6)) -> Rulesets:
    key = tuple(sorted(set(versions)))
    now = time.monotonic()
    hit = _rules_cache.get(key)
    if hit is not None and now - hit[0] < RULES_TTL:
        return hit[1]
    rs = read_rulesets(key)
    _rules_cache[key] = (now, rs)
    return rs


def forget_rules() -> None:
    """Read the rules again next time (they just changed)."""
    _rules_cache.clear()


def listeners_of(rows: Iterable[SocketRow], port: int, proto: str = "tcp") -> list[Listener]:
    """The listeners on ``port`` in a snapshot, with their IPV6_V6ONLY flag where the kernel tells it."""
    chosen = [r for r in rows if r.local_port == port and r.proto.lower() == proto.lower() and r.is_listening]
    flags = v6only_flags() if any(knowledge.ip_version(r.local_addr) == 6 for r in chosen) else {}
    out: list[Listener] = []
    for r in chosen:
        flag = flags.get((proto.lower(), r.local_addr.split("%", 1)[0], port))
        lst = Listener(r.local_addr, port, proto.lower(), flag)
        if lst not in out:
            out.append(lst)
    return out


def _program_file(rows: Iterable[SocketRow], port: int, proto: str) -> str:
    """The program file of the first listener on ``port`` whose owner is known ("" when it cannot be read)."""
    import psutil  # noqa: PLC0415 - only where the live computer is asked

    for r in rows:
        if r.local_port == port and r.proto.lower() == proto.lower() and r.is_listening and r.pid is not None:
            try:
                return str(psutil.Process(r.pid).exe())
            except (psutil.Error, OSError):
                return ""
    return ""


def live_verdict(
    port: int,
    proto: str,
    rows: Iterable[SocketRow],
    *,
    own_test: bool = False,
    timeout: float = 2.0,
    cancel: Cancel | None = None,
    program: str = "",
    senders: Sequence[str] = (),
) -> ReachVerdict:
    """The verdict for this computer now; ``own_test`` also connects to its own addresses (only on request)."""
    rows = list(rows)
    proto = proto.lower()
    listeners = listeners_of(rows, port, proto)
    ifaces = interfaces()
    default = bindv6only_default()
    view: FirewallView | None = None
    readers: tuple[ReaderResult, ...] = ()
    exposed = listeners and not all(
        knowledge.address_kind(_bare(lst.address)) == knowledge.LOOPBACK for lst in listeners
    )
    if exposed and ifaces:
        if sys.platform.startswith("linux"):
            rs = _rulesets((4, 6))
            view, readers = rs, rs.readers
        else:
            if not program and sys.platform == "win32":  # Windows firewall rules may name the program file
                program = _program_file(rows, port, proto)
            view = _PerVersion(port, proto, program)
    own: list[OwnResult] = []
    if own_test and listeners and proto == "tcp":
        own = own_address_test(port, own_addresses(ifaces), timeout, cancel)
    return verdict(
        port, proto, listeners, ifaces, view, own=own, own_test_run=own_test and bool(listeners),
        default_v6only=default, readers=readers, senders=senders,
    )  # fmt: skip


__all__ = [
    "Answer",
    "FixedView",
    "GroupFact",
    "Interface",
    "Listener",
    "LocalBlock",
    "OwnOutcome",
    "OwnResult",
    "OwnTest",
    "PathFact",
    "ReachCode",
    "ReachVerdict",
    "bindv6only_default",
    "combine_codes",
    "forget_rules",
    "interface_kind",
    "interfaces",
    "listeners_of",
    "live_verdict",
    "local_block",
    "own_address_test",
    "own_addresses",
    "own_test_filtered",
    "parse_v6only",
    "v6only_flags",
    "verdict",
]
