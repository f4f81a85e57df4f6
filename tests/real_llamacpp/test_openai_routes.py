"""The OpenAI routes of a real llama-server through ``platform="llamacpp"``, checked against raw HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import pytest
from openai.types import Completion, CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from .server import Server

pytestmark = pytest.mark.real_llamacpp

USER = [{"role": "user", "content": "Say hello."}]


def test_chat(client: Any, real: Server) -> None:
    response = client.chat.completions.create(model=real.model, messages=USER, max_tokens=8, temperature=0)

    assert isinstance(response, ChatCompletion)
    assert response.model == real.model
    assert response.choices[0].message.role == "assistant"
    assert response.choices[0].message.content
    assert response.choices[0].finish_reason in ("stop", "length")
    assert 0 < response.usage.completion_tokens <= 8
    raw = real.call("POST", "/v1/chat/completions", {"messages": USER, "max_tokens": 8, "temperature": 0})
    # Greedy decoding on one server: the library and raw HTTP get the same text.
    assert response.choices[0].message.content == raw.body["choices"][0]["message"]["content"]
    assert response.usage.prompt_tokens == raw.body["usage"]["prompt_tokens"]


def test_chat_stream_concatenates_to_the_blocking_answer(client: Any, real: Server) -> None:
    blocking = client.chat.completions.create(model=real.model, messages=USER, max_tokens=8, temperature=0)
    chunks = list(
        client.chat.completions.create(
            model=real.model,
            messages=USER,
            max_tokens=8,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
    )

    assert chunks and all(isinstance(c, ChatCompletionChunk) for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == blocking.choices[0].message.content
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == blocking.usage.completion_tokens


def test_stop_string_is_sent_as_a_list_and_honoured(client: Any, real: Server) -> None:
    full = client.completions.create(model=real.model, prompt="1, 2, 3, 4,", max_tokens=12, temperature=0)
    text = full.choices[0].text
    assert "," in text
    cut = client.completions.create(
        model=real.model, prompt="1, 2, 3, 4,", max_tokens=12, temperature=0, stop=","
    )

    assert cut.choices[0].text == text.split(",")[0]
    assert cut.choices[0].finish_reason == "stop"


def test_completions(client: Any, real: Server) -> None:
    response = client.completions.create(
        model=real.model, prompt="The capital of France is", max_tokens=5, temperature=0
    )

    assert isinstance(response, Completion)
    assert response.choices[0].text
    assert response.choices[0].finish_reason in ("stop", "length")
    raw = real.call(
        "POST", "/v1/completions", {"prompt": "The capital of France is", "max_tokens": 5, "temperature": 0}
    )
    assert response.choices[0].text == raw.body["choices"][0]["text"]


def test_completions_stream(client: Any, real: Server) -> None:
    blocking = client.completions.create(
        model=real.model, prompt="Once upon a time", max_tokens=6, temperature=0
    )
    chunks = list(
        client.completions.create(
            model=real.model, prompt="Once upon a time", max_tokens=6, temperature=0, stream=True
        )
    )

    assert "".join(c.choices[0].text for c in chunks if c.choices) == blocking.choices[0].text


def test_embeddings_match_raw(client: Any, real: Server) -> None:
    texts = ["The cat sits on the mat.", "Stock markets fell today."]
    response = client.embeddings.create(model=real.model, input=texts)

    assert isinstance(response, CreateEmbeddingResponse)
    assert [d.index for d in response.data] == [0, 1]
    raw = real.call("POST", "/v1/embeddings", {"input": texts})
    for ours, theirs in zip(response.data, raw.body["data"], strict=True):
        assert len(ours.embedding) == len(theirs["embedding"]) > 0
        assert ours.embedding == pytest.approx(theirs["embedding"], abs=1e-5)


def test_embeddings_base64_decodes_to_the_floats(client: Any, real: Server) -> None:
    floats = client.embeddings.create(model=real.model, input="hello").data[0].embedding
    encoded = (
        client.embeddings.create(model=real.model, input="hello", encoding_format="base64").data[0].embedding
    )

    import base64
    import struct

    raw = base64.b64decode(encoded)
    assert list(struct.unpack(f"<{len(raw) // 4}f", raw)) == pytest.approx(floats, abs=1e-5)


def test_models_list(client: Any, real: Server) -> None:
    response = client.models.list()

    assert [m["id"] for m in response["data"]] == [real.model]


def test_unknown_model_is_served_by_the_loaded_model(client: Any, real: Server) -> None:
    """llama-server serves one model and does not check ``model``: the answer names its own alias."""
    response = client.chat.completions.create(model="no-such-model", messages=USER, max_tokens=2)

    assert response.model == real.model


def test_server_refusal_is_a_typed_error(client: Any, real: Server) -> None:
    """A request llama-server refuses (``n`` above its slot count) is a typed 400, not retried."""
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=real.model, messages=USER, max_tokens=2, n=9)

    assert caught.value.status_code == 400
    assert "n" in str(caught.value)


def test_async_chat(real: Server) -> None:
    from openai_compatible_client import AsyncOpenAICompatibleClient

    async def run() -> tuple[Any, list[Any]]:
        async with AsyncOpenAICompatibleClient(
            base_url=real.v1, api_key="none", platform="llamacpp"
        ) as aclient:
            blocking = await aclient.chat.completions.create(
                model=real.model, messages=USER, max_tokens=6, temperature=0
            )
            stream = await aclient.chat.completions.create(
                model=real.model, messages=USER, max_tokens=6, temperature=0, stream=True
            )
            return blocking, [chunk async for chunk in stream]

    blocking, chunks = asyncio.run(run())
    assert (
        "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        == blocking.choices[0].message.content
    )
