"""Thread safety: one sync client shared by many threads gives each call its own answer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from openai_compatible_client import OpenAICompatibleClient
from tests.reliability.conftest import assert_no_leaks, snapshot
from tests.support.reference import RunningServer, start_reference_server

THREADS = 16
CALLS = 2000
MODEL = "reference-chat"


@pytest.fixture(scope="module")
def reference() -> Iterator[RunningServer]:
    server = start_reference_server("vllm", models=[MODEL])
    try:
        yield server
    finally:
        server.stop()


def test_one_client_sixteen_threads(reference: RunningServer) -> None:
    before = snapshot()
    mismatches: list[tuple[int, str | None]] = []
    seen_threads: set[int] = set()
    with OpenAICompatibleClient(
        base_url=reference.base_url, platform="vllm", max_retries=0, timeout=30
    ) as client:

        def call(number: int) -> None:
            seen_threads.add(threading.get_ident())
            kind = number % 3
            text = f"thread-safety {number} {'x' * (number % 7 + 1)}"
            if kind == 0:
                answer = client.chat.completions.create(
                    model=MODEL, messages=[{"role": "user", "content": text}]
                )
                got = answer.choices[0].message.content
            elif kind == 1:
                got = client.completions.create(model=MODEL, prompt=text).choices[0].text
            else:
                with client.chat.completions.create(
                    model=MODEL, messages=[{"role": "user", "content": text}], stream=True
                ) as stream:
                    got = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
            if got != f"You said: {text}":
                mismatches.append((number, got))

        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            list(pool.map(call, range(CALLS)))
    assert not mismatches, mismatches[:5]
    assert len(seen_threads) == THREADS
    assert_no_leaks(before)
