"""Platform payloads -> genuine ``openai.types`` objects.

vLLM already answers in OpenAI's shapes: its payloads are validated into the SDK's types (extra
fields such as ``reasoning`` survive as attributes, as in the SDK). Ollama's native payloads
are mapped: ``message``/``response`` -> ``choices``, ``prompt_eval_count``/``eval_count`` ->
``usage``, ``created_at`` -> ``created``, ``done_reason`` -> ``finish_reason``, object tool-call
arguments -> JSON strings with stable ids, ``thinking`` -> ``reasoning_content``; the timing
counters stay on the object (``response.total_duration`` ...).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import struct
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import pydantic
from openai.types import Completion, CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from openai_compatible_client.platforms.ollama import option_map

__all__ = [
    "BadPayload",
    "OllamaChatChunks",
    "OllamaCompletionChunks",
    "merge_choices",
    "to_chat_chunk",
    "to_chat_completion",
    "to_completion",
    "to_completion_chunk",
    "to_embeddings",
]

M = TypeVar("M", bound=pydantic.BaseModel)
_TIMINGS = ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration")
_OPEN_LITERALS = frozenset({"finish_reason", "role", "object", "type", "service_tier"})
_FINISH = {"stop": "stop", "length": "length", "load": "stop", "unload": "stop", "tool_calls": "tool_calls"}


class BadPayload(ValueError):
    """A server payload that cannot be what the route promises (turned into a typed API error)."""


def _validate(model: type[M], payload: Any) -> M:
    """Validate a payload into an OpenAI type (validation is also ~20x faster than the SDK's construct).

    Servers legitimately send values the SDK's types do not list (``finish_reason: null`` in a
    completion chunk, vLLM's ``"abort"``); such values are kept, as the SDK keeps them. Anything
    else that does not fit raises :class:`BadPayload`.
    """
    if not isinstance(payload, dict):
        raise BadPayload(f"expected a JSON object, got {type(payload).__name__}")
    try:
        return model.model_validate(payload)
    except pydantic.ValidationError as exc:
        errors = exc.errors()
        if all(_tolerated(error) for error in errors):
            from openai._models import construct_type

            return cast(M, construct_type(type_=model, value=payload))
        first = errors[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise BadPayload(f"{model.__name__}: {where}: {first.get('msg')}") from None
    except (RecursionError, OverflowError) as exc:
        raise BadPayload(f"{model.__name__}: {type(exc).__name__}") from None


def _tolerated(error: Any) -> bool:
    """A literal field holding a value the SDK's type does not list (or null)."""
    loc = error.get("loc", ())
    return bool(loc) and loc[-1] in _OPEN_LITERALS and error.get("type") in ("literal_error", "enum")


def _alias_reasoning(message: Any) -> None:
    """Expose reasoning under both names clients read: ``reasoning`` (vLLM) and ``reasoning_content``."""
    if isinstance(message, dict):
        text = message.get("reasoning")
        if text is None:
            text = message.get("reasoning_content")
        if text is not None:
            message.setdefault("reasoning", text)
            message.setdefault("reasoning_content", text)


def _alias_choices(payload: dict[str, Any], field: str) -> None:
    choices = payload.get("choices")
    for choice in choices if isinstance(choices, list) else ():
        if isinstance(choice, dict):
            _alias_reasoning(choice.get(field))


def to_chat_completion(platform_native: bool, payload: Any, model: str) -> ChatCompletion:
    """A chat answer as ``ChatCompletion`` (vLLM payloads validated, Ollama payloads mapped)."""
    if not platform_native:
        if isinstance(payload, dict):
            _alias_choices(payload, "message")
        return _validate(ChatCompletion, payload)
    body = _answer(payload, "message", dict)
    message = _object(body["message"])
    tool_calls = _ollama_tool_calls(message.get("tool_calls"))
    out_message: dict[str, Any] = {
        "role": "assistant",
        "content": _text(message.get("content")) if not tool_calls or message.get("content") else None,
    }
    if tool_calls:
        out_message["tool_calls"] = tool_calls
    thinking = message.get("thinking")
    if isinstance(thinking, str) and thinking:
        out_message["reasoning_content"] = out_message["reasoning"] = thinking
    finish = "tool_calls" if tool_calls else _finish(body.get("done_reason"))
    completion: dict[str, Any] = {
        "id": _ollama_id(body, model),
        "object": "chat.completion",
        "created": _created(body.get("created_at")),
        "model": _text(body.get("model")) or model,
        "choices": [{"index": 0, "message": out_message, "finish_reason": finish, "logprobs": None}],
        "usage": _ollama_usage(body),
        **_timings(body),
    }
    completion["choices"][0]["logprobs"] = _mapped_logprobs(option_map.chat_logprobs, body.get("logprobs"))
    return _validate(ChatCompletion, completion)


def to_chat_chunk(payload: Any) -> ChatCompletionChunk:
    """A vLLM SSE event as ``ChatCompletionChunk``."""
    if isinstance(payload, dict):
        _alias_choices(payload, "delta")
    return _validate(ChatCompletionChunk, payload)


def to_completion(platform_native: bool, payload: Any, model: str) -> Completion:
    """A text-completion answer as ``Completion``."""
    if not platform_native:
        return _validate(Completion, payload)
    body = _answer(payload, "response", str)
    completion: dict[str, Any] = {
        "id": _ollama_id(body, model, prefix="cmpl-"),
        "object": "text_completion",
        "created": _created(body.get("created_at")),
        "model": _text(body.get("model")) or model,
        "choices": [
            {
                "index": 0,
                "text": _text(body.get("response")),
                "finish_reason": _finish(body.get("done_reason")),
                "logprobs": _mapped_logprobs(option_map.completion_logprobs, body.get("logprobs")),
            }
        ],
        "usage": _ollama_usage(body),
        **_timings(body),
    }
    thinking = body.get("thinking")
    if isinstance(thinking, str) and thinking:
        completion["choices"][0]["reasoning_content"] = thinking
    return _validate(Completion, completion)


def to_completion_chunk(payload: Any) -> Completion:
    """A vLLM completions SSE event as ``Completion`` (the SDK's stream item type)."""
    return _validate(Completion, payload)


def to_embeddings(
    platform_native: bool, payload: Any, model: str, base64: bool = False
) -> CreateEmbeddingResponse:
    """An embeddings answer as ``CreateEmbeddingResponse`` (``base64``: Ollama's floats encoded here)."""
    if not platform_native:
        body = _object(payload)
        data = body.get("data")
        if (
            isinstance(data, list)
            and data
            and all(isinstance(item, dict) and isinstance(item.get("embedding"), str) for item in data)
        ):
            # encoding_format="base64": the vectors stay base64 strings, as the OpenAI SDK leaves them.
            from openai._models import construct_type

            return cast(CreateEmbeddingResponse, construct_type(type_=CreateEmbeddingResponse, value=body))
        return _validate(CreateEmbeddingResponse, body)
    body = _object(payload)
    vectors = body.get("embeddings")
    if not isinstance(vectors, list):
        raise BadPayload("Ollama /api/embed answer has no 'embeddings' list")
    tokens = _count(body.get("prompt_eval_count"))
    if base64:
        vectors = [_base64_vector(v) for v in vectors]
    response = {
        "object": "list",
        "model": _text(body.get("model")) or model,
        "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        **_timings(body),
    }
    if base64:
        from openai._models import construct_type

        return cast(CreateEmbeddingResponse, construct_type(type_=CreateEmbeddingResponse, value=response))
    return _validate(CreateEmbeddingResponse, response)


def _base64_vector(vector: Any) -> str:
    if not isinstance(vector, list) or not all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in vector
    ):
        raise BadPayload("an Ollama embedding must be a list of numbers")
    try:
        return option_map.float32_base64(vector)
    except (OverflowError, struct.error) as exc:
        raise BadPayload(f"an embedding value does not fit float32: {exc}") from None


