"""Scanners: the netlink reply parser, inode owners from a fake /proc, the psutil source with psutil mocked."""

from __future__ import annotations

import contextlib
import os
import socket
import struct
from collections import namedtuple
from pathlib import Path
from typing import Any

import psutil
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loopgui.core.net.scanner import (
    InodeOwners,
    NetlinkReplyError,
    NetlinkSource,
    PsutilSource,
    ScanCancelled,
    Scanner,
    build_request,
    decode_key,
    parse_diag_messages,
)
from loopgui.core.net.sockets import ScanProblem, ScanProblemCode, make_key
from tests.helpers import ScriptedSource, row


def diag_msg(
    family: int, state: int, sport: int, dport: int, src: str, dst: str, inode: int, kind: int = 20, expires: int = 0
) -> bytes:
    src_b = socket.inet_pton(family, src).ljust(16, b"\0")
    dst_b = socket.inet_pton(family, dst).ljust(16, b"\0")
    payload = (
        struct.pack("=BBBB", family, state, 0, 0)
        + struct.pack("!HH", sport, dport)
        + src_b
        + dst_b
        + bytes(12)
        + struct.pack("=IIIII", expires, 0, 0, 1000, inode)
    )
    return struct.pack("=IHHII", 16 + len(payload), kind, 2, 1, 0) + payload


DONE = struct.pack("=IHHII", 20, 3, 2, 1, 0) + struct.pack("=i", 0)


def test_request_is_an_inet_diag_dump() -> None:
    req = build_request(socket.AF_INET6, 17, 7)
    length, kind, flags, seq, _ = struct.unpack_from("=IHHII", req)
    assert length == len(req) == 72 and kind == 20 and flags == 0x301 and seq == 7
    assert req[16] == socket.AF_INET6 and req[17] == 17


def test_parse_reads_rows_and_stops_at_done() -> None:
    buf = diag_msg(socket.AF_INET, 10, 8080, 0, "127.0.0.1", "0.0.0.0", 555) + diag_msg(
        socket.AF_INET6, 1, 40000, 443, "::1", "::1", 556
    )
    out: dict[bytes, tuple[int, int, int]] = {}
    assert parse_diag_messages(buf, 6, out) is False
    assert parse_diag_messages(DONE, 6, out) is True
    assert list(out.values()) == [(10, 555, 0), (1, 556, 0)]
    first, second = out
    assert first == make_key("TCP", 4, "127.0.0.1", 8080, "", 0)
    assert decode_key(first) == ("TCP", 4, "127.0.0.1", 8080, "", 0)
    assert decode_key(second) == ("TCP", 6, "::1", 40000, "::1", 443)


def test_the_kernels_timer_of_a_leftover_is_read() -> None:
    """idiag_expires (ms left) of TIME_WAIT sockets only: the countdown comes from the kernel, not a guess."""
    buf = diag_msg(socket.AF_INET, 6, 40000, 8080, "127.0.0.1", "127.0.0.1", 0, expires=41_500) + diag_msg(
        socket.AF_INET, 1, 40001, 8080, "127.0.0.1", "127.0.0.1", 7, expires=200
    )
    out: dict[bytes, tuple[int, int, int]] = {}
    expires: dict[bytes, int] = {}
    parse_diag_messages(buf, 6, out, expires)
    leftover = make_key("TCP", 4, "127.0.0.1", 40000, "127.0.0.1", 8080)
    assert expires == {leftover: 41_500} and len(out) == 2


def test_duplicate_addresses_get_distinct_keys() -> None:
    msg = diag_msg(socket.AF_INET, 10, 80, 0, "0.0.0.0", "0.0.0.0", 1)
    out: dict[bytes, tuple[int, int, int]] = {}
    parse_diag_messages(msg + msg + msg, 6, out)
    assert len(out) == 3


def test_truncated_reply_keeps_what_was_read() -> None:
    good = diag_msg(socket.AF_INET, 10, 80, 0, "0.0.0.0", "0.0.0.0", 1)
    out: dict[bytes, tuple[int, int, int]] = {}
    with pytest.raises(NetlinkReplyError):
        parse_diag_messages(good + good[:40], 6, out)
    assert len(out) == 1


def test_kernel_error_is_reported_in_words() -> None:
    err = struct.pack("=IHHII", 36, 2, 0, 1, 0) + struct.pack("=i", -1) + bytes(16)
    with pytest.raises(NetlinkReplyError, match="refused"):
        parse_diag_messages(err, 6, {})


