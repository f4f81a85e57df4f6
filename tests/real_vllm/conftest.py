"""Fixtures for the real-vLLM tier: clients of the library and raw HTTP against the same servers.

The servers come from ``scripts/real-vllm.sh start``; ``eval "$(scripts/real-vllm.sh env)"``
exports their addresses. Without those variables every test here is skipped.

The library is imported inside fixtures, not at module level, so that collecting this
directory (which the default test run does before deselecting the ``real_vllm`` marker)
never depends on it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

ENV_HINT = "run `scripts/real-vllm.sh start` and `eval \"$(scripts/real-vllm.sh env)\"` first"
RAW_TIMEOUT = 120.0


@dataclass(frozen=True)
class Server:
    """One real vLLM server: its root URL (no ``/v1``), served model name and API key."""

    root: str
    model: str
    api_key: str | None

    @property
    def v1(self) -> str:
        """The OpenAI-style base URL, as users pass it to the client."""
        return f"{self.root}/v1"

    def headers(self) -> dict[str, str]:
        """Authorization header for raw calls (empty for servers without a key)."""
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def post(self, path: str, body: dict[str, Any], expect: int = 200) -> Any:
        """POST ``body`` to ``path`` with requests; return the decoded JSON."""
        response = requests.post(self.root + path, json=body, headers=self.headers(), timeout=RAW_TIMEOUT)
        assert response.status_code == expect, (path, response.status_code, response.text)
        return response.json()

    def get(self, path: str) -> Any:
        """GET ``path`` with requests; return the decoded JSON."""
        response = requests.get(self.root + path, headers=self.headers(), timeout=RAW_TIMEOUT)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()


def _server(kind: str, default_model: str, with_key: bool) -> Server:
    url = os.environ.get(f"OCC_REAL_VLLM_{kind}_URL")
    if not url:
        pytest.skip(f"OCC_REAL_VLLM_{kind}_URL is not set: {ENV_HINT}")
    key = os.environ.get("OCC_REAL_VLLM_API_KEY") if with_key else None
    if with_key and not key:
        pytest.skip(f"OCC_REAL_VLLM_API_KEY is not set: {ENV_HINT}")
    model = os.environ.get(f"OCC_REAL_VLLM_{kind}_MODEL", default_model)
    return Server(root=url.rstrip("/").removesuffix("/v1"), model=model, api_key=key)


@pytest.fixture(scope="session")
def chat_server() -> Server:
    """The generation server (SmolLM2, started with ``--api-key``)."""
    return _server("CHAT", "smollm2", with_key=True)


@pytest.fixture(scope="session")
def pooling_server() -> Server:
    """The pooling server (all-MiniLM-L6-v2, ``--runner pooling``)."""
    return _server("POOLING", "minilm", with_key=False)


@pytest.fixture(scope="session")
def classify_server() -> Server:
    """The classification server (SmolLM2 with a two-token classifier head)."""
    return _server("CLASSIFY", "smollm2-cls", with_key=False)


def make_client(server: Server, **kwargs: Any) -> Any:
    """A synchronous library client for ``server``."""
    from openai_compatible_client import OpenAICompatibleClient

    return OpenAICompatibleClient(base_url=server.v1, api_key=server.api_key or "none", platform="vllm", **kwargs)


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


@pytest.fixture
async def achat(chat_server: Server) -> AsyncIterator[Any]:
    """Async library client of the generation server (one per test: it binds to the running loop)."""
    from openai_compatible_client import AsyncOpenAICompatibleClient

    client = AsyncOpenAICompatibleClient(base_url=chat_server.v1, api_key=chat_server.api_key, platform="vllm")
    yield client
    await client.close()
