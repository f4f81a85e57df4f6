"""Print N distinct TCP ports that are free on 127.0.0.1 right now (default 1)."""

from __future__ import annotations

import socket
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
sockets = []
try:
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    print(" ".join(str(sock.getsockname()[1]) for sock in sockets))
finally:
    for sock in sockets:
        sock.close()
