"""What every resource is given, and the two thin executors resources call.

A resource method builds a :class:`~openai_compatible_client.transport.http.Call` with a pure
builder and hands it to ``_send``/``_stream`` with a parser; the sync and async resource
classes differ only in ``await``.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, cast, overload

from openai_compatible_client import errors as E
from openai_compatible_client.config import ClientConfig
from openai_compatible_client.platforms.entry import Platform
from openai_compatible_client.platforms.registry import platforms_with
from openai_compatible_client.transport.http import AsyncTransport, Call, Reply, Transport

__all__ = ["AsyncResource", "ClientContext", "Endpoint", "SyncResource", "Unavailable", "default_model"]

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
        raise E.UnsupportedEndpointError(
            self._path, platform=self._platform, available_on=platforms_with(self._resource)
        )

    def __repr__(self) -> str:
        return f"<{self._path}: not available on {self._platform}>"


P = ParamSpec("P")
R = TypeVar("R")
Prepare = Callable[[Any, dict[str, Any]], None]
"""Fills in call arguments from the resource before the builder runs (client defaults)."""


class Endpoint(Generic[P, R]):
    """One endpoint, defined once: a pure builder, a parser, and the sync and async methods built from them.

    Put it on a class both the sync and the async resource derive from::

        class _TokenizerEndpoints:
            decode = Endpoint(detokenize_call, reply_parser(DetokenizeResponse))

    On a :class:`SyncResource` the attribute is a method with the builder's parameters that
    sends the call and returns the parsed answer; on an :class:`AsyncResource` the same method
    is a coroutine. The method's signature and docstring are the builder's (``help()`` and
    ``inspect.signature`` show the real parameters; type checkers see ``P`` and ``R``); its
    return annotation is the parser's.

    Args:
        builder: The pure ``<endpoint>_call(...) -> Call`` function.
        parse: The parser of the answer (:func:`~openai_compatible_client.platforms.validation.reply_parser`).
        parser: Instead of ``parse``: picks the parser from the call's arguments (by name).
        prepare: Fills in arguments from the resource first (the client's default model...).
        doc: The method's docstring, when it is not the builder's.
        returns: The method's return annotation, when the parser does not tell it (``parser=``).
    """

    def __init__(
        self,
        builder: Callable[P, Call],
        parse: Callable[[Reply], R] | None = None,
        *,
        parser: Callable[[Mapping[str, Any]], Callable[[Reply], R]] | None = None,
        prepare: Sequence[Prepare] = (),
        doc: str | None = None,
        returns: Any = inspect.Signature.empty,
    ) -> None:
        self._setup(builder, parse, parser, prepare, doc, returns, platform_first=False)

    @classmethod
    def on_platform(
        cls,
        builder: Callable[Concatenate[str, P], Call],
        parse: Callable[[Reply], R] | None = None,
        *,
        parser: Callable[[Mapping[str, Any]], Callable[[Reply], R]] | None = None,
        doc: str | None = None,
        returns: Any = inspect.Signature.empty,
    ) -> Endpoint[P, R]:
        """An endpoint whose builder takes the client's platform name first (a route several platforms share).

        The method hides that first parameter and passes the resource's platform
        (``models_list_call(platform)`` becomes ``models.list()``).
        """
        endpoint: Endpoint[P, R] = cls.__new__(cls)
        endpoint._setup(
            cast("Callable[P, Call]", builder), parse, parser, (), doc, returns, platform_first=True
        )
        return endpoint

    def _setup(
        self,
        builder: Callable[P, Call],
        parse: Callable[[Reply], R] | None,
        parser: Callable[[Mapping[str, Any]], Callable[[Reply], R]] | None,
        prepare: Sequence[Prepare],
        doc: str | None,
        returns: Any,
        *,
        platform_first: bool,
    ) -> None:
        if (parse is None) == (parser is None):
            raise TypeError("Endpoint needs exactly one of parse= and parser=")
        self._builder = builder
        self._parser: Callable[[Mapping[str, Any]], Callable[[Reply], R]] = (
            parser if parser is not None else (lambda _kwargs: parse)  # type: ignore[assignment,return-value]
        )
        self._parse_by_arguments = parser is not None
        self._signature = inspect.signature(builder)
        self._prepare = tuple(prepare)
        self._platform_first = platform_first
        self._doc = doc if doc is not None else builder.__doc__
        self._returns = returns if returns is not inspect.Signature.empty else _return_annotation(parse)
        self._sync = self._make_sync()
        self._async = self._make_async()

    def _request(
        self, resource: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[Call, Callable[[Reply], R]]:
        for fill in self._prepare:
            fill(resource, kwargs)
        if self._platform_first:
            args = (resource._platform, *args)
        call = self._builder(*args, **kwargs)
        if self._parse_by_arguments:
            # The parser sees every argument by name, given positionally or not.
            kwargs = dict(self._signature.bind(*args, **kwargs).arguments)
        return call, self._parser(kwargs)

    def _describe(self, method: Callable[..., Any]) -> Callable[..., Any]:
        signature = self._signature
        shown = list(signature.parameters.values())[1 if self._platform_first else 0 :]
        me = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
        method.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[me, *shown], return_annotation=self._returns
        )
        method.__doc__ = self._doc
        method.__name__ = method.__qualname__ = self._builder.__name__.removesuffix("_call")
        method.__module__ = self._builder.__module__
        return method

    def _make_sync(self) -> Callable[..., R]:
        def method(resource: SyncResource, *args: Any, **kwargs: Any) -> R:
            call, parse = self._request(resource, args, kwargs)
            return resource._send(call, parse)

        return self._describe(method)

    def _make_async(self) -> Callable[..., Awaitable[R]]:
        async def method(resource: AsyncResource, *args: Any, **kwargs: Any) -> R:
            call, parse = self._request(resource, args, kwargs)
            return await resource._send(call, parse)

        return self._describe(method)

    def __set_name__(self, owner: type, name: str) -> None:
        for method in (self._sync, self._async):
            method.__name__ = name
            method.__qualname__ = f"{owner.__qualname__}.{name}"

    @overload
    def __get__(self, obj: None, owner: type) -> Callable[..., Any]: ...
    @overload
    def __get__(self, obj: SyncResource, owner: type) -> Callable[P, R]: ...
    @overload
    def __get__(self, obj: AsyncResource, owner: type) -> Callable[P, Awaitable[R]]: ...
    def __get__(self, obj: Any, owner: type) -> Any:
        method = self._async if issubclass(owner, AsyncResource) else self._sync
        return method if obj is None else types.MethodType(method, obj)


def default_model(resource: Any, kwargs: dict[str, Any]) -> None:
    """A :data:`Prepare` step: the call's ``model``, else the client's default model (checked either way)."""
    kwargs["model"] = resource._default_model(kwargs.get("model"))


def _return_annotation(parse: Callable[..., Any] | None) -> Any:
    """What the parser says it returns (shown as the method's return annotation), if it says."""
    if parse is None:
        return inspect.Signature.empty
    try:
        return inspect.signature(parse).return_annotation
    except (TypeError, ValueError):
        return inspect.Signature.empty
