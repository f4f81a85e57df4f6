"""Facade contract fixtures: one reference server per platform for the module, cleared per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.reference import RunningServer, start_reference_server

VLLM_MODEL = "NousResearch/Meta-Llama-3-8B-Instruct"
OLLAMA_MODEL = "llama3.2"
PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


@pytest.fixture(scope="session")
def vllm_ref() -> Iterator[RunningServer]:
    server = start_reference_server("vllm", models=[VLLM_MODEL, "embed-model"])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def ollama_ref() -> Iterator[RunningServer]:
    server = start_reference_server("ollama", models=[OLLAMA_MODEL, "nomic-embed-text"])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def vllm(vllm_ref: RunningServer) -> RunningServer:
    vllm_ref.clear()
    vllm_ref.clear_faults()
    return vllm_ref


@pytest.fixture()
def ollama(ollama_ref: RunningServer) -> RunningServer:
    ollama_ref.clear()
    ollama_ref.clear_faults()
    return ollama_ref


def bodies(server: RunningServer, path: str) -> list[dict[str, Any]]:
    """The JSON bodies the server received on a path, in order."""
    return [r["json"] for r in server.requests() if r["path"] == path]
