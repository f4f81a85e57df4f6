"""Ollama's option map: every OpenAI parameter and where it lands on ``/api/chat`` and ``/api/generate``.

LiteLLM's ``ollama_chat``/``ollama`` transformations build the body; the rules here correct it
where Ollama reads a value differently (Ollama's own ``/v1`` layer, ``openai/openai.go``, is the
reference), and check ``options`` the way Ollama's ``api.Options.FromMap`` will, before any I/O.
The answer side turns Ollama's log probabilities into the OpenAI SDK's shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openai_compatible_client import errors as E

__all__ = [
    "CHAT_WIRE",
    "COMPLETION_WIRE",
    "chat_logprobs",
    "check_options",
    "completion_logprobs",
    "logprob_fields",
    "seeded_copies",
    "stop_list",
    "think_from_effort",
]

_SAMPLING = {
    "max_tokens": "options.num_predict",
    "max_completion_tokens": "options.num_predict",
    "temperature": "options.temperature",
    "top_p": "options.top_p",
    "seed": "options.seed (copies of n > 1 get seed + i)",
    "stop": "options.stop (a string becomes a one-item list)",
    "frequency_penalty": "options.frequency_penalty",
    "presence_penalty": "options.presence_penalty",
    "response_format": "format (json_object -> 'json', json_schema -> the schema)",
    "n": "n parallel requests merged into one answer",
    "stream_options": "a final usage chunk, made locally",
    "user": "not sent (metadata)",
    "options": "options (merged over the client's defaults)",
    "format": "format",
    "keep_alive": "keep_alive",
    "think": "think",
}

#: Every ``chat.completions.create`` parameter this platform honours -> where it lands.
CHAT_WIRE: Mapping[str, str] = {
    **_SAMPLING,
    "tools": "tools",
    "reasoning_effort": "think (none -> false, minimal -> 'low', xhigh -> 'max')",
    "logprobs": "logprobs",
    "top_logprobs": "top_logprobs",
    "prompt_cache_key": "not sent (metadata)",
    "safety_identifier": "not sent (metadata)",
    "verbosity": "not sent (metadata)",
}

#: Every ``completions.create`` parameter this platform honours -> where it lands.
COMPLETION_WIRE: Mapping[str, str] = {
    **_SAMPLING,
    "logprobs": "logprobs: true, top_logprobs: N",
    "suffix": "suffix (the server refuses it for a model without an insert template)",
    "system": "system",
    "raw": "raw",
    "images": "images",
}

# The Go kind of each field of Ollama's ``api.Options`` (``api/types.go``); unknown keys are ignored.
_OPTION_KINDS = {
    **dict.fromkeys(
        (
            "num_ctx",
            "num_batch",
            "num_gpu",
            "main_gpu",
            "num_thread",
            "draft_num_predict",
            "num_keep",
            "seed",
            "num_predict",
            "top_k",
            "repeat_last_n",
        ),
        "integer",
    ),
    **dict.fromkeys(
        (
            "top_p",
            "min_p",
            "typical_p",
            "temperature",
            "repeat_penalty",
            "presence_penalty",
            "frequency_penalty",
        ),
        "float32",
    ),
    "use_mmap": "boolean",
    "stop": "array",
}

# openai/openai.go thinkFromReasoningEffort: OpenAI's scale clamped to Ollama's tiers.
_EFFORT_TO_THINK: dict[str, bool | str] = {
    "none": False,
    "minimal": "low",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "max": "max",
    "xhigh": "max",
    "ultra": "max",
}


def stop_list(value: Any) -> Any:
    """A string ``stop`` as the one-item list Ollama requires (its ``/v1`` layer does the same).

    >>> stop_list("END"), stop_list(["a", "b"]), stop_list(None)
    (['END'], ['a', 'b'], None)
    """
    return [value] if isinstance(value, str) else value


def check_options(method: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with ``stop`` as a list, refused here when Ollama's ``FromMap`` would refuse it.

    >>> check_options("chat", {"stop": "x", "num_ctx": 4096.0})
    {'stop': ['x'], 'num_ctx': 4096.0}
    >>> check_options("chat", {"num_predict": "8"})
    Traceback (most recent call last):
    ...
    openai_compatible_client.errors.InvalidRequestError: chat: option "num_predict" must be of type integer
    """
    checked = dict(options)
    if "stop" in checked:
        checked["stop"] = stop_list(checked["stop"])
    for key, value in checked.items():
        kind = _OPTION_KINDS.get(key)
        if kind is None or value is None:
            continue
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if kind == "array" and isinstance(value, list):
            if not all(isinstance(item, str) for item in value):
                raise E.InvalidRequestError(f'{method}: option "{key}" must be of an array of strings')
            continue
        ok = {"integer": number, "float32": number, "boolean": isinstance(value, bool)}.get(kind, False)
        if not ok:
            raise E.InvalidRequestError(f'{method}: option "{key}" must be of type {kind}')
    return checked


