"""The exception classes of :mod:`openai_compatible_client.errors`, built on the OpenAI SDK's.

This module imports ``openai``, so it is loaded on first use of a class (the package's
``__getattr__``), not when the package is imported: a process that raises nothing never pays for
the SDK's import. Every class here reports ``openai_compatible_client.errors`` as its module,
which is where users name, catch and unpickle them.
"""

from __future__ import annotations

import json
from typing import Any

import openai

from openai_compatible_client.errors import NOT_SENT_URL, build_request, build_response


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


# Named, caught and unpickled as ``openai_compatible_client.errors.<name>``.
for _cls in [v for k, v in list(globals().items()) if isinstance(v, type) and v.__module__ == __name__]:
    if not _cls.__name__.startswith("_"):
        _cls.__module__ = "openai_compatible_client.errors"
