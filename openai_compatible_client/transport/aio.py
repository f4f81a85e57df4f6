"""The asynchronous executor: a :class:`Call` sent with a pooled ``httpx.AsyncClient``."""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpx

from openai_compatible_client import errors as E
from openai_compatible_client.transport.base import Retryable, TransportBase, reason
from openai_compatible_client.transport.call import Call, Reply, TransportSettings

__all__ = ["AsyncTransport"]


@functools.cache
def _ssl_context(verify: bool | str) -> ssl.SSLContext | bool:
    """One TLS context per setting: building one loads the CA bundle (~50 ms), so share it."""
    if verify is False:
        return False
    return httpx.create_ssl_context(verify=verify if isinstance(verify, str) else True)


class AsyncTransport(TransportBase):
    """The asynchronous executor, on one pooled ``httpx.AsyncClient``."""

    def __init__(self, settings: TransportSettings) -> None:
        super().__init__(settings)
        self._client = httpx.AsyncClient(
            verify=_ssl_context(settings.verify_tls),
            trust_env=False,
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
            deadline = time.monotonic() + self.read_timeout(call)
            try:
                response = await self._open(call, url)
                try:
                    content = await self._read_all(call, url, response, deadline)
                finally:
                    await response.aclose()
            except Retryable as failure:
                wait = self.retry_wait(attempt, failure.error, failure.headers) if failure.retryable else None
                if wait is None:
                    raise failure.error from failure.cause
                await asyncio.sleep(wait)
                attempt += 1
                continue
            return Reply(response.status_code, response.headers, content, call, url)

    async def stream(self, call: Call) -> AsyncIterator[Any]:
        """Send a call and yield its stream's items; retries happen only before the first item."""
        url = self.url(call)
        attempt = 0
        while True:
            try:
                response = await self._open(call, url)
            except Retryable as failure:
                wait = self.retry_wait(attempt, failure.error, failure.headers) if failure.retryable else None
                if wait is None:
                    raise failure.error from failure.cause
                await asyncio.sleep(wait)
                attempt += 1
                continue
            break
        return self._iterate(call, url, response)

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
        timeout = httpx.Timeout(self.read_timeout(call), connect=self.settings.connect_timeout)
        try:
            request = self._client.build_request(
                call.method,
                url,
                content=_async_body(body) if body is not None and call.files is None else None,
                data=dict(call.data) if call.files is not None and call.data else None,
                files=dict(call.files) if call.files is not None else None,
                params=dict(call.params) if call.params else None,
                headers=self.headers(call),
                timeout=timeout,
            )
            response = await self._client.send(request, stream=True)
        except httpx.ConnectTimeout as exc:
            err: Exception = E.timeout_error(
                platform=call.platform, endpoint=call.endpoint, url=url, timeout=self.settings.connect_timeout
            )
            raise Retryable(err, exc, retryable=True) from exc
        except httpx.TimeoutException as exc:
            err = E.timeout_error(
                platform=call.platform, endpoint=call.endpoint, url=url, timeout=self.read_timeout(call)
            )
            raise Retryable(err, exc, retryable=call.idempotent) from exc
        except httpx.ConnectError as exc:
            err = E.connection_error(
                platform=call.platform, endpoint=call.endpoint, url=url, reason=reason(exc)
            )
            raise Retryable(err, exc, retryable=True) from exc
        except (httpx.TransportError, OSError) as exc:
            err = E.connection_error(
                platform=call.platform, endpoint=call.endpoint, url=url, reason=reason(exc)
            )
            raise Retryable(err, exc, retryable=call.idempotent) from exc
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
            raise Retryable(err, exc, retryable=call.idempotent) from exc
        except (httpx.TransportError, OSError) as exc:
            err = E.connection_error(
                platform=call.platform, endpoint=call.endpoint, url=url, reason=reason(exc), answered=True
            )
            raise Retryable(err, exc, retryable=call.idempotent) from exc
        return bytes(buffer)


async def _aiter(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    # Large uploads are read from disk chunk by chunk; the reads are short and bounded.
    for chunk in chunks:
        yield chunk


def _async_body(body: bytes | Iterable[bytes]) -> bytes | AsyncIterator[bytes]:
    return body if isinstance(body, bytes) else _aiter(body)
