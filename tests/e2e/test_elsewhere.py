"""Running, but not where you knock: real servers where the client does not look.

A stand-in server runs under the name ``postgres`` (a link to the Python interpreter): on a file socket named like
PostgreSQL's (``.s.PGSQL.5432``) in a private folder, or on a neighbouring TCP port; another listens inside a network
namespace this test creates (``unshare -n``, as root; an ordinary user's own namespace through ``unshare -rn``).
Each test matches only its own sockets: by the path or the port, and by the PID of the program it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopgui.core.explain.diagnosis import Environment, diagnose
from loopgui.core.explain.elsewhere import ContainerRef, Elsewhere, Sources, Where, find_elsewhere
from loopgui.core.net import namespaces, unix
from loopgui.core.net.scanner import make_scanner
from loopgui.core.programs import containers
from loopgui.core.programs.managers import Manager, ManagerKind
from loopgui.core.words import elsewhere as words
from loopgui.core.words import explain as explain_words

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sock_diag and network namespaces are Linux's"),
]

HERE = Path(__file__).resolve().parent
SERVER = HERE / "elsewhere_server.py"
DATA = HERE.parent / "data" / "docker"
NO_FILES = Sources(unix=lambda: (), namespaces=lambda: ())


@contextlib.contextmanager
def postgres(
    tmp_path: Path, *args: str, prefix: tuple[str, ...] = (), python: str = sys.executable
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """The stand-in server, named ``postgres``; yields the process and the port it listens on (0 for a file)."""
    link = tmp_path / "bin" / "postgres"
    link.parent.mkdir(exist_ok=True)
    link.parent.chmod(0o755)  # another user's program may be started from it (whatever the umask)
    if not link.exists():
        link.symlink_to(os.path.realpath(python))
    child = subprocess.Popen(
        [*prefix, str(link), "-I", str(SERVER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line.startswith("ready"):
            err = child.stderr.read() if child.stderr else ""
            child.kill()
            pytest.skip(f"the stand-in server did not start: {err.strip()[-300:]}")
        yield child, int(line.split()[1])
    finally:
        with contextlib.suppress(OSError):
            if child.stdin:
                child.stdin.close()
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)
        for pipe in (child.stdout, child.stderr):
            if pipe is not None:
                pipe.close()


def _mine(found: tuple[Elsewhere, ...], pid: int) -> list[Elsewhere]:
    return [e for e in found if e.pid == pid]


def _free(port: int) -> bool:
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family) as s:
            try:
                s.bind((host, port))
            except OSError as exc:
                if exc.errno == 98:  # EADDRINUSE
                    return False
    return True


# -- a file socket named like PostgreSQL's -------------------------------------------------------------------------


def test_a_file_socket_is_listed_with_its_path_and_owner(tmp_path: Path) -> None:
    path = tmp_path / ".s.PGSQL.5432"
    with postgres(tmp_path, "unix", str(path)) as (child, _):
        found = [u for u in unix.unix_listeners() if u.path == str(path)]
    assert len(found) == 1
    assert found[0].pid == child.pid
    assert found[0].program == "postgres"
    assert found[0].kind == "stream"
    assert found[0].file_inode == os.stat(tmp_path).st_ino or found[0].file_inode > 0


def test_postgres_on_its_file_socket_only_is_found_instead_of_start_it(tmp_path: Path) -> None:
    path = tmp_path / ".s.PGSQL.5432"
    with postgres(tmp_path, "unix", str(path)) as (child, _):
        found = find_elsewhere(5432, "tcp", sources=Sources(namespaces=lambda: ()))
    mine = _mine(found, child.pid)
    assert [(e.code, e.server, e.path, e.program) for e in mine] == [
        (Where.FILE_SOCKET, "postgresql", str(path), "postgres")
    ]
    text, _detail = words.finding(mine[0])
    assert text == (
        f"PostgreSQL (PID {child.pid}) is running but listens only on a local file socket ({path}), not on TCP "
        "port 5432: its setting listen_addresses decides that."
    )
    assert any(f"psql -h {tmp_path} -p 5432" in s for s in words.steps(mine[0]))


def test_the_explanation_says_where_postgres_listens(tmp_path: Path) -> None:
    if not _free(5432):
        pytest.skip("something on this computer listens on port 5432; the explanation would be about it")
    path = tmp_path / ".s.PGSQL.5432"
    env = Environment.current(resolver=lambda *a, **k: [(socket.AF_INET, 1, 6, "", ("127.0.0.1", 0))])
    with postgres(tmp_path, "unix", str(path)) as (child, _):
        rows = make_scanner().scan().rows
        d = diagnose(
            'connection to server at "localhost" (127.0.0.1), port 5432 failed: Connection refused', rows, env=env
        )
    mine = _mine(d.elsewhere, child.pid)
    assert mine and mine[0].code is Where.FILE_SOCKET
    assert "start_program" not in d.step_codes()  # it runs: no "start it"
    rendered = explain_words.render(d)
    assert rendered.headline.endswith("is running, but listens on a local file socket, not on port 5432.")
    assert not any(s.startswith("Start the program") for s in rendered.next_steps)
    entry = next(x for x in explain_words.as_json(d)["elsewhere"] if x["pid"] == child.pid)  # type: ignore[union-attr]
    assert entry["code"] == "file_socket" and entry["path"] == str(path)


def test_a_socket_for_another_port_says_which(tmp_path: Path) -> None:
    path = tmp_path / ".s.PGSQL.5433"
    with postgres(tmp_path, "unix", str(path)) as (child, _):
        found = find_elsewhere(5432, "tcp", sources=Sources(namespaces=lambda: ()))
    mine = _mine(found, child.pid)
    assert [(e.code, e.other_port, e.path) for e in mine] == [(Where.OTHER_PORT, 5433, str(path))]


# -- a neighbouring port -------------------------------------------------------------------------------------------


def test_postgres_on_a_neighbouring_port_is_named(tmp_path: Path) -> None:
    port = 5433 if _free(5433) else 0
    with postgres(tmp_path, "tcp", "127.0.0.1", str(port)) as (child, got):
        rows = make_scanner().scan().rows.values()
        found = find_elsewhere(5432, "tcp", rows=rows, sources=NO_FILES)
    mine = _mine(found, child.pid)
    assert [(e.code, e.other_port, e.address) for e in mine] == [(Where.OTHER_PORT, got, "127.0.0.1")]
    assert words.steps(mine[0]) == (f"Connect to port {got} instead of 5432, or set the program's port back to 5432.",)


def test_postgres_on_the_port_over_ipv6_only_is_another_family(tmp_path: Path) -> None:
    if not socket.has_ipv6 or not _free(5432):
        pytest.skip("IPv6 is off here, or port 5432 is taken on this computer")
    with postgres(tmp_path, "tcp", "::1", "5432") as (child, _):
        rows = make_scanner().scan().rows.values()
        found = find_elsewhere(5432, "tcp", rows=rows, family=4, sources=NO_FILES)
    mine = _mine(found, child.pid)
    assert [(e.code, e.family, e.address) for e in mine] == [(Where.OTHER_FAMILY, 6, "::1")]


# -- another network namespace ----------------------------------------------------------------------------------


def _can(prefix: list[str]) -> bool:
    if shutil.which(prefix[0]) is None:
        return False
    try:
        return subprocess.run([*prefix, "true"], capture_output=True, timeout=10, check=False).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _root_netns() -> list[str]:
    if os.geteuid() != 0:
        pytest.skip("reading another namespace's sockets with setns needs administrator rights (run as root)")
    if not _can(["unshare", "-n"]):
        pytest.skip("cannot create a network namespace here (unshare -n refused or missing)")
    return ["unshare", "-n"]


def _ns_of(pid: int) -> int | None:
    return namespaces.ns_id_of(os.readlink(f"/proc/{pid}/ns/net"))


def test_a_listener_in_another_namespace_is_read_there_as_root(tmp_path: Path) -> None:
    prefix = _root_netns()
    with postgres(tmp_path, "tcp", "127.0.0.1", "5432", prefix=tuple(prefix)) as (child, _):
        ns = _ns_of(child.pid)
        spaces = namespaces.namespaces()
        found = find_elsewhere(
            5432, "tcp", sources=Sources(unix=lambda: (), namespaces=lambda: spaces, manager=lambda p, n: None)
        )
    assert ns is not None and ns != namespaces.own_namespace()
    space = next(s for s in spaces if s.ns_id == ns)
    assert space.how is namespaces.ReadHow.SOCK_DIAG
    assert [(x.proto, x.address, x.port, x.pid) for x in space.listeners] == [("TCP", "127.0.0.1", 5432, child.pid)]
    mine = _mine(found, child.pid)
    assert [(e.code, e.namespace, e.server, e.address) for e in mine] == [
        (Where.OTHER_NAMESPACE, ns, "postgresql", "127.0.0.1")
    ]
    assert words.headline(mine[0]) == (
        f"PostgreSQL (PID {child.pid}) listens on port 5432 in a separate network, not on this computer's addresses."
    )


def test_without_rights_the_namespace_is_read_from_proc_or_named_as_a_candidate(tmp_path: Path) -> None:
    prefix = _root_netns()
    with postgres(tmp_path, "tcp", "127.0.0.1", "0", prefix=tuple(prefix)) as (child, port):
        ns = _ns_of(child.pid)
        read = namespaces.namespaces(admin=False)
    space = next(s for s in read if s.ns_id == ns)
    assert space.how is namespaces.ReadHow.PROC_NET
    assert ("TCP", "127.0.0.1", port, child.pid) in [(x.proto, x.address, x.port, x.pid) for x in space.listeners]


def test_an_ordinary_users_own_namespace_is_found_without_rights(tmp_path: Path) -> None:
    """As an ordinary user (nobody): a program of one's own in a namespace of its own (``unshare -rn``), as a rootless
    container is; the finder itself runs as that user too."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root to become another user (setpriv) for this test")
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    if not _can([*drop, "unshare", "-rn"]):
        pytest.skip("ordinary users may not create namespaces here (unshare -rn refused)")
    python = shutil.which("python3", path="/usr/bin:/bin")
    if python is None:
        pytest.skip("no system python3 that an ordinary user may run (/usr/bin/python3)")
    shared = Path(tempfile.mkdtemp(prefix="loopgui-elsewhere-"))  # pytest's own folder is root's alone
    shared.chmod(0o755)
    code = (
        "import json,sys;from loopgui.core.explain.elsewhere import *;"
        "f=find_elsewhere(5432,'tcp',sources=Sources(unix=lambda:(),manager=lambda p,n:None));"
        "print(json.dumps([e.as_dict() for e in f]))"
    )
    root = HERE.parent.parent
    try:
        server = postgres(shared, "tcp", "127.0.0.1", "5432", prefix=(*drop, "unshare", "-rn"), python=python)
        with server as (child, _):
            done = subprocess.run(
                [*drop, sys.executable, "-c", code],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
                cwd=root,
                env={**os.environ, "PYTHONPATH": str(root)},
            )
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    mine = [e for e in json.loads(done.stdout) if e["pid"] == child.pid]
    assert [(e["code"], e["server"], e["address"]) for e in mine] == [("other_namespace", "postgresql", "127.0.0.1")]


