"""``platform="openai"`` (any OpenAI-compatible server) on real vLLM: common calls vs raw HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openai.types import Completion, CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from .servers import Server, close

pytestmark = pytest.mark.real_vllm

QUESTION = [{"role": "user", "content": "What is 2+2?"}]
GREEDY: dict[str, Any] = {"temperature": 0, "max_tokens": 16}


def generic_client(server: Server) -> Any:
    """A library client that treats the vLLM server as a generic OpenAI-compatible one."""
    from openai_compatible_client import OpenAICompatibleClient

    return OpenAICompatibleClient(base_url=server.v1, api_key=server.api_key or "none", platform="openai")


@pytest.fixture(scope="module")
def generic_chat(chat_server: Server) -> Iterator[Any]:
    client = generic_client(chat_server)
    yield client
    client.close()


@pytest.fixture(scope="module")
def generic_pooling(pooling_server: Server) -> Iterator[Any]:
    client = generic_client(pooling_server)
    yield client
    client.close()


def test_chat_matches_raw_http(generic_chat: Any, chat_server: Server) -> None:
    response = generic_chat.chat.completions.create(model=chat_server.model, messages=QUESTION, **GREEDY)

    raw = chat_server.post(
        "/v1/chat/completions", {"model": chat_server.model, "messages": QUESTION, **GREEDY}
    )
    assert isinstance(response, ChatCompletion)
    assert response.choices[0].message.content == raw["choices"][0]["message"]["content"]
    assert response.usage is not None
    assert response.usage.completion_tokens == raw["usage"]["completion_tokens"]


def test_max_completion_tokens_is_honoured(generic_chat: Any, chat_server: Server) -> None:
    response = generic_chat.chat.completions.create(
        model=chat_server.model, messages=QUESTION, temperature=0, max_completion_tokens=3
    )

    raw = chat_server.post(
        "/v1/chat/completions",
        {"model": chat_server.model, "messages": QUESTION, "temperature": 0, "max_tokens": 3},
    )
    assert response.usage is not None and response.usage.completion_tokens <= 3
    assert response.choices[0].message.content == raw["choices"][0]["message"]["content"]
    assert response.choices[0].finish_reason == raw["choices"][0]["finish_reason"]


def test_streamed_chat_concatenates_to_the_plain_answer(generic_chat: Any, chat_server: Server) -> None:
    plain = generic_chat.chat.completions.create(model=chat_server.model, messages=QUESTION, **GREEDY)
    with generic_chat.chat.completions.create(
        model=chat_server.model, messages=QUESTION, stream=True, **GREEDY
    ) as stream:
        chunks = list(stream)

    assert chunks and all(isinstance(c, ChatCompletionChunk) for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content


def test_completion_matches_raw_http(generic_chat: Any, chat_server: Server) -> None:
    response = generic_chat.completions.create(
        model=chat_server.model, prompt="The capital of France is", **GREEDY
    )

    raw = chat_server.post(
        "/v1/completions", {"model": chat_server.model, "prompt": "The capital of France is", **GREEDY}
    )
    assert isinstance(response, Completion)
    assert response.choices[0].text == raw["choices"][0]["text"]


def test_embeddings_match_raw_vectors(generic_pooling: Any, pooling_server: Server) -> None:
    texts = ["a cat sat on the mat", "stock prices fell"]
    response = generic_pooling.embeddings.create(model=pooling_server.model, input=texts)

    raw = pooling_server.post("/v1/embeddings", {"model": pooling_server.model, "input": texts})
    assert isinstance(response, CreateEmbeddingResponse) and len(response.data) == 2
    for item, raw_item in zip(response.data, raw["data"], strict=True):
        assert close(item.embedding, raw_item["embedding"])


def test_models_and_health(generic_chat: Any, chat_server: Server) -> None:
    listed = generic_chat.models.list()

    assert [m["id"] for m in listed["data"]] == [m["id"] for m in chat_server.get("/v1/models")["data"]]
    assert generic_chat.health() is True


def test_unknown_model_is_a_typed_not_found(generic_chat: Any) -> None:
    from openai_compatible_client import errors as E

    with pytest.raises(E.NotFoundError) as info:
        generic_chat.chat.completions.create(model="no-such-model", messages=QUESTION, max_tokens=2)
    assert str(info.value).startswith("openai POST /v1/chat/completions -> 404")
