"""The facade against the reference server's Ollama side: what reached the server, what came back."""

from __future__ import annotations

import json

import openai
import pytest
from openai.types import Completion, CreateEmbeddingResponse
from openai.types.chat import ChatCompletion

from openai_compatible_client import OllamaOptions, OpenAICompatibleClient
from openai_compatible_client.errors import InvalidRequestError, UnsupportedParameterError
from tests.contract.conftest import OLLAMA_MODEL, PNG_1PX, bodies
from tests.contract.facade import invoke
from tests.support.reference import RunningServer

MODES = ["sync", "async"]
HELLO = [{"role": "user", "content": "Hello there"}]


@pytest.mark.parametrize("mode", MODES)
def test_chat_maps_openai_params_to_options(ollama: RunningServer, mode: str) -> None:
    answer = invoke(
        mode,
        ollama.base_url,
        "ollama",
        "chat.completions.create",
        model=OLLAMA_MODEL,
        messages=HELLO,
        max_tokens=40,
        temperature=0.3,
        top_p=0.9,
        seed=11,
        stop=["zz"],
        frequency_penalty=0.5,
        presence_penalty=0.25,
        keep_alive="10m",
        options={"num_ctx": 4096},
    )
    assert isinstance(answer, ChatCompletion)
    assert answer.choices[0].message.content == "You said: Hello there"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None and answer.usage.prompt_tokens > 0 and answer.usage.completion_tokens == 4
    assert answer.created > 1_600_000_000
    assert answer.total_duration > 0  # Ollama's timing counters stay on the object
    [sent] = bodies(ollama, "/api/chat")
    assert sent["options"] == {
        "num_predict": 40,
        "temperature": 0.3,
        "top_p": 0.9,
        "seed": 11,
        "stop": ["zz"],
        "frequency_penalty": 0.5,
        "presence_penalty": 0.25,
        "num_ctx": 4096,
    }
    assert sent["keep_alive"] == "10m" and sent["stream"] is False
    assert sent["messages"] == [{"role": "user", "content": "Hello there"}]


def test_max_completion_tokens_and_length(ollama: RunningServer) -> None:
    answer = invoke(
        "sync",
        ollama.base_url,
        "ollama",
        "chat.completions.create",
        model=OLLAMA_MODEL,
        messages=HELLO,
        max_completion_tokens=2,
    )
    assert answer.choices[0].finish_reason == "length"
    assert bodies(ollama, "/api/chat")[0]["options"] == {"num_predict": 2}


@pytest.mark.parametrize("mode", MODES)
def test_stream_matches_blocking_answer(ollama: RunningServer, mode: str) -> None:
    whole = invoke(
        mode, ollama.base_url, "ollama", "chat.completions.create", model=OLLAMA_MODEL, messages=HELLO
    )
    chunks = invoke(
        mode,
        ollama.base_url,
        "ollama",
        "chat.completions.create",
        model=OLLAMA_MODEL,
        messages=HELLO,
        stream=True,
        stream_options={"include_usage": True},
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == [
        "stop"
    ]
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == whole.usage.total_tokens
    assert len({c.id for c in chunks}) == 1
    assert bodies(ollama, "/api/chat")[-1]["stream"] is True


@pytest.mark.parametrize(
    ("response_format", "expected"),
    [
        ({"type": "json_object"}, "json"),
        (
            {
                "type": "json_schema",
                "json_schema": {
                    "name": "a",
                    "schema": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
                },
            },
            {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
        ),
    ],
)
def test_response_format_becomes_format(
    ollama: RunningServer, response_format: dict, expected: object
) -> None:
    answer = invoke(
        "sync",
        ollama.base_url,
        "ollama",
        "chat.completions.create",
        model=OLLAMA_MODEL,
        messages=HELLO,
        response_format=response_format,
    )
    assert bodies(ollama, "/api/chat")[0]["format"] == expected
    assert isinstance(json.loads(answer.choices[0].message.content), dict)


def test_n_becomes_parallel_requests_merged(ollama: RunningServer) -> None:
    answer = invoke(
        "sync", ollama.base_url, "ollama", "chat.completions.create", model=OLLAMA_MODEL, messages=HELLO, n=3
    )
    assert [c.index for c in answer.choices] == [0, 1, 2]
    assert all(c.message.content == "You said: Hello there" for c in answer.choices)
    assert answer.usage.completion_tokens == 12
    sent = bodies(ollama, "/api/chat")
    assert len(sent) == 3 and all("n" not in body for body in sent)


def test_logit_bias_follows_the_policy(ollama: RunningServer) -> None:
    with pytest.warns(UserWarning, match="logit_bias"):
        invoke(
            "sync",
            ollama.base_url,
            "ollama",
            "chat.completions.create",
            model=OLLAMA_MODEL,
            messages=HELLO,
            logit_bias={"42": 5},
        )
    assert "logit_bias" not in json.dumps(bodies(ollama, "/api/chat"))
    ollama.clear()
    with pytest.raises(UnsupportedParameterError, match="logit_bias"):
        invoke(
            "sync",
            ollama.base_url,
            "ollama",
            "chat.completions.create",
            model=OLLAMA_MODEL,
            messages=HELLO,
            logit_bias={"42": 5},
            client_args={"unsupported_params": "error"},
        )
    assert ollama.requests() == []


@pytest.mark.parametrize("mode", MODES)
def test_tool_calls_have_string_arguments_and_stable_ids(ollama: RunningServer, mode: str) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "add",
                "parameters": {
                    "type": "object",
                    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                },
            },
        }
    ]
    messages = [{"role": "user", "content": "add a=2 b=3"}]
    answer = invoke(
        mode,
        ollama.base_url,
        "ollama",
        "chat.completions.create",
        model=OLLAMA_MODEL,
        messages=messages,
        tools=tools,
    )
    [call] = answer.choices[0].message.tool_calls
    assert answer.choices[0].finish_reason == "tool_calls"
    assert json.loads(call.function.arguments) == {"a": 2, "b": 3}
    chunks = invoke(
        mode,
        ollama.base_url,
        "ollama",
        "chat.completions.create",
        model=OLLAMA_MODEL,
        messages=messages,
        tools=tools,
        stream=True,
    )
    streamed = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert [tc.id for tc in streamed] == [call.id]
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == [
        "tool_calls"
    ]
    follow = invoke(
        mode,
        ollama.base_url,
        "ollama",
        "chat.completions.create",
        model=OLLAMA_MODEL,
        tools=tools,
        messages=[
            *messages,
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
            {"role": "tool", "tool_call_id": call.id, "content": "5"},
        ],
    )
    assert follow.choices[0].message.content == "Tool results: 5"
    sent = bodies(ollama, "/api/chat")[-1]
    assert sent["messages"][1]["tool_calls"][0]["function"]["arguments"] == {"a": 2, "b": 3}
    assert sent["messages"][2]["tool_name"] == "add"


