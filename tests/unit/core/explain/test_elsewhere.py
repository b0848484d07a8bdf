"""Where the program that should answer listens instead: the facts from given sockets, the file-socket reply parser,
/proc/<pid>/net/tcp, and a few sentences."""

from __future__ import annotations

import socket
import struct
import sys

import pytest

from loopgui.core.explain.elsewhere import SERVERS, ContainerRef, Elsewhere, Sources, Where, find_elsewhere, servers_for
from loopgui.core.net import netlink, unix
from loopgui.core.net.namespaces import Namespace, NsListener, ReadHow, ns_id_of, parse_proc_net
from loopgui.core.net.unix import UnixListener, UnixReplyError, decode_name, listeners_from_dump, parse_unix_messages
from loopgui.core.words import elsewhere as words
from tests.helpers import row


def _sources(*listeners: UnixListener, spaces: tuple[Namespace, ...] = ()) -> Sources:
    return Sources(unix=lambda: listeners, namespaces=lambda: spaces, manager=lambda p, n: None, platform="linux")


def test_known_servers_and_their_sockets() -> None:
    assert [s.key for s in servers_for(5432)] == ["postgresql"]
    assert [s.key for s in servers_for(6001)] == ["x11"]
    assert servers_for(62893) == ()
    by_key = {s.key: s for s in SERVERS}
    assert by_key["postgresql"].socket_port("/run/postgresql/.s.PGSQL.5433") == 5433
    assert by_key["postgresql"].socket_port("/run/postgresql/.s.PGSQL.5432.lock") is None
    assert by_key["x11"].socket_port("/tmp/.X11-unix/X1") == 6001
    assert by_key["x11"].socket_port("@/tmp/.X11-unix/X0") == 6000
    assert by_key["mysql"].socket_port("/run/mysqld/mysqld.sock") == 3306
    assert by_key["docker"].socket_port("/var/run/docker.sock") == 2375
    assert by_key["postgresql"].socket_port("/tmp/.s.PGSQL." + "9" * 50) is None


def test_a_hidden_owner_is_still_found_by_the_socket_name() -> None:
    hidden = UnixListener("/var/run/postgresql/.s.PGSQL.5432", 10)
    found = find_elsewhere(5432, sources=_sources(hidden))
    assert found == (Elsewhere(Where.FILE_SOCKET, 5432, "tcp", "postgresql", "PostgreSQL", path=hidden.path),)
    text, detail = words.finding(found[0])
    assert text.startswith("PostgreSQL is running but listens only on a local file socket")
    assert "another user or the system" in detail


def test_one_fact_per_program_its_named_socket_first() -> None:
    listeners = (
        UnixListener("/tmp/other.sock", 1, pid=812, program="postgres"),
        UnixListener("/run/postgresql/.s.PGSQL.5432", 2, pid=812, program="postgres"),
        UnixListener("/tmp/unrelated.sock", 3, pid=900, program="node"),
    )
    found = find_elsewhere(5432, sources=_sources(*listeners))
    assert [(e.code, e.pid, e.path) for e in found] == [(Where.FILE_SOCKET, 812, "/run/postgresql/.s.PGSQL.5432")]


@pytest.mark.parametrize(
    ("port", "listener", "server", "step"),
    [
        (3306, UnixListener("/run/mysqld/mysqld.sock", 1, pid=5, program="mariadbd"), "mysql", "mysql --socket="),
        (6379, UnixListener("/run/redis/redis-server.sock", 1, pid=5, program="redis-server"), "redis", "redis-cli -s"),
        (2375, UnixListener("/var/run/docker.sock", 1, pid=5, program="dockerd"), "docker", "DOCKER_HOST=unix://"),
        (6000, UnixListener("/tmp/.X11-unix/X0", 1, pid=5, program="Xorg"), "x11", "DISPLAY=:0"),
        (9000, UnixListener("/run/php/php8.2-fpm.sock", 1, pid=5, program="php-fpm8.2"), "php-fpm", "/run/php/"),
    ],
)
def test_common_servers_get_their_own_next_steps(port: int, listener: UnixListener, server: str, step: str) -> None:
    (found,) = find_elsewhere(port, sources=_sources(listener))
    assert (found.code, found.server) == (Where.FILE_SOCKET, server)
    assert step in " ".join(words.steps(found))


def test_nothing_known_about_the_port_finds_no_file_socket() -> None:
    assert find_elsewhere(62893, sources=_sources(UnixListener("/tmp/.s.PGSQL.5432", 1, pid=5))) == ()


