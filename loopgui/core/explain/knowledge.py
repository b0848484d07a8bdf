"""Facts about addresses and ports: address classes, this computer's temporary ("ephemeral") port range and the
ports it keeps, IANA service names and commonly seen uses.  Data files load once.  ``core/words/explain.py`` says
them (``address_kind_sentence``, ``port_range_sentence``)."""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import psutil

log = logging.getLogger("loopgui.knowledge")

LOOPBACK = "loopback"
WILDCARD = "wildcard"
PRIVATE = "private"
LINK_LOCAL = "link-local"
PUBLIC = "public"
OTHER = "other"

IANA_DYNAMIC = (49152, 65535)


def address_kind(addr: str) -> str:
    """Classify an IP address: loopback, wildcard, private, link-local, public or other ("" if not an IP)."""
    try:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return WILDCARD
    if ip.is_loopback:
        return LOOPBACK
    if ip.is_link_local:
        return LINK_LOCAL
    if ip.is_private:
        return PRIVATE
    if ip.is_global:
        return PUBLIC
    return OTHER


def ip_version(addr: str) -> int:
    """4, 6, or 0 when ``addr`` is not an IP address (an IPv4-mapped IPv6 address counts as 4)."""
    try:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
    except ValueError:
        return 0
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return 6
    return 4


# -- this computer's temporary port range --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PortRange:
    first: int
    last: int

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.first <= port <= self.last

    def __str__(self) -> str:
        return f"{self.first}–{self.last}"


def parse_linux_port_range(text: str) -> PortRange | None:
    """``/proc/sys/net/ipv4/ip_local_port_range``: two numbers, e.g. ``32768\\t60999``."""
    numbers = _numbers(r"\d+", text)
    if len(numbers) != 2:
        return None
    return _valid_range(numbers[0], numbers[1])


def parse_macos_port_range(text: str) -> PortRange | None:
    """``sysctl -n net.inet.ip.portrange.first net.inet.ip.portrange.last``: two lines."""
    return parse_linux_port_range(text)


def parse_windows_dynamic_port(text: str) -> PortRange | None:
    """``netsh int ipv4 show dynamicport tcp``: "Start Port : 49152" and "Number of Ports : 16384".

    Localised Windows versions translate the labels, so the two numbers are read in order.
    """
    numbers = _numbers(r":\s*(\d+)", text)
    if len(numbers) < 2:
        return None
    start, count = numbers[0], numbers[1]
    if count < 1:
        return None
    return _valid_range(start, start + count - 1)


def parse_windows_excluded_ranges(text: str) -> tuple[PortRange, ...]:
    """``netsh int ipv4 show excludedportrange protocol=tcp``: lines of "start end" (an optional ``*`` marks
    ranges an administrator set)."""
    out = []
    for m in re.finditer(r"^\s*(\d+)\s+(\d+)\s*\*?\s*$", text, re.MULTILINE | re.ASCII):
        rng = _valid_range(_number(m.group(1)), _number(m.group(2)))
        if rng is not None:
            out.append(rng)
    return tuple(out)


_BIG = 10**9  # any number this long is bad input; also keeps int() far from Python's digit limit


def _number(digits: str) -> int:
    """A number from ASCII digits; ``_BIG`` (out of every range) when it has more than nine."""
    return int(digits) if len(digits) <= 9 else _BIG


def _numbers(pattern: str, text: str) -> list[int]:
    return [_number(d) for d in re.findall(pattern, text, re.ASCII)]


def _valid_range(first: int, last: int) -> PortRange | None:
    if 1 <= first <= last <= 65535:
        return PortRange(first, last)
    return None


def _run(args: list[str]) -> str:
    """A fixed system command (never user text, never a shell); "" when it fails."""
    try:
        out = subprocess.run(args, capture_output=True, timeout=3, check=False).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("could not run %s: %s", args[0], exc)
        return ""
    return decode_output(out)


def decode_output(data: bytes) -> str:
    """Command output in any code page (netsh speaks the console's: cp850, cp1252, cp936, …) as text.

    Only numbers and layout are read from it, so undecodable bytes become U+FFFD instead of an error.
    """
    return data.decode("utf-8", errors="replace")


def _read_proc(path: str) -> str:
    """A small /proc file as text; "" when it cannot be read.  Junk bytes are kept as U+FFFD, not an error."""
    try:
        with open(path, "rb") as f:
            return f.read(4096).decode("ascii", errors="replace")
    except OSError:
        return ""


@functools.cache
def ephemeral_range() -> PortRange:
    """The range this computer hands out for temporary ports (falls back to IANA's 49152–65535)."""
    found: PortRange | None = None
    if sys.platform.startswith("linux"):
        found = parse_linux_port_range(_read_proc("/proc/sys/net/ipv4/ip_local_port_range"))
    elif sys.platform == "darwin":
        found = parse_macos_port_range(
            _run(["sysctl", "-n", "net.inet.ip.portrange.first", "net.inet.ip.portrange.last"])
        )
    elif sys.platform == "win32":
        found = parse_windows_dynamic_port(_run(["netsh", "int", "ipv4", "show", "dynamicport", "tcp"]))
    return found or PortRange(*IANA_DYNAMIC)


