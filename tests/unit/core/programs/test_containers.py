"""Container names and published ports from recorded ``docker ps`` / ``podman ps`` / ``docker inspect`` outputs
(tests/data/docker/, each with its public source in SOURCES.md), and how the engine is run."""

from __future__ import annotations

import sys
import time

import pytest

from loopgui.core.programs import containers
from loopgui.core.programs.containers import Container, Published, parse_inspect, parse_port_list, parse_ps
from tests.paths import DATA

DATA = DATA / "docker"


def _read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "ps-teol1403-meow-api.txt",
            [("66fc6b8bd9cd", "modest_goodall", "it4lik/meow-api:arm", (Published(8000, "tcp", 8000, "0.0.0.0"),))],
        ),
        (
            "ps-qt-devops-613-exposed-and-published.txt",
            [
                (
                    "c75947b6ed40",
                    "drunk_ptolemy",
                    "nginx:latest",
                    (Published(80), Published(443), Published(8080, "tcp", 8045, "0.0.0.0")),
                )
            ],
        ),
        ("ps-moby-29750-no-ports.txt", [("0fb67f999d28", "sad_keller", "ubuntu", ())]),
        (
            "ps-orchardup-docker-nginx.txt",
            [
                ("e61326ae15d4", "distracted_kirch", "7242fea75585", (Published(80, "tcp", 49153, "0.0.0.0"),)),
                ("d228d88c865a", "sad_morse", "7242fea75585", (Published(80, "tcp", 80, "0.0.0.0"),)),
            ],
        ),
        (
            "podman-ps-ap-podman-io-pods.txt",
            [
                ("ac8839fc7dea", "happy_cray", "quay.io/libpod/alpine_nginx:latest", ()),
                (
                    "c2f7c5651275",
                    "3e4cad88f8c2-infra",
                    "k8s.gcr.io/pause:3.1",
                    (Published(80, "tcp", 32597, "0.0.0.0"),),
                ),
            ],
        ),
    ],
)
def test_docker_ps_tables_are_read_by_their_header(name: str, expected: list[tuple[object, ...]]) -> None:
    got = [(c.container_id, c.name, c.image, c.ports) for c in parse_ps(_read(name))]
    assert got == expected


def test_docker_inspect_gives_name_pid_and_published_ports() -> None:
    (c,) = parse_inspect(_read("inspect-teol1403-modest_goodall.json"))
    assert (c.container_id, c.name, c.pid, c.network_mode) == ("66fc6b8bd9cd", "modest_goodall", 34799, "bridge")
    assert c.publishes(8000) == Published(8000, "tcp", 8000, "0.0.0.0")
    assert c.publishes(8000, "udp") is None
    (cen,) = parse_inspect(_read("inspect-wr1171-testttdock-cen.json"))
    assert (cen.name, cen.pid, cen.publishes(3000)) == ("cen", 12680, Published(3000, "tcp", 3000, "0.0.0.0"))


def test_exposed_but_not_published_ports_are_kept_without_a_host_port() -> None:
    (c,) = parse_inspect(_read("inspect-watchtower-mock-container_net_supplier.json"))
    assert c.name == "wt-contnet-producer-1"
    assert c.ports == (Published(8000), Published(8388), Published(8388, "udp"), Published(8888))
    assert all(c.publishes(p.container_port, p.proto) is None for p in c.ports)


def test_ps_and_inspect_of_the_same_container_agree() -> None:
    (from_ps,) = parse_ps(_read("ps-teol1403-meow-api.txt"))
    (from_inspect,) = parse_inspect(_read("inspect-teol1403-modest_goodall.json"))
    assert (from_ps.container_id, from_ps.name, from_ps.ports) == (
        from_inspect.container_id,
        from_inspect.name,
        from_inspect.ports,
    )


@pytest.mark.parametrize(
    "junk",
    ["", "not json", "[1, 2, {}]", '{"Id": "zz"}', "CONTAINER ID\n", "NAMES\n" + "x" * 1000, "\x1b[31m" * 1000],
)
def test_junk_is_no_container(junk: str) -> None:
    assert parse_ps(junk) == ()
    assert parse_inspect(junk) == ()


def test_names_lose_control_characters_and_ports_beyond_range_are_left_out() -> None:
    text = (
        "CONTAINER ID   IMAGE   PORTS                                NAMES\n"
        "0123456789ab   img     0.0.0.0:99999->80/tcp, 70000/tcp     evil\u202ename\x1b[2J\n"
    )
    (c,) = parse_ps(text)
    assert c.name == "evilname[2J"
    assert c.ports == ()
    assert parse_port_list("80-90/tcp, [::]:8080->80/tcp") == (Published(80, "tcp", 8080, "::"),)


def test_a_huge_table_is_read_whole() -> None:
    header, *rows = _read("ps-teol1403-meow-api.txt").splitlines()
    got = parse_ps("\n".join([header, *rows * 5000]))
    assert len(got) == 5000
    assert got[-1].ports == (Published(8000, "tcp", 8000, "0.0.0.0"),)


def test_the_engine_is_run_with_hexadecimal_ids_only() -> None:
    calls: list[list[str]] = []

    def run(args: list[str]) -> str:
        calls.append(args)
        return _read("inspect-wr1171-testttdock-cen.json")

    got = containers.inspect(["86199ab4c77b", "; rm -rf /", "--format={{.}}", "86199ab4c77b"], "docker", run=run)
    assert calls == [["docker", "inspect", "--type", "container", "86199ab4c77b"]]
    assert [c.name for c in got] == ["cen"]
    assert containers.inspect(["x"], "docker", run=run) == ()
    assert containers.engine_path("sh") == ""  # only docker or podman


def test_the_engine_output_is_capped_and_time_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(containers, "MAX_OUTPUT", 1000)
    out = containers.run_capped([sys.executable, "-c", "print('x' * 100000)"])
    assert out == "x" * 1000
    monkeypatch.setattr(containers, "TIMEOUT", 0.3)
    started = time.monotonic()
    assert containers.run_capped([sys.executable, "-c", "import time; time.sleep(30)"]) == ""
    assert time.monotonic() - started < 10
    assert containers.run_capped(["/nonexistent/docker", "ps"]) == ""


def test_container_as_dict() -> None:
    c = Container("0123456789ab", "web", ports=(Published(80, "tcp", 8080),))
    assert c.as_dict()["ports"] == [{"container_port": 80, "protocol": "tcp", "host_port": 8080}]
