"""``platform="llamacpp"`` against the reference server's llama.cpp side: what was sent, what came back.

Every test body runs through the sync and the async client.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from openai.types import Completion, CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from openai_compatible_client import errors as E
from openai_compatible_client.platforms.llamacpp.types import (
    ApplyTemplateResponse,
    DetokenizeResponse,
    LoraAdapter,
    Metrics,
    NativeEmbedding,
    Props,
    RerankResponse,
    Slot,
    TokenizeResponse,
)
from openai_compatible_client.platforms.llamacpp.types import (
    Completion as NativeCompletion,
)
from tests.contract.facade import invoke
from tests.support.reference import RunningServer, start_reference_server

pytestmark = pytest.mark.contract

MODES = ["sync", "async"]
MODEL = "smollm2"
USER = [{"role": "user", "content": "hello there"}]


@pytest.fixture(scope="module")
def server_session() -> Iterator[RunningServer]:
    server = start_reference_server("llamacpp", models=[MODEL])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def server(server_session: RunningServer) -> RunningServer:
    server_session.clear()
    return server_session


def call(mode: str, server: RunningServer, path: str, **kwargs: Any) -> Any:
    return invoke(mode, server.base_url + "/v1", "llamacpp", path, **kwargs)


def sent(server: RunningServer) -> list[tuple[str, str, Any]]:
    return [(r["method"], r["path"], r["json"]) for r in server.requests()]


@pytest.mark.parametrize("mode", MODES)
def test_chat(mode: str, server: RunningServer) -> None:
    response = call(
        mode, server, "chat.completions.create", model=MODEL, messages=USER, max_tokens=3, stop="END"
    )

    assert sent(server) == [
        (
            "POST",
            "/v1/chat/completions",
            {"model": MODEL, "messages": USER, "max_tokens": 3, "stop": "END"},
        )
    ]
    assert isinstance(response, ChatCompletion)
    assert response.choices[0].message.content == "You said: hello"
    assert response.choices[0].finish_reason == "length"
    assert response.model == MODEL
    assert response.usage is not None and response.usage.completion_tokens == 3


@pytest.mark.parametrize("mode", MODES)
def test_chat_stream_with_usage(mode: str, server: RunningServer) -> None:
    chunks = call(
        mode,
        server,
        "chat.completions.create",
        model=MODEL,
        messages=USER,
        stream=True,
        stream_options={"include_usage": True},
    )

    assert sent(server)[0][2] == {
        "model": MODEL,
        "messages": USER,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "You said: hello there"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 4


@pytest.mark.parametrize("mode", MODES)
def test_completion_logprobs_come_back_in_the_completions_form(mode: str, server: RunningServer) -> None:
    response = call(mode, server, "completions.create", model=MODEL, prompt="hi", max_tokens=2, logprobs=2)

    assert sent(server)[0][2] == {"model": MODEL, "prompt": "hi", "max_tokens": 2, "logprobs": 2}
    assert isinstance(response, Completion)
    assert response.choices[0].text == "You said:"
    logprobs = response.choices[0].logprobs
    assert logprobs is not None
    assert logprobs.tokens == ["You", " said:"]
    assert logprobs.text_offset == [0, 3]
    assert logprobs.top_logprobs is not None and len(logprobs.top_logprobs[0]) == 2


@pytest.mark.parametrize("mode", MODES)
def test_completion_stream(mode: str, server: RunningServer) -> None:
    chunks = call(mode, server, "completions.create", model=MODEL, prompt="a b", stream=True)

    assert "".join(c.choices[0].text for c in chunks if c.choices) == "You said: a b"
    assert sent(server)[0][2] == {"model": MODEL, "prompt": "a b", "stream": True}


@pytest.mark.parametrize("mode", MODES)
def test_embeddings_float_and_base64(mode: str, server: RunningServer) -> None:
    floats = call(mode, server, "embeddings.create", model=MODEL, input=["a", "b"])
    packed = call(mode, server, "embeddings.create", model=MODEL, input="a", encoding_format="base64")

    assert [r[2] for r in sent(server)] == [
        {"model": MODEL, "input": ["a", "b"]},
        {"model": MODEL, "input": ["a"], "encoding_format": "base64"},  # LiteLLM sends a list
    ]
    assert isinstance(floats, CreateEmbeddingResponse) and len(floats.data) == 2
    raw = base64.b64decode(packed.data[0].embedding)
    assert list(struct.unpack(f"<{len(raw) // 4}f", raw)) == pytest.approx(floats.data[0].embedding)


@pytest.mark.parametrize("mode", MODES)
def test_unsupported_parameter_follows_the_policy(mode: str, server: RunningServer) -> None:
    with pytest.raises(E.UnsupportedParameterError, match="infill"):
        call(
            mode,
            server,
            "completions.create",
            model=MODEL,
            prompt="def f(",
            suffix=")",
            client_args={"unsupported_params": "error"},
        )
    assert sent(server) == []


@pytest.mark.parametrize("mode", MODES)
def test_server_refusal_is_a_typed_error(mode: str, server: RunningServer) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        call(mode, server, "chat.completions.create", model=MODEL, messages=USER, n=9)

    assert caught.value.status_code == 400
    assert "n_cmpl" in str(caught.value) or "'n'" in str(caught.value)
    assert len(sent(server)) == 1  # a 400 is not retried


@pytest.mark.parametrize("mode", MODES)
def test_tokenizer(mode: str, server: RunningServer) -> None:
    encoded = call(mode, server, "tokenizer.encode", content="hello world", with_pieces=True)
    ids = [t.id for t in encoded.tokens]
    decoded = call(mode, server, "tokenizer.decode", tokens=ids)
    rendered = call(mode, server, "tokenizer.apply_template", messages=USER)

    assert sent(server) == [
        ("POST", "/tokenize", {"content": "hello world", "with_pieces": True}),
        ("POST", "/detokenize", {"tokens": ids}),
        ("POST", "/apply-template", {"messages": USER}),
    ]
    assert isinstance(encoded, TokenizeResponse)
    assert [t["piece"] for t in encoded["tokens"]] == ["hello", " world"]
    assert isinstance(decoded, DetokenizeResponse) and decoded.content == "hello world"
    assert isinstance(rendered, ApplyTemplateResponse)
    assert rendered.prompt == "<|im_start|>user\nhello there<|im_end|>\n<|im_start|>assistant\n"


@pytest.mark.parametrize("mode", MODES)
def test_server_info(mode: str, server: RunningServer) -> None:
    props = call(mode, server, "server.props")
    slots = call(mode, server, "server.slots")
    metrics = call(mode, server, "server.metrics")
    healthy = call(mode, server, "health")

    assert [(m, p) for m, p, _ in sent(server)] == [
        ("GET", "/props"),
        ("GET", "/slots"),
        ("GET", "/metrics"),
        ("GET", "/health"),
    ]
    assert isinstance(props, Props) and props["total_slots"] == 4 and props.model_alias == MODEL
    assert [s.id for s in slots] == [0, 1, 2, 3] and all(isinstance(s, Slot) for s in slots)
    assert isinstance(metrics, Metrics) and "llamacpp:tokens_predicted_total" in metrics.samples
    assert healthy is True


@pytest.mark.parametrize("mode", MODES)
def test_native_completion(mode: str, server: RunningServer) -> None:
    result = call(mode, server, "native.completion", prompt="a b c", n_predict=2, stop="x")
    events = call(mode, server, "native.completion", prompt="a b", stream=True)

    assert [r[2] for r in sent(server)] == [
        {"prompt": "a b c", "n_predict": 2, "stream": False, "stop": ["x"]},
        {"prompt": "a b", "stream": True},
    ]
    assert isinstance(result, NativeCompletion)
    assert (result.content, result.stop, result.stop_type, result.tokens_predicted) == (
        "You said:",
        True,
        "limit",
        2,
    )
    assert [e.content for e in events] == ["You", " said:", " a", " b", ""]
    assert events[-1].stop is True and events[-1].stop_type == "eos"


@pytest.mark.parametrize("mode", MODES)
def test_infill_and_native_embedding(mode: str, server: RunningServer) -> None:
    filled = call(mode, server, "native.infill", input_prefix="def f(", input_suffix="):", n_predict=8)
    vectors = call(mode, server, "native.embedding", content="a")

    assert [(p, j) for _, p, j in sent(server)] == [
        (
            "/infill",
            {"input_prefix": "def f(", "input_suffix": "):", "prompt": "", "n_predict": 8, "stream": False},
        ),
        ("/embedding", {"content": "a"}),
    ]
    assert isinstance(filled, NativeCompletion) and filled.content == "You said: def f("
    assert isinstance(vectors[0], NativeEmbedding) and len(vectors[0].embedding[0]) == 16


@pytest.mark.parametrize("mode", MODES)
def test_reranking(mode: str, server: RunningServer) -> None:
    ranked = call(mode, server, "rerank.create", query="a cat", documents=["a dog", "a cat"], top_n=1)

    assert sent(server) == [
        ("POST", "/reranking", {"query": "a cat", "documents": ["a dog", "a cat"], "top_n": 1})
    ]
    assert isinstance(ranked, RerankResponse)
    assert [r.index for r in ranked.results] == [1]


@pytest.mark.parametrize("mode", MODES)
def test_lora_adapters(mode: str, server: RunningServer) -> None:
    before = call(mode, server, "lora_adapters.list")
    call(mode, server, "lora_adapters.set", adapters=[{"id": 0, "scale": 0.25}])
    after = call(mode, server, "lora_adapters.list")
    call(mode, server, "lora_adapters.set", adapters=[{"id": 0, "scale": 1.0}])

    assert sent(server)[1] == ("POST", "/lora-adapters", [{"id": 0, "scale": 0.25}])
    assert isinstance(before[0], LoraAdapter) and before[0].scale == 1.0
    assert after[0]["scale"] == 0.25


def test_bad_input_fails_before_any_request(server: RunningServer) -> None:
    with pytest.raises(E.InvalidRequestError):
        call("sync", server, "lora_adapters.set", adapters=[{"id": -1, "scale": 1.0}])
    with pytest.raises(E.InvalidRequestError):
        call("sync", server, "rerank.create", query="q", documents="not a list")
    with pytest.raises(E.InvalidRequestError):
        call("sync", server, "tokenizer.decode", tokens=["x"])
    assert sent(server) == []


def test_auto_detects_llama_server(server: RunningServer) -> None:
    from openai_compatible_client import OpenAICompatibleClient

    with OpenAICompatibleClient(base_url=server.base_url + "/v1", platform="auto", max_retries=0) as client:
        assert client.platform == "llamacpp"
    assert ("GET", "/props", None) in sent(server)


def test_router_deployment_uses_the_llamafile_prefix(server: RunningServer) -> None:
    from openai_compatible_client.config import ClientConfig
    from openai_compatible_client.integrations.litellm_router import (
        client_from_router,
        model_list_from_configs,
    )

    config = ClientConfig(base_url=server.base_url + "/v1", platform="llamacpp", model=MODEL)
    entries = model_list_from_configs([("local", config)])
    assert entries[0]["litellm_params"]["model"] == f"llamafile/{MODEL}"
    assert entries[0]["litellm_params"]["api_base"].endswith("/v1")

    with client_from_router([("local", config)], num_retries=0) as router:
        answer = router.chat.completions.create(model="local", messages=USER, max_tokens=2)
    assert isinstance(answer, ChatCompletion)
    assert answer.choices[0].message.content == "You said:"
    assert sent(server)[-1][:2] == ("POST", "/v1/chat/completions")
