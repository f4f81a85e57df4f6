"""``with_raw_response`` and ``with_streaming_response``, in the OpenAI SDK's shape.

``client.chat.completions.with_raw_response.create(...)`` returns a :class:`RawResponse`:
``.headers``, ``.status_code``, ``.http_request``, ``.parse()``. The view runs the same method
of a copy of the resource whose transport is wrapped in a recorder that keeps the answer's
status and headers, so the normal path never copies them. ``with_streaming_response`` gives
the same object from a context manager that closes a stream on exit.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from openai_compatible_client.errors import build_request, build_response, sdk_http
from openai_compatible_client.transport.call import Call, Reply

__all__ = ["AsyncStreamedResponse", "RawResponse", "RawView", "StreamedResponse"]

T = TypeVar("T")


class RawResponse(Generic[T]):
    """The answer's HTTP side and its parsed result (the SDK's ``LegacyAPIResponse``).

    Attributes:
        status_code: The HTTP status.
        method: The request's method.
        url: The request's URL.
    """

    def __init__(
        self,
        *,
        status_code: int,
        headers: Mapping[str, str],
        method: str,
        url: str,
        content: bytes | None,
        parsed: T,
    ) -> None:
        self.status_code = status_code
        self.method = method
        self.url = url
        self._raw_headers = headers
        self._content = content
        self._parsed = parsed

    @property
    def headers(self) -> Any:
        """The response headers (``httpx.Headers``, or ``httpx2.Headers`` on openai 3: case-insensitive)."""
        return sdk_http().Headers(dict(self._raw_headers))

    @property
    def http_request(self) -> Any:
        """The request that was sent (method and URL; the key is not kept)."""
        return build_request(self.method, self.url)

    @property
    def http_response(self) -> Any:
        """The response as the SDK's HTTP library's ``Response`` (body empty for a stream)."""
        return build_response(
            self.status_code,
            request=self.http_request,
            content=self._content or b"",
            headers=self._raw_headers,
        )

    @property
    def content(self) -> bytes:
        """The raw body (empty for a stream: its items are read through :meth:`parse`)."""
        return self._content or b""

    @property
    def text(self) -> str:
        """The body as text."""
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.content)

    def parse(self) -> T:
        """The result the plain method returns (``ChatCompletion``, a ``Stream``, a page...)."""
        return self._parsed

    def close(self) -> None:
        """Release a stream's connection (nothing to do for a complete answer)."""
        close = getattr(self._parsed, "close", None)
        if close is not None and not inspect.iscoroutinefunction(close):
            close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} [{self.status_code}] {self.method} {self.url}>"


class StreamedResponse(RawResponse[T]):
    """What ``with_streaming_response`` yields in a ``with`` block (closed on exit)."""

    def iter_lines(self) -> Iterator[Any]:
        """The parsed stream's items (``ChatCompletionChunk``...)."""
        yield from self._parsed  # type: ignore[misc]


class AsyncStreamedResponse(RawResponse[T]):
    """The async twin: ``await response.parse()``, ``async with ... as response``."""

    async def parse(self) -> T:  # type: ignore[override]
        """The result the plain method returns."""
        return self._parsed

    async def iter_lines(self) -> AsyncIterator[Any]:
        """The parsed stream's items."""
        async for item in self._parsed:  # type: ignore[attr-defined]
            yield item

    async def close(self) -> None:  # type: ignore[override]
        """Release a stream's connection."""
        close = getattr(self._parsed, "close", None)
        if close is not None:
            result = close()
            if inspect.isawaitable(result):
                await result


