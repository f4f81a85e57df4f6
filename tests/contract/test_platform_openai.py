"""``platform="openai"``: any OpenAI-compatible server, common calls only, against the reference vLLM side.

What reaches the server is OpenAI's body as LiteLLM's ``openai_like`` provider builds it, with
``extra_body`` laid over it as given: none of vLLM's rules (``VLLMOptions`` defaults) are
applied. Answers are genuine ``openai.types``; platform-only calls are refused before any request.
"""

from __future__ import annotations

from typing import Any

import pytest
from openai.types import Completion, CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from openai_compatible_client import OpenAICompatibleClient, VLLMOptions
from openai_compatible_client import errors as E
from openai_compatible_client.platforms.vllm.types import ModelList
from tests.contract.conftest import VLLM_MODEL, bodies
from tests.contract.facade import run_with
from tests.support.reference import RunningServer

pytestmark = pytest.mark.contract

MESSAGES = [{"role": "user", "content": "Hello there"}]
# Set on purpose: a vLLM client would merge these into every body; the generic platform must not.
VLLM_DEFAULTS = VLLMOptions(extra_body={"repetition_penalty": 1.2}, chat_template_kwargs={"x": 1})


def run(mode: str, base_url: str, body: Any) -> Any:
    """Run ``body(client)`` with a sync client, or ``await body(client)`` with an async one."""
    return run_with(mode, base_url, body, platform="openai", max_retries=0, vllm=VLLM_DEFAULTS)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_common_calls_send_openai_bodies_and_return_openai_types(mode: str, vllm: RunningServer) -> None:
    def sync_calls(client: Any) -> list[Any]:
        assert client.platform == "openai"
        return [
            client.chat.completions.create(
                model=VLLM_MODEL, messages=MESSAGES, max_completion_tokens=8, extra_body={"top_k": 5}
            ),
            list(client.chat.completions.create(model=VLLM_MODEL, messages=MESSAGES, stream=True)),
            client.completions.create(model=VLLM_MODEL, prompt="Say hi", max_tokens=4),
            client.embeddings.create(model="embed-model", input="hello"),
            client.models.list(),
            client.health(),
        ]

    async def async_calls(client: Any) -> list[Any]:
        stream = await client.chat.completions.create(model=VLLM_MODEL, messages=MESSAGES, stream=True)
        return [
            await client.chat.completions.create(
                model=VLLM_MODEL, messages=MESSAGES, max_completion_tokens=8, extra_body={"top_k": 5}
            ),
            [chunk async for chunk in stream],
            await client.completions.create(model=VLLM_MODEL, prompt="Say hi", max_tokens=4),
            await client.embeddings.create(model="embed-model", input="hello"),
            await client.models.list(),
            await client.health(),
        ]

    chat, chunks, completion, embedding, models, healthy = run(
        mode, vllm.base_url + "/v1", sync_calls if mode == "sync" else async_calls
    )
    assert isinstance(chat, ChatCompletion) and chat.choices[0].message.content
    assert chunks and all(isinstance(c, ChatCompletionChunk) for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert isinstance(completion, Completion) and completion.choices[0].text
    assert isinstance(embedding, CreateEmbeddingResponse) and len(embedding.data[0].embedding) > 0
    assert isinstance(models, ModelList) and VLLM_MODEL in [m["id"] for m in models["data"]]
    assert healthy is True

    chats = bodies(vllm, "/v1/chat/completions")
    plain, streamed = (chats[0], chats[1]) if mode == "sync" else (chats[1], chats[0])
    # max_completion_tokens goes out as the max_tokens most compatible servers read; no vLLM defaults.
    assert plain == {"model": VLLM_MODEL, "messages": MESSAGES, "max_tokens": 8, "top_k": 5}
    assert streamed == {"model": VLLM_MODEL, "messages": MESSAGES, "stream": True}
    assert bodies(vllm, "/v1/completions") == [{"model": VLLM_MODEL, "prompt": "Say hi", "max_tokens": 4}]
    assert bodies(vllm, "/v1/embeddings") == [{"model": "embed-model", "input": "hello"}]
    seen = [(r["method"], r["path"]) for r in vllm.requests()]
    assert ("GET", "/v1/models") in seen and ("GET", "/health") in seen


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_platform_only_calls_are_refused_before_any_request(mode: str, vllm: RunningServer) -> None:
    def attempts(client: Any) -> list[Any]:
        return [
            lambda: client.version(),
            lambda: client.tokenizer.encode(prompt="x"),
            lambda: client.models.pull("llama3.2"),
        ]

    def check(client: Any) -> list[E.UnsupportedEndpointError]:
        errors = []
        for attempt in attempts(client):
            with pytest.raises(E.UnsupportedEndpointError) as info:
                attempt()
            errors.append(info.value)
        return errors

    async def async_check(client: Any) -> list[E.UnsupportedEndpointError]:
        errors = []
        for attempt in attempts(client):
            with pytest.raises(E.UnsupportedEndpointError) as info:
                await attempt()
            errors.append(info.value)
        return errors

    errors = run(mode, vllm.base_url, check if mode == "sync" else async_check)
    assert [(e.method, e.platform) for e in errors] == [
        ("server.version", "openai"),
        ("tokenizer.encode", "openai"),
        ("models.pull", "openai"),
    ]
    assert errors[1].available_on == ("vllm", "llamacpp") and errors[2].available_on == ("ollama",)
    assert vllm.requests() == []


def test_server_errors_name_the_platform_and_hint(vllm: RunningServer) -> None:
    with (
        OpenAICompatibleClient(base_url=vllm.base_url, platform="openai", max_retries=0) as client,
        pytest.raises(E.NotFoundError) as info,
    ):
        client.chat.completions.create(model="no-such-model", messages=MESSAGES)
    assert str(info.value).startswith("openai POST /v1/chat/completions -> 404")
    assert "Fix: use a model name the server serves" in str(info.value)


def test_router_deployment_uses_litellms_openai_route(vllm: RunningServer) -> None:
    from openai_compatible_client.config import ClientConfig
    from openai_compatible_client.integrations.litellm_router import (
        client_from_router,
        model_list_from_configs,
    )

    config = ClientConfig(base_url=vllm.base_url + "/v1", platform="openai", model=VLLM_MODEL)
    [deployment] = model_list_from_configs([config])
    assert deployment["litellm_params"]["model"] == f"openai/{VLLM_MODEL}"
    assert deployment["litellm_params"]["api_base"] == vllm.base_url + "/v1"
    with client_from_router([config], async_=False) as client:
        reply = client.chat.completions.create(model=VLLM_MODEL, messages=MESSAGES, max_tokens=4)
    assert isinstance(reply, ChatCompletion) and reply.model == VLLM_MODEL
    [body] = bodies(vllm, "/v1/chat/completions")
    assert body["model"] == VLLM_MODEL and body["messages"] == MESSAGES and body["max_tokens"] == 4
