"""What every resource is given, and the two thin executors resources call.

A resource method builds a :class:`~openai_compatible_client.transport.http.Call` with a pure
builder and hands it to ``_send``/``_stream`` with a parser; the sync and async resource
classes differ only in ``await``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from openai_compatible_client.config import ClientConfig
from openai_compatible_client.errors import UnsupportedEndpointError
from openai_compatible_client.platforms.entry import Platform
from openai_compatible_client.platforms.registry import platforms_with
from openai_compatible_client.transport.http import AsyncTransport, Call, Reply, Transport

__all__ = ["AsyncResource", "ClientContext", "SyncResource", "Unavailable"]

T = TypeVar("T")
TransportT = TypeVar("TransportT", Transport, AsyncTransport)


@dataclass(frozen=True, slots=True)
class ClientContext(Generic[TransportT]):
    """The settings, platform entry and transport a client's resources share."""

    config: ClientConfig
    platform: Platform
    transport: TransportT


class SyncResource:
    """Base of synchronous resources."""

    def __init__(self, context: ClientContext[Transport]) -> None:
        self._context = context

    @property
    def _platform(self) -> str:
        return self._context.platform.name

    def _send(self, call: Call, parse: Callable[[Reply], T]) -> T:
        return parse(self._context.transport.send(call))

    def _stream(self, call: Call, parse: Callable[[Any], T]) -> Iterator[T]:
        return (parse(item) for item in self._context.transport.stream(call))


class AsyncResource:
    """Base of asynchronous resources."""

    def __init__(self, context: ClientContext[AsyncTransport]) -> None:
        self._context = context

    @property
    def _platform(self) -> str:
        return self._context.platform.name

    async def _send(self, call: Call, parse: Callable[[Reply], T]) -> T:
        return parse(await self._context.transport.send(call))

    async def _stream(self, call: Call, parse: Callable[[Any], T]) -> AsyncIterator[T]:
        items = await self._context.transport.stream(call)
        return _amap(items, parse)


async def _amap(items: AsyncIterator[Any], parse: Callable[[Any], T]) -> AsyncIterator[T]:
    async for item in items:
        yield parse(item)


class Unavailable:
    """Stands for a resource the client's platform lacks: calling anything on it raises, before any I/O.

    Nested names work too (``client.audio.transcriptions.create`` on an Ollama client).
    """

    def __init__(self, resource: str, platform: str, path: str | None = None) -> None:
        self._resource = resource
        self._platform = platform
        self._path = path or resource

    def __getattr__(self, name: str) -> Unavailable:
        if name.startswith("__"):
            raise AttributeError(name)
        return Unavailable(self._resource, self._platform, f"{self._path}.{name}")

    def __call__(self, *_args: Any, **_kwargs: Any) -> Any:
        raise UnsupportedEndpointError(
            self._path, platform=self._platform, available_on=platforms_with(self._resource)
        )

    def __repr__(self) -> str:
        return f"<{self._path}: not available on {self._platform}>"