def _mapped_logprobs(mapper: Callable[[Any], dict[str, Any] | None], value: Any) -> dict[str, Any] | None:
    try:
        return mapper(value)
    except (ValueError, TypeError, AttributeError) as exc:
        raise BadPayload(f"Ollama logprobs: {exc}") from None


def _answer(payload: Any, field: str, kind: type) -> dict[str, Any]:
    """A finished, non-streamed Ollama answer: ``done`` is true and ``field`` has its type."""
    body = _object(payload)
    if body.get("done") is not True:
        raise BadPayload("not a finished Ollama answer ('done' is not true)")
    if not isinstance(body.get(field), kind):
        raise BadPayload(f"an Ollama answer needs '{field}' ({kind.__name__})")
    return body


def merge_choices(answers: list[Any]) -> Any:
    """Merge ``n`` single-choice answers (Ollama has no ``n``) into one with ``n`` choices."""
    first = answers[0]
    choices = []
    prompt = completion = 0
    for index, answer in enumerate(answers):
        choice = answer.choices[0].model_copy(update={"index": index})
        choices.append(choice)
        if answer.usage is not None:
            prompt = answer.usage.prompt_tokens
            completion += answer.usage.completion_tokens
    usage = (
        first.usage.model_copy(
            update={
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            }
        )
        if first.usage is not None
        else None
    )
    return first.model_copy(update={"choices": choices, "usage": usage})


