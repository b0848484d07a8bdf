"""A program for the termination tests to close: ``python child_program.py MODE``.

Modes:
- ``listen``: listens on 127.0.0.1, exits on SIGTERM; ``listen-on PORT``: the same on PORT (SO_REUSEADDR);
- ``stubborn``: listens and ignores SIGTERM; ``slow``: listens and ends 0.6 s after SIGTERM;
- ``tree``: listens and starts two child programs; ``deep``: listens and starts a child that starts a grandchild
  (prints the child's and the grandchild's PIDs);
- ``forked``: listens, then forks a worker that shares the listening socket (prints the worker's PID);
- ``threads``: a thread listens, then the first thread ends with pthread_exit; the program runs on;
- ``waiter``: starts two children and ends itself as soon as both have ended;
- ``supervisor``: starts ``listen-on PORT`` children one after the other, a new one whenever the last ended
  (prints ``<port> <child pid>`` for each).
Prints ``<port> <child pids…>`` once ready.  Every mode ends itself after 60 seconds, so nothing outlives a failed
test.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

SLEEPER = "import signal, time; signal.alarm(60); time.sleep(60)"


def supervise() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    for _ in range(5):
        child = subprocess.Popen([sys.executable, __file__, "listen-on", str(port)], stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        child.stdout.readline()
        print(port, child.pid, flush=True)
        child.wait()


def threads() -> None:
    import ctypes
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    print(server.getsockname()[1], flush=True)
    threading.Thread(target=lambda: [time.sleep(0.1) for _ in range(600)] and None).start()
    ctypes.CDLL(None).pthread_exit(None)  # the first thread ends; the program and its socket live on


def main() -> None:
    mode = sys.argv[1]
    signal.alarm(60)
    if mode == "supervisor":
        supervise()
        return
    if mode == "threads":
        threads()
        return
    if mode == "waiter":
        kids = [subprocess.Popen([sys.executable, "-c", SLEEPER]) for _ in range(2)]
        print(0, *[k.pid for k in kids], flush=True)
        for k in kids:
            k.wait()
        return
    if mode == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if mode == "slow":  # takes 0.6 s to close once asked
        signal.signal(signal.SIGTERM, lambda *_: (time.sleep(0.6), os._exit(0)))
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", int(sys.argv[2]) if mode == "listen-on" else 0))
    server.listen()
    children = []
    if mode == "forked":
        worker = os.fork()
        if worker == 0:
            while True:
                time.sleep(0.1)
        print(server.getsockname()[1], worker, flush=True)
        while True:
            time.sleep(0.1)
    if mode == "tree":
        for _ in range(2):
            children.append(
                subprocess.Popen([sys.executable, "-c", "import signal, time; signal.alarm(60); time.sleep(60)"])
            )
    if mode == "deep":
        grand = (
            "import signal, subprocess, sys, time; signal.alarm(60); "
            "p = subprocess.Popen([sys.executable, '-c', 'import signal, time; signal.alarm(60); time.sleep(60)']); "
            "print(p.pid, flush=True); time.sleep(60)"
        )
        middle = subprocess.Popen([sys.executable, "-c", grand], stdout=subprocess.PIPE, text=True)
        assert middle.stdout is not None
        grandchild = int(middle.stdout.readline())
        print(server.getsockname()[1], middle.pid, grandchild, flush=True)
    else:
        print(server.getsockname()[1], *[c.pid for c in children], flush=True)
    while True:
        time.sleep(0.1)


if __name__ == "__main__":
    main()
