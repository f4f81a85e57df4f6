"""The shared transport: an immutable :class:`Call` description and two thin executors.

Endpoint code builds a :class:`Call` (pure, no I/O). :class:`Transport` sends it with a pooled
``requests.Session``; :class:`AsyncTransport` sends the same call with ``httpx.AsyncClient`` so
the event loop never blocks. Both share the header building, the retry policy, the stream
decoding and the error builders; they differ only in the library calls and the sleep.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import socket
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import requests
import urllib3
from requests.adapters import HTTPAdapter

from openai_compatible_client import __version__
from openai_compatible_client import errors as E
from openai_compatible_client._logging import logger as _log
from openai_compatible_client.transport.retry import RetryPolicy
from openai_compatible_client.transport.streams import StreamReader, Terminator

__all__ = [
    "AsyncItemStream",
    "AsyncTransport",
    "Call",
    "ItemStream",
    "Reply",
    "Transport",
    "TransportSettings",
    "encode_json",
]

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


class _Base:
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

    def params(self, call: Call) -> Mapping[str, str] | None:
        """Query parameters: the client's defaults, then the call's own."""
        if not self.settings.default_query:
            return call.params
        return {**self.settings.default_query, **(call.params or {})}

    def retry_or_raise(self, call: Call, url: str, attempt: int, failure: _Retryable) -> float:
        """Seconds to wait before the next attempt (logged), or raise the failure's error."""
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

    def too_slow(self, call: Call, url: str) -> _Retryable:
        """The whole answer did not arrive within the timeout (a server dripping bytes)."""
        err = E.timeout_error(
            platform=call.platform, endpoint=call.endpoint, url=url, timeout=self.read_timeout(call)
        )
        return _Retryable(err, None, retryable=call.idempotent)

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
            raise _Retryable(error, None, retryable=False)