def test_a_namespace_whose_sockets_cannot_be_read_names_its_programs(tmp_path: Path) -> None:
    """A /proc where the namespace's socket lists cannot be read (a folder where the file should be): the processes
    of the other namespace are the candidates, and that is what is said."""
    proc = tmp_path / "proc"
    for pid, ns, comm in ((1, 111, "init"), (812, 222, "postgres"), (813, 222, "postgres")):
        (proc / str(pid) / "ns").mkdir(parents=True)
        (proc / str(pid) / "ns" / "net").symlink_to(f"net:[{ns}]")
        (proc / str(pid) / "comm").write_text(comm + "\n")
        (proc / str(pid) / "net" / "tcp").mkdir(parents=True)
    (proc / "self").symlink_to("1")
    spaces = namespaces.namespaces(str(proc), admin=False)
    assert [(s.ns_id, s.pids, s.how) for s in spaces] == [
        (222, ((812, "postgres"), (813, "postgres")), namespaces.ReadHow.NOT_READ)
    ]
    assert spaces[0].problem  # the system's words for why
    found = find_elsewhere(
        5432,
        "tcp",
        sources=Sources(
            unix=lambda: (),
            namespaces=lambda: spaces,
            manager=lambda p, n: Manager(ManagerKind.PODMAN, "9e9e0dcbac9b"),
            containers=lambda kind, ids: containers.parse_ps((DATA / "podman-ps-ap-podman-io-pods.txt").read_text()),
        ),
    )
    assert [(e.code, e.pid, e.namespace, e.container) for e in found] == [
        (Where.OTHER_NAMESPACE_UNREAD, 812, 222, ContainerRef("podman", "9e9e0dcbac9b", "", 0))
    ]
    text, _ = words.finding(found[0])
    assert "without administrator rights" in text


