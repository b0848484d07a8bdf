"""Protection is decided by more than the name: program file, owner, services, session and loopgui's own ancestry.
Each rule with made-up process facts (and the refusal in plain words)."""

from __future__ import annotations

from typing import Any

import pytest

from loopgui.core.programs.managers import Manager, ManagerKind
from loopgui.core.programs.processes import ProcInfo, ProtectionContext, current_context
from loopgui.core.programs.protection import Guard, protection
from loopgui.core.words.close import protection_text

BOOT = 900.0  # the made-up processes below start at 1000.0: 100 s after the computer
CTX = ProtectionContext(me=5000, ancestors=(4990, 4000, 1), platform="linux", boot_time=BOOT)
ROOT_CTX = ProtectionContext(me=5000, ancestors=(4990, 4000, 1), as_admin=True, platform="linux", boot_time=BOOT)


def protected_reason(info: ProcInfo, ctx: ProtectionContext, **kw: Any) -> str | None:
    found = protection(info, ctx, **kw)
    return protection_text(found) if found is not None else None


LINUX_VITAL = {
    "sshd": "/usr/sbin/sshd",
    "sshd-session": "/usr/lib/openssh/sshd-session",
    "systemd": "/usr/lib/systemd/systemd",
    "systemd-journald": "/usr/lib/systemd/systemd-journald",
    "systemd-udevd": "/usr/lib/systemd/systemd-udevd",
    "systemd-logind": "/usr/lib/systemd/systemd-logind",
    "NetworkManager": "/usr/sbin/NetworkManager",
    "gnome-session-binary": "/usr/libexec/gnome-session-binary",
    "Xorg": "/usr/lib/xorg/Xorg",
    "Xwayland": "/usr/bin/Xwayland",
    "X": "/usr/bin/X",
    "gdm3": "/usr/sbin/gdm3",
    "lightdm": "/usr/sbin/lightdm",
    "sddm": "/usr/bin/sddm",
    "login": "/bin/login",
    "agetty": "/sbin/agetty",
    "containerd": "/usr/bin/containerd",
    "dockerd": "/usr/sbin/dockerd",
    "pipewire": "/usr/bin/pipewire",
    "cron": "/usr/sbin/cron",
    "wpa_supplicant": "/usr/sbin/wpa_supplicant",
    "dbus-daemon": "/usr/bin/dbus-daemon",
    "polkitd": "/usr/lib/polkit-1/polkitd",
}


def info(pid: int, name: str, exe: str | None, *, ppid: int = 900, uid: int | None = 0, user: str = "") -> ProcInfo:
    return ProcInfo(pid, name, 1000.0, exe, ppid, uid, user)


@pytest.mark.parametrize(("name", "exe"), sorted(LINUX_VITAL.items()))
def test_vital_linux_programs_are_protected_as_root(name: str, exe: str) -> None:
    if name == "Xwayland":  # protected as the display server of older programs' windows, before the vital rule
        assert protection(info(700, name, exe, ppid=650), ROOT_CTX).code is Guard.DISPLAY_SERVER  # type: ignore[union-attr]
        return
    reason = protected_reason(info(700, name, exe, ppid=650), ROOT_CTX)
    assert reason is not None and f"{name} is a vital part of the operating system" in reason
    assert "closing it could crash or lock the computer" in reason


@pytest.mark.parametrize("name", ["pipewire", "gnome-session-binary", "Xwayland", "systemd"])
def test_vital_programs_of_the_users_own_session_are_protected(name: str) -> None:
    """They run as the user, but from the system's folders: still vital."""
    assert protected_reason(info(700, name, LINUX_VITAL[name], uid=1000, user="alice"), CTX) is not None


def test_a_users_own_program_named_systemd_is_not_protected_by_its_name() -> None:
    mine = info(700, "systemd", "/home/alice/bin/systemd", uid=1000, user="alice")
    assert protected_reason(mine, CTX) is None
    assert protected_reason(info(701, "sshd", "/home/alice/src/sshd/sshd", uid=1000), CTX) is None
    # file hidden: the owner decides (a person's program is not protected by name; a system account's is)
    assert protected_reason(info(702, "systemd", None, uid=1000, user="alice"), CTX) is None
    assert protected_reason(info(703, "systemd", None, uid=0, user="root"), CTX) is not None


