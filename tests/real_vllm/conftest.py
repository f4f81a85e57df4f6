"""Fixtures for the real-vLLM tier: clients of the library and raw HTTP against the same servers.

The servers come from ``scripts/real-vllm.sh start``; ``eval "$(scripts/real-vllm.sh env)"``
exports their addresses. Without those variables every test here is skipped.

The library is imported inside fixtures, not at module level, so that collecting this
directory (which the default test run does before deselecting the ``real_vllm`` marker)
never depends on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .servers import Server, server_from_env


@pytest.fixture(scope="session")
def chat_server() -> Server:
    """The generation server (SmolLM2, started with ``--api-key``)."""
    return server_from_env("CHAT", "smollm2", with_key=True)


@pytest.fixture(scope="session")
def pooling_server() -> Server:
    """The pooling server (all-MiniLM-L6-v2, ``--runner pooling``)."""
    return server_from_env("POOLING", "minilm", with_key=False)


@pytest.fixture(scope="session")
def classify_server() -> Server:
    """The classification server (SmolLM2 with a two-token classifier head)."""
    return server_from_env("CLASSIFY", "smollm2-cls", with_key=False)


def make_client(server: Server, **kwargs: Any) -> Any:
    """A synchronous library client for ``server``."""
    from openai_compatible_client import OpenAICompatibleClient

    return OpenAICompatibleClient(
        base_url=server.v1, api_key=server.api_key or "none", platform="vllm", **kwargs
    )


@pytest.fixture(scope="session")
def chat(chat_server: Server) -> Iterator[Any]:
    """Library client of the generation server."""
    client = make_client(chat_server)
    yield client
    client.close()


@pytest.fixture(scope="session")
def pooling(pooling_server: Server) -> Iterator[Any]:
    """Library client of the pooling server."""
    client = make_client(pooling_server)
    yield client
    client.close()


@pytest.fixture(scope="session")
def classify(classify_server: Server) -> Iterator[Any]:
    """Library client of the classification server."""
    client = make_client(classify_server)
    yield client
    client.close()
