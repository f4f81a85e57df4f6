"""LangChain's own unit suites for the chat model and the embeddings (no server, no sockets)."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from langchain_core.load import dumpd, dumps, load
from langchain_tests.unit_tests import ChatModelUnitTests, EmbeddingsUnitTests

from openai_compatible_client.integrations.langchain import ChatOpenAICompatible, OpenAICompatibleEmbeddings

pytestmark = pytest.mark.unit

# A port nothing listens on: constructing the wrappers must not touch the network.
OFFLINE_URL = "http://127.0.0.1:9/v1"
SERDES_REASON = (
    "langchain-core 1.7 load() deserialises only classes on its own allowlist (allowed_objects='all' is "
    "langchain's partner list); dumpd() matches the snapshot and test_serialisation_round_trip loads it "
    "with allowed_objects=[ChatOpenAICompatible]"
)


class _SerdesNote:
    @pytest.mark.xfail(reason=SERDES_REASON, raises=ValueError, strict=True)
    def test_serdes(self, model: Any, snapshot: Any) -> None:
        super().test_serdes(model, snapshot)  # type: ignore[misc]


class TestChatOpenAICompatibleVLLMUnit(_SerdesNote, ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatOpenAICompatible]:
        return ChatOpenAICompatible

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "reference-chat", "base_url": OFFLINE_URL, "platform": "vllm"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"VLLM_BASE_URL": "http://127.0.0.1:9/v1", "VLLM_API_KEY": "env-secret"},
            {"model": "reference-chat", "platform": "vllm"},
            {"base_url": "http://127.0.0.1:9/v1", "api_key": "env-secret"},
        )


class TestChatOpenAICompatibleOllamaUnit(_SerdesNote, ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[ChatOpenAICompatible]:
        return ChatOpenAICompatible

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "llama3.2", "base_url": "http://127.0.0.1:9", "platform": "ollama"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"OLLAMA_HOST": "127.0.0.1:9", "OLLAMA_API_KEY": "env-secret"},
            {"model": "llama3.2", "platform": "ollama"},
            {"base_url": "http://127.0.0.1:9", "api_key": "env-secret"},
        )


class TestOpenAICompatibleEmbeddingsVLLMUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[OpenAICompatibleEmbeddings]:
        return OpenAICompatibleEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "reference-embed", "base_url": OFFLINE_URL, "platform": "vllm", "chunk_size": 2}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"VLLM_BASE_URL": "http://127.0.0.1:9/v1", "VLLM_API_KEY": "env-secret"},
            {"model": "reference-embed", "platform": "vllm"},
            {"base_url": "http://127.0.0.1:9/v1", "api_key": "env-secret"},
        )


class TestOpenAICompatibleEmbeddingsOllamaUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[OpenAICompatibleEmbeddings]:
        return OpenAICompatibleEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {
            "model": "nomic-embed-text",
            "base_url": "http://127.0.0.1:9",
            "platform": "ollama",
            "dimensions": 8,
        }


def test_serialisation_round_trip_leaves_out_the_api_key() -> None:
    secret = "sk-very-secret-value"
    model = ChatOpenAICompatible(model="m", base_url=OFFLINE_URL, api_key=secret, temperature=0.2, seed=7)

    for text in (dumps(model), repr(model), str(model), str(model.model_dump()), str(model.client_config())):
        assert secret not in text
    loaded = load(
        dumpd(model),
        allowed_objects=[ChatOpenAICompatible],
        valid_namespaces=["openai_compatible_client"],
        secrets_map={"OPENAI_COMPATIBLE_API_KEY": secret},
    )
    assert isinstance(loaded, ChatOpenAICompatible)
    assert (loaded.model, loaded.temperature, loaded.seed, loaded.base_url) == ("m", 0.2, 7, OFFLINE_URL)
    assert loaded.api_key is not None and loaded.api_key.get_secret_value() == secret


def test_model_cannot_be_pickled_with_its_key_in_clear() -> None:
    model = ChatOpenAICompatible(model="m", base_url=OFFLINE_URL, api_key="sk-pickle-secret")
    try:
        blob = pickle.dumps(model)
    except TypeError:
        return  # the wrapped client refuses pickling: nothing leaks
    assert b"sk-pickle-secret" not in blob
