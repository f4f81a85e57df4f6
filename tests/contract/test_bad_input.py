"""Invalid calls raise a typed error with a clear message before any request is sent."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from openai_compatible_client import OpenAICompatibleClient
from openai_compatible_client.errors import (
    ConfigurationError,
    InvalidRequestError,
    OpenAICompatibleError,
    UnsupportedEndpointError,
    UnsupportedParameterError,
)
from tests.contract.conftest import PNG_1PX
from tests.support.reference import RunningServer

OK = [{"role": "user", "content": "hi"}]
TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
HUGE_PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(21 * 1024 * 1024)).decode()


def chat(**kwargs: Any) -> Callable[[OpenAICompatibleClient], Any]:
    params = {"model": "m", "messages": OK, **kwargs}
    return lambda client: client.chat.completions.create(**params)


def image(url: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}]


# (id, platform, call, error type, message fragment)
CALLS: list[tuple[str, str, Callable[[OpenAICompatibleClient], Any], type[Exception], str]] = [
    (
        "no model",
        "vllm",
        lambda c: c.chat.completions.create(messages=OK),
        InvalidRequestError,
        "model= is required",
    ),
    ("empty messages", "vllm", chat(messages=[]), InvalidRequestError, "non-empty list"),
    ("messages not a list", "vllm", chat(messages="hi"), InvalidRequestError, "non-empty list"),
    (
        "unknown role",
        "vllm",
        chat(messages=[{"role": "robot", "content": "x"}]),
        InvalidRequestError,
        "role must be",
    ),
    ("message not an object", "ollama", chat(messages=["hi"]), InvalidRequestError, "must be an object"),
    (
        "missing content",
        "vllm",
        chat(messages=[{"role": "user"}]),
        InvalidRequestError,
        "content is required",
    ),
    (
        "bad content type",
        "vllm",
        chat(messages=[{"role": "user", "content": 5}]),
        InvalidRequestError,
        "string or a list",
    ),
    (
        "tool message without id",
        "vllm",
        chat(messages=[{"role": "tool", "content": "x"}]),
        InvalidRequestError,
        "tool_call_id",
    ),
    (
        "undecodable base64",
        "ollama",
        chat(messages=image("data:image/png;base64,@@@@")),
        InvalidRequestError,
        "not valid base64",
    ),
    (
        "non-image base64",
        "vllm",
        chat(messages=image("data:image/png;base64,aGVsbG8gd29ybGQ=")),
        InvalidRequestError,
        "unknown magic bytes",
    ),
    (
        "oversize image",
        "vllm",
        chat(messages=image(f"data:image/png;base64,{HUGE_PNG}")),
        InvalidRequestError,
        "limit",
    ),
    (
        "media type lies",
        "ollama",
        chat(
            messages=[
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/jpeg", "data": PNG_1PX},
                        }
                    ],
                }
            ]
        ),
        InvalidRequestError,
        "media_type",
    ),
    (
        "image url on ollama",
        "ollama",
        chat(messages=image("https://example.com/cat.png")),
        InvalidRequestError,
        "image bytes",
    ),
    (
        "ftp image url",
        "vllm",
        chat(messages=image("ftp://example.com/cat.png")),
        InvalidRequestError,
        "base64",
    ),
    (
        "unknown part type",
        "ollama",
        chat(messages=[{"role": "user", "content": [{"type": "video_url"}]}]),
        InvalidRequestError,
        "unsupported content part",
    ),
    (
        "tool without a name",
        "vllm",
        chat(tools=[{"type": "function", "function": {"parameters": {}}}]),
        InvalidRequestError,
        "needs a 'name'",
    ),
    (
        "tool of wrong type",
        "vllm",
        chat(tools=[{"type": "retrieval"}]),
        InvalidRequestError,
        "function tools",
    ),
    ("empty tools", "ollama", chat(tools=[]), InvalidRequestError, "non-empty list"),
    ("tool_choice without tools", "vllm", chat(tool_choice="required"), InvalidRequestError, "needs tools"),
    ("bad tool_choice", "vllm", chat(tools=[TOOL], tool_choice="always"), InvalidRequestError, "tool_choice"),
    (
        "unknown response_format",
        "vllm",
        chat(response_format={"type": "xml"}),
        InvalidRequestError,
        "unknown type 'xml'",
    ),
    (
        "json_schema without schema",
        "ollama",
        chat(response_format={"type": "json_schema"}),
        InvalidRequestError,
        "json_schema",
    ),
    ("n=0", "vllm", chat(n=0), InvalidRequestError, "n=0 must be in [1, 128]"),
    ("temperature out of range", "vllm", chat(temperature=5), InvalidRequestError, "temperature=5"),
    ("NaN top_p", "ollama", chat(top_p=float("nan")), InvalidRequestError, "top_p"),
    ("max_tokens=0", "ollama", chat(max_tokens=0), InvalidRequestError, "max_tokens=0"),
    ("max_tokens a string", "vllm", chat(max_tokens="10"), InvalidRequestError, "an integer"),
    ("stop not strings", "vllm", chat(stop=[1, 2]), InvalidRequestError, "list of strings"),
    (
        "unknown keyword",
        "vllm",
        chat(temprature=0.1),
        InvalidRequestError,
        "unexpected keyword argument 'temprature'",
    ),
    ("stream not a bool", "vllm", chat(stream="yes"), InvalidRequestError, "stream must be"),
    (
        "stream_options without stream",
        "vllm",
        chat(stream_options={"include_usage": True}),
        InvalidRequestError,
        "needs stream=True",
    ),
    ("ollama n with stream", "ollama", chat(n=2, stream=True), InvalidRequestError, "n>1 with stream"),
    ("ollama keep_alive without unit", "ollama", chat(keep_alive="5"), InvalidRequestError, "needs a unit"),
    ("ollama bad format", "ollama", chat(format="yaml"), InvalidRequestError, "'json' or a JSON Schema"),
    ("ollama options on vllm", "vllm", chat(options={"num_ctx": 1}), InvalidRequestError, "Ollama parameter"),
    ("NaN in extra_body", "vllm", chat(extra_body={"top_k": float("inf")}), InvalidRequestError, "as JSON"),
    (
        "header with newline",
        "vllm",
        chat(extra_headers={"X-A": "b\r\nEvil: 1"}),
        InvalidRequestError,
        "newline",
    ),
    (
        "logit_bias error policy",
        "ollama-strict",
        chat(logit_bias={"1": 1}),
        UnsupportedParameterError,
        "logit_bias",
    ),
    (
        "embeddings empty input",
        "vllm",
        lambda c: c.embeddings.create(model="m", input=[]),
        InvalidRequestError,
        "input must be",
    ),
    (
        "embeddings bad encoding",
        "vllm",
        lambda c: c.embeddings.create(model="m", input="x", encoding_format="hex"),
        InvalidRequestError,
        "encoding_format",
    ),
    (
        "completion prompt not text",
        "ollama",
        lambda c: c.completions.create(model="m", prompt=42),
        InvalidRequestError,
        "prompt must be",
    ),
    (
        "ollama-only method on vllm",
        "vllm",
        lambda c: c.blobs.check("sha256:" + "0" * 64),
        UnsupportedEndpointError,
        "blobs.check() is not available on a 'vllm' client: it exists on ollama",
    ),
    (
        "vllm-only method on ollama",
        "ollama",
        lambda c: c.tokenizer.encode(model="m", prompt="x"),
        UnsupportedEndpointError,
        "exists on vllm",
    ),
]


@pytest.mark.parametrize(
    ("platform", "call", "error", "fragment"), [c[1:] for c in CALLS], ids=[c[0] for c in CALLS]
)
def test_invalid_call_fails_before_any_request(
    vllm: RunningServer,
    ollama: RunningServer,
    platform: str,
    call: Callable[[Any], Any],
    error: type[Exception],
    fragment: str,
) -> None:
    server = vllm if platform == "vllm" else ollama
    settings: dict[str, Any] = {"unsupported_params": "error"} if platform == "ollama-strict" else {}
    with (
        OpenAICompatibleClient(
            base_url=server.base_url, platform=platform.split("-")[0], **settings
        ) as client,
        pytest.raises(error) as caught,
    ):
        call(client)
    assert fragment in str(caught.value)
    assert isinstance(caught.value, OpenAICompatibleError)
    assert server.requests() == []


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"base_url": "localhost:8000"}, "base_url must start with http:// or https://"),
        ({"base_url": "http://"}, "base_url has no host"),
        ({"base_url": "http://h:99999"}, "invalid port"),
        ({"base_url": "http://user:pw@h"}, "credentials"),
        ({"base_url": "http://h", "platform": "tgi"}, "accepted values: vllm, ollama"),
        ({"base_url": "http://h", "timeout": 0}, "timeout"),
        ({"base_url": "http://h", "max_retries": -1}, "max_retries"),
        ({"base_url": "http://h", "unsupported_params": "ignore"}, "unsupported_params"),
        ({"base_url": "http://h", "default_headers": {"Bad Header": "x"}}, "invalid header"),
        ({"base_url": "http://h", "colour": "blue"}, "colour"),
    ],
)
def test_invalid_settings_fail_at_construction(settings: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        OpenAICompatibleClient(**settings)
    assert fragment in str(caught.value)