def test_the_core_kernel_threads_loopgui_and_its_ancestors() -> None:
    assert "stop the whole computer" in (protected_reason(info(1, "init", "/sbin/init", ppid=0), CTX) or "")
    assert "Linux kernel" in (protected_reason(info(55, "kworker/0:1", "", ppid=2), CTX) or "")
    assert "loopgui itself" in (protected_reason(info(5000, "python3", "/usr/bin/python3"), CTX) or "")
    assert "started loopgui" in (protected_reason(info(4990, "bash", "/usr/bin/bash"), CTX) or "")
    assert "one of loopgui's parent programs" in (protected_reason(info(4000, "tmux", "/usr/bin/tmux"), CTX) or "")
    assert protected_reason(info(4001, "node", "/usr/bin/node", uid=1000), CTX) is None


def test_system_daemons_are_protected_when_loopgui_runs_as_administrator() -> None:
    daemon = info(800, "exim4", "/usr/sbin/exim4", ppid=1, uid=101, user="Debian-exim")
    found = protection(daemon, ROOT_CTX)
    assert found is not None and found.code is Guard.BOOT_SERVICE
    assert (found.seconds_after_boot, found.account) == (100.0, "Debian-exim")
    reason = protection_text(found)
    assert "background service of the system" in reason and "Debian-exim" in reason
    # a program a person started by hand as root from a system folder (python3 -m http.server) is not a daemon
    assert protected_reason(info(801, "python3", "/usr/bin/python3", ppid=4990, uid=0), ROOT_CTX) is None
    # and a user's program started by PID 1 (a reparented orphan) is not a system daemon
    assert protected_reason(info(802, "node", "/home/a/n/node", ppid=1, uid=1000), ROOT_CTX) is None


def test_main_program_of_a_system_service_is_refused_with_the_proper_way() -> None:
    postgres = info(810, "postgres", "/usr/lib/postgresql/15/bin/postgres", ppid=1, uid=105)
    unit = Manager(
        ManagerKind.SYSTEMD,
        "postgresql.service",
        system_service=True,
        restarts=True,
        commands=("systemctl stop postgresql.service",),
        needs_admin=True,
    )
    hint = "Stop the service instead: `systemctl stop postgresql.service` (needs administrator rights)."
    reason = protected_reason(postgres, CTX, service="postgresql.service", manager=unit)
    assert reason == (
        f"postgres is the main program of the system service postgresql.service, which the system manages. {hint}"
    )
    worker = info(811, "postgres", "/usr/lib/postgresql/15/bin/postgres", ppid=810, uid=105)
    assert protected_reason(worker, CTX, service="postgresql.service") is None


def test_the_desktop_session_and_what_started_it() -> None:
    """gdm3 → gdm-session-worker → a session wrapper of the user's own → gnome-session-binary → gnome-shell."""
    infos = [
        ProcInfo(900, "gdm3", None, "/usr/sbin/gdm3", 1, 0),
        ProcInfo(950, "gdm-session-worker", None, "/usr/libexec/gdm-session-worker", 900, 0),
        ProcInfo(1000, "my-session-wrapper", None, "/home/alice/bin/my-session-wrapper", 950, 1000),
        ProcInfo(1010, "gnome-session-binary", None, "/usr/libexec/gnome-session-binary", 1000, 1000),
        ProcInfo(1020, "gnome-shell", None, "/usr/bin/gnome-shell", 1010, 1000),
        ProcInfo(1100, "firefox", None, "/usr/lib/firefox/firefox", 1020, 1000),
        # a program merely named like a display server, in a user's folder, does not make a session
        ProcInfo(1200, "Xorg", None, "/home/alice/fake/Xorg", 1100, 1000),
    ]
    ctx = current_context(infos, platform="linux")
    assert {900, 950, 1000, 1010, 1020} <= ctx.session and 1100 not in ctx.session and 1200 not in ctx.session
    wrapper = ProcInfo(1000, "my-session-wrapper", 1.0, "/home/alice/bin/my-session-wrapper", 950, 1000)
    reason = protected_reason(wrapper, ctx)
    assert reason is not None and "carries your desktop session" in reason and "log you out" in reason
    assert protected_reason(ProcInfo(1100, "firefox", 1.0, "/usr/lib/firefox/firefox", 1020, 1000), ctx) is None


