"""Other network namespaces: where containers (Docker, Podman, Kubernetes) and programs started with their own
network listen, unseen from this computer's own addresses.

Each process's namespace is ``readlink /proc/<pid>/ns/net`` (``net:[4026532301]``).  With administrator rights the
sockets of each other namespace are read the fast way: a short-lived thread enters it (``setns`` on
``/proc/<pid>/ns/net`` of one of its processes), opens a sock_diag socket there, dumps the TCP and UDP sockets, and
ends; the rest of loopgui never leaves its own namespace.  Without the rights, ``/proc/<pid>/net/tcp`` of a process
in the namespace is tried (the system allows it for one's own processes); failing both, the namespace's processes
are listed as candidates, and that is all that is known.
"""

from __future__ import annotations

import ctypes
import enum
import errno
import functools
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from loopgui.core.net import netlink, rows
from loopgui.core.text.plaintext import shown

log = logging.getLogger("loopgui.namespaces")

CLONE_NEWNET = 0x40000000
MAX_PIDS_KEPT = 32  # processes kept per namespace (the first ones name it well enough)
MAX_NAMESPACES = 256
MAX_PROC_NET_BYTES = 4 << 20  # /proc/<pid>/net/tcp read at most this much
TIMEOUT = 3.0


class ReadHow(str, enum.Enum):
    """How a namespace's sockets were read."""

    SOCK_DIAG = "sock_diag"  # entered with setns (administrator rights)
    PROC_NET = "proc_net"  # /proc/<pid>/net/tcp of one of its processes
    NOT_READ = "not_read"  # no rights: only its processes are known


@dataclass(frozen=True, slots=True)
class NsListener:
    """A socket waiting for connections inside another namespace: protocol ("TCP"/"UDP"), IP version, address."""

    proto: str
    family: int
    address: str
    port: int
    inode: int = 0
    pid: int | None = None


@dataclass(frozen=True, slots=True)
class Namespace:
    """Another network namespace: its id (the inode of ``/proc/<pid>/ns/net``), some of its processes (PID, name),
    how its sockets were read, the listeners found, and why not (an OS error's text) when they were not."""

    ns_id: int
    pids: tuple[tuple[int, str], ...]
    how: ReadHow = ReadHow.NOT_READ
    listeners: tuple[NsListener, ...] = ()
    problem: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "namespace": self.ns_id,
            "processes": [{"pid": p, "program": n or None} for p, n in self.pids],
            "read": self.how.value,
            "listeners": [
                {"protocol": x.proto, "ip_version": x.family, "address": x.address, "port": x.port, "pid": x.pid}
                for x in self.listeners
            ],
            "problem": self.problem or None,
        }


def ns_id_of(link: str) -> int | None:
    """``net:[4026531840]`` -> 4026531840; None for anything else."""
    if link.startswith("net:[") and link.endswith("]"):
        digits = link[5:-1]
        if 0 < len(digits) <= 20 and digits.isascii() and digits.isdigit():
            return int(digits)
    return None


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


def own_namespace(proc: str = "/proc") -> int | None:
    return ns_id_of(_readlink(f"{proc}/self/ns/net"))


def _comm(proc: str, pid: int) -> str:
    try:
        with open(f"{proc}/{pid}/comm", "rb") as f:
            return shown(f.read(64).decode("utf-8", "replace").strip())
    except OSError:
        return ""


def other_namespaces(proc: str = "/proc") -> dict[int, list[tuple[int, str]]]:
    """Namespace id -> processes (PID, name) in it, for each network namespace other than ours that a process
    shows (processes whose namespace link cannot be read are left out: they belong to other users)."""
    ours = own_namespace(proc)
    found: dict[int, list[tuple[int, str]]] = {}
    try:
        names = os.listdir(proc)
    except OSError:
        return found
    for name in names:
        if not (0 < len(name) <= 10 and name.isascii() and name.isdigit()):
            continue
        ns = ns_id_of(_readlink(f"{proc}/{name}/ns/net"))
        if ns is None or ns == ours:
            continue
        pids = found.get(ns)
        if pids is None:
            if len(found) >= MAX_NAMESPACES:
                continue
            pids = found[ns] = []
        if len(pids) < MAX_PIDS_KEPT:
            pid = int(name)
            pids.append((pid, _comm(proc, pid)))
    for pids in found.values():
        pids.sort()
    return found


