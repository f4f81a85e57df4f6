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

Server errors are built by one function, :func:`error_from_response`, which understands vLLM's
current ``{"error": {...}}`` body, its older flat ``{"object": "error", ...}`` body and Ollama's
``{"error": "..."}``, and names the platform, the endpoint, the server's text and the fix.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import httpx
import openai

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
]


class OpenAICompatibleError(openai.OpenAIError):
    """Base class of every exception this library raises."""


class ConfigurationError(OpenAICompatibleError, ValueError):
    """The client's settings are invalid (raised at construction)."""


class UnsupportedEndpointError(OpenAICompatibleError, NotImplementedError):
    """A method that exists only on another platform (e.g. ``models.pull`` on a vLLM client).

    Attributes:
        method: The method called, e.g. ``"models.pull"``.
        platform: The client's platform.
        available_on: The platforms that have the method.
    """

    def __init__(self, method: str, *, platform: str, available_on: tuple[str, ...]) -> None:
        where = " or ".join(available_on) if available_on else "no registered platform"
        super().__init__(
            f"{method}() is not available on {_article(platform)} {platform!r} client: it exists on {where}. "
            f"Fix: construct the client with platform={available_on[0]!r} for a server of that kind."
            if available_on
            else f"{method}() is not available on {_article(platform)} {platform!r} client ({where} has it)."
        )
        self.method = method
        self.platform = platform
        self.available_on = available_on


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


class _Located:
    """Mixin: where an error happened (platform and endpoint such as ``"POST /api/chat"``)."""

    platform: str | None = None
    endpoint: str | None = None


class APIError(openai.APIError, OpenAICompatibleError, _Located):
    """A server error without an HTTP status, such as an error event inside a stream."""


class IncompleteStreamError(openai.APIError, OpenAICompatibleError, _Located):
    """A stream that stopped before its terminator (``data: [DONE]`` or ``"done": true``).

    Attributes:
        items_received: How many items the stream had yielded before it broke.
    """

    items_received: int = 0


class APIResponseValidationError(openai.APIResponseValidationError, OpenAICompatibleError, _Located):
    """The server answered with a body that is not what the route promises (HTML, bad JSON...)."""


class APIConnectionError(openai.APIConnectionError, OpenAICompatibleError, _Located):
    """The server could not be reached, or the connection broke before an answer."""


class APITimeoutError(openai.APITimeoutError, OpenAICompatibleError, _Located):
    """The server did not answer within the timeout."""

    def __init__(self, request: Any, message: str = "Request timed out.") -> None:
        super().__init__(request)
        self.message = message
        self.args = (message,)


class APIStatusError(openai.APIStatusError, OpenAICompatibleError, _Located):
    """An error status without a more specific class."""


class BadRequestError(openai.BadRequestError, OpenAICompatibleError, _Located):
    """HTTP 400: the server refused the request."""


class AuthenticationError(openai.AuthenticationError, OpenAICompatibleError, _Located):
    """HTTP 401: missing or wrong API key."""


class PermissionDeniedError(openai.PermissionDeniedError, OpenAICompatibleError, _Located):
    """HTTP 403."""


class NotFoundError(openai.NotFoundError, OpenAICompatibleError, _Located):
    """HTTP 404: unknown model or route."""


class ConflictError(openai.ConflictError, OpenAICompatibleError, _Located):
    """HTTP 409."""


class UnprocessableEntityError(openai.UnprocessableEntityError, OpenAICompatibleError, _Located):
    """HTTP 422: the body did not validate on the server."""


class RateLimitError(openai.RateLimitError, OpenAICompatibleError, _Located):
    """HTTP 429: too many requests."""


class InternalServerError(openai.InternalServerError, OpenAICompatibleError, _Located):
    """HTTP 5xx."""


# The URL of the synthetic request carried by a local refusal (the ".invalid" TLD never resolves).
NOT_SENT_URL = "http://request-not-sent.invalid/"


class InvalidRequestError(BadRequestError, ValueError):
    """A call that is refused locally, before any request is sent.

    It is an ``openai.BadRequestError`` (and a ``ValueError``), so the clause that catches a
    server's 400 for the same call catches the local refusal too. No request was sent, so the
    status and response are synthetic: ``status_code`` is 400, ``response`` is a 400 response
    of the SDK's HTTP library whose body is the OpenAI error object (``type`` is
    ``"invalid_request_error"``, ``param`` the parameter when known), and ``request`` /
    ``response.request`` is a ``POST`` to :data:`NOT_SENT_URL`, a host that never resolves.
    ``platform`` and ``endpoint`` stay ``None``.
    """

    def __init__(self, message: str, *, param: str | None = None) -> None:
        body = {"message": message, "type": "invalid_request_error", "param": param, "code": None}
        request = build_request("POST", NOT_SENT_URL)
        content = json.dumps({"error": body}).encode()
        response = build_response(
            400, request=request, content=content, headers={"content-type": "application/json"}
        )
        super().__init__(message, response=response, body=body)


class UnsupportedParameterError(InvalidRequestError):
    """A parameter the platform cannot honour, under ``unsupported_params="error"``.

    Attributes:
        parameter: The parameter's name.
        platform: The client's platform.
    """

    def __init__(self, message: str, *, parameter: str, platform: str) -> None:
        super().__init__(message, param=parameter)
        self.parameter = parameter
        self.platform = platform


_STATUS_CLASSES: dict[int, type[openai.APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

_HINTS: dict[str, Mapping[int, str]] = {}
_START: dict[str, str] = {}


def set_hints(platform: str, hints: Mapping[int, str], start: str | None) -> None:
    """Set a platform's fix hints per HTTP status, and how to start its server (the registry calls this)."""
    _HINTS[platform] = dict(hints)
    if start:
        _START[platform] = start
    else:
        _START.pop(platform, None)


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
    hint = text_hint or _HINTS.get(platform, {}).get(status)
    if hint:
        message = f"{message.rstrip('.')}. Fix: {hint}"
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
        start = _START.get(platform, "check that the server is running")
        message = (
            f"{platform} {endpoint}: cannot connect to {url} ({reason}). Fix: {start}, or check base_url"
        )
    return _locate(  # type: ignore[no-any-return]
        APIConnectionError(message=message, request=build_request(endpoint.split(" ", 1)[0], url)),
        platform,
        endpoint,
    )


def timeout_error(*, platform: str, endpoint: str, url: str, timeout: float | None) -> APITimeoutError:
    """Build the exception for a request that got no answer in time."""
    message = f"{platform} {endpoint}: no answer from {url} within {timeout} s. Fix: raise timeout="
    return _locate(  # type: ignore[no-any-return]
        APITimeoutError(build_request(endpoint.split(" ", 1)[0], url), message), platform, endpoint
    )


def incomplete_stream(
    *, platform: str, endpoint: str, url: str, items: int, reason: str
) -> IncompleteStreamError:
    """Build the exception for a stream that ended before its terminator."""
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
    request = build_request(endpoint.split(" ", 1)[0], url)
    response = build_response(status, request=request, content=content)
    snippet = _summarise_text(content[:300].decode("utf-8", errors="replace"))
    message = f"{platform} {endpoint} -> {status}: invalid response ({reason}): {snippet}"
    return _locate(  # type: ignore[no-any-return]
        APIResponseValidationError(response, parse_body(content[:4096]), message=message), platform, endpoint
    )