# -- naming the container ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded", "parse", "port", "cid", "name", "published"),
    [
        (
            "inspect-watchtower-mock-container_net_supplier.json",
            "inspect",
            8000,
            "25e75393800b",
            "wt-contnet-producer-1",
            0,
        ),
        ("ps-qt-devops-613-exposed-and-published.txt", "ps", 8080, "c75947b6ed40", "drunk_ptolemy", 8045),
    ],
)
def test_the_container_is_named_from_recorded_engine_output(
    tmp_path: Path, recorded: str, parse: str, port: int, cid: str, name: str, published: int
) -> None:
    prefix = _root_netns()
    text = (DATA / recorded).read_text()
    parsed = containers.parse_inspect(text) if parse == "inspect" else containers.parse_ps(text)
    asked: list[tuple[str, list[str]]] = []

    def engine(kind: str, ids: object) -> tuple[containers.Container, ...]:
        asked.append((kind, list(ids)))  # type: ignore[call-overload]
        return parsed

    with postgres(tmp_path, "tcp", "0.0.0.0", str(port), prefix=tuple(prefix)) as (child, _):
        found = find_elsewhere(
            port,
            "tcp",
            sources=Sources(unix=lambda: (), manager=lambda p, n: Manager(ManagerKind.DOCKER, cid), containers=engine),
        )
    mine = _mine(found, child.pid)
    assert [(e.code, e.container) for e in mine] == [
        (Where.OTHER_NAMESPACE, ContainerRef("docker", cid, name, published))
    ]
    assert ("docker", [cid]) in asked  # (other namespaces of this computer may be asked about too)
    steps = " ".join(words.steps(mine[0]))
    if published:
        assert steps == f"Connect to port {published} instead of {port}."
    else:
        assert f"docker run -p {port}:{port} …" in steps and "does not run it" in steps
        assert f"docker port {name}" in steps
