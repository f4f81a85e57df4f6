"""What a request is and what comes back: pure data, no I/O.

Endpoint code builds a :class:`Call` (immutable, so a retry re-sends the same thing); an executor
(:mod:`.sync` or :mod:`.aio`) sends it and returns a :class:`Reply`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from openai_compatible_client import errors as E
from openai_compatible_client.transport.retry import RetryPolicy
from openai_compatible_client.transport.streams import Terminator

__all__ = ["BodyFactory", "Call", "Framing", "Reply", "TransportSettings", "encode_json"]

Framing = Literal["json", "ndjson", "sse", "bytes", "none"]
BodyFactory = Callable[[], Iterable[bytes]]


@dataclass(frozen=True, slots=True)
class Call:
    """One request, described completely and immutably (so a retry re-sends the same thing).

    Attributes:
        platform: The platform name, for error messages.
        endpoint: ``"METHOD /path"`` as documented, for error messages.
        method: The HTTP method.
        path: The path below the server root (``/api/chat``), or an absolute URL.
        json: A JSON body.
        content: A raw body.
        body_factory: Makes a fresh iterator of body chunks on every attempt (large uploads).
        files: Multipart files ``{field: (filename, bytes, content_type)}``.
        data: Multipart form fields.
        params: Query parameters.
        headers: Extra headers for this call.
        framing: How to read the answer: one JSON value, an NDJSON or SSE stream, bytes, nothing.
        terminator: What proves a stream complete (see :class:`StreamReader`).
        idempotent: Whether resending after a possibly processed attempt is harmless.
        timeout: Read timeout in seconds for this call (the client's default otherwise).
        ok_statuses: Error statuses that are answers here (``HEAD /api/blobs`` 404 means "absent").
    """

    platform: str
    endpoint: str
    method: str
    path: str
    json: Any = None
    content: bytes | None = None
    body_factory: BodyFactory | None = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    data: Mapping[str, str] | None = None
    params: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None
    framing: Framing = "json"
    terminator: Terminator = "end"
    idempotent: bool = True
    timeout: float | None = None
    ok_statuses: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Reply:
    """A successful (or ``ok_statuses``) answer."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    call: Call
    url: str

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON raises ``APIResponseValidationError``."""
        try:
            return json.loads(self.content)
        except ValueError as exc:
            raise E.invalid_response(
                platform=self.call.platform,
                endpoint=self.call.endpoint,
                url=self.url,
                status=self.status,
                content=self.content,
                reason="not JSON",
            ) from exc


@dataclass(frozen=True, slots=True)
class TransportSettings:
    """What a transport needs to know: where, who, how long, how often."""

    root_url: str
    platform: str
    api_key: str | None = None
    default_headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 600.0
    connect_timeout: float = 5.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    request_id_header: bool = False
    verify_tls: bool | str = True
    pool_maxsize: int = 10
    default_query: Mapping[str, str] = field(default_factory=dict)
    """Query parameters of every request (a call's own win)."""
    proxy: str | None = None
    """The proxy for every request (the client reads the environment as the SDK does)."""
    http_client: Any = None
    """The user's ``requests.Session`` (sync) or ``httpx.AsyncClient`` (async) to send with."""

    def __repr__(self) -> str:
        key = "set" if self.api_key else None
        return f"TransportSettings(root_url={self.root_url!r}, platform={self.platform!r}, api_key={key})"


def encode_json(call: Call) -> bytes:
    """Serialise a JSON body strictly (no NaN/Infinity), refusing bad input before any I/O."""
    try:
        return json.dumps(call.json, allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        raise E.InvalidRequestError(
            f"{call.platform} {call.endpoint}: the request body cannot be sent as JSON ({exc})"
        ) from exc
