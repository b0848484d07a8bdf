"""Who brings a program back: the service manager, container engine or app store that runs it.

Closing a program that a manager watches often just makes the manager start it again.  loopgui says which manager
it is and the proper way to stop it — as instructions only: loopgui never runs privileged commands itself.  This
module finds the facts (:class:`Manager`); ``core/words/managers.py`` says them.

Linux facts come from ``/proc/PID/cgroup`` (systemd units, Docker, Podman, containerd, Kubernetes, snap, flatpak)
and from ``docker-proxy``'s arguments; Windows services from psutil's service list; macOS launchd jobs from the
``XPC_SERVICE_NAME`` variable of the process.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import re
import shlex
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

import psutil

from loopgui.core.text import shellquote
from loopgui.core.text.plaintext import shown

log = logging.getLogger("loopgui.managers")

MAX_CGROUP_BYTES = 65536


class ManagerKind(str, enum.Enum):
    """What kind of manager runs a program (stable values: ``--json`` and the close check carry them)."""

    SYSTEMD = "systemd"  # a service of the whole computer
    SYSTEMD_USER = "systemd-user"  # a service of the user's own session
    DOCKER = "docker"
    PODMAN = "podman"
    CONTAINERD = "containerd"
    KUBERNETES = "kubernetes"
    SNAP = "snap"
    FLATPAK = "flatpak"
    DOCKER_PROXY = "docker-proxy"  # Docker's port forwarder for a published port
    WINDOWS_SERVICE = "windows-service"
    LAUNCHD = "launchd"


@dataclass(frozen=True, slots=True)
class Manager:
    """What manages a program: a fact with its evidence.

    ``name``: the unit, container id (12 characters), package, app id, service or job label (docker-proxy: the
    container's address).  ``system_service``: a service of the whole computer (administrator rights stop it).
    ``restarts``: closing the program may just make the manager start it again.  ``commands``: the proper way to
    stop it, first the command that stops it, then any that help find what to stop (already quoted for the shell
    they are meant for: data, never translated); empty when no command fits (a snap app, a name ``cmd.exe`` cannot
    quote).  ``needs_admin``: the command needs administrator rights (for Docker: or the docker group).

    Evidence some kinds carry: ``pod`` and ``container`` (Kubernetes), ``service`` (the app of a snap service,
    e.g. ``lxd.daemon``), ``display`` (a Windows service's display name), ``host_port`` and ``target_port`` (the
    ports docker-proxy passes on, None when its arguments did not say).
    """

    kind: ManagerKind
    name: str
    system_service: bool = False
    restarts: bool = False
    commands: tuple[str, ...] = ()
    needs_admin: bool = False
    pod: str = ""
    container: str = ""
    service: str = ""
    display: str = ""
    host_port: int | None = None
    target_port: int | None = None

    @property
    def stop_command(self) -> str:
        """The command that stops it properly, or ""."""
        return self.commands[0] if self.commands else ""

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "name": self.name,
            "system_service": self.system_service,
            "restarts": self.restarts,
            "commands": list(self.commands),
            "needs_admin": self.needs_admin,
            **{
                k: v
                for k, v in (
                    ("pod", self.pod),
                    ("container", self.container),
                    ("service", self.service),
                    ("display", self.display),
                    ("host_port", self.host_port),
                    ("target_port", self.target_port),
                )
                if v
            },
        }


_HEX_ID = re.compile(r"[0-9a-f]{12,64}")
_DOCKER_SCOPE = re.compile(r"^docker-([0-9a-f]{12,64})\.scope$")
_PODMAN_SCOPE = re.compile(r"^libpod-(?!conmon-)([0-9a-f]{12,64})\.scope$")
_CRI_SCOPE = re.compile(r"^(?:cri-containerd|crio|containerd|nerdctl)-([0-9a-f]{12,64})\.scope$")
_K8S_POD = re.compile(r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})")
_FLATPAK = re.compile(r"^app-flatpak-(.+)-\d+\.scope$")
_UNIT_NAME = re.compile(r"^[A-Za-z0-9:_.@\\-]+\.service$")


def cgroup_paths(text: str) -> list[str]:
    """The cgroup paths named in the text of a ``/proc/PID/cgroup`` file, unified (v2) hierarchy first."""
    unified: list[str] = []
    named: list[str] = []
    other: list[str] = []
    for line in text.splitlines()[:64]:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":
            unified.append(path)
        elif controllers == "name=systemd":
            named.append(path)
        else:
            other.append(path)
    seen: list[str] = []
    for path in unified + named + other:
        if path not in seen:
            seen.append(path)
    return seen


def _short(container_id: str) -> str:
    return container_id[:12]


def from_cgroup(text: str) -> Manager | None:
    """The manager that a ``/proc/PID/cgroup`` file names, or None (an ordinary program, or unknown)."""
    paths = cgroup_paths(text)
    for path in paths:
        found = _container(path)
        if found is not None:
            return found
    for path in paths:
        found = _app_or_unit(path)
        if found is not None:
            return found
    return None


def _container(path: str) -> Manager | None:
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    last = parts[-1]
    if parts[0].startswith("kubepods"):
        pod = next((m.group(1).replace("_", "-") for p in parts if (m := _K8S_POD.search(p))), "")
        cid = ""
        for p in reversed(parts):
            m = _CRI_SCOPE.match(p) or _DOCKER_SCOPE.match(p)
            if m:
                cid = m.group(1)
                break
            if _HEX_ID.fullmatch(p):
                cid = p
                break
        return Manager(
            ManagerKind.KUBERNETES,
            _short(cid) or pod,
            restarts=True,
            commands=("kubectl scale deployment NAME --replicas=0", "kubectl get pods -A"),
            pod=pod,
            container=_short(cid),
        )
    for i, p in enumerate(parts):
        m = _DOCKER_SCOPE.match(p)
        if m or (p == "docker" and i + 1 < len(parts) and _HEX_ID.fullmatch(parts[i + 1])):
            cid = _short(m.group(1) if m else parts[i + 1])
            return Manager(ManagerKind.DOCKER, cid, restarts=True, commands=(f"docker stop {cid}",), needs_admin=True)
        m = _PODMAN_SCOPE.match(p)
        if m or (p == "libpod_parent" and i + 1 < len(parts) and parts[i + 1].startswith("libpod-")):
            raw = m.group(1) if m else parts[i + 1][len("libpod-") :]
            cid = _short(raw)
            rootless = "user@" in path
            return Manager(ManagerKind.PODMAN, cid, commands=(f"podman stop {cid}",), needs_admin=not rootless)
    m = _CRI_SCOPE.match(last)
    if m:
        cid = _short(m.group(1))
        return Manager(ManagerKind.CONTAINERD, cid, commands=(f"nerdctl stop {cid}",), needs_admin=True)
    return None


def _app_or_unit(path: str) -> Manager | None:
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    last = parts[-1]
    m = _FLATPAK.match(last)
    if m:
        app = m.group(1)
        return Manager(ManagerKind.FLATPAK, app, commands=(f"flatpak kill {shlex.quote(app)}",))
    snap = next((p for p in reversed(parts) if p.startswith("snap.")), "")
    if snap:
        pieces = snap.split(".")
        package = pieces[1] if len(pieces) > 1 else snap
        if snap.endswith(".service") and len(pieces) >= 4 and not any(p.startswith("user@") for p in parts):
            app = ".".join(pieces[1:-1])
            return Manager(
                ManagerKind.SNAP,
                package,
                system_service=True,
                restarts=True,
                commands=(f"sudo snap stop {shlex.quote(app)}",),
                needs_admin=True,
                service=app,
            )
        if not snap.endswith(".service"):
            return Manager(ManagerKind.SNAP, package)
    services = [p for p in parts if p.endswith(".service")]
    if not services:
        return None
    unit = services[-1]
    user = next((p for p in parts if p.startswith("user@") and p.endswith(".service")), "")
    if user and unit == user:
        return None  # the user's own service manager or its direct scopes (a terminal, an app): nothing restarts
    if not _UNIT_NAME.match(unit):
        return None
    quoted = shlex.quote(unit)
    if user:
        return Manager(ManagerKind.SYSTEMD_USER, unit, restarts=True, commands=(f"systemctl --user stop {quoted}",))
    return Manager(
        ManagerKind.SYSTEMD,
        unit,
        system_service=True,
        restarts=True,
        commands=(f"systemctl stop {quoted}",),
        needs_admin=True,
    )


def from_docker_proxy(name: str, cmdline: Iterable[str]) -> Manager | None:
    """Docker's port forwarder names the container address and port it passes a published port on to."""
    if name != "docker-proxy":
        return None
    args = list(cmdline)[:64]
    values: dict[str, str] = {}
    for i, arg in enumerate(args[:-1]):
        if arg.startswith("-") and arg.lstrip("-") in ("container-ip", "container-port", "host-port", "proto"):
            values[arg.lstrip("-")] = args[i + 1]
    return Manager(
        ManagerKind.DOCKER_PROXY,
        values.get("container-ip", ""),
        restarts=True,
        commands=("docker stop NAME", "docker ps"),
        needs_admin=True,
        host_port=_port(values.get("host-port", "")),
        target_port=_port(values.get("container-port", "")),
    )


def _port(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= 65535 else None


def from_windows_service(pid: int, services: Iterable[tuple[str, str, int | None]]) -> Manager | None:
    """``services``: (name, display name, pid) of each Windows service."""
    for name, display, service_pid in services:
        if service_pid == pid:
            try:  # cmd.exe cannot quote reliably: a name that needs quoting gets no command line
                commands: tuple[str, ...] = (f"sc stop {shellquote.cmd_quoted(name)}",)
            except ValueError:
                commands = ()
            return Manager(
                ManagerKind.WINDOWS_SERVICE,
                name,
                system_service=True,
                restarts=True,
                commands=commands,
                needs_admin=True,
                display=display if display != name else "",
            )
    return None


def from_launchd(environ: Mapping[str, str], uid: int | None) -> Manager | None:
    """A macOS launchd job names itself in ``XPC_SERVICE_NAME`` (apps opened from the Dock are not jobs)."""
    label = environ.get("XPC_SERVICE_NAME", "")
    if not label or label == "0" or label.startswith("application."):
        return None
    if uid is not None and uid < 500:
        return Manager(
            ManagerKind.LAUNCHD,
            label,
            system_service=True,
            restarts=True,
            commands=(f"sudo launchctl bootout system/{shlex.quote(label)}",),
            needs_admin=True,
        )
    gui = f"gui/{uid}" if uid is not None else "gui/$(id -u)"
    return Manager(
        ManagerKind.LAUNCHD, label, restarts=True, commands=(f"launchctl bootout {gui}/{shlex.quote(label)}",)
    )


# -- reading the live facts ------------------------------------------------------------------------------------------


def read_cgroup(pid: int, proc: str = "/proc") -> str:
    try:
        with open(f"{proc}/{pid}/cgroup", "rb") as f:
            return f.read(MAX_CGROUP_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""


def _windows_services() -> list[tuple[str, str, int | None]]:
    found: list[tuple[str, str, int | None]] = []
    iterate: Callable[[], Iterable[object]] | None = getattr(psutil, "win_service_iter", None)
    if iterate is None:
        return found
    try:
        for service in iterate():
            with contextlib.suppress(psutil.Error, OSError):
                found.append((service.name(), service.display_name(), service.pid()))  # type: ignore[attr-defined]
    except (psutil.Error, OSError) as exc:
        log.debug("cannot list Windows services: %s", exc)
    return found


def _environ(pid: int) -> Mapping[str, str]:
    try:
        return dict(psutil.Process(pid).environ())
    except (psutil.Error, OSError):
        return {}


def detect(
    pid: int,
    name: str,
    cmdline: Iterable[str] = (),
    *,
    uid: int | None = None,
    platform: str = sys.platform,
    cgroup: Callable[[int], str] | None = None,
    services: Callable[[], Iterable[tuple[str, str, int | None]]] | None = None,
    environ: Callable[[int], Mapping[str, str]] | None = None,
) -> Manager | None:
    """What manages the process ``pid`` on this system, or None.  Every text is plain: names read from cgroup paths,
    arguments or the environment are the program's own to choose, so controls and bidi overrides are dropped."""
    found: Manager | None = None
    if platform.startswith("linux"):
        found = from_docker_proxy(name, cmdline) or from_cgroup((cgroup or read_cgroup)(pid))
    elif platform == "win32":
        found = from_windows_service(pid, (services or _windows_services)())
    elif platform == "darwin":
        found = from_launchd((environ or _environ)(pid), uid)
    return plain(found) if found is not None else None


def plain(found: Manager) -> Manager:
    """The manager with every text shown plain (no controls, no bidi overrides)."""
    return replace(
        found,
        name=shown(found.name),
        commands=tuple(shown(c) for c in found.commands),
        pod=shown(found.pod),
        container=shown(found.container),
        service=shown(found.service),
        display=shown(found.display),
    )
