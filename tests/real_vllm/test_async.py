"""The async client against the real generation server: n=2 and 20 concurrent requests."""

from __future__ import annotations

import asyncio

import pytest
from openai.types.chat import ChatCompletion

from .servers import Server, async_client

pytestmark = pytest.mark.real_vllm

QUESTION = [{"role": "user", "content": "What is 2+2?"}]
CONCURRENT = 20


async def test_async_n_2(chat_server: Server) -> None:
    achat = async_client(chat_server)
    try:
        response = await achat.chat.completions.create(
            model=chat_server.model, messages=QUESTION, n=2, temperature=0.9, seed=1, max_tokens=8
        )
    finally:
        await achat.close()

    assert isinstance(response, ChatCompletion)
    assert [choice.index for choice in response.choices] == [0, 1]
    assert all(choice.message.content for choice in response.choices)


async def test_async_twenty_concurrent_requests(chat_server: Server) -> None:
    achat = async_client(chat_server)

    async def one(i: int) -> ChatCompletion:
        result: ChatCompletion = await achat.chat.completions.create(
            model=chat_server.model, messages=QUESTION, temperature=0, max_tokens=8, user=f"u{i}"
        )
        return result

    try:
        responses = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(CONCURRENT))), timeout=100)
    finally:
        await achat.close()

    raw = chat_server.post(
        "/v1/chat/completions",
        {"model": chat_server.model, "messages": QUESTION, "temperature": 0, "max_tokens": 8},
    )
    expected = raw["choices"][0]["message"]["content"]
    assert [r.choices[0].message.content for r in responses] == [expected] * CONCURRENT
    assert len({r.id for r in responses}) == CONCURRENT


async def test_async_stream(chat_server: Server) -> None:
    achat = async_client(chat_server)
    try:
        stream = await achat.chat.completions.create(
            model=chat_server.model,
            messages=QUESTION,
            stream=True,
            stream_options={"include_usage": True},
            temperature=0,
            max_tokens=16,
        )
        chunks = [chunk async for chunk in stream]
    finally:
        await achat.close()

    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    raw = chat_server.post(
        "/v1/chat/completions",
        {"model": chat_server.model, "messages": QUESTION, "temperature": 0, "max_tokens": 16},
    )
    assert text == raw["choices"][0]["message"]["content"]
    assert any(chunk.usage for chunk in chunks)


async def test_async_embeddings(pooling_server: Server) -> None:
    client = async_client(pooling_server)
    try:
        response = await client.embeddings.create(model=pooling_server.model, input=["a", "b"])
    finally:
        await client.close()
    assert len(response.data) == 2 and len(response.data[0].embedding) == 384