class _OllamaStream:
    """Shared state of an Ollama NDJSON stream mapped to OpenAI chunks."""

    def __init__(self, model: str, include_usage: bool) -> None:
        self._model = model
        self._include_usage = include_usage
        self._id: str | None = None
        self._created = 0
        self._tool_index = 0

    def _start(self, body: dict[str, Any]) -> None:
        if self._id is None:
            self._id = _ollama_id(body, self._model)
            self._created = _created(body.get("created_at"))

    def _base(self, body: dict[str, Any], obj: str) -> dict[str, Any]:
        return {
            "id": self._id,
            "object": obj,
            "created": self._created,
            "model": _text(body.get("model")) or self._model,
        }


class OllamaChatChunks(_OllamaStream):
    """Maps each ``/api/chat`` stream line to ``ChatCompletionChunk`` objects.

    The deltas concatenate to the non-streamed answer; the last line gives the finish reason,
    and (with ``include_usage``) a final chunk with empty ``choices`` carries the usage.
    """

    def __init__(self, model: str, include_usage: bool) -> None:
        super().__init__(model, include_usage)
        self._role_sent = False
        self._saw_tools = False

    def __call__(self, payload: Any) -> list[ChatCompletionChunk]:
        body = _object(payload)
        self._start(body)
        message = _object(body.get("message", {}))
        delta: dict[str, Any] = {}
        if not self._role_sent:
            delta["role"] = "assistant"
            self._role_sent = True
        content = message.get("content")
        if isinstance(content, str) and content:
            delta["content"] = content
        thinking = message.get("thinking")
        if isinstance(thinking, str) and thinking:
            delta["reasoning_content"] = delta["reasoning"] = thinking
        calls = _ollama_tool_calls(message.get("tool_calls"), start=self._tool_index)
        if calls:
            self._saw_tools = True
            delta["tool_calls"] = [dict(call, index=self._tool_index + i) for i, call in enumerate(calls)]
            self._tool_index += len(calls)
        chunks: list[ChatCompletionChunk] = []
        done = body.get("done") is True
        if delta or not done:
            logprobs = _mapped_logprobs(option_map.chat_logprobs, body.get("logprobs"))
            chunks.append(self._chunk(body, delta, None, logprobs=logprobs))
        if done:
            finish = "tool_calls" if self._saw_tools else _finish(body.get("done_reason"))
            chunks.append(self._chunk(body, {}, finish, extra=_timings(body)))
            if self._include_usage:
                usage_chunk = {
                    **self._base(body, "chat.completion.chunk"),
                    "choices": [],
                    "usage": _ollama_usage(body),
                }
                chunks.append(_validate(ChatCompletionChunk, usage_chunk))
        return chunks

    def _chunk(
        self,
        body: dict[str, Any],
        delta: dict[str, Any],
        finish: str | None,
        extra: Mapping[str, Any] | None = None,
        logprobs: dict[str, Any] | None = None,
    ) -> ChatCompletionChunk:
        chunk = {
            **self._base(body, "chat.completion.chunk"),
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": logprobs}],
            **(extra or {}),
        }
        return _validate(ChatCompletionChunk, chunk)


