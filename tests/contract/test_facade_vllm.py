"""The facade against the reference server's vLLM side: what reached the server, what came back."""

from __future__ import annotations

import json

import openai
import pytest
from openai.types import Completion, CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from openai_compatible_client import OpenAICompatibleClient, VLLMOptions
from openai_compatible_client.errors import UnsupportedParameterError
from tests.contract.conftest import PNG_1PX, VLLM_MODEL, bodies
from tests.contract.facade import invoke
from tests.support.reference import RunningServer

MODES = ["sync", "async"]
HELLO = [{"role": "user", "content": "Hello there"}]


@pytest.mark.parametrize("mode", MODES)
def test_chat_maps_openai_params_and_extras(vllm: RunningServer, mode: str) -> None:
    answer = invoke(
        mode,
        vllm.base_url,
        "vllm",
        "chat.completions.create",
        model=VLLM_MODEL,
        messages=HELLO,
        max_tokens=50,
        temperature=0.2,
        seed=7,
        stop=["zzz"],
        extra_body={"top_k": 5, "min_p": 0.1, "repetition_penalty": 1.1},
        extra_headers={"X-Trace": "t1"},
    )
    assert isinstance(answer, ChatCompletion)
    assert answer.choices[0].message.content == "You said: Hello there"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is not None and answer.usage.completion_tokens == 4
    [sent] = bodies(vllm, "/v1/chat/completions")
    assert {k: sent[k] for k in ("max_tokens", "temperature", "seed", "stop", "top_k", "min_p")} == {
        "max_tokens": 50,
        "temperature": 0.2,
        "seed": 7,
        "stop": ["zzz"],
        "top_k": 5,
        "min_p": 0.1,
    }
    assert sent["repetition_penalty"] == 1.1
    assert "stream" not in sent
    [request] = [r for r in vllm.requests() if r["path"] == "/v1/chat/completions"]
    assert request["headers"]["x-trace"] == "t1"


@pytest.mark.parametrize("mode", MODES)
def test_stream_concatenates_to_the_blocking_answer_and_carries_usage(vllm: RunningServer, mode: str) -> None:
    whole = invoke(mode, vllm.base_url, "vllm", "chat.completions.create", model=VLLM_MODEL, messages=HELLO)
    chunks = invoke(
        mode,
        vllm.base_url,
        "vllm",
        "chat.completions.create",
        model=VLLM_MODEL,
        messages=HELLO,
        stream=True,
        stream_options={"include_usage": True},
    )
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == whole.usage.total_tokens
    sent = bodies(vllm, "/v1/chat/completions")[-1]
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}


def test_max_tokens_truncates_with_length(vllm: RunningServer) -> None:
    answer = invoke(
        "sync",
        vllm.base_url,
        "vllm",
        "chat.completions.create",
        model=VLLM_MODEL,
        messages=HELLO,
        max_tokens=2,
    )
    assert answer.choices[0].finish_reason == "length"
    assert answer.choices[0].message.content == "You said:"


def test_guided_fields_become_structured_outputs(vllm: RunningServer) -> None:
    invoke(
        "sync",
        vllm.base_url,
        "vllm",
        "chat.completions.create",
        model=VLLM_MODEL,
        messages=[{"role": "user", "content": "pick blue"}],
        extra_body={"guided_choice": ["red", "blue"], "guided_decoding_backend": "xgrammar"},
    )
    [sent] = bodies(vllm, "/v1/chat/completions")
    assert sent["structured_outputs"] == {"choice": ["red", "blue"]}
    assert not any(key.startswith("guided_") for key in sent)


def test_structured_outputs_choice_is_honoured(vllm: RunningServer) -> None:
    answer = invoke(
        "sync",
        vllm.base_url,
        "vllm",
        "chat.completions.create",
        model=VLLM_MODEL,
        messages=[{"role": "user", "content": "pick blue"}],
        extra_body={"structured_outputs": {"choice": ["red", "blue"]}},
    )
    assert answer.choices[0].message.content == "blue"


def test_config_defaults_and_chat_template(vllm: RunningServer) -> None:
    with OpenAICompatibleClient(
        base_url=vllm.base_url,
        platform="vllm",
        vllm=VLLMOptions(chat_template_kwargs={"enable_thinking": False}, extra_body={"top_k": 20}),
    ) as client:
        client.chat.completions.create(model=VLLM_MODEL, messages=HELLO, extra_body={"top_k": 3})
    [sent] = bodies(vllm, "/v1/chat/completions")
    assert sent["top_k"] == 3
    assert sent["chat_template_kwargs"] == {"enable_thinking": False}


