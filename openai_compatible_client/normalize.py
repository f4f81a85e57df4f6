"""OpenAI-shaped payloads -> genuine ``openai.types`` objects, and ``n`` answers merged into one.

OpenAI-style servers answer in OpenAI's shapes: their payloads are validated into the SDK's
types (extra fields such as ``reasoning`` survive as attributes, as in the SDK). A platform
with native payloads (Ollama) maps them in its own ``inference`` module, with the helpers here
(:func:`validate`, :func:`as_object`, :func:`as_text`, :func:`as_count`).
"""

from __future__ import annotations

import base64
import functools
import struct
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

import pydantic

if TYPE_CHECKING:
    from openai.types import Completion, CreateEmbeddingResponse, Model
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

__all__ = [
    "BadPayload",
    "as_base64",
    "as_count",
    "as_object",
    "as_text",
    "merge_choices",
    "sdk_types",
    "to_chat_chunk",
    "to_chat_completion",
    "to_completion",
    "to_completion_chunk",
    "to_embeddings",
    "validate",
]


class SDKTypes(NamedTuple):
    """The OpenAI SDK's answer classes (see :func:`sdk_types`)."""

    chat_completion: type[ChatCompletion]
    chat_chunk: type[ChatCompletionChunk]
    completion: type[Completion]
    embeddings: type[CreateEmbeddingResponse]
    model: type[Model]


@functools.cache
def sdk_types() -> SDKTypes:
    """The OpenAI SDK's answer classes, imported on the first answer that needs one.

    Importing ``openai`` takes about half a second; commands that build no such answer (``occ
    models list``) never pay for it.
    """
    from openai.types import Completion, CreateEmbeddingResponse, Model
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

    return SDKTypes(ChatCompletion, ChatCompletionChunk, Completion, CreateEmbeddingResponse, Model)


M = TypeVar("M", bound=pydantic.BaseModel)
_OPEN_LITERALS = frozenset({"finish_reason", "role", "object", "type", "service_tier"})


class BadPayload(ValueError):
    """A server payload that cannot be what the route promises (turned into a typed API error)."""


def validate(model: type[M], payload: Any) -> M:
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


def to_chat_completion(payload: Any) -> ChatCompletion:
    """An OpenAI-shaped chat answer as ``ChatCompletion`` (reasoning under both names)."""
    if isinstance(payload, dict):
        _alias_choices(payload, "message")
    return validate(sdk_types().chat_completion, payload)


def to_chat_chunk(payload: Any) -> ChatCompletionChunk:
    """An OpenAI-shaped SSE event as ``ChatCompletionChunk``."""
    if isinstance(payload, dict):
        _alias_choices(payload, "delta")
    return validate(sdk_types().chat_chunk, payload)


def to_completion(payload: Any) -> Completion:
    """An OpenAI-shaped text-completion answer as ``Completion``."""
    return validate(sdk_types().completion, payload)


def to_completion_chunk(payload: Any) -> Completion:
    """An OpenAI-shaped completions SSE event as ``Completion`` (the SDK's stream item type)."""
    return validate(sdk_types().completion, payload)


def to_embeddings(payload: Any) -> CreateEmbeddingResponse:
    """An OpenAI-shaped embeddings answer as ``CreateEmbeddingResponse``."""
    body = as_object(payload)
    data = body.get("data")
    if (
        isinstance(data, list)
        and data
        and all(isinstance(item, dict) and isinstance(item.get("embedding"), str) for item in data)
    ):
        # encoding_format="base64": the vectors stay base64 strings, as the OpenAI SDK leaves them.
        from openai._models import construct_type

        embeddings = sdk_types().embeddings
        return cast("CreateEmbeddingResponse", construct_type(type_=embeddings, value=body))
    return validate(sdk_types().embeddings, body)


def float32_base64(vector: list[float]) -> str:
    """A vector as OpenAI's ``encoding_format="base64"`` sends it: little-endian float32, base64.

    >>> float32_base64([1.0, -0.5])
    'AACAPwAAAL8='
    """
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def as_base64(response: CreateEmbeddingResponse) -> CreateEmbeddingResponse:
    """Float embeddings as the base64 strings the OpenAI SDK returns for ``encoding_format="base64"``
    (for a server that only answers floats)."""
    from openai._models import construct_type

    payload = response.model_dump()
    for item in payload["data"]:
        try:
            item["embedding"] = float32_base64(item["embedding"])
        except (OverflowError, struct.error, TypeError) as exc:
            raise BadPayload(f"an embedding does not fit float32: {exc}") from None
    return cast("CreateEmbeddingResponse", construct_type(type_=sdk_types().embeddings, value=payload))


def merge_choices(answers: list[Any]) -> Any:
    """Merge ``n`` single-choice answers (a platform without ``n``) into one with ``n`` choices."""
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


def as_object(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else :class:`BadPayload`."""
    if not isinstance(value, dict):
        raise BadPayload(f"expected a JSON object, got {type(value).__name__}")
    return value


def as_text(value: Any) -> str:
    """``value`` if it is a string (``None`` -> ``""``), else :class:`BadPayload`."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadPayload(f"expected a string, got {type(value).__name__}")
    return value


def as_count(value: Any) -> int:
    """A non-negative integer count, else 0."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return 0
    return value
