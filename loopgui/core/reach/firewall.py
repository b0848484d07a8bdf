"""What this computer's firewall says about new connections from other computers to one port.

Each reader runs one fixed command (never user text, never a shell, a few seconds at most) or reads one file,
and each parser turns that output into a :class:`FirewallAnswer`: allowed, blocked, limited (only from some
senders or on some network connections) or unknown.  Where loopgui cannot read the rules — most need
administrator rights — the answer is "unknown" together with the command a person can run to look; loopgui
never guesses.  Parsers are linear in their input (bounded chain walks, no backtracking patterns).

The question each parser answers: a new connection (TCP SYN, or a first UDP datagram) arrives from another
computer on a network connection other than loopback, for ``port``/``proto`` and IP version 4 or 6.  What
happens to it?
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# The parsers live in one module per firewall; this module reads this computer's firewall with them and is the
# one name the rest of loopgui imports (the parsers' names are re-exported here).
from loopgui.core.reach.firewalld import (
    FIREWALLD_CHECK,
    FIREWALLD_SERVICES,
    firewalld_inbound,
    firewalld_running,
)
from loopgui.core.reach.iptables import IPTABLES_CHECK, iptables_inbound, iptables_tables
from loopgui.core.reach.netsh import WINDOWS_CHECK, WINDOWS_FIREWALL, WindowsProfile, netsh_inbound, netsh_profiles
from loopgui.core.reach.nft import NFT_CHECK, nft_inbound
from loopgui.core.reach.pf import (
    MACOS_CHECK,
    MACOS_FIREWALL,
    PF_CHECK,
    macos_app_firewall,
    pf_inbound,
    socketfilterfw_state,
)
from loopgui.core.reach.rules import (
    COMMAND_TIMEOUT,
    TOTAL_BUDGET,
    Condition,
    ConditionCode,
    FirewallAnswer,
    Inbound,
    Packet,
    Reason,
    RuleRef,
    new_connection,
)
from loopgui.core.reach.ufw import UFW_CHECK, ufw_default_input, ufw_enabled, ufw_inbound

log = logging.getLogger("loopgui.firewall")

# ---------------------------------------------------------------------------------------------------------------
# Reading this computer's firewall
# ---------------------------------------------------------------------------------------------------------------

Runner = Callable[[Sequence[str]], "tuple[int, str] | None"]
FileReader = Callable[[str], "str | None"]
Finder = Callable[[str], "str | None"]

MAX_OUTPUT = 4_000_000  # bytes of one command's output; more is not a ruleset loopgui reads
# Folders a command is looked for in, in order: never the PATH (anyone may put a folder into it).
COMMAND_FOLDERS = ("/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin")


def find_command(name: str, folders: Sequence[str] = COMMAND_FOLDERS) -> str | None:
    """The absolute path of a system command in the fixed folders (never looked up in PATH); None when absent."""
    if sys.platform == "win32":
        root = os.environ.get("SYSTEMROOT", r"C:\Windows")
        path = os.path.join(root, "System32", name + ".exe")
        return path if os.path.isfile(path) else None
    for folder in folders:
        path = os.path.join(folder, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the command and everything it started (its own process group), then reap it."""
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.SubprocessError, OSError):
        proc.wait(timeout=1.0)


