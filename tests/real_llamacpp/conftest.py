"""Fixtures for the real llama.cpp tier: the library's clients and raw HTTP against one llama-server.

The server comes from ``scripts/real-llamacpp.sh start``; ``eval "$(scripts/real-llamacpp.sh env)"``
exports its address. Without that variable every test here is skipped. The library is imported
inside fixtures, so collecting this directory never depends on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .server import Server, server_from_env


@pytest.fixture(scope="session")
def real() -> Server:
    """The real llama-server."""
    return server_from_env()


@pytest.fixture(scope="session")
def client(real: Server) -> Iterator[Any]:
    """A synchronous ``platform="llamacpp"`` client of the real server."""
    from openai_compatible_client import OpenAICompatibleClient

    with OpenAICompatibleClient(base_url=real.v1, api_key="none", platform="llamacpp") as made:
        yield made