# -- reading a namespace's sockets -----------------------------------------------------------------------------


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library already loaded into this process (no search: ``find_library`` starts programs)."""
    return ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc().setns(fd, CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


# What a listener is: TCP in LISTEN (10; the kernel then walks only its table of listeners), UDP not connected
# (the kernel calls it CLOSE, 7).
LISTENING_STATES = {6: 1 << 10, 17: 1 << 7}


def _dump_inet() -> list[NsListener]:
    """TCP and UDP listeners of the calling thread's namespace (the scanner's request and parser)."""
    found: list[NsListener] = []
    buf = bytearray(1 << 18)
    for seq, (family, protocol) in enumerate(
        ((socket.AF_INET, 6), (socket.AF_INET6, 6), (socket.AF_INET, 17), (socket.AF_INET6, 17)), 1
    ):
        part: dict[bytes, tuple[int, int, int]] = {}

        def take(data: bytes, part: dict[bytes, tuple[int, int, int]] = part, protocol: int = protocol) -> bool:
            return netlink.parse_diag_messages(data, protocol, part)

        try:
            netlink.exchange(
                netlink.build_request(family, protocol, seq, LISTENING_STATES[protocol]),
                take,
                timeout=TIMEOUT,
                buf=buf,
            )
        except OSError as exc:
            if exc.errno in (errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT, errno.ENOENT):
                continue
            raise
        for key, (state, inode, _cookie) in part.items():
            proto, version, local, lport, _remote, rport = rows.decode_key(key)
            if (protocol == 6 and state == netlink.TCP_LISTEN) or (protocol == 17 and not rport):
                found.append(NsListener(proto, version, local, lport, inode))
    return found


def read_in_namespace(ns_path: str, work: Callable[[], list[NsListener]] = _dump_inet) -> list[NsListener]:
    """Run ``work`` in a short-lived thread that first enters the namespace at ``ns_path``; the thread ends with it,
    so no other thread ever leaves loopgui's own namespace.  OSError (no rights, gone, timeout) goes to the caller."""
    result: list[NsListener] = []
    failure: list[BaseException] = []

    def inside() -> None:
        try:
            fd = os.open(ns_path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                _setns(fd)
            finally:
                os.close(fd)
            result.extend(work())
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=inside, name="loopgui-netns", daemon=True)
    thread.start()
    thread.join(TIMEOUT * 5)
    if thread.is_alive():
        # the system's own words for a time limit run out, as evidence (words/elsewhere.py says the rest)
        raise TimeoutError(errno.ETIMEDOUT, os.strerror(errno.ETIMEDOUT))
    if failure:
        exc = failure[0]
        if isinstance(exc, OSError):
            raise exc
        raise OSError(errno.EIO, str(exc))
    return result


_TCP_LISTEN_HEX = "0A"
_UDP_UNCONNECTED = "07"


def parse_proc_net(text: str, proto: str, version: int) -> list[NsListener]:
    """Listeners in the text of ``/proc/<pid>/net/{tcp,tcp6,udp,udp6}`` (linear; junk lines are skipped)."""
    found: list[NsListener] = []
    want = _TCP_LISTEN_HEX if proto == "TCP" else _UDP_UNCONNECTED
    for line in text.splitlines()[1:]:
        parts = line.split(None, 10)
        if len(parts) < 10 or parts[3] != want:
            continue
        try:
            addr_hex, port_hex = parts[1].split(":")
            port = int(port_hex, 16)
            raw = bytes.fromhex(addr_hex)
            inode = int(parts[9]) if parts[9].isdigit() else 0
        except ValueError:
            continue
        if version == 4 and len(raw) == 4:
            address = socket.inet_ntop(socket.AF_INET, raw[::-1])
        elif version == 6 and len(raw) == 16:
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
            address = socket.inet_ntop(socket.AF_INET6, words)
        else:
            continue
        if 0 < port <= 65535:
            found.append(NsListener(proto, version, address, port, inode))
    return found


def read_proc_net(proc: str, pid: int) -> list[NsListener]:
    found: list[NsListener] = []
    for name, proto, version in (("tcp", "TCP", 4), ("tcp6", "TCP", 6), ("udp", "UDP", 4), ("udp6", "UDP", 6)):
        try:
            with open(f"{proc}/{pid}/net/{name}", "rb") as f:
                text = f.read(MAX_PROC_NET_BYTES).decode("ascii", "replace")
        except FileNotFoundError:
            continue
        found.extend(parse_proc_net(text, proto, version))
    return found


