"""A generic OpenAI-compatible server (llama.cpp's, HF TGI, SGLang...): models list and health.

Also the base classes every platform's resources derive from. Their one addition to
:class:`~openai_compatible_client.platforms.base.SyncResource` is method-level refusal: a
resource that exists on several platforms under one name (``models``, ``server``) refuses a
method that only another platform's version has (``models.pull`` on a vLLM client) with
:class:`~openai_compatible_client.errors.UnsupportedEndpointError`, before any request.

Registering such a server is one call::

    register_platform(Platform(name="sglang", chat_provider="openai_like",
        completion_provider="openai_like", embedding_provider="openai_like",
        inference=OPENAI_STYLE, resources=RESOURCES))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel

from openai_compatible_client import errors as E
from openai_compatible_client.platforms.base import AsyncResource, Endpoint, SyncResource
from openai_compatible_client.platforms.openai.retrieve import from_list
from openai_compatible_client.platforms.openai.types import ModelList
from openai_compatible_client.platforms.registry import platforms
from openai_compatible_client.platforms.validation import (
    check_model,
    check_optional_model,
    item_parser,
    reply_parser,
)
from openai_compatible_client.transport.http import Call, Reply

__all__ = [
    "RESOURCES",
    "AsyncModels",
    "AsyncPlatformResource",
    "AsyncServer",
    "Models",
    "PlatformResource",
    "Server",
    "health_call",
    "healthy",
    "models_list_call",
    "platforms_with_method",
    "served_model_call",
    "server_health_call",
]

ModelT = TypeVar("ModelT", bound=BaseModel)


def platforms_with_method(resource: str, method: str) -> tuple[str, ...]:
    """The registered platforms whose ``resource`` has a public ``method``.

    >>> platforms_with_method("models", "pull")
    ('ollama',)
    """
    if method.startswith("_"):
        return ()
    found = []
    for entry in platforms():
        classes = entry.resource_table().get(resource)
        if classes is not None and callable(getattr(classes[0], method, None)):
            found.append(entry.name)
    return tuple(found)


class _Common:
    """What sync and async platform resources share (no I/O here)."""

    resource: ClassVar[str] = ""
    """The name of the resource in the platform's ``RESOURCES`` table (``"models"``...)."""

    _context: Any

    def _default_model(self, model: str | None) -> str | None:
        """The call's model, else the client's default model (checked either way)."""
        return check_optional_model(model if model is not None else self._context.config.model)

    def _items(self, cls: type[ModelT], call: Call) -> Callable[[Any], ModelT]:
        """Parser of a stream's items into ``cls``, naming the full URL in errors."""
        return item_parser(cls, call, self._context.transport.url(call))

    if not TYPE_CHECKING:  # keeps static checkers strict about attribute names

        def __getattr__(self, name: str) -> Callable[..., Any]:
            if name.startswith("_") or not self.resource:
                raise AttributeError(name)
            platform = self._context.platform.name
            available = tuple(p for p in platforms_with_method(self.resource, name) if p != platform)
            if not available:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            method = f"{self.resource}.{name}"

            def refuse(*_args: Any, **_kwargs: Any) -> Any:
                raise E.UnsupportedEndpointError(method, platform=platform, available_on=available)

            return refuse


class PlatformResource(_Common, SyncResource):
    """Base of every synchronous platform-only resource."""


class AsyncPlatformResource(_Common, AsyncResource):
    """Base of every asynchronous platform-only resource."""


def models_list_call(platform: str) -> Call:
    """``GET /v1/models``, the OpenAI-style model list."""
    return Call(platform, "GET /v1/models", "GET", "/v1/models")


def health_call(platform: str, path: str = "/health") -> Call:
    """A ``GET`` that answers 2xx when the server is up (its body is ignored)."""
    return Call(platform, f"GET {path}", "GET", path, framing="none", headers={"Accept": "*/*"})


def healthy(_reply: Reply) -> bool:
    """Any 2xx answer means healthy (errors were raised by the transport)."""
    return True


def served_model_call(platform: str, model: str) -> Call:
    """One served model, from ``GET /v1/models`` (``NotFoundError`` for an id not served)."""
    check_model(model)
    return models_list_call(platform)


def server_health_call(platform: str) -> Call:
    """``GET /health``: True when the server answers 2xx; a typed error otherwise."""
    return health_call(platform)


class _ModelsEndpoints:
    list = Endpoint.on_platform(
        models_list_call,
        reply_parser(ModelList),
        doc="""List the served models (``GET /v1/models``); ``r["data"][0]["id"]`` works.""",
    )
    retrieve = Endpoint.on_platform(
        served_model_call, parser=lambda arguments: from_list(arguments["model"]), returns="ModelCard"
    )


class Models(_ModelsEndpoints, PlatformResource):
    """The OpenAI-style model list."""

    resource = "models"


class AsyncModels(_ModelsEndpoints, AsyncPlatformResource):
    """The OpenAI-style model list."""

    resource = "models"


class _ServerEndpoints:
    health = Endpoint.on_platform(server_health_call, healthy)


class Server(_ServerEndpoints, PlatformResource):
    """Server liveness."""

    resource = "server"


class AsyncServer(_ServerEndpoints, AsyncPlatformResource):
    """Server liveness."""

    resource = "server"


RESOURCES: Mapping[str, tuple[type[Any], type[Any]]] = {
    "models": (Models, AsyncModels),
    "server": (Server, AsyncServer),
}
