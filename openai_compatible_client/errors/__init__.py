"""Exceptions raised by the client.

Every error subclasses the OpenAI SDK's exception of the same meaning, so code that catches
``openai.NotFoundError`` or ``openai.APIError`` keeps working, and every error is also an
:class:`OpenAICompatibleError`::

    openai.OpenAIError
     ├── OpenAICompatibleError                  (marker base of everything raised here)
     │    ├── ConfigurationError (ValueError)    invalid client settings
     │    └── UnsupportedEndpointError           a method the client's platform does not have
     └── openai.APIError
          ├── APIError                           a server error with no HTTP status (mid-stream error)
          ├── IncompleteStreamError              a stream that ended before its terminator
          ├── APIResponseValidationError         a body that is not what the route promises
          ├── openai.APIConnectionError
          │    ├── APIConnectionError            the server could not be reached
          │    └── openai.APITimeoutError
          │         └── APITimeoutError          no answer within the timeout
          └── openai.APIStatusError
               ├── BadRequestError (400), AuthenticationError (401), PermissionDeniedError (403),
               │    └── InvalidRequestError (400, ValueError)   a call refused locally, before any I/O
               │         └── UnsupportedParameterError     a parameter the platform cannot honour
               ├── NotFoundError (404), ConflictError (409), UnprocessableEntityError (422),
               ├── RateLimitError (429), InternalServerError (>= 500)
               └── APIStatusError                 any other status

The classes are defined in :mod:`openai_compatible_client.errors._classes` and loaded on first
use (``from openai_compatible_client.errors import NotFoundError`` or ``errors.NotFoundError``),
so importing this module does not import ``openai``: a command that raises nothing never pays for
the SDK's import. Loaded either way, each is the one class object, named
``openai_compatible_client.errors.<name>``.

Server errors are built by one function, :func:`error_from_response`, which understands vLLM's
current ``{"error": {...}}`` body, its older flat ``{"object": "error", ...}`` body and Ollama's
``{"error": "..."}``, and names the platform, the endpoint, the server's text and the fix.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import openai

    from openai_compatible_client.errors._classes import (
        APIConnectionError as APIConnectionError,
    )
    from openai_compatible_client.errors._classes import APIError as APIError
    from openai_compatible_client.errors._classes import (
        APIResponseValidationError as APIResponseValidationError,
    )
    from openai_compatible_client.errors._classes import APIStatusError as APIStatusError
    from openai_compatible_client.errors._classes import APITimeoutError as APITimeoutError
    from openai_compatible_client.errors._classes import (
        AuthenticationError as AuthenticationError,
    )
    from openai_compatible_client.errors._classes import BadRequestError as BadRequestError
    from openai_compatible_client.errors._classes import ConfigurationError as ConfigurationError
    from openai_compatible_client.errors._classes import ConflictError as ConflictError
    from openai_compatible_client.errors._classes import (
        IncompleteStreamError as IncompleteStreamError,
    )
    from openai_compatible_client.errors._classes import (
        InternalServerError as InternalServerError,
    )
    from openai_compatible_client.errors._classes import (
        InvalidRequestError as InvalidRequestError,
    )
    from openai_compatible_client.errors._classes import NotFoundError as NotFoundError
    from openai_compatible_client.errors._classes import (
        OpenAICompatibleError as OpenAICompatibleError,
    )
    from openai_compatible_client.errors._classes import (
        PermissionDeniedError as PermissionDeniedError,
    )
    from openai_compatible_client.errors._classes import RateLimitError as RateLimitError
    from openai_compatible_client.errors._classes import (
        UnprocessableEntityError as UnprocessableEntityError,
    )
    from openai_compatible_client.errors._classes import (
        UnsupportedEndpointError as UnsupportedEndpointError,
    )
    from openai_compatible_client.errors._classes import (
        UnsupportedParameterError as UnsupportedParameterError,
    )

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "IncompleteStreamError",
    "InternalServerError",
    "InvalidRequestError",
    "NotFoundError",
    "OpenAICompatibleError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "UnsupportedEndpointError",
    "UnsupportedParameterError",
    "error_from_response",
    "server_message",
    "set_hints",
    "set_hints_loader",
]


# The exception classes: every public class name of ``_classes``, loaded on first access.
_CLASSES = frozenset(name for name in __all__ if name[0].isupper())

# The URL of the synthetic request carried by a local refusal (the ".invalid" TLD never resolves).
NOT_SENT_URL = "http://request-not-sent.invalid/"

if not TYPE_CHECKING:  # for the type checker the names are the imports above

    def __getattr__(name: str) -> Any:
        """Load the exception classes on first access (PEP 562); they import ``openai``."""
        if name not in _CLASSES:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        classes = importlib.import_module(f"{__name__}._classes")
        namespace = globals()
        for each in _CLASSES:
            namespace[each] = getattr(classes, each)
        return namespace[name]

    def __dir__() -> list[str]:
        return sorted({*globals(), *_CLASSES})


def classes_loaded() -> bool:
    """Whether the exception classes (and with them ``openai``) have been imported."""
    return f"{__name__}._classes" in sys.modules


_HINTS: dict[str, Mapping[int, str]] = {}
_START: dict[str, str] = {}
_hints_loader: Callable[[str], object] | None = None


def set_hints(platform: str, hints: Mapping[int, str], start: str | None) -> None:
    """Set a platform's fix hints per HTTP status, and how to start its server (the registry calls this)."""
    _HINTS[platform] = dict(hints)
    if start:
        _START[platform] = start
    else:
        _START.pop(platform, None)


