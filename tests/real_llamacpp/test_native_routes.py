"""llama-server's native routes through the library's adapters, checked against raw HTTP."""

from __future__ import annotations

import time
from typing import Any

import openai
import pytest

from .server import Server

pytestmark = pytest.mark.real_llamacpp


def test_health(client: Any) -> None:
    assert client.health() is True


def test_tokenize_and_detokenize_round_trip(client: Any, real: Server) -> None:
    encoded = client.tokenizer.encode("Hello, llama.cpp world!")

    raw = real.call("POST", "/tokenize", {"content": "Hello, llama.cpp world!"}).body
    assert list(encoded["tokens"]) == raw["tokens"] and raw["tokens"]
    decoded = client.tokenizer.decode(encoded.tokens)
    assert decoded["content"] == real.call("POST", "/detokenize", {"tokens": raw["tokens"]}).body["content"]
    assert "Hello, llama.cpp world!" in decoded.content


def test_tokenize_with_pieces(client: Any, real: Server) -> None:
    encoded = client.tokenizer.encode("Hello world", with_pieces=True)

    assert "".join(str(t.piece) for t in encoded.tokens) == "Hello world"
    raw = real.call("POST", "/tokenize", {"content": "Hello world", "with_pieces": True}).body
    assert [t.model_dump() for t in encoded.tokens] == raw["tokens"]


def test_apply_template(client: Any, real: Server) -> None:
    messages = [{"role": "user", "content": "What is 2+2?"}]
    rendered = client.tokenizer.apply_template(messages)

    assert "What is 2+2?" in rendered.prompt
    assert rendered["prompt"] == real.call("POST", "/apply-template", {"messages": messages}).body["prompt"]


def test_props(client: Any, real: Server) -> None:
    props = client.server.props()

    raw = real.call("GET", "/props").body
    assert props.total_slots == raw["total_slots"] >= 1
    assert props["model_alias"] == real.model
    assert 0 < props.default_generation_settings["n_ctx"] <= 2048
    assert props.chat_template


def test_slots(client: Any) -> None:
    slots = client.server.slots()

    assert [s.id for s in slots] == list(range(len(slots)))
    assert all(s.n_ctx > 0 for s in slots)


def test_metrics_count_generated_tokens(client: Any, real: Server) -> None:
    before = client.server.metrics()["llamacpp:tokens_predicted_total"]
    client.chat.completions.create(
        model=real.model, messages=[{"role": "user", "content": "Hi"}], max_tokens=3
    )

    # The server updates its counters when it releases the slot: look a bounded number of times.
    for _ in range(20):
        after = client.server.metrics()
        if after["llamacpp:tokens_predicted_total"] > before:
            break
        time.sleep(0.25)
    assert after["llamacpp:tokens_predicted_total"] > before
    assert "# TYPE llamacpp:prompt_tokens_total counter" in after.text


def test_native_completion_and_stream(client: Any) -> None:
    result = client.native.completion("The sky is", n_predict=5, temperature=0)

    assert result.stop is True and result.content
    assert result.stop_type in ("limit", "eos", "word")
    assert result.tokens_predicted <= 5
    events = list(client.native.completion("The sky is", n_predict=5, temperature=0, stream=True))
    assert events[-1].stop is True
    assert "".join(e.content for e in events) == result.content


def test_lora_adapters_empty_without_lora(client: Any) -> None:
    assert client.lora_adapters.list() == []


def test_reranking_without_a_reranker_is_a_typed_error(client: Any) -> None:
    """The tier's model has no reranking head: llama-server answers 501, a typed error naming the fix."""
    with pytest.raises(openai.InternalServerError) as caught:
        client.rerank.create(query="cat", documents=["a cat", "a dog"])

    assert caught.value.status_code == 501
    assert "--reranking" in str(caught.value)
