"""The official ``openai`` SDK's ``responses`` and ``anthropic``'s ``messages`` against the reference
server: the new routes keep the real servers' framing, or these clients would fail."""

from __future__ import annotations

import openai
import pytest

from tests.contract.conftest import OLLAMA_MODEL, VLLM_MODEL
from tests.support.reference import RunningServer

pytestmark = pytest.mark.contract

USER = [{"role": "user", "content": "hello there"}]


@pytest.mark.parametrize("platform", ["vllm", "ollama"])
def test_openai_sdk_responses_plain_and_stream(
    platform: str, vllm: RunningServer, ollama: RunningServer
) -> None:
    server, model = (vllm, VLLM_MODEL) if platform == "vllm" else (ollama, OLLAMA_MODEL)
    client = openai.OpenAI(base_url=server.base_url + "/v1", api_key="unused", max_retries=0)
    response = client.responses.create(model=model, input="What is 2+2?")
    assert response.output_text == "You said: What is 2+2?" and response.status == "completed"
    events = list(client.responses.create(model=model, input="one two", stream=True))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    with client.responses.stream(model=model, input="one two") as stream:
        assert (
            "".join(e.delta for e in stream if e.type == "response.output_text.delta") == "You said: one two"
        )
        assert stream.get_final_response().output_text == "You said: one two"


def test_openai_sdk_responses_retrieve_and_cancel(vllm: RunningServer) -> None:
    client = openai.OpenAI(base_url=vllm.base_url + "/v1", api_key="unused", max_retries=0)
    created = client.responses.create(model=VLLM_MODEL, input="hi")
    assert client.responses.retrieve(created.id).output_text == created.output_text
    queued = client.responses.create(model=VLLM_MODEL, input="hi", background=True)
    assert client.responses.cancel(queued.id).status == "cancelled"
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve("resp_unknown")


@pytest.mark.parametrize("platform", ["vllm", "ollama"])
def test_anthropic_sdk_messages_plain_and_stream(
    platform: str, vllm: RunningServer, ollama: RunningServer
) -> None:
    anthropic = pytest.importorskip("anthropic")
    server, model = (vllm, VLLM_MODEL) if platform == "vllm" else (ollama, OLLAMA_MODEL)
    client = anthropic.Anthropic(base_url=server.base_url, api_key="unused", max_retries=0)
    message = client.messages.create(model=model, max_tokens=32, messages=USER)
    assert message.content[0].text == "You said: hello there" and message.stop_reason == "end_turn"
    assert message.usage.output_tokens == 4
    with client.messages.stream(model=model, max_tokens=32, messages=USER) as stream:
        assert "".join(stream.text_stream) == "You said: hello there"
        assert stream.get_final_message().stop_reason == "end_turn"
    with pytest.raises(anthropic.NotFoundError):
        client.messages.create(model="missing-model", max_tokens=4, messages=USER)


def test_anthropic_sdk_count_tokens(vllm: RunningServer) -> None:
    anthropic = pytest.importorskip("anthropic")
    client = anthropic.Anthropic(base_url=vllm.base_url, api_key="unused", max_retries=0)
    assert client.messages.count_tokens(model=VLLM_MODEL, messages=USER).input_tokens > 0
