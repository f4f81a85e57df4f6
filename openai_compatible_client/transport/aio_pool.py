"""The async executor's default pool: ``aiohttp`` sessions, and aiohttp's failures sorted into phases.

Imported by :mod:`.aio` on the first call that uses it (importing aiohttp takes a few hundred
milliseconds, which ``import openai_compatible_client`` and the ``occ`` commands do not pay).

An attempt on this path is the httpx path's, step for step: the same headers and body (multipart
bodies are encoded by httpx, query parameters merged by httpx), the same limits (20 redirects,
idle connections kept 5 s, the connect timeout, ``timeout`` for the pool wait and for each read),
and every aiohttp failure mapped to the :class:`Phase` httpx's equivalent has.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import socket
import ssl
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Sequence
from typing import Any, NamedTuple, Protocol, cast

import aiohttp
import httpx
from aiohttp.client_proto import ResponseHandler
from aiohttp.client_reqrep import ClientRequest
from aiohttp.connector import Connection
from aiohttp.http_exceptions import ContentEncodingError, HttpProcessingError
from aiohttp.http_parser import HttpParser, HttpResponseParserPy, RawResponseMessage
from aiohttp.streams import StreamReader
from aiohttp.tracing import Trace
from yarl import URL

from openai_compatible_client.transport.base import Phase, Retryable, TransportBase
from openai_compatible_client.transport.call import Call, TransportSettings

__all__ = ["AiohttpBody", "Sessions", "open_answer", "read_answer"]

MAX_REDIRECTS = 20  # httpx's limit
KEEPALIVE_SECONDS = 5.0  # httpx's keep-alive expiry (uvicorn drops an idle connection after 5 s)
MAX_HEAD_LINE = 16384  # h11 accepts a response head of 16 KiB; aiohttp's default per line is 8 KiB


class Sending(Protocol):
    """An attempt whose deadline starts when its request is sent."""

    def sending(self) -> None: ...


# The attempt whose request the running task is sending (read by the connector).
CURRENT: contextvars.ContextVar[Sending | None] = contextvars.ContextVar("occ_attempt", default=None)

# Before the answer: a connect or pool-wait timeout and every connector error (refused, DNS, TLS)
# sent nothing; a redirect loop, a redirect that cannot be followed, a URL or header aiohttp
# refuses, a body that cannot be re-sent on a redirect: refused. A close before the answer (also a
# stale pooled connection), a malformed answer and a socket error: SENT, as httpx's
# RemoteProtocolError and ReadError are.
_NOT_SENT = (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError)
_REFUSED = (
    aiohttp.TooManyRedirects,
    aiohttp.InvalidURL,
    aiohttp.NonHttpUrlClientError,
    aiohttp.RedirectClientError,
    aiohttp.ClientPayloadError,
    httpx.HTTPError,
    httpx.InvalidURL,
    ValueError,
)


KEEP_FOR_REPARSE = 1 << 20  # bytes of an answer kept until its final head is out (more: no reparse)

_FeedResult = tuple[Sequence[tuple[RawResponseMessage, StreamReader]], bool, bytes]


class _Parser:
    """aiohttp's C parser (llhttp), with aiohttp's pure-Python parser for an answer it fails.

    An answer with more bytes than its ``Content-Length`` (or after its last chunk): h11 (httpx)
    and requests read the declared length and leave the rest; llhttp parses the rest as the next
    answer and fails, losing the answer it has read. The pure-Python parser alone is no remedy: it
    costs tens of times the C parser's CPU (a 50 KB stream of 256 SSE chunks, which arrives in one
    read, takes it 5-9 ms to parse before the first chunk is handed on; the C parser 0.3 ms), and
    it fails too when what follows holds a blank line.

    So the C parser reads every answer, and the bytes it is given are kept until the final (not
    1xx) answer's head is out. If it fails on them, :meth:`_reparse` gives them to the pure-Python
    parser a line at a time, up to the end of the final answer: the rest is dropped, the
    connection is not reused, and that parser reads what is left of the answer. If it fails too,
    the C parser's error stands.
    """

    __slots__ = ("_kept", "_kept_bytes", "_params", "_parser", "_protocol")

    def __init__(self, protocol: ResponseHandler, parser: Any, params: dict[str, Any]) -> None:
        self._protocol = protocol
        self._parser = parser
        self._params = params
        self._kept: list[bytes] | None = []
        self._kept_bytes = 0

    def feed_data(self, data: bytes) -> _FeedResult:
        kept = self._kept
        if kept is None:
            return cast("_FeedResult", self._parser.feed_data(data))
        kept.append(data)
        self._kept_bytes += len(data)
        try:
            result = cast("_FeedResult", self._parser.feed_data(data))
        except HttpProcessingError:
            self._kept = None
            reread = self._reparse(b"".join(kept))
            if reread is None:
                raise
            return reread
        if self._kept_bytes > KEEP_FOR_REPARSE or any(not 100 <= m.code < 200 for m, _ in result[0]):
            self._kept = None
        return result

    def feed_eof(self) -> Any:
        return self._parser.feed_eof()

    def pause_reading(self) -> None:
        self._parser.pause_reading()

    def _reparse(self, data: bytes) -> _FeedResult | None:
        """The answers in ``data`` by the pure-Python parser, fed a line at a time up to the end of
        the final one (``None`` if it fails too)."""
        params = self._params
        parser = HttpResponseParserPy(
            self._protocol,
            asyncio.get_running_loop(),
            params.get("read_bufsize", 2**16),
            timer=params.get("timer"),
            payload_exception=aiohttp.ClientPayloadError,
            response_with_body=not params.get("skip_payload", False),
            read_until_eof=params.get("read_until_eof", False),
            auto_decompress=params.get("auto_decompress", True),
            max_line_size=params.get("max_line_size", 8190),
            max_field_size=params.get("max_field_size", 8190),
            max_headers=params.get("max_headers", 128),
        )
        self._parser = parser  # from now on (a full body buffer pauses reading through it)
        messages: list[tuple[RawResponseMessage, StreamReader]] = []
        final: StreamReader | None = None  # the final answer's body
        upgraded, start = False, 0
        try:
            while start < len(data) and (final is None or not final.is_eof()):
                end = data.find(b"\r\n", start)
                end = len(data) if end < 0 else end + 2
                got, upgraded, _ = parser.feed_data(data[start:end])
                start = end
                messages += got
                final = next((body for m, body in got if not 100 <= m.code < 200), final)
        except Exception:
            return None
        self._protocol.force_close()
        return messages, upgraded, b""


class _Handler(ResponseHandler):
    """aiohttp's protocol, reading answers with :class:`_Parser`, and whose connection's close is
    waited for only on a running loop.

    aiohttp takes no parser: the protocol's private ``_parser`` and ``_tail`` (bytes that came
    before it) are used, pinned by a unit test.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self._home = loop

    @property
    def closed(self) -> asyncio.Future[None] | None:
        """What the connector's close waits for: nothing on a loop that is not running.

        A session closed there (one a client dropped unclosed leaves on an idle loop, see
        :func:`_abandon`) would otherwise leave a task waiting on that loop for the connections'
        ends; if the loop is closed without running again, asyncio logs it destroyed pending.
        The connector reads this property alone to know what to wait for (pinned by a unit test).
        """
        if not self._home.is_running():
            return None
        return super().closed

    def set_response_params(self, **params: Any) -> None:
        # The bytes that came before the parser are for _Parser, not for the parser aiohttp puts
        # in place (which, given none, only lets reading go on if they held it).
        tail, self._tail = self._tail, b""
        super().set_response_params(**params)  # aiohttp's C parser, which _Parser wraps
        self._parser = cast("HttpParser[Any]", _Parser(self, self._parser, params))
        if tail:
            self.data_received(tail)


