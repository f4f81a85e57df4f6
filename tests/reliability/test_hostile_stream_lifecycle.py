"""Streams dropped, cancelled or broken early: nothing logged, connections released, client reusable."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from typing import Any

import openai
import pytest

from openai_compatible_client import AsyncOpenAICompatibleClient, OpenAICompatibleClient
from openai_compatible_client import errors as E
from tests.support.hostile import (
    ANSWER_TIMEOUT,
    MESSAGES,
    Conn,
    HostileServer,
    chat_chunk,
    chat_json,
    chunked,
    open_sockets,
    response,
    sse,
)

STREAM_HEADERS = {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked"}


def _endless(conn: Conn) -> None:
    """Every request: a stream that sends a few events, then holds (or, for plain calls, an answer)."""
    while (request := conn.read_request()) is not None:
        if b'"stream":true' not in request.body.replace(b" ", b""):
            conn.send(response(200, json.dumps(chat_json("plain")).encode()))
            continue
        events = [chat_chunk(f"part{i} ") for i in range(3)]
        conn.send(response(200, chunked([sse(*events, done=False)], end=False), STREAM_HEADERS))
        conn.hold()
        return


def test_a_dropped_async_stream_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    problems: list[dict[str, Any]] = []

    async def go(url: str) -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, context: problems.append(context))
        async with AsyncOpenAICompatibleClient(
            base_url=url, platform="vllm", timeout=ANSWER_TIMEOUT
        ) as client:
            for _ in range(3):
                stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
                async for _chunk in stream:
                    break
                del stream, _chunk  # dropped without close()
                gc.collect()
                for _ in range(5):
                    await asyncio.sleep(0.02)
            answer = await client.chat.completions.create(model="m", messages=MESSAGES)
            assert answer.choices[0].message.content == "plain", "the client still works"

    with caplog.at_level(logging.DEBUG, logger="asyncio"), HostileServer(_endless) as server:
        asyncio.run(go(server.url))
        assert server.idle(10), "every dropped stream's connection was closed"
    assert problems == [], problems
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


def test_cancelled_mid_stream_then_the_same_client_works() -> None:
    async def go(url: str) -> None:
        async with AsyncOpenAICompatibleClient(
            base_url=url, platform="vllm", timeout=ANSWER_TIMEOUT
        ) as client:
            got: list[Any] = []

            async def read() -> None:
                stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
                async for chunk in stream:
                    got.append(chunk)

            task = asyncio.create_task(read())
            while len(got) < 3:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            answer = await client.chat.completions.create(model="m", messages=MESSAGES)
            assert answer.choices[0].message.content == "plain"

    with HostileServer(_endless) as server:
        asyncio.run(asyncio.wait_for(go(server.url), 2 * ANSWER_TIMEOUT))
        assert server.idle(10), "the cancelled stream's connection was closed"


def _broken_early(conn: Conn) -> None:
    while conn.read_request() is not None:
        events = sse(chat_chunk("a"), chat_chunk("b"), done=False)
        conn.send(response(200, chunked([events], end=False), STREAM_HEADERS))
        return  # closes mid-stream


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_streams_broken_early_leave_no_socket_behind(mode: str) -> None:
    rounds = 40
    with HostileServer(_broken_early, max_connections=rounds + 5) as server:
        before = open_sockets()
        errors: list[BaseException] = []
        options: dict[str, Any] = {
            "base_url": server.url,
            "platform": "vllm",
            "timeout": ANSWER_TIMEOUT,
            "max_retries": 0,
        }
        if mode == "sync":
            with OpenAICompatibleClient(**options) as client:
                for _ in range(rounds):
                    try:
                        for _chunk in client.chat.completions.create(
                            model="m", messages=MESSAGES, stream=True
                        ):
                            pass
                    except openai.APIError as exc:
                        errors.append(exc)
        else:

            async def go() -> None:
                async with AsyncOpenAICompatibleClient(**options) as client:
                    for _ in range(rounds):
                        try:
                            create = client.chat.completions.create
                            async for _chunk in await create(model="m", messages=MESSAGES, stream=True):
                                pass
                        except openai.APIError as exc:
                            errors.append(exc)

            asyncio.run(go())
        assert server.idle(10)
        after = open_sockets()
    assert len(errors) == rounds and all(isinstance(e, E.IncompleteStreamError) for e in errors)
    assert after <= before, f"{after - before} socket(s) more after {rounds} broken streams"


def test_a_control_character_in_the_api_key_is_refused_before_any_connection() -> None:
    with HostileServer(_endless) as server:
        for key in ("sk-abc\nX-Injected: 1", "sk-abc\r", "sk-\x00", "sk-ключ"):
            for cls in (OpenAICompatibleClient, AsyncOpenAICompatibleClient):
                with pytest.raises(E.ConfigurationError) as info:
                    cls(base_url=server.url, api_key=key, platform="vllm")
                assert key not in str(info.value)
        assert server.connections == 0, "refused before any connection"
        sdk = openai.OpenAI(base_url=server.url + "/v1", api_key="sk-abc\nX-Injected: 1", max_retries=0)
        with pytest.raises(openai.APIConnectionError):
            sdk.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
        sdk.close()  # the SDK fails only when it sends (whether its connection is counted is a race)
