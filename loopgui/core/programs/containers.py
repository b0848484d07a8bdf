"""Container names and published ports, read from ``docker ps`` and ``docker inspect`` (Podman prints the same).

``/proc/PID/cgroup`` tells loopgui a container's id (:mod:`loopgui.core.programs.managers`); the engine knows its
name and which ports it publishes on this computer.  When ``docker`` (or ``podman``) is installed it is run by its
absolute path, with fixed arguments, a time limit and a cap on what is read; a container id reaches it only after it
was checked to be hexadecimal.  The parsers take the text, so tests feed them recorded outputs.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from loopgui.core.text.plaintext import shown

log = logging.getLogger("loopgui.containers")

MAX_OUTPUT = 1 << 20  # bytes read from the engine
TIMEOUT = 3.0
MAX_ROWS = 10_000

_HEX_ID = re.compile(r"[0-9a-f]{12,64}")
_PORT_MAP = re.compile(
    r"^(?:(?P<host>\[[0-9a-fA-F:.]*\]|[0-9.]*|::):)?(?:(?P<hport>\d{1,5})->)?(?P<cport>\d{1,5})/(?P<proto>tcp|udp|sctp)$"
)


@dataclass(frozen=True, slots=True)
class Published:
    """One port of a container: ``container_port`` inside, ``host_port`` on this computer (0: not published)."""

    container_port: int
    proto: str = "tcp"
    host_port: int = 0
    host_ip: str = ""


@dataclass(frozen=True, slots=True)
class Container:
    """What the engine says of one container.  ``pid``: its main process (0 when not given)."""

    container_id: str
    name: str
    image: str = ""
    pid: int = 0
    ports: tuple[Published, ...] = ()
    network_mode: str = ""

    def publishes(self, port: int, proto: str = "tcp") -> Published | None:
        """How the container's ``port`` is reached from this computer (None: it is not published)."""
        for p in self.ports:
            if p.container_port == port and p.proto == proto and p.host_port:
                return p
        return None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.container_id,
            "name": self.name,
            "image": self.image or None,
            "pid": self.pid or None,
            "ports": [
                {"container_port": p.container_port, "protocol": p.proto, "host_port": p.host_port or None}
                for p in self.ports
            ],
        }


def parse_port_list(text: str) -> tuple[Published, ...]:
    """``80/tcp, 443/tcp, 0.0.0.0:8045->8080/tcp`` -> the ports (ranges and junk are left out)."""
    out: list[Published] = []
    for part in text.split(",")[:256]:
        m = _PORT_MAP.match(part.strip())
        if not m:
            continue
        host = (m.group("host") or "").strip("[]")
        hport = int(m.group("hport") or 0)
        cport = int(m.group("cport"))
        if cport <= 65535 and hport <= 65535:
            p = Published(cport, m.group("proto"), hport, host)
            if p not in out:
                out.append(p)
    return tuple(out)


def parse_ps(text: str) -> tuple[Container, ...]:
    """The rows of ``docker ps`` / ``podman ps`` in their default table layout (columns found from the header)."""
    lines = [line.rstrip("\r") for line in text.splitlines()]
    header_at = next((i for i, line in enumerate(lines[:20]) if "CONTAINER ID" in line and "NAMES" in line), None)
    if header_at is None:
        return ()
    header = lines[header_at]
    starts = [m.start() for m in re.finditer(r"(?:^|(?<=  ))\S", header)]
    titles = [header[s:e].strip() for s, e in zip(starts, [*starts[1:], None], strict=True)]
    out: list[Container] = []
    for line in lines[header_at + 1 : header_at + 1 + MAX_ROWS]:
        if not line.strip():
            continue
        cells: dict[str, str] = {}
        for title, s, e in zip(titles, starts, [*starts[1:], None], strict=True):
            cells[title] = line[s:e].strip() if e is not None else line[s:].strip()
        cid = cells.get("CONTAINER ID", "").split(" ")[0]
        if not _HEX_ID.fullmatch(cid):
            continue
        out.append(
            Container(
                container_id=cid[:12],
                name=shown(cells.get("NAMES", ""), 200),
                image=shown(cells.get("IMAGE", ""), 200),
                ports=parse_port_list(cells.get("PORTS", "")),
            )
        )
    return tuple(out)