def test_udp_is_not_served_by_a_file_socket() -> None:
    assert find_elsewhere(5432, "udp", sources=_sources(UnixListener("/tmp/.s.PGSQL.5432", 1))) == ()


def test_other_port_and_other_family_from_the_snapshot() -> None:
    rows = [
        row(5433, program="postgres", pid=812),
        row(5432, proto="UDP", program="postgres", pid=812),
        row(5434, program="python3", pid=900),
    ]
    found = find_elsewhere(5432, rows=rows, sources=_sources())
    assert [(e.code, e.other_port, e.other_proto) for e in found] == [
        (Where.OTHER_FAMILY, 0, "udp"),
        (Where.OTHER_PORT, 5433, ""),
    ]
    assert words.finding(found[0])[0] == (
        "PostgreSQL (PID 812) listens on port 5432 with UDP (127.0.0.1:5432), not with TCP."
    )


def test_a_read_namespace_names_the_listener_and_its_container() -> None:
    space = Namespace(
        4026532301,
        ((4242, "node"),),
        ReadHow.SOCK_DIAG,
        (NsListener("TCP", 4, "0.0.0.0", 3000, 77, 4242), NsListener("TCP", 4, "0.0.0.0", 9229, 78, 4242)),
    )
    from loopgui.core.programs.managers import Manager, ManagerKind

    src = Sources(
        unix=lambda: (),
        namespaces=lambda: (space,),
        manager=lambda p, n: Manager(ManagerKind.KUBERNETES, "0123456789ab"),
        platform="linux",
    )
    (found,) = find_elsewhere(3000, sources=src)
    assert (found.code, found.pid, found.program, found.namespace, found.container) == (
        Where.OTHER_NAMESPACE,
        4242,
        "node",
        4026532301,
        ContainerRef("kubernetes", "0123456789ab"),
    )
    assert "kubectl port-forward pod/POD-NAME 3000:3000" in " ".join(words.steps(found))
    assert find_elsewhere(3000, sources=Sources(unix=lambda: (), namespaces=lambda: (space,), platform="win32")) == ()


def test_a_failing_source_leaves_only_its_part_out() -> None:
    def broken() -> tuple[UnixListener, ...]:
        raise RuntimeError("boom")

    src = Sources(unix=broken, namespaces=broken, platform="linux")  # type: ignore[arg-type]
    assert find_elsewhere(5432, rows=[row(5433, program="postgres")], sources=src)[0].code is Where.OTHER_PORT


def test_as_dict_carries_codes_and_evidence() -> None:
    e = Elsewhere(Where.OTHER_NAMESPACE, 8080, namespace=7, container=ContainerRef("docker", "0123456789ab", "web"))
    d = e.as_dict()
    assert d["code"] == "other_namespace" and d["namespace"] == 7
    assert d["container"] == {"manager": "docker", "id": "0123456789ab", "name": "web", "published_port": None}


# -- the sock_diag reply for AF_UNIX ---------------------------------------------------------------------------


def _message(inode: int, name: bytes, vfs: tuple[int, int] | None = None, stype: int = 1) -> bytes:
    attrs = b""
    for atype, payload in ((netlink.UNIX_DIAG_NAME, name), (netlink.UNIX_DIAG_VFS, struct.pack("=II", *vfs or (0, 0)))):
        if atype == netlink.UNIX_DIAG_VFS and vfs is None:
            continue
        a = netlink.RTATTR.pack(4 + len(payload), atype) + payload
        attrs += a + b"\0" * (-len(a) % 4)
    body = netlink.UNIX_DIAG_MSG.pack(socket.AF_UNIX, stype, 10, 0, inode, 1, 2) + attrs
    return netlink.NLMSGHDR.pack(16 + len(body), netlink.SOCK_DIAG_BY_FAMILY, 2, 1, 0) + body


def test_the_reply_parser_reads_names_files_and_the_end() -> None:
    done = netlink.NLMSGHDR.pack(20, netlink.NLMSG_DONE, 2, 1, 0) + b"\0" * 4
    out: dict[int, tuple[str, int, int, int]] = {}
    ended = parse_unix_messages(
        _message(5, b"/run/x.sock", (99, 7)) + _message(6, b"\0abstract") + _message(8, b"", stype=5) + done, out
    )
    assert ended
    assert out == {5: ("/run/x.sock", 1, 99, 7), 6: ("@abstract", 1, 0, 0), 8: ("", 5, 0, 0)}
    rows = listeners_from_dump(out, {5: 812}, lambda pid: "postgres")
    assert [(u.path, u.pid, u.program, u.kind) for u in rows] == [
        ("/run/x.sock", 812, "postgres", "stream"),
        ("@abstract", None, "", "stream"),
        ("", None, "", "seqpacket"),
    ]