def test_windows_rules() -> None:
    ctx = ProtectionContext(me=5000, ancestors=(4990,), platform="win32")

    def win(pid: int, name: str, exe: str | None, user: str = "NT AUTHORITY\\SYSTEM") -> ProcInfo:
        return ProcInfo(pid, name, 1.0, exe, 600, None, user)

    for name in ("csrss.exe", "wininit.exe", "lsass.exe", "winlogon.exe", "services.exe", "smss.exe", "svchost.exe"):
        reason = protected_reason(win(700, name, f"C:\\Windows\\System32\\{name}"), ctx)
        assert reason is not None and "vital part of the operating system" in reason, name
    assert protected_reason(win(4, "System", None), ctx) is not None
    assert protected_reason(win(701, "LSASS.EXE", None), ctx) is not None  # names are not case-sensitive here
    assert protected_reason(win(702, "svchost.exe", "C:\\Users\\bob\\Downloads\\svchost.exe", "PC\\bob"), ctx) is None
    assert protected_reason(win(703, "node.exe", "C:\\Program Files\\nodejs\\node.exe", "PC\\bob"), ctx) is None
    service = protected_reason(win(704, "postgres.exe", "C:\\PG\\postgres.exe"), ctx, service="postgresql-x64-16")
    assert service is not None and "system service postgresql-x64-16" in service, service


def test_macos_rules() -> None:
    ctx = ProtectionContext(me=5000, ancestors=(4990,), platform="darwin")
    assert protected_reason(ProcInfo(1, "launchd", 1.0, "/sbin/launchd", 0, 0), ctx) is not None
    assert protected_reason(ProcInfo(0, "kernel_task", 1.0, None, 0, 0), ctx) is not None
    server = "/System/Library/PrivateFrameworks/SkyLight.framework/Versions/A/Resources/WindowServer"
    assert protected_reason(ProcInfo(150, "WindowServer", 1.0, server, 1, 88), ctx) is not None
    login = "/System/Library/CoreServices/loginwindow.app/Contents/MacOS/loginwindow"
    assert protected_reason(ProcInfo(160, "loginwindow", 1.0, login, 1, 501), ctx) is not None
    assert protected_reason(ProcInfo(170, "launchd", 1.0, "/Users/bob/launchd", 900, 501), ctx) is None


def test_every_refusal_is_plain_words() -> None:
    samples = [
        protected_reason(info(1, "init", "/sbin/init", ppid=0), CTX),
        protected_reason(info(700, "sshd", "/usr/sbin/sshd"), ROOT_CTX),
        protected_reason(info(800, "exim4", "/usr/sbin/exim4", ppid=1, uid=101), ROOT_CTX),
    ]
    for text in samples:
        assert (text and text[0].isupper()) or (text and text[0].islower())  # a sentence, not a code
        assert not any(word in (text or "") for word in ("EPERM", "errno", "SIG", "Traceback"))


