"""The asynchronous executor: a :class:`Call` sent on a pooled ``aiohttp`` session, or with ``httpx``.

By default calls go out on an ``aiohttp.ClientSession`` (:mod:`.aio_pool`, one session per event
loop the client is used from): its C HTTP parser and its pool, which keeps every connection it
opened, cost a fraction of httpx's CPU per request at high concurrency. A user's
``httpx.AsyncClient`` (``http_client=``), a proxy, or an event loop other than asyncio's (trio)
send with ``httpx.AsyncClient``, as before. Both paths raise the same errors: each failure is
sorted into the same :data:`RETRYABLE` phase, with the same message.

The :class:`Deadline` of an attempt is enforced by an ``anyio`` cancel scope whose deadline starts
when the request is sent (httpcore's trace tells when; on aiohttp, the connector's handing over
a connection), so status line, headers and body together cannot take longer than ``timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    import aiohttp

    from openai_compatible_client.transport.aio_pool import AiohttpBody, Sessions

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
    """One attempt's deadline as a cancel scope, started when the request is sent."""

    __slots__ = ("deadline", "scope")

    def __init__(self, budget: float) -> None:
        self.deadline = Deadline(budget)
        self.scope = anyio.CancelScope()

    def sending(self) -> None:
        """The request is being sent: the deadline counts from now."""
        at = self.deadline.restart()
        self.scope.deadline = anyio.current_time() + (at - time.monotonic())

    async def trace(self, event: str, _info: dict[str, Any]) -> None:
        """httpcore's trace hook."""
        if event in _SENDING:
            self.sending()

    def timed_out(self) -> bool:
        if self.scope.cancelled_caught:
            self.deadline.fired = True
        return self.deadline.fired


_SENDING = frozenset({"http11.send_request_headers.started", "http2.send_request_headers.started"})


class AsyncTransport(TransportBase):
    """The asynchronous executor, on pooled ``aiohttp`` sessions or an ``httpx.AsyncClient``."""

    def __init__(self, settings: TransportSettings) -> None:
        super().__init__(settings)
        self._httpx: httpx.AsyncClient | None = settings.http_client
        # aiohttp (loaded on first use) unless the user's httpx client or a proxy is to be used.
        self._default_pool = settings.http_client is None and settings.proxy is None
        self._sessions: Sessions | None = None

    @property
    def _client(self) -> httpx.AsyncClient:
        """The httpx client: the user's, or one made when first needed (a proxy, trio)."""
        client = self._httpx
        if client is None:
            settings = self.settings
            client = self._httpx = httpx.AsyncClient(
                verify=_ssl_context(settings.verify_tls),
                trust_env=False,
                proxy=settings.proxy,
                follow_redirects=True,
                limits=httpx.Limits(
                    max_connections=max(settings.pool_maxsize, 100),
                    max_keepalive_connections=settings.pool_maxsize,
                ),
            )
        return client

    def _session(self) -> aiohttp.ClientSession | None:
        """The aiohttp session for the running event loop, or ``None``: send with httpx."""
        if not self._default_pool:
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio): httpx serves it
            return None
        sessions = self._sessions
        if sessions is None:
            from openai_compatible_client.transport.aio_pool import Sessions

            sessions = self._sessions = Sessions(self.settings, _ssl_context(self.settings.verify_tls))
        return sessions.session(loop)

    async def aclose(self) -> None:
        """Close every pooled connection."""
        if self._sessions is not None:
            await self._sessions.aclose()
        if self._httpx is not None:
            await self._httpx.aclose()

    async def send(self, call: Call) -> Reply:
        """Send a call and read the whole answer (retrying per the policy)."""
        url = self.url(call)
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                session = self._session()
                if session is not None:
                    status, headers, content = await self._attempt_aio(session, call, url)
                else:
                    status, headers, content = await self._attempt(call, url)
            except Retryable as failure:
                await asyncio.sleep(self.retry_or_raise(call, url, attempt, failure))
                attempt += 1
                continue
            if _log.isEnabledFor(logging.DEBUG):
                log_reply(call, url, status, started)
            return Reply(status, headers, content, call, url)

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
                session = self._session()
                if session is not None:
                    items = await self._open_stream_aio(session, call, url)
                else:
                    items = await self._open_stream(call, url)
            except Retryable as failure:
                await asyncio.sleep(self.retry_or_raise(call, url, attempt, failure))
                attempt += 1
                continue
            break
        if _log.isEnabledFor(logging.DEBUG):
            log_reply(call, url, items.status, started)
        return items

    # ------------------------------------------------------------------ httpx

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

    async def _open_stream(self, call: Call, url: str) -> _Items:
        attempt = _Attempt(self.read_timeout(call))
        with attempt.scope:
            response = await self._open(call, url, attempt)
            return _Items(self, call, url, response.status_code, response.headers, _HttpxBody(response))
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

    # ------------------------------------------------------------------ aiohttp

    async def _attempt_aio(
        self, session: aiohttp.ClientSession, call: Call, url: str
    ) -> tuple[int, httpx.Headers, bytes]:
        from openai_compatible_client.transport import aio_pool

        sessions = self._sessions
        assert sessions is not None  # it made the session
        attempt = _Attempt(self.read_timeout(call))
        response: aiohttp.ClientResponse | None = None
        token = aio_pool.CURRENT.set(attempt)
        try:
            with attempt.scope:
                response, headers = await aio_pool.open_answer(self, sessions, session, call, url)
                content = await aio_pool.read_answer(self, call, url, response)
                return response.status, headers, content
            attempt.timed_out()
            phase = Phase.SENT if response is None else Phase.ANSWERING
            raise self.failure(call, url, phase, None, timed_out=True)
        finally:
            aio_pool.CURRENT.reset(token)
            if response is not None:
                response.release()  # back to the pool if the body was read to its end, else closed

    async def _open_stream_aio(self, session: aiohttp.ClientSession, call: Call, url: str) -> _Items:
        from openai_compatible_client.transport import aio_pool

        sessions = self._sessions
        assert sessions is not None  # it made the session
        attempt = _Attempt(self.read_timeout(call))
        token = aio_pool.CURRENT.set(attempt)
        try:
            with attempt.scope:
                response, headers = await aio_pool.open_answer(self, sessions, session, call, url)
                return _Items(self, call, url, response.status, headers, aio_pool.AiohttpBody(response))
        finally:
            aio_pool.CURRENT.reset(token)
        attempt.timed_out()
        raise self.failure(call, url, Phase.SENT, None, timed_out=True)


