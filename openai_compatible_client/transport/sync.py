"""The synchronous executor: a :class:`Call` sent with a pooled ``requests.Session``.

The :class:`Deadline` of an attempt is enforced by one watchdog thread per process: it shuts down
the socket of an attempt whose answer (status line, headers, body) is not in by its deadline, so
a server trickling bytes cannot hold a call past ``timeout``.
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from openai_compatible_client._logging import logger as _log
from openai_compatible_client.transport.base import (
    DRAIN_BYTES,
    DRAIN_SECONDS,
    Deadline,
    ItemStream,
    Phase,
    Retryable,
    TransportBase,
    log_reply,
    log_request,
)
from openai_compatible_client.transport.call import Call, Reply, TransportSettings

__all__ = ["Transport"]


class _Watch:
    """One watched socket: shut down at ``at`` unless cancelled first."""

    __slots__ = ("at", "deadline", "fired", "sock")

    def __init__(self, deadline: Deadline, sock: socket.socket) -> None:
        self.at = deadline.at
        self.deadline = deadline
        self.sock: socket.socket | None = sock
        self.fired = False


class _Watchdog:
    """One daemon thread that shuts down the socket of any attempt past its deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._seq = itertools.count()
        self._cancelled = 0
        self._thread: threading.Thread | None = None

    def watch(self, deadline: Deadline, sock: socket.socket) -> _Watch:
        watch = _Watch(deadline, sock)
        with self._cond:
            heapq.heappush(self._heap, (watch.at, next(self._seq), watch))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="occ-deadline-watchdog", daemon=True)
                self._thread.start()
            if self._heap[0][2] is watch:
                self._cond.notify()
        return watch

    def cancel(self, watch: _Watch) -> bool:
        """Stop watching; ``True`` if the watchdog had already shut the socket.

        Under the lock: once this returns, the watchdog cannot shut this socket any more.
        """
        with self._cond:
            if watch.sock is None:
                return watch.fired
            watch.sock = None
            self._cancelled += 1
            if self._cancelled > 64 and self._cancelled * 2 > len(self._heap):
                self._heap = [item for item in self._heap if item[2].sock is not None]
                heapq.heapify(self._heap)
                self._cancelled = 0
            return False

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].sock is None:
                    heapq.heappop(self._heap)
                    self._cancelled = max(0, self._cancelled - 1)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                watch = heapq.heappop(self._heap)[2]
                sock, watch.sock = watch.sock, None
                watch.fired = watch.deadline.fired = True
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]


_WATCHDOG = _Watchdog()
_ATTEMPT = threading.local()  # .deadline: the calling thread's attempt; .watch: (connection, _Watch)


def _watch_connection(conn: Any, deadline: Deadline) -> _Watch | None:
    """Watch ``conn``'s socket until ``deadline``; the watch stays with the connection, so the
    pool ends it before the connection can serve anyone else (see ``_put_conn``)."""
    if conn.sock is None:
        return None
    watch = _WATCHDOG.watch(deadline, conn.sock)
    conn.occ_watch = watch
    return watch


def _unwatch(conn: Any, watch: _Watch | None) -> None:
    """End one's own watch (never a later holder's) and drop a connection the watchdog cut."""
    if watch is None:
        return
    attached = getattr(conn, "occ_watch", None) is watch
    fired = _WATCHDOG.cancel(watch)
    if attached:  # else the pool already ended it, and the connection may serve someone else now
        conn.occ_watch = None
        if fired:
            conn.close()


def _arm(conn: Any) -> None:
    """Called as a request's answer is awaited: start its deadline and watch its socket."""
    deadline: Deadline | None = getattr(_ATTEMPT, "deadline", None)
    if deadline is None:
        return
    _disarm()
    deadline.restart()
    _ATTEMPT.watch = (conn, _watch_connection(conn, deadline))


def _disarm() -> None:
    held = getattr(_ATTEMPT, "watch", None)
    if held is not None:
        _ATTEMPT.watch = None
        _unwatch(*held)


