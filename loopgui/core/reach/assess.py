"""Can other computers reach it?  Bind address, firewall and own-address facts, and one verdict in plain words.

* The bind address says which of this computer's network connections a listener accepts: loopback only
  (127.x, ::1), all of them (0.0.0.0; ``::``, which also takes IPv4 unless IPV6_V6ONLY is on) or one.
  On Linux the socket's own IPV6_V6ONLY flag comes from the kernel (sock_diag ``INET_DIAG_SKV6ONLY``).
* The firewall's view comes from :mod:`loopgui.core.reach.firewall`; "unknown" when it cannot be read.
* The own-address test connects to the port on this computer's own non-loopback addresses — never to
  another computer — and only when the user asks (a button, or ``loopgui check --from-network``).
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

from loopgui.core.explain import knowledge
from loopgui.core.net import netlink
from loopgui.core.net.probes import Cancel, Outcome, ProbeResult
from loopgui.core.net.sockets import SocketRow, format_endpoint
from loopgui.core.reach.firewall import CachedFirewall, FirewallAnswer, Inbound

# -- this computer's network connections -------------------------------------------------------------------------

WIFI = "wifi"
WIRED = "wired"
VPN = "vpn"
CONTAINER = "container"
OTHER = "other"

_KIND_WORDS = {
    WIFI: "your Wi-Fi",
    WIRED: "your wired network",
    VPN: "your VPN",
    CONTAINER: "containers and virtual machines on this computer",
    OTHER: "the network",
}
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

    @property
    def words(self) -> str:
        return _KIND_WORDS[self.kind]

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


@dataclass(frozen=True, slots=True)
class Reachable:
    """One network connection of this computer through which other computers could reach the listener."""

    interface: Interface
    addresses: tuple[str, ...]  # this computer's addresses on it that the listener accepts (no prefix)

    @property
    def words(self) -> str:
        nets = []
        for a in self.addresses:
            for iface_addr in self.interface.addresses:
                if iface_addr.split("/")[0] == a:
                    net = str(ipaddress.ip_interface(iface_addr).network)
                    if net not in nets:
                        nets.append(net)
        shown = ", ".join(nets[:2]) if nets else ", ".join(self.addresses[:2])
        if self.interface.kind in (WIFI, WIRED):
            return f"{self.interface.words} ({shown})"
        return f"{self.interface.words} ({self.interface.name}: {shown})"


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


@dataclass(frozen=True, slots=True)
class Exposure:
    listeners: tuple[Listener, ...]
    reachable: tuple[Reachable, ...]
    loopback_only: bool
    wildcard: bool  # some listener takes every address (0.0.0.0 or ::)
    ipv4_unsure: bool  # a "::" listener whose IPV6_V6ONLY flag could not be read
    versions: tuple[int, ...]  # IP versions other computers could use
    default_v6only: bool | None = None  # the system's default, for "::" listeners whose own flag is unknown

    @property
    def where(self) -> str:
        """Where it listens, in plain words."""
        parts = []
        for lst in self.listeners:
            a = lst.address.split("%", 1)[0]
            if a == "0.0.0.0":
                parts.append("all IPv4 addresses (0.0.0.0)")
            elif a in ("::", "*", ""):
                if lst.v6only:
                    parts.append("all IPv6 addresses only (::)")
                elif lst.v6only is False:
                    parts.append("all addresses (::, IPv4 too)")
                elif self.default_v6only is False:
                    parts.append("all addresses (::, IPv4 too unless the program turned that off)")
                else:
                    parts.append("all IPv6 addresses (::), perhaps IPv4 too")
            else:
                parts.append(a)
        unique: list[str] = []
        for p in parts:
            if p not in unique:
                unique.append(p)
        return ", ".join(unique[:4])


def exposure(
    listeners: Sequence[Listener], ifaces: Sequence[Interface], default_v6only: bool | None = None
) -> Exposure:
    reachable: list[Reachable] = []
    unsure = False
    versions: set[int] = set()
    for iface in ifaces:
        if not iface.up:
            continue
        taken: list[str] = []
        for a in iface.addresses:
            ip = a.split("/")[0]
            for lst in listeners:
                ok = _accepts(lst, ip, default_v6only)
                if ok is None:
                    unsure = True
                if ok is not False:  # "probably" counts: never promise "only this computer" on a guess
                    if ip not in taken:
                        taken.append(ip)
                    versions.add(knowledge.ip_version(ip))
                    break
        if taken:
            reachable.append(Reachable(iface, tuple(taken)))
    kinds = {knowledge.address_kind(lst.address.split("%", 1)[0]) for lst in listeners}
    wildcard = any(lst.address.split("%", 1)[0] in ("0.0.0.0", "::", "*", "") for lst in listeners)
    return Exposure(
        tuple(listeners),
        tuple(reachable),
        loopback_only=bool(listeners) and kinds == {knowledge.LOOPBACK},
        wildcard=wildcard,
        ipv4_unsure=unsure,
        versions=tuple(sorted(versions)),
        default_v6only=default_v6only,
    )


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

    @property
    def text(self) -> str:
        where = f"{self.address} ({self.interface})"
        words = {
            OwnOutcome.ANSWERED: "answered",
            OwnOutcome.REFUSED: "refused (nothing takes connections there)",
            OwnOutcome.NO_ANSWER: "no answer in time",
            OwnOutcome.ERROR: f"could not be tried: {self.error}",
        }[self.outcome]
        return f"{where}: {words}"


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


OWN_TEST = "From this computer's network address"
_OWN_PROBE = {
    OwnOutcome.ANSWERED: (
        Outcome.CONNECTED,
        "Answered: the program takes connections on this address, so other computers on this network can try too "
        "(a firewall may still stop them).",
    ),
    OwnOutcome.REFUSED: (Outcome.REFUSED, "Refused: the program does not listen on this address."),
    OwnOutcome.NO_ANSWER: (Outcome.TIMEOUT, "No answer in time: a firewall on this computer may drop it."),
}


def own_address_probe(
    port: int,
    timeout: float = 2.0,
    cancel: Cancel | None = None,
    *,
    targets: Sequence[tuple[str, str]] | None = None,
) -> list[ProbeResult]:
    """The own-address test as connectivity-test results (the Connectivity tests tab shows them).

    ``targets`` defaults to this computer's own non-loopback addresses; nothing else is ever contacted.
    """
    if targets is None:
        targets = own_addresses(interfaces())
    if not targets:
        return [
            ProbeResult(
                OWN_TEST,
                "",
                Outcome.NO_ANSWER,
                "This computer has no network address besides loopback right now: other computers cannot reach it.",
            )
        ]
    out: list[ProbeResult] = []
    for r in own_address_test(port, targets, timeout, cancel):
        outcome, words = _OWN_PROBE.get(r.outcome, (Outcome.ERROR, f"Could not be tried: {r.error}."))
        details = (("Network connection", r.interface),)
        out.append(ProbeResult(OWN_TEST, format_endpoint(r.address, port), outcome, words, r.seconds, details))
    return out


def _own_failure(addr: str, iface: str, err: int, took: float) -> OwnResult:
    if err in (errno.ECONNREFUSED, 10061):
        return OwnResult(addr, iface, OwnOutcome.REFUSED, took)
    if err in (errno.ETIMEDOUT, 10060):
        return OwnResult(addr, iface, OwnOutcome.NO_ANSWER, took)
    return OwnResult(addr, iface, OwnOutcome.ERROR, took, os.strerror(err) if err > 0 else str(err))


# -- the verdict -------------------------------------------------------------------------------------------------


class Answer(str, enum.Enum):
    PROBABLY = "probably"  # other computers can probably connect
    NO = "no"  # they cannot (only this computer, nothing listens, the firewall blocks, no own address answers)
    UNKNOWN = "unknown"  # it is exposed, but the firewall could not be read


SAFETY_ALL = (
    "Listening on all addresses exposes the program to the network: anyone who can reach this computer can try "
    "to connect. If only you use it, make it listen on 127.0.0.1 instead."
)
SAFETY_ONE = (
    "Listening on a network address exposes the program to that network: anyone on it can try to connect. If "
    "only you use it, make it listen on 127.0.0.1 instead."
)


@dataclass(frozen=True, slots=True)
class ReachVerdict:
    answer: Answer
    headline: str
    port: int
    proto: str = "tcp"
    reasons: tuple[str, ...] = ()
    safety: str = ""
    how_to_check: str = ""
    exposure: Exposure | None = None
    firewall: FirewallAnswer | None = None
    own: tuple[OwnResult, ...] = ()

    @property
    def reachable(self) -> bool:
        return self.answer == Answer.PROBABLY

    def lines(self) -> list[str]:
        out = [self.headline]
        out += [f"- {r}" for r in self.reasons]
        if self.how_to_check:
            out.append(f"How to check yourself: {self.how_to_check}")
        if self.safety:
            out.append(self.safety)
        return out

    def as_dict(self) -> dict[str, object]:
        exp = self.exposure
        return {
            "answer": self.answer.value,
            "reachable_from_other_computers": self.reachable,
            "headline": self.headline,
            "port": self.port,
            "protocol": self.proto,
            "reasons": list(self.reasons),
            "safety": self.safety or None,
            "how_to_check": self.how_to_check or None,
            "listening_on": [lst.shown for lst in exp.listeners] if exp else [],
            "networks": [
                {
                    "interface": r.interface.name,
                    "kind": r.interface.kind,
                    "addresses": list(r.addresses),
                    "networks": list(r.interface.networks()),
                }
                for r in (exp.reachable if exp else ())
            ],
            "firewall": self.firewall.as_dict() if self.firewall else None,
            "own_address_test": [
                {"address": o.address, "interface": o.interface, "outcome": o.outcome.value} for o in self.own
            ],
        }


def _join(words: Sequence[str], limit: int = 3) -> str:
    words = list(words)
    if len(words) > limit:
        words = [*words[:limit], f"{len(words) - limit} more"]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def verdict(
    port: int,
    proto: str,
    listeners: Sequence[Listener],
    ifaces: Sequence[Interface],
    firewall: FirewallAnswer | None,
    *,
    own: Sequence[OwnResult] = (),
    default_v6only: bool | None = None,
) -> ReachVerdict:
    """One answer to "can other computers connect to ``port``?", with the reasons in plain words."""
    proto = proto.lower()
    if not listeners:
        return ReachVerdict(
            Answer.NO,
            f"No: nothing on this computer listens on port {port} ({proto.upper()}), so no computer can connect.",
            port,
            proto,
        )
    exp = exposure(listeners, ifaces, default_v6only)
    where = exp.where
    own_words = _own_words(own)
    if exp.loopback_only:
        return ReachVerdict(
            Answer.NO,
            f"Only this computer: it listens on {where}.",
            port,
            proto,
            (
                "Loopback addresses (127.x and ::1) never leave this computer, whatever the firewall says.",
                "To let other computers connect, the program would have to listen on 0.0.0.0 or on one of this "
                "computer's network addresses; " + knowledge.OPEN_TO_NETWORK,
                *own_words,
            ),
            exposure=exp,
            own=tuple(own),
        )
    safety = SAFETY_ALL if exp.wildcard else SAFETY_ONE
    reasons: list[str] = []
    nets = _join([r.words for r in exp.reachable])
    if exp.ipv4_unsure:
        reasons.append(
            "It listens on ::, which takes IPv4 connections too when the program allows it; loopgui could not read "
            "that setting here, so it counts IPv4 addresses as reachable."
        )
    if not exp.reachable:
        return ReachVerdict(
            Answer.NO,
            f"No other computer right now: it listens on {where}, but none of this computer's network "
            "connections has that address at the moment.",
            port,
            proto,
            (*reasons, *own_words),
            safety,
            exposure=exp,
            firewall=firewall,
            own=tuple(own),
        )
    for r in exp.reachable:
        at = _join([format_endpoint(a, port) for a in r.addresses], 2)
        reasons.append(f"Through {r.words} at {at} ({r.interface.name}).")
    how = firewall.how_to_check if firewall else ""
    fw = firewall or FirewallAnswer(Inbound.UNKNOWN, "", "loopgui did not read the firewall.")
    reasons.append(fw.reason)
    if fw.inbound == Inbound.ALLOWED:
        answer = Answer.PROBABLY
        headline = (
            f"Other computers on {nets} can probably connect: it listens on {where} and the firewall has no rule "
            "against it."
        )
    elif fw.inbound == Inbound.LIMITED:
        answer = Answer.PROBABLY
        headline = f"Some other computers on {nets} can probably connect: it listens on {where}; {_lower(fw.reason)}"
    elif fw.inbound == Inbound.BLOCKED:
        answer = Answer.NO
        headline = (
            f"Other computers probably cannot connect: it listens on {where}, but the firewall blocks port {port}."
        )
    else:
        answer = Answer.UNKNOWN
        headline = (
            f"Unknown: other computers on {nets} may be able to connect. It listens on {where}, but loopgui could "
            "not read the firewall."
        )
    reasons += own_words
    if own and not any(o.outcome == OwnOutcome.ANSWERED for o in own):
        answer = Answer.NO
        headline = (
            f"Other computers probably cannot connect: it did not answer on any of this computer's own network "
            f"addresses (it listens on {where})."
        )
    return ReachVerdict(answer, headline, port, proto, tuple(reasons), safety, how, exp, firewall, tuple(own))


def _own_words(own: Sequence[OwnResult]) -> list[str]:
    """The own-address test in plain words: where it answered, then each address that did not."""
    if not own:
        return []
    answered = [f"{o.address} ({o.interface})" for o in own if o.outcome == OwnOutcome.ANSWERED]
    out = ["Tested from this computer: it answered on " + _join(answered, 4) + "."] if answered else []
    out += ["Tested from this computer: " + o.text for o in own if o.outcome != OwnOutcome.ANSWERED][:6]
    return out


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


# -- live ------------------------------------------------------------------------------------------------------------

_firewall = CachedFirewall()


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
) -> ReachVerdict:
    """The verdict for this computer now; ``own_test`` also connects to its own addresses (only on request)."""
    rows = list(rows)
    listeners = listeners_of(rows, port, proto)
    if not program and sys.platform == "win32":  # Windows firewall rules may name the program file
        program = _program_file(rows, port, proto)
    ifaces = interfaces()
    default = bindv6only_default()
    exp = exposure(listeners, ifaces, default)
    firewall = None
    if exp.reachable and not exp.loopback_only:
        firewall = _firewall(port, proto, exp.versions or (4,), program)
    own: list[OwnResult] = []
    if own_test and listeners and proto.lower() == "tcp":
        own = own_address_test(port, own_addresses(ifaces), timeout, cancel)
    return verdict(port, proto, listeners, ifaces, firewall, own=own, default_v6only=default)


__all__ = [
    "Answer",
    "Interface",
    "Listener",
    "OwnOutcome",
    "OwnResult",
    "ReachVerdict",
    "bindv6only_default",
    "exposure",
    "interface_kind",
    "interfaces",
    "listeners_of",
    "live_verdict",
    "own_address_probe",
    "own_address_test",
    "own_addresses",
    "parse_v6only",
    "v6only_flags",
    "verdict",
]