@functools.cache
def excluded_ranges() -> tuple[PortRange, ...]:
    """Windows: port ranges reserved by the system (Hyper-V, WSL, Docker) that no program may use."""
    if sys.platform != "win32":
        return ()
    return parse_windows_excluded_ranges(_run(["netsh", "int", "ipv4", "show", "excludedportrange", "protocol=tcp"]))


def parse_unprivileged_port_start(text: str) -> int:
    """``/proc/sys/net/ipv4/ip_unprivileged_port_start``: one number, 0–65536 (1024 when it is anything else)."""
    value = text.strip()
    if not re.fullmatch(r"\d{1,5}", value, re.ASCII) or int(value) > 65536:
        return 1024
    return int(value)


@functools.cache
def unprivileged_port_start() -> int:
    """Ports below this need administrator rights (Linux may lower it; macOS and others: 1024; Windows: 0)."""
    if sys.platform == "win32":
        return 0
    if sys.platform.startswith("linux"):
        return parse_unprivileged_port_start(_read_proc("/proc/sys/net/ipv4/ip_unprivileged_port_start"))
    return 1024


# -- names -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PortInfo:
    port: int
    iana_name: str = ""
    iana_description: str = ""
    common_name: str = ""
    common_use: str = ""

    @property
    def label(self) -> str:
        """The friendliest short name: the common one, else IANA's description."""
        return self.common_name or self.iana_description or self.iana_name


@functools.cache
def _iana() -> dict[str, dict[str, list[str]]]:
    text = resources.files("loopgui.resources").joinpath("iana_services.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return {"tcp": data["tcp"], "udp": data["udp"]}


@functools.cache
def _common() -> dict[str, dict[str, str]]:
    text = resources.files("loopgui.resources").joinpath("known_ports.json").read_text(encoding="utf-8")
    ports: dict[str, dict[str, str]] = json.loads(text)["ports"]
    return ports


def port_info(port: int, proto: str = "tcp") -> PortInfo:
    """What IANA registered the port for, and what it is commonly seen used for."""
    iana = _iana().get(proto.lower(), {}).get(str(port)) or _iana()["tcp"].get(str(port))
    common = _common().get(str(port), {})
    return PortInfo(
        port=port,
        iana_name=iana[0] if iana else "",
        iana_description=iana[1] if iana else "",
        common_name=common.get("name", ""),
        common_use=common.get("use", ""),
    )


# -- this computer -------------------------------------------------------------------------------------------


# getaddrinfo's signature, as far as loopgui calls it: (host, port, *, type=...) -> [(family, type, proto, name, addr)]
Resolver = Callable[..., Sequence[tuple[Any, ...]]]


def localhost_addresses(resolver: Resolver | None = None) -> tuple[str, ...]:
    """What ``localhost`` means on this computer, in the order programs try the addresses, e.g. ("::1",
    "127.0.0.1") with Debian's usual hosts file; () when the name cannot be looked up at all.

    ``resolver``: a stand-in for ``socket.getaddrinfo`` (tests); without it the answer is read once and kept.
    """
    if resolver is None:
        return _system_localhost()
    return _addresses(resolver)


@functools.cache
def _system_localhost() -> tuple[str, ...]:
    return _addresses(socket.getaddrinfo)


def _addresses(resolver: Resolver) -> tuple[str, ...]:
    try:
        infos = resolver("localhost", None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return ()
    seen: list[str] = []
    for info in infos:
        try:
            addr = str(info[4][0]).split("%", 1)[0]
        except (IndexError, TypeError):
            continue
        if addr not in seen:
            seen.append(addr)
    return tuple(seen)


def this_computer_addresses() -> tuple[str, ...]:
    """This computer's own IP addresses on its network connections (not loopback)."""
    out: list[str] = []
    try:
        interfaces = psutil.net_if_addrs()
    except (OSError, psutil.Error):
        return ()
    for addrs in interfaces.values():
        for a in addrs:
            if a.family in (socket.AF_INET, socket.AF_INET6):
                ip = str(a.address).split("%", 1)[0]
                if address_kind(ip) not in (LOOPBACK, "") and ip not in out:
                    out.append(ip)
    return tuple(out)


def is_this_computer(host: str) -> bool:
    """True when ``host`` certainly means this computer (loopback, wildcard, localhost, its own addresses)."""
    h = host.strip("[]").lower()
    if h in ("localhost", "*", "") or h.endswith(".localhost"):
        return True
    if address_kind(h) in (LOOPBACK, WILDCARD):
        return True
    if h == socket.gethostname().lower():  # (not getfqdn: that may ask a name server)
        return True
    return h in this_computer_addresses()