def _ports_from_inspect(item: dict[str, object]) -> tuple[Published, ...]:
    out: dict[tuple[int, str], Published] = {}
    config = item.get("Config")
    exposed = config.get("ExposedPorts") if isinstance(config, dict) else None
    network = item.get("NetworkSettings")
    bound = network.get("Ports") if isinstance(network, dict) else None
    for source in (exposed, bound):
        if not isinstance(source, dict):
            continue
        for spec, bindings in list(source.items())[:256]:
            m = re.fullmatch(r"(\d{1,5})/(tcp|udp|sctp)", str(spec))
            if not m or int(m.group(1)) > 65535:
                continue
            key = (int(m.group(1)), m.group(2))
            out.setdefault(key, Published(*key))
            if isinstance(bindings, list):
                for b in bindings[:16]:
                    if isinstance(b, dict) and str(b.get("HostPort", "")).isdigit():
                        hport = int(str(b["HostPort"]))
                        if 0 < hport <= 65535 and not out[key].host_port:
                            out[key] = Published(key[0], key[1], hport, str(b.get("HostIp", "")))
    return tuple(out[k] for k in sorted(out))


def parse_inspect(text: str) -> tuple[Container, ...]:
    """The containers in ``docker inspect`` output (a JSON array, or one object as the engine's API gives it)."""
    try:
        data = json.loads(text)
    except ValueError:
        return ()
    items = data if isinstance(data, list) else [data]
    out: list[Container] = []
    for item in items[:MAX_ROWS]:
        if not isinstance(item, dict):
            continue
        cid = str(item.get("Id", ""))
        if not _HEX_ID.fullmatch(cid):
            continue
        state = item.get("State")
        pid = state.get("Pid") if isinstance(state, dict) else 0
        config = item.get("Config")
        image = config.get("Image", "") if isinstance(config, dict) else ""
        host = item.get("HostConfig")
        mode = host.get("NetworkMode", "") if isinstance(host, dict) else ""
        out.append(
            Container(
                container_id=cid[:12],
                name=shown(str(item.get("Name", "")).lstrip("/"), 200),
                image=shown(str(image), 200),
                pid=pid if isinstance(pid, int) and pid > 0 else 0,
                ports=_ports_from_inspect(item),
                network_mode=shown(str(mode), 200),
            )
        )
    return tuple(out)


# -- asking the engine ----------------------------------------------------------------------------------------------

Runner = Callable[[list[str]], str]


def engine_path(kind: str) -> str:
    """The absolute path of the ``docker`` or ``podman`` program, or "" when it is not installed."""
    if kind not in ("docker", "podman"):
        return ""
    found = shutil.which(kind) or ""
    return found if os.path.isabs(found) else ""


def run_capped(args: list[str]) -> str:
    """Run a fixed command (never a shell) with a time limit, reading at most :data:`MAX_OUTPUT` bytes."""
    try:
        with subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        ) as child:
            try:
                out, _ = child.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
                log.info("%s took too long", args[0])
                return ""
    except OSError as exc:
        log.info("could not run %s: %s", args[0], exc)
        return ""
    return out[:MAX_OUTPUT].decode("utf-8", "replace")


def inspect(container_ids: Iterable[str], kind: str = "docker", run: Runner = run_capped) -> tuple[Container, ...]:
    """``docker inspect`` of the given container ids (only hexadecimal ids are passed on)."""
    ids = [c for c in dict.fromkeys(container_ids) if _HEX_ID.fullmatch(c)][:64]
    path = engine_path(kind) if run is run_capped else kind
    if not ids or not path:
        return ()
    return parse_inspect(run([path, "inspect", "--type", "container", *ids]))
