"""Bad bytes from the system are bad input, never a crash: command output in other code pages, junk in /proc."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from loopgui.core.explain import knowledge as k
from loopgui.core.net.scanner import InodeOwners

# Shaped like `netsh int ipv4 show dynamicport tcp` on a German and a Chinese Windows (our own text, not copied).
GERMAN_CP850 = (
    "\r\nDynamischer Portbereich für Protokoll tcp\r\n---------------------------------\r\n"
    "Startport       : 49152\r\nAnzahl der Ports : 16384\r\n"
).encode("cp850")
CHINESE_CP936 = (
    "\r\n协议 tcp 动态端口范围\r\n---------------------------------\r\n启动端口 : 49152\r\n端口数 : 16384\r\n"
).encode("cp936")
EXCLUDED_CP1252 = (
    "\r\nPlage de ports exclue du protocole tcp\r\n\r\nPort de début    Port de fin\r\n"
    "----------    --------\r\n      5357        5357\r\n     50000       50059     *\r\n"
).encode("cp1252")


@pytest.mark.parametrize("data", [GERMAN_CP850, CHINESE_CP936])
def test_netsh_in_another_code_page(data: bytes) -> None:
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the bytes really are not UTF-8
    assert k.parse_windows_dynamic_port(k.decode_output(data)) == k.PortRange(49152, 65535)


def test_excluded_ranges_in_cp1252() -> None:
    assert k.parse_windows_excluded_ranges(k.decode_output(EXCLUDED_CP1252)) == (
        k.PortRange(5357, 5357),
        k.PortRange(50000, 50059),
    )


def test_run_survives_undecodable_output() -> None:
    """A fixed command whose output is not UTF-8 (netsh in cp850) gives text, not UnicodeDecodeError."""
    out = k._run([sys.executable, "-c", f"import sys; sys.stdout.buffer.write({GERMAN_CP850!r})"])
    assert "49152" in out and "16384" in out
    assert k.parse_windows_dynamic_port(out) == k.PortRange(49152, 65535)


@pytest.mark.parametrize(
    "text",
    [
        "1 99999999999999999999",
        "1 " + "9" * 5000,  # int() of this many digits raises ValueError in Python 3.11
        "32768 ²",
        "\ufffd\ufffd",
        "",
        "-5 10",
    ],
)
def test_huge_or_odd_numbers_in_proc_files_are_bad_input(text: str) -> None:
    found = k.parse_linux_port_range(text)
    assert found is None or 1 <= found.first <= found.last <= 65535
    assert k.parse_windows_dynamic_port("Start : 1\nCount : " + "9" * 5000) is None
    assert k.parse_windows_excluded_ranges(("9" * 5000 + " 1\n") * 3) == ()


def test_unprivileged_port_start_accepts_only_a_port() -> None:
    assert k.parse_unprivileged_port_start("80\n") == 80
    assert k.parse_unprivileged_port_start("0") == 0
    for junk in ("99999999999999999999", "9" * 5000, "-1", "\ufffd", "", "1024 1", "٨٠"):
        assert k.parse_unprivileged_port_start(junk) == 1024


def test_proc_files_with_junk_bytes(tmp_path: Path) -> None:
    junk = tmp_path / "ip_local_port_range"
    junk.write_bytes(b"\xff\xfe32768\t60999\x00\x80")
    text = k._read_proc(str(junk))
    assert isinstance(text, str) and k.parse_linux_port_range(text) == k.PortRange(32768, 60999)
    assert k._read_proc(str(tmp_path / "missing")) == ""


def test_owner_lookup_survives_junk_in_proc(tmp_path: Path) -> None:
    """A /proc-like tree with odd names and links: the real owners are found, the junk is skipped."""
    proc = tmp_path / "proc"
    (proc / "self" / "fd").mkdir(parents=True)
    fd = proc / "123" / "fd"
    fd.mkdir(parents=True)
    os.symlink("socket:[4242]", fd / "3")
    for n, target in enumerate(["socket:[abc]", "socket:[", "socket:[²]", "socket:[" + "9" * 4000 + "]", "pipe:[7]"]):
        os.symlink(target, fd / str(4 + n))
    (proc / "²" / "fd").mkdir(parents=True)  # str.isdigit() says yes, int() says no
    (proc / ("9" * 5000)[:200] / "fd").mkdir(parents=True)
    owners = InodeOwners(str(proc))
    assert owners.refresh({4242}) == {4242: 123}
