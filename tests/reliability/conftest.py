"""Fixtures of the reliability tier: the fault server, fast-but-recorded retries, leak probes."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from openai_compatible_client.transport.retry import RetryPolicy
from tests.support.faults import FaultServer

API_KEY = "sk-reliability-SECRET-7f3a9c"

LOADED_SLACK = 8.0
"""Slack on every time bound of the tier, for a loaded machine (2.5 s was once exceeded by a starved
event loop). Each test's fault outlasts its bound by far, so a bound that holds still proves that the
client's deadline, not the server, ended the call."""

RETRY_LOG: list[float] = []
"""The delays the retry policy chose, in order (the test sleeps only a little of each)."""


@dataclass(frozen=True, slots=True)
class RecordedPolicy(RetryPolicy):
    """The real policy, whose delays are recorded and then shortened so the matrix runs fast."""

    def delay(self, attempt: int, headers: Any = None) -> float:
        chosen = RetryPolicy.delay(self, attempt, headers)
        RETRY_LOG.append(chosen)
        return min(chosen, 0.02)


@pytest.fixture(scope="session")
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def faults(fault_server: FaultServer) -> FaultServer:
    fault_server.reset()
    return fault_server


@pytest.fixture()
def recorded_retries(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Clients built in this test use :class:`RecordedPolicy`; returns the delay log."""
    import openai_compatible_client.client as client_module

    monkeypatch.setattr(client_module, "RetryPolicy", RecordedPolicy)
    RETRY_LOG.clear()
    return RETRY_LOG


def open_fds() -> set[str]:
    """The file descriptors of this process that are sockets."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            found.add(target)
    return found


def live_threads() -> set[int]:
    """Threads of this process, leaving out the reusable ones: asyncio's default-executor workers
    and the sync transport's one deadline watchdog (started once per process)."""
    reusable = ("asyncio_", "occ-deadline-watchdog")
    return {t.ident or 0 for t in threading.enumerate() if not t.name.startswith(reusable)}


@dataclass
class Snapshot:
    sockets: set[str]
    threads: set[int]


def snapshot() -> Snapshot:
    return Snapshot(open_fds(), live_threads())


def assert_no_leaks(before: Snapshot, settle: float = 10.0) -> None:
    """No socket or thread more than ``before`` (polling briefly: closes can trail the call)."""
    deadline = time.monotonic() + settle
    while True:
        sockets, threads = open_fds() - before.sockets, live_threads() - before.threads
        if not sockets and not threads:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"left open: sockets={sorted(sockets)} threads={sorted(threads)}")
        time.sleep(0.05)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Warm the request builders once collection is done, before any test starts.

    A session fixture would run inside the first test's ``pytest-timeout`` budget, so a machine slow
    enough to take minutes over LiteLLM's import would fail every test of the worker at set-up.
    """
    tier = Path(__file__).parent
    if any(tier in item.path.parents for item in session.items):
        _warm_builders()


def _warm_builders() -> None:
    """Build one request of each kind, so LiteLLM's import time is not charged to a timed call; import
    the async client's aiohttp pool for the same reason (it is otherwise loaded on the first call)."""
    import openai_compatible_client.transport.aio_pool  # noqa: F401
    from openai_compatible_client.config import ClientConfig
    from openai_compatible_client.platforms import get_platform
    from openai_compatible_client.routing import chat_request, completion_request, embedding_request

    for name in ("vllm", "ollama"):
        config, platform = ClientConfig(base_url="http://127.0.0.1:9", platform=name), get_platform(name)
        messages = [{"role": "user", "content": "hi"}]
        chat_request(config, platform, model="m", messages=messages, stream=False, params={})
        completion_request(config, platform, model="m", prompt="hi", stream=False, params={})
        embedding_request(config, platform, model="m", input="hi", params={})
