"""The synchronous executor: a :class:`Call` sent with a pooled ``requests.Session``."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter

from openai_compatible_client import errors as E
from openai_compatible_client.transport.base import Retryable, TransportBase, reason, refused
from openai_compatible_client.transport.call import Call, Reply, TransportSettings

__all__ = ["Transport"]


class Transport(TransportBase):
    """The synchronous executor, on one pooled ``requests.Session`` (thread-safe use: no shared mutation)."""

    def __init__(self, settings: TransportSettings) -> None:
        super().__init__(settings)
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=settings.pool_maxsize, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.verify = settings.verify_tls
        session.trust_env = False
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
            deadline = time.monotonic() + self.read_timeout(call)
            try:
                response = self._open(call, url, stream=True)
                try:
                    content = self._read_all(call, url, response, deadline)
                finally:
                    response.close()
            except Retryable as failure:
                wait = self.retry_wait(attempt, failure.error, failure.headers) if failure.retryable else None
                if wait is None:
                    raise failure.error from failure.cause
                time.sleep(wait)
                attempt += 1
                continue
            return Reply(response.status_code, response.headers, content, call, url)

    def stream(self, call: Call) -> Iterator[Any]:
        """Send a call and yield its stream's items; retries happen only before the first item."""
        url = self.url(call)
        attempt = 0
        while True:
            try:
                response = self._open(call, url, stream=True)
            except Retryable as failure:
                wait = self.retry_wait(attempt, failure.error, failure.headers) if failure.retryable else None
                if wait is None:
                    raise failure.error from failure.cause
                time.sleep(wait)
                attempt += 1
                continue
            break
        return self._iterate(call, url, response)

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
        try:
            response = self._session.request(
                call.method,
                url,
                data=body if call.files is None else call.data,
                files=call.files,
                params=call.params,
                headers=self.headers(call),
                timeout=(self.settings.connect_timeout, self.read_timeout(call)),
                stream=stream,
                allow_redirects=True,
            )
        except requests.exceptions.ConnectTimeout as exc:
            err: Exception = E.timeout_error(
                platform=call.platform, endpoint=call.endpoint, url=url, timeout=self.settings.connect_timeout
            )
            raise Retryable(err, exc, retryable=True) from exc
        except requests.exceptions.Timeout as exc:
            err = E.timeout_error(
                platform=call.platform, endpoint=call.endpoint, url=url, timeout=self.read_timeout(call)
            )
            raise Retryable(err, exc, retryable=call.idempotent) from exc
        except requests.exceptions.ConnectionError as exc:
            started = not refused(exc)
            err = E.connection_error(
                platform=call.platform, endpoint=call.endpoint, url=url, reason=reason(exc)
            )
            raise Retryable(err, exc, retryable=call.idempotent or not started) from exc
        except requests.exceptions.RequestException as exc:
            err = E.connection_error(
                platform=call.platform, endpoint=call.endpoint, url=url, reason=reason(exc)
            )
            raise Retryable(err, exc, retryable=False) from exc
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
            raise Retryable(
                error, None, retryable=self.should_retry_status(call, status, headers), headers=headers
            )
        try:
            self.check_stream_type(call, url, status, response.headers)
        except Retryable:
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
            raise Retryable(err, exc, retryable=call.idempotent) from exc
        except _READ_FAILURES as exc:
            err = E.connection_error(
                platform=call.platform, endpoint=call.endpoint, url=url, reason=reason(exc), answered=True
            )
            raise Retryable(err, exc, retryable=call.idempotent) from exc
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