class Transport(_Base):
    """The synchronous executor, on one pooled ``requests.Session`` (thread-safe use: no shared mutation)."""

    def __init__(self, settings: TransportSettings) -> None:
        super().__init__(settings)
        if settings.http_client is not None:
            self._session: requests.Session = settings.http_client
            return
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=settings.pool_maxsize, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.verify = settings.verify_tls
        session.trust_env = False
        if settings.proxy:
            session.proxies = {"http": settings.proxy, "https": settings.proxy}
        self._session = session

    def close(self) -> None:
        """Close every pooled connection now (not when the garbage collector gets to them)."""
        for adapter in self._session.adapters.values():
            pools = adapter.poolmanager.pools  # type: ignore[attr-defined]
            for key in list(pools.keys()):
                pool = pools.get(key)
                if pool is not None:
                    pool.close()
        self._session.close()

    def send(self, call: Call) -> Reply:
        """Send a call and read the whole answer (retrying per the policy)."""
        url = self.url(call)
        attempt = 0
        while True:
            started = time.monotonic()
            deadline = started + self.read_timeout(call)
            try:
                response = self._open(call, url, stream=True)
                try:
                    content = self._read_all(call, url, response, deadline)
                finally:
                    response.close()
            except _Retryable as failure:
                time.sleep(self.retry_or_raise(call, url, attempt, failure))
                attempt += 1
                continue
            if _log.isEnabledFor(logging.DEBUG):
                _log_reply(call, url, response.status_code, started)
            return Reply(response.status_code, response.headers, content, call, url)

    def stream(self, call: Call) -> Iterator[Any]:
        """Send a call and yield its stream's items; retries happen only before the first item."""
        url = self.url(call)
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = self._open(call, url, stream=True)
            except _Retryable as failure:
                time.sleep(self.retry_or_raise(call, url, attempt, failure))
                attempt += 1
                continue
            break
        if _log.isEnabledFor(logging.DEBUG):
            _log_reply(call, url, response.status_code, started)
        return ItemStream(self._iterate(call, url, response), response.status_code, response.headers)

    def _iterate(self, call: Call, url: str, response: requests.Response) -> Iterator[Any]:
        reader = self.reader(call, url)
        try:
            try:
                for chunk in _raw_chunks(response):
                    yield from reader.feed(chunk)
                yield from reader.close()
            except _READ_TIMEOUTS as exc:
                raise E.timeout_error(
                    platform=call.platform, endpoint=call.endpoint, url=url, timeout=self.read_timeout(call)
                ) from exc
            except _READ_FAILURES as exc:
                raise self.incomplete(
                    call, url, reader.items, f"connection broke: {type(exc).__name__}"
                ) from exc
            except (ValueError, UnicodeDecodeError) as exc:
                raise self.undecodable(call, url, exc) from exc
            if not reader.complete:
                raise self.incomplete(call, url, reader.items, "no terminator before end of body")
        finally:
            response.close()

    def _open(self, call: Call, url: str, *, stream: bool) -> requests.Response:
        body = self.body(call)
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("request: %s %s", call.method, url)
        try:
            response = self._session.request(
                call.method,
                url,
                data=body if call.files is None else call.data,
                files=call.files,
                params=self.params(call),
                headers=self.headers(call),
                timeout=(self.settings.connect_timeout, self.read_timeout(call)),
                stream=stream,
                allow_redirects=True,
            )
        except requests.exceptions.ConnectTimeout as exc:
            err: Exception = E.timeout_error(
                platform=call.platform, endpoint=call.endpoint, url=url, timeout=self.settings.connect_timeout
            )
            raise _Retryable(err, exc, retryable=True) from exc
        except requests.exceptions.Timeout as exc:
            err = E.timeout_error(
                platform=call.platform, endpoint=call.endpoint, url=url, timeout=self.read_timeout(call)
            )
            raise _Retryable(err, exc, retryable=call.idempotent) from exc
        except requests.exceptions.ConnectionError as exc:
            started = not _refused(exc)
            err = E.connection_error(
                platform=call.platform, endpoint=call.endpoint, url=url, reason=_reason(exc)
            )
            raise _Retryable(err, exc, retryable=call.idempotent or not started) from exc
        except requests.exceptions.RequestException as exc:
            err = E.connection_error(
                platform=call.platform, endpoint=call.endpoint, url=url, reason=_reason(exc)
            )
            raise _Retryable(err, exc, retryable=False) from exc
        status = response.status_code
        if status >= 400 and status not in call.ok_statuses:
            try:
                content = response.content
            except (requests.exceptions.RequestException, OSError):
                content = b""
            finally:
                response.close()
            headers = dict(response.headers)
            error = self.status_error(call, url, status, content, headers)
            raise _Retryable(
                error, None, retryable=self.should_retry_status(call, status, headers), headers=headers
            )
        try:
            self.check_stream_type(call, url, status, response.headers)
        except _Retryable:
            response.close()
            raise
        return response

    def _read_all(self, call: Call, url: str, response: requests.Response, deadline: float) -> bytes:
        buffer = bytearray()
        try:
            for chunk in _raw_chunks(response):
                buffer += chunk
                if time.monotonic() > deadline:
                    raise self.too_slow(call, url)
        except _READ_TIMEOUTS as exc:
            err: Exception = E.timeout_error(
                platform=call.platform, endpoint=call.endpoint, url=url, timeout=self.read_timeout(call)
            )
            raise _Retryable(err, exc, retryable=call.idempotent) from exc
        except _READ_FAILURES as exc:
            err = E.connection_error(
                platform=call.platform, endpoint=call.endpoint, url=url, reason=_reason(exc), answered=True
            )
            raise _Retryable(err, exc, retryable=call.idempotent) from exc
        return bytes(buffer)


@functools.cache
def _ssl_context(verify: bool | str) -> ssl.SSLContext | bool:
    """One TLS context per setting: building one loads the CA bundle (~50 ms), so share it."""
    if verify is False:
        return False
    return httpx.create_ssl_context(verify=verify if isinstance(verify, str) else True)


