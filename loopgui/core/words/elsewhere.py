"""Sentences for :mod:`loopgui.core.explain.elsewhere`: where the program that should answer listens instead.

``headline(e)`` (None: keep the caller's), ``finding(e)`` -> (sentence, detail) and ``steps(e)``.  Commands are
placeholders, quoted for a POSIX shell, shown and never run.
"""

from __future__ import annotations

import shlex

from loopgui.core.explain.elsewhere import Elsewhere, Where
from loopgui.core.net.sockets import UNIX, SocketRow, format_endpoint
from loopgui.core.words.i18n import _
from loopgui.core.words.programs import program_text

# Names of container managers as their makers write them (never translated).
MANAGER_NAMES = {"docker": "Docker", "podman": "Podman", "kubernetes": "Kubernetes", "containerd": "containerd"}


def _who(e: Elsewhere) -> str:
    """``PostgreSQL (PID 812)``: the server's name when known, else the program's."""
    if e.pid is None and e.title:
        return e.title
    return program_text(e.title or e.program, e.pid)


def _folder(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


def _display(e: Elsewhere) -> int:
    return e.port - 6000 if 6000 <= e.port < 6064 else 0


def _container_text(e: Elsewhere) -> str:
    c = e.container
    if c is None:
        return ""
    manager = MANAGER_NAMES.get(c.manager, c.manager)
    label = c.name or c.container_id
    if label:
        return _("the {manager} container {container}").format(manager=manager, container=label)
    return _("a {manager} container").format(manager=manager)


def headline(e: Elsewhere) -> str | None:
    """A headline for the whole explanation when ``e`` is the main finding; None to keep the caller's."""
    who = _who(e)
    if e.code is Where.FILE_SOCKET:
        return _("{program} is running, but listens on a local file socket, not on port {port}.").format(
            program=who, port=e.port
        )
    if e.code is Where.OTHER_PORT:
        return _("{program} is running, but on port {other_port}, not on port {port}.").format(
            program=who, other_port=e.other_port, port=e.port
        )
    if e.code is Where.OTHER_FAMILY:
        return _("{program} listens on port {port}, but not in the way the connection tried.").format(
            program=who, port=e.port
        )
    if e.code is Where.OTHER_NAMESPACE:
        if e.container is not None:
            return _("{program} listens on port {port} inside {container}, not on this computer's addresses.").format(
                program=who, port=e.port, container=_container_text(e)
            )
        return _("{program} listens on port {port} in a separate network, not on this computer's addresses.").format(
            program=who, port=e.port
        )
    return None


def finding(e: Elsewhere) -> tuple[str, str]:
    """(sentence, detail) for one fact."""
    who = _who(e)
    detail = ""
    if e.code is Where.FILE_SOCKET:
        detail = _("File socket: {path}").format(path=e.path)
        if e.server == "postgresql":
            text = _(
                "{program} is running but listens only on a local file socket ({path}), not on TCP port {port}: "
                "its setting {setting} decides that."
            ).format(program=who, path=e.path, port=e.port, setting="listen_addresses")
        elif e.server == "mysql":
            text = _(
                "{program} is running but listens only on a local file socket ({path}), not on TCP port {port}: "
                "its settings {setting} and {setting2} decide that."
            ).format(program=who, path=e.path, port=e.port, setting="skip-networking", setting2="bind-address")
        elif e.server == "redis":
            text = _(
                "{program} is running but listens only on a local file socket ({path}), not on TCP port {port}: "
                "its setting {setting} decides that (0 turns the network off)."
            ).format(program=who, path=e.path, port=e.port, setting="port")
        elif e.server in ("docker", "podman"):
            text = _(
                "{program} listens on its local file socket ({path}), as it normally does; its programming "
                "interface is not open on TCP port {port}."
            ).format(program=who, path=e.path, port=e.port)
        elif e.server == "x11":
            text = _(
                "{program} serves display :{display} through the local file socket {path}; X servers do not "
                "listen on TCP port {port} unless told to."
            ).format(program=who, display=_display(e), path=e.path, port=e.port)
        else:
            text = _(
                "{program} is running but listens only on a local file socket ({path}), not on TCP port {port}."
            ).format(program=who, path=e.path, port=e.port)
        if e.pid is None:
            detail = _("File socket: {path}. Its program belongs to another user or the system.").format(path=e.path)
        return text, detail
    if e.code is Where.OTHER_PORT:
        if e.path:
            return (
                _(
                    "{program} is running, and its local file socket {path} is the one for port {other_port}, "
                    "not {port}: it was set up to use port {other_port}."
                ).format(program=who, path=e.path, other_port=e.other_port, port=e.port),
                "",
            )
        where = format_endpoint(e.address, e.other_port)
        return (
            _("{program} is running and listens on {endpoint}, on port {other_port} instead of {port}.").format(
                program=who, endpoint=where, other_port=e.other_port, port=e.port
            ),
            "",
        )
    if e.code is Where.OTHER_FAMILY:
        where = format_endpoint(e.address, e.port)
        if e.other_proto and e.other_proto != e.proto:
            return (
                _("{program} listens on port {port} with {other} ({endpoint}), not with {proto}.").format(
                    program=who, port=e.port, other=e.other_proto.upper(), endpoint=where, proto=e.proto.upper()
                ),
                "",
            )
        return (
            _("{program} listens on port {port} only over IPv{version} ({endpoint}).").format(
                program=who, port=e.port, version=e.family, endpoint=where
            ),
            "",
        )
    if e.code is Where.OTHER_NAMESPACE:
        net = _("Network namespace {namespace}.").format(namespace=e.namespace)
        c = e.container
        if c is not None and c.published_port and c.published_port != e.port:
            return (
                _(
                    "{program} listens on port {port} inside {container}; that port is published on this "
                    "computer's port {published}, not on {port}."
                ).format(program=who, port=e.port, container=_container_text(e), published=c.published_port),
                net,
            )
        if c is not None:
            return (
                _(
                    "{program} listens on port {port} inside {container}, which has its own network: the port is not "
                    "published on this computer, so connections to this computer's addresses find nothing."
                ).format(program=who, port=e.port, container=_container_text(e)),
                net,
            )
        return (
            _(
                "{program} listens on port {port} inside a separate network (a network namespace, as containers "
                "have): connections to this computer's own addresses do not reach it."
            ).format(program=who, port=e.port),
            net,
        )
    # OTHER_NAMESPACE_UNREAD
    why = _("Network namespace {namespace}.").format(namespace=e.namespace)
    if e.problem:
        why = _("Network namespace {namespace}; the system said: {problem}").format(
            namespace=e.namespace, problem=e.problem
        )
    if e.container is not None:
        text = _(
            "{program} runs inside {container}, which has its own network; loopgui cannot see which ports it listens "
            "on there without administrator rights."
        ).format(program=who, container=_container_text(e))
    else:
        text = _(
            "{program} runs in a separate network (a network namespace); loopgui cannot see which ports it listens on "
            "there without administrator rights."
        ).format(program=who)
    return text, why


def _publish_steps(e: Elsewhere) -> list[str]:
    c = e.container
    port = e.port
    if c is None:
        if e.pid is None:
            return [
                _("Connect from inside that network, or forward port {port} from it to this computer.").format(
                    port=port
                )
            ]
        return [
            _(
                "Run the client inside that network, for example `{command}` (needs administrator rights), or "
                "forward port {port} from it to this computer."
            ).format(command=f"sudo nsenter --target {e.pid} --net CLIENT", port=port)
        ]
    if c.published_port and c.published_port != port:
        return [_("Connect to port {published} instead of {port}.").format(published=c.published_port, port=port)]
    label = c.name or c.container_id
    if c.manager in ("docker", "podman"):
        engine = c.manager
        steps = [
            _(
                "Publish the port: start the container again with `{command}` (or add `{compose}` under the service's "
                "ports in its compose file). loopgui shows this command and does not run it."
            ).format(command=f"{engine} run -p {port}:{port} …", compose=f'- "{port}:{port}"')
        ]
        if label:
            steps.append(
                _("`{command}` shows what {container} publishes now.").format(
                    command=f"{engine} port {shlex.quote(label)}", container=label
                )
            )
        return steps
    if c.manager == "kubernetes":
        return [
            _(
                "Forward the port to this computer while you need it: `{command}` (`{find}` shows the pod's name). "
                "loopgui shows this command and does not run it."
            ).format(command=f"kubectl port-forward pod/POD-NAME {port}:{port}", find="kubectl get pods -A")
        ]
    return [_("Publish port {port} of the container with the tool that started it.").format(port=port)]


def steps(e: Elsewhere) -> tuple[str, ...]:
    """Next steps for one fact (commands shown, never run)."""
    port = e.port
    if e.code is Where.FILE_SOCKET:
        path = shlex.quote(e.path)
        folder = shlex.quote(_folder(e.path))
        if e.server == "postgresql":
            return (
                _(
                    "Connect through the file socket: give the client its folder as the host, for example `{command}`."
                ).format(command=f"psql -h {folder} -p {port}"),
                _(
                    "Or let PostgreSQL accept network connections: set {setting} in postgresql.conf, then restart "
                    "PostgreSQL (for example `{command}`)."
                ).format(setting="listen_addresses = 'localhost'", command="sudo systemctl restart postgresql"),
            )
        if e.server == "mysql":
            return (
                _(
                    "Connect through the file socket: `{command}` (MySQL clients given the host “localhost” use the "
                    "file socket by themselves)."
                ).format(command=f"mysql --socket={path}"),
                _(
                    "Or let MySQL accept network connections: remove {setting} and set {setting2} in the [mysqld] "
                    "section of its configuration file, then restart it."
                ).format(setting="skip-networking", setting2="bind-address = 127.0.0.1"),
            )
        if e.server == "redis":
            return (
                _("Connect through the file socket: `{command}`.").format(command=f"redis-cli -s {path}"),
                _("Or set `{setting}` in redis.conf, then restart Redis.").format(setting=f"port {port}"),
            )
        if e.server in ("docker", "podman"):
            return (
                _(
                    "Point the client at the file socket instead of port {port}: `{setting}`. Opening the interface on "
                    "a network port gives whoever connects full control of this computer."
                ).format(port=port, setting=f"DOCKER_HOST=unix://{e.path}"),
            )
        if e.server == "x11":
            return (
                _("Programs reach this display through `{setting}`, not through a network port.").format(
                    setting=f"DISPLAY=:{_display(e)}"
                ),
            )
        return (
            _(
                "Point the client at the file socket {path} if it can use one, or change the program's settings so "
                "that it listens on port {port}."
            ).format(path=e.path, port=port),
        )
    if e.code is Where.OTHER_PORT:
        return (
            _("Connect to port {other_port} instead of {port}, or set the program's port back to {port}.").format(
                other_port=e.other_port, port=port
            ),
        )
    if e.code is Where.OTHER_FAMILY:
        return (_("Connect to {endpoint} instead.").format(endpoint=format_endpoint(e.address, port)),)
    if e.code is Where.OTHER_NAMESPACE:
        return tuple(_publish_steps(e))
    if e.container is not None and e.container.manager in ("docker", "podman"):
        label = e.container.name or e.container.container_id
        return (
            _("`{command}` shows what it publishes; or run loopgui as administrator to look inside.").format(
                command=f"{e.container.manager} port {shlex.quote(label)}"
            ),
        )
    return (_("Run loopgui as administrator to see which ports it listens on."),)


def row_tooltip(row: SocketRow) -> str:
    """The table's tooltip for a file socket or another network's socket (the table's switch)."""
    who = program_text(row.label or row.program, row.pid)
    if row.proto == UNIX:
        if not row.local_addr:
            return _("A local file socket without a name, held by {program}.").format(program=who)
        return _(
            "A local file socket: programs on this computer connect to the file {path} instead of a network port. "
            "Held by {program}."
        ).format(path=row.local_addr, program=who)
    return _(
        "{program} listens on {endpoint} inside another network (network namespace {namespace}), such as a "
        "container's: connections to this computer's own addresses do not reach it."
    ).format(program=who, endpoint=row.local_endpoint, namespace=row.namespace)


def address_cell(row: SocketRow) -> str:
    """The table's address cell for another network's socket: the address, and that it is in another network."""
    return _("{address} (another network)").format(address=row.local_addr)