def set_hints_loader(load: Callable[[str], object]) -> None:
    """Set how to load a platform whose hints are not set yet (the registry loads platforms on first use)."""
    global _hints_loader
    _hints_loader = load


def _hints(platform: str) -> tuple[Mapping[int, str], str]:
    """A platform's fix hints per HTTP status, and how to start its server."""
    if platform not in _HINTS and _hints_loader is not None:
        _hints_loader(platform)
    return _HINTS.get(platform, {}), _START.get(platform, "check that the server is running")


_FIM_HINT = "suffix= needs a fill-in-the-middle model (an insert template); use one, or leave suffix= out"
# Server texts that name a parameter the model cannot take: the fix does not depend on the platform.
_TEXT_HINTS: tuple[tuple[str, str], ...] = (
    ("does not support insert", _FIM_HINT),
    ("suffix is only supported", _FIM_HINT),
    ("suffix is not currently supported", _FIM_HINT),
)


def server_message(body: object) -> str | None:
    """Extract the server's error text from any of the known error body shapes.

    >>> server_message({"error": {"message": "bad", "type": "BadRequestError", "code": 400}})
    'bad'
    >>> server_message({"object": "error", "message": "old style", "code": 400})
    'old style'
    >>> server_message({"error": "model 'x' not found"})
    "model 'x' not found"
    >>> server_message({"detail": [{"msg": "field required", "loc": ["body", "model"]}]})
    'body.model: field required'
    >>> server_message("plain text") is None
    True
    """
    if not isinstance(body, Mapping):
        return None
    error = body.get("error")
    if isinstance(error, str):
        return error
    if isinstance(error, Mapping) and isinstance(error.get("message"), str):
        return str(error["message"])
    if isinstance(body.get("message"), str):
        return str(body["message"])
    detail = body.get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, Mapping):
                loc = ".".join(str(p) for p in item.get("loc", ()) if p is not None)
                parts.append(f"{loc}: {item.get('msg', '')}" if loc else str(item.get("msg", "")))
        return "; ".join(parts) or None
    return None


def parse_body(content: bytes) -> object:
    """Decode an error body as JSON when it is JSON, else as (lossy) text."""
    text = content.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


@functools.cache
def sdk_http() -> ModuleType:
    """The HTTP library whose requests and responses the installed openai's exceptions carry.

    openai 2.x uses ``httpx``; openai 3.x moved to ``httpx2``. Building ours with the same
    library keeps ``e.response`` exactly the type the SDK's own errors carry.
    """
    import openai

    major = int(str(openai.__version__).split(".", 1)[0])
    return importlib.import_module("httpx2" if major >= 3 else "httpx")


def build_request(method: str, url: str) -> Any:
    """The request object the OpenAI exception constructors require (no secrets in it)."""
    return sdk_http().Request(method, url)


def build_response(
    status: int, *, request: Any, content: bytes = b"", headers: Mapping[str, str] | None = None
) -> Any:
    """A response object of the SDK's HTTP library (``httpx.Response`` or ``httpx2.Response``)."""
    return sdk_http().Response(status, headers=dict(headers or {}), content=content, request=request)


def _locate(error: Any, platform: str | None, endpoint: str | None) -> Any:
    error.platform = platform
    error.endpoint = endpoint
    return error


def error_from_response(
    *,
    platform: str,
    endpoint: str,
    url: str,
    status: int,
    content: bytes,
    headers: Mapping[str, str] | None = None,
) -> openai.APIStatusError:
    """Build the typed exception for an HTTP error answer.

    Args:
        platform: ``"vllm"``, ``"ollama"`` or another registered platform.
        endpoint: The route as ``"METHOD /path"``, named in the message.
        url: The full URL that was requested (no credentials in it).
        status: The HTTP status code.
        content: The raw response body.
        headers: The response headers (kept on the exception's response).

    Returns:
        An instance of the status's class (``NotFoundError`` for 404 ...), whose message reads
        ``"<platform> <endpoint> -> <status>: <server text>. Fix: <hint>"``.
    """
    body = parse_body(content)
    text = server_message(body)
    if text is None:
        raw = body if isinstance(body, str) else json.dumps(body)[:500]
        text = _summarise_text(raw) or httpx.codes.get_reason_phrase(status) or "error"
    method = endpoint.split(" ", 1)[0]
    request = build_request(method, url)
    response = build_response(status, request=request, content=content, headers=headers)
    message = f"{platform} {endpoint} -> {status}: {text}"
    text_hint = next((fix for needle, fix in _TEXT_HINTS if needle in text), None)
    hint = text_hint or _hints(platform)[0].get(status)
    if hint:
        message = f"{message.rstrip('.')}. Fix: {hint}"
    from openai_compatible_client.errors._classes import (
        _STATUS_CLASSES,
        APIStatusError,
        InternalServerError,
    )

    cls = _STATUS_CLASSES.get(status)
    if cls is None:
        cls = InternalServerError if status >= 500 else APIStatusError
    error_body = body.get("error", body) if isinstance(body, Mapping) else body
    return _locate(cls(message, response=response, body=error_body), platform, endpoint)  # type: ignore[no-any-return]


