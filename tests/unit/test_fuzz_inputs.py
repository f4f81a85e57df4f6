"""Property tests of the public entry points with arbitrary caller arguments.

The client points at a closed port: valid input ends in ``APIConnectionError`` (it tried to
send), invalid input in a local typed error (``InvalidRequestError``/``ConfigurationError``/
``UnsupportedParameterError``, raised before any I/O) — never ``AttributeError``,
``KeyError``, ``TypeError``, pydantic's ``ValidationError`` or a hang.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openai_compatible_client import ClientConfig, OpenAICompatibleClient
from openai_compatible_client import errors as E

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


URL = _closed_port()

anything = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
        st.binary(max_size=8),
        st.sampled_from(["user", "system", "assistant", "tool", "text", "image_url", "\x00", "m"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
            ["role", "content", "type", "text", "image_url", "url", "name", "tool_calls", "function", "x"]
        ), inner, max_size=4)
    ),
    max_leaves=12,
)  # fmt: skip
prompts = st.one_of(st.text(max_size=30), st.text(alphabet="a\x00\ud7ff\U0010ffff", max_size=10), anything)
messages = st.one_of(
    st.lists(
        st.fixed_dictionaries({"role": st.sampled_from(["user", "system", "assistant"]), "content": prompts})
    ),
    anything,
)
param_names = st.sampled_from(
    ["temperature", "max_tokens", "top_p", "n", "stop", "seed", "tools", "tool_choice", "response_format",
     "stream_options", "logprobs", "top_logprobs", "extra_body", "extra_headers", "timeout", "user",
     "presence_penalty", "options", "format", "keep_alive", "dimensions", "encoding_format", "bogus"]
)  # fmt: skip
params = st.dictionaries(param_names, anything, max_size=3)
LOCAL = (E.InvalidRequestError, E.ConfigurationError, E.UnsupportedEndpointError)


@pytest.fixture(scope="module", params=["vllm", "ollama"])
def client(request: pytest.FixtureRequest) -> Iterator[OpenAICompatibleClient]:
    with OpenAICompatibleClient(
        base_url=URL, platform=request.param, max_retries=0, timeout=2, unsupported_params="error"
    ) as client:
        yield client


def _outcome(call: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = call()
        except LOCAL:
            return  # refused before any I/O
        except E.APIConnectionError:
            return  # valid: it tried the (closed) port
        except E.OpenAICompatibleError:
            return
    if hasattr(result, "close"):
        result.close()
    pytest.fail(f"a closed port answered: {result!r}")


@FUZZ
@given(
    model=st.one_of(st.just("m"), anything), msgs=messages, kw=params, stream=st.one_of(st.none(), anything)
)
def test_chat_create(
    client: OpenAICompatibleClient, model: Any, msgs: Any, kw: dict[str, Any], stream: Any
) -> None:
    _outcome(lambda: client.chat.completions.create(model=model, messages=msgs, stream=stream, **kw))


@FUZZ
@given(model=st.one_of(st.just("m"), anything), prompt=prompts, kw=params)
def test_completions_create(
    client: OpenAICompatibleClient, model: Any, prompt: Any, kw: dict[str, Any]
) -> None:
    _outcome(lambda: client.completions.create(model=model, prompt=prompt, **kw))


@FUZZ
@given(model=st.one_of(st.just("m"), anything), data=prompts, kw=params)
def test_embeddings_create(client: OpenAICompatibleClient, model: Any, data: Any, kw: dict[str, Any]) -> None:
    _outcome(lambda: client.embeddings.create(model=model, input=data, **kw))


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(
            ["base_url", "platform", "api_key", "timeout", "connect_timeout", "max_retries",
             "default_headers", "unsupported_params", "verify_tls", "pool_maxsize", "max_image_bytes",
             "model", "vllm", "ollama", "x"]
        ),
        anything,
        max_size=5,
    )
)  # fmt: skip
def test_client_config(fields: dict[str, Any]) -> None:
    if fields.get("base_url") is None or fields.get("platform") == "auto":
        fields["base_url"], fields["platform"] = URL, "vllm"  # no environment look-up, no probe
    with contextlib.suppress(E.ConfigurationError):
        OpenAICompatibleClient(**fields).close()


def test_client_config_raises_typed_error() -> None:
    with pytest.raises(E.ConfigurationError):
        ClientConfig(base_url=None)  # type: ignore[arg-type]


def test_huge_base64_image_and_nul_prompt(client: OpenAICompatibleClient) -> None:
    huge = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * (30 * 1024 * 1024)).decode()
    content = [
        {"type": "text", "text": "a\x00b"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{huge}"}},
    ]
    with pytest.raises(E.InvalidRequestError):  # over max_image_bytes: refused locally
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": content}])
    _outcome(
        lambda: client.chat.completions.create(model="m", messages=[{"role": "user", "content": "a\x00b"}])
    )
    _outcome(lambda: client.completions.create(model="m", prompt="\x00" * 1000))
    with pytest.raises(E.InvalidRequestError):
        client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}], temperature=float("nan")
        )
