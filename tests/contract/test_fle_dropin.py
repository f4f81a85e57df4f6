"""FLE's ``APIFactory.acall`` on ``AsyncOpenAICompatibleClient`` (not ``AsyncOpenAI``), both platforms."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import openai
import pytest

from tests.support.reference import RunningServer, start_reference_server

pytestmark = pytest.mark.contract

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fle_dropin.py"
MODELS = {"vllm": "reference-chat", "ollama": "llama3.2"}
CHAT = {"vllm": "/v1/chat/completions", "ollama": "/api/chat"}
# What FLE's MCTS passes (logit_bias keys are token ids, as FLE sends them).
MCTS_KWARGS: dict[str, Any] = {
    "n_samples": 2,
    "temperature": 0.7,
    "max_tokens": 64,
    "logit_bias": {"808": -5},
    "stop_sequences": ["```END"],
    "presence_penalty": 0.1,
    "frequency_penalty": 0.2,
}


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fle_dropin", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fle = load_example()


@pytest.fixture(scope="module", params=["vllm", "ollama"])
def server(request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    running = start_reference_server(request.param, [MODELS[request.param]])
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def factory(server: RunningServer) -> Any:
    server.clear()
    server.clear_faults()
    return fle.APIFactory(MODELS[server.platform], server.base_url, server.platform)


def bodies(server: RunningServer) -> list[dict[str, Any]]:
    return [r["json"] for r in server.requests() if r["path"] == CHAT[server.platform]]


async def test_gym_agent_call_with_an_anthropic_image(factory: Any, server: RunningServer) -> None:
    response = await factory.acall(
        messages=fle.visual_agent_messages("Inventory: 10 iron plates"),
        n_samples=1,
        temperature=0.5,
        max_tokens=128,
    )

    assert hasattr(response, "choices")  # FLE's test for the OpenAI shape
    content = response.choices[0].message.content
    assert isinstance(content, str) and content.startswith("You said: Inventory: 10 iron plates")
    assert content.endswith("[images: 1]")
    usage = response.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    sent = bodies(server)[0]
    if server.platform == "ollama":
        assert sent["messages"][1]["images"] == [fle.tiny_png_base64()]
    else:
        assert {
            "type": "image_url",
            "image_url": {"url": "data:image/png;base64," + fle.tiny_png_base64()},
        } in sent["messages"][1]["content"]


async def test_mcts_call_with_every_fle_keyword(factory: Any, server: RunningServer) -> None:
    messages = [{"role": "user", "content": "Place a burner mining drill"}]
    if server.platform == "ollama":
        with pytest.warns(UserWarning, match="logit_bias= is not supported on ollama"):
            response = await factory.acall(messages=messages, **MCTS_KWARGS)
    else:
        response = await factory.acall(messages=messages, **MCTS_KWARGS)

    assert [c.message.content for c in response.choices] == ["You said: Place a burner mining drill"] * 2
    assert response.usage.prompt_tokens > 0 and response.usage.completion_tokens > 0
    sent = bodies(server)
    if server.platform == "vllm":
        (body,) = sent
        assert body["n"] == 2 and body["max_tokens"] == 64 and body["logit_bias"] == {"808": -5}
        assert (
            body["stop"] == ["```END"]
            and body["presence_penalty"] == 0.1
            and body["frequency_penalty"] == 0.2
        )
    else:
        assert len(sent) == 2  # Ollama has no n: two calls, merged into two choices
        options = sent[0]["options"]
        assert options["num_predict"] == 64 and options["stop"] == ["```END"]
        assert options["presence_penalty"] == 0.1 and options["frequency_penalty"] == 0.2
        assert "logit_bias" not in sent[0]


async def test_fle_defaults_and_no_client_retries(factory: Any, server: RunningServer) -> None:
    response = await factory.acall(messages=[{"role": "user", "content": "summarise"}])
    body = bodies(server)[0]
    if server.platform == "vllm":
        assert (body["max_tokens"], body["temperature"]) == (256, 0.3)
    else:
        assert (body["options"]["num_predict"], body["options"]["temperature"]) == (256, 0.3)
    assert response.choices[0].message.content == "You said: summarise"

    server.add_fault(path=CHAT[server.platform], status=503, times=1)
    with pytest.raises(openai.InternalServerError):
        await factory.acall(messages=[{"role": "user", "content": "again"}])
    assert len(bodies(server)) == 2  # max_retries=0: FLE's own tenacity loop does the retrying