class _Recorder:
    """Stands in for a transport and keeps the first answer's status, headers and body."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self.seen: tuple[int, Mapping[str, str], str, str, bytes | None] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def keep_reply(self, reply: Reply) -> Reply:
        if self.seen is None:
            self.seen = (reply.status, reply.headers, reply.call.method, reply.url, reply.content)
        return reply

    def keep_stream(self, call: Call, items: Any) -> Any:
        # The transport's stream carries the answer's status and headers.
        if self.seen is None:
            self.seen = (items.status, items.headers, call.method, self._transport.url(call), None)
        return items

    def response(self, cls: type[RawResponse[Any]], parsed: Any) -> Any:
        if self.seen is None:  # e.g. a refusal before I/O never gets here; a call that sent nothing
            raise RuntimeError("no request was sent")
        status, headers, method, url, content = self.seen
        return cls(
            status_code=status, headers=headers, method=method, url=url, content=content, parsed=parsed
        )


class _SyncRecorder(_Recorder):
    def send(self, call: Call) -> Reply:
        return self.keep_reply(self._transport.send(call))

    def stream(self, call: Call) -> Any:
        return self.keep_stream(call, self._transport.stream(call))


class _AsyncRecorder(_Recorder):
    async def send(self, call: Call) -> Reply:
        return self.keep_reply(await self._transport.send(call))

    async def stream(self, call: Call) -> Any:
        return self.keep_stream(call, await self._transport.stream(call))


def _rebind(resource: Any, transport: Any) -> Any:
    """A shallow copy of a resource whose calls go through ``transport``."""
    clone = copy.copy(resource)
    runner = getattr(resource, "_runner", None)
    if runner is not None:
        clone._runner = type(runner)(dataclasses.replace(runner._context, transport=transport))
    else:
        clone._context = dataclasses.replace(resource._context, transport=transport)
    return clone


def _transport(resource: Any) -> Any:
    runner = getattr(resource, "_runner", None)
    return (runner._context if runner is not None else resource._context).transport


class RawView:
    """``resource.with_raw_response`` / ``resource.with_streaming_response``: the same methods, raw."""

    def __init__(self, resource: Any, *, streaming: bool) -> None:
        self._resource = resource
        self._streaming = streaming

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        method = getattr(self._resource, name)
        resource, transport = self._resource, _transport(self._resource)
        if inspect.iscoroutinefunction(method):
            cls: type[RawResponse[Any]] = AsyncStreamedResponse if self._streaming else RawResponse

            async def call_async(*args: Any, **kwargs: Any) -> Any:
                recorder = _AsyncRecorder(transport)
                parsed = await getattr(_rebind(resource, recorder), name)(*args, **kwargs)
                return recorder.response(cls, parsed)

            if self._streaming:
                return lambda *a, **k: _AsyncStreaming(lambda: call_async(*a, **k))
            return call_async

        def call(*args: Any, **kwargs: Any) -> Any:
            recorder = _SyncRecorder(transport)
            parsed = getattr(_rebind(resource, recorder), name)(*args, **kwargs)
            return recorder.response(StreamedResponse if self._streaming else RawResponse, parsed)

        if self._streaming:
            return lambda *a, **k: _Streaming(lambda: call(*a, **k))
        return call


class _Streaming:
    """``with resource.with_streaming_response.create(...) as response:`` (the request starts on entry)."""

    def __init__(self, start: Callable[[], StreamedResponse[Any]]) -> None:
        self._start = start
        self._response: StreamedResponse[Any] | None = None

    def __enter__(self) -> StreamedResponse[Any]:
        self._response = self._start()
        return self._response

    def __exit__(self, *_exc: object) -> None:
        if self._response is not None:
            self._response.close()


class _AsyncStreaming:
    """``async with resource.with_streaming_response.create(...) as response:``."""

    def __init__(self, start: Callable[[], Awaitable[AsyncStreamedResponse[Any]]]) -> None:
        self._start = start
        self._response: AsyncStreamedResponse[Any] | None = None

    async def __aenter__(self) -> AsyncStreamedResponse[Any]:
        self._response = await self._start()
        return self._response

    async def __aexit__(self, *_exc: object) -> None:
        if self._response is not None:
            await self._response.close()