@given(st.binary(max_size=400))
def test_parser_never_fails_otherwise_on_junk(junk: bytes) -> None:
    out: dict[bytes, tuple[int, int, int]] = {}
    with contextlib.suppress(NetlinkReplyError):
        parse_diag_messages(junk, 6, out)


# -- inode owners from a fake /proc ------------------------------------------------------------------------------


def fake_proc(root: Path, table: dict[int, dict[int, str]]) -> None:
    for pid, fds in table.items():
        fd_dir = root / str(pid) / "fd"
        fd_dir.mkdir(parents=True, exist_ok=True)
        for existing in fd_dir.iterdir():
            existing.unlink()
        for fd, target in fds.items():
            os.symlink(target, fd_dir / str(fd))


def test_owners_found_and_followed(tmp_path: Path) -> None:
    fake_proc(tmp_path, {10: {0: "/dev/null", 3: "socket:[111]"}, 20: {3: "socket:[222]", 4: "pipe:[9]"}})
    (tmp_path / "self").mkdir()
    owners = InodeOwners(str(tmp_path))
    assert owners.refresh({111, 222}) == {111: 10, 222: 20}
    # pid 10 closes 111 and opens 333 with the same descriptor count: found by the full re-walk
    fake_proc(tmp_path, {10: {0: "/dev/null", 3: "socket:[333]"}})
    assert owners.refresh({222, 333}) == {222: 20, 333: 10}
    # pid 20 exits
    for p in (tmp_path / "20" / "fd").iterdir():
        p.unlink()
    (tmp_path / "20" / "fd").rmdir()
    (tmp_path / "20").rmdir()
    assert owners.refresh({333}) == {333: 10}


def _stat(root: Path, pid: int, start: int) -> None:
    (root / str(pid) / "stat").write_text(f"{pid} (a (b) c) S " + " ".join(["0"] * 18) + f" {start} 0 0\n")


def test_a_number_handed_to_another_program_with_as_many_descriptors_is_not_given_the_old_sockets(
    tmp_path: Path,
) -> None:
    # pid 10 listens and shares the socket with its child 20; 10 ends and its number goes to another program with
    # as many descriptors before the next scan.  The socket is 20's now, never the newcomer's.
    fake_proc(tmp_path, {10: {0: "/dev/null", 3: "socket:[111]"}, 20: {3: "socket:[111]"}})
    _stat(tmp_path, 10, 5000)
    _stat(tmp_path, 20, 5001)
    owners = InodeOwners(str(tmp_path))
    assert owners.refresh({111}) == {111: 10}
    fake_proc(tmp_path, {10: {0: "/dev/null", 3: "pipe:[7]"}})
    _stat(tmp_path, 10, 9000)
    assert owners.refresh({111}) == {111: 20}


def test_unknown_inode_does_not_rewalk_every_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_proc(tmp_path, {10: {3: "socket:[111]"}})
    owners = InodeOwners(str(tmp_path))
    owners.refresh({111, 999})
    walks: list[int] = []
    real_walk = owners._walk
    monkeypatch.setattr(owners, "_walk", lambda pid: (walks.append(pid), real_walk(pid)))
    owners.refresh({111, 999})
    assert walks == []  # 999 stayed unknown and nothing changed: no work


def test_cancel_during_owner_lookup(tmp_path: Path) -> None:
    fake_proc(tmp_path, {10: {3: "socket:[111]"}})
    with pytest.raises(ScanCancelled):
        InodeOwners(str(tmp_path)).refresh({111}, lambda: True)


def test_unreadable_process_is_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_proc(tmp_path, {10: {3: "socket:[111]"}, 20: {3: "socket:[222]"}})

    def refusing(real: Any) -> Any:
        def call(path: Any, *a: Any, **k: Any) -> Any:
            if str(path).endswith("/20/fd"):
                raise PermissionError(13, "Permission denied")
            return real(path, *a, **k)

        return call

    for name in ("stat", "listdir", "open"):
        monkeypatch.setattr(os, name, refusing(getattr(os, name)))
    owners = InodeOwners(str(tmp_path))
    assert owners.refresh({111, 222}) == {111: 10}
    assert owners.unreadable == {20}


# -- psutil source with psutil mocked ----------------------------------------------------------------------------

Addr = namedtuple("Addr", "ip port")
Conn = namedtuple("Conn", "fd family type laddr raddr status pid")
PConn = namedtuple("PConn", "fd family type laddr raddr status")