class _WatchedMixin:
    sock: socket.socket | None

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        _arm(self)
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _Response(http.client.HTTPResponse):
    """``http.client`` skips only ``100 Continue``; other 1xx (``103 Early Hints``...) are skipped too."""

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if 100 < status < 200 and status != 101:
                http.client.parse_headers(self.fp)  # an informational answer: its headers, no body
                continue
            return version, status, reason


class _HTTPConnection(_WatchedMixin, HTTPConnection):
    response_class = _Response


class _HTTPSConnection(_WatchedMixin, HTTPSConnection):
    response_class = _Response


class _ReleasingMixin:
    def _put_conn(self, conn: Any) -> None:
        # A connection goes back to the pool only unwatched, and only if the watchdog spared it.
        watch = getattr(conn, "occ_watch", None)
        if watch is not None:
            _unwatch(conn, watch)
        super()._put_conn(conn)  # type: ignore[misc]


class _HTTPPool(_ReleasingMixin, HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(_ReleasingMixin, HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class Transport(TransportBase):
    """The synchronous executor, on one pooled ``requests.Session`` (thread-safe use: no shared mutation)."""

    def __init__(self, settings: TransportSettings) -> None:
        super().__init__(settings)
        if settings.http_client is not None:
            self._session: requests.Session = settings.http_client
            return
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=settings.pool_maxsize, max_retries=0)
        adapter.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
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
            deadline = Deadline(self.read_timeout(call))
            _ATTEMPT.deadline = deadline
            started = time.monotonic()
            try:
                response = self._open(call, url, deadline)
                try:
                    content = self._read_all(call, url, response, deadline)
                finally:
                    response.close()
            except Retryable as failure:
                time.sleep(self.retry_or_raise(call, url, attempt, failure))
                attempt += 1
                continue
            finally:
                _disarm()
                _ATTEMPT.deadline = None
            if _log.isEnabledFor(logging.DEBUG):
                log_reply(call, url, response.status_code, started)
            return Reply(response.status_code, response.headers, content, call, url)

    def stream(self, call: Call) -> Iterator[Any]:
        """Send a call and yield its stream's items; retries happen only before the first item.

        The deadline bounds the wait for the status line and headers; after them ``timeout``
        bounds each read.
        """
        url = self.url(call)
        attempt = 0
        while True:
            deadline = Deadline(self.read_timeout(call))
            _ATTEMPT.deadline = deadline
            started = time.monotonic()
            try:
                response = self._open(call, url, deadline)
            except Retryable as failure:
                time.sleep(self.retry_or_raise(call, url, attempt, failure))
                attempt += 1
                continue
            finally:
                _disarm()
                _ATTEMPT.deadline = None
            break
        if _log.isEnabledFor(logging.DEBUG):
            log_reply(call, url, response.status_code, started)
        return ItemStream(self._iterate(call, url, response), response.status_code, response.headers)

    def _iterate(self, call: Call, url: str, response: requests.Response) -> Iterator[Any]:
        reader = self.reader(call, url)
        try:
            try:
                for chunk in _raw_chunks(response):
                    yield from reader.feed(chunk)
                    if reader.ended:
                        _drain(response)
                        return
                yield from reader.close()
            except _READ_TIMEOUTS as exc:
                raise self.failure(call, url, Phase.ANSWERING, exc, timed_out=True).error from exc
            except urllib3.exceptions.DecodeError as exc:
                raise self.undecodable(call, url, exc) from exc
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

    def _open(self, call: Call, url: str, deadline: Deadline) -> requests.Response:
        body = self.body(call)
        if _log.isEnabledFor(logging.DEBUG):
            log_request(call, url)
        try:
            response = self._session.request(
                call.method,
                url,
                data=body if call.files is None else call.data,
                files=call.files,
                params=self.params(call),
                headers=self.headers(call),
                timeout=(self.settings.connect_timeout, self.read_timeout(call)),
                stream=True,
                allow_redirects=True,
            )
        except requests.exceptions.RequestException as exc:
            raise self._classify(call, url, exc, deadline) from exc
        if deadline.fired:
            # Cut while the headers trickled in: http.client reads the cut as their end.
            response.close()
            raise self.failure(call, url, Phase.SENT, None, timed_out=True)
        status = response.status_code
        if status >= 400 and status not in call.ok_statuses:
            try:
                content = b"".join(_raw_chunks(response))
            except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError):
                content = b""
            finally:
                response.close()
            headers = dict(response.headers)
            error = self.status_error(call, url, status, content, headers)
            raise Retryable(
                error, None, retryable=self.should_retry_status(call, status, headers), headers=headers
            )
        try:
            self.check_stream_type(call, url, status, response.headers)
        except Retryable:
            response.close()
            raise
        return response

    def _classify(
        self, call: Call, url: str, exc: requests.exceptions.RequestException, deadline: Deadline
    ) -> Retryable:
        """Map a failure before the status line onto :data:`RETRYABLE`'s phases."""
        if deadline.fired:
            return self.failure(call, url, Phase.SENT, exc, timed_out=True)
        inner = exc.args[0] if exc.args else None
        if isinstance(inner, urllib3.exceptions.MaxRetryError):
            inner = inner.reason
        if isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(
            inner, urllib3.exceptions.ConnectTimeoutError
        ):
            # NewConnectionError and NameResolutionError are ConnectTimeoutErrors too.
            timed_out = not isinstance(inner, urllib3.exceptions.NewConnectionError)
            return self.failure(call, url, Phase.NOT_SENT, exc, timed_out=timed_out)
        if isinstance(exc, requests.exceptions.SSLError):
            return self.failure(call, url, Phase.NOT_SENT, exc)
        if isinstance(exc, requests.exceptions.Timeout):
            return self.failure(call, url, Phase.SENT, exc, timed_out=True)
        if isinstance(exc, requests.exceptions.ConnectionError) and not isinstance(
            exc, requests.exceptions.ContentDecodingError
        ):
            return self.failure(call, url, Phase.SENT, exc)
        return self.failure(call, url, Phase.REFUSED, exc)

    def _read_all(self, call: Call, url: str, response: requests.Response, deadline: Deadline) -> bytes:
        buffer = bytearray()
        try:
            for chunk in _raw_chunks(response):
                buffer += chunk
        except urllib3.exceptions.DecodeError as exc:
            if deadline.fired:
                raise self.failure(call, url, Phase.ANSWERING, exc, timed_out=True) from exc
            raise Retryable(self.undecodable(call, url, exc), exc, retryable=False) from exc
        except _READ_TIMEOUTS as exc:
            raise self.failure(call, url, Phase.ANSWERING, exc, timed_out=True) from exc
        except _READ_FAILURES as exc:
            raise self.failure(call, url, Phase.ANSWERING, exc, timed_out=deadline.fired) from exc
        if deadline.fired:
            # The watchdog shut the socket: what looks like the end of a close-delimited body is not.
            raise self.failure(call, url, Phase.ANSWERING, None, timed_out=True)
        return bytes(buffer)


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


def _drain(response: requests.Response) -> None:
    """After a stream's end marker: read to the body's end if it comes at once, else give up.

    A body that ends lets the connection go back to the pool; a server that keeps it open past
    the marker costs at most :data:`DRAIN_SECONDS` (the connection is then closed).
    """
    conn = getattr(response.raw, "connection", None)
    if conn is None:
        return
    watch = _watch_connection(conn, Deadline(DRAIN_SECONDS))
    try:
        drained = 0
        for chunk in _raw_chunks(response):
            drained += len(chunk)
            if drained > DRAIN_BYTES:
                return
    except (*_READ_FAILURES, ValueError):
        return
    finally:
        _unwatch(conn, watch)
