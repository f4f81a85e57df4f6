"""Start the bundled reference server as a subprocess, and pytest fixtures for it.

Load the fixtures from ``tests/conftest.py`` with ``pytest_plugins = ["tests.support.reference"]``.

Fixtures:
    vllm_server / ollama_server: one server per test session, with the request log and the
        fault queue cleared before each test (function scope, the same process every time).
    vllm_server_session / ollama_server_session: the session servers without clearing.
    reference_server_factory: ``factory(platform, models=None, api_key=None, extra_args=())``
        starts a dedicated server for one test and stops it afterwards.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import IO, Any

import pytest

VLLM_MODEL = "reference-chat"
OLLAMA_MODEL = "llama3.2"
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class ReferenceServerError(RuntimeError):
    """The reference server did not start."""


class RunningServer:
    """A reference server subprocess: its URL, pid, request log and fault queue."""

    def __init__(
        self, process: subprocess.Popen[str], base_url: str, platform: str, stderr: IO[bytes]
    ) -> None:
        self.process = process
        self.base_url = base_url
        self.platform = platform
        self._stderr = stderr

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def requests(self) -> list[dict[str, Any]]:
        """Every request the server received (except ``/_reference/*``), oldest first."""
        result: list[dict[str, Any]] = self._call("GET", "/_reference/requests")
        return result

    def clear(self) -> None:
        """Forget the recorded requests."""
        self._call("DELETE", "/_reference/requests")

    def add_fault(self, **fault: Any) -> None:
        """Queue a fault (see ``openai_compatible_client.server.faults``), e.g. ``path=..., status=503``."""
        self._call("POST", "/_reference/faults", fault)

    def clear_faults(self) -> None:
        """Drop queued faults."""
        self._call("DELETE", "/_reference/faults")

    def stderr_text(self) -> str:
        """What the server wrote to stderr so far."""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def stop(self) -> None:
        """Terminate the server by its pid, wait, and kill it if it does not exit."""
        if self.process.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_TIMEOUT)
            except ProcessLookupError:
                pass
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_reference_server(
    platform: str,
    models: Sequence[str] | None = None,
    api_key: str | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = READY_TIMEOUT,
) -> RunningServer:
    """Start ``python -m openai_compatible_client.server`` on a free loopback port.

    Waits (at most ``timeout`` seconds) for its ``READY <url>`` line.
    """
    command = [
        sys.executable,
        "-m",
        "openai_compatible_client.server",
        "--platform",
        platform,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
    ]
    for model in models or ():
        command += ["--model", model]
    if api_key is not None:
        command += ["--api-key", api_key]
    command += list(extra_args)
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 - kept open for the server's lifetime, closed by stop()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True)
    lines: queue.Queue[str] = queue.Queue()

    def read_first_line() -> None:
        assert process.stdout is not None
        lines.put(process.stdout.readline())

    threading.Thread(target=read_first_line, daemon=True).start()
    deadline = time.monotonic() + timeout
    line = ""
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.1)
            break
        except queue.Empty:
            if process.poll() is not None:
                break
    server = RunningServer(process, "", platform, stderr)
    if not line.startswith("READY "):
        detail = server.stderr_text().strip()[-2000:]
        server.stop()
        raise ReferenceServerError(f"reference server ({platform}) did not start: {line!r} {detail}")
    server.base_url = line.split(" ", 1)[1].strip()
    return server


# --------------------------------------------------------------------------- pytest fixtures


@pytest.fixture(scope="session")
def vllm_server_session() -> Iterator[RunningServer]:
    """A vLLM reference server for the whole session (model ``reference-chat``)."""
    with start_reference_server("vllm", [VLLM_MODEL]) as server:
        yield server


@pytest.fixture(scope="session")
def ollama_server_session() -> Iterator[RunningServer]:
    """An Ollama reference server for the whole session (model ``llama3.2``)."""
    with start_reference_server("ollama", [OLLAMA_MODEL]) as server:
        yield server


@pytest.fixture
def vllm_server(vllm_server_session: RunningServer) -> RunningServer:
    """The session vLLM server with its request log and faults cleared."""
    vllm_server_session.clear()
    vllm_server_session.clear_faults()
    return vllm_server_session


@pytest.fixture
def ollama_server(ollama_server_session: RunningServer) -> RunningServer:
    """The session Ollama server with its request log and faults cleared."""
    ollama_server_session.clear()
    ollama_server_session.clear_faults()
    return ollama_server_session


@pytest.fixture
def reference_server_factory() -> Iterator[Callable[..., RunningServer]]:
    """Start dedicated servers for one test; all are stopped at teardown."""
    started: list[RunningServer] = []

    def factory(
        platform: str,
        models: Sequence[str] | None = None,
        api_key: str | None = None,
        extra_args: Sequence[str] = (),
    ) -> RunningServer:
        server = start_reference_server(platform, models, api_key, extra_args)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()
