"""The scanner's shortcuts give the same answers as the long way: cheap rows, cached address text, runs of equal
messages, the owner search that stops early, full walks rate-limited, and no owner lookup while nothing changed."""

from __future__ import annotations

import dataclasses
import os
import socket
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loopgui.core.net import netlink
from loopgui.core.net.rows import AddressText, RowBuilder, new_row
from loopgui.core.net.scanner import InodeOwners, NetlinkSource, Scanner
from loopgui.core.net.sockets import SocketRow, diff_rows, make_key
from loopgui.core.programs.processes import Owner
from tests.helpers import listener_pids, own_listener
from tests.unit.core.net.test_scanner import DONE, diag_msg, fake_proc

FIELDS = {
    "key": b"k" * 38,
    "proto": "TCP",
    "family": 4,
    "local_addr": "127.0.0.1",
    "local_port": 8000,
    "remote_addr": "127.0.0.1",
    "remote_port": 40000,
    "state": "ESTABLISHED",
    "pid": 42,
    "program": "python3",
    "first_seen": 1000.5,
    "label": "python3 -m http.server",
    "path": "/usr/bin/python3",
    "owner_start": 99.0,
    "exe": "/usr/bin/python3.11",
}


def test_a_cheap_row_is_a_real_frozen_socket_row() -> None:
    cheap = new_row(**FIELDS)
    slow = SocketRow(**FIELDS)  # type: ignore[arg-type]
    assert type(cheap) is SocketRow and cheap == slow and hash(cheap) == hash(slow) and repr(cheap) == repr(slow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cheap.pid = 7  # type: ignore[misc]
    assert dataclasses.replace(cheap, pid=7).pid == 7
    # every field SocketRow has is filled, defaults included
    short = {k: v for k, v in FIELDS.items() if k not in ("label", "path", "owner_start", "exe")}
    assert new_row(**short) == SocketRow(**short)  # type: ignore[arg-type]
    assert {f.name for f in dataclasses.fields(SocketRow)} <= set(dir(new_row(**short)))


@given(st.binary(min_size=4, max_size=4), st.binary(min_size=16, max_size=16), st.integers(0, 65535))
def test_cached_address_text_is_inet_ntop(v4: bytes, v6: bytes, port: int) -> None:
    text = AddressText(limit=4)
    key4 = bytes((6, socket.AF_INET)) + struct.pack("!HH", port, 1) + v4.ljust(16, b"\0") + v4.ljust(16, b"\0")
    key6 = bytes((17, socket.AF_INET6)) + struct.pack("!HH", port, 0) + v6 + v6
    for _ in range(2):  # the second time from the cache
        a4 = socket.inet_ntop(socket.AF_INET, v4)
        assert text.decode(key4) == ("TCP", 4, a4, port, a4, 1)
        assert text.decode(key6) == ("UDP", 6, socket.inet_ntop(socket.AF_INET6, v6), port, "", 0)
    assert len(text._v4) <= 4 and len(text._v6) <= 4


def test_owner_facts_are_read_once_per_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    build = RowBuilder()
    asked: list[int] = []
    monkeypatch.setattr(build.names, "owner", lambda pid: (asked.append(pid), Owner("web", 5.0, "/bin/web"))[1])
    monkeypatch.setattr(build.labels, "label", lambda pid, name: (f"{name} --port 80", "/bin/web"))
    build.start()
    rows = [build.row(make_key("TCP", 4, "127.0.0.1", port, "", 0), "LISTEN", 7, None, 1.0) for port in range(80, 90)]
    assert asked == [7] and {r.label for r in rows} == {"web --port 80"} and rows[0].owner_start == 5.0
    assert build.row(rows[0].key, "LISTEN", 7, rows[0], 2.0) is rows[0]  # unchanged: the same object
    moved = build.row(rows[0].key, "LISTEN", None, rows[0], 2.0)
    assert moved.pid is None and moved.program == "" and moved.first_seen == 1.0
    build.finish([7])
    build.start()
    build.row(make_key("TCP", 4, "127.0.0.1", 91, "", 0), "LISTEN", 7, None, 3.0)
    assert asked == [7, 7]  # a new scan asks again (the PID may be another program's now)


def _reference_parse(buf: bytes, protocol: int) -> dict[bytes, tuple[int, int, int]]:
    out: dict[bytes, tuple[int, int, int]] = {}
    off = 0
    while off + 16 <= len(buf):
        length, kind = struct.unpack_from("=IH", buf, off)
        if kind == 3:
            break
        family, state = buf[off + 16], buf[off + 17]
        key = bytes((protocol, family)) + buf[off + 20 : off + 56]
        inode = struct.unpack_from("=I", buf, off + 84)[0]
        cookie = struct.unpack_from("=Q", buf, off + 60)[0]
        out[netlink.unique_key(key, out) if key in out else key] = (state, inode, cookie)
        off += (length + 3) & ~3
    return out


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 65535), st.sampled_from([0, 1, 2, 3, 5])), max_size=40))
def test_runs_of_equal_messages_read_as_one_at_a_time(plan: list[tuple[int, int, int]]) -> None:
    # messages with 0-12 bytes of attributes after them (lengths that are and are not multiples of 4), and
    # repeated keys (numbered), in any order
    buf = b""
    for extra_words, port, inode in plan:
        msg = diag_msg(socket.AF_INET, 1, port % 7, 80, "127.0.0.1", "127.0.0.1", inode)
        pad = bytes(4 * extra_words)
        buf += struct.pack("=I", len(msg) + len(pad)) + msg[4:] + pad
    odd = diag_msg(socket.AF_INET6, 10, 9, 0, "::1", "::", 77)
    odd = struct.pack("=I", len(odd) + 2) + odd[4:] + b"\0\0" + b"\0\0"  # 2 bytes past the end, padded to 4
    buf += odd
    out: dict[bytes, tuple[int, int, int]] = {}
    assert netlink.parse_diag_messages(buf + DONE, 6, out) is True
    assert out == _reference_parse(buf, 6)


