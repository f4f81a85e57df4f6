"""The OpenAI Agents SDK's model-provider hook runs one agent turn through
``AsyncOpenAICompatibleClient`` against the reference server (``examples/agents_sdk.py``)."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path

import pytest

from tests.contract.conftest import OLLAMA_MODEL, VLLM_MODEL
from tests.support.reference import RunningServer

pytestmark = pytest.mark.contract

agents = pytest.importorskip("agents")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "agents_sdk.py"


def _example() -> object:
    spec = importlib.util.spec_from_file_location("agents_sdk_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("platform", ["vllm", "ollama"])
def test_one_agent_turn_through_the_responses_api(
    platform: str, vllm: RunningServer, ollama: RunningServer
) -> None:
    from openai_compatible_client import AsyncOpenAICompatibleClient

    agents.set_tracing_disabled(True)
    server, model = (vllm, VLLM_MODEL) if platform == "vllm" else (ollama, OLLAMA_MODEL)
    base = server.base_url + ("/v1" if platform == "vllm" else "")
    example = _example()

    async def run() -> str:
        async with AsyncOpenAICompatibleClient(base_url=base, platform=platform, max_retries=0) as client:
            return await example.one_turn(client, model, "What is 2+2?")  # type: ignore[attr-defined,no-any-return]

    assert asyncio.run(run()) == "You said: What is 2+2?"
    (request,) = [r for r in server.requests() if r["path"] == "/v1/responses"]
    assert request["json"]["model"] == model
    assert request["json"]["instructions"] == "Answer in one short sentence."
    assert request["json"]["input"] == [{"content": "What is 2+2?", "role": "user"}]
