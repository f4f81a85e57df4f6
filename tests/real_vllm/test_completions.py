"""Legacy completions (with vLLM's top_k and logprobs) against the real generation server."""

from __future__ import annotations

from typing import Any

import pytest
from openai.types import Completion

from .servers import Server

pytestmark = pytest.mark.real_vllm

PROMPT = "The capital of France is"


def raw_completion(server: Server, **body: Any) -> dict[str, Any]:
    result: dict[str, Any] = server.post("/v1/completions", {"model": server.model, "prompt": PROMPT, **body})
    return result


def test_completion_with_top_k_matches_raw(chat: Any, chat_server: Server) -> None:
    response = chat.completions.create(
        model=chat_server.model, prompt=PROMPT, max_tokens=8, temperature=0, extra_body={"top_k": 5}
    )

    assert isinstance(response, Completion)
    raw = raw_completion(chat_server, max_tokens=8, temperature=0, top_k=5)
    assert response.choices[0].text == raw["choices"][0]["text"]
    assert response.choices[0].finish_reason == raw["choices"][0]["finish_reason"]
    assert (
        response.usage is not None and response.usage.completion_tokens == raw["usage"]["completion_tokens"]
    )


def test_top_k_one_is_greedy(chat: Any, chat_server: Server) -> None:
    response = chat.completions.create(
        model=chat_server.model, prompt=PROMPT, max_tokens=8, temperature=1.0, seed=3, extra_body={"top_k": 1}
    )

    assert (
        response.choices[0].text
        == raw_completion(chat_server, max_tokens=8, temperature=0)["choices"][0]["text"]
    )


def test_completion_logprobs(chat: Any, chat_server: Server) -> None:
    response = chat.completions.create(
        model=chat_server.model, prompt=PROMPT, max_tokens=5, temperature=0, logprobs=3
    )

    logprobs = response.choices[0].logprobs
    raw = raw_completion(chat_server, max_tokens=5, temperature=0, logprobs=3)["choices"][0]["logprobs"]
    assert logprobs is not None
    assert logprobs.tokens == raw["tokens"]
    assert logprobs.token_logprobs == pytest.approx(raw["token_logprobs"], abs=1e-4)
    assert logprobs.text_offset == raw["text_offset"]
    assert logprobs.top_logprobs is not None
    assert all(len(top) >= 3 for top in logprobs.top_logprobs)


def test_completion_stream(chat: Any, chat_server: Server) -> None:
    chunks = list(
        chat.completions.create(
            model=chat_server.model,
            prompt=PROMPT,
            max_tokens=8,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
    )

    assert chunks and all(isinstance(chunk, Completion) for chunk in chunks)
    text = "".join(chunk.choices[0].text for chunk in chunks if chunk.choices)
    assert text == raw_completion(chat_server, max_tokens=8, temperature=0)["choices"][0]["text"]
    assert any(chunk.usage is not None for chunk in chunks)


def test_completion_stop_sequence(chat: Any, chat_server: Server) -> None:
    response = chat.completions.create(
        model=chat_server.model, prompt="1, 2, 3, 4,", max_tokens=20, temperature=0, stop=[" 7"]
    )

    raw = chat_server.post(
        "/v1/completions",
        {
            "model": chat_server.model,
            "prompt": "1, 2, 3, 4,",
            "max_tokens": 20,
            "temperature": 0,
            "stop": [" 7"],
        },
    )
    assert response.choices[0].text == raw["choices"][0]["text"]
    assert " 7" not in response.choices[0].text
