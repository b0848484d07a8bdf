"""Who brings a program back: cgroup files of systemd, Docker, Podman, Kubernetes, snap and flatpak; docker-proxy;
Windows services and launchd jobs (faked facts); and real processes on this machine."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from loopgui.core.programs import managers
from loopgui.core.programs.actions import ClosePlan, plan_close
from loopgui.core.programs.managers import (
    Manager,
    ManagerKind,
    detect,
    from_cgroup,
    from_docker_proxy,
    from_launchd,
    from_windows_service,
)
from loopgui.core.programs.processes import CloseOutcome, CloseResult, Identity, ProcInfo, ProtectionContext
from loopgui.core.words.close import result_text
from loopgui.core.words.managers import instead_text, manager_text, summary_text

# -- recorded /proc/PID/cgroup files --------------------------------------------------------------------------------
# Real files copied from public repositories' test fixtures (source in the comment above each):

# https://github.com/Qard/container-info/blob/5de922c8d7f10c6c54b0006cf26f683818e1f89b/test/fixtures/cgroup
# (Kubernetes with the cgroupfs driver, cgroup v1; five of its eleven lines)
K8S_CGROUPFS_V1 = """\
11:devices:/kubepods/besteffort/pod74c13223-5a00-11e9-b385-42010a80018d/34dc0b5e626f2c5c4c5170e34b10e7654ce36f0fcd532739f4445baabea03376
10:perf_event:/kubepods/besteffort/pod74c13223-5a00-11e9-b385-42010a80018d/34dc0b5e626f2c5c4c5170e34b10e7654ce36f0fcd532739f4445baabea03376
9:memory:/kubepods/besteffort/pod74c13223-5a00-11e9-b385-42010a80018d/34dc0b5e626f2c5c4c5170e34b10e7654ce36f0fcd532739f4445baabea03376
2:pids:/kubepods/besteffort/pod74c13223-5a00-11e9-b385-42010a80018d/34dc0b5e626f2c5c4c5170e34b10e7654ce36f0fcd532739f4445baabea03376
1:name=systemd:/kubepods/besteffort/pod74c13223-5a00-11e9-b385-42010a80018d/34dc0b5e626f2c5c4c5170e34b10e7654ce36f0fcd532739f4445baabea03376
"""

# https://github.com/open-telemetry/opentelemetry-java-instrumentation, file
# dd-trace-ot/src/test/groovy/datadog/opentracing/ContainerInfoTest.groovy, two of its lines (Docker, cgroup v1)
DOCKER_V1 = """\
13:name=systemd:/docker/3726184226f5d3147c25fdeab5b60097e378e8a720503a5e19ecfdf29f869860
12:pids:/docker/3726184226f5d3147c25fdeab5b60097e378e8a720503a5e19ecfdf29f869860
"""

# https://github.com/neuvector/neuvector, share/system/cgroup_test.go, TestDockerIDCentOS, lines excerpted
# (Docker with the systemd driver, cgroup v1: docker-<id>.scope)
DOCKER_SYSTEMD_V1 = """\
10:devices:/system.slice/docker-9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d.scope
8:memory:/system.slice/docker-9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d.scope
2:cpuacct,cpu:/system.slice/docker-9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d.scope
"""

# Constructed by us from the documented formats (systemd.unit(5) / systemd-cgls layouts, Docker's and Podman's
# cgroup v2 scopes, the kubelet's systemd-driver slices, snapd's and flatpak's scope names); not recorded files:
CONSTRUCTED = {
    "systemd system unit": "0::/system.slice/postgresql.service\n",
    "systemd templated unit": "0::/system.slice/system-postgresql.slice/postgresql@15-main.service\n",
    "systemd user unit": "0::/user.slice/user-1000.slice/user@1000.service/app.slice/myapp.service\n",
    "docker v2": "0::/system.slice/docker-" + "a" * 64 + ".scope\n",
    "podman v2": "0::/machine.slice/libpod-" + "b" * 64 + ".scope\n",
    "podman rootless": "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + "c" * 64 + ".scope\n",
    "kubernetes v2": "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12345678_1234_1234_1234_"
    "123456789abc.slice/cri-containerd-" + "d" * 64 + ".scope\n",
    "snap app": "0::/user.slice/user-1000.slice/user@1000.service/app.slice/snap.firefox.firefox-1234abcd.scope\n",
    "snap service": "0::/system.slice/snap.lxd.daemon.service\n",
    "flatpak": "0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-flatpak-org.gimp.GIMP-2345.scope\n",
    "terminal scope": "0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
    "app-org.gnome.Terminal.slice/vte-spawn-5e6f.scope\n",
    "login session": "0::/user.slice/user-1000.slice/session-2.scope\n",
}


def test_kubernetes_cgroupfs_v1_recorded() -> None:
    m = from_cgroup(K8S_CGROUPFS_V1)
    assert m is not None and m.kind is ManagerKind.KUBERNETES and m.name == "34dc0b5e626f"
    assert (m.pod, m.container, m.restarts) == ("74c13223-5a00-11e9-b385-42010a80018d", "34dc0b5e626f", True)
    assert m.commands == ("kubectl scale deployment NAME --replicas=0", "kubectl get pods -A")
    assert summary_text(m) == (
        "This program runs in a Kubernetes container (pod 74c13223-5a00-11e9-b385-42010a80018d, container "
        "34dc0b5e626f); Kubernetes starts it again when it ends."
    )


@pytest.mark.parametrize("text", [DOCKER_V1, DOCKER_SYSTEMD_V1, CONSTRUCTED["docker v2"]], ids=["v1", "systemd", "v2"])
def test_docker_scopes(text: str) -> None:
    m = from_cgroup(text)
    assert m is not None and m.kind is ManagerKind.DOCKER and m.kind == "docker"
    assert m.commands == (f"docker stop {m.name}",) and m.needs_admin and m.restarts
    assert len(m.name) == 12 and m.name in text
    assert instead_text(m) == (
        f"Stop the container instead: `docker stop {m.name}` (needs administrator rights or the docker group)."
    )


def test_systemd_units() -> None:
    m = from_cgroup(CONSTRUCTED["systemd system unit"])
    assert m == Manager(
        ManagerKind.SYSTEMD,
        "postgresql.service",
        system_service=True,
        restarts=True,
        commands=("systemctl stop postgresql.service",),
        needs_admin=True,
    )
    assert manager_text(m) == (
        "This is the service postgresql.service; closing it may just make the system start it again. Stop the "
        "service instead: `systemctl stop postgresql.service` (needs administrator rights)."
    )
    templated = from_cgroup(CONSTRUCTED["systemd templated unit"])
    assert templated is not None and templated.name == "postgresql@15-main.service"
    user = from_cgroup(CONSTRUCTED["systemd user unit"])
    assert user is not None and user.kind is ManagerKind.SYSTEMD_USER and not user.system_service
    assert user.commands == ("systemctl --user stop myapp.service",) and not user.needs_admin and user.restarts


def test_podman_kubernetes_snap_flatpak() -> None:
    podman = from_cgroup(CONSTRUCTED["podman v2"])
    assert podman is not None and podman.kind is ManagerKind.PODMAN and podman.needs_admin
    assert podman.commands == (f"podman stop {'b' * 12}",)
    rootless = from_cgroup(CONSTRUCTED["podman rootless"])
    assert rootless is not None and not rootless.needs_admin
    assert instead_text(rootless) == f"Stop the container instead: `podman stop {'c' * 12}`."
    kube = from_cgroup(CONSTRUCTED["kubernetes v2"])
    assert kube is not None and kube.kind is ManagerKind.KUBERNETES and kube.name == "d" * 12
    assert kube.pod == "12345678-1234-1234-1234-123456789abc"
    snap = from_cgroup(CONSTRUCTED["snap app"])
    assert snap is not None and snap.kind is ManagerKind.SNAP and snap.name == "firefox" and not snap.commands
    assert manager_text(snap) == "This program comes from the snap package firefox."  # no way to stop it: no text
    service = from_cgroup(CONSTRUCTED["snap service"])
    assert service is not None and service.system_service and service.service == "lxd.daemon"
    assert service.commands == ("sudo snap stop lxd.daemon",) and service.needs_admin and service.restarts
    flatpak = from_cgroup(CONSTRUCTED["flatpak"])
    assert flatpak is not None and flatpak.name == "org.gimp.GIMP"
    assert flatpak.commands == ("flatpak kill org.gimp.GIMP",) and not flatpak.restarts


@pytest.mark.parametrize("name", ["terminal scope", "login session"])
def test_plain_programs_have_no_manager(name: str) -> None:
    assert from_cgroup(CONSTRUCTED[name]) is None


def test_hostile_unit_names_are_quoted_or_refused() -> None:
    assert from_cgroup("0::/system.slice/$(reboot).service\n") is None
    assert from_cgroup("garbage\n\n:::\n") is None
    m = from_cgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-flatpak-a;b-1.scope\n")
    assert m is not None and m.commands == ("flatpak kill 'a;b'",)


def test_docker_proxy_names_the_container_and_port() -> None:
    # The arguments dockerd gives docker-proxy for `docker run -p 8080:80` (see `ps` on a Docker host).
    args = "/usr/bin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 "
    m = from_docker_proxy("docker-proxy", (args + "-container-port 80").split())
    assert m is not None and m.kind is ManagerKind.DOCKER_PROXY
    assert (m.name, m.host_port, m.target_port) == ("172.17.0.2", 8080, 80)
    assert m.commands == ("docker stop NAME", "docker ps")
    assert "passes port 8080 of this computer on to port 80 of the Docker container at 172.17.0.2" in summary_text(m)
    assert instead_text(m) == (
        "Stop the container instead: `docker ps` shows which container publishes port 8080; then `docker stop NAME` "
        "(needs administrator rights or the docker group)."
    )
    bare = from_docker_proxy("docker-proxy", ["docker-proxy", "-host-port", "x"])
    assert bare is not None and bare.host_port is None and "passes a port of this computer" in summary_text(bare)
    assert from_docker_proxy("python3", args.split()) is None


def test_windows_service_and_launchd_job() -> None:
    services = [("Spooler", "Print Spooler", 812), ("postgresql-x64-16", "postgresql-x64-16", 4040)]
    m = from_windows_service(4040, services)
    assert m is not None and m.system_service and m.commands == ('sc stop "postgresql-x64-16"',) and not m.display
    spooler = from_windows_service(812, services)
    assert spooler is not None and spooler.display == "Print Spooler"
    assert summary_text(spooler) == "This is the Windows service Print Spooler (Spooler); Windows may start it again."
    assert from_windows_service(5, services) is None
    agent = from_launchd({"XPC_SERVICE_NAME": "com.example.sync"}, 501)
    assert agent is not None and agent.commands == ("launchctl bootout gui/501/com.example.sync",)
    assert not agent.system_service and not agent.needs_admin
    daemon = from_launchd({"XPC_SERVICE_NAME": "com.example.helper"}, 0)
    assert daemon is not None and daemon.system_service and daemon.needs_admin
    assert daemon.commands == ("sudo launchctl bootout system/com.example.helper",)
    assert from_launchd({"XPC_SERVICE_NAME": "0"}, 501) is None
    assert from_launchd({"XPC_SERVICE_NAME": "application.com.apple.Terminal.1.2"}, 501) is None
    assert detect(4040, "postgres.exe", platform="win32", services=lambda: services) == m
    assert detect(9, "sync", uid=501, platform="darwin", environ=lambda pid: {"XPC_SERVICE_NAME": "a.b"}) is not None


def test_every_kind_has_words_and_json() -> None:
    """Each kind renders a sentence (and, with a command, the proper way); --json carries the facts."""
    for kind in ManagerKind:
        m = Manager(kind, "x", commands=("stop x",), needs_admin=True)
        assert summary_text(m) and "`stop x`" in instead_text(m), kind
        assert m.as_dict()["kind"] == kind.value and m.as_dict()["commands"] == ["stop x"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="cgroup files exist on Linux only")
def test_real_processes_own_cgroup_and_a_child() -> None:
    """This process's own cgroup file and a child's are read for real; the verdict matches parsing the file."""
    own = managers.read_cgroup(os.getpid())
    assert own.strip(), "every Linux process has a cgroup file"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(10)"])
    try:
        assert managers.read_cgroup(child.pid) == own  # a child starts in its parent's cgroup
        found = detect(child.pid, "python3", ())
        assert found == from_cgroup(own)
    finally:
        child.kill()
        child.wait()
    assert managers.read_cgroup(2**22 + 12345) == ""  # no such process: no manager, no error


def test_plan_names_the_manager_and_refuses_a_system_service_main_program() -> None:
    """A system unit's main program (started by PID 1) is refused with the proper way; a worker of it may be
    closed, with the manager named in the plan."""
    unit = from_cgroup(CONSTRUCTED["systemd system unit"])
    main = ProcInfo(4000, "postgres", 100.0, "/usr/lib/postgresql/15/bin/postgres", 1, 105, "postgres")
    worker = ProcInfo(4001, "postgres", 101.0, "/usr/lib/postgresql/15/bin/postgres", 4000, 105, "postgres")
    infos = {4000: main, 4001: worker}
    ctx = ProtectionContext(me=99999, ancestors=(99998,))

    def plan(info: ProcInfo) -> ClosePlan | CloseResult:
        assert info.create_time is not None
        return plan_close(
            Identity(info.pid, info.create_time, info.name, info.exe or ""),
            reader=infos.get,
            children=lambda: {4000: [4001]},
            context=lambda: ctx,
            manager_of=lambda i: unit,
            pidfds=False,
        )

    refused = plan(main)
    assert isinstance(refused, CloseResult) and refused.outcome == CloseOutcome.PROTECTED
    assert refused.protection is not None and refused.protection.code.value == "system_service"
    assert refused.protection.service == "postgresql.service"
    assert result_text(refused) == (
        "loopgui will not close postgres. postgres is the main program of the system service postgresql.service, "
        "which the system manages. Stop the service instead: `systemctl stop postgresql.service` (needs "
        "administrator rights)."
    )
    allowed = plan(worker)
    assert isinstance(allowed, ClosePlan) and allowed.manager == unit


def test_program_facts_name_the_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    from loopgui.core.programs import processes

    monkeypatch.setattr(managers, "read_cgroup", lambda pid, proc="/proc": CONSTRUCTED["systemd user unit"])
    facts = processes.process_facts(os.getpid())
    if sys.platform.startswith("linux"):
        assert facts.manager is not None and facts.manager.kind is ManagerKind.SYSTEMD_USER
        assert manager_text(facts.manager).startswith("This is the service myapp.service of your session")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(managers, "detect", broken)
    assert processes.process_facts(os.getpid()).manager is None  # never in the way of the other facts


def test_a_snap_service_of_the_users_session_is_not_a_system_service() -> None:
    # A service under the user's own service manager (user@UID.service) is the user's: a person may create such
    # a cgroup under any name.  It must not be called a system service (that refuses closing it when its parent
    # is PID 1) nor be told to stop with sudo.
    text = "0::/user.slice/user-1000.slice/user@1000.service/app.slice/snap.mytool.agent.service\n"
    found = from_cgroup(text)
    assert found is not None and not found.system_service
    assert found.commands == ("systemctl --user stop snap.mytool.agent.service",) and not found.needs_admin


def test_manager_texts_reach_the_dialog_as_plain_text() -> None:
    """A flatpak id (or any name from a cgroup path) is the program's own to choose: no controls, no bidi."""
    hostile = "0::/user.slice/user@1000.service/app.slice/app-flatpak-org.evil\u202etxt.exe\x1b[31m-42.scope\n"
    found = managers.detect(4242, "evil", (), platform="linux", cgroup=lambda _pid: hostile)
    assert found is not None and found.kind == "flatpak"
    for text in (found.name, *found.commands, manager_text(found)):
        assert "\u202e" not in text and "\x1b" not in text, text
