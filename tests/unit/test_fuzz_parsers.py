"""Property tests of every response parser: arbitrary server JSON and bytes.

Each parser either returns a correct result or raises its documented error
(``normalize.BadPayload`` for the normalisers, which the client turns into
``APIResponseValidationError``; typed library errors for the stream reader and the error
builders) — never ``AttributeError``, ``KeyError``, ``TypeError`` or pydantic's
``ValidationError``.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import openai
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types import Completion, CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from openai_compatible_client import errors as E
from openai_compatible_client.normalize import BadPayload, to_chat_chunk, to_completion_chunk
from openai_compatible_client.platforms import get_platform
from openai_compatible_client.platforms.ollama.inference import ChatChunks, CompletionChunks
from openai_compatible_client.transport.streams import NDJSONDecoder, SSEDecoder, StreamReader

INFERENCES = [get_platform(name).inference for name in ("vllm", "ollama")]
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Scalars a hostile or broken server can send: enormous and non-finite numbers, NUL bytes,
# lone surrogates escaped in JSON, empty strings.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", "\x00", "stop", "length", "assistant", "tool_calls", "2024-01-01T00:00:00Z", "abc"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)

KEYS = [
    "id", "object", "created", "model", "choices", "usage", "index", "message", "delta", "text", "role",
    "content", "finish_reason", "logprobs", "tool_calls", "function", "name", "arguments", "data",
    "embedding", "embeddings", "prompt_tokens", "completion_tokens", "total_tokens", "response", "done",
    "done_reason", "created_at", "prompt_eval_count", "eval_count", "thinking", "reasoning_content", "images",
    "total_duration", "error", "type",
]  # fmt: skip


def shaped(depth: int = 3) -> st.SearchStrategy[Any]:
    """Objects built from the keys the parsers look at, holding anything at any level."""
    if depth == 0:
        return json_values
    child = st.deferred(lambda: shaped(depth - 1))
    value = st.one_of(json_values, child, st.lists(child, max_size=3))
    return st.dictionaries(st.sampled_from(KEYS), value, max_size=8)


payloads = st.one_of(json_values, shaped())


def deeply_nested(depth: int) -> Any:
    value: Any = {"content": "x"}
    for _ in range(depth):
        value = {"message": value, "choices": [value]}
    return value


def test_non_list_choices_are_a_bad_payload() -> None:
    _check(lambda: INFERENCES[0].to_chat_completion({"choices": True}, "m"), ChatCompletion)
    _check(lambda: to_chat_chunk({"id": {}, "choices": 1}), ChatCompletionChunk)


def _check(call: Any, expected: type | tuple[type, ...]) -> None:
    try:
        result = call()
    except BadPayload:
        return
    if isinstance(result, list):
        assert all(isinstance(item, expected) for item in result)
    else:
        assert isinstance(result, expected)


@FUZZ
@given(payload=payloads, native=st.booleans())
def test_to_chat_completion(payload: Any, native: bool) -> None:
    _check(lambda: INFERENCES[native].to_chat_completion(payload, "m"), ChatCompletion)


@FUZZ
@given(payload=payloads, native=st.booleans())
def test_to_completion(payload: Any, native: bool) -> None:
    _check(lambda: INFERENCES[native].to_completion(payload, "m"), Completion)


@FUZZ
@given(payload=payloads, native=st.booleans())
def test_to_embeddings(payload: Any, native: bool) -> None:
    _check(lambda: INFERENCES[native].to_embeddings(payload, "m"), CreateEmbeddingResponse)


@FUZZ
@given(payload=payloads)
def test_openai_style_chunks(payload: Any) -> None:
    _check(lambda: to_chat_chunk(payload), ChatCompletionChunk)
    _check(lambda: to_completion_chunk(payload), Completion)


@FUZZ
@given(lines=st.lists(payloads, min_size=1, max_size=5), usage=st.booleans())
def test_ollama_stream_mappers(lines: list[Any], usage: bool) -> None:
    chat, completion = ChatChunks("m", usage), CompletionChunks("m", usage)
    for line in lines:
        _check(lambda line=line: chat(line), ChatCompletionChunk)
        _check(lambda line=line: completion(line), Completion)


def test_deeply_nested_and_enormous_payloads() -> None:
    for payload in (
        deeply_nested(3000),
        {"choices": [{"index": 10**400, "message": {"role": "assistant", "content": "x"}}]},
        {"created": 10**400, "model": "m", "message": {"role": "assistant", "content": "x"}, "done": True},
        {"created_at": "9" * 5000, "message": {"content": "x"}, "done": True},
        {"embeddings": [[math.inf, math.nan, 1e308 * 10]]},
        {"data": [{"embedding": "QUJD" * 250_000, "index": 0, "object": "embedding"}]},
    ):
        for inference in INFERENCES:
            _check(lambda p=payload, i=inference: i.to_chat_completion(p, "m"), ChatCompletion)
            _check(lambda p=payload, i=inference: i.to_completion(p, "m"), Completion)
            _check(lambda p=payload, i=inference: i.to_embeddings(p, "m"), CreateEmbeddingResponse)


# ------------------------------------------------------------------ stream decoders and reader


def _reader(framing: str, terminator: str) -> StreamReader:
    return StreamReader(
        framing,  # type: ignore[arg-type]
        terminator,  # type: ignore[arg-type]
        lambda payload: E.stream_error(
            platform="vllm", endpoint="POST /x", url="http://h/x", payload=payload
        ),
    )


@FUZZ
@given(data=st.binary(max_size=400), cuts=st.lists(st.integers(0, 400), max_size=6))
def test_stream_reader_on_arbitrary_bytes(data: bytes, cuts: list[int]) -> None:
    """Any bytes, in any chunks: items, or ValueError (-> APIResponseValidationError), or a typed error."""
    for framing, terminator in (("sse", "sse_done"), ("ndjson", "ndjson_done"), ("ndjson", "ndjson_success")):
        reader = _reader(framing, terminator)
        points = sorted({c for c in cuts if c <= len(data)} | {0, len(data)})
        try:
            for start, end in itertools.pairwise(points):
                reader.feed(data[start:end])
            reader.close()
        except (ValueError, openai.APIError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            assert not isinstance(exc, openai.APIError) or isinstance(exc, E.OpenAICompatibleError)


@FUZZ
@given(values=st.lists(json_values, max_size=6), data=st.data())
def test_any_split_gives_the_same_items(values: list[Any], data: st.DataObject) -> None:
    """SSE and NDJSON: the same items whatever the chunking (CRLF, split characters, no final newline)."""
    finite = [v for v in values if _finite(v)]
    for framing in ("sse", "ndjson"):
        newline = data.draw(st.sampled_from(["\n", "\r\n"]))
        if framing == "sse":
            body = "".join(f"data: {json.dumps(v)}{newline}{newline}" for v in finite)
        else:
            body = "".join(json.dumps(v) + newline for v in finite)
        if data.draw(st.booleans()) and body:
            body = body.rstrip("\r\n")  # no final newline
        raw = body.encode()
        cuts = sorted(set(data.draw(st.lists(st.integers(0, len(raw)), max_size=8))) | {0, len(raw)})
        decoder: SSEDecoder | NDJSONDecoder = SSEDecoder() if framing == "sse" else NDJSONDecoder()
        items: list[Any] = []
        for start, end in itertools.pairwise(cuts):
            items += decoder.feed(raw[start:end])
        items += decoder.close()
        assert items == finite


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    return True


# ------------------------------------------------------------------ error builders


@FUZZ
@given(
    status=st.integers(100, 999),
    content=st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode())),
    headers=st.dictionaries(st.sampled_from(["retry-after", "content-type", "x-a"]), st.text(max_size=10)),
    platform=st.sampled_from(["vllm", "ollama", "other"]),
)
def test_error_from_response_any_body(
    status: int, content: bytes, headers: dict[str, str], platform: str
) -> None:
    try:
        error = E.error_from_response(
            platform=platform,
            endpoint="POST /v1/x",
            url="http://h/v1/x",
            status=status,
            content=content,
            headers=headers,
        )
    except (ValueError, UnicodeError):  # httpx refuses some header values; never an AttributeError
        headers = {}
        error = E.error_from_response(
            platform=platform, endpoint="POST /v1/x", url="http://h/v1/x", status=status, content=content
        )
    assert isinstance(error, openai.APIStatusError) and isinstance(error, E.OpenAICompatibleError)
    assert str(error).startswith(f"{platform} POST /v1/x -> {status}")


@FUZZ
@given(payload=payloads)
def test_stream_error_any_payload(payload: Any) -> None:
    error = E.stream_error(
        platform="ollama", endpoint="POST /api/chat", url="http://h/api/chat", payload=payload
    )
    assert isinstance(error, openai.APIError) and isinstance(error, E.OpenAICompatibleError)


@FUZZ
@given(content=st.binary(max_size=300), status=st.integers(100, 599))
def test_invalid_response_any_bytes(content: bytes, status: int) -> None:
    error = E.invalid_response(
        platform="vllm",
        endpoint="POST /v1/x",
        url="http://h/v1/x",
        status=status,
        content=content,
        reason="r",
    )
    assert isinstance(error, E.APIResponseValidationError)