class AsyncTransport(_Base):
    """The asynchronous executor, on one pooled ``httpx.AsyncClient``."""

    def __init__(self, settings: TransportSettings) -> None:
        super().__init__(settings)
        if settings.http_client is not None:
            self._client: httpx.AsyncClient = settings.http_client
            return
        self._client = httpx.AsyncClient(
            verify=_ssl_context(settings.verify_tls),
            trust_env=False,
            proxy=settings.proxy,
            follow_redirects=True,
            limits=httpx.Limits(
                max_connections=max(settings.pool_maxsize, 100),
                max_keepalive_connections=settings.pool_maxsize,
            ),
        )

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._client.aclose()

    async def send(self, call: Call) -> Reply:
        """Send a call and read the whole answer (retrying per the policy)."""
        url = self.url(call)
        attempt = 0
        while True:
            started = time.monotonic()
            deadline = started + self.read_timeout(call)
            try:
                response = await self._open(call, url)
                try:
                    content = await self._read_all(call, url, response, deadline)
                finally:
                    await response.aclose()
            except _Retryable as failure:
                await asyncio.sleep(self.retry_or_raise(call, url, attempt, failure))
                attempt += 1
                continue
            if _log.isEnabledFor(logging.DEBUG):
                _log_reply(call, url, response.status_code, started)
            return Reply(response.status_code, response.headers, content, call, url)

    async def stream(self, call: Call) -> AsyncIterator[Any]:
        """Send a call and yield its stream's items; retries happen only before the first item."""
        url = self.url(call)
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = await self._open(call, url)
            except _Retryable as failure:
                await asyncio.sleep(self.retry_or_raise(call, url, attempt, failure))
                attempt += 1
                continue
            break
        if _log.isEnabledFor(logging.DEBUG):
            _log_reply(call, url, response.status_code, started)
        return AsyncItemStream(self._iterate(call, url, response), response.status_code, response.headers)

    async def _iterate(self, call: Call, url: str, response: httpx.Response) -> AsyncIterator[Any]:
        reader = self.reader(call, url)
        try:
            try:
                async for chunk in response.aiter_raw():
                    for item in reader.feed(chunk):
                        yield item
                for item in reader.close():
                    yield item
            except httpx.TimeoutException as exc:
                raise E.timeout_error(
                    platform=call.platform, endpoint=call.endpoint, url=url, timeout=self.read_timeout(call)
                ) from exc
            except (httpx.TransportError, OSError) as exc:
                raise self.incomplete(
                    call, url, reader.items, f"connection broke: {type(exc).__name__}"
                ) from exc
            except (ValueError, UnicodeDecodeError) as exc:
                raise self.undecodable(call, url, exc) from exc
            if not reader.complete:
                raise self.incomplete(call, url, reader.items, "no terminator before end of body")
        finally:
            await response.aclose()

    async def _open(self, call: Call, url: str) -> httpx.Response:
        body = self.body(call)
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("request: %s %s", call.method, url)
        timeout = httpx.Timeout(self.read_timeout(call), connect=self.settings.connect_timeout)
        try:
            request = self._client.build_request(
                call.method,
                url,
                content=_async_body(body) if body is not None and call.files is None else None,
                data=dict(call.data) if call.files is not None and call.data else None,
                files=dict(call.files) if call.files is not None else None,
                params=dict(params) if (params := self.params(call)) else None,
                headers=self.headers(call),
                timeout=timeout,
            )
            response = await self._client.send(request, stream=True)
        except httpx.ConnectTimeout as exc:
            err: Exception = E.timeout_error(
                platform=call.platform, endpoint=call.endpoint, url=url, timeout=self.settings.connect_timeout
            )
            raise _Retryable(err, exc, retryable=True) from exc
        except httpx.TimeoutException as exc:
            err = E.timeout_error(
                platform=call.platform, endpoint=call.endpoint, url=url, timeout=self.read_timeout(call)
            )
            raise _Retryable(err, exc, retryable=call.idempotent) from exc
        except httpx.ConnectError as exc:
            err = E.connection_error(
                platform=call.platform, endpoint=call.endpoint, url=url, reason=_reason(exc)
            )
            raise _Retryable(err, exc, retryable=True) from exc
        except (httpx.TransportError, OSError) as exc:
            err = E.connection_error(
                platform=call.platform, endpoint=call.endpoint, url=url, reason=_reason(exc)
            )
            raise _Retryable(err, exc, retryable=call.idempotent) from exc
        status = response.status_code
        if status >= 400 and status not in call.ok_statuses:
            try:
                content = await response.aread()
            except (httpx.HTTPError, OSError):
                content = b""
            finally:
                await response.aclose()
            headers = dict(response.headers)
            error = self.status_error(call, url, status, content, headers)
            raise _Retryable(
                error, None, retryable=self.should_retry_status(call, status, headers), headers=headers
            )
        try:
            self.check_stream_type(call, url, status, response.headers)
        except _Retryable:
            await response.aclose()
            raise
        return response

    async def _read_all(self, call: Call, url: str, response: httpx.Response, deadline: float) -> bytes:
        buffer = bytearray()
        try:
            async for chunk in response.aiter_raw():
                buffer += chunk
                if time.monotonic() > deadline:
                    raise self.too_slow(call, url)
        except httpx.TimeoutException as exc:
            err: Exception = E.timeout_error(
                platform=call.platform, endpoint=call.endpoint, url=url, timeout=self.read_timeout(call)
            )
            raise _Retryable(err, exc, retryable=call.idempotent) from exc
        except (httpx.TransportError, OSError) as exc:
            err = E.connection_error(
                platform=call.platform, endpoint=call.endpoint, url=url, reason=_reason(exc), answered=True
            )
            raise _Retryable(err, exc, retryable=call.idempotent) from exc
        return bytes(buffer)


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