def test_images_become_bare_base64(ollama: RunningServer) -> None:
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is this"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_1PX}"}},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_1PX}},
            ],
        }
    ]
    answer = invoke(
        "sync", ollama.base_url, "ollama", "chat.completions.create", model=OLLAMA_MODEL, messages=messages
    )
    assert answer.choices[0].message.content == "You said: what is this [images: 2]"
    [sent] = bodies(ollama, "/api/chat")
    assert sent["messages"][0]["images"] == [PNG_1PX, PNG_1PX]
    assert sent["messages"][0]["content"] == "what is this"


def test_remote_image_url_is_refused_without_a_request(ollama: RunningServer) -> None:
    with pytest.raises(InvalidRequestError, match="Ollama takes image bytes"):
        invoke(
            "sync",
            ollama.base_url,
            "ollama",
            "chat.completions.create",
            model=OLLAMA_MODEL,
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "http://example.com/a.png"}}],
                }
            ],
        )
    assert ollama.requests() == []


def test_think_exposes_reasoning(ollama: RunningServer) -> None:
    answer = invoke(
        "sync",
        ollama.base_url,
        "ollama",
        "chat.completions.create",
        model=OLLAMA_MODEL,
        messages=HELLO,
        think=True,
    )
    assert bodies(ollama, "/api/chat")[0]["think"] is True
    assert answer.choices[0].message.reasoning_content


@pytest.mark.parametrize("mode", MODES)
def test_completion_stream(ollama: RunningServer, mode: str) -> None:
    whole = invoke(
        mode, ollama.base_url, "ollama", "completions.create", model=OLLAMA_MODEL, prompt="Why blue"
    )
    assert isinstance(whole, Completion) and whole.usage.completion_tokens > 0
    chunks = invoke(
        mode,
        ollama.base_url,
        "ollama",
        "completions.create",
        model=OLLAMA_MODEL,
        prompt="Why blue",
        stream=True,
    )
    assert "".join(c.choices[0].text for c in chunks) == whole.choices[0].text
    assert chunks[-1].choices[0].finish_reason == "stop"


@pytest.mark.parametrize("mode", MODES)
def test_embeddings_via_api_embed(ollama: RunningServer, mode: str) -> None:
    answer = invoke(
        mode,
        ollama.base_url,
        "ollama",
        "embeddings.create",
        model="nomic-embed-text",
        input="hello",
        truncate=True,
        keep_alive=0,
    )
    assert isinstance(answer, CreateEmbeddingResponse) and len(answer.data) == 1
    assert answer.usage.prompt_tokens > 0
    [sent] = bodies(ollama, "/api/embed")
    assert sent == {"model": "nomic-embed-text", "input": ["hello"], "truncate": True, "keep_alive": 0}


def test_embeddings_send_auth_and_headers(ollama: RunningServer) -> None:
    with OpenAICompatibleClient(
        base_url=ollama.base_url, platform="ollama", api_key="proxy-key", default_headers={"X-Custom": "1"}
    ) as client:
        client.embeddings.create(model="nomic-embed-text", input=["x"])
    [request] = [r for r in ollama.requests() if r["path"] == "/api/embed"]
    assert request["headers"]["authorization"] == "Bearer proxy-key"
    assert request["headers"]["x-custom"] == "1"


def test_config_defaults_are_sent(ollama: RunningServer) -> None:
    with OpenAICompatibleClient(
        base_url=ollama.base_url + "/v1",
        platform="ollama",
        ollama=OllamaOptions(keep_alive="30m", options={"num_ctx": 8192}),
    ) as client:
        client.chat.completions.create(model=OLLAMA_MODEL, messages=HELLO, options={"num_ctx": 2048})
    [sent] = bodies(ollama, "/api/chat")
    assert sent["keep_alive"] == "30m" and sent["options"] == {"num_ctx": 2048}


def test_unknown_model_is_not_found_with_the_fix(ollama: RunningServer) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        invoke("sync", ollama.base_url, "ollama", "chat.completions.create", model="missing", messages=HELLO)
    assert "ollama POST /api/chat -> 404" in str(caught.value)
    assert "models.pull" in str(caught.value)


def test_no_request_goes_to_another_host(ollama: RunningServer) -> None:
    with (
        OpenAICompatibleClient(base_url=ollama.base_url, platform="ollama") as client,
        pytest.raises(openai.NotFoundError),
    ):
        client.chat.completions.create(model="qwen3:8b-unlisted", messages=HELLO)
    # One request, to the configured server; LiteLLM's /api/show probes never run.
    assert [r["path"] for r in ollama.requests()] == ["/api/chat"]