def think_from_effort(method: str, effort: Any) -> bool | str:
    """Ollama's ``think`` for an OpenAI ``reasoning_effort``.

    >>> [think_from_effort("m", e) for e in ("none", "minimal", "high", "xhigh")]
    [False, 'low', 'high', 'max']
    """
    think = _EFFORT_TO_THINK.get(effort) if isinstance(effort, str) else None
    if think is None:
        raise E.InvalidRequestError(
            f'{method}: invalid reasoning value: "{effort}" (must be "minimal", "low", "medium", '
            '"high", "xhigh", "ultra", "max", or "none")'
        )
    return think


def _count(method: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise E.InvalidRequestError(
            f"{method}: {name} must be a whole number in [0, 20] on ollama, not {value!r}"
        )
    return value


def logprob_fields(method: str, kind: str, given: dict[str, Any]) -> dict[str, Any]:
    """Pop ``logprobs``/``top_logprobs`` from ``given``; return Ollama's top-level fields for them.

    Chat: ``logprobs=True, top_logprobs=N``; completions: ``logprobs=N`` (OpenAI's legacy form).
    """
    logprobs = given.pop("logprobs", None)
    top = given.pop("top_logprobs", None)
    if kind == "completion":
        return (
            {}
            if logprobs is None
            else {"logprobs": True, "top_logprobs": _count(method, "logprobs", logprobs)}
        )
    if top is not None and not logprobs:
        raise E.InvalidRequestError(f"{method}: top_logprobs needs logprobs=True")
    if top is not None:
        _count(method, "top_logprobs", top)
    fields: dict[str, Any] = {"logprobs": True} if logprobs else {}
    if logprobs and top:
        fields["top_logprobs"] = top
    return fields


def seeded_copies(body: Mapping[str, Any], copies: int) -> list[dict[str, Any]]:
    """``copies`` bodies for ``n`` parallel requests; with a seed, copy ``i`` gets ``seed + i``.

    >>> [b["options"]["seed"] for b in seeded_copies({"options": {"seed": 7}}, 3)]
    [7, 8, 9]
    """
    options = body.get("options")
    seed = options.get("seed") if isinstance(options, Mapping) else None
    if not isinstance(seed, int) or isinstance(seed, bool):
        return [dict(body) for _ in range(copies)]
    return [{**body, "options": {**options, "seed": seed + i}} for i in range(copies)]  # type: ignore[dict-item]


def _entry(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValueError("a logprobs entry must be an object")
    entry = dict(item)
    entry.setdefault("bytes", None)
    entry["top_logprobs"] = [dict(alt, bytes=alt.get("bytes")) for alt in entry.get("top_logprobs") or ()]
    return entry


def chat_logprobs(value: Any) -> dict[str, Any] | None:
    """Ollama's ``logprobs`` list as a chat choice's ``logprobs`` (``{"content": [...]}``)."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError("logprobs must be a list")
    return {"content": [_entry(item) for item in value]}


def completion_logprobs(value: Any, offset: int = 0) -> dict[str, Any] | None:
    """Ollama's ``logprobs`` list in the legacy completions shape (``tokens``, ``token_logprobs``...).

    >>> hi = {"token": "Hi", "logprob": -0.5}
    >>> completion_logprobs([{**hi, "top_logprobs": [hi]}])
    {'tokens': ['Hi'], 'token_logprobs': [-0.5], 'top_logprobs': [{'Hi': -0.5}], 'text_offset': [0]}
    """
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError("logprobs must be a list")
    tokens: list[str] = []
    token_logprobs: list[float] = []
    tops: list[dict[str, float]] = []
    offsets: list[int] = []
    for item in value:
        entry = _entry(item)
        token = entry.get("token")
        if not isinstance(token, str):
            raise ValueError("a logprobs entry needs a token")
        offsets.append(offset)
        offset += len(token)
        tokens.append(token)
        token_logprobs.append(entry.get("logprob"))  # type: ignore[arg-type]
        tops.append({alt.get("token"): alt.get("logprob") for alt in entry["top_logprobs"]})
    return {"tokens": tokens, "token_logprobs": token_logprobs, "top_logprobs": tops, "text_offset": offsets}