class _HttpxBody:
    """A stream's body on httpx: its chunks, how its failures read, how it is released."""

    __slots__ = ("response",)

    def __init__(self, response: httpx.Response) -> None:
        self.response = response

    def chunks(self) -> AsyncIterator[bytes]:
        return self.response.aiter_bytes()

    def classify(self, exc: BaseException) -> str | None:
        if isinstance(exc, httpx.DecodingError):
            return "undecodable"
        if isinstance(exc, httpx.TimeoutException):
            return "timeout"
        if isinstance(exc, (httpx.TransportError, OSError)):
            return "broken"
        return None

    async def aclose(self) -> None:
        await self.response.aclose()

    def close_later(self) -> Callable[[], Awaitable[None]]:
        return self.response.aclose


class _Items:
    """A stream's items: an async iterator object, not an async generator.

    The event loop finalises every dropped async generator on its own; nested generators closed
    that way race each other ("aclose(): asynchronous generator is already running"). One object
    with an idempotent :meth:`aclose` has no such race, and a dropped one is closed by a task it
    schedules itself.
    """

    def __init__(
        self,
        transport: AsyncTransport,
        call: Call,
        url: str,
        status: int,
        headers: Mapping[str, str],
        body: _HttpxBody | AiohttpBody,
    ) -> None:
        self._transport, self._call, self._url = transport, call, url
        self._body = body
        self.status, self.headers = status, headers
        self._chunks = body.chunks()
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
        except Exception as exc:
            kind = self._body.classify(exc)
            if kind == "undecodable":
                raise transport.undecodable(call, url, exc) from exc
            if kind == "timeout":
                raise transport.failure(call, url, Phase.ANSWERING, exc, timed_out=True).error from exc
            if kind == "broken":
                raise transport.incomplete(
                    call, url, reader.items, f"connection broke: {type(exc).__name__}"
                ) from exc
            raise
        try:
            self._pending.extend(reader.feed(chunk))
        except (ValueError, UnicodeDecodeError) as exc:
            raise transport.undecodable(call, url, exc) from exc
        if reader.ended:
            self._done = True
            await self._drain()

    async def _drain(self) -> None:
        """After the end marker: let the body end at once (the connection is reused), else close."""
        with anyio.move_on_after(DRAIN_SECONDS), contextlib.suppress(Exception):
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
        await self._body.aclose()

    def __del__(self) -> None:
        # Dropped without aclose(): release the connection from the loop it belongs to.
        if self._closed or self._loop is None or self._loop.is_closed():
            return
        self._closed = True
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(_close_later, self._body.close_later())


_CLOSING: set[asyncio.Task[None]] = set()


def _close_later(close: Callable[[], Awaitable[None]]) -> None:
    task = asyncio.get_running_loop().create_task(_quiet_close(close))
    _CLOSING.add(task)
    task.add_done_callback(_CLOSING.discard)


async def _quiet_close(close: Callable[[], Awaitable[None]]) -> None:
    with contextlib.suppress(Exception):  # nothing to report to: the stream was dropped unread
        await close()


async def _aiter(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    # Large uploads are read from disk chunk by chunk; the reads are short and bounded.
    for chunk in chunks:
        yield chunk


def _async_body(body: bytes | Iterable[bytes]) -> bytes | AsyncIterator[bytes]:
    return body if isinstance(body, bytes) else _aiter(body)
