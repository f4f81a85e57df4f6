"""Inference on Ollama's native routes: ``/api/chat``, ``/api/generate``, ``/api/embed``.

Requests: LiteLLM's ``ollama_chat`` (chat) and ``ollama`` (generate) transformations build the
body; this module files the OpenAI parameters LiteLLM does not map (``options``, the
penalties, ``keep_alive``, the top-level ``format``/``think``/``system``/``raw``/``images``/
``suffix``), applies the corrections of :mod:`.option_map` (``stop`` lists, ``reasoning_effort``
-> ``think``, log probabilities, ``options`` types), fixes up tool messages, and sends ``n`` as
``n`` separate calls (Ollama has no ``n``; with a seed, copy ``i`` gets ``seed + i``). A
parameter the option map does not place goes through the ``unsupported_params`` policy.

Answers: Ollama's native payloads are mapped to ``openai.types``: ``message``/``response`` ->
``choices``, ``prompt_eval_count``/``eval_count`` -> ``usage``, ``created_at`` -> ``created``,
``done_reason`` -> ``finish_reason``, object tool-call arguments -> JSON strings with stable
ids, ``thinking`` -> ``reasoning_content``; the timing counters stay on the object
(``response.total_duration`` ...). Streams are NDJSON lines mapped by :class:`ChatChunks` and
:class:`CompletionChunks`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from openai_compatible_client import errors as E
from openai_compatible_client.config import ClientConfig
from openai_compatible_client.normalize import BadPayload, as_count, as_object, as_text, sdk_types, validate
from openai_compatible_client.platforms.ollama import option_map
from openai_compatible_client.platforms.request import (
    Kind,
    Prepared,
    Request,
    apply_policy,
    apply_unmapped,
    chat_config,
    make_call,
    merge,
    take_wire,
)
from openai_compatible_client.transport.http import Framing
from openai_compatible_client.transport.streams import Terminator

if TYPE_CHECKING:
    from openai.types import Completion, CreateEmbeddingResponse
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

__all__ = [
    "OLLAMA",
    "UNSUPPORTED",
    "ChatChunks",
    "CompletionChunks",
    "OllamaInference",
    "chat_body",
    "embed_body",
    "generate_body",
    "message_fixups",
    "to_chat_completion",
    "to_completion",
    "to_embeddings",
]

UNSUPPORTED: dict[str, str] = {
    "logit_bias": "Ollama has no logit bias",
    "parallel_tool_calls": "Ollama has no parallel_tool_calls switch",
    "tool_choice": "Ollama has no tool_choice (the model decides whether to call a tool)",
    "prediction": "Ollama has no predicted outputs",
    "audio": "Ollama has no audio output",
    "modalities": "Ollama has no output modalities",
    "service_tier": "Ollama has no service tiers",
    "store": "Ollama does not store completions",
    "metadata": "Ollama does not store completions",
    "web_search_options": "Ollama has no web search",
    "best_of": "Ollama has no best_of",
    "echo": "Ollama cannot echo the prompt",
    "functions": "use tools= instead of the deprecated functions=",
    "function_call": "use tool_choice= instead of the deprecated function_call=",
}
"""OpenAI parameters Ollama cannot honour, with the reason the ``unsupported_params`` policy shows."""

# OpenAI penalties are Ollama options of the same name and meaning (LiteLLM would turn
# frequency_penalty into repeat_penalty, which means something else).
OPTION_PARAMS = ("frequency_penalty", "presence_penalty")
"""OpenAI parameters sent as Ollama ``options`` under the same name."""
TOP_LEVEL = ("format", "think", "system", "raw", "images", "suffix")
"""Ollama parameters sent at the top of the body, as given."""
IGNORED = ("user", "prompt_cache_key", "safety_identifier", "verbosity")
"""OpenAI metadata that does not change the answer: not sent."""

_TIMINGS = ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration")
_FINISH = {"stop": "stop", "length": "length", "load": "stop", "unload": "stop", "tool_calls": "tool_calls"}


# ---------------------------------------------------------------------------- requests


def _top_level(request: Request, kind: Kind) -> dict[str, Any]:
    """The :data:`TOP_LEVEL` keys as given, ``think`` from ``reasoning_effort``, the log-probability
    fields, and ``keep_alive`` (call, else config)."""
    given = request.given
    top = {k: given.pop(k) for k in TOP_LEVEL if k in given}
    effort = given.pop("reasoning_effort", None)
    if effort is not None:
        top.setdefault("think", option_map.think_from_effort(request.method, effort))
    top.update(option_map.logprob_fields(request.method, kind, given))
    keep_alive = given.pop("keep_alive", request.config.ollama.keep_alive)
    if keep_alive is not None:
        top["keep_alive"] = keep_alive
    return top


def _options(request: Request) -> dict[str, Any]:
    """``options``: the config's, the call's over them (type-checked), and the OpenAI penalties."""
    given = request.given
    options = option_map.check_options(
        request.method, merge(request.config.ollama.options, given.pop("options", None))
    )
    if "stop" in given:
        given["stop"] = option_map.stop_list(given["stop"])
    for key in OPTION_PARAMS:
        if key in given:
            options[key] = given.pop(key)
    return options


def _litellm_params(request: Request) -> dict[str, Any]:
    """The parameters LiteLLM maps, with ``max_completion_tokens`` as ``max_tokens`` and metadata dropped."""
    given = request.given
    if "max_completion_tokens" in given:
        given.setdefault("max_tokens", given["max_completion_tokens"])
        del given["max_completion_tokens"]
    for key in IGNORED:
        given.pop(key, None)
    return given


def _litellm_body(request: Request, kind: Kind, messages: list[dict[str, Any]]) -> dict[str, Any]:
    platform = request.platform
    provider = platform.chat_provider if kind == "chat" else platform.completion_provider
    litellm_config = chat_config(provider)
    optional = litellm_config.map_openai_params(
        non_default_params=_litellm_params(request),
        optional_params={},
        model=request.model,
        drop_params=False,
    )
    body: dict[str, Any] = litellm_config.transform_request(
        model=request.model,
        messages=messages,
        optional_params=optional,
        litellm_params={"text_completion": True} if kind == "completion" else {},
        headers={},
    )
    return body


def chat_body(request: Request, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``/api/chat`` body, before options, top-level keys and ``extra_body``."""
    body = _litellm_body(request, "chat", messages)
    body["messages"] = message_fixups(body["messages"], messages)
    return body


