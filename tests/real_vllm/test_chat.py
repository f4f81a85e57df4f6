"""Chat completions through the library against a real vLLM server, checked against raw HTTP."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from .servers import Server

pytestmark = pytest.mark.real_vllm

QUESTION = [{"role": "user", "content": "What is 2+2?"}]
GREEDY: dict[str, Any] = {"temperature": 0, "max_tokens": 16}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
PERSON_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def raw_chat(server: Server, **body: Any) -> dict[str, Any]:
    """The server's own answer to the same chat request."""
    result: dict[str, Any] = server.post("/v1/chat/completions", {"model": server.model, **body})
    return result


def test_plain_chat_matches_raw_http(chat: Any, chat_server: Server) -> None:
    response = chat.chat.completions.create(model=chat_server.model, messages=QUESTION, **GREEDY)

    assert isinstance(response, ChatCompletion)
    raw = raw_chat(chat_server, messages=QUESTION, **GREEDY)
    assert response.choices[0].message.content == raw["choices"][0]["message"]["content"]
    assert "4" in (response.choices[0].message.content or "")
    assert response.choices[0].message.role == "assistant"
    assert response.choices[0].finish_reason == raw["choices"][0]["finish_reason"]
    assert response.model == chat_server.model
    assert response.usage is not None
    assert response.usage.prompt_tokens == raw["usage"]["prompt_tokens"]
    assert response.usage.completion_tokens == raw["usage"]["completion_tokens"]


def test_top_k_and_seed_pass_through(chat: Any, chat_server: Server) -> None:
    params: dict[str, Any] = {"temperature": 0.8, "max_tokens": 12, "seed": 7}
    response = chat.chat.completions.create(
        model=chat_server.model, messages=QUESTION, extra_body={"top_k": 1}, **params
    )

    # top_k=1 is greedy whatever the temperature: the server's greedy text is the truth.
    raw = raw_chat(chat_server, messages=QUESTION, temperature=0, max_tokens=12)
    assert response.choices[0].message.content == raw["choices"][0]["message"]["content"]


def test_stream_with_usage_reassembles_the_greedy_answer(chat: Any, chat_server: Server) -> None:
    chunks = list(
        chat.chat.completions.create(
            model=chat_server.model,
            messages=QUESTION,
            stream=True,
            stream_options={"include_usage": True},
            **GREEDY,
        )
    )

    assert chunks and all(isinstance(chunk, ChatCompletionChunk) for chunk in chunks)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    raw = raw_chat(chat_server, messages=QUESTION, **GREEDY)
    assert text == raw["choices"][0]["message"]["content"]
    finish = [
        chunk.choices[0].finish_reason for chunk in chunks if chunk.choices and chunk.choices[0].finish_reason
    ]
    assert finish == [raw["choices"][0]["finish_reason"]]
    usage = [chunk.usage for chunk in chunks if chunk.usage is not None]
    assert usage, "no chunk carried usage although include_usage was asked"
    assert usage[-1].prompt_tokens == raw["usage"]["prompt_tokens"]
    assert usage[-1].completion_tokens == raw["usage"]["completion_tokens"]
    assert len({chunk.id for chunk in chunks}) == 1


def test_structured_outputs_choice(chat: Any, chat_server: Server) -> None:
    choices = ["positive", "negative"]
    messages = [{"role": "user", "content": "Is 'I love it' positive or negative?"}]
    response = chat.chat.completions.create(
        model=chat_server.model,
        messages=messages,
        extra_body={"structured_outputs": {"choice": choices}},
        **GREEDY,
    )

    assert response.choices[0].message.content in choices
    raw = raw_chat(chat_server, messages=messages, structured_outputs={"choice": choices}, **GREEDY)
    assert response.choices[0].message.content == raw["choices"][0]["message"]["content"]


def test_response_format_json_schema(chat: Any, chat_server: Server) -> None:
    messages = [{"role": "user", "content": "Give a person with a name and an age as JSON."}]
    response_format = {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON_SCHEMA}}
    response = chat.chat.completions.create(
        model=chat_server.model,
        messages=messages,
        response_format=response_format,
        temperature=0,
        max_tokens=60,
    )

    person = json.loads(response.choices[0].message.content)
    assert set(person) == {"name", "age"}
    assert isinstance(person["name"], str) and isinstance(person["age"], int)
    raw = raw_chat(
        chat_server, messages=messages, response_format=response_format, temperature=0, max_tokens=60
    )
    assert response.choices[0].message.content == raw["choices"][0]["message"]["content"]


def test_structured_outputs_json_schema(chat: Any, chat_server: Server) -> None:
    messages = [{"role": "user", "content": "Give a person with a name and an age as JSON."}]
    response = chat.chat.completions.create(
        model=chat_server.model,
        messages=messages,
        extra_body={"structured_outputs": {"json": PERSON_SCHEMA}},
        temperature=0,
        max_tokens=60,
    )

    person = json.loads(response.choices[0].message.content)
    assert set(person) == {"name", "age"}


