"""The asynchronous executor: a :class:`Call` sent with a pooled ``httpx.AsyncClient``.

The :class:`Deadline` of an attempt is enforced by an ``anyio`` cancel scope whose deadline starts when the
request is sent (httpcore's trace tells when), so status line, headers and body together cannot
take longer than ``timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable
from typing import Any

import anyio
import httpx

from openai_compatible_client._logging import logger as _log
from openai_compatible_client.transport.base import (
    DRAIN_BYTES,
    DRAIN_SECONDS,
    Deadline,
    Phase,
    Retryable,
    TransportBase,
    log_reply,
    log_request,
)
from openai_compatible_client.transport.call import Call, Reply, TransportSettings
from openai_compatible_client.transport.streams import StreamReader

__all__ = ["AsyncTransport"]


@functools.cache
def _ssl_context(verify: bool | str) -> ssl.SSLContext | bool:
    """One TLS context per setting: building one loads the CA bundle (~50 ms), so share it."""
    if verify is False:
        return False
    return httpx.create_ssl_context(verify=verify if isinstance(verify, str) else True)


# Failures before the status line, by how far the attempt got (see ``RETRYABLE``).
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# A server that closes before any byte of the answer (also a stale pooled connection) raises
# RemoteProtocolError: the request may have reached it, so that one is SENT, not REFUSED.
_REFUSED = (httpx.TooManyRedirects, httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.DecodingError)


class _Attempt:
    """One attempt's deadline as a cancel scope, started by httpcore's "request sent" event."""

    __slots__ = ("deadline", "scope")

    def __init__(self, budget: float) -> None:
        self.deadline = Deadline(budget)
        self.scope = anyio.CancelScope()

    async def trace(self, event: str, _info: dict[str, Any]) -> None:
        if event in _SENDING:
            at = self.deadline.restart()
            self.scope.deadline = anyio.current_time() + (at - time.monotonic())

    def timed_out(self) -> bool:
        if self.scope.cancelled_caught:
            self.deadline.fired = True
        return self.deadline.fired


_SENDING = frozenset({"http11.send_request_headers.started", "http2.send_request_headers.started"})


class AsyncTransport(TransportBase):
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
            try:
                status, headers, content = await self._attempt(call, url)
            except Retryable as failure:
                await asyncio.sleep(self.retry_or_raise(call, url, attempt, failure))
                attempt += 1
                continue
            if _log.isEnabledFor(logging.DEBUG):
                log_reply(call, url, status, started)
            return Reply(status, headers, content, call, url)

    async def _attempt(self, call: Call, url: str) -> tuple[int, httpx.Headers, bytes]:
        attempt = _Attempt(self.read_timeout(call))
        response: httpx.Response | None = None
        try:
            with attempt.scope:
                response = await self._open(call, url, attempt)
                content = await self._read_all(call, url, response, attempt.deadline)
                return response.status_code, response.headers, content
            attempt.timed_out()
            phase = Phase.SENT if response is None else Phase.ANSWERING
            raise self.failure(call, url, phase, None, timed_out=True)
        finally:
            if response is not None:
                await response.aclose()

    async def stream(self, call: Call) -> AsyncIterator[Any]:
        """Send a call and yield its stream's items; retries happen only before the first item.

        The deadline bounds the wait for the status line and headers; after them ``timeout``
        bounds each read.
        """
        url = self.url(call)
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                response = await self._open_stream(call, url)
            except Retryable as failure:
                await asyncio.sleep(self.retry_or_raise(call, url, attempt, failure))
                attempt += 1
                continue
            break
        if _log.isEnabledFor(logging.DEBUG):
            log_reply(call, url, response.status_code, started)
        return _Items(self, call, url, response)

    async def _open_stream(self, call: Call, url: str) -> httpx.Response:
        attempt = _Attempt(self.read_timeout(call))
        with attempt.scope:
            return await self._open(call, url, attempt)
        attempt.timed_out()
        raise self.failure(call, url, Phase.SENT, None, timed_out=True)

    async def _open(self, call: Call, url: str, attempt: _Attempt) -> httpx.Response:
        body = self.body(call)
        if _log.isEnabledFor(logging.DEBUG):
            log_request(call, url)
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
                extensions={"trace": attempt.trace},
            )
            response = await self._client.send(request, stream=True)
        except _NOT_SENT as exc:
            timed_out = isinstance(exc, httpx.TimeoutException)
            raise self.failure(call, url, Phase.NOT_SENT, exc, timed_out=timed_out) from exc
        except httpx.TimeoutException as exc:
            raise self.failure(call, url, Phase.SENT, exc, timed_out=True) from exc
        except _REFUSED as exc:
            raise self.failure(call, url, Phase.REFUSED, exc) from exc
        except (httpx.TransportError, OSError) as exc:
            raise self.failure(call, url, Phase.SENT, exc) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise self.failure(call, url, Phase.REFUSED, exc) from exc
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
            raise Retryable(
                error, None, retryable=self.should_retry_status(call, status, headers), headers=headers
            )
        try:
            self.check_stream_type(call, url, status, response.headers)
        except Retryable:
            await response.aclose()
            raise
        return response

    async def _read_all(self, call: Call, url: str, response: httpx.Response, deadline: Deadline) -> bytes:
        buffer = bytearray()
        try:
            async for chunk in response.aiter_bytes():
                buffer += chunk
        except httpx.DecodingError as exc:
            raise Retryable(self.undecodable(call, url, exc), exc, retryable=False) from exc
        except httpx.TimeoutException as exc:
            raise self.failure(call, url, Phase.ANSWERING, exc, timed_out=True) from exc
        except (httpx.TransportError, OSError) as exc:
            raise self.failure(call, url, Phase.ANSWERING, exc) from exc
        return bytes(buffer)


class _Items:
    """A stream's items: an async iterator object, not an async generator.

    The event loop finalises every dropped async generator on its own; nested generators closed
    that way race each other ("aclose(): asynchronous generator is already running"). One object
    with an idempotent :meth:`aclose` has no such race, and a dropped one is closed by a task it
    schedules itself.
    """

    def __init__(self, transport: AsyncTransport, call: Call, url: str, response: httpx.Response) -> None:
        self._transport, self._call, self._url = transport, call, url
        self._response = response
        self.status, self.headers = response.status_code, response.headers
        self._chunks = response.aiter_bytes()
        self._reader: StreamReader = transport.reader(call, url)
        self._pending: deque[Any] = deque()
        self._done = False
        self._closed = False
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    def __aiter__(self) -> _Items:
        return self

    async def __anext__(self) -> Any:
        while not self._pending:
            if self._done:
                await self.aclose()
                raise StopAsyncIteration
            try:
                await self._fill()
            except BaseException:
                await self.aclose()
                raise
        return self._pending.popleft()

    async def _fill(self) -> None:
        transport, call, url, reader = self._transport, self._call, self._url, self._reader
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            self._done = True
            try:
                self._pending.extend(reader.close())
            except (ValueError, UnicodeDecodeError) as exc:
                raise transport.undecodable(call, url, exc) from exc
            if not reader.complete:
                raise transport.incomplete(
                    call, url, reader.items, "no terminator before end of body"
                ) from None
            return
        except httpx.DecodingError as exc:
            raise transport.undecodable(call, url, exc) from exc
        except httpx.TimeoutException as exc:
            raise transport.failure(call, url, Phase.ANSWERING, exc, timed_out=True).error from exc
        except (httpx.TransportError, OSError) as exc:
            raise transport.incomplete(
                call, url, reader.items, f"connection broke: {type(exc).__name__}"
            ) from exc
        try:
            self._pending.extend(reader.feed(chunk))
        except (ValueError, UnicodeDecodeError) as exc:
            raise transport.undecodable(call, url, exc) from exc
        if reader.ended:
            self._done = True
            await self._drain()

    async def _drain(self) -> None:
        """After the end marker: let the body end at once (the connection is reused), else close."""
        with anyio.move_on_after(DRAIN_SECONDS), contextlib.suppress(httpx.HTTPError, OSError):
            drained = 0
            async for chunk in self._chunks:
                drained += len(chunk)
                if drained > DRAIN_BYTES:
                    break

    async def aclose(self) -> None:
        """Release the connection (idempotent)."""
        if self._closed:
            return
        self._closed = True
        await self._response.aclose()

    def __del__(self) -> None:
        # Dropped without aclose(): release the connection from the loop it belongs to.
        if self._closed or self._loop is None or self._loop.is_closed():
            return
        self._closed = True
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(_close_later, self._response)


_CLOSING: set[asyncio.Task[None]] = set()


def _close_later(response: httpx.Response) -> None:
    task = asyncio.get_running_loop().create_task(_quiet_close(response))
    _CLOSING.add(task)
    task.add_done_callback(_CLOSING.discard)


async def _quiet_close(response: httpx.Response) -> None:
    with contextlib.suppress(Exception):  # nothing to report to: the stream was dropped unread
        await response.aclose()


async def _aiter(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    # Large uploads are read from disk chunk by chunk; the reads are short and bounded.
    for chunk in chunks:
        yield chunk


def _async_body(body: bytes | Iterable[bytes]) -> bytes | AsyncIterator[bytes]:
    return body if isinstance(body, bytes) else _aiter(body)