def test_scanner_owner_cache_notices_a_reused_pid(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan's owner cache re-checks each cached PID's start time once per scan: a PID handed to another
    program between two scans gets the newcomer's name, start time and file, never the old program's."""
    import psutil

    from loopgui.core.programs.processes import ProcessNames

    live = {"start": 100.0, "name": "python3", "exe": "/usr/bin/python3"}
    reads: list[int] = []

    class FakeProcess:
        def __init__(self, pid: int) -> None:
            self.pid = pid
            reads.append(pid)

        def create_time(self) -> float:
            return float(live["start"])

        def name(self) -> str:
            return str(live["name"])

        def exe(self) -> str:
            return str(live["exe"])

    monkeypatch.setattr(psutil, "Process", FakeProcess)
    names = ProcessNames()
    first = names.owner(7)
    assert (first.name, first.start, first.exe) == ("python3", 100.0, "/usr/bin/python3")
    assert names.owner(7) is first and len(reads) == 1  # within one scan: no second read
    names.forget_except([7])  # the next scan begins; PID 7 is still in use, by another program now
    live.update(start=250.0, name="nginx", exe="/usr/sbin/nginx")
    second = names.owner(7)
    assert (second.name, second.start, second.exe) == ("nginx", 250.0, "/usr/sbin/nginx")
    names.forget_except([7])
    assert names.owner(7) is second  # same program: the cached owner, after one cheap start-time read


@pytest.mark.parametrize(
    ("name", "exe"),
    [
        ("pipewire-pulse", "/usr/bin/pipewire"),  # a link to pipewire
        ("getty", "/sbin/agetty"),
        ("systemd-journal", "/usr/lib/systemd/systemd-journald"),  # the kernel cuts names to 15 characters
        ("gnome-session-b", "/usr/libexec/gnome-session-binary"),
    ],
)
def test_vital_programs_started_under_another_vital_name_stay_protected(name: str, exe: str) -> None:
    assert protected_reason(info(700, name, exe, ppid=650), ROOT_CTX) is not None


@pytest.mark.parametrize("name", ["sshd", "systemd", "Xorg", "NetworkManager", "cron"])
def test_a_vital_name_on_an_interpreter_protects_nothing(name: str) -> None:
    # A name is the process's own to choose (a link called sshd, prctl); the program file's name is not.
    for exe in ("/usr/bin/python3.11", "/usr/bin/bash", "/usr/bin/node"):
        assert protected_reason(info(700, name, exe, uid=1000), CTX) is None


def test_a_renamed_interpreter_does_not_make_its_parents_a_desktop_session() -> None:
    infos = [
        ProcInfo(4000, "bash", None, "/usr/bin/bash", 3900, 1000),
        ProcInfo(4100, "Xorg", None, "/usr/bin/python3.11", 4000, 1000),  # python3 started through a link "Xorg"
    ]
    ctx = current_context(infos, platform="linux")
    assert 4000 not in ctx.session and 4100 not in ctx.session


# -- issue 20: a background service is decided from evidence, never from "root, /usr/bin, parent PID 1" alone -------


def test_an_orphaned_root_server_from_usr_bin_started_long_after_boot_is_not_a_background_service() -> None:
    """Before: any root program from /usr/bin whose parent is PID 1 was "started with the computer" (untrue)."""
    orphan = ProcInfo(820, "python3", BOOT + 86_400.0, "/usr/bin/python3", 1, 0, "root")
    xvfb = ProcInfo(821, "Xvfb", BOOT + 3_600.0, "/usr/bin/Xvfb", 1, 0, "root")
    assert protection(orphan, ROOT_CTX) is None
    assert protection(xvfb, ROOT_CTX) is None
    # boot time unknown: not known to have started with the computer, so no such claim
    unknown = ProtectionContext(me=5000, ancestors=(4990, 1), as_admin=True, platform="linux")
    assert protection(ProcInfo(822, "exim4", 1000.0, "/usr/sbin/exim4", 1, 101, "Debian-exim"), unknown) is None


def test_loopgui_as_the_first_process_of_a_namespace_does_not_make_everything_protected() -> None:
    """In a container or `unshare --pid --fork`, loopgui is PID 1 and every program it started has parent 1."""
    first = ProtectionContext(me=1, ancestors=(), as_admin=True, platform="linux", boot_time=BOOT)
    for pid, name, exe in ((7, "python3", "/usr/bin/python3"), (8, "nginx", "/usr/sbin/nginx")):
        child = ProcInfo(pid, name, BOOT + 10.0, exe, 1, 0, "root")
        assert protection(child, first) is None, name
        assert protection(child, first, service="nginx.service") is None  # its parent is loopgui, not the init
    assert protection(ProcInfo(1, "python3", BOOT, "/usr/bin/python3", 0, 0), first).code is Guard.LOOPGUI_ITSELF  # type: ignore[union-attr]


def test_the_display_loopgui_draws_on_is_protected_by_pid_and_xwayland_by_its_file() -> None:
    ctx = ProtectionContext(me=5000, ancestors=(4990, 1), platform="linux", display={333: ":7"}, boot_time=BOOT)
    found = protection(ProcInfo(333, "Xvfb", BOOT + 5000.0, "/usr/bin/Xvfb", 4990 + 1, 1000), ctx)
    assert found is not None and found.code is Guard.DISPLAY_SERVER and found.display == ":7"
    assert "display server" in protection_text(found) and ":7" in protection_text(found)
    # another Xvfb (not the display loopgui draws on) may be closed
    assert protection(ProcInfo(334, "Xvfb", BOOT + 5000.0, "/usr/bin/Xvfb", 4991, 1000), ctx) is None
    xwayland = protection(ProcInfo(335, "Xwayland", BOOT + 5.0, "/usr/bin/Xwayland", 4991, 1000), ctx)
    assert xwayland is not None and xwayland.code is Guard.DISPLAY_SERVER


def test_display_sockets_named_by_the_environment() -> None:
    from loopgui.core.programs.display import display_socket_paths

    assert display_socket_paths({"DISPLAY": ":1"}) == ((":1", "/tmp/.X11-unix/X1"), (":1", "@/tmp/.X11-unix/X1"))
    assert display_socket_paths({"DISPLAY": "unix:12.0"})[0] == ("unix:12.0", "/tmp/.X11-unix/X12")
    assert display_socket_paths({"DISPLAY": "remote:10.0"}) == ()  # a display over the network: no local socket
    wl = display_socket_paths({"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": "/run/user/1000"})
    assert wl == (("wayland-0", "/run/user/1000/wayland-0"),)