class AsyncItemStream:
    """The async twin of :class:`ItemStream`."""

    __slots__ = ("_items", "headers", "status")

    def __init__(self, items: AsyncIterator[Any], status: int, headers: Mapping[str, str]) -> None:
        self._items, self.status, self.headers = items, status, headers

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._items

    async def __anext__(self) -> Any:
        return await self._items.__anext__()

    async def aclose(self) -> None:
        """Stop reading and release the connection."""
        aclose = getattr(self._items, "aclose", None)
        if aclose is not None:
            await aclose()


def _what(error: Exception) -> str:
    """An error's class and status for a log line (never its message: it may quote the request)."""
    status = getattr(error, "status_code", None)
    return f"{type(error).__name__} {status}" if status else type(error).__name__


def _log_reply(call: Call, url: str, status: int, started: float) -> None:
    _log.debug("%s %s -> %d (%.3f s)", call.method, url, status, time.monotonic() - started)


class _Retryable(Exception):
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


# requests wraps a read timeout met while streaming in ConnectionError; read the raw stream
# instead, where a timeout is a timeout and ``read1`` returns whatever has arrived.
_READ_TIMEOUTS = (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError, socket.timeout)
_READ_FAILURES = (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError)


def _raw_chunks(response: requests.Response) -> Iterator[bytes]:
    """The body's bytes as they arrive (decoded per ``Content-Encoding``)."""
    raw = response.raw
    while True:
        chunk: bytes = raw.read1(65536, decode_content=True)
        if not chunk:
            return
        yield chunk


async def _aiter(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    # Large uploads are read from disk chunk by chunk; the reads are short and bounded.
    for chunk in chunks:
        yield chunk


def _async_body(body: bytes | Iterable[bytes]) -> bytes | AsyncIterator[bytes]:
    return body if isinstance(body, bytes) else _aiter(body)


def _refused(exc: BaseException) -> bool:
    """True when the connection was never established (nothing reached the server)."""
    text = repr(exc)
    return any(
        marker in text
        for marker in ("NewConnectionError", "Connection refused", "Name or service not known", "nodename")
    )


def _reason(exc: BaseException) -> str:
    """A short, secret-free reason for a connection failure."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "timed out", "Connection reset"):
        if marker in text:
            return marker
    root = exc
    while root.__cause__ is not None or root.__context__ is not None:
        root = root.__cause__ or root.__context__  # type: ignore[assignment]
    return type(root).__name__ if root is not exc else type(exc).__name__
