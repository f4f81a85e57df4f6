"""The async client's default pool (aiohttp) and its httpx fallback: who sends, two event loops, unclosed."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import sys
import warnings

import httpx
import pytest

from openai_compatible_client import AsyncOpenAICompatibleClient
from tests.reliability.conftest import assert_no_leaks, snapshot
from tests.support.hostile import Conn, HostileServer, chat_json, response

MESSAGES = [{"role": "user", "content": "hi"}]
ANSWER = json.dumps(chat_json("hello")).encode()


def _answer_all(conn: Conn) -> None:
    while conn.read_request() is not None:
        conn.send(response(200, ANSWER))


async def _chat(client: AsyncOpenAICompatibleClient) -> str:
    reply = await client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
    return str(reply.choices[0].message.content)


def test_default_pool_is_aiohttp_and_a_users_httpx_client_is_honoured() -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.url.path)

    async def go(url: str) -> None:
        async with AsyncOpenAICompatibleClient(base_url=url, platform="vllm", api_key="k") as default:
            assert await _chat(default) == "hello"
            transport = default._context.transport
            assert transport._sessions is not None and transport._httpx is None
        async with httpx.AsyncClient(event_hooks={"request": [hook]}) as users:
            mine = AsyncOpenAICompatibleClient(base_url=url, platform="vllm", api_key="k", http_client=users)
            assert await _chat(mine) == "hello"
            assert mine._context.transport._sessions is None

    with HostileServer(_answer_all) as server:
        asyncio.run(go(server.url))
    assert seen == ["/v1/chat/completions"], "the user's httpx client sent the second client's call"


def test_one_client_from_two_event_loops_then_closed_leaves_no_socket() -> None:
    with HostileServer(_answer_all) as server:
        before = snapshot()
        client = AsyncOpenAICompatibleClient(base_url=server.url, platform="vllm", api_key="k")
        assert asyncio.run(_chat(client)) == "hello"

        async def second() -> str:
            try:
                return await _chat(client)
            finally:
                await client.close()

        assert asyncio.run(second()) == "hello", "a new loop gets a new session"
        assert_no_leaks(before)


def test_a_dropped_unclosed_client_logs_no_error(caplog: pytest.LogCaptureFixture) -> None:
    async def go(url: str) -> None:
        client = AsyncOpenAICompatibleClient(base_url=url, platform="vllm", api_key="k")
        assert await _chat(client) == "hello"
        del client
        gc.collect()
        await asyncio.sleep(0.05)

    with caplog.at_level(logging.ERROR), HostileServer(_answer_all) as server:
        asyncio.run(go(server.url))
        gc.collect()
    assert not [r for r in caplog.records if "Unclosed" in r.getMessage()], caplog.text


def test_a_client_dropped_after_its_loop_closed_logs_nothing_and_leaves_no_socket(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Its loop cannot close the connections any more: the client closes the sockets under them."""
    with caplog.at_level(logging.ERROR), HostileServer(_answer_all) as server:
        before = snapshot()
        client = AsyncOpenAICompatibleClient(base_url=server.url, platform="vllm", api_key="k")
        assert asyncio.run(_chat(client)) == "hello"
        del client
        gc.collect()
        assert_no_leaks(before)
    assert not [r for r in caplog.records if r.name in ("asyncio", "aiohttp.client")], caplog.text


def test_a_client_dropped_while_its_loop_idles_is_closed_there(caplog: pytest.LogCaptureFixture) -> None:
    """A loop driven by run_until_complete, idle when the client goes: closed then, quietly."""
    with caplog.at_level(logging.ERROR), HostileServer(_answer_all) as server:
        before = snapshot()
        loop = asyncio.new_event_loop()
        try:
            client = AsyncOpenAICompatibleClient(base_url=server.url, platform="vllm", api_key="k")
            assert loop.run_until_complete(_chat(client)) == "hello"
            del client
            gc.collect()
            loop.run_until_complete(asyncio.sleep(0.05))
        finally:
            loop.close()
        assert_no_leaks(before)
    assert not [r for r in caplog.records if r.name in ("asyncio", "aiohttp.client")], caplog.text


def test_a_client_dropped_while_its_loop_idles_which_then_closes_unrun_logs_nothing(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loop that never runs again can wait for nothing: dropping the client leaves no task on it
    (asyncio logs "Task was destroyed but it is pending!" for one when the loop goes)."""
    unraisable: list[sys.UnraisableHookArgs] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    with caplog.at_level(logging.WARNING), HostileServer(_answer_all) as server:
        before = snapshot()
        loop = asyncio.new_event_loop()
        client = AsyncOpenAICompatibleClient(base_url=server.url, platform="vllm", api_key="k")
        try:
            assert loop.run_until_complete(_chat(client)) == "hello"
        except BaseException:
            loop.close()
            raise
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del client
            gc.collect()
            loop.close()
            gc.collect()
        assert_no_leaks(before)
    assert not caplog.records, caplog.text
    assert not unraisable, [(u.exc_value, u.object) for u in unraisable]
    # Only asyncio's own note that the loop closed before its transports finished closing (hidden
    # by Python's default warning filters; the socket is closed by then).
    assert not [
        w
        for w in caught
        if not (issubclass(w.category, ResourceWarning) and "unclosed transport" in str(w.message))
    ], [str(w.message) for w in caught]