# -- owners ------------------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_search_for_a_new_sockets_owner_stops_when_found(tmp_path: Path) -> None:
    table = {pid: {3: f"socket:[{pid}00]", 4: "/dev/null"} for pid in range(10, 60)}
    fake_proc(tmp_path, table)
    owners = InodeOwners(str(tmp_path))
    wanted = {pid * 100 for pid in table}
    owners.refresh(wanted)
    # pid 42 swaps a socket for another with the same descriptor count
    fake_proc(tmp_path, {42: {3: "socket:[999]", 4: "/dev/null"}})
    before = owners.walks
    assert owners.refresh((wanted - {4200}) | {999})[999] == 42
    assert owners.walks - before < len(table)  # socket holders first, not every process


def test_sockets_nobody_holds_trigger_a_full_walk_at_most_every_few_seconds(tmp_path: Path) -> None:
    table = {pid: {3: f"socket:[{pid}00]"} for pid in range(10, 30)}
    table.update({pid: {3: "/dev/null"} for pid in range(30, 50)})  # programs without sockets
    fake_proc(tmp_path, table)
    clock = Clock()
    owners = InodeOwners(str(tmp_path), clock)
    held = {pid * 100 for pid in range(10, 30)}
    owners.refresh(held)
    walks = []
    for n in range(40):  # sockets nobody here holds (another system's view), each there for two scans
        clock.now += 1.0
        before = owners.walks
        owners.refresh(held | {5000 + n // 2})
        walks.append(owners.walks - before)
    full = [w for w in walks if w > 20]
    assert 1 <= len(full) <= 4  # at 0 s, then after 5, 10, 20 s: not every scan
    assert all(w <= 20 for w in walks if w not in full)  # otherwise the quick search: socket holders only


def test_a_socket_that_closes_at_once_never_makes_every_process_be_read(tmp_path: Path) -> None:
    table = {pid: {3: f"socket:[{pid}00]"} for pid in range(10, 20)}
    table.update({pid: {3: "/dev/null"} for pid in range(30, 50)})
    fake_proc(tmp_path, table)
    owners = InodeOwners(str(tmp_path), Clock())
    held = {pid * 100 for pid in range(10, 20)}
    owners.refresh(held)
    before = owners.walks
    for n in range(10):  # a churning program's connection caught by the dump, closed before the owners are read
        owners.refresh(held | {7000 + n})
    assert owners.walks - before <= 10 * 10  # only the 10 socket holders, never the 20 others


def _source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, messages: list[bytes], clock: Clock) -> NetlinkSource:
    source = NetlinkSource(proc=str(tmp_path), clock=clock)

    def dump(family: int, protocol: int, out: dict[bytes, tuple[int, int]]) -> None:
        if family in (socket.AF_UNSPEC, socket.AF_INET) and protocol == 6:
            netlink.parse_diag_messages(b"".join(messages) + DONE, 6, out)

    monkeypatch.setattr(source, "dump", dump)
    monkeypatch.setattr(source._build.names, "owner", lambda pid: Owner(f"p{pid}", 1.0, ""))
    monkeypatch.setattr(source._build.labels, "label", lambda pid, name: (name, ""))
    return source


def test_owners_are_not_looked_up_while_the_kernels_list_is_unchanged(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_proc(tmp_path, {10: {3: "socket:[111]"}})
    clock = Clock()
    messages = [diag_msg(socket.AF_INET, 10, 80, 0, "127.0.0.1", "0.0.0.0", 111)]
    source = _source(monkeypatch, tmp_path, messages, clock)
    scanner = Scanner(source)
    refreshes: list[int] = []
    real = source._owners.refresh
    monkeypatch.setattr(source._owners, "refresh", lambda wanted, stop: (refreshes.append(1), real(wanted, stop))[1])
    first = scanner.scan()
    for _ in range(3):
        clock.now += 1.0
        again = scanner.scan()
        assert again.diff.empty and dict(again.rows) == dict(first.rows)
    assert len(refreshes) == 1
    clock.now += source.owner_recheck
    scanner.scan()
    assert len(refreshes) == 2  # looked again after owner_recheck seconds
    messages.append(diag_msg(socket.AF_INET, 1, 80, 5000, "127.0.0.1", "127.0.0.1", 112))
    fake_proc(tmp_path, {10: {3: "socket:[111]", 4: "socket:[112]"}})
    changed = scanner.scan()
    assert len(refreshes) == 3 and len(changed.diff.added) == 1  # a change: looked up at once
    assert {r.pid for r in changed.rows.values()} == {10}


def test_the_sources_own_diff_is_the_keyed_diff(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_proc(tmp_path, {10: {3: "socket:[111]", 4: "socket:[112]"}, 20: {3: "socket:[113]"}})
    clock = Clock()
    a = diag_msg(socket.AF_INET, 10, 80, 0, "127.0.0.1", "0.0.0.0", 111)
    b = diag_msg(socket.AF_INET, 1, 80, 5000, "127.0.0.1", "127.0.0.1", 112)
    c = diag_msg(socket.AF_INET, 1, 81, 5001, "127.0.0.1", "127.0.0.1", 113)
    messages = [a, b, c]
    source = _source(monkeypatch, tmp_path, messages, clock)
    scanner = Scanner(source)
    previous = dict(scanner.scan().rows)
    messages[:] = [a, diag_msg(socket.AF_INET, 8, 80, 5000, "127.0.0.1", "127.0.0.1", 112)]  # b changes, c goes
    messages.append(diag_msg(socket.AF_INET, 1, 82, 5002, "127.0.0.1", "127.0.0.1", 114))  # a new one, no owner
    snap = scanner.scan()
    assert snap.diff == diff_rows(previous, dict(snap.rows))
    assert len(snap.diff.added) == len(snap.diff.removed) == len(snap.diff.changed) == 1


@pytest.mark.parametrize("pattern", [[0] * 30, [0] * 12 + [2] + [0] * 20 + [1] * 9, [1, 0] * 20, [3] * 9 + [0] * 9])
def test_long_runs_and_interleaved_lengths_read_the_same(pattern: list[int]) -> None:
    buf = b""
    for i, extra_words in enumerate(pattern):
        msg = diag_msg(socket.AF_INET, 1 + i % 6, 1000 + i, 80, "127.0.0.1", "127.0.0.1", 500 + i)
        buf += struct.pack("=I", len(msg) + 4 * extra_words) + msg[4:] + bytes(4 * extra_words)
    out: dict[bytes, tuple[int, int, int]] = {}
    assert netlink.parse_diag_messages(buf, 6, out) is False
    assert out == _reference_parse(buf, 6) and len(out) == len(pattern)
    with pytest.raises(netlink.NetlinkReplyError):
        netlink.parse_diag_messages(buf + buf[:50], 6, {})  # cut short after a run: still noticed


def test_one_tcp_request_for_both_families() -> None:
    req = netlink.build_request(socket.AF_UNSPEC, 6, 9)
    length, kind, flags, seq, _ = struct.unpack_from("=IHHII", req)
    assert (length, kind, flags, seq) == (len(req), netlink.TCPDIAG_GETSOCK, 0x301, 9) and length == 16 + 60
    assert req[16] == socket.AF_UNSPEC and struct.unpack_from("=I", req, 16 + 52)[0] == netlink.ALL_STATES
    # its replies (message type 18) read like the others
    reply = diag_msg(socket.AF_INET6, 10, 443, 0, "::", "::", 5, kind=netlink.TCPDIAG_GETSOCK)
    out: dict[bytes, tuple[int, int, int]] = {}
    assert netlink.parse_diag_messages(reply + DONE, 6, out) is True and list(out.values()) == [(10, 5, 0)]


def test_a_socketless_process_whose_descriptors_change_is_not_read(tmp_path: Path) -> None:
    fake_proc(tmp_path, {10: {3: "socket:[111]"}, 20: {3: "/dev/null"}})
    owners = InodeOwners(str(tmp_path))
    owners.refresh({111})
    before = owners.walks
    fake_proc(tmp_path, {20: {3: "/dev/null", 4: "/dev/zero"}})
    assert owners.refresh({111}) == {111: 10} and owners.walks == before  # nothing new to look for: no read
    fake_proc(tmp_path, {20: {3: "/dev/null", 4: "/dev/zero", 5: "socket:[222]"}})
    assert owners.refresh({111, 222})[222] == 20  # it opened a socket: found at once (it changed lately)


def test_a_row_from_the_builder_is_the_row_socket_row_would_make(monkeypatch: pytest.MonkeyPatch) -> None:
    # the builder passes fields by position (_ROW_ORDER): every one must land in its own field
    builder = RowBuilder()
    monkeypatch.setattr(
        builder, "owner", lambda pid: ("python3", "python3 -m http.server", "/usr/bin/python3", 99.0, "x")
    )
    builder.start()
    key = make_key("TCP", 4, "127.0.0.1", 8000, "127.0.0.2", 40000)
    row = builder.row(key, "TIME_WAIT", 42, None, 1000.5, cookie=77, expires_at=1060.0)
    want = SocketRow(
        key=key,
        proto="TCP",
        family=4,
        local_addr="127.0.0.1",
        local_port=8000,
        remote_addr="127.0.0.2",
        remote_port=40000,
        state="TIME_WAIT",
        pid=42,
        program="python3",
        first_seen=1000.5,
        label="python3 -m http.server",
        path="/usr/bin/python3",
        owner_start=99.0,
        exe="x",
        expires_at=1060.0,
        cookie=77,
    )
    assert type(row) is SocketRow and row == want and repr(row) == repr(want)
    later = builder.row(key, "CLOSE_WAIT", 42, row, 2000.0)
    assert later.first_seen == 1000.5 and later.state == "CLOSE_WAIT" and later.cookie is None


def test_the_positional_row_order_must_name_socket_rows_fields() -> None:
    from loopgui.core.net import rows

    with pytest.raises(TypeError):
        rows._unfrozen_twin((*rows._ROW_ORDER[:-1], "no_such_field"))
    with pytest.raises(TypeError):
        rows._unfrozen_twin(rows._ROW_ORDER[:5])  # required fields left out
    with pytest.raises(TypeError):
        rows._unfrozen_twin((*rows._ROW_ORDER, "key"))  # twice


def test_the_threaded_first_walk_finds_what_the_plain_walk_finds(tmp_path: Path) -> None:
    table = {
        pid: {fd: (f"socket:[{pid * 1000 + fd}]" if fd % 3 else "pipe:[5]") for fd in range(700)} for pid in (10, 20)
    }
    table[30] = {0: "/dev/null"}
    table[40] = {3: "socket:[ 12]", 4: "socket:[²]", 5: "socket:[999999999999999999999]", 6: "socket:[7]"}
    fake_proc(tmp_path, table)
    (tmp_path / "self").mkdir()
    (tmp_path / "50").mkdir()  # a process that ended between the listing and the walk: no fd folder
    plain, threaded = InodeOwners(str(tmp_path)), InodeOwners(str(tmp_path))
    plain.walk_all()
    threaded.walk_all(threads=3)
    assert threaded.owner == plain.owner and len(plain.owner) == 2 * 466 + 1
    assert threaded.owner[7] == 40 and threaded.owner[20001] == 20
    wanted = set(plain.owner)
    assert threaded.refresh(wanted) == plain.refresh(wanted)
    assert threaded.walks == plain.walks  # the refresh after the walk read nobody again


def test_the_threaded_walk_stops_when_asked(tmp_path: Path) -> None:
    fake_proc(tmp_path, {pid: {fd: f"socket:[{pid * 1000 + fd}]" for fd in range(50)} for pid in range(10, 20)})
    owners = InodeOwners(str(tmp_path))
    owners.walk_all(lambda: True, threads=2)
    assert owners.owner == {}


def test_the_first_scan_reads_owners_beside_the_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    # a real scan of this process's own listening socket, with the walk in threads, names this process
    with own_listener() as port:
        source = NetlinkSource()
        source.first_walk_threads, source.first_walk_processes = 2, 0
        assert listener_pids(Scanner(source).scan(), port) == [os.getpid()]


def test_with_file_sockets_shown_an_unchanged_scan_still_skips_the_owners(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_proc(tmp_path, {10: {3: "socket:[111]", 4: "socket:[900]"}})
    clock = Clock()
    messages = [diag_msg(socket.AF_INET, 10, 80, 0, "127.0.0.1", "0.0.0.0", 111)]
    source = _source(monkeypatch, tmp_path, messages, clock)
    files = {900: ("/run/postgresql/.s.PGSQL.5432", 1, 0, 0)}
    monkeypatch.setattr(source._unix, "dump", lambda: dict(files))
    source.include_files = True
    refreshes: list[int] = []
    real = source._owners.refresh
    monkeypatch.setattr(source._owners, "refresh", lambda wanted, stop: (refreshes.append(1), real(wanted, stop))[1])
    first = source.read({}, 0.0, lambda: False)
    assert [(r.local_addr, r.pid) for r in first.files.values()] == [("/run/postgresql/.s.PGSQL.5432", 10)]
    clock.now += 1.0
    again = source.read(first.rows, 1.0, lambda: False)
    assert len(refreshes) == 1 and again.files == first.files  # nothing changed: the file rows are kept
    files[901] = ("/run/mysqld/mysqld.sock", 1, 0, 0)
    fake_proc(tmp_path, {10: {3: "socket:[111]", 4: "socket:[900]", 5: "socket:[901]"}})
    clock.now += 1.0
    changed = source.read(again.rows, 2.0, lambda: False)
    assert len(refreshes) == 2 and len(changed.files) == 2  # a new file socket: looked up at once
    source.include_files = False
    monkeypatch.setattr(source._unix, "dump", lambda: {})
    off = source.read(changed.rows, 3.0, lambda: False)
    assert off.files == {}


def test_a_big_descriptor_table_is_read_by_number_and_finds_every_socket() -> None:
    # 700 sockets fill most of this process's descriptor table: its numbers are read instead of listed
    held = [socket.socket() for _ in range(700)]
    try:
        owners = InodeOwners()
        if not owners._stat_counts:
            pytest.skip("this kernel does not count descriptors in stat (Linux 6.2 and later do)")
        listing = owners._open(os.getpid())
        assert listing is not None
        dfd, _start, names, count = listing
        os.close(dfd)
        assert count >= 700 and len(names) >= count and names[:3] == ["0", "1", "2"]  # every number of the table
        mine = {os.fstat(s.fileno()).st_ino for s in held}
        owners.walk_all(threads=2)
        assert all(owners.owner.get(inode) == os.getpid() for inode in mine)
        assert owners._fd_counts[os.getpid()] >= count  # stat's count (the walk itself holds a few more open)
    finally:
        for s in held:
            s.close()


def test_the_descriptor_table_size_is_read_from_status(tmp_path: Path) -> None:
    from loopgui.core.net.owners import _fd_table_size

    (tmp_path / "5").mkdir()
    (tmp_path / "5" / "status").write_bytes(b"Name:\tx\nFDSize:\t1024\nGroups:\n")
    (tmp_path / "6").mkdir()
    (tmp_path / "6" / "status").write_bytes(b"Name:\tx\nFDSize:\t99999999999\n")
    assert _fd_table_size(str(tmp_path), 5) == 1024
    assert _fd_table_size(str(tmp_path), 6) == 0  # not a believable size
    assert _fd_table_size(str(tmp_path), 7) == 0  # gone


def _counters(root: Path, tcp: str, segments: int) -> None:
    (root / "net").mkdir(exist_ok=True)
    (root / "net" / "sockstat").write_text(f"sockets: used 8\nTCP: {tcp}\nUDP: inuse 0 mem 0\n")
    (root / "net" / "sockstat6").write_text("TCP6: inuse 0\nUDP6: inuse 0\n")
    names = "RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs"
    (root / "net" / "snmp").write_text(f"Tcp: {names}\nTcp: 1 200 120000 -1 5 5 0 0 1 {segments}\n")


def test_while_the_tcp_counters_stay_the_same_the_tcp_list_is_not_dumped_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_proc(tmp_path, {10: {3: "socket:[111]"}})
    _counters(tmp_path, "inuse 1 orphan 0 tw 0 alloc 1 mem 1", 100)
    clock = Clock()
    messages = [diag_msg(socket.AF_INET, 10, 80, 0, "127.0.0.1", "0.0.0.0", 111)]
    source = _source(monkeypatch, tmp_path, messages, clock)
    dumps: list[int] = []
    inner = source.dump
    monkeypatch.setattr(source, "dump", lambda f, p, out: (dumps.append(p), inner(f, p, out))[1])
    scanner = Scanner(source)
    first = scanner.scan()
    assert dumps.count(6) == 1
    clock.now += 1.0
    again = scanner.scan()
    assert dumps.count(6) == 1 and dumps.count(17) == 4  # UDP is read every time (it is cheap)
    assert dict(again.rows) == dict(first.rows)  # the same TCP list
    # a new connection moves the counters (segments in): dumped at once, and seen
    messages.append(diag_msg(socket.AF_INET, 1, 80, 5000, "127.0.0.1", "127.0.0.1", 112))
    fake_proc(tmp_path, {10: {3: "socket:[111]", 4: "socket:[112]"}})
    _counters(tmp_path, "inuse 2 orphan 0 tw 0 alloc 2 mem 1", 103)
    clock.now += 1.0
    changed = scanner.scan()
    assert dumps.count(6) == 2 and len(changed.rows) == 2
    # the same counters for longer than tcp_recheck: dumped anyway
    clock.now += source.tcp_recheck + 0.1
    scanner.scan()
    assert dumps.count(6) == 3


def test_unreadable_tcp_counters_mean_a_dump_every_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_proc(tmp_path, {10: {3: "socket:[111]"}})  # no net/ folder: the counters cannot be read
    clock = Clock()
    source = _source(monkeypatch, tmp_path, [diag_msg(socket.AF_INET, 10, 80, 0, "127.0.0.1", "0.0.0.0", 111)], clock)
    dumps: list[int] = []
    inner = source.dump
    monkeypatch.setattr(source, "dump", lambda f, p, out: (dumps.append(p), inner(f, p, out))[1])
    scanner = Scanner(source)
    for _ in range(3):
        scanner.scan()
        clock.now += 1.0
    assert dumps.count(6) == 3


def test_a_new_listener_moves_the_real_counters_and_is_seen_at_the_next_scan() -> None:
    # listen() sends no segment: the sockets-in-use count tells the scanner something changed
    scanner = Scanner(NetlinkSource())
    scanner.scan()
    scanner.scan()  # the same counters, maybe: the TCP list may be reused
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        snap = scanner.scan()
        assert [(r.pid, r.state) for r in snap.rows.values() if r.local_port == port] == [(os.getpid(), "LISTEN")]
