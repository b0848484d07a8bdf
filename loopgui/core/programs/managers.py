"""Who brings a program back: the service manager, container engine or app store that runs it.

Closing a program that a manager watches often just makes the manager start it again.  loopgui says which manager
it is and the proper way to stop it — as instructions only: loopgui never runs privileged commands itself.

Linux facts come from ``/proc/PID/cgroup`` (systemd units, Docker, Podman, containerd, Kubernetes, snap, flatpak)
and from ``docker-proxy``'s arguments; Windows services from psutil's service list; macOS launchd jobs from the
``XPC_SERVICE_NAME`` variable of the process.
"""

from __future__ import annotations

import contextlib
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


@dataclass(frozen=True, slots=True)
class Manager:
    """What manages a program.

    ``kind``: "systemd" (a system service), "systemd-user" (a service of the user's own session), "docker",
    "podman", "containerd", "kubernetes", "snap", "flatpak", "docker-proxy", "windows-service", "launchd".
    ``name``: the unit, container id (12 characters), package, app id, service or job label.  ``summary`` says in
    plain words what it is and whether closing brings it back; ``instead`` the proper way, or "".
    ``system_service`` is True for services of the whole computer (they need administrator rights to stop).
    """

    kind: str
    name: str
    summary: str
    instead: str = ""
    system_service: bool = False

    @property
    def text(self) -> str:
        return f"{self.summary} {self.instead}".strip()


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
        where = f"pod {pod}" + (f", container {_short(cid)}" if cid else "") if pod else f"container {_short(cid)}"
        return Manager(
            "kubernetes",
            _short(cid) or pod,
            f"This program runs in a Kubernetes container ({where}); Kubernetes starts it again when it ends.",
            "Change the workload instead, for example scale its deployment down with "
            "`kubectl scale deployment NAME --replicas=0` (`kubectl get pods -A` shows which one; it needs the "
            "cluster's permissions).",
        )
    for i, p in enumerate(parts):
        m = _DOCKER_SCOPE.match(p)
        if m or (p == "docker" and i + 1 < len(parts) and _HEX_ID.fullmatch(parts[i + 1])):
            cid = _short(m.group(1) if m else parts[i + 1])
            return Manager(
                "docker",
                cid,
                f"This program runs in the Docker container {cid}; if the container is set to restart, Docker "
                "starts it again.",
                f"Stop the container instead: `docker stop {cid}` (needs administrator rights or the docker group).",
            )
        m = _PODMAN_SCOPE.match(p)
        if m or (p == "libpod_parent" and i + 1 < len(parts) and parts[i + 1].startswith("libpod-")):
            raw = m.group(1) if m else parts[i + 1][len("libpod-") :]
            cid = _short(raw)
            rootless = "user@" in path
            rights = "" if rootless else " (needs administrator rights)"
            return Manager(
                "podman",
                cid,
                f"This program runs in the Podman container {cid}.",
                f"Stop the container instead: `podman stop {cid}`{rights}.",
            )
    m = _CRI_SCOPE.match(last)
    if m:
        cid = _short(m.group(1))
        return Manager(
            "containerd",
            cid,
            f"This program runs in the container {cid} (containerd).",
            f"Stop the container with the tool that started it instead, for example `nerdctl stop {cid}` "
            "(needs administrator rights).",
        )
    return None


def _app_or_unit(path: str) -> Manager | None:
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    last = parts[-1]
    m = _FLATPAK.match(last)
    if m:
        app = m.group(1)
        return Manager(
            "flatpak",
            app,
            f"This is the Flatpak app {app}.",
            f"Close it from its own window, or run `flatpak kill {shlex.quote(app)}`.",
        )
    snap = next((p for p in reversed(parts) if p.startswith("snap.")), "")
    if snap:
        pieces = snap.split(".")
        package = pieces[1] if len(pieces) > 1 else snap
        if snap.endswith(".service") and len(pieces) >= 4 and not any(p.startswith("user@") for p in parts):
            app = ".".join(pieces[1:-1])
            return Manager(
                "snap",
                package,
                f"This is the background service {app} of the snap package {package}; closing it may just make "
                "the system start it again.",
                f"Stop the service instead: `sudo snap stop {shlex.quote(app)}` (needs administrator rights).",
                system_service=True,
            )
        if not snap.endswith(".service"):
            return Manager("snap", package, f"This program comes from the snap package {package}.")
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
        return Manager(
            "systemd-user",
            unit,
            f"This is the service {unit} of your session; closing it may just make it start again.",
            f"Stop the service instead: `systemctl --user stop {quoted}`.",
        )
    return Manager(
        "systemd",
        unit,
        f"This is the service {unit}; closing it may just make the system start it again.",
        f"Stop the service instead: `systemctl stop {quoted}` (needs administrator rights).",
        system_service=True,
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
    host_port = values.get("host-port", "")
    target = values.get("container-ip", "")
    target_port = values.get("container-port", "")
    published = f"port {host_port}" if host_port else "a port"
    into = f"port {target_port} of the Docker container at {target}" if target else "a Docker container"
    return Manager(
        "docker-proxy",
        target,
        f"This is Docker's port forwarder: it passes {published} of this computer on to {into}. Docker starts it "
        "again with the container, and closing it only breaks that container's published port.",
        f"Stop the container instead: `docker ps` shows which container publishes {published}; then "
        "`docker stop NAME` (needs administrator rights or the docker group).",
    )


def from_windows_service(pid: int, services: Iterable[tuple[str, str, int | None]]) -> Manager | None:
    """``services``: (name, display name, pid) of each Windows service."""
    for name, display, service_pid in services:
        if service_pid == pid:
            label = f"{display} ({name})" if display and display != name else name
            try:  # cmd.exe cannot quote reliably: a name that needs quoting gets no command line
                how = f"in an administrator Command Prompt: `sc stop {shellquote.cmd_quoted(name)}`."
            except ValueError:
                how = "in an administrator Command Prompt with `sc stop` and the service's name."
            return Manager(
                "windows-service",
                name,
                f"This is the Windows service {label}; Windows may start it again.",
                f"Stop the service instead in the Services app, or {how}",
                system_service=True,
            )
    return None


def from_launchd(environ: Mapping[str, str], uid: int | None) -> Manager | None:
    """A macOS launchd job names itself in ``XPC_SERVICE_NAME`` (apps opened from the Dock are not jobs)."""
    label = environ.get("XPC_SERVICE_NAME", "")
    if not label or label == "0" or label.startswith("application."):
        return None
    if uid is not None and uid < 500:
        return Manager(
            "launchd",
            label,
            f"This is the macOS background job {label}; launchd may start it again.",
            f"Stop the job instead: `sudo launchctl bootout system/{shlex.quote(label)}` (needs administrator rights).",
            system_service=True,
        )
    gui = f"gui/{uid}" if uid is not None else "gui/$(id -u)"
    return Manager(
        "launchd",
        label,
        f"This is the background job {label} of your session; launchd may start it again.",
        f"Stop the job instead: `launchctl bootout {gui}/{shlex.quote(label)}`.",
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
    return replace(found, name=shown(found.name), summary=shown(found.summary), instead=shown(found.instead))