class OllamaCompletionChunks(_OllamaStream):
    """Maps each ``/api/generate`` stream line to ``Completion`` chunks (as the SDK streams them)."""

    def __init__(self, model: str, include_usage: bool) -> None:
        super().__init__(model, include_usage)
        self._offset = 0

    def __call__(self, payload: Any) -> list[Completion]:
        body = _object(payload)
        self._start(body)
        done = body.get("done") is True
        text = _text(body.get("response"))
        chunks: list[Completion] = []
        base = {**self._base(body, "text_completion")}
        if text or not done:
            offset = self._offset
            logprobs = _mapped_logprobs(
                lambda v: option_map.completion_logprobs(v, offset), body.get("logprobs")
            )
            self._offset += len(text)
            choice = {"index": 0, "text": text, "finish_reason": None, "logprobs": logprobs}
            chunks.append(_validate(Completion, {**base, "choices": [choice]}))
        if done:
            final = {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "text": "",
                        "finish_reason": _finish(body.get("done_reason")),
                        "logprobs": None,
                    }
                ],
                **_timings(body),
            }
            if self._include_usage:
                final["usage"] = _ollama_usage(body)
            chunks.append(_validate(Completion, final))
        return chunks


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadPayload(f"expected a JSON object, got {type(value).__name__}")
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadPayload(f"expected a string, got {type(value).__name__}")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return 0
    return value


def _finish(reason: Any) -> str:
    return _FINISH.get(reason, "stop") if isinstance(reason, str) else "stop"


def _created(value: Any) -> int:
    """Seconds since the epoch from Ollama's RFC 3339 ``created_at`` (nanoseconds allowed).

    >>> _created("2023-08-04T19:22:45.499127Z")
    1691176965
    >>> _created("2025-01-01T00:00:00.123456789-07:00")
    1735714800
    """
    if not isinstance(value, str) or not value:
        return 0
    text = value.strip().replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        digits = rest
        zone = ""
        for sign in ("+", "-"):
            if sign in rest:
                digits, _, zone = rest.partition(sign)
                zone = sign + zone
                break
        text = f"{head}.{digits[:6]}{zone}"
    try:
        return int(dt.datetime.fromisoformat(text).timestamp())
    except ValueError:
        return 0


def _ollama_usage(body: Mapping[str, Any]) -> dict[str, int]:
    prompt = _count(body.get("prompt_eval_count"))
    completion = _count(body.get("eval_count"))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _timings(body: Mapping[str, Any]) -> dict[str, int]:
    return {key: _count(body.get(key)) for key in _TIMINGS if key in body}


def _ollama_id(body: Mapping[str, Any], model: str, prefix: str = "chatcmpl-") -> str:
    seed = f"{model}|{body.get('created_at', '')}"
    return prefix + hashlib.sha256(seed.encode()).hexdigest()[:24]


def _ollama_tool_calls(value: Any, start: int = 0) -> list[dict[str, Any]]:
    """Ollama tool calls -> OpenAI ones: JSON-string arguments, and an id stable across modes."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadPayload("message.tool_calls must be a list")
    calls = []
    for offset, call in enumerate(value):
        function = _object(_object(call).get("function"))
        name = _text(function.get("name"))
        arguments = function.get("arguments", {})
        arguments_text = (
            arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
        )
        call_id = call.get("id")
        if not isinstance(call_id, str) or not call_id:
            index = function.get("index", start + offset)
            digest = hashlib.sha256(f"{index}|{name}|{arguments_text}".encode()).hexdigest()[:24]
            call_id = f"call_{digest}"
        calls.append(
            {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments_text}}
        )
    return calls


ChunkMapper = Callable[[Any], list[Any]]
