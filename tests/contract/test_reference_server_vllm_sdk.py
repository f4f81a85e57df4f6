"""The official ``openai`` SDK against the reference server's vLLM side."""

from __future__ import annotations

import base64
import json
import struct

import openai
import pytest

from tests.support.reference import VLLM_MODEL, RunningServer

pytestmark = pytest.mark.contract

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer"},
                "metric": {"type": "boolean"},
            },
            "required": ["city"],
        },
    },
}


@pytest.fixture
def client(vllm_server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=vllm_server.base_url + "/v1", api_key="unused", max_retries=0)


def test_chat_reply_usage_and_shape(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(
        model=VLLM_MODEL,
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello there"}],
    )
    assert r.object == "chat.completion"
    assert r.id.startswith("chatcmpl-")
    assert r.model == VLLM_MODEL
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].message.content == "You said: hello there"
    assert r.choices[0].finish_reason == "stop"
    assert r.usage is not None
    # 2 + 2 words, + 3 per message
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (10, 4, 14)
    assert r.system_fingerprint and r.system_fingerprint.startswith("vllm-")


def test_chat_text_parts_and_images(client: openai.OpenAI) -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    content = [{"type": "text", "text": "look at"}, image, {"type": "text", "text": "these"}, image]
    r = client.chat.completions.create(model=VLLM_MODEL, messages=[{"role": "user", "content": content}])
    assert r.choices[0].message.content == "You said: look at these [images: 2]"


def test_chat_max_tokens_stop_and_n(client: openai.OpenAI) -> None:
    messages = [{"role": "user", "content": "one two three four"}]
    cut = client.chat.completions.create(model=VLLM_MODEL, messages=messages, max_tokens=3)
    assert (cut.choices[0].message.content, cut.choices[0].finish_reason) == ("You said: one", "length")
    assert cut.usage is not None and cut.usage.completion_tokens == 3
    stopped = client.chat.completions.create(model=VLLM_MODEL, messages=messages, stop=[" three"])
    assert (stopped.choices[0].message.content, stopped.choices[0].finish_reason) == (
        "You said: one two",
        "stop",
    )
    many = client.chat.completions.create(model=VLLM_MODEL, messages=messages, n=3)
    assert [c.index for c in many.choices] == [0, 1, 2]
    assert {c.message.content for c in many.choices} == {"You said: one two three four"}