def run_fixed(
    args: Sequence[str], *, timeout: float = COMMAND_TIMEOUT, cap: int = MAX_OUTPUT
) -> tuple[int, str] | None:
    """Run a fixed command given by absolute path (no shell, no user text): (exit code, output) or None.

    The output is read while it streams and the command is stopped once it wrote more than ``cap`` bytes; on
    ``timeout`` its whole process group is killed (a child it started cannot keep running or hold the pipe).
    """
    if not args or not os.path.isabs(args[0]):
        log.debug("refusing to run %r: not an absolute path", args[:1])
        return None
    env = {"LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    if sys.platform == "win32":
        env = dict(os.environ)
    try:
        proc = subprocess.Popen(
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=sys.platform != "win32",
        )
    except OSError as exc:
        log.debug("could not run %s: %s", args[0], exc)
        return None
    assert proc.stdout is not None
    chunks: list[bytes] = []
    state = {"size": 0, "over": False}
    stream = proc.stdout

    def read() -> None:
        while True:
            try:
                data = stream.read1(65536)  # type: ignore[attr-defined]
            except (OSError, ValueError):
                return
            if not data:
                return
            state["size"] += len(data)
            if state["size"] > cap:
                state["over"] = True
                _kill_group(proc)
                return
            chunks.append(data)

    reader = threading.Thread(target=read, name="loopgui-firewall-read", daemon=True)
    start = time.monotonic()
    reader.start()
    reader.join(timeout)
    try:
        if reader.is_alive() or state["over"]:
            log.info("stopped %s: %s", args[0], "too much output" if state["over"] else "no end in time")
            _kill_group(proc)
            reader.join(1.0)
            return None
        try:
            code = proc.wait(timeout=max(0.05, timeout - (time.monotonic() - start)))
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return None
    finally:
        with contextlib.suppress(OSError):
            stream.close()
    return code, b"".join(chunks).decode("utf-8", errors="replace")


def read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(200_000)
    except OSError:
        return None


class _Budget:
    """A runner that starts no command once the time is used up (it answers "could not run" instead)."""

    def __init__(self, run: Runner, seconds: float) -> None:
        self._run = run
        self._end = time.monotonic() + seconds

    def __call__(self, args: Sequence[str]) -> tuple[int, str] | None:
        if time.monotonic() >= self._end:
            log.info("no time left to run %s", args[0])
            return None
        return self._run(args)


def combine(answers: Sequence[FirewallAnswer]) -> FirewallAnswer:
    """A connection must pass every firewall: blocked beats limited beats unknown beats allowed."""
    order = (Inbound.BLOCKED, Inbound.LIMITED, Inbound.UNKNOWN, Inbound.ALLOWED)
    for level in order:
        for a in answers:
            if a.inbound == level:
                return a
    return FirewallAnswer(Inbound.UNKNOWN, "", Reason.NOT_READ)


class ReaderStatus(str, enum.Enum):
    READ = "read"
    MISSING = "missing"  # the command is not installed
    FAILED = "failed"  # it ran but failed (usually: administrator rights needed)
    NOT_RUN = "not_run"  # no time left, or it could not be started
    EMPTY = "empty"  # it ran and this firewall has no tables


@dataclass(frozen=True, slots=True)
class ReaderResult:
    """One reader's raw output: which command, how it went, what it printed."""

    name: str  # "nft", "iptables-legacy-save", "ip6tables-nft-save", "ufw", "firewall-cmd", ...
    command: str  # the absolute path run ("" when missing)
    status: ReaderStatus
    output: str = ""
    code: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {"reader": self.name, "command": self.command or None, "status": self.status.value, "exit": self.code}


@dataclass(frozen=True, slots=True)
class Rulesets:
    """Everything the Linux readers returned, read once; :meth:`answer` decides for any packet from it."""

    readers: tuple[ReaderResult, ...]
    files: Mapping[str, str | None] = field(default_factory=dict)
    # answers that did not depend on the network connection or the destination address, by the rest of the packet
    memo: dict[tuple[object, ...], FirewallAnswer] = field(default_factory=dict, compare=False, repr=False)

    def get(self, name: str) -> ReaderResult | None:
        return next((r for r in self.readers if r.name == name), None)

    def text(self, name: str) -> str | None:
        r = self.get(name)
        return r.output if r is not None and r.status == ReaderStatus.READ else None

    @property
    def kernel_read(self) -> bool:
        names = ("nft", *(f"{f}-{v}-save" for f in ("iptables", "ip6tables") for v in ("legacy", "nft")))
        return any(self.text(n) is not None for n in (*names, "iptables-save", "ip6tables-save"))

    def answer(self, packet: Packet) -> FirewallAnswer:
        key = (packet.version, packet.proto, packet.dport, packet.saddr, packet.sport, packet.state, packet.syn)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        tracked = _Tracked(packet)
        answer = _linux_answer(self, tracked)  # type: ignore[arg-type]
        if not tracked.used:  # no rule looked at where it arrives: the same for every way in
            self.memo[key] = answer
        return answer


class _Tracked:
    """A packet that notes whether a rule looked at where it arrives (network connection, destination)."""

    __slots__ = ("_packet", "used")

    def __init__(self, packet: Packet) -> None:
        self._packet = packet
        self.used = False

    def __getattr__(self, name: str) -> Any:
        if name in ("iif", "daddr", "loopback"):
            self.used = True
        return getattr(self._packet, name)


def _reader(name: str, args: Sequence[str], run: Runner, which: Finder) -> ReaderResult:
    path = which(name)
    if path is None:
        return ReaderResult(name, "", ReaderStatus.MISSING)
    done = run([path, *args])
    if done is None:
        return ReaderResult(name, path, ReaderStatus.NOT_RUN)
    if done[0] != 0:
        return ReaderResult(name, path, ReaderStatus.FAILED, code=done[0])
    return ReaderResult(name, path, ReaderStatus.READ, done[1], 0)


_IPT_SAVES = tuple(f"{fam}-{variant}-save" for fam in ("iptables", "ip6tables") for variant in ("legacy", "nft"))


def read_rulesets(
    versions: Sequence[int] = (4, 6),
    *,
    run: Runner = run_fixed,
    read: FileReader = read_text,
    which: Finder = find_command,
    budget: float = TOTAL_BUDGET,
) -> Rulesets:
    """Run the Linux firewall readers once: nft, iptables-legacy-save and iptables-nft-save (both IP versions;
    plain iptables-save where neither variant is installed), and ufw / firewalld for their own view."""
    run = _Budget(run, budget)
    out = [_reader("nft", ("-j", "list", "ruleset"), run, which)]
    for fam, v in (("iptables", 4), ("ip6tables", 6)):
        if v not in versions:
            continue
        found = False
        for variant in ("legacy", "nft"):
            r = _reader(f"{fam}-{variant}-save", (), run, which)
            found = found or r.status != ReaderStatus.MISSING
            out.append(r)
        if not found:
            out.append(_reader(f"{fam}-save", (), run, which))
    kernel = any(r.status == ReaderStatus.READ for r in out)
    if not kernel:  # ufw and firewalld only say something the kernel's rules did not
        out.append(_reader("ufw", ("status", "verbose"), run, which))
        state = _reader("firewall-cmd", ("--state",), run, which)
        out.append(state)
        if state.status == ReaderStatus.READ and firewalld_running(state.output):
            listed = _reader("firewall-cmd", ("--list-all",), run, which)
            out.append(ReaderResult("firewall-cmd --list-all", listed.command, listed.status, listed.output))
    files = {path: read(path) for path in ("/etc/ufw/ufw.conf", "/etc/default/ufw")}
    return Rulesets(tuple(out), files)


_XTABLES = ("filter", "raw", "mangle", "nat", "security")


def _linux_answer(rs: Rulesets, pkt: Packet) -> FirewallAnswer:
    answers: list[FirewallAnswer] = []
    fam = "iptables" if pkt.version == 4 else "ip6tables"
    port = pkt.dport if pkt.dport is not None else 0
    skip: list[tuple[str, str]] = []
    nft_variant = rs.text(f"{fam}-nft-save")
    if nft_variant is not None and "incompatible" not in nft_variant:
        # iptables-nft keeps its rules in nftables tables: read them once, through iptables-nft-save
        skip = [("ip" if pkt.version == 4 else "ip6", t) for t in _XTABLES]
    nft = rs.text("nft")
    if nft is not None and nft.strip():
        answers.append(nft_inbound(nft, port, pkt.proto, pkt.version, packet=pkt, skip_tables=skip))
    for name, source in ((f"{fam}-legacy-save", f"{fam} (legacy)"), (f"{fam}-nft-save", fam), (f"{fam}-save", fam)):
        text = rs.text(name)
        if text is not None and iptables_tables(text):
            answers.append(iptables_inbound(text, port, pkt.proto, pkt.version, packet=pkt, source=source))
    if rs.kernel_read:
        if not answers:  # every reader ran and found no tables at all
            return FirewallAnswer(
                Inbound.ALLOWED, "nftables", Reason.NO_INBOUND_RULES, NFT_CHECK, port=port, proto=pkt.proto
            )
        return _mention_ufw(combine(answers), rs)
    return _without_kernel(rs, pkt, port)


def _mention_ufw(answer: FirewallAnswer, rs: Rulesets) -> FirewallAnswer:
    """ufw and firewalld write their rules into the kernel's tables: point at their own command to look."""
    conf = rs.files.get("/etc/ufw/ufw.conf")
    if conf is not None and ufw_enabled(conf) and answer.inbound != Inbound.ALLOWED:
        return dataclasses.replace(answer, how_to_check=UFW_CHECK)
    return answer


def _without_kernel(rs: Rulesets, pkt: Packet, port: int) -> FirewallAnswer:
    answers: list[FirewallAnswer] = []
    facts: dict[str, Any] = {"port": port, "proto": pkt.proto}
    ufw = rs.text("ufw")
    if ufw is not None and "Status:" in ufw:
        answers.append(ufw_inbound(ufw, port, pkt.proto, pkt.version, packet=pkt))
    else:
        conf = rs.files.get("/etc/ufw/ufw.conf")
        if conf is not None and ufw_enabled(conf):
            policy = ufw_default_input(rs.files.get("/etc/default/ufw") or "")
            if policy == "accept":
                answers.append(FirewallAnswer(Inbound.ALLOWED, "ufw", Reason.ALLOWS_ALL, UFW_CHECK, **facts))
            else:
                answers.append(
                    FirewallAnswer(Inbound.UNKNOWN, "ufw", Reason.DEFAULT_DENY_UNREADABLE, UFW_CHECK, **facts)
                )
    state = rs.get("firewall-cmd")
    if state is not None and state.status == ReaderStatus.READ and firewalld_running(state.output):
        listed = rs.text("firewall-cmd --list-all")
        if listed is not None:
            answers.append(firewalld_inbound(listed, port, pkt.proto))
        else:
            answers.append(
                FirewallAnswer(Inbound.UNKNOWN, "firewalld", Reason.RULES_UNREADABLE, FIREWALLD_CHECK, **facts)
            )
    if not answers:
        return FirewallAnswer(Inbound.UNKNOWN, "", Reason.KERNEL_RULES_UNREADABLE, NFT_CHECK, **facts)
    if all(a.inbound == Inbound.ALLOWED for a in answers):
        return FirewallAnswer(
            Inbound.UNKNOWN, answers[0].source, Reason.OTHERS_UNREADABLE, NFT_CHECK, seen=answers[0], **facts
        )
    return combine(answers)


def read_firewall(
    port: int,
    proto: str = "tcp",
    versions: Sequence[int] = (4,),
    *,
    program: str = "",
    platform: str = sys.platform,
    run: Runner = run_fixed,
    read: FileReader = read_text,
    which: Finder = find_command,
    budget: float = TOTAL_BUDGET,
) -> FirewallAnswer:
    """What this computer's firewall says about new connections from other computers to ``port``.

    Commands start only while ``budget`` seconds are left (each has its own time limit too), so one answer
    never takes much longer than that; what could not be run in time counts as unreadable.
    """
    proto = proto.lower()
    if platform.startswith("linux"):
        rs = read_rulesets(versions, run=run, read=read, which=which, budget=budget)
        return combine([rs.answer(new_connection(port, proto, v)) for v in versions])
    budgeted = _Budget(run, budget)
    if platform == "win32":
        netsh = which("netsh")
        if netsh is None:
            return FirewallAnswer(
                Inbound.UNKNOWN, WINDOWS_FIREWALL, Reason.RULES_UNREADABLE, WINDOWS_CHECK, port=port, proto=proto
            )
        profiles = budgeted([netsh, "advfirewall", "show", "currentprofile"])
        if profiles is None or profiles[0] != 0:
            return FirewallAnswer(
                Inbound.UNKNOWN, WINDOWS_FIREWALL, Reason.RULES_UNREADABLE, WINDOWS_CHECK, port=port, proto=proto
            )
        rules = budgeted([netsh, "advfirewall", "firewall", "show", "rule", "name=all", "dir=in", "verbose"])
        return netsh_inbound(profiles[1], rules[1] if rules and rules[0] == 0 else "", port, proto, program)
    if platform == "darwin":
        app = budgeted(["/usr/libexec/ApplicationFirewall/socketfilterfw", "--getglobalstate"])
        answers = [macos_app_firewall(app[1] if app else "")]
        pfctl = which("pfctl")
        pf = budgeted([pfctl, "-sr"]) if pfctl else None
        if pf is not None and pf[0] == 0:
            answers += [pf_inbound(pf[1], port, proto, v) for v in versions]
        return combine(answers)
    return FirewallAnswer(Inbound.UNKNOWN, "", Reason.UNSUPPORTED_SYSTEM, port=port, proto=proto)


class CachedFirewall:
    """``read_firewall`` with answers kept for a few seconds: the Explanation refreshes often."""

    def __init__(self, ttl: float = 15.0, reader: Callable[..., FirewallAnswer] = read_firewall) -> None:
        self._ttl = ttl
        self._reader = reader
        self._cache: dict[tuple[object, ...], tuple[float, FirewallAnswer]] = {}

    def __call__(
        self, port: int, proto: str = "tcp", versions: Sequence[int] = (4,), program: str = ""
    ) -> FirewallAnswer:
        key = (port, proto, tuple(versions), program)
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        answer = self._reader(port, proto, versions, program=program)
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[key] = (now, answer)
        return answer


__all__ = [
    "FIREWALLD_CHECK",
    "FIREWALLD_SERVICES",
    "IPTABLES_CHECK",
    "MACOS_CHECK",
    "MACOS_FIREWALL",
    "NFT_CHECK",
    "PF_CHECK",
    "UFW_CHECK",
    "WINDOWS_CHECK",
    "WINDOWS_FIREWALL",
    "CachedFirewall",
    "Condition",
    "ConditionCode",
    "FirewallAnswer",
    "Inbound",
    "Packet",
    "ReaderResult",
    "ReaderStatus",
    "Reason",
    "RuleRef",
    "Rulesets",
    "WindowsProfile",
    "combine",
    "find_command",
    "firewalld_inbound",
    "firewalld_running",
    "iptables_inbound",
    "iptables_tables",
    "macos_app_firewall",
    "netsh_inbound",
    "netsh_profiles",
    "new_connection",
    "nft_inbound",
    "pf_inbound",
    "read_firewall",
    "read_rulesets",
    "read_text",
    "run_fixed",
    "socketfilterfw_state",
    "ufw_default_input",
    "ufw_enabled",
    "ufw_inbound",
]
