"""“localhost” means ::1 first on a usual Debian/Ubuntu computer, 127.0.0.1 first (or only) elsewhere.  A program
listening on one of them only is refused by clients that try the other first.  These tests use real listeners on
free ports, read by the real scanner, and never depend on this machine's /etc/hosts: the resolution order is
injected, or set in a private mount namespace with its own hosts file (and address preferences)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopgui.core.explain import knowledge
from loopgui.core.explain.diagnosis import Environment, Verdict, diagnose
from loopgui.core.net.scanner import make_scanner
from loopgui.core.words.explain import render, report

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent.parent
V6_FIRST = ("::1", "127.0.0.1")  # Debian's usual hosts file (::1 localhost) with the default preferences
V4_FIRST = ("127.0.0.1", "::1")


def _listener(family: socket.AddressFamily, host: str) -> Iterator[int]:
    s = socket.socket(family)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((host, 0))
    s.listen()
    try:
        yield s.getsockname()[1]
    finally:
        s.close()


@pytest.fixture
def v4_only() -> Iterator[int]:
    yield from _listener(socket.AF_INET, "127.0.0.1")


@pytest.fixture
def v6_only() -> Iterator[int]:
    yield from _listener(socket.AF_INET6, "::1")


def env_with(localhost: tuple[str, ...]) -> Environment:
    return dataclasses.replace(Environment.current(), localhost=localhost)


def texts(d: object) -> str:
    return report(d)  # type: ignore[attr-defined,no-any-return]


def test_v6_first_and_program_on_127_only_is_explained(v4_only: int) -> None:
    d = diagnose(f"Error: connect ECONNREFUSED localhost:{v4_only}", make_scanner().scan().rows, env=env_with(V6_FIRST))
    assert d.verdict == Verdict.PROBLEM
    assert render(d).headline.startswith("“localhost” means ::1 first on this computer, but ")
    report = texts(d)
    assert "On this computer “localhost” means ::1 first, then 127.0.0.1." in report
    assert f"Nothing listens on [::1]:{v4_only}: programs that try only the first address" in report
    assert "connect there and are refused" in report
    assert (
        render(d)
        .next_steps[0]
        .startswith(f"In the program that connects, use 127.0.0.1:{v4_only} instead of localhost")
    )
    assert "listen on ::1 too" in render(d).next_steps[1] and render(d).next_steps[2].startswith("Or do both")
    assert d.holders[0].row.pid == os.getpid()
    assert "Nothing is wrong" not in report and "started (or restarted) since" not in report


def test_v6_first_and_the_error_names_the_address(v4_only: int) -> None:
    d = diagnose(f"Error: connect ECONNREFUSED ::1:{v4_only}", make_scanner().scan().rows, env=env_with(V6_FIRST))
    assert d.verdict == Verdict.PROBLEM
    report = texts(d)
    assert "“localhost” means ::1 first, then 127.0.0.1" in report
    assert render(d).next_steps[0] == f"Connect to 127.0.0.1:{v4_only} instead of [::1]:{v4_only}."
    assert "listen on ::1 too" in render(d).next_steps[1]


def test_v4_first_and_program_on_v6_only_is_explained(v6_only: int) -> None:
    d = diagnose(f"connect ECONNREFUSED localhost:{v6_only}", make_scanner().scan().rows, env=env_with(V4_FIRST))
    assert d.verdict == Verdict.PROBLEM
    assert render(d).headline.startswith("“localhost” means 127.0.0.1 first on this computer, but ")
    assert f"use [::1]:{v6_only} instead of localhost" in render(d).next_steps[0]
    assert "listen on 127.0.0.1 too" in render(d).next_steps[1]


def test_v4_only_localhost_and_program_on_v6_only(v6_only: int) -> None:
    d = diagnose(f"connect ECONNREFUSED 127.0.0.1:{v6_only}", make_scanner().scan().rows, env=env_with(("127.0.0.1",)))
    assert d.verdict == Verdict.PROBLEM
    assert "“localhost” means only 127.0.0.1" in texts(d)
    assert render(d).next_steps[0] == f"Connect to [::1]:{v6_only} instead of 127.0.0.1:{v6_only}."


def test_same_listener_right_order_is_fine(v4_only: int) -> None:
    """The other order on the same listener: localhost reaches it first, so a refusal means it started since."""
    d = diagnose(f"connect ECONNREFUSED localhost:{v4_only}", make_scanner().scan().rows, env=env_with(V4_FIRST))
    assert d.verdict == Verdict.INFO and "started (or restarted) since" in texts(d)


def test_injected_resolver_decides_the_order(v4_only: int) -> None:
    def getaddrinfo(host: str, port: object, **kw: object) -> list[tuple[object, ...]]:
        assert host == "localhost"
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 0, 0, 0)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0)),
        ]

    env = Environment.current(resolver=getaddrinfo)
    assert env.localhost == V6_FIRST
    d = diagnose(f"connect ECONNREFUSED localhost:{v4_only}", make_scanner().scan().rows, env=env)
    assert "means ::1 first" in render(d).headline


# -- end to end: `python -m loopgui explain` in a private mount namespace with its own /etc/hosts ---------------


def _namespace_prefix() -> tuple[list[str], str]:
    """(the command that runs a child in a private mount namespace, "") or ([], why that is not possible here)."""
    if sys.platform != "linux":
        return [], "mount namespaces exist on Linux only"
    if shutil.which("unshare") is None:
        return [], "unshare (util-linux) is not installed"
    prefix = ["unshare", "-m", "--propagation", "private"]
    try:
        probe = subprocess.run([*prefix, "true"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return [], f"unshare -m failed: {exc}"
    if probe.returncode == 0:
        return prefix, ""
    # In a chroot whose / is not a mount point, making / private fails (EINVAL): bind-mount the tree onto itself.
    return [], f"no private mount namespace here (unshare -m --propagation private: {probe.stderr.strip()[-160:]})"


def _run_in_namespace(tmp_path: Path, hosts: str, args: list[str], *, prefer_v4: bool = False) -> str:
    """Standard output of ``python -m loopgui ARGS`` run with its own /etc/hosts (and address preferences)."""
    prefix, why = _namespace_prefix()
    if not prefix:
        pytest.skip(why)
    hosts_file = tmp_path / "hosts"
    hosts_file.write_text(hosts, encoding="ascii")
    mounts = f'mount --bind "{hosts_file}" /etc/hosts'
    if prefer_v4:
        if not Path("/etc/gai.conf").exists():
            pytest.skip("this system has no /etc/gai.conf to replace")
        gai = tmp_path / "gai.conf"  # glibc's defaults, with IPv4 (as ::ffff:0:0/96) above ::1
        gai.write_text(
            "precedence ::1/128 50\nprecedence ::/0 40\nprecedence 2002::/16 30\nprecedence ::/96 20\n"
            "precedence ::ffff:0:0/96 100\n",
            encoding="ascii",
        )
        mounts += f' && mount --bind "{gai}" /etc/gai.conf'
    script = f'{mounts} && exec "$@"'
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [*prefix, "sh", "-c", script, "sh", sys.executable, "-m", "loopgui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
        cwd=ROOT,
    )
    if done.returncode != 0 and "mount" in done.stderr:
        pytest.skip(f"cannot bind-mount a hosts file here: {done.stderr.strip()[:200]}")
    assert done.returncode == 0, done.stderr
    return done.stdout


def _explain_with_hosts(tmp_path: Path, hosts: str, text: str, *, prefer_v4: bool = False) -> dict[str, object]:
    data: dict[str, object] = json.loads(
        _run_in_namespace(tmp_path, hosts, ["explain", "--json", text], prefer_v4=prefer_v4)
    )
    return data


def _detail(data: dict[str, object], code: str) -> dict[str, object]:
    found = [d for d in data["details"] if d["code"] == code]  # type: ignore[attr-defined, index]
    assert len(found) == 1, data["details"]
    return found[0]  # type: ignore[no-any-return]


def test_end_to_end_debian_hosts_file(tmp_path: Path, v4_only: int) -> None:
    data = _explain_with_hosts(
        tmp_path,
        "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n",
        f"Error: connect ECONNREFUSED localhost:{v4_only}",
    )
    assert _detail(data, "localhost_means")["addresses"] == ["::1", "127.0.0.1"]
    assert data["verdict"] == "problem"
    case = data["case"]
    assert case["code"] == "localhost_first_address_missed" and case["address"] == "::1"  # type: ignore[index]
    assert str(data["text"]["headline"]).startswith("“localhost” means ::1 first on this computer, but ")  # type: ignore[index]
    steps = data["next_steps"]
    assert {"code": "use_address_not_name", "where": f"127.0.0.1:{v4_only}", "given": f"localhost:{v4_only}"} in steps  # type: ignore[operator]
    # The same in words, as a person reads it in a terminal: plain sentences, no control sequences.
    words = _run_in_namespace(
        tmp_path, "127.0.0.1 localhost\n::1 localhost\n", ["explain", f"connect ECONNREFUSED localhost:{v4_only}"]
    )
    assert words.splitlines()[2].startswith("“localhost” means ::1 first on this computer, but ")
    assert "On this computer “localhost” means ::1 first, then 127.0.0.1." in words
    assert "\x1b" not in words


def test_end_to_end_ipv4_preferred(tmp_path: Path, v6_only: int) -> None:
    data = _explain_with_hosts(
        tmp_path, "127.0.0.1 localhost\n::1 localhost\n", f"connect ECONNREFUSED localhost:{v6_only}", prefer_v4=True
    )
    assert _detail(data, "localhost_means")["addresses"] == ["127.0.0.1", "::1"]
    assert data["case"]["address"] == "127.0.0.1"  # type: ignore[index]
    assert str(data["text"]["headline"]).startswith("“localhost” means 127.0.0.1 first on this computer, but ")  # type: ignore[index]


def test_end_to_end_name_lookup_fails(tmp_path: Path) -> None:
    data = _explain_with_hosts(tmp_path, "# no localhost here\n", "Error: getaddrinfo ENOTFOUND localhost")
    assert data["case"] == {"code": "localhost_not_found", "host": "localhost"}
    assert data["text"]["headline"] == "The name “localhost” could not be looked up."  # type: ignore[index]
    assert _detail(data, "localhost_means")["addresses"] == []
    text = json.dumps(data, ensure_ascii=False)
    assert "hosts file" in text and "listening" not in text


def test_knowledge_reads_the_order_from_the_resolver() -> None:
    def order(*addrs: str) -> knowledge.Resolver:
        return lambda *a, **k: [(0, 0, 0, "", (x, 0)) for x in addrs]

    assert knowledge.localhost_addresses(order("::1", "127.0.0.1", "::1")) == V6_FIRST

    def broken(*a: object, **k: object) -> list[tuple[object, ...]]:
        raise socket.gaierror(-2, "Name or service not known")

    assert knowledge.localhost_addresses(broken) == ()
