"""The netlink scanner recovers: any error code decodes to words, transient errors are retried, a failed scan is
read the slow way once, and the fast way comes back as soon as it works.  The netlink socket is a fake."""

from __future__ import annotations

import errno
import socket
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pytest

from loopgui.core.net import scanner as scanner_mod
from loopgui.core.net.scanner import NetlinkReplyError, NetlinkSource, PsutilSource, Scanner, error_text
from loopgui.core.net.sockets import ScanProblem, ScanProblemCode
from loopgui.core.words.scan import problem_text
from tests.unit.core.net.test_scanner import DONE, diag_msg

# What the fake kernel does for each netlink socket opened, in order: bytes to hand out, or an exception.
Behaviour = list[bytes | BaseException]


def error_reply(code: int) -> bytes:
    return struct.pack("=IHHII", 36, 2, 0, 1, 0) + struct.pack("=i", code) + bytes(16)


class FakeKernel:
    def __init__(self) -> None:
        self.plan: list[Behaviour] = []
        self.opened = 0

    def next(self) -> Behaviour:
        self.opened += 1
        return self.plan.pop(0) if self.plan else [listener_reply()]


def listener_reply() -> bytes:
    return diag_msg(socket.AF_INET, 10, 8080, 0, "127.0.0.1", "0.0.0.0", 0) + DONE


@pytest.fixture
def kernel(monkeypatch: pytest.MonkeyPatch) -> FakeKernel:
    fake = FakeKernel()

    class FakeSocket:
        def __init__(self, *args: Any) -> None:
            self.replies = list(fake.next())

        def __enter__(self) -> FakeSocket:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def settimeout(self, seconds: float) -> None:
            pass

        def setsockopt(self, *args: Any) -> None:
            pass

        def send(self, data: bytes) -> int:
            return len(data)

        def recv_into(self, buf: bytearray) -> int:
            reply = self.replies.pop(0) if self.replies else DONE
            if isinstance(reply, BaseException):
                raise reply
            buf[: len(reply)] = reply
            return len(reply)

    monkeypatch.setattr(socket, "socket", FakeSocket)
    return fake


@pytest.fixture
def scanner(kernel: FakeKernel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Scanner:
    (tmp_path / "self" / "fd").mkdir(parents=True)
    monkeypatch.setattr(psutil, "net_connections", lambda kind: [])  # the slow way sees nothing: easy to tell
    return Scanner(NetlinkSource(proc=str(tmp_path)), fallback=PsutilSource())


def ports(snapshot: Any) -> list[int]:
    return sorted(r.local_port for r in snapshot.rows.values())


@pytest.mark.parametrize("code", [0x7FFFFFFF, -(2**31), 5000, -5000, -1, 1, -errno.ENOBUFS, 99999])
def test_any_error_code_decodes_to_words(code: int) -> None:
    with pytest.raises(NetlinkReplyError) as caught:
        scanner_mod.parse_diag_messages(error_reply(code), 6, {})
    assert "refused the socket list" in str(caught.value)
    assert str(caught.value).isprintable()


@pytest.mark.parametrize("code", [0, 1, -1, 2**31, -(2**31), 2**64, -(2**70), 4095, 4096])
def test_error_text_takes_any_int(code: int) -> None:
    text = error_text(code)
    assert text and text.isprintable()
    assert error_text(-errno.ENOBUFS) == f"{error_text(errno.ENOBUFS)}" and "ENOBUFS" in error_text(-errno.ENOBUFS)


def test_odd_error_code_in_every_reply_gives_one_notice(kernel: FakeKernel, scanner: Scanner) -> None:
    kernel.plan = [[error_reply(-(2**31))] for _ in range(3)]
    snap = scanner.scan()
    assert snap.source == "netlink"
    assert snap.problems == (ScanProblem(ScanProblemCode.INCOMPLETE),)
    assert problem_text(snap.problems[0]) == (
        "The system's list of connections arrived incomplete; some may be missing."
    )
    assert ports(scanner.scan()) == [8080, 8080, 8080]  # the next scan is whole again (one answer per query)


def test_enobufs_is_retried_not_a_switch(kernel: FakeKernel, scanner: Scanner) -> None:
    kernel.plan = [[OSError(errno.ENOBUFS, "No buffer space available")], [error_reply(-errno.ENOBUFS)]]
    snap = scanner.scan()
    assert snap.source == "netlink" and snap.problems == ()
    assert len(snap.rows) == 3  # every query answered in the end: TCP of both families, UDP of each
    assert kernel.opened == 5  # two retries


def test_timeout_falls_back_for_one_scan_then_netlink_again(kernel: FakeKernel, scanner: Scanner) -> None:
    kernel.plan = [[TimeoutError("timed out")]]
    first = scanner.scan()
    assert first.source == "psutil" and first.rows == {}
    assert first.problems == (ScanProblem(ScanProblemCode.FALLBACK),)
    second = scanner.scan()
    assert second.source == "netlink" and second.problems == () and len(second.rows) == 3


def test_lasting_failure_backs_off_and_recovers(kernel: FakeKernel, scanner: Scanner) -> None:
    broken: Callable[[], Behaviour] = lambda: [OSError(errno.EPERM, "Operation not permitted")]  # noqa: E731
    kernel.plan = [broken() for _ in range(100)]
    sources = [scanner.scan().source for _ in range(12)]
    assert set(sources) == {"psutil"}
    # tried on scans 1, 2, 5 and 12 (after 1, 3 and 7 scans): not on every one
    assert kernel.opened == 4
    kernel.plan = []
    later = [scanner.scan().source for _ in range(16)]
    assert later[-1] == "netlink" and later.count("psutil") <= 15
    assert scanner.scan().problems == ()


def test_where_one_tcp_dump_for_both_families_is_refused_each_family_is_asked(
    kernel: FakeKernel, scanner: Scanner
) -> None:
    kernel.plan = [[error_reply(-errno.EOPNOTSUPP)]]
    snap = scanner.scan()
    assert snap.source == "netlink" and snap.problems == ()
    assert len(snap.rows) == 4 and kernel.opened == 5  # refused, then TCP per family and UDP per family
    scanner.scan()
    assert kernel.opened == 9  # from then on four dumps a scan, the refused one not asked again
