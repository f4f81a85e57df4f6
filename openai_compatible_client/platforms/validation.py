"""Local checks shared by the platform adapters, before and after the wire.

Before: model names and blob digests are refused with
:class:`~openai_compatible_client.errors.InvalidRequestError` when they are malformed or would
change the request's URL (``../``, ``?``, ``#``, whitespace, NUL), and request models are
built with their validation errors turned into the same error. After: a reply is parsed into
its typed response model, and a body that does not fit becomes
:class:`~openai_compatible_client.errors.APIResponseValidationError`, never a raw pydantic
``ValidationError`` or ``KeyError``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from openai_compatible_client import errors as E
from openai_compatible_client.transport.http import Call, Reply

__all__ = [
    "build_body",
    "check_digest",
    "check_model",
    "check_optional_model",
    "item_parser",
    "reply_parser",
]

ModelT = TypeVar("ModelT", bound=BaseModel)

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_FORBIDDEN = {"?": "a '?'", "#": "a '#'", "\\": "a backslash", "%": "a '%'"}


def check_model(name: str, *, field: str = "model", allow_slash: bool = True) -> str:
    """Refuse a model name that is empty or would alter a URL; return it unchanged.

    Args:
        name: The model name, e.g. ``"llama3.2"``, ``"library/llama3.2:latest"``,
            ``"meta-llama/Llama-3.2-1B-Instruct"``.
        field: The parameter's name, used in the message.
        allow_slash: Whether ``/`` may separate namespace parts.

    Returns:
        The name, unchanged.

    Raises:
        InvalidRequestError: For an empty name, whitespace or control characters, ``?``, ``#``,
            ``%``, a backslash, ``.``/``..`` segments, or a leading/trailing/double ``/``.

    >>> check_model("library/llama3.2:latest")
    'library/llama3.2:latest'
    >>> check_model("../api/delete")
    Traceback (most recent call last):
    ...
    openai_compatible_client.errors.InvalidRequestError: invalid model '../api/delete': \
a '..' path segment is not allowed in a model name
    """
    if not isinstance(name, str):
        raise E.InvalidRequestError(f"{field} must be a string, got {type(name).__name__}")
    problem = _name_problem(name, allow_slash=allow_slash)
    if problem:
        raise E.InvalidRequestError(f"invalid {field} {name!r}: {problem}")
    return name


def check_optional_model(name: str | None, *, field: str = "model") -> str | None:
    """:func:`check_model` for a name that may be omitted (vLLM then uses its base model)."""
    return None if name is None else check_model(name, field=field)


def _name_problem(name: str, *, allow_slash: bool) -> str | None:
    if not name:
        return "the name is empty"
    if any(ch.isspace() for ch in name):
        return "whitespace is not allowed in a model name"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "control characters (such as NUL) are not allowed in a model name"
    for char, label in _FORBIDDEN.items():
        if char in name:
            return f"{label} is not allowed in a model name"
    if "/" in name:
        if not allow_slash:
            return "a '/' is not allowed here"
        parts = name.split("/")
        if any(part == "" for part in parts):
            return "empty path segments ('//', or a leading or trailing '/') are not allowed"
        if any(part in (".", "..") for part in parts):
            return "a '..' path segment is not allowed in a model name"
    elif name in (".", ".."):
        return "a '..' path segment is not allowed in a model name"
    return None


def check_digest(digest: str) -> str:
    """Refuse a blob digest that is not ``sha256:`` followed by 64 lowercase hex digits.

    The digest becomes part of the URL path (``/api/blobs/<digest>``), so nothing else may pass.

    >>> check_digest("sha256:" + "ab" * 32) == "sha256:" + "ab" * 32
    True
    >>> check_digest("sha256:../../api/delete")
    Traceback (most recent call last):
    ...
    openai_compatible_client.errors.InvalidRequestError: invalid digest 'sha256:../../api/delete': \
expected 'sha256:' followed by 64 lowercase hex digits
    """
    if not isinstance(digest, str) or _DIGEST.fullmatch(digest) is None:
        hint = ""
        if isinstance(digest, str) and _DIGEST.fullmatch(digest.lower().replace("sha256-", "sha256:", 1)):
            hint = f" (write it as {digest.lower().replace('sha256-', 'sha256:', 1)!r})"
        raise E.InvalidRequestError(
            f"invalid digest {digest!r}: expected 'sha256:' followed by 64 lowercase hex digits{hint}"
        )
    return digest


def build_body(
    model_cls: type[BaseModel], *, extra_body: Mapping[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    """Validate a request with its pydantic model and dump it with ``exclude_none=True``.

    ``extra_body`` is laid over the dumped body key by key (the caller's extras win), as the
    OpenAI SDK does. A field that fails validation raises ``InvalidRequestError`` naming it.
    """
    try:
        request = model_cls.model_validate(fields)
    except ValidationError as exc:
        raise E.InvalidRequestError(_describe(exc, model_cls.__name__)) from None
    body = request.model_dump(mode="json", exclude_none=True, by_alias=True)
    if extra_body:
        body.update(extra_body)
    return body


def _describe(exc: ValidationError, what: str) -> str:
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error.get("loc", ())) or what
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return f"invalid {what}: " + "; ".join(parts)


def reply_parser(
    model_cls: type[ModelT], *, empty: Mapping[str, Any] | None = None
) -> Callable[[Reply], ModelT]:
    """A parser turning a reply's JSON body into ``model_cls``.

    Args:
        model_cls: The response model.
        empty: What an empty body stands for (Ollama answers copy/delete with 200 and no body);
            without it an empty body is invalid.
    """

    def parse(reply: Reply) -> ModelT:
        if empty is not None and not reply.content.strip():
            data: Any = dict(empty)
        else:
            data = reply.json()
        try:
            return model_cls.model_validate(data)
        except ValidationError as exc:
            raise E.invalid_response(
                platform=reply.call.platform,
                endpoint=reply.call.endpoint,
                url=reply.url,
                status=reply.status,
                content=reply.content,
                reason=_describe(exc, model_cls.__name__),
            ) from None

    parse.__annotations__["return"] = model_cls.__name__
    return parse


def item_parser(model_cls: type[ModelT], call: Call, url: str) -> Callable[[Any], ModelT]:
    """A parser turning one decoded stream item (an NDJSON line, an SSE event) into ``model_cls``."""

    def parse(item: Any) -> ModelT:
        try:
            return model_cls.model_validate(item)
        except ValidationError as exc:
            raise E.invalid_response(
                platform=call.platform,
                endpoint=call.endpoint,
                url=url,
                status=200,
                content=repr(item)[:500].encode(),
                reason=_describe(exc, model_cls.__name__),
            ) from None

    return parse
