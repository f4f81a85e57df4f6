"""Endpoints built by the factory from one definition: what reached the server and what came back.

Covers what the factory adds over a builder plus a parser: the client's platform passed to a
shared route's builder (``models``/``health`` of the generic platform), arguments given by
position reaching an argument-dependent parser, and resource defaults filled in before the
builder runs (Ollama's ``keep_alive`` and ``options``), each through the sync and async client.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from openai_compatible_client import errors as E
from openai_compatible_client.platforms.ollama.types import EmbeddingsResponse, GenerateResponse
from openai_compatible_client.platforms.openai.types import ModelCard
from tests.contract.conftest import OLLAMA_MODEL, VLLM_MODEL
from tests.contract.facade import run_with
from tests.support.reference import RunningServer

pytestmark = pytest.mark.contract

MODES = ["sync", "async"]


def run(mode: str, base_url: str, platform: str, body: Any, **settings: Any) -> Any:
    """``body`` through a sync or an async client of ``platform`` that does not retry."""
    return run_with(mode, base_url, body, platform=platform, max_retries=0, **settings)


@pytest.mark.parametrize("mode", MODES)
def test_generic_platform_routes_carry_the_clients_platform(mode: str, vllm: RunningServer) -> None:
    def sync_calls(client: Any) -> list[Any]:
        found = client.models.retrieve(VLLM_MODEL)
        with pytest.raises(E.NotFoundError) as missing:
            client.models.retrieve("no-such-model")
        return [found, missing.value, client.models.list(), client.health()]

    async def async_calls(client: Any) -> list[Any]:
        found = await client.models.retrieve(VLLM_MODEL)
        with pytest.raises(E.NotFoundError) as missing:
            await client.models.retrieve("no-such-model")
        return [found, missing.value, await client.models.list(), await client.health()]

    found, missing, listed, healthy = run(
        mode, vllm.base_url, "openai", sync_calls if mode == "sync" else async_calls
    )
    assert isinstance(found, ModelCard) and found.id == VLLM_MODEL
    assert "no-such-model" in str(missing) and "openai" in str(missing)
    assert VLLM_MODEL in [card.id for card in listed.data]
    assert healthy is True
    assert [(r["method"], r["path"]) for r in vllm.requests()] == [
        ("GET", "/v1/models"),
        ("GET", "/v1/models"),
        ("GET", "/v1/models"),
        ("GET", "/health"),
    ]


@pytest.mark.parametrize("mode", MODES)
def test_a_bad_model_id_is_refused_before_any_request(mode: str, vllm: RunningServer) -> None:
    def sync_call(client: Any) -> None:
        client.models.retrieve("")

    async def async_call(client: Any) -> None:
        await client.models.retrieve("")

    with pytest.raises(E.InvalidRequestError):
        run(mode, vllm.base_url, "openai", sync_call if mode == "sync" else async_call)
    assert vllm.requests() == []


@pytest.mark.parametrize("mode", MODES)
def test_ollama_defaults_fill_the_legacy_embeddings_and_load(mode: str, ollama: RunningServer) -> None:
    defaults = {"keep_alive": "5m", "options": {"num_ctx": 256, "seed": 7}}

    def sync_calls(client: Any) -> list[Any]:
        embedded = client.embeddings.create_legacy(model=OLLAMA_MODEL, prompt="hi", options={"num_ctx": 512})
        return [embedded, client.models.load(OLLAMA_MODEL), client.models.unload(OLLAMA_MODEL)]

    async def async_calls(client: Any) -> list[Any]:
        embedded = await client.embeddings.create_legacy(
            model=OLLAMA_MODEL, prompt="hi", options={"num_ctx": 512}
        )
        return [embedded, await client.models.load(OLLAMA_MODEL), await client.models.unload(OLLAMA_MODEL)]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        embedded, loaded, unloaded = run(
            mode, ollama.base_url, "ollama", sync_calls if mode == "sync" else async_calls, ollama=defaults
        )
    (warning,) = [
        w for w in caught if issubclass(w.category, DeprecationWarning) and "api/embeddings" in str(w.message)
    ]
    assert warning.filename == __file__, "the warning points at the caller of create_legacy"
    assert isinstance(embedded, EmbeddingsResponse) and len(embedded.embedding) > 0
    assert isinstance(loaded, GenerateResponse) and loaded.done_reason == "load"
    assert isinstance(unloaded, GenerateResponse) and unloaded.done_reason == "unload"
    bodies = [(r["path"], r["json"]) for r in ollama.requests()]
    assert bodies == [
        (
            "/api/embeddings",
            {
                "model": OLLAMA_MODEL,
                "prompt": "hi",
                "options": {"num_ctx": 512, "seed": 7},
                "keep_alive": "5m",
            },
        ),
        ("/api/generate", {"model": OLLAMA_MODEL, "stream": False, "keep_alive": "5m"}),
        ("/api/generate", {"model": OLLAMA_MODEL, "stream": False, "keep_alive": 0.0}),
    ]
