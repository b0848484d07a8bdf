"""Running, but not where you knock: where the program that should answer at a port listens instead.

When nothing answers at an address, the usual advice is "start the program".  Often it *is* running: PostgreSQL
listening only on its file socket ``.s.PGSQL.5432``, a container listening on the port inside its own network
namespace with nothing published on this computer, the server on 5433 instead of 5432, or on IPv6 only.
:func:`find_elsewhere` returns these as facts (:class:`Elsewhere`: a :class:`Where` code and evidence); the
sentences are made in :mod:`loopgui.core.words.elsewhere`.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from loopgui.core.net import namespaces as netns
from loopgui.core.net import unix
from loopgui.core.net.sockets import SocketRow
from loopgui.core.programs import containers, managers
from loopgui.core.text.plaintext import shown

log = logging.getLogger("loopgui.elsewhere")

MAX_FOUND = 6  # facts returned at most (the Explanation names the first few)
MAX_UNREAD = 3  # namespaces named as candidates when their sockets could not be read


class Where(str, enum.Enum):
    """Where the program listens instead of the address asked about."""

    FILE_SOCKET = "file_socket"  # a local file socket (Unix domain socket), not a network port
    OTHER_NAMESPACE = "other_namespace"  # on the port, but inside another network namespace (a container)
    OTHER_NAMESPACE_UNREAD = "other_namespace_unread"  # runs in another namespace whose sockets could not be read
    OTHER_PORT = "other_port"  # on another port (a neighbouring one, or its own setting)
    OTHER_FAMILY = "other_family"  # on the port, but in the other IP version or protocol


@dataclass(frozen=True, slots=True)
class Server:
    """A server that usually serves some ports: the program names it runs as, and its file sockets.

    ``socket_names``: patterns for the file name of its socket; a group named ``port`` holds the port it stands
    for (PostgreSQL's ``.s.PGSQL.5432``), a group named ``display`` an X display (port 6000 + display).
    """

    key: str
    title: str
    programs: frozenset[str]
    ports: tuple[int, ...]
    socket_names: tuple[str, ...] = ()

    def serves(self, port: int) -> bool:
        return port in self.ports

    def socket_port(self, path: str) -> int | None:
        """The port a socket file of this server stands for: the number in its name, else its usual port; None
        when the path is not one of its sockets."""
        base = path.rsplit("/", 1)[-1].lstrip("@")
        for pattern in self.socket_names:
            m = re.fullmatch(pattern, base)
            if m is None:
                continue
            groups = m.groupdict()
            if groups.get("port"):
                return int(groups["port"]) if len(groups["port"]) <= 5 else None
            if groups.get("display") is not None:
                return 6000 + int(groups["display"]) if len(groups["display"]) <= 2 else None
            return self.ports[0]
        return None


SERVERS: tuple[Server, ...] = (
    Server("postgresql", "PostgreSQL", frozenset({"postgres", "postmaster"}), (5432,), (r"\.s\.PGSQL\.(?P<port>\d+)",)),
    Server(
        "mysql",
        "MySQL",
        frozenset({"mysqld", "mariadbd", "mysqld_safe"}),
        (3306,),
        (r"mysqld?\.sock", r"mariadb\.sock"),
    ),
    Server("redis", "Redis", frozenset({"redis-server"}), (6379,), (r"redis(?:-server)?(?:[._-]\w+)?\.sock",)),
    Server("docker", "Docker", frozenset({"dockerd"}), (2375, 2376), (r"docker\.sock",)),
    Server("podman", "Podman", frozenset({"podman"}), (2375, 2376), (r"podman\.sock",)),
    Server(
        "x11",
        "X",
        frozenset({"Xorg", "X", "Xwayland", "Xvfb", "Xvnc"}),
        tuple(range(6000, 6064)),
        (r"X(?P<display>\d+)",),
    ),
    Server("mongodb", "MongoDB", frozenset({"mongod"}), (27017,), (r"mongodb-(?P<port>\d+)\.sock",)),
    Server("memcached", "memcached", frozenset({"memcached"}), (11211,), (r"memcached\.sock",)),
    Server("php-fpm", "PHP-FPM", frozenset(), (9000,), (r"php[\d.]*-fpm\.sock",)),
)

_PHP_FPM = re.compile(r"php-fpm[\d.]*(?::.*)?")


def servers_for(port: int) -> tuple[Server, ...]:
    return tuple(s for s in SERVERS if s.serves(port))


def _runs(server: Server, program: str) -> bool:
    if server.key == "php-fpm":
        return bool(_PHP_FPM.fullmatch(program))
    return program in server.programs


@dataclass(frozen=True, slots=True)
class ContainerRef:
    """The container a process runs in: its manager (``docker``, ``podman``, ``kubernetes``, ``containerd``), id,
    the name the engine gives it (when the engine could be asked), and the port of this computer its port is
    published on (0: not published)."""

    manager: str
    container_id: str
    name: str = ""
    published_port: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "manager": self.manager,
            "id": self.container_id or None,
            "name": self.name or None,
            "published_port": self.published_port or None,
        }


@dataclass(frozen=True, slots=True)
class Elsewhere:
    """Where a running program listens instead of ``proto`` port ``port`` on this computer's addresses.

    ``server``: the :class:`Server` key when a known server was recognised ("" otherwise), ``title`` its name.
    ``pid``/``program``: the program (``pid`` None: its owner could not be read).  ``path``: the file socket.
    ``namespace``: the other network namespace's id.  ``other_port``, ``address``, ``family`` (4/6) and
    ``other_proto``: where it listens instead.  ``problem``: why another namespace could not be read.
    """

    code: Where
    port: int
    proto: str = "tcp"
    server: str = ""
    title: str = ""
    pid: int | None = None
    program: str = ""
    path: str = ""
    namespace: int | None = None
    container: ContainerRef | None = None
    other_port: int = 0
    address: str = ""
    family: int = 0
    other_proto: str = ""
    problem: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code.value,
            "port": self.port,
            "protocol": self.proto,
            "server": self.server or None,
            "pid": self.pid,
            "program": self.program or None,
            "path": self.path or None,
            "namespace": self.namespace,
            "container": self.container.as_dict() if self.container else None,
            "other_port": self.other_port or None,
            "address": self.address or None,
            "ip_version": self.family or None,
            "other_protocol": self.other_proto or None,
            "problem": self.problem or None,
        }


def _live_manager(pid: int, name: str) -> managers.Manager | None:
    return managers.detect(pid, name)


def _live_containers(kind: str, ids: Sequence[str]) -> Sequence[containers.Container]:
    return containers.inspect(ids, kind)


@dataclass(frozen=True, slots=True)
class Sources:
    """What :func:`find_elsewhere` reads; each is replaceable (tests pass their own)."""

    unix: Callable[[], Sequence[unix.UnixListener]] = unix.unix_listeners
    namespaces: Callable[[], Sequence[netns.Namespace]] = netns.namespaces
    manager: Callable[[int, str], managers.Manager | None] = _live_manager
    containers: Callable[[str, Sequence[str]], Sequence[containers.Container]] = _live_containers
    platform: str = sys.platform
    names: dict[int, str] = field(default_factory=dict)  # PID -> program name already known (tests, the table)


def find_elsewhere(
    port: int,
    proto: str = "tcp",
    *,
    rows: Iterable[SocketRow] = (),
    family: int | None = None,
    sources: Sources | None = None,
) -> tuple[Elsewhere, ...]:
    """Where the program that should answer at ``proto`` port ``port`` listens instead, if it runs.

    ``rows``: this namespace's sockets (the snapshot); ``family``: the IP version the client used, when known.
    Nothing raises: a source that fails is logged and left out.
    """
    src = sources or Sources()
    proto = proto.lower()
    servers = servers_for(port)
    found: list[Elsewhere] = []
    if servers:
        found += _in_rows(port, proto, family, servers, list(rows))
        found += _in_files(port, proto, servers, src)
    if src.platform.startswith("linux"):
        found += _in_namespaces(port, proto, servers, src)
    unique: list[Elsewhere] = []
    for e in found:
        if e not in unique:
            unique.append(e)
    return tuple(unique[:MAX_FOUND])


def _in_rows(
    port: int, proto: str, family: int | None, servers: Sequence[Server], rows: list[SocketRow]
) -> list[Elsewhere]:
    out: list[Elsewhere] = []
    for server in servers:
        for r in rows:
            if not r.is_listening or not _runs(server, r.program):
                continue
            row_proto = r.proto.lower()
            if r.local_port == port:
                if row_proto != proto or (family is not None and r.family != family):
                    out.append(
                        Elsewhere(
                            Where.OTHER_FAMILY,
                            port,
                            proto,
                            server.key,
                            server.title,
                            r.pid,
                            r.label or r.program,
                            address=r.local_addr,
                            family=r.family,
                            other_proto=row_proto,
                        )
                    )
            elif row_proto == proto:
                out.append(
                    Elsewhere(
                        Where.OTHER_PORT,
                        port,
                        proto,
                        server.key,
                        server.title,
                        r.pid,
                        r.label or r.program,
                        other_port=r.local_port,
                        address=r.local_addr,
                        family=r.family,
                    )
                )
    out.sort(key=lambda e: (e.code != Where.OTHER_FAMILY, abs(e.other_port - port)))
    return out


def _in_files(port: int, proto: str, servers: Sequence[Server], src: Sources) -> list[Elsewhere]:
    if proto != "tcp":
        return []
    try:
        listeners = src.unix()
    except Exception:  # a reader that fails leaves this out; the rest of the explanation stands
        log.exception("reading file sockets failed")
        return []
    exact: list[Elsewhere] = []
    other: list[Elsewhere] = []
    for u in listeners:
        for server in servers:
            socket_port = server.socket_port(u.path) if u.path else None
            by_program = _runs(server, u.program)
            if socket_port is None and not by_program:
                continue
            if socket_port is not None and socket_port != port and server.key not in ("docker", "podman"):
                other.append(
                    Elsewhere(
                        Where.OTHER_PORT,
                        port,
                        proto,
                        server.key,
                        server.title,
                        u.pid,
                        u.program,
                        u.path,
                        other_port=socket_port,
                    )
                )
            else:
                exact.append(
                    Elsewhere(Where.FILE_SOCKET, port, proto, server.key, server.title, u.pid, u.program, u.path)
                )
            break
    # A server's named socket first (.s.PGSQL.5432), then others of its program; each program once.
    exact.sort(key=lambda e: (not any(s.socket_port(e.path) for s in servers if s.key == e.server), e.path))
    seen: set[tuple[int | None, str]] = set()
    out: list[Elsewhere] = []
    for e in exact + other:
        key = (e.pid, e.server) if e.pid is not None else (None, e.path)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def _container_of(pid: int, program: str, src: Sources) -> ContainerRef | None:
    """The container a process runs in, from its manager (named later, by :func:`_named`)."""
    try:
        manager = src.manager(pid, program)
    except Exception:
        log.exception("reading the manager of %s failed", pid)
        return None
    if manager is None or manager.kind not in ("docker", "podman", "kubernetes", "containerd"):
        return None
    return ContainerRef(manager.kind.value, manager.name)


def _named(found: list[Elsewhere], port: int, proto: str, src: Sources) -> list[Elsewhere]:
    """Container names and published ports from the engine: one question per engine for all the containers, so
    its time limit is spent at most once per engine."""
    asked: dict[str, list[str]] = {}
    for e in found:
        c = e.container
        if c is not None and c.manager in ("docker", "podman") and c.container_id:
            asked.setdefault(c.manager, []).append(c.container_id)
    answers: dict[str, Sequence[containers.Container]] = {}
    for kind, ids in asked.items():
        try:
            answers[kind] = src.containers(kind, list(dict.fromkeys(ids)))
        except Exception:
            log.exception("asking %s about its containers failed", kind)
    out: list[Elsewhere] = []
    for e in found:
        c = e.container
        named = e
        if c is not None and c.manager in answers:
            for known in answers[c.manager]:
                if known.container_id[:12] == c.container_id[:12] or (known.pid and known.pid == e.pid):
                    published = known.publishes(port, proto)
                    c = ContainerRef(c.manager, c.container_id, known.name, published.host_port if published else 0)
                    named = dataclasses.replace(e, container=c)
                    break
        out.append(named)
    return out


def _in_namespaces(port: int, proto: str, servers: Sequence[Server], src: Sources) -> list[Elsewhere]:
    try:
        spaces = src.namespaces()
    except Exception:
        log.exception("reading other network namespaces failed")
        return []
    out: list[Elsewhere] = []
    unread: list[Elsewhere] = []
    for ns in spaces:
        names = dict(ns.pids)
        if ns.how is not netns.ReadHow.NOT_READ:
            for x in ns.listeners:
                if x.port != port or x.proto.lower() != proto:
                    continue
                pid = x.pid if x.pid is not None else (ns.pids[0][0] if ns.pids else None)
                program = names.get(pid, "") if pid is not None else ""
                if pid is not None and not program:
                    program = src.names.get(pid, "") or _comm(pid)
                container = _container_of(pid, program, src) if pid is not None else None
                found = _in_namespace(Where.OTHER_NAMESPACE, ns, port, proto, servers, pid, program, container)
                out.append(dataclasses.replace(found, address=x.address, family=x.family))
                break
            continue
        if len(unread) >= MAX_UNREAD:
            continue
        match = next(((p, n) for p, n in ns.pids for s in servers if _runs(s, n)), None)
        candidate = match or (ns.pids[0] if ns.pids else None)
        if candidate is None:
            continue
        pid, program = candidate
        container = _container_of(pid, program, src)
        if match is None and container is None:
            continue  # neither the server nor a container: nothing worth naming
        found = _in_namespace(Where.OTHER_NAMESPACE_UNREAD, ns, port, proto, servers, pid, program, container)
        unread.append(dataclasses.replace(found, problem=ns.problem))
    return _named(out + unread, port, proto, src)


def _in_namespace(
    where: Where,
    ns: netns.Namespace,
    port: int,
    proto: str,
    servers: Sequence[Server],
    pid: int | None,
    program: str,
    container: ContainerRef | None,
) -> Elsewhere:
    """A program found in another network namespace, named as the server it runs as (when it is one)."""
    server = next((s for s in servers if _runs(s, program)), None)
    return Elsewhere(
        where,
        port,
        proto,
        server.key if server else "",
        server.title if server else "",
        pid,
        program,
        namespace=ns.ns_id,
        container=container,
    )


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", "rb") as f:
            return shown(f.read(64).decode("utf-8", "replace").strip())
    except OSError:
        return ""


def live(port: int, proto: str, rows: Iterable[SocketRow]) -> tuple[Elsewhere, ...]:
    """This computer's answer: the reader the diagnosis uses (``Environment.elsewhere``)."""
    return find_elsewhere(port, proto, rows=rows)
