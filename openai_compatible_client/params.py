"""The keyword arguments the facade accepts, and their local validation.

The names are the OpenAI SDK's (plus Ollama's ``options``, ``format``, ``keep_alive`` and
``think``). Every value that can be checked without the server is checked here, so a bad call
raises :class:`~openai_compatible_client.errors.InvalidRequestError` before any I/O.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypedDict

from openai_compatible_client import errors as E

__all__ = [
    "CHAT_PARAMS",
    "COMPLETION_PARAMS",
    "EMBEDDING_PARAMS",
    "ChatParams",
    "CompletionParams",
    "EmbeddingParams",
    "check_params",
]


class _Common(TypedDict, total=False):
    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, object] | None
    extra_body: Mapping[str, object] | None
    timeout: float | None
    options: Mapping[str, object] | None
    keep_alive: str | float | None


class ChatParams(_Common, total=False):
    """Keyword arguments of ``chat.completions.create`` besides ``model``, ``messages``, ``stream``."""

    audio: Any
    frequency_penalty: float | None
    function_call: Any
    functions: Any
    logit_bias: Mapping[str, int] | None
    logprobs: bool | None
    max_completion_tokens: int | None
    max_tokens: int | None
    metadata: Mapping[str, str] | None
    modalities: Any
    moderation: Any
    n: int | None
    parallel_tool_calls: bool | None
    prediction: Any
    presence_penalty: float | None
    prompt_cache_key: str | None
    prompt_cache_options: Any
    prompt_cache_retention: str | None
    reasoning_effort: str | None
    response_format: Mapping[str, Any] | None
    safety_identifier: str | None
    seed: int | None
    service_tier: str | None
    stop: str | list[str] | None
    store: bool | None
    stream_options: Mapping[str, Any] | None
    temperature: float | None
    tool_choice: Any
    tools: Iterable[Mapping[str, Any]] | None
    top_logprobs: int | None
    top_p: float | None
    user: str | None
    verbosity: str | None
    web_search_options: Any
    format: str | Mapping[str, Any] | None
    think: bool | str | None


class CompletionParams(_Common, total=False):
    """Keyword arguments of ``completions.create`` besides ``model``, ``prompt``, ``stream``."""

    best_of: int | None
    echo: bool | None
    frequency_penalty: float | None
    logit_bias: Mapping[str, int] | None
    logprobs: int | None
    max_tokens: int | None
    n: int | None
    presence_penalty: float | None
    seed: int | None
    stop: str | list[str] | None
    stream_options: Mapping[str, Any] | None
    suffix: str | None
    temperature: float | None
    top_p: float | None
    user: str | None
    format: str | Mapping[str, Any] | None
    think: bool | str | None
    system: str | None
    raw: bool | None
    images: list[str] | None


class EmbeddingParams(_Common, total=False):
    """Keyword arguments of ``embeddings.create`` besides ``model`` and ``input``."""

    dimensions: int | None
    encoding_format: str | None
    user: str | None
    truncate: bool | None
    messages: Any


CHAT_PARAMS = frozenset(ChatParams.__annotations__) | frozenset(_Common.__annotations__)
COMPLETION_PARAMS = frozenset(CompletionParams.__annotations__) | frozenset(_Common.__annotations__)
EMBEDDING_PARAMS = frozenset(EmbeddingParams.__annotations__) | frozenset(_Common.__annotations__)


def _number(
    lo: float, hi: float, *, integer: bool = False, lo_open: bool = False
) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (integer and not isinstance(value, int))
        ):
            return f"must be {'an integer' if integer else 'a number'}"
        if isinstance(value, float) and not math.isfinite(value):
            return "must be finite"
        if value < lo or value > hi or (lo_open and value == lo):
            return f"must be in {'(' if lo_open else '['}{lo}, {hi}]"
        return None

    return check


def _stop(value: Any) -> str | None:
    if isinstance(value, str):
        return None
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return None if len(value) <= 16 else "takes at most 16 strings"
    return "must be a string or a list of strings"


def _mapping(value: Any) -> str | None:
    return None if isinstance(value, Mapping) else "must be an object"


def _headers(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return "must be an object of header names to strings"
    for name, text in value.items():
        if not isinstance(name, str) or not isinstance(text, str) or any(c in name for c in ":\r\n "):
            return f"has an invalid header {name!r}"
        if "\r" in text or "\n" in text:
            return f"header {name!r} contains a newline"
    return None


def _logit_bias(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return "must map token ids to biases"
    for key, bias in value.items():
        if not str(key).lstrip("-").isdigit() or isinstance(bias, bool) or not isinstance(bias, (int, float)):
            return "must map token ids (integers) to numbers"
        if not -100 <= bias <= 100:
            return "biases must be in [-100, 100]"
    return None


def _response_format(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return "must be an object with a 'type'"
    kind = value.get("type")
    if kind in ("text", "json_object"):
        return None
    if kind == "json_schema":
        spec = value.get("json_schema")
        if not isinstance(spec, Mapping) or not isinstance(spec.get("schema", {}), Mapping):
            return "of type json_schema needs a 'json_schema' object with a 'schema' object"
        if not isinstance(spec.get("name", "response"), str):
            return "json_schema.name must be a string"
        return None
    if kind == "structural_tag":
        return None
    return f"has unknown type {kind!r}; accepted: text, json_object, json_schema, structural_tag"


def _stream_options(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return "must be an object such as {'include_usage': True}"
    if "include_usage" in value and not isinstance(value["include_usage"], bool):
        return "include_usage must be true or false"
    return None


def _tool_choice(value: Any) -> str | None:
    if value in ("none", "auto", "required"):
        return None
    if (
        isinstance(value, Mapping)
        and isinstance(value.get("function"), Mapping)
        and isinstance(value["function"].get("name"), str)
    ):
        return None
    return "must be 'none', 'auto', 'required' or {'type': 'function', 'function': {'name': ...}}"


def _format(value: Any) -> str | None:
    if value == "json" or value == "" or isinstance(value, Mapping):
        return None
    return "must be 'json' or a JSON Schema object"


def _keep_alive(value: Any) -> str | None:
    if isinstance(value, bool):
        return "must be a duration such as '5m', a number of seconds, 0 or -1"
    if isinstance(value, (int, float)):
        return None if math.isfinite(value) else "must be finite"
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if text.lstrip("-").replace(".", "", 1).isdigit() and text not in ("0", "-1"):
            return f"string {text!r} needs a unit (e.g. '5m', '30s'), or pass a number of seconds"
        return None
    return "must be a duration such as '5m', a number of seconds, 0 or -1"


def _think(value: Any) -> str | None:
    return (
        None
        if value in (True, False, "low", "medium", "high", "max")
        else "must be true, false, 'low', 'medium', 'high'"
    )


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _string(value: Any) -> str | None:
    return None if isinstance(value, str) else "must be a string"


def _timeout(value: Any) -> str | None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        return "must be a positive number of seconds"
    return None


def _images(value: Any) -> str | None:
    return (
        None
        if isinstance(value, list) and all(isinstance(i, str) for i in value)
        else "must be a list of base64 strings"
    )


_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "temperature": _number(0, 2),
    "top_p": _number(0, 1),
    "frequency_penalty": _number(-2, 2),
    "presence_penalty": _number(-2, 2),
    "max_tokens": _number(1, 2**31, integer=True),
    "max_completion_tokens": _number(1, 2**31, integer=True),
    "n": _number(1, 128, integer=True),
    "best_of": _number(1, 128, integer=True),
    "seed": _number(-(2**63), 2**64 - 1, integer=True),
    "top_logprobs": _number(-1, 20, integer=True),  # -1: vLLM's "all"; other platforms refuse it
    "dimensions": _number(1, 65536, integer=True),
    "stop": _stop,
    "logit_bias": _logit_bias,
    "response_format": _response_format,
    "stream_options": _stream_options,
    "tool_choice": _tool_choice,
    "extra_headers": _headers,
    "extra_query": _mapping,
    "extra_body": _mapping,
    "options": _mapping,
    "metadata": _mapping,
    "format": _format,
    "keep_alive": _keep_alive,
    "think": _think,
    "parallel_tool_calls": _bool,
    "echo": _bool,
    "truncate": _bool,
    "raw": _bool,
    "store": _bool,
    "user": _string,
    "suffix": _string,
    "system": _string,
    "reasoning_effort": _string,
    "encoding_format": lambda v: None if v in ("float", "base64") else "must be 'float' or 'base64'",
    "timeout": _timeout,
    "images": _images,
}


_sentinels: tuple[type, ...] = ()


def _sentinel_types() -> tuple[type, ...]:
    """The SDK's sentinel classes (``NotGiven``, ``Omit``), or ``()`` while ``openai`` is not imported.

    No value can be one of them before the SDK is imported, so this never imports it; once it is,
    the classes are kept.
    """
    global _sentinels
    if not _sentinels:
        sdk = sys.modules.get("openai")
        found = (getattr(sdk, "NotGiven", None), getattr(sdk, "Omit", None))
        if isinstance(found[0], type) and isinstance(found[1], type):
            _sentinels = (found[0], found[1])
    return _sentinels


def not_given(value: Any) -> bool:
    """True for ``None`` and the OpenAI SDK's "not given" sentinels (``NOT_GIVEN``, ``omit``).

    Code written for the SDK (the Agents SDK, for one) passes them for every unset argument.

    >>> import openai
    >>> [not_given(v) for v in (None, openai.NOT_GIVEN, openai.omit, 0, False)]
    [True, True, True, False, False]
    """
    return value is None or isinstance(value, _sentinel_types())


def check_params(method: str, params: Mapping[str, Any], accepted: frozenset[str]) -> dict[str, Any]:
    """Validate keyword arguments; return those that are set (``None`` means "not given").

    >>> check_params("chat.create", {"temperature": 0.5, "seed": None}, frozenset({"temperature", "seed"}))
    {'temperature': 0.5}
    >>> check_params("chat.completions.create", {"n": 0}, frozenset({"n"}))
    Traceback (most recent call last):
    ...
    openai_compatible_client.errors.InvalidRequestError: chat.completions.create: n=0 must be in [1, 128]
    """
    given: dict[str, Any] = {}
    sentinels = _sentinel_types()
    for name, value in params.items():
        if isinstance(value, sentinels):
            continue  # the SDK's "not given", also for arguments a newer SDK has and we do not
        if name not in accepted:
            raise E.InvalidRequestError(f"{method}() got an unexpected keyword argument {name!r}")
        if not_given(value):
            continue
        check = _CHECKS.get(name)
        problem = check(value) if check is not None else None
        if problem is not None:
            shown = repr(value)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise E.InvalidRequestError(f"{method}: {name}={shown} {problem}")
        given[name] = value
    return given