def _summarise_text(raw: str) -> str:
    """Shorten a non-JSON body (a proxy's HTML error page) to one readable line."""
    flat = " ".join(raw.split())
    if flat.lower().startswith(("<!doctype", "<html")):
        return f"non-JSON (HTML) answer: {flat[:200]}"
    return flat[:500]


def stream_error(*, platform: str, endpoint: str, url: str, payload: object) -> openai.APIError:
    """Build the exception for an error that arrived inside a stream (SSE event or NDJSON line).

    When the payload carries an HTTP-like ``code`` the status class is used; otherwise
    :class:`APIError`.
    """
    text = server_message(payload) or json.dumps(payload, default=str)[:500]
    error = payload.get("error") if isinstance(payload, Mapping) else None
    code = error.get("code") if isinstance(error, Mapping) else None
    if isinstance(code, int) and 400 <= code < 600:
        return error_from_response(
            platform=platform,
            endpoint=endpoint,
            url=url,
            status=code,
            content=json.dumps(payload, default=str).encode(),
        )
    from openai_compatible_client.errors._classes import APIError

    request = build_request(endpoint.split(" ", 1)[0], url)
    message = f"{platform} {endpoint} -> error inside the stream: {text}"
    body = error if error is not None else payload
    return _locate(APIError(message, request, body=body), platform, endpoint)  # type: ignore[no-any-return]


def connection_error(
    *, platform: str, endpoint: str, url: str, reason: str, answered: bool = False
) -> APIConnectionError:
    """Build the exception for a server that could not be reached, with how to start it.

    With ``answered=True`` the server had started answering and the connection broke mid-body.
    """
    if answered:
        message = (
            f"{platform} {endpoint}: the connection to {url} broke before the answer was complete "
            f"({reason}). Fix: check the server's log (a restart or crash?) and any proxy between"
        )
    else:
        start = _hints(platform)[1]
        message = (
            f"{platform} {endpoint}: cannot connect to {url} ({reason}). Fix: {start}, or check base_url"
        )
    from openai_compatible_client.errors._classes import APIConnectionError

    return _locate(  # type: ignore[no-any-return]
        APIConnectionError(message=message, request=build_request(endpoint.split(" ", 1)[0], url)),
        platform,
        endpoint,
    )


def timeout_error(*, platform: str, endpoint: str, url: str, timeout: float | None) -> APITimeoutError:
    """Build the exception for a request that got no answer in time."""
    from openai_compatible_client.errors._classes import APITimeoutError

    message = f"{platform} {endpoint}: no answer from {url} within {timeout} s. Fix: raise timeout="
    return _locate(  # type: ignore[no-any-return]
        APITimeoutError(build_request(endpoint.split(" ", 1)[0], url), message), platform, endpoint
    )


def incomplete_stream(
    *, platform: str, endpoint: str, url: str, items: int, reason: str
) -> IncompleteStreamError:
    """Build the exception for a stream that ended before its terminator."""
    from openai_compatible_client.errors._classes import IncompleteStreamError

    message = (
        f"{platform} {endpoint}: the stream ended after {items} item(s) without its terminator "
        f"({reason}); the answer is incomplete"
    )
    error = IncompleteStreamError(message, build_request(endpoint.split(" ", 1)[0], url), body=None)
    error.items_received = items
    return _locate(error, platform, endpoint)  # type: ignore[no-any-return]


def invalid_response(
    *, platform: str, endpoint: str, url: str, status: int, content: bytes, reason: str
) -> APIResponseValidationError:
    """Build the exception for a body that cannot be what the route promises."""
    from openai_compatible_client.errors._classes import APIResponseValidationError

    request = build_request(endpoint.split(" ", 1)[0], url)
    response = build_response(status, request=request, content=content)
    snippet = _summarise_text(content[:300].decode("utf-8", errors="replace"))
    message = f"{platform} {endpoint} -> {status}: invalid response ({reason}): {snippet}"
    return _locate(  # type: ignore[no-any-return]
        APIResponseValidationError(response, parse_body(content[:4096]), message=message), platform, endpoint
    )