def generate_body(request: Request, prompt: str) -> dict[str, Any]:
    """The ``/api/generate`` body, before options, top-level keys and ``extra_body``."""
    body = _litellm_body(request, "completion", [{"role": "user", "content": prompt}])
    if not body.get("images"):
        body.pop("images", None)
    return body


def _generate(request: Request, kind: Kind, messages: list[dict[str, Any]], prompt: str) -> Prepared:
    """``/api/chat`` or ``/api/generate``: LiteLLM's body, then Ollama's options and top-level keys."""
    wire = take_wire(request.given)
    copies = int(request.given.pop("n", 1))
    if copies > 1 and request.stream:
        raise E.InvalidRequestError(
            f"{request.method}: n>1 with stream=True is not supported on ollama (it has no n)"
        )
    apply_policy(request)
    apply_unmapped(request, option_map.CHAT_WIRE if kind == "chat" else option_map.COMPLETION_WIRE)
    top = _top_level(request, kind)
    options = _options(request)
    if kind == "chat":
        body, path = chat_body(request, messages), "/api/chat"
    else:
        body, path = generate_body(request, prompt), "/api/generate"
    merged_options = merge(options, body.get("options"))
    # LiteLLM's generate route files keep_alive under options; Ollama reads it at the top.
    merged_options.pop("keep_alive", None)
    if merged_options:
        body["options"] = merged_options
    else:
        body.pop("options", None)
    body.update(top)
    body.update(wire.extra_body or {})
    body["stream"] = request.stream
    platform = request.platform.name
    call = make_call(
        platform, path, body, wire, stream=request.stream, stream_framing=OllamaInference.stream_framing
    )
    copy_calls = tuple(dataclasses.replace(call, json=b) for b in option_map.seeded_copies(body, copies))
    return Prepared(
        call,
        kind,
        request.model,
        platform,
        request.stream,
        request.include_usage,
        copies,
        copy_calls if copies > 1 else (),
    )


