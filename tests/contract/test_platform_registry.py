"""A new kind of server is one ``register_platform`` call: no change to the facade.

The test registers ``sglang`` (SGLang speaks the OpenAI-style ``/v1`` routes and answers
``GET /health``) with the plain OpenAI-style inference and resources, and drives it against the
reference server's vLLM side: chat (plain and streamed) through LiteLLM's ``hosted_vllm``
provider, the model list, health, and refusals of what such a server does not have.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from openai_compatible_client import (
    AsyncOpenAICompatibleClient,
    OpenAICompatibleClient,
    register_platform,
)
from openai_compatible_client import errors as E
from openai_compatible_client.platforms import Platform, Probe, unregister_platform
from openai_compatible_client.platforms.openai.inference import OPENAI_STYLE
from openai_compatible_client.platforms.openai.resources import RESOURCES
from openai_compatible_client.platforms.vllm.types import ModelList
from tests.contract.conftest import VLLM_MODEL
from tests.support.reference import RunningServer

pytestmark = pytest.mark.contract

SGLANG = Platform(
    name="sglang",
    chat_provider="hosted_vllm",
    completion_provider="hosted_vllm",
    embedding_provider="hosted_vllm",
    inference=OPENAI_STYLE,
    probe=Probe("/health", key="status"),
    resources=RESOURCES,
)


@pytest.fixture()
def sglang() -> Iterator[Platform]:
    register_platform(SGLANG)
    try:
        yield SGLANG
    finally:
        unregister_platform(SGLANG.name)


def run(mode: str, base_url: str, body: Any) -> Any:
    """Run ``body(client)`` with a sync client, or ``await body(client)`` with an async one."""
    if mode == "sync":
        with OpenAICompatibleClient(base_url=base_url, platform="sglang", max_retries=0) as client:
            return body(client)

    async def go() -> Any:
        async with AsyncOpenAICompatibleClient(base_url=base_url, platform="sglang", max_retries=0) as client:
            return await body(client)

    return asyncio.run(go())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_registered_platform_chats_and_lists_models(mode: str, sglang: Platform, vllm: RunningServer) -> None:
    messages = [{"role": "user", "content": "Hello from SGLang"}]
    url = vllm.base_url + "/v1"

    async def async_calls(client: Any) -> tuple[Any, Any, Any, Any]:
        reply = await client.chat.completions.create(model=VLLM_MODEL, messages=messages, max_tokens=8)
        stream = await client.chat.completions.create(model=VLLM_MODEL, messages=messages, stream=True)
        pieces = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        return reply, pieces, await client.models.list(), await client.health()

    def sync_calls(client: Any) -> tuple[Any, Any, Any, Any]:
        assert client.platform == "sglang"
        reply = client.chat.completions.create(model=VLLM_MODEL, messages=messages, max_tokens=8)
        stream = client.chat.completions.create(model=VLLM_MODEL, messages=messages, stream=True)
        pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
        return reply, pieces, client.models.list(), client.health()

    reply, pieces, models, healthy = run(mode, url, sync_calls if mode == "sync" else async_calls)
    assert reply.choices[0].message.content
    assert "".join(pieces)
    assert isinstance(models, ModelList) and models["data"][0]["id"] == VLLM_MODEL
    assert healthy is True
    seen = [(r["method"], r["path"]) for r in vllm.requests()]
    assert seen.count(("POST", "/v1/chat/completions")) == 2
    assert ("GET", "/v1/models") in seen and ("GET", "/health") in seen
    chat = next(r for r in vllm.requests() if r["path"] == "/v1/chat/completions")
    assert chat["json"]["model"] == VLLM_MODEL and chat["json"]["messages"] == messages


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_registered_platform_refuses_what_it_lacks(mode: str, sglang: Platform, vllm: RunningServer) -> None:
    def attempts(client: Any) -> list[tuple[str, Any]]:
        return [
            ("server.version", lambda: client.version()),
            ("models.pull", lambda: client.models.pull("llama3.2")),
            ("tokenizer.encode", lambda: client.tokenizer.encode(prompt="x")),
        ]

    def check(client: Any) -> list[E.UnsupportedEndpointError]:
        errors = []
        for _name, attempt in attempts(client):
            with pytest.raises(E.UnsupportedEndpointError) as info:
                attempt()
            errors.append(info.value)
        return errors

    async def async_check(client: Any) -> list[E.UnsupportedEndpointError]:
        errors = []
        for _name, attempt in attempts(client):
            with pytest.raises(E.UnsupportedEndpointError) as info:
                await attempt()
            errors.append(info.value)
        return errors

    errors = run(mode, vllm.base_url, check if mode == "sync" else async_check)
    assert [(e.method, e.platform) for e in errors] == [
        ("server.version", "sglang"),
        ("models.pull", "sglang"),
        ("tokenizer.encode", "sglang"),
    ]
    assert {"vllm", "ollama"} <= set(errors[0].available_on)
    assert errors[1].available_on == ("ollama",) and errors[2].available_on == ("vllm",)
    assert vllm.requests() == []


def test_config_accepts_the_new_name_only_while_registered(sglang: Platform) -> None:
    from openai_compatible_client.config import ClientConfig

    assert ClientConfig(base_url="http://127.0.0.1:8080", platform="sglang").platform == "sglang"