@pytest.mark.parametrize("mode", MODES)
def test_tool_call_round_trip(vllm: RunningServer, mode: str) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]
    answer = invoke(
        mode,
        vllm.base_url,
        "vllm",
        "chat.completions.create",
        model=VLLM_MODEL,
        messages=[{"role": "user", "content": "get_weather city=Paris"}],
        tools=tools,
    )
    call = answer.choices[0].message.tool_calls[0]
    assert answer.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}
    chunks = invoke(
        mode,
        vllm.base_url,
        "vllm",
        "chat.completions.create",
        model=VLLM_MODEL,
        messages=[{"role": "user", "content": "get_weather city=Paris"}],
        tools=tools,
        stream=True,
    )
    streamed = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert streamed[0].id == call.id
    assert "".join(tc.function.arguments or "" for tc in streamed) == call.function.arguments
    follow = invoke(
        mode,
        vllm.base_url,
        "vllm",
        "chat.completions.create",
        model=VLLM_MODEL,
        tools=tools,
        messages=[
            {"role": "user", "content": "get_weather city=Paris"},
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
            {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
        ],
    )
    assert follow.choices[0].message.content == "Tool results: sunny"


def test_images_reach_vllm_as_image_url_parts(vllm: RunningServer) -> None:
    anthropic_part = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": PNG_1PX},
    }
    answer = invoke(
        "sync",
        vllm.base_url,
        "vllm",
        "chat.completions.create",
        model=VLLM_MODEL,
        messages=[{"role": "user", "content": [{"type": "text", "text": "look"}, anthropic_part]}],
    )
    assert answer.choices[0].message.content == "You said: look [images: 1]"
    [sent] = bodies(vllm, "/v1/chat/completions")
    assert sent["messages"][0]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": f"data:image/png;base64,{PNG_1PX}"},
    }


def test_reasoning_is_exposed(vllm: RunningServer) -> None:
    answer = invoke(
        "sync",
        vllm.base_url,
        "vllm",
        "chat.completions.create",
        model=VLLM_MODEL,
        messages=HELLO,
        extra_body={"chat_template_kwargs": {"enable_thinking": True}},
    )
    message = answer.choices[0].message
    assert message.reasoning_content == message.reasoning
    assert message.reasoning_content


@pytest.mark.parametrize("mode", MODES)
def test_completions_and_stream(vllm: RunningServer, mode: str) -> None:
    answer = invoke(
        mode,
        vllm.base_url,
        "vllm",
        "completions.create",
        model=VLLM_MODEL,
        prompt="Why is it",
        max_tokens=10,
        extra_body={"top_k": 3},
        logprobs=1,
    )
    assert isinstance(answer, Completion) and answer.choices[0].text == "You said: Why is it"
    [sent] = bodies(vllm, "/v1/completions")
    assert sent["top_k"] == 3 and sent["logprobs"] == 1 and sent["prompt"] == "Why is it"
    chunks = invoke(
        mode, vllm.base_url, "vllm", "completions.create", model=VLLM_MODEL, prompt="Why is it", stream=True
    )
    assert "".join(c.choices[0].text for c in chunks if c.choices) == answer.choices[0].text


@pytest.mark.parametrize("mode", MODES)
def test_embeddings(vllm: RunningServer, mode: str) -> None:
    answer = invoke(
        mode, vllm.base_url, "vllm", "embeddings.create", model="embed-model", input=["a", "b"], dimensions=8
    )
    assert isinstance(answer, CreateEmbeddingResponse)
    assert [len(item.embedding) for item in answer.data] == [8, 8]
    assert answer.data[0].embedding != answer.data[1].embedding
    [sent] = bodies(vllm, "/v1/embeddings")
    assert sent == {"model": "embed-model", "input": ["a", "b"], "dimensions": 8}


def test_unknown_model_is_not_found_with_server_text(vllm: RunningServer) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        invoke("sync", vllm.base_url, "vllm", "chat.completions.create", model="nope", messages=HELLO)
    text = str(caught.value)
    assert "vllm POST /v1/chat/completions -> 404" in text and "nope" in text and "Fix:" in text
    assert caught.value.status_code == 404


def test_unsupported_parameter_policy(vllm: RunningServer) -> None:
    with pytest.warns(UserWarning, match="best_of"):
        invoke("sync", vllm.base_url, "vllm", "completions.create", model=VLLM_MODEL, prompt="x", best_of=2)
    assert "best_of" not in bodies(vllm, "/v1/completions")[0]
    vllm.clear()
    with pytest.raises(UnsupportedParameterError, match="best_of"):
        invoke(
            "sync",
            vllm.base_url,
            "vllm",
            "completions.create",
            model=VLLM_MODEL,
            prompt="x",
            best_of=2,
            client_args={"unsupported_params": "error"},
        )
    assert vllm.requests() == []


def test_n_gives_n_choices(vllm: RunningServer) -> None:
    answer = invoke(
        "sync", vllm.base_url, "vllm", "chat.completions.create", model=VLLM_MODEL, messages=HELLO, n=2
    )
    assert [c.index for c in answer.choices] == [0, 1]
    assert bodies(vllm, "/v1/chat/completions")[0]["n"] == 2


def test_models_list_and_base_url_forms(vllm: RunningServer) -> None:
    for url in (vllm.base_url, vllm.base_url + "/v1", vllm.base_url + "/v1/"):
        with OpenAICompatibleClient(base_url=url, platform="vllm") as client:
            assert VLLM_MODEL in [m["id"] for m in client.models.list()["data"]]


def test_embeddings_of_multimodal_messages(vllm: RunningServer) -> None:
    messages = [
        {
            "role": "user",
            "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_1PX}},
                {"type": "text", "text": "a red pixel"},
            ],
        }
    ]
    answer = invoke(
        "sync", vllm.base_url, "vllm", "embeddings.create", model="embed-model", messages=messages
    )
    assert isinstance(answer, CreateEmbeddingResponse) and len(answer.data) == 1
    [sent] = bodies(vllm, "/v1/embeddings")
    assert "input" not in sent
    assert sent["messages"][0]["content"][0] == {
        "type": "image_url",
        "image_url": {"url": f"data:image/png;base64,{PNG_1PX}"},
    }
