"""Wait, with a deadline, until every started vLLM server answers ``GET /health``.

Reads the start script's state file (``name pid port log`` per line). Fails early when a
server process exits, and prints the tail of the log of each server that did not come up.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

POLL_SECONDS = 2.0
LOG_TAIL_LINES = 40
# Loopback only: never through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _healthy(port: int) -> bool:
    try:
        with _OPENER.open(f"http://127.0.0.1:{port}/health", timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _tail(path: str) -> str:
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(lines[-LOG_TAIL_LINES:])


def _say(text: str) -> None:
    print(f"[real-vllm] {text}", file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    """Command line: ``wait_health.py STATE_FILE TIMEOUT_SECONDS``; exit 0 when all are healthy."""
    state, timeout = Path(argv[0]), float(argv[1])
    servers = [line.split(maxsplit=3) for line in state.read_text().splitlines() if line.strip()]
    start = time.monotonic()
    pending = {name: (int(pid), int(port), log) for name, pid, port, log in servers}
    while pending:
        for name, (pid, port, log) in list(pending.items()):
            if _healthy(port):
                _say(f"{name} ready after {time.monotonic() - start:.0f} s")
                del pending[name]
            elif not _alive(pid):
                _say(f"error: {name} (pid {pid}) exited; log tail:\n{_tail(log)}")
                return 1
        if pending and time.monotonic() - start > timeout:
            for name, (_pid, _port, log) in pending.items():
                _say(f"error: {name} not healthy after {timeout:.0f} s; log tail:\n{_tail(log)}")
            return 1
        if pending:
            time.sleep(POLL_SECONDS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