class FakeProc:
    def __init__(self, pid: int, conns: list[PConn] | Exception) -> None:
        self.pid = pid
        self._conns = conns

    def net_connections(self, kind: str) -> list[PConn]:
        assert kind == "inet"
        if isinstance(self._conns, Exception):
            raise self._conns
        return self._conns


def test_psutil_rows_and_hidden_owner(monkeypatch: pytest.MonkeyPatch) -> None:
    conns = [
        Conn(3, socket.AF_INET, socket.SOCK_STREAM, Addr("127.0.0.1", 5432), (), "LISTEN", os.getpid()),
        Conn(-1, socket.AF_INET6, socket.SOCK_DGRAM, Addr("::1", 5353), (), "NONE", None),
        Conn(-1, socket.AF_INET, socket.SOCK_STREAM, Addr("127.0.0.1", 4000), Addr("127.0.0.1", 80), "TIME_WAIT", None),
    ]
    monkeypatch.setattr(psutil, "net_connections", lambda kind: conns)
    snap = Scanner(PsutilSource()).scan()
    by_port = {r.local_port: r for r in snap.rows.values()}
    assert by_port[5432].pid == os.getpid() and by_port[5432].program
    assert by_port[5353].proto == "UDP" and by_port[5353].family == 6 and by_port[5353].pid is None
    assert by_port[4000].remote_endpoint == "127.0.0.1:80"
    assert snap.hidden_sockets == 1  # the UDP one; TIME_WAIT sockets have no owner by nature


def test_macos_fallback_reads_each_process(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(kind: str) -> None:
        raise psutil.AccessDenied()

    procs = [
        FakeProc(11, [PConn(3, socket.AF_INET, socket.SOCK_STREAM, Addr("127.0.0.1", 3000), (), "LISTEN")]),
        FakeProc(12, psutil.AccessDenied()),
        FakeProc(13, psutil.NoSuchProcess(13)),
        FakeProc(14, psutil.AccessDenied()),
    ]
    monkeypatch.setattr(psutil, "net_connections", refuse)
    monkeypatch.setattr(psutil, "process_iter", lambda *a, **k: iter(procs))
    snap = Scanner(PsutilSource()).scan()
    assert [(r.local_port, r.pid) for r in snap.rows.values()] == [(3000, 11)]
    assert snap.problems == (ScanProblem(ScanProblemCode.OTHERS_REFUSED, count=2),)


def test_scanner_reuses_rows_and_keeps_first_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    state = {"status": "ESTABLISHED"}

    def conns(kind: str) -> list[Conn]:
        return [
            Conn(
                3, socket.AF_INET, socket.SOCK_STREAM, Addr("127.0.0.1", 1), Addr("127.0.0.1", 2), state["status"], None
            )
        ]

    monkeypatch.setattr(psutil, "net_connections", conns)
    scanner = Scanner(PsutilSource())
    first = scanner.scan()
    second = scanner.scan()
    (r1,), (r2,) = first.rows.values(), second.rows.values()
    assert r1 is r2 and second.diff.empty and len(first.diff.added) == 1
    state["status"] = "CLOSE_WAIT"
    third = scanner.scan()
    (r3,) = third.rows.values()
    assert r3.state == "CLOSE_WAIT" and r3.first_seen == r1.first_seen and third.diff.changed == {r1.key}


def test_scanner_falls_back_for_one_scan_on_os_error() -> None:
    broken = ScriptedSource(lambda: [row(8)])
    broken.fail_next = OSError(97, "Address family not supported")
    spare = ScriptedSource(lambda: [row(9)])
    scanner = Scanner(broken, fallback=spare)  # type: ignore[arg-type]
    snap = scanner.scan()
    assert [r.local_port for r in snap.rows.values()] == [9]
    assert scanner.source is broken  # not for good: the next scan tries the fast source again
    assert [r.local_port for r in scanner.scan().rows.values()] == [8]


def test_netlink_source_reports_incomplete_reply(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    source = NetlinkSource(proc=str(tmp_path))

    def dump(family: int, protocol: int, out: dict[bytes, tuple[int, int, int]]) -> None:
        if family in (socket.AF_UNSPEC, socket.AF_INET) and protocol == 6:
            parse_diag_messages(diag_msg(socket.AF_INET, 10, 22, 0, "0.0.0.0", "0.0.0.0", 0), 6, out)
            raise NetlinkReplyError("cut short")

    monkeypatch.setattr(source, "dump", dump)
    snap = Scanner(source).scan()
    assert [r.local_port for r in snap.rows.values()] == [22]
    assert [p.code for p in snap.problems] == [ScanProblemCode.INCOMPLETE]
