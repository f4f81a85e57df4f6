"""LangChain's own integration suites against the bundled reference server, for both platforms.

Every test of ``ChatModelIntegrationTests`` and ``EmbeddingsIntegrationTests`` runs; the ones
switched off are switched off through the suite's capability flags, each with its reason (the
table is in ``docs/langchain.md``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests, EmbeddingsIntegrationTests

from openai_compatible_client.integrations.langchain import ChatOpenAICompatible, OpenAICompatibleEmbeddings
from tests.support.langchain_flags import TextOnlyInputs
from tests.support.reference import RunningServer, start_reference_server

pytestmark = pytest.mark.contract

MODELS = {"vllm": ["reference-chat", "reference-chat-b"], "ollama": ["llama3.2", "qwen3:8b"]}


class _ServerPerClass:
    """Starts one reference server for the test class (stopped by its pid afterwards)."""

    platform: str
    server: RunningServer

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _reference_server(cls) -> Iterator[RunningServer]:
        server = start_reference_server(cls.platform, MODELS[cls.platform])
        cls.server = server
        try:
            yield server
        finally:
            server.stop()

    def _connection(self) -> dict[str, Any]:
        return {"base_url": self.server.base_url, "platform": self.platform, "max_retries": 0, "timeout": 30}


class _ChatSuite(_ServerPerClass, TextOnlyInputs, ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatOpenAICompatible]:
        return ChatOpenAICompatible

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": MODELS[self.platform][0], **self._connection()}

    @property
    def model_override_value(self) -> str:
        # The server serves a second model; the per-call model= must reach it.
        return MODELS[self.platform][1]

    @property
    def supports_json_mode(self) -> bool:
        # Both platforms have JSON mode (vLLM response_format json_object, Ollama format="json").
        return True


class TestVLLMChatStandard(_ChatSuite):
    platform = "vllm"

    @property
    def has_tool_choice(self) -> bool:
        # vLLM honours tool_choice ("required" and a named function).
        return True

    @property
    def supports_model_override(self) -> bool:
        # A vLLM server serves one model: extra served names are aliases and every answer names the
        # first one, so the override cannot show in model_name (test_langchain_chat.py checks the request).
        return False


class TestOllamaChatStandard(_ChatSuite):
    platform = "ollama"

    @property
    def has_tool_choice(self) -> bool:
        # Ollama has no tool_choice: the model decides whether to call a tool.
        return False


class _EmbeddingsSuite(_ServerPerClass, EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[OpenAICompatibleEmbeddings]:
        return OpenAICompatibleEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": MODELS[self.platform][0], "chunk_size": 2, **self._connection()}


class TestVLLMEmbeddingsStandard(_EmbeddingsSuite):
    platform = "vllm"


class TestOllamaEmbeddingsStandard(_EmbeddingsSuite):
    platform = "ollama"
