"""The "Example Usage" of the original request runs unchanged against the reference server."""

from __future__ import annotations

from openai.types import Completion
from openai.types.chat import ChatCompletion

from openai_compatible_client import OpenAICompatibleClient
from tests.contract.conftest import bodies
from tests.support.reference import RunningServer


def test_vllm_example_chat_with_top_k(vllm: RunningServer) -> None:
    vllm_client = OpenAICompatibleClient(
        base_url=vllm.base_url + "/v1", api_key="token-abc123", platform="vllm"
    )
    response = vllm_client.chat.completions.create(
        model="NousResearch/Meta-Llama-3-8B-Instruct",
        messages=[{"role": "user", "content": "Hello!"}],
        extra_body={"top_k": 50},
    )
    assert isinstance(response, ChatCompletion)
    assert response.choices[0].message.content == "You said: Hello!"
    [sent] = bodies(vllm, "/v1/chat/completions")
    assert sent["top_k"] == 50
    assert sent["messages"] == [{"role": "user", "content": "Hello!"}]
    [request] = [r for r in vllm.requests() if r["path"] == "/v1/chat/completions"]
    assert request["headers"]["authorization"] == "Bearer token-abc123"


def test_ollama_example_completion_and_model_list(ollama: RunningServer) -> None:
    ollama_client = OpenAICompatibleClient(base_url=ollama.base_url, platform="ollama")
    response = ollama_client.completions.create(
        model="llama3.2", prompt="Why is the sky blue?", stream=False, options={"seed": 123}
    )
    assert isinstance(response, Completion)
    assert response.choices[0].text == "You said: Why is the sky blue?"
    [sent] = bodies(ollama, "/api/generate")
    assert sent["prompt"] == "Why is the sky blue?"
    assert sent["options"] == {"seed": 123}
    assert sent["stream"] is False

    models = ollama_client.models.list()
    names = [model["name"] for model in models["models"]]
    assert "llama3.2:latest" in names
    assert models.models[0].name == names[0]