def test_legacy_guided_choice_is_translated(chat: Any, chat_server: Server) -> None:
    # vLLM >= 0.12 ignores guided_* silently; the library must turn it into structured_outputs.
    choices = ["alpha", "beta", "gamma"]
    messages = [{"role": "user", "content": "Name a Greek letter."}]
    response = chat.chat.completions.create(
        model=chat_server.model, messages=messages, extra_body={"guided_choice": choices}, **GREEDY
    )

    assert response.choices[0].message.content in choices
    raw = raw_chat(chat_server, messages=messages, structured_outputs={"choice": choices}, **GREEDY)
    assert response.choices[0].message.content == raw["choices"][0]["message"]["content"]


def test_legacy_guided_json_is_translated(chat: Any, chat_server: Server) -> None:
    messages = [{"role": "user", "content": "Give a person with a name and an age as JSON."}]
    response = chat.chat.completions.create(
        model=chat_server.model,
        messages=messages,
        extra_body={"guided_json": PERSON_SCHEMA},
        temperature=0,
        max_tokens=60,
    )

    assert set(json.loads(response.choices[0].message.content)) == {"name", "age"}


def test_required_tool_call(chat: Any, chat_server: Server) -> None:
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]
    response = chat.chat.completions.create(
        model=chat_server.model,
        messages=messages,
        tools=[WEATHER_TOOL],
        tool_choice="required",
        temperature=0,
        max_tokens=60,
    )

    calls = response.choices[0].message.tool_calls
    assert calls, response
    assert calls[0].function.name == "get_weather"
    assert calls[0].id and calls[0].type == "function"
    raw = raw_chat(
        chat_server,
        messages=messages,
        tools=[WEATHER_TOOL],
        tool_choice="required",
        temperature=0,
        max_tokens=60,
    )
    raw_call = raw["choices"][0]["message"]["tool_calls"][0]["function"]
    assert calls[0].function.name == raw_call["name"]
    # The 135M model's arguments are whatever it decodes; the server's own string is the truth.
    assert calls[0].function.arguments == raw_call["arguments"]
    assert response.choices[0].finish_reason == raw["choices"][0]["finish_reason"]


def test_named_tool_choice(chat: Any, chat_server: Server) -> None:
    response = chat.chat.completions.create(
        model=chat_server.model,
        messages=[{"role": "user", "content": "What is the weather in Rome?"}],
        tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        temperature=0,
        max_tokens=60,
    )

    calls = response.choices[0].message.tool_calls
    assert calls and calls[0].function.name == "get_weather"
    json.loads(calls[0].function.arguments)  # well-formed JSON, whatever the tiny model chose


def test_auto_tool_choice_is_accepted(chat: Any, chat_server: Server) -> None:
    response = chat.chat.completions.create(
        model=chat_server.model,
        messages=[{"role": "user", "content": "What is the weather in Oslo?"}],
        tools=[WEATHER_TOOL],
        temperature=0,
        max_tokens=40,
    )

    message = response.choices[0].message
    # A 135M model may answer in prose or call the tool; either is a well-formed answer.
    assert message.content or message.tool_calls
    assert response.choices[0].finish_reason in {"stop", "length", "tool_calls"}


def test_chat_logprobs(chat: Any, chat_server: Server) -> None:
    response = chat.chat.completions.create(
        model=chat_server.model, messages=QUESTION, logprobs=True, top_logprobs=2, temperature=0, max_tokens=5
    )

    content = response.choices[0].logprobs.content
    assert content and all(len(entry.top_logprobs) == 2 for entry in content)
    raw = raw_chat(chat_server, messages=QUESTION, logprobs=True, top_logprobs=2, temperature=0, max_tokens=5)
    assert [entry.token for entry in content] == [
        e["token"] for e in raw["choices"][0]["logprobs"]["content"]
    ]


def test_unknown_model_is_not_found(chat: Any) -> None:
    from openai_compatible_client import errors

    with pytest.raises(errors.NotFoundError) as caught:
        chat.chat.completions.create(model="no-such-model", messages=QUESTION, max_tokens=4)

    assert isinstance(caught.value, openai.NotFoundError)
    assert caught.value.status_code == 404
    assert "no-such-model" in str(caught.value)


def test_over_long_prompt_is_bad_request_with_server_text(chat: Any, chat_server: Server) -> None:
    from openai_compatible_client import errors

    messages = [{"role": "user", "content": "hello " * 3000}]
    with pytest.raises(errors.BadRequestError) as caught:
        chat.chat.completions.create(model=chat_server.model, messages=messages, max_tokens=4)

    assert isinstance(caught.value, openai.BadRequestError)
    assert caught.value.status_code == 400
    raw = chat_server.post(
        "/v1/chat/completions",
        {"model": chat_server.model, "messages": messages, "max_tokens": 4},
        expect=400,
    )
    server_text = raw["error"]["message"]
    assert "context length" in server_text
    # The server's own sentence reaches the user (its first line is enough to recognise it).
    assert server_text.splitlines()[0][:60] in str(caught.value)


def test_wrong_api_key_is_authentication_error(chat_server: Server) -> None:
    from openai_compatible_client import OpenAICompatibleClient, errors

    client = OpenAICompatibleClient(base_url=chat_server.v1, api_key="wrong-key", platform="vllm")
    with client, pytest.raises(errors.AuthenticationError) as caught:
        client.chat.completions.create(model=chat_server.model, messages=QUESTION, max_tokens=4)

    assert isinstance(caught.value, openai.AuthenticationError)
    assert caught.value.status_code == 401
    assert "wrong-key" not in str(caught.value)
