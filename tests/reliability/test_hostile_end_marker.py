"""A stream ends at its end marker, even when the server keeps the connection open after it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from openai_compatible_client import AsyncOpenAICompatibleClient, OpenAICompatibleClient
from tests.reliability.conftest import LOADED_SLACK
from tests.support.hostile import (
    MESSAGES,
    Conn,
    HostileServer,
    chat_chunk,
    chunked,
    ndjson,
    ours,
    response,
    sdk,
    sse,
)

TIMEOUT = 15.0  # below the server's 20 s hold, so a client that reads past the marker times out
PROMPT = LOADED_SLACK  # far below TIMEOUT: the stream ended at its marker, not at the read timeout


def _held_open(body: bytes, kind: str) -> Any:
    """Send the whole stream, end marker included, then neither end the body nor close."""

    def script(conn: Conn) -> None:
        if conn.read_request() is None:
            return
        headers = {"Content-Type": kind, "Transfer-Encoding": "chunked"}
        conn.send(response(200, chunked([body], end=False), headers))
        conn.hold()

    return script


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_sse_stream_ends_at_done(mode: str) -> None:
    body = sse(chat_chunk("hel"), chat_chunk("lo", "stop")) + b'data: {"after": "done"}\n\n'
    with HostileServer(_held_open(body, "text/event-stream")) as server:
        mine = ours(mode, server.url, stream=True, timeout=TIMEOUT)
        theirs = sdk(mode, server.url, stream=True, timeout=TIMEOUT)
    assert mine.error is None and mine.text == "hello", repr(mine.error)
    assert mine.elapsed < PROMPT, f"{mine.elapsed:.2f} s"
    assert theirs.text == "hello", "the SDK stops at the marker too"


def _ollama_chat_lines() -> bytes:
    base = {"model": "m", "created_at": "2024-01-01T00:00:00Z"}
    return ndjson(
        {**base, "message": {"role": "assistant", "content": "hel"}, "done": False},
        {**base, "message": {"role": "assistant", "content": "lo"}, "done": False},
        {**base, "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop"},
    )


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_ollama_stream_ends_at_done_true(mode: str) -> None:
    with HostileServer(_held_open(_ollama_chat_lines(), "application/x-ndjson")) as server:
        mine = ours(mode, server.url, stream=True, timeout=TIMEOUT, platform="ollama")
    assert mine.error is None and mine.text == "hello", repr(mine.error)
    assert mine.elapsed < PROMPT, f"{mine.elapsed:.2f} s"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_progress_stream_ends_at_success(mode: str) -> None:
    lines = ndjson({"status": "pulling manifest"}, {"status": "verifying"}, {"status": "success"})
    options: dict[str, Any] = {"platform": "ollama", "timeout": TIMEOUT, "max_retries": 0}
    with HostileServer(_held_open(lines, "application/x-ndjson")) as server:
        started = time.monotonic()
        if mode == "sync":
            with OpenAICompatibleClient(base_url=server.url, **options) as client:
                statuses = [p["status"] for p in client.models.pull("m", stream=True)]
        else:

            async def go() -> list[str]:
                async with AsyncOpenAICompatibleClient(base_url=server.url, **options) as client:
                    return [p["status"] async for p in await client.models.pull("m", stream=True)]

            statuses = asyncio.run(go())
        elapsed = time.monotonic() - started
    assert statuses == ["pulling manifest", "verifying", "success"]
    assert elapsed < PROMPT, f"{elapsed:.2f} s"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_connection_is_reused_after_a_stream_that_ended_properly(mode: str) -> None:
    """A well-behaved stream (marker, then the body's end) leaves its connection for the next call."""

    def script(conn: Conn) -> None:
        while conn.read_request() is not None:
            body = chunked([sse(chat_chunk("hel"), chat_chunk("lo", "stop"))])
            headers = {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked"}
            conn.send(response(200, body, headers))

    with HostileServer(script) as server:
        if mode == "sync":
            with OpenAICompatibleClient(base_url=server.url, platform="vllm", timeout=TIMEOUT) as client:
                for _ in range(3):
                    text = "".join(
                        c.choices[0].delta.content or ""
                        for c in client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
                    )
                    assert text == "hello"
        else:

            async def go() -> None:
                async with AsyncOpenAICompatibleClient(
                    base_url=server.url, platform="vllm", timeout=TIMEOUT
                ) as client:
                    for _ in range(3):
                        create = client.chat.completions.create
                        stream = await create(model="m", messages=MESSAGES, stream=True)
                        text = "".join([c.choices[0].delta.content or "" async for c in stream])
                        assert text == "hello"

            asyncio.run(go())
        assert len(server.requests) == 3
        assert server.connections == 1, "one connection served all three streams"