def test_the_reply_parser_refuses_cut_and_error_messages() -> None:
    whole = _message(5, b"/run/x.sock")
    with pytest.raises(UnixReplyError):
        parse_unix_messages(whole[:-3], {})
    error = netlink.NLMSGHDR.pack(20, netlink.NLMSG_ERROR, 0, 1, 0) + struct.pack("=i", -13)
    with pytest.raises(UnixReplyError, match="13"):
        parse_unix_messages(error, {})
    bad_attr = whole[:-4] + b"\xff\xff\0\0"  # an attribute longer than its message is ignored, not read past the end
    out: dict[int, tuple[str, int, int, int]] = {}
    parse_unix_messages(bad_attr, out)
    assert 5 in out


def test_names_are_text_without_control_characters() -> None:
    assert decode_name(b"/tmp/a\x1b[2Jb\0\0junk") == "/tmp/a[2Jb"
    assert decode_name(b"\0name" + "\u202e".encode()) == "@name"
    assert decode_name(b"\xff\xfe") == "\ufffd\ufffd"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sock_diag is Linux's")
def test_a_real_dump_finds_a_listener_of_this_test(tmp_path: object) -> None:
    path = f"{tmp_path}/s.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(path)
        s.listen()
        inode = __import__("os").fstat(s.fileno()).st_ino
        raw = unix.dump_unix()
    assert raw[inode][0] == path


# -- /proc/<pid>/net/tcp and namespace links ---------------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/net is Linux's")
def test_proc_net_tcp_is_read_for_this_tests_listeners() -> None:
    with socket.socket() as s4, socket.socket(socket.AF_INET6) as s6:
        s4.bind(("127.0.0.1", 0))
        s4.listen()
        s6.bind(("::1", 0))
        s6.listen()
        with open("/proc/self/net/tcp") as f4, open("/proc/self/net/tcp6") as f6:
            v4 = parse_proc_net(f4.read(), "TCP", 4)
            v6 = parse_proc_net(f6.read(), "TCP", 6)
        assert ("127.0.0.1", s4.getsockname()[1]) in [(x.address, x.port) for x in v4]
        assert ("::1", s6.getsockname()[1]) in [(x.address, x.port) for x in v6]


def test_proc_net_junk_is_skipped() -> None:
    junk = "header\n" + "\n".join(["0: zz:zz 0:0 0A", "1: 0100007F:FFFFF 0:0 0A a b c d e f g", "x" * 5000])
    assert parse_proc_net(junk, "TCP", 4) == []
    assert [ns_id_of(x) for x in ("net:[4026531840]", "net:[]", "mnt:[1]", "net:[1" + "0" * 30 + "]")] == [
        4026531840,
        None,
        None,
        None,
    ]


def test_the_engine_is_asked_once_for_every_container() -> None:
    from loopgui.core.programs.containers import Container, Published
    from loopgui.core.programs.managers import Manager, ManagerKind

    spaces = tuple(
        Namespace(ns, ((pid, "nginx"),), ReadHow.SOCK_DIAG, (NsListener("TCP", 4, "0.0.0.0", 8080, pid, pid),))
        for ns, pid in ((11, 101), (12, 102))
    )
    ids = {101: "aaaaaaaaaaaa", 102: "bbbbbbbbbbbb"}
    asked: list[tuple[str, list[str]]] = []

    def engine(kind: str, wanted: object) -> tuple[Container, ...]:
        asked.append((kind, list(wanted)))  # type: ignore[call-overload]
        return (Container("bbbbbbbbbbbb", "web", ports=(Published(8080, "tcp", 8045),)),)

    src = Sources(
        unix=lambda: (),
        namespaces=lambda: spaces,
        manager=lambda pid, name: Manager(ManagerKind.DOCKER, ids[pid]),
        containers=engine,
        platform="linux",
    )
    found = find_elsewhere(8080, sources=src)
    assert asked == [("docker", ["aaaaaaaaaaaa", "bbbbbbbbbbbb"])]
    assert [e.container for e in found] == [
        ContainerRef("docker", "aaaaaaaaaaaa"),
        ContainerRef("docker", "bbbbbbbbbbbb", "web", 8045),
    ]
