"""Fault injection: the scan completes with what it could read and says what it could not."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import struct
from pathlib import Path
from typing import Any

import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopgui.core.explain import knowledge
from loopgui.core.net import netlink
from loopgui.core.net import scanner as scanner_mod
from loopgui.core.net.scanner import NetlinkSource, PsutilSource, Scanner, parse_diag_messages
from loopgui.core.programs.processes import ProcessNames
from tests.unit.core.net.test_scanner import DONE, diag_msg, fake_proc


def netlink_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, messages: bytes) -> NetlinkSource:
    source = NetlinkSource(proc=str(tmp_path))

    def dump(family: int, protocol: int, out: dict[bytes, tuple[int, int, int]]) -> None:
        if family in (socket.AF_UNSPEC, socket.AF_INET) and protocol == 6:
            parse_diag_messages(messages + DONE, 6, out)

    monkeypatch.setattr(source, "dump", dump)
    return source


def test_process_exits_between_socket_and_owner_lookup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_proc(tmp_path, {10: {3: "socket:[111]"}, 20: {3: "socket:[222]"}})
    real_readlink = os.readlink

    def vanishing(path: Any, *a: Any, **k: Any) -> str:
        if k.get("dir_fd") is not None and os.readlink(f"/proc/self/fd/{k['dir_fd']}").endswith("/20/fd"):
            raise FileNotFoundError(errno.ENOENT, "No such file or directory")
        return real_readlink(path, *a, **k)

    monkeypatch.setattr(os, "readlink", vanishing)
    msgs = diag_msg(socket.AF_INET, 10, 80, 0, "0.0.0.0", "0.0.0.0", 111) + diag_msg(
        socket.AF_INET, 10, 81, 0, "0.0.0.0", "0.0.0.0", 222
    )
    monkeypatch.setattr(ProcessNames, "name", lambda self, pid: "web")
    snap = Scanner(netlink_with(monkeypatch, tmp_path, msgs)).scan()
    owners = {r.local_port: r.pid for r in snap.rows.values()}
    assert owners == {80: 10, 81: None}


def test_program_name_unreadable_or_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    names = ProcessNames()

    def gone(pid: int) -> None:
        raise psutil.NoSuchProcess(pid)

    monkeypatch.setattr(psutil, "Process", gone)
    assert names.name(5) == ""

    def denied(pid: int) -> None:
        raise psutil.AccessDenied(pid)

    monkeypatch.setattr(psutil, "Process", denied)
    assert names.name(6) == ""


def test_netlink_refused_falls_back_to_psutil(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    source = NetlinkSource(proc=str(tmp_path))

    def refuse(family: int, protocol: int, out: dict[bytes, tuple[int, int, int]]) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(source, "dump", refuse)
    monkeypatch.setattr(psutil, "net_connections", lambda kind: [])
    scanner = Scanner(source, fallback=PsutilSource())
    snap = scanner.scan()
    assert snap.source == "psutil" and [p.code.value for p in snap.problems] == ["fallback"]


@pytest.mark.parametrize(
    "exc", [psutil.AccessDenied(), OSError(errno.EIO, "I/O error"), psutil.NoSuchProcess(1)], ids=str
)
def test_psutil_failures_are_reported_not_fatal(monkeypatch: pytest.MonkeyPatch, exc: Exception) -> None:
    def fail(kind: str) -> None:
        raise exc

    monkeypatch.setattr(psutil, "net_connections", fail)
    monkeypatch.setattr(psutil, "process_iter", lambda *a, **k: iter(()))
    scanner = Scanner(PsutilSource())
    if isinstance(exc, psutil.AccessDenied):
        assert scanner.scan().rows == {}  # falls back to asking each process
    else:
        with pytest.raises(type(exc)):  # the scan thread logs it, shows it and scans again later
            scanner.scan()


def test_unreadable_owner_is_counted_as_hidden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_proc(tmp_path, {10: {3: "socket:[111]"}, 20: {3: "socket:[222]"}})
    real_open = os.open

    def deny(path: Any, *a: Any, **k: Any) -> int:
        if str(path).endswith("/20/fd"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, *a, **k)

    real_listdir = os.listdir

    def deny_list(path: Any = ".") -> list[str]:
        if str(path).endswith("/20/fd"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_listdir(path)

    monkeypatch.setattr(os, "open", deny)
    monkeypatch.setattr(os, "listdir", deny_list)
    monkeypatch.setattr(ProcessNames, "name", lambda self, pid: "web")
    msgs = diag_msg(socket.AF_INET, 10, 80, 0, "0.0.0.0", "0.0.0.0", 111) + diag_msg(
        socket.AF_INET, 10, 81, 0, "0.0.0.0", "0.0.0.0", 222
    )
    snap = Scanner(netlink_with(monkeypatch, tmp_path, msgs)).scan()
    assert snap.hidden_sockets == 1


# -- fuzzing the parsers ------------------------------------------------------------------------------------------

message = st.sampled_from([(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")]).flatmap(
    lambda fam: st.builds(
        diag_msg,
        st.just(fam[0]),
        st.integers(0, 15),
        st.integers(0, 65535),
        st.integers(0, 65535),
        st.just(fam[1]),
        st.just(fam[1]),
        st.integers(0, 2**32 - 1),
    )
)


@settings(max_examples=200, deadline=None)
@given(st.lists(message, max_size=20), st.integers(0, 2000), st.binary(max_size=64))
def test_netlink_parser_on_damaged_replies(messages: list[bytes], cut: int, junk: bytes) -> None:
    data = b"".join(messages)
    for buf in (data, data[:cut], data + junk, junk + data):
        out: dict[bytes, tuple[int, int, int]] = {}
        with contextlib.suppress(scanner_mod.NetlinkReplyError):
            parse_diag_messages(buf, 6, out)
        for key, (state, inode, _cookie) in out.items():
            assert key[0] == 6 and 0 <= state <= 255 and inode >= 0
            scanner_mod.decode_key(key[:38])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_port_range_parsers_never_raise(text: str) -> None:
    for parse in (
        knowledge.parse_linux_port_range,
        knowledge.parse_macos_port_range,
        knowledge.parse_windows_dynamic_port,
    ):
        result = parse(text)
        assert result is None or 1 <= result.first <= result.last <= 65535
    for r in knowledge.parse_windows_excluded_ranges(text):
        assert 1 <= r.first <= r.last <= 65535


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 70000), st.integers(0, 70000))
def test_port_range_parsers_on_number_pairs(a: int, b: int) -> None:
    r = knowledge.parse_linux_port_range(f"{a}\t{b}\n")
    assert (r is not None) == (1 <= a <= b <= 65535)
    w = knowledge.parse_windows_dynamic_port(f"Start Port      : {a}\nNumber of Ports : {b}\n")
    assert (w is not None) == (b >= 1 and a >= 1 and a + b - 1 <= 65535)


def test_struct_sizes_match_the_kernel() -> None:
    assert netlink.DIAG_MSG_SIZE == struct.calcsize("=BB2x48s5I") == 72 and len(netlink.build_request(2, 6, 1)) == 72
    assert netlink.NLMSGHDR.size == 16 and netlink._SCAN_MSG.size == 16 + 72