class _Connector(aiohttp.TCPConnector):
    """A TCP connector whose connections use :class:`_Handler`, and which starts the sending
    attempt's deadline when it hands over a connection (pooled or new): the request goes next."""

    def __init__(self, loop: asyncio.AbstractEventLoop, **options: Any) -> None:
        super().__init__(loop=loop, **options)
        # aiohttp takes no protocol class; its private factory is the one place (pinned by a test).
        self._factory = cast("functools.partial[ResponseHandler]", functools.partial(_Handler, loop=loop))

    async def connect(
        self, req: ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> Connection:
        conn = await super().connect(req, traces, timeout)
        attempt = CURRENT.get()
        if attempt is not None:
            attempt.sending()
        return conn


class _Pool(NamedTuple):
    """One event loop's session, and the sockets its connector opened (made by
    :func:`_new_socket`, so that they can be closed after their loop is gone)."""

    session: aiohttp.ClientSession
    sockets: weakref.WeakSet[socket.socket]


def _new_socket(sockets: weakref.WeakSet[socket.socket], addr_info: tuple[Any, ...]) -> socket.socket:
    """aiohttp's default socket (aiohappyeyeballs' ``socket_factory``), remembered."""
    family, type_, proto = addr_info[:3]
    sock = socket.socket(family=family, type=type_, proto=proto)
    sockets.add(sock)
    return sock


class Sessions:
    """One ``aiohttp.ClientSession`` per event loop the client is used from.

    Made on first use (a client is often built before its loop runs). A session whose loop has
    closed (``asyncio.run`` twice) is dropped, its sockets closed, when another loop comes.
    Sessions of a client dropped unclosed are closed quietly (aiohttp would log an error): on
    their loop if it is running, else here at once.
    """

    def __init__(self, settings: TransportSettings, tls: ssl.SSLContext | bool) -> None:
        self._ssl = tls
        self._limit = max(settings.pool_maxsize, 100)
        self._connect_timeout = settings.connect_timeout
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None
        self._open: dict[asyncio.AbstractEventLoop, _Pool] = {}
        weakref.finalize(self, _abandon_all, self._open)

    def session(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        session = self._session
        if loop is self._loop and session is not None:
            return session
        for old_loop in [old for old in self._open if old.is_closed()]:
            _abandon(old_loop, self._open.pop(old_loop))
        pool = self._open.get(loop)
        if pool is None:
            pool = self._open[loop] = self._new_pool(loop)
        self._session, self._loop = pool.session, loop
        return pool.session

    def _new_pool(self, loop: asyncio.AbstractEventLoop) -> _Pool:
        sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        session = aiohttp.ClientSession(
            connector=_Connector(
                loop,
                limit=self._limit,
                keepalive_timeout=KEEPALIVE_SECONDS,
                ssl=self._ssl,
                resolver=aiohttp.ThreadedResolver(),  # getaddrinfo in the loop's executor, as httpx
                socket_factory=functools.partial(_new_socket, sockets),
            ),
            trust_env=False,
            # httpx sends no Content-Type of its own for a raw body; neither does this session.
            skip_auto_headers=("Content-Type",),
            max_line_size=MAX_HEAD_LINE,
            max_field_size=MAX_HEAD_LINE,
        )
        # Resending is the retry policy's decision alone (aiohttp itself resends a GET once when
        # a pooled connection turns out dead; its own test client turns this off the same way).
        # aiohttp has no public switch for it: the private name is pinned by a unit test.
        session._retry_connection = False
        return _Pool(session, sockets)

    def timeout(self, read: float) -> aiohttp.ClientTimeout:
        """httpx's timeouts: connect, pool wait plus connect, and each read."""
        timeout = self._timeouts.get(read)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(
                total=None,
                connect=read + self._connect_timeout,
                sock_connect=self._connect_timeout,
                sock_read=read,
            )
            if len(self._timeouts) < 64:
                self._timeouts[read] = timeout
        return timeout

    async def aclose(self) -> None:
        """Close the running loop's session; other loops' sessions on their loops (or at once)."""
        self._session = self._loop = None
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        pool = self._open.pop(running, None) if running is not None else None
        _abandon_all(self._open)
        if pool is not None:
            await pool.session.close()


def _abandon_all(pools: dict[asyncio.AbstractEventLoop, _Pool]) -> None:
    for loop, pool in list(pools.items()):
        _abandon(loop, pool)
    pools.clear()


def _abandon(loop: asyncio.AbstractEventLoop, pool: _Pool) -> None:
    """Close a session that is not the running loop's, without awaiting it.

    On a running loop (another thread's, or this thread's when a client dropped unclosed is
    collected), ``session.close()`` is scheduled there. On a loop that is not running, it runs
    here to its end at once: it closes the connections and marks the session closed (so that
    aiohttp does not report it unclosed when it is collected), and waits for nothing (see
    :attr:`_Handler.closed`): an idle loop ends the transports' closes should it run again. A
    closed loop can close no transport any more: the sockets under them are closed here first.
    """
    session = pool.session
    if session.closed:
        return
    if loop.is_running():
        closing = session.close()
        try:
            asyncio.run_coroutine_threadsafe(closing, loop)
            return
        except RuntimeError:  # the loop closed meanwhile
            closing.close()
    if loop.is_closed():
        for sock in list(pool.sockets):
            sock.close()
    _run_at_once(session.close())


def _run_at_once(closing: Coroutine[Any, Any, None]) -> None:
    """Run a session's close() here, up to the first future it waits for (none on a loop that is
    not running; a bare ``yield``, aiohttp's way of letting the loop run once, is passed)."""
    try:
        for _ in range(8):
            if closing.send(None) is not None:
                break  # a future of its loop: the rest waits for the transports, there
    except Exception:  # StopIteration: it ended; an error: nothing is left to do about it here
        return
    closing.close()


async def open_answer(
    transport: TransportBase, sessions: Sessions, session: aiohttp.ClientSession, call: Call, url: str
) -> tuple[aiohttp.ClientResponse, httpx.Headers]:
    """Send a call and read the status line and headers; an error status raises :class:`Retryable`."""
    headers = transport.headers(call)
    target: str | URL = url
    try:
        data: Any
        if call.files is not None:
            # Multipart bodies are encoded by httpx, so both paths send the same bytes.
            form = httpx.Request(
                call.method, url, data=dict(call.data) if call.data else None, files=dict(call.files)
            )
            data = form.read()
            headers["Content-Type"] = form.headers["Content-Type"]
        else:
            body = transport.body(call)
            data = body if body is None or isinstance(body, bytes) else _aiter(body)
        if params := transport.params(call):
            target = URL(str(httpx.URL(url, params=dict(params))), encoded=True)
        response = await session.request(
            call.method,
            target,
            data=data,
            headers=headers,
            timeout=sessions.timeout(transport.read_timeout(call)),
            max_redirects=MAX_REDIRECTS,
        )
    except _NOT_SENT as exc:
        timed_out = isinstance(exc, aiohttp.ConnectionTimeoutError)
        raise transport.failure(call, url, Phase.NOT_SENT, exc, timed_out=timed_out) from exc
    except (aiohttp.ServerTimeoutError, asyncio.TimeoutError) as exc:
        raise transport.failure(call, url, Phase.SENT, exc, timed_out=True) from exc
    except _REFUSED as exc:
        raise transport.failure(call, url, Phase.REFUSED, exc) from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise transport.failure(call, url, Phase.SENT, exc) from exc
    status = response.status
    answer = httpx.Headers(response.raw_headers)
    if status >= 400 and status not in call.ok_statuses:
        try:
            content = await response.read()
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError):
            content = b""
        finally:
            response.release()
        plain = dict(answer)
        error = transport.status_error(call, url, status, content, plain)
        raise Retryable(
            error, None, retryable=transport.should_retry_status(call, status, plain), headers=plain
        )
    try:
        transport.check_stream_type(call, url, status, answer)
    except Retryable:
        response.close()
        raise
    return response, answer


async def read_answer(
    transport: TransportBase, call: Call, url: str, response: aiohttp.ClientResponse
) -> bytes:
    """The whole (decompressed) body."""
    try:
        return await response.read()
    except aiohttp.ClientPayloadError as exc:
        if undecodable(exc):
            raise Retryable(transport.undecodable(call, url, exc), exc, retryable=False) from exc
        raise transport.failure(call, url, Phase.ANSWERING, exc) from exc
    except (aiohttp.ServerTimeoutError, asyncio.TimeoutError) as exc:
        raise transport.failure(call, url, Phase.ANSWERING, exc, timed_out=True) from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise transport.failure(call, url, Phase.ANSWERING, exc) from exc


def undecodable(exc: BaseException) -> bool:
    """Whether a payload error is a body that cannot be decompressed (not a broken connection)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ContentEncodingError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class AiohttpBody:
    """A stream's body on aiohttp: its chunks, how its failures read, how it is released."""

    __slots__ = ("response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    def chunks(self) -> AsyncIterator[bytes]:
        return _Chunks(self.response.content)

    def classify(self, exc: BaseException) -> str | None:
        if isinstance(exc, aiohttp.ClientPayloadError):
            return "undecodable" if undecodable(exc) else "broken"
        if isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
            return "timeout"
        if isinstance(exc, (aiohttp.ClientError, OSError)):
            return "broken"
        return None

    async def aclose(self) -> None:
        self.response.release()  # back to the pool if the body ended, else closed

    def close_later(self) -> Callable[[], Awaitable[None]]:
        return self.aclose


class _Chunks:
    """A body's bytes as httpx yields them: one piece per HTTP chunk (so the items before a
    malformed one are delivered first), and the bytes that came before a failure before it
    (aiohttp's reads raise a failure at once, dropping what is buffered)."""

    __slots__ = ("_stream",)

    def __init__(self, stream: StreamReader) -> None:
        self._stream = stream

    def __aiter__(self) -> _Chunks:
        return self

    async def __anext__(self) -> bytes:
        stream = self._stream
        if stream.exception() is not None:
            # Every public read raises the failure first; the buffered bytes come before it
            # (a private read, pinned by a unit test).
            buffered = stream._read_nowait(-1)
            if buffered:
                return buffered
        data, end_of_chunk = await stream.readchunk()
        if not data and not end_of_chunk:
            raise StopAsyncIteration
        return data


async def _aiter(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    # Large uploads are read from disk chunk by chunk; the reads are short and bounded.
    for chunk in chunks:
        yield chunk
