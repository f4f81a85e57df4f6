"""Everything both executors share and nothing that does I/O: URL, headers, body, errors, retries.

:mod:`.sync` (requests) and :mod:`.aio` (aiohttp or httpx) add only the library calls, the sleep and the
enforcement of :class:`Deadline`. Which transport failures may be retried is decided here, by one
table (:data:`RETRYABLE`), for both.
"""

from __future__ import annotations

import enum
import logging
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

from openai_compatible_client import __version__
from openai_compatible_client import errors as E
from openai_compatible_client._logging import logger as _log
from openai_compatible_client.transport.call import Call, TransportSettings, encode_json
from openai_compatible_client.transport.streams import StreamReader

__all__ = ["RETRYABLE", "Deadline", "Phase", "Retryable", "TransportBase", "reason"]

# What both transports ask for: the encodings each decodes with the standard library alone.
ACCEPT_ENCODING = "gzip, deflate"
# After a stream's end marker, how long to wait for the body's own end (so the connection can be
# reused) before closing it, and how many stray bytes to read meanwhile.
DRAIN_SECONDS = 0.05
DRAIN_BYTES = 65536


class Phase(enum.Enum):
    """How far an attempt got when its connection failed: decides whether resending is safe."""

    NOT_SENT = "nothing was sent"
    """Connection refused, connect timeout, DNS or TLS failure, no free pooled connection."""
    SENT = "the request may have reached the server"
    """Write failed, no answer in time, or a connection (also a stale pooled one) closed before
    any byte of the answer: the server may have received the request and acted on it."""
    ANSWERING = "the answer broke off"
    """The connection broke or stalled after the status line: the server did (some of) the work."""
    REFUSED = "the answer cannot be used"
    """Redirect loop, redirect to an unsupported scheme, a malformed HTTP answer, an undecodable
    body: resending gets the same answer."""


RETRYABLE: Mapping[Phase, tuple[bool, bool]] = {
    # phase: (retry an idempotent call, retry a non-idempotent call)
    Phase.NOT_SENT: (True, True),
    Phase.SENT: (True, False),
    Phase.ANSWERING: (True, False),
    Phase.REFUSED: (False, False),
}
"""The one table of transport failures both executors consult (a status answer is the policy's)."""


class Deadline:
    """The time by which one attempt must have its answer (``timeout`` from when it is sent).

    One object per attempt; the sync executor's watchdog and the async executor's
    ``asyncio.Timeout`` both enforce it, and both set :attr:`fired` when they cut the attempt.
    """

    __slots__ = ("at", "budget", "fired")

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.at = time.monotonic() + budget
        self.fired = False

    def restart(self) -> float:
        """Start counting now (the request is being sent); returns the new monotonic deadline."""
        self.at = time.monotonic() + self.budget
        return self.at

    def expired(self) -> bool:
        """Whether the deadline passed (or an enforcer cut the attempt)."""
        return self.fired or time.monotonic() >= self.at


class TransportBase:
    """Everything both executors share: URL, headers, body, error building."""

    def __init__(self, settings: TransportSettings) -> None:
        self.settings = settings
        headers = {
            "User-Agent": f"openai-compatible-client/{__version__}",
            "Accept": "application/json",
            "Accept-Encoding": ACCEPT_ENCODING,
        }
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

    def params(self, call: Call) -> Mapping[str, str] | None:
        """Query parameters: the client's defaults, then the call's own."""
        if not self.settings.default_query:
            return call.params
        return {**self.settings.default_query, **(call.params or {})}

    def retry_or_raise(self, call: Call, url: str, attempt: int, failure: Retryable) -> float:
        """Seconds to wait before the next attempt (logged at INFO), or raise the failure's error."""
        wait = self.retry_wait(attempt, failure.error, failure.headers) if failure.retryable else None
        if wait is None:
            if _log.isEnabledFor(logging.DEBUG):
                _log.debug("%s %s: not retried (%s)", call.method, url, _what(failure.error))
            raise failure.error from failure.cause
        if _log.isEnabledFor(logging.INFO):
            _log.info(
                "%s %s: retrying in %.2f s (retry %d of %d) after %s",
                call.method,
                url,
                wait,
                attempt + 1,
                self.settings.retry.max_retries,
                _what(failure.error),
            )
        return wait

    def retry_wait(self, attempt: int, error: Exception | None, headers: Mapping[str, str]) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to raise ``error`` now."""
        if attempt >= self.settings.retry.max_retries:
            return None
        return self.settings.retry.delay(attempt, headers)

    def should_retry_status(self, call: Call, status: int, headers: Mapping[str, str]) -> bool:
        return self.settings.retry.should_retry(status, headers, idempotent=call.idempotent)

    def failure(
        self, call: Call, url: str, phase: Phase, exc: BaseException | None, *, timed_out: bool = False
    ) -> Retryable:
        """A failed attempt: the typed error, and whether :data:`RETRYABLE` allows another."""
        error: Exception
        if timed_out:
            error = E.timeout_error(
                platform=call.platform, endpoint=call.endpoint, url=url, timeout=self.read_timeout(call)
            )
        else:
            why = reason(exc) if exc is not None else phase.value
            error = E.connection_error(
                platform=call.platform,
                endpoint=call.endpoint,
                url=url,
                reason=why,
                answered=phase is not Phase.NOT_SENT,
            )
        idempotent, other = RETRYABLE[phase]
        return Retryable(error, exc, retryable=idempotent if call.idempotent else other)

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


class ItemStream:
    """A stream's items with the answer's status and headers (iterating it is the bare generator)."""

    __slots__ = ("_items", "headers", "status")

    def __init__(self, items: Iterator[Any], status: int, headers: Mapping[str, str]) -> None:
        self._items, self.status, self.headers = items, status, headers

    def __iter__(self) -> Iterator[Any]:
        return self._items

    def __next__(self) -> Any:
        return next(self._items)

    def close(self) -> None:
        """Stop reading and release the connection."""
        close = getattr(self._items, "close", None)
        if close is not None:
            close()


def _what(error: Exception) -> str:
    """An error's class and status for a log line (never its message: it may quote the request)."""
    status = getattr(error, "status_code", None)
    return f"{type(error).__name__} {status}" if status else type(error).__name__


def log_request(call: Call, url: str) -> None:
    """DEBUG: the request line (callers check ``isEnabledFor`` first)."""
    _log.debug("request: %s %s", call.method, url)


def log_reply(call: Call, url: str, status: int, started: float) -> None:
    """DEBUG: the status and the time to headers (callers check ``isEnabledFor`` first)."""
    _log.debug("%s %s -> %d (%.3f s)", call.method, url, status, time.monotonic() - started)


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
