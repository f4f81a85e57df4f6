"""Event streams whose end is an event, not a ``[DONE]`` line (Responses, Anthropic Messages).

``/v1/responses`` and ``/v1/messages`` streams end when the body ends, so the transport reads them
with ``terminator="end"``. What proves them complete is their last event (``response.completed``,
``message_stop``...): these wrappers check it and raise ``IncompleteStreamError`` when the body ends
first, so a broken stream never looks complete.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from openai_compatible_client import errors as E

__all__ = ["AsyncEventStream", "EventStream", "StreamEnd"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """What ends a stream properly, and where it came from (for the error message)."""

    platform: str
    endpoint: str
    url: str
    final_types: frozenset[str]

    def check(self, item: Any, seen: int) -> bool:
        """Whether ``item`` (a decoded JSON event) is a final event."""
        return isinstance(item, dict) and item.get("type") in self.final_types

    def incomplete(self, items: int) -> E.IncompleteStreamError:
        """The error for a body that ended before a final event."""
        wanted = " or ".join(sorted(self.final_types))
        return E.incomplete_stream(
            platform=self.platform, endpoint=self.endpoint, url=self.url, items=items, reason=f"no {wanted}"
        )


class EventStream(Generic[T]):
    """A streamed answer: iterate its events; ``close()`` or a ``with`` block frees the connection."""

    def __init__(self, items: Iterator[Any], parse: Callable[[Any], T], end: StreamEnd) -> None:
        self._items = items
        self._events = self._run(parse, end)

    def _run(self, parse: Callable[[Any], T], end: StreamEnd) -> Iterator[T]:
        seen, done = 0, False
        try:
            for item in self._items:
                seen += 1
                done = done or end.check(item, seen)
                yield parse(item)
        finally:
            self.close()
        if not done:
            raise end.incomplete(seen)

    def __iter__(self) -> Iterator[T]:
        return self._events

    def __next__(self) -> T:
        return next(self._events)

    def close(self) -> None:
        """Stop reading and release the connection."""
        close = getattr(self._items, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> EventStream[T]:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class AsyncEventStream(Generic[T]):
    """The async twin of :class:`EventStream`."""

    def __init__(self, items: AsyncIterator[Any], parse: Callable[[Any], T], end: StreamEnd) -> None:
        self._items = items
        self._events = self._run(parse, end)

    async def _run(self, parse: Callable[[Any], T], end: StreamEnd) -> AsyncIterator[T]:
        seen, done = 0, False
        try:
            async for item in self._items:
                seen += 1
                done = done or end.check(item, seen)
                yield parse(item)
        finally:
            await self._close_items()
        if not done:
            raise end.incomplete(seen)

    def __aiter__(self) -> AsyncIterator[T]:
        return self._events

    async def __anext__(self) -> T:
        return await self._events.__anext__()

    async def _close_items(self) -> None:
        aclose = getattr(self._items, "aclose", None)
        if aclose is not None:
            await aclose()

    async def close(self) -> None:
        """Stop reading and release the connection."""
        await self._events.aclose()  # type: ignore[attr-defined]
        await self._close_items()

    async def __aenter__(self) -> AsyncEventStream[T]:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()