def embed_body(request: Request, input: list[str]) -> dict[str, Any]:
    """The ``/api/embed`` body: ``truncate``/``dimensions`` at the top, ``options``, ``keep_alive``."""
    given = request.given
    body: dict[str, Any] = {"model": request.model, "input": input}
    for key in ("truncate", "dimensions"):
        if key in given:
            body[key] = given.pop(key)
    options = merge(request.config.ollama.options, given.pop("options", None))
    if options:
        body["options"] = option_map.check_options(request.method, options)
    keep_alive = given.pop("keep_alive", request.config.ollama.keep_alive)
    if keep_alive is not None:
        body["keep_alive"] = keep_alive
    return body


def message_fixups(sent: list[dict[str, Any]], original: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give tool results the ``tool_name`` Ollama links them by, keep tool-call ids, drop empty images."""
    names: dict[str, str] = {}
    for message in original:
        for call in message.get("tool_calls") or ():
            if "id" in call:
                names[call["id"]] = call["function"]["name"]
    fixed = []
    for message, source in zip(sent, original, strict=False):
        message = dict(message)
        if not message.get("images"):
            message.pop("images", None)
        if message.get("role") == "tool" and "tool_name" not in message:
            name = names.get(source.get("tool_call_id", ""))
            if name:
                message["tool_name"] = name
        if source.get("tool_calls") and message.get("tool_calls"):
            calls = []
            pairs = zip(message["tool_calls"], source["tool_calls"], strict=False)
            for index, (call, original_call) in enumerate(pairs):
                call = dict(call)
                call["function"] = {**(call.get("function") or {}), "index": index}
                if "id" in original_call:
                    call["id"] = original_call["id"]
                calls.append(call)
            message["tool_calls"] = calls
        fixed.append(message)
    return fixed


# ---------------------------------------------------------------------------- answers


def to_chat_completion(payload: Any, model: str) -> ChatCompletion:
    """An ``/api/chat`` answer as ``ChatCompletion``."""
    body = _answer(payload, "message", dict)
    message = as_object(body["message"])
    tool_calls = _tool_calls(message.get("tool_calls"))
    out_message: dict[str, Any] = {
        "role": "assistant",
        "content": as_text(message.get("content")) if not tool_calls or message.get("content") else None,
    }
    if tool_calls:
        out_message["tool_calls"] = tool_calls
    thinking = message.get("thinking")
    if isinstance(thinking, str) and thinking:
        out_message["reasoning_content"] = out_message["reasoning"] = thinking
    finish = "tool_calls" if tool_calls else _finish(body.get("done_reason"))
    completion: dict[str, Any] = {
        "id": _answer_id(body, model),
        "object": "chat.completion",
        "created": _created(body.get("created_at")),
        "model": as_text(body.get("model")) or model,
        "choices": [{"index": 0, "message": out_message, "finish_reason": finish, "logprobs": None}],
        "usage": _usage(body),
        **_timings(body),
    }
    completion["choices"][0]["logprobs"] = _logprobs(option_map.chat_logprobs, body.get("logprobs"))
    return validate(sdk_types().chat_completion, completion)


def to_completion(payload: Any, model: str) -> Completion:
    """An ``/api/generate`` answer as ``Completion``."""
    body = _answer(payload, "response", str)
    completion: dict[str, Any] = {
        "id": _answer_id(body, model, prefix="cmpl-"),
        "object": "text_completion",
        "created": _created(body.get("created_at")),
        "model": as_text(body.get("model")) or model,
        "choices": [
            {
                "index": 0,
                "text": as_text(body.get("response")),
                "finish_reason": _finish(body.get("done_reason")),
                "logprobs": _logprobs(option_map.completion_logprobs, body.get("logprobs")),
            }
        ],
        "usage": _usage(body),
        **_timings(body),
    }
    thinking = body.get("thinking")
    if isinstance(thinking, str) and thinking:
        completion["choices"][0]["reasoning_content"] = thinking
    return validate(sdk_types().completion, completion)


def to_embeddings(payload: Any, model: str) -> CreateEmbeddingResponse:
    """An ``/api/embed`` answer as ``CreateEmbeddingResponse``."""
    body = as_object(payload)
    vectors = body.get("embeddings")
    if not isinstance(vectors, list):
        raise BadPayload("Ollama /api/embed answer has no 'embeddings' list")
    tokens = as_count(body.get("prompt_eval_count"))
    response = {
        "object": "list",
        "model": as_text(body.get("model")) or model,
        "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        **_timings(body),
    }
    return validate(sdk_types().embeddings, response)


class _Chunks:
    """Shared state of an Ollama NDJSON stream mapped to OpenAI chunks."""

    def __init__(self, model: str, include_usage: bool) -> None:
        self._model = model
        self._include_usage = include_usage
        self._id: str | None = None
        self._created = 0
        self._tool_index = 0

    def _start(self, body: dict[str, Any]) -> None:
        if self._id is None:
            self._id = _answer_id(body, self._model)
            self._created = _created(body.get("created_at"))

    def _base(self, body: dict[str, Any], obj: str) -> dict[str, Any]:
        return {
            "id": self._id,
            "object": obj,
            "created": self._created,
            "model": as_text(body.get("model")) or self._model,
        }


class ChatChunks(_Chunks):
    """Maps each ``/api/chat`` stream line to ``ChatCompletionChunk`` objects.

    The deltas concatenate to the non-streamed answer; the last line gives the finish reason,
    and (with ``include_usage``) a final chunk with empty ``choices`` carries the usage.
    """

    def __init__(self, model: str, include_usage: bool) -> None:
        super().__init__(model, include_usage)
        self._role_sent = False
        self._saw_tools = False

    def __call__(self, payload: Any) -> list[ChatCompletionChunk]:
        body = as_object(payload)
        self._start(body)
        message = as_object(body.get("message", {}))
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
        calls = _tool_calls(message.get("tool_calls"), start=self._tool_index)
        if calls:
            self._saw_tools = True
            delta["tool_calls"] = [dict(call, index=self._tool_index + i) for i, call in enumerate(calls)]
            self._tool_index += len(calls)
        chunks: list[ChatCompletionChunk] = []
        done = body.get("done") is True
        if delta or not done:
            logprobs = _logprobs(option_map.chat_logprobs, body.get("logprobs"))
            chunks.append(self._chunk(body, delta, None, logprobs=logprobs))
        if done:
            finish = "tool_calls" if self._saw_tools else _finish(body.get("done_reason"))
            chunks.append(self._chunk(body, {}, finish, extra=_timings(body)))
            if self._include_usage:
                usage_chunk = {
                    **self._base(body, "chat.completion.chunk"),
                    "choices": [],
                    "usage": _usage(body),
                }
                chunks.append(validate(sdk_types().chat_chunk, usage_chunk))
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
        return validate(sdk_types().chat_chunk, chunk)


class CompletionChunks(_Chunks):
    """Maps each ``/api/generate`` stream line to ``Completion`` chunks (as the SDK streams them)."""

    def __init__(self, model: str, include_usage: bool) -> None:
        super().__init__(model, include_usage)
        self._offset = 0

    def __call__(self, payload: Any) -> list[Completion]:
        body = as_object(payload)
        self._start(body)
        done = body.get("done") is True
        text = as_text(body.get("response"))
        chunks: list[Completion] = []
        base = self._base(body, "text_completion")
        if text or not done:
            offset = self._offset
            logprobs = _logprobs(lambda v: option_map.completion_logprobs(v, offset), body.get("logprobs"))
            self._offset += len(text)
            choice = {"index": 0, "text": text, "finish_reason": None, "logprobs": logprobs}
            chunks.append(validate(sdk_types().completion, {**base, "choices": [choice]}))
        if done:
            last = {
                "index": 0,
                "text": "",
                "finish_reason": _finish(body.get("done_reason")),
                "logprobs": None,
            }
            final = {**base, "choices": [last], **_timings(body)}
            if self._include_usage:
                final["usage"] = _usage(body)
            chunks.append(validate(sdk_types().completion, final))
        return chunks


def _answer(payload: Any, field: str, kind: type) -> dict[str, Any]:
    """A finished, non-streamed Ollama answer: ``done`` is true and ``field`` has its type."""
    body = as_object(payload)
    if body.get("done") is not True:
        raise BadPayload("not a finished Ollama answer ('done' is not true)")
    if not isinstance(body.get(field), kind):
        raise BadPayload(f"an Ollama answer needs '{field}' ({kind.__name__})")
    return body


def _logprobs(mapper: Callable[[Any], dict[str, Any] | None], value: Any) -> dict[str, Any] | None:
    try:
        return mapper(value)
    except (ValueError, TypeError, AttributeError) as exc:
        raise BadPayload(f"Ollama logprobs: {exc}") from None


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


def _usage(body: Mapping[str, Any]) -> dict[str, int]:
    prompt = as_count(body.get("prompt_eval_count"))
    completion = as_count(body.get("eval_count"))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _timings(body: Mapping[str, Any]) -> dict[str, int]:
    return {key: as_count(body.get(key)) for key in _TIMINGS if key in body}


def _answer_id(body: Mapping[str, Any], model: str, prefix: str = "chatcmpl-") -> str:
    seed = f"{model}|{body.get('created_at', '')}"
    return prefix + hashlib.sha256(seed.encode()).hexdigest()[:24]


def _tool_calls(value: Any, start: int = 0) -> list[dict[str, Any]]:
    """Ollama tool calls -> OpenAI ones: JSON-string arguments, and an id stable across modes."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadPayload("message.tool_calls must be a list")
    calls = []
    for offset, call in enumerate(value):
        function = as_object(as_object(call).get("function"))
        name = as_text(function.get("name"))
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


# ---------------------------------------------------------------------------- the platform's inference


class OllamaInference:
    """Chat, generate and embed on Ollama's native routes, streamed as NDJSON."""

    stream_framing: ClassVar[tuple[Framing, Terminator]] = ("ndjson", "ndjson_done")
    """How streams are framed and how they end."""

    def router_params(self, config: ClientConfig) -> dict[str, Any]:
        """``OllamaOptions``: its options and ``keep_alive``, sent by the Router with every call."""
        params = dict(config.ollama.options)
        if config.ollama.keep_alive is not None:
            params["keep_alive"] = config.ollama.keep_alive
        return params

    def chat(self, request: Request, messages: list[dict[str, Any]]) -> Prepared:
        """``POST /api/chat``."""
        return _generate(request, "chat", messages, "")

    def check_prompt(self, prompt: Any, method: str) -> str:
        """One string (or a list holding one): ``/api/generate`` takes a single prompt."""
        if isinstance(prompt, str):
            return prompt
        if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
            return prompt[0]
        raise E.InvalidRequestError(f"{method}: prompt must be a string")

    def completion(self, request: Request, prompt: Any) -> Prepared:
        """``POST /api/generate``."""
        return _generate(request, "completion", [], prompt)

    def check_embedding_input(self, value: Any, method: str) -> list[str]:
        """A string or a non-empty list of strings, sent as a list."""
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return value
        raise E.InvalidRequestError(f"{method}: input must be a string or a non-empty list of strings")

    def allows_embedding_messages(self) -> bool:
        """``/api/embed`` takes text only."""
        return False

    def embedding(self, request: Request, input: Any, messages: list[dict[str, Any]] | None) -> Prepared:
        """``POST /api/embed``."""
        del messages
        wire = take_wire(request.given)
        body = embed_body(request, input)
        encode = request.given.pop("encoding_format", None) == "base64"  # Ollama answers floats only
        request.given.pop("user", None)  # metadata that does not change the answer
        apply_policy(request)
        apply_unmapped(request, {})
        body.update(wire.extra_body or {})
        call = make_call(request.platform.name, "/api/embed", body, wire, stream=False)
        return Prepared(call, "embedding", request.model, request.platform.name, encode_base64=encode)

    def to_chat_completion(self, payload: Any, model: str) -> ChatCompletion:
        """See :func:`to_chat_completion`."""
        return to_chat_completion(payload, model)

    def to_completion(self, payload: Any, model: str) -> Completion:
        """See :func:`to_completion`."""
        return to_completion(payload, model)

    def to_embeddings(self, payload: Any, model: str) -> CreateEmbeddingResponse:
        """See :func:`to_embeddings`."""
        return to_embeddings(payload, model)

    def chat_chunks(self, model: str, include_usage: bool) -> ChatChunks:
        """A fresh :class:`ChatChunks` for one stream."""
        return ChatChunks(model, include_usage)

    def completion_chunks(self, model: str, include_usage: bool) -> CompletionChunks:
        """A fresh :class:`CompletionChunks` for one stream."""
        return CompletionChunks(model, include_usage)


OLLAMA = OllamaInference()
"""Ollama's inference rules."""
