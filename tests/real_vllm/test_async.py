"""The async client against the real generation server: n=2 and 20 concurrent requests."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from openai.types.chat import ChatCompletion

from .conftest import Server

pytestmark = pytest.mark.real_vllm

QUESTION = [{"role": "user", "content": "What is 2+2?"}]
CONCURRENT = 20


async def test_async_n_2(achat: Any, chat_server: Server) -> None:
    response = await achat.chat.completions.create(
        model=chat_server.model, messages=QUESTION, n=2, temperature=0.9, seed=1, max_tokens=8
    )

    assert isinstance(response, ChatCompletion)
    assert [choice.index for choice in response.choices] == [0, 1]
    assert all(choice.message.content for choice in response.choices)


async def test_async_twenty_concurrent_requests(achat: Any, chat_server: Server) -> None:
    async def one(i: int) -> ChatCompletion:
        result: ChatCompletion = await achat.chat.completions.create(
            model=chat_server.model, messages=QUESTION, temperature=0, max_tokens=8, user=f"u{i}"
        )
        return result

    responses = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(CONCURRENT))), timeout=100)

    raw = chat_server.post(
        "/v1/chat/completions",
        {"model": chat_server.model, "messages": QUESTION, "temperature": 0, "max_tokens": 8},
    )
    expected = raw["choices"][0]["message"]["content"]
    assert [r.choices[0].message.content for r in responses] == [expected] * CONCURRENT
    assert len({r.id for r in responses}) == CONCURRENT


async def test_async_stream(achat: Any, chat_server: Server) -> None:
    stream = await achat.chat.completions.create(
        model=chat_server.model,
        messages=QUESTION,
        stream=True,
        stream_options={"include_usage": True},
        temperature=0,
        max_tokens=16,
    )
    chunks = [chunk async for chunk in stream]

    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    raw = chat_server.post(
        "/v1/chat/completions",
        {"model": chat_server.model, "messages": QUESTION, "temperature": 0, "max_tokens": 16},
    )
    assert text == raw["choices"][0]["message"]["content"]
    assert any(chunk.usage for chunk in chunks)


async def test_async_embeddings(pooling_server: Server) -> None:
    from openai_compatible_client import AsyncOpenAICompatibleClient

    client = AsyncOpenAICompatibleClient(base_url=pooling_server.v1, api_key="none", platform="vllm")
    try:
        response = await client.embeddings.create(model=pooling_server.model, input=["a", "b"])
    finally:
        await client.close()
    assert len(response.data) == 2 and len(response.data[0].embedding) == 384
