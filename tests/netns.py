"""A private network namespace for the tests that scan the machine's sockets.

A test marked ``@pytest.mark.own_netns`` runs in a fresh pytest process started under ``unshare -n`` (root) or
``unshare -rn`` (a user namespace, where the system allows one), with a PID namespace and a /proc of its own where
that can be made: it sees only its own sockets and processes, however many other programs hold (tests/conftest.py
does the re-run).  Inside, the loopback interface is brought up here with two
ioctls, so no ``ip`` command is needed.  Where no namespace can be made, the test runs in place and matches only its
own sockets, by both ends and the program; ``own_netns(required=True)`` tests are skipped instead, naming the cause.
"""

from __future__ import annotations

import functools
import shutil
import socket
import struct
import subprocess
import sys

INSIDE = "LOOPGUI_TEST_NETNS"  # set to "1" in the pytest process that runs inside the namespace
OUTER = "LOOPGUI_TEST_NETNS_OUTER"  # the network namespace of the pytest outside (/proc/self/ns/net there)
REPORT = "LOOPGUI_TEST_NETNS_REPORT"  # where that pytest writes each test's outcome (JSON)
# Run in the first namespace: ask for socket tables of its own for the next one, then run the rest of the command.
OWN_TABLES = (
    "for f in tcp_child_ehash_entries udp_child_hash_entries; do"
    ' echo 1024 > "/proc/sys/net/ipv4/$f" 2>/dev/null || true; done; exec "$@"'
)
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1


def bring_loopback_up() -> None:
    """``ip link set lo up`` without iproute2 (a new network namespace starts with ``lo`` down)."""
    import fcntl  # Unix only; this module is imported everywhere (tests/conftest.py)

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s.fileno(), SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


@functools.cache
def netns_prefix(own_pids: bool = True) -> tuple[tuple[str, ...], str]:
    """(the command prefix that gives a private network namespace, "") or ((), why none can be made here).

    ``own_pids=False``: no PID namespace (the test's process must not be PID 1, e.g. to be told apart from init).
    """
    if not sys.platform.startswith("linux"):
        return (), "network namespaces exist on Linux only"
    if shutil.which("unshare") is None:
        return (), "unshare (util-linux) is not installed"
    errors = []
    # Best: socket tables of its own, and a PID namespace with its own /proc.  A new network namespace shares the
    # machine's TCP and UDP hash tables, and every socket dump walks all of them (with 40,000 sockets of other
    # programs: ~33 ms a dump); a namespace made from inside another whose tcp_child_ehash_entries and
    # udp_child_hash_entries are set gets tables of its own (Linux 6.1/6.2; the machine's settings stay untouched:
    # they are set in the first namespace only).  Its own /proc: finding the owners of its sockets walks only its
    # own processes, not the descriptors of every program on the machine.
    nested = ("unshare", "-n", "-p", "-f", "--mount-proc") if own_pids else ("unshare", "-n")
    candidates = [
        ("unshare", "-n", "sh", "-c", OWN_TABLES, "sh", *nested),
        ("unshare", "-rn", "sh", "-c", OWN_TABLES, "sh", *nested),
    ]
    if own_pids:
        candidates.append(("unshare", "-n", "-p", "-f", "--mount-proc"))
    for prefix in (*candidates, ("unshare", "-n"), ("unshare", "-rn")):
        try:
            done = subprocess.run([*prefix, "true"], capture_output=True, text=True, timeout=10, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            errors.append(f"{' '.join(prefix)}: {exc}")
            continue
        if done.returncode == 0:
            return prefix, ""
        errors.append(f"{' '.join(prefix)}: {done.stderr.strip()[-160:]}")
    return (), "this system allows no new network namespace (needs root, or user namespaces): " + "; ".join(errors)
