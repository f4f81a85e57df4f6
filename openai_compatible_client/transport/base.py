"""Everything both executors share and nothing that does I/O: URL, headers, body, errors, retries.

:mod:`.sync` (requests) and :mod:`.aio` (httpx) add only the library calls and the sleep.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from openai_compatible_client import __version__
from openai_compatible_client import errors as E
from openai_compatible_client.transport.call import Call, TransportSettings, encode_json
from openai_compatible_client.transport.streams import StreamReader

__all__ = ["Retryable", "TransportBase", "reason", "refused"]


class TransportBase:
    """Everything both executors share: URL, headers, body, error building."""

    def __init__(self, settings: TransportSettings) -> None:
        self.settings = settings
        headers = {"User-Agent": f"openai-compatible-client/{__version__}", "Accept": "application/json"}
        headers.update(settings.default_headers)
        if settings.api_key:
            headers["Authorization"] = f"Bearer {settings.api_key}"
        self._headers = headers

    def url(self, call: Call) -> str:
        """The full URL of a call."""
        if call.path.startswith(("http://", "https://")):
            return call.path
        return self.settings.root_url + call.path

    def headers(self, call: Call) -> dict[str, str]:
        """Headers of one request: defaults, then the call's own (never mutates shared state)."""
        headers = dict(self._headers)
        if call.json is not None:
            headers["Content-Type"] = "application/json"
        if call.framing == "ndjson":
            headers["Accept"] = "application/x-ndjson"
        elif call.framing == "sse":
            headers["Accept"] = "text/event-stream"
        if self.settings.request_id_header:
            headers["X-Request-Id"] = uuid.uuid4().hex
        if call.headers:
            headers.update(call.headers)
        return headers

    def body(self, call: Call) -> bytes | Iterable[bytes] | None:
        """The request body (JSON encoded here so bad input fails before any I/O)."""
        if call.json is not None:
            return encode_json(call)
        if call.body_factory is not None:
            return call.body_factory()
        return call.content

    def read_timeout(self, call: Call) -> float:
        return call.timeout if call.timeout is not None else self.settings.timeout

    def status_error(
        self, call: Call, url: str, status: int, content: bytes, headers: Mapping[str, str]
    ) -> Any:
        return E.error_from_response(
            platform=call.platform,
            endpoint=call.endpoint,
            url=url,
            status=status,
            content=content,
            headers=headers,
        )

    def reader(self, call: Call, url: str) -> StreamReader:
        framing: Literal["sse", "ndjson"] = "sse" if call.framing == "sse" else "ndjson"
        return StreamReader(
            framing,
            call.terminator,
            lambda payload: E.stream_error(
                platform=call.platform, endpoint=call.endpoint, url=url, payload=payload
            ),
        )

    def incomplete(self, call: Call, url: str, items: int, reason: str) -> E.IncompleteStreamError:
        return E.incomplete_stream(
            platform=call.platform, endpoint=call.endpoint, url=url, items=items, reason=reason
        )

    def undecodable(self, call: Call, url: str, exc: Exception) -> E.APIResponseValidationError:
        return E.invalid_response(
            platform=call.platform, endpoint=call.endpoint, url=url, status=200, content=b"", reason=str(exc)
        )

    def retry_wait(self, attempt: int, error: Exception | None, headers: Mapping[str, str]) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to raise ``error`` now."""
        if attempt >= self.settings.retry.max_retries:
            return None
        return self.settings.retry.delay(attempt, headers)

    def should_retry_status(self, call: Call, status: int, headers: Mapping[str, str]) -> bool:
        return self.settings.retry.should_retry(status, headers, idempotent=call.idempotent)

    def too_slow(self, call: Call, url: str) -> Retryable:
        """The whole answer did not arrive within the timeout (a server dripping bytes)."""
        err = E.timeout_error(
            platform=call.platform, endpoint=call.endpoint, url=url, timeout=self.read_timeout(call)
        )
        return Retryable(err, None, retryable=call.idempotent)

    def check_stream_type(self, call: Call, url: str, status: int, headers: Mapping[str, str]) -> None:
        """Refuse an HTML page where a stream was expected (a proxy's error or sign-in page)."""
        kind = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if call.framing in ("sse", "ndjson") and kind.lower().startswith("text/html"):
            error = E.invalid_response(
                platform=call.platform,
                endpoint=call.endpoint,
                url=url,
                status=status,
                content=b"",
                reason=f"an HTML page (Content-Type: {kind}) instead of a stream; is a proxy in the way?",
            )
            raise Retryable(error, None, retryable=False)


class Retryable(Exception):
    """Internal carrier: the error to raise, and whether another attempt is allowed."""

    def __init__(
        self,
        error: Exception,
        cause: BaseException | None,
        *,
        retryable: bool,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.cause = cause
        self.retryable = retryable
        self.headers: Mapping[str, str] = headers or {}


def refused(exc: BaseException) -> bool:
    """True when the connection was never established (nothing reached the server)."""
    text = repr(exc)
    return any(
        marker in text
        for marker in ("NewConnectionError", "Connection refused", "Name or service not known", "nodename")
    )


def reason(exc: BaseException) -> str:
    """A short, secret-free reason for a connection failure."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out", "Connection reset"):
        if marker in text:
            return marker
    root = exc
    while root.__cause__ is not None or root.__context__ is not None:
        root = root.__cause__ or root.__context__  # type: ignore[assignment]
    return type(root).__name__ if root is not exc else type(exc).__name__