def test_chat_stream_concatenates_to_reply_with_usage(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=VLLM_MODEL,
        messages=[{"role": "user", "content": "stream me please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "You said: stream me please"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 5
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)


def test_tool_call_from_name_in_text(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(
        model=VLLM_MODEL,
        messages=[{"role": "user", "content": "use get_weather city=Paris days=3"}],
        tools=[WEATHER_TOOL],
    )
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.id.startswith("chatcmpl-tool-") and call.type == "function"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris", "days": 3, "metric": True}
    again = client.chat.completions.create(
        model=VLLM_MODEL,
        messages=[{"role": "user", "content": "use get_weather city=Paris days=3"}],
        tools=[WEATHER_TOOL],
    )
    assert again.choices[0].message.tool_calls is not None
    assert again.choices[0].message.tool_calls[0].id == call.id


def test_tool_choice_named_and_streamed(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=VLLM_MODEL,
        messages=[{"role": "user", "content": "no tool named here"}],
        tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        stream=True,
    )
    name, arguments, finish = "", "", None
    for chunk in stream:
        for choice in chunk.choices:
            for delta in choice.delta.tool_calls or []:
                name += delta.function.name or "" if delta.function else ""
                arguments += delta.function.arguments or "" if delta.function else ""
            finish = choice.finish_reason or finish
    assert name == "get_weather"
    assert json.loads(arguments) == {"city": "reference", "days": 1, "metric": True}
    assert finish == "stop"


def test_tool_results_turn(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(
        model=VLLM_MODEL,
        messages=[
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "12C"},
            {"role": "tool", "tool_call_id": "c2", "content": "sunny"},
        ],
        tools=[WEATHER_TOOL],
    )
    assert r.choices[0].message.content == "Tool results: 12C; sunny"


def test_structured_outputs(client: openai.OpenAI) -> None:
    messages = [{"role": "user", "content": "pick blue"}]
    obj = client.chat.completions.create(
        model=VLLM_MODEL, messages=messages, response_format={"type": "json_object"}
    )
    assert json.loads(obj.choices[0].message.content or "") == {"answer": "You said: pick blue"}
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "n": {"type": "number"}}}
    shaped = client.chat.completions.create(
        model=VLLM_MODEL,
        messages=messages,
        response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": schema}},
    )
    assert json.loads(shaped.choices[0].message.content or "") == {"name": "reference", "n": 1.0}
    choice = client.chat.completions.create(
        model=VLLM_MODEL, messages=messages, extra_body={"structured_outputs": {"choice": ["red", "blue"]}}
    )
    assert choice.choices[0].message.content == "blue"
    legacy = client.chat.completions.create(
        model=VLLM_MODEL, messages=messages, extra_body={"guided_choice": ["red", "blue"]}
    )
    assert legacy.choices[0].message.content == "You said: pick blue"


def test_reasoning_field(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(
        model=VLLM_MODEL,
        messages=[{"role": "user", "content": "why"}],
        extra_body={"chat_template_kwargs": {"enable_thinking": True}},
    )
    message = r.choices[0].message
    assert getattr(message, "reasoning", None) == "Thinking about: why"
    assert message.content == "You said: why"


def test_completions_plain_stream_echo_logprobs(client: openai.OpenAI) -> None:
    r = client.completions.create(model=VLLM_MODEL, prompt="tell me", max_tokens=10)
    assert r.object == "text_completion" and r.id.startswith("cmpl-")
    assert (r.choices[0].text, r.choices[0].finish_reason) == ("You said: tell me", "stop")
    assert r.usage is not None and (r.usage.prompt_tokens, r.usage.completion_tokens) == (3, 4)
    default_cap = client.completions.create(model=VLLM_MODEL, prompt=" ".join(["w"] * 30))
    assert default_cap.choices[0].finish_reason == "length"
    assert default_cap.usage is not None and default_cap.usage.completion_tokens == 16
    echoed = client.completions.create(model=VLLM_MODEL, prompt="hi", echo=True, logprobs=2, max_tokens=5)
    assert echoed.choices[0].text == "hiYou said: hi"
    lp = echoed.choices[0].logprobs
    assert lp is not None and lp.tokens is not None and lp.token_logprobs is not None
    assert len(lp.tokens) == len(lp.token_logprobs) == 4
    streamed = "".join(
        c.choices[0].text
        for c in client.completions.create(model=VLLM_MODEL, prompt="a b", stream=True)
        if c.choices
    )
    assert streamed == "You said: a b"


def test_embeddings_float_base64_dimensions(client: openai.OpenAI) -> None:
    r = client.embeddings.create(model=VLLM_MODEL, input=["alpha", "beta"])
    assert [d.index for d in r.data] == [0, 1]
    vec = r.data[0].embedding
    assert len(vec) == 16
    assert abs(sum(v * v for v in vec) - 1.0) < 1e-5
    assert r.data[0].embedding != r.data[1].embedding
    assert client.embeddings.create(model=VLLM_MODEL, input="alpha").data[0].embedding == vec
    assert r.usage.prompt_tokens == 4
    raw = client.embeddings.with_raw_response.create(
        model=VLLM_MODEL, input="alpha", encoding_format="base64"
    )
    encoded = json.loads(raw.text)["data"][0]["embedding"]
    decoded = struct.unpack("<16f", base64.b64decode(encoded))
    assert [round(x, 6) for x in decoded] == [round(x, 6) for x in vec]
    small = client.embeddings.create(model=VLLM_MODEL, input="alpha", dimensions=4)
    assert len(small.data[0].embedding) == 4
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model=VLLM_MODEL, input="alpha", dimensions=64)


def test_models_list(client: openai.OpenAI) -> None:
    models = client.models.list()
    assert [m.id for m in models.data] == [VLLM_MODEL]
    assert models.data[0].owned_by == "vllm"


def test_errors_map_to_sdk_exceptions(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
    assert "The model `nope` does not exist." in str(missing.value)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model=VLLM_MODEL, messages=[{"role": "user", "content": "x"}], temperature=5
        )
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(
            model=VLLM_MODEL,
            messages=[{"role": "user", "content": "x"}],
            stream_options={"include_usage": True},
        )
    with pytest.raises(openai.BadRequestError):
        client.completions.create(model=VLLM_MODEL, prompt="x", suffix="y")


def test_api_key_enforced(reference_server_factory) -> None:  # type: ignore[no-untyped-def]
    server = reference_server_factory("vllm", api_key="sekret")
    bad = openai.OpenAI(base_url=server.base_url + "/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
    good = openai.OpenAI(base_url=server.base_url + "/v1", api_key="sekret", max_retries=0)
    assert good.models.list().data[0].id == "reference-chat"


async def test_async_client_chat_and_stream(vllm_server: RunningServer) -> None:
    client = openai.AsyncOpenAI(base_url=vllm_server.base_url + "/v1", api_key="unused", max_retries=0)
    r = await client.chat.completions.create(
        model=VLLM_MODEL, messages=[{"role": "user", "content": "async hi"}]
    )
    assert r.choices[0].message.content == "You said: async hi"
    parts = [
        c.choices[0].delta.content or ""
        async for c in await client.chat.completions.create(
            model=VLLM_MODEL, messages=[{"role": "user", "content": "async hi"}], stream=True
        )
        if c.choices
    ]
    assert "".join(parts) == "You said: async hi"
    await client.close()


def test_requests_are_recorded(client: openai.OpenAI, vllm_server: RunningServer) -> None:
    client.chat.completions.create(model=VLLM_MODEL, messages=[{"role": "user", "content": "record"}], seed=7)
    (entry,) = vllm_server.requests()
    assert (entry["method"], entry["path"]) == ("POST", "/v1/chat/completions")
    assert entry["json"]["seed"] == 7
    assert entry["headers"]["authorization"] == "Bearer unused"
    assert entry["body_size"] > 0


def test_tool_mentions_calls_and_quoted_values(client: openai.OpenAI) -> None:
    magic = {
        "type": "function",
        "function": {
            "name": "magic_function",
            "parameters": {"type": "object", "properties": {"input": {"type": "integer"}}},
        },
    }
    r = client.chat.completions.create(
        model=VLLM_MODEL, messages=[{"role": "user", "content": "What is magic_function(3)?"}], tools=[magic]
    )
    assert r.choices[0].message.tool_calls is not None
    assert json.loads(r.choices[0].message.tool_calls[0].function.arguments) == {"input": 3}
    partial = client.chat.completions.create(
        model=VLLM_MODEL,
        messages=[{"role": "user", "content": "What is the weather in 'Oslo'?"}],
        tools=[WEATHER_TOOL],
    )
    assert partial.choices[0].message.tool_calls is not None
    call = partial.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments)["city"] == "Oslo"
    keyed = client.chat.completions.create(
        model=VLLM_MODEL,
        messages=[{"role": "user", "content": "JSON with 'setup' and 'punchline' keys"}],
        response_format={"type": "json_object"},
    )
    assert set(json.loads(keyed.choices[0].message.content or "")) == {"setup", "punchline"}
