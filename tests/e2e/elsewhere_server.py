"""A stand-in server for tests/e2e/test_elsewhere.py, started under another program name (a link named
``postgres`` to the Python interpreter): listens on a file socket (``unix PATH``) or a TCP port (``tcp HOST
PORT``; 0 picks a free one), prints ``ready PORT`` and stays until its standard input closes.  Standard library
only: it runs outside loopgui's virtual environment."""

from __future__ import annotations

import socket
import sys


def main() -> None:
    kind = sys.argv[1]
    if kind == "unix":
        server = socket.socket(socket.AF_UNIX)
        server.bind(sys.argv[2])
        port = 0
    else:
        host = sys.argv[2]
        server = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        server.bind((host, int(sys.argv[3])))
        port = server.getsockname()[1]
    server.listen(4)
    print(f"ready {port}", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