def _owners_in(proc: str, pids: Iterable[int], wanted: set[int]) -> dict[int, int]:
    """Socket inode -> PID among ``pids`` (the processes of one namespace), by their ``/proc/<pid>/fd`` links."""
    owners: dict[int, int] = {}
    for pid in pids:
        if not wanted - owners.keys():
            break
        try:
            names = os.listdir(f"{proc}/{pid}/fd")
        except OSError:
            continue
        for fd in names:
            link = _readlink(f"{proc}/{pid}/fd/{fd}")
            if link.startswith("socket:[") and link.endswith("]") and link[8:-1].isdigit():
                inode = int(link[8:-1])
                if inode in wanted:
                    owners.setdefault(inode, pid)
    return owners


def read_namespace(
    ns: int,
    pids: list[tuple[int, str]],
    *,
    proc: str = "/proc",
    admin: bool | None = None,
    enter: Callable[[str], list[NsListener]] = read_in_namespace,
) -> Namespace:
    """The listeners of one other namespace, read the best way the rights allow (owners not yet filled in: see
    :func:`with_owners`)."""
    if not pids:
        return Namespace(ns, ())
    pid = pids[0][0]
    problem = ""
    how = ReadHow.NOT_READ
    found: list[NsListener] = []
    is_admin = os.geteuid() == 0 if admin is None and hasattr(os, "geteuid") else bool(admin)
    if is_admin:
        try:
            found = enter(f"{proc}/{pid}/ns/net")
            how = ReadHow.SOCK_DIAG
        except OSError as exc:
            problem = exc.strerror or str(exc)
    if how is ReadHow.NOT_READ:
        try:
            found = read_proc_net(proc, pid)
            how = ReadHow.PROC_NET
        except OSError as exc:
            problem = problem or exc.strerror or str(exc)
    return Namespace(ns, tuple(pids), how, tuple(found), problem if how is ReadHow.NOT_READ else "")


OwnerReader = Callable[[set[int]], Mapping[int, int]]


def with_owners(spaces: list[Namespace], proc: str = "/proc", owners: OwnerReader | None = None) -> list[Namespace]:
    """The listeners' owners (PIDs), found by socket inode in one go for every namespace: through ``owners`` (the
    scanner passes its incremental reader), else by walking the descriptors of those namespaces' processes."""
    need = {x.inode for space in spaces for x in space.listeners if x.inode}
    if not need:
        return spaces
    if owners is not None:
        found = owners(need)
    else:
        ids = {space.ns_id for space in spaces}
        pids = [pid for pid, ns in _pids_by_namespace(proc).items() if ns in ids]
        found = _owners_in(proc, pids, need)
    return [
        Namespace(
            s.ns_id,
            s.pids,
            s.how,
            tuple(NsListener(x.proto, x.family, x.address, x.port, x.inode, found.get(x.inode)) for x in s.listeners),
            s.problem,
        )
        for s in spaces
    ]


def _pids_by_namespace(proc: str) -> dict[int, int]:
    out: dict[int, int] = {}
    try:
        names = os.listdir(proc)
    except OSError:
        return out
    for name in names:
        if 0 < len(name) <= 10 and name.isascii() and name.isdigit():
            ns = ns_id_of(_readlink(f"{proc}/{name}/ns/net"))
            if ns is not None:
                out[int(name)] = ns
    return out


def namespaces(
    proc: str = "/proc",
    *,
    admin: bool | None = None,
    wanted: Callable[[int, list[tuple[int, str]]], bool] | None = None,
    owners: OwnerReader | None = None,
) -> tuple[Namespace, ...]:
    """Every other network namespace with what could be read of its listeners and their owners.  ``wanted(ns,
    pids)``: read only those (the others are listed with their processes, unread); ``owners``: inode -> PID reader
    (default: walk the namespaces' processes' descriptors)."""
    out: list[Namespace] = []
    for ns, pids in sorted(other_namespaces(proc).items()):
        if wanted is not None and not wanted(ns, pids):
            out.append(Namespace(ns, tuple(pids)))
            continue
        out.append(read_namespace(ns, pids, proc=proc, admin=admin))
    return tuple(with_owners(out, proc, owners))


def names_by_pid(found: Iterable[Namespace]) -> Mapping[int, str]:
    return {pid: name for ns in found for pid, name in ns.pids}
