"""The facade: ``OpenAICompatibleClient`` and ``AsyncOpenAICompatibleClient``.

The client only wires resources; requests are built by :mod:`routing` (pure, through
LiteLLM's provider transformations), sent by the transport in :mod:`transport`, and
turned into ``openai.types`` by :mod:`normalize`. The sync and async classes share all of
that and differ only in their executors.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

import httpx
import requests
from typing_extensions import Self

from openai_compatible_client import _litellm_loader
from openai_compatible_client import errors as E
from openai_compatible_client._logging import setup_from_env
from openai_compatible_client._raw import RawView
from openai_compatible_client.config import ClientConfig, environment_proxy
from openai_compatible_client.normalize import BadPayload, as_base64, merge_choices
from openai_compatible_client.platforms import Platform, get_platform, platforms
from openai_compatible_client.platforms.base import ClientContext, Unavailable
from openai_compatible_client.platforms.request import ChunkMapper, Inference
from openai_compatible_client.routing import Prepared, chat_request, completion_request, embedding_request
from openai_compatible_client.transport.http import AsyncTransport, Reply, Transport, TransportSettings
from openai_compatible_client.transport.retry import RetryPolicy

if TYPE_CHECKING:
    from openai.types import Completion, CreateEmbeddingResponse
    from openai.types.chat import ChatCompletion, ChatCompletionChunk
    from typing_extensions import Unpack

    from openai_compatible_client.integrations.litellm_router import AsyncRouterClient, RouterClient
    from openai_compatible_client.params import ChatParams, CompletionParams, EmbeddingParams
    from openai_compatible_client.platforms.common import messages as common_messages
    from openai_compatible_client.platforms.common import responses as common_responses
    from openai_compatible_client.platforms.ollama import resources as ollama
    from openai_compatible_client.platforms.vllm import admin as vllm_admin
    from openai_compatible_client.platforms.vllm import resources as vllm

__all__ = [
    "AsyncOpenAICompatibleClient",
    "AsyncStream",
    "OpenAICompatibleClient",
    "Stream",
    "detect_platform",
]

ItemT = TypeVar("ItemT")


# ---------------------------------------------------------------- pure result handling


def _invalid(prepared: Prepared, url: str, exc: Exception) -> E.APIResponseValidationError:
    return E.invalid_response(
        platform=prepared.platform,
        endpoint=prepared.call.endpoint,
        url=url,
        status=200,
        content=b"",
        reason=str(exc),
    )


def _one(prepared: Prepared, inference: Inference, payload: Any) -> Any:
    if prepared.kind == "chat":
        return inference.to_chat_completion(payload, prepared.model)
    if prepared.kind == "completion":
        return inference.to_completion(payload, prepared.model)
    embeddings = inference.to_embeddings(payload, prepared.model)
    return as_base64(embeddings) if prepared.encode_base64 else embeddings


def _parse(prepared: Prepared, inference: Inference, reply: Reply) -> Any:
    payload = reply.json()
    try:
        return _one(prepared, inference, payload)
    except BadPayload as exc:
        raise _invalid(prepared, reply.url, exc) from None


def _chunk_mapper(prepared: Prepared, inference: Inference) -> ChunkMapper:
    if prepared.kind == "chat":
        return inference.chat_chunks(prepared.model, prepared.include_usage)
    return inference.completion_chunks(prepared.model, prepared.include_usage)


def _guarded(prepared: Prepared, url: str, mapper: Callable[[Any], list[Any]]) -> Callable[[Any], list[Any]]:
    def convert(payload: Any) -> list[Any]:
        try:
            return mapper(payload)
        except BadPayload as exc:
            raise _invalid(prepared, url, exc) from None

    return convert


class Stream(Generic[ItemT]):
    """A streamed answer: iterate it; ``close()`` or a ``with`` block frees the connection.

    It raises if the stream breaks or ends without its terminator: an incomplete answer never
    looks complete.
    """

    def __init__(self, items: Iterator[list[ItemT]]) -> None:
        self._items = items
        self._flat = (item for batch in items for item in batch)

    def __iter__(self) -> Iterator[ItemT]:
        return self._flat

    def __next__(self) -> ItemT:
        return next(self._flat)

    def close(self) -> None:
        """Stop reading and release the connection."""
        close = getattr(self._items, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Stream[ItemT]:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class AsyncStream(Generic[ItemT]):
    """The async twin of :class:`Stream`."""

    def __init__(self, items: AsyncIterator[list[ItemT]]) -> None:
        self._items = items
        self._flat = self._flatten()

    async def _flatten(self) -> AsyncIterator[ItemT]:
        async for batch in self._items:
            for item in batch:
                yield item

    def __aiter__(self) -> AsyncIterator[ItemT]:
        return self._flat

    async def __anext__(self) -> ItemT:
        return await self._flat.__anext__()

    async def close(self) -> None:
        """Stop reading and release the connection."""
        await self._flat.aclose()  # type: ignore[attr-defined]
        aclose = getattr(self._items, "aclose", None)
        if aclose is not None:
            await aclose()

    async def __aenter__(self) -> AsyncStream[ItemT]:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()


# ---------------------------------------------------------------- executors


class _SyncRunner:
    """Sends a prepared call and normalises the answer (the only sync I/O of the facade)."""

    def __init__(self, context: ClientContext[Transport]) -> None:
        self._context = context
        self._inference = context.platform.inference

    def run(self, prepared: Prepared) -> Any:
        transport = self._context.transport
        if prepared.stream:
            mapper = _guarded(
                prepared, transport.url(prepared.call), _chunk_mapper(prepared, self._inference)
            )
            return Stream(_mapped(transport.stream(prepared.call), mapper))
        if prepared.copies > 1:
            with ThreadPoolExecutor(max_workers=min(prepared.copies, 8)) as pool:
                replies = list(pool.map(transport.send, prepared.calls()))
            return merge_choices([_parse(prepared, self._inference, reply) for reply in replies])
        return _parse(prepared, self._inference, transport.send(prepared.call))


class _AsyncRunner:
    """The async twin of :class:`_SyncRunner`."""

    def __init__(self, context: ClientContext[AsyncTransport]) -> None:
        self._context = context
        self._inference = context.platform.inference

    async def run(self, prepared: Prepared) -> Any:
        transport = self._context.transport
        if prepared.stream:
            mapper = _guarded(
                prepared, transport.url(prepared.call), _chunk_mapper(prepared, self._inference)
            )
            return AsyncStream(_amapped(await transport.stream(prepared.call), mapper))
        if prepared.copies > 1:
            replies = await asyncio.gather(*(transport.send(call) for call in prepared.calls()))
            return merge_choices([_parse(prepared, self._inference, reply) for reply in replies])
        return _parse(prepared, self._inference, await transport.send(prepared.call))


def _mapped(items: Iterator[Any], mapper: Callable[[Any], list[Any]]) -> Iterator[list[Any]]:
    try:
        for item in items:
            yield mapper(item)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


async def _amapped(items: AsyncIterator[Any], mapper: Callable[[Any], list[Any]]) -> AsyncIterator[list[Any]]:
    try:
        async for item in items:
            yield mapper(item)
    finally:
        aclose = getattr(items, "aclose", None)
        if aclose is not None:
            await aclose()


# ---------------------------------------------------------------- OpenAI-style resources


class _RawViews:
    """``with_raw_response`` / ``with_streaming_response`` on a resource, as the SDK has them."""

    @property
    def with_raw_response(self) -> Any:
        """The same methods, returning a :class:`RawResponse` (``.headers``, ``.parse()``...)."""
        return RawView(self, streaming=False)

    @property
    def with_streaming_response(self) -> Any:
        """The same methods as context managers yielding the response (streams closed on exit)."""
        return RawView(self, streaming=True)


class ChatCompletions(_RawViews):
    """``client.chat.completions``."""

    def __init__(self, config: ClientConfig, platform: Platform, runner: _SyncRunner) -> None:
        self._config, self._platform, self._runner = config, platform, runner

    @overload
    def create(
        self,
        *,
        messages: Any,
        model: str | None = ...,
        stream: Literal[False] | None = ...,
        **params: Unpack[ChatParams],
    ) -> ChatCompletion: ...
    @overload
    def create(
        self, *, messages: Any, model: str | None = ..., stream: Literal[True], **params: Unpack[ChatParams]
    ) -> Stream[ChatCompletionChunk]: ...
    def create(
        self,
        *,
        messages: Any,
        model: str | None = None,
        stream: bool | None = None,
        **params: Unpack[ChatParams],
    ) -> ChatCompletion | Stream[ChatCompletionChunk]:
        """Create a chat completion (``stream=True``: a :class:`Stream` of chunks). See the OpenAI SDK."""
        return self._runner.run(  # type: ignore[no-any-return]
            chat_request(
                self._config, self._platform, model=model, messages=messages, stream=stream, params=params
            )
        )


class AsyncChatCompletions(_RawViews):
    """``client.chat.completions`` (async)."""

    def __init__(self, config: ClientConfig, platform: Platform, runner: _AsyncRunner) -> None:
        self._config, self._platform, self._runner = config, platform, runner

    @overload
    async def create(
        self,
        *,
        messages: Any,
        model: str | None = ...,
        stream: Literal[False] | None = ...,
        **params: Unpack[ChatParams],
    ) -> ChatCompletion: ...
    @overload
    async def create(
        self, *, messages: Any, model: str | None = ..., stream: Literal[True], **params: Unpack[ChatParams]
    ) -> AsyncStream[ChatCompletionChunk]: ...
    async def create(
        self,
        *,
        messages: Any,
        model: str | None = None,
        stream: bool | None = None,
        **params: Unpack[ChatParams],
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]:
        """Create a chat completion (``stream=True``: an :class:`AsyncStream` of chunks)."""
        return await self._runner.run(  # type: ignore[no-any-return]
            chat_request(
                self._config, self._platform, model=model, messages=messages, stream=stream, params=params
            )
        )


class Chat:
    """``client.chat``."""

    def __init__(self, completions: ChatCompletions) -> None:
        self.completions = completions


class AsyncChat:
    """``client.chat`` (async)."""

    def __init__(self, completions: AsyncChatCompletions) -> None:
        self.completions = completions


class Completions(_RawViews):
    """``client.completions``."""

    def __init__(self, config: ClientConfig, platform: Platform, runner: _SyncRunner) -> None:
        self._config, self._platform, self._runner = config, platform, runner

    @overload
    def create(
        self,
        *,
        prompt: Any,
        model: str | None = ...,
        stream: Literal[False] | None = ...,
        **params: Unpack[CompletionParams],
    ) -> Completion: ...
    @overload
    def create(
        self,
        *,
        prompt: Any,
        model: str | None = ...,
        stream: Literal[True],
        **params: Unpack[CompletionParams],
    ) -> Stream[Completion]: ...
    def create(
        self,
        *,
        prompt: Any,
        model: str | None = None,
        stream: bool | None = None,
        **params: Unpack[CompletionParams],
    ) -> Completion | Stream[Completion]:
        """Create a text completion (``stream=True``: a :class:`Stream` of ``Completion`` chunks)."""
        return self._runner.run(  # type: ignore[no-any-return]
            completion_request(
                self._config, self._platform, model=model, prompt=prompt, stream=stream, params=params
            )
        )


class AsyncCompletions(_RawViews):
    """``client.completions`` (async)."""

    def __init__(self, config: ClientConfig, platform: Platform, runner: _AsyncRunner) -> None:
        self._config, self._platform, self._runner = config, platform, runner

    @overload
    async def create(
        self,
        *,
        prompt: Any,
        model: str | None = ...,
        stream: Literal[False] | None = ...,
        **params: Unpack[CompletionParams],
    ) -> Completion: ...
    @overload
    async def create(
        self,
        *,
        prompt: Any,
        model: str | None = ...,
        stream: Literal[True],
        **params: Unpack[CompletionParams],
    ) -> AsyncStream[Completion]: ...
    async def create(
        self,
        *,
        prompt: Any,
        model: str | None = None,
        stream: bool | None = None,
        **params: Unpack[CompletionParams],
    ) -> Completion | AsyncStream[Completion]:
        """Create a text completion (``stream=True``: an :class:`AsyncStream` of chunks)."""
        return await self._runner.run(  # type: ignore[no-any-return]
            completion_request(
                self._config, self._platform, model=model, prompt=prompt, stream=stream, params=params
            )
        )


class Embeddings(_RawViews):
    """``client.embeddings``."""

    def __init__(self, config: ClientConfig, platform: Platform, runner: _SyncRunner, client: Any) -> None:
        self._config, self._platform, self._runner, self._client = config, platform, runner, client

    def create(
        self, *, input: Any = None, model: str | None = None, **params: Unpack[EmbeddingParams]
    ) -> CreateEmbeddingResponse:
        """Create embeddings; vLLM's multimodal embedding models also take ``messages=``."""
        return self._runner.run(  # type: ignore[no-any-return]
            embedding_request(self._config, self._platform, model=model, input=input, params=params)
        )

    def create_legacy(
        self,
        *,
        model: str,
        prompt: str,
        options: Mapping[str, Any] | None = None,
        keep_alive: str | float | None = None,
    ) -> Any:
        """Ollama's deprecated ``/api/embeddings`` (one prompt, one vector); prefer :meth:`create`."""
        return self._client._resource("embeddings_legacy").create(
            model=model, prompt=prompt, options=options, keep_alive=keep_alive
        )


class AsyncEmbeddings(_RawViews):
    """``client.embeddings`` (async)."""

    def __init__(self, config: ClientConfig, platform: Platform, runner: _AsyncRunner, client: Any) -> None:
        self._config, self._platform, self._runner, self._client = config, platform, runner, client

    async def create(
        self, *, input: Any = None, model: str | None = None, **params: Unpack[EmbeddingParams]
    ) -> CreateEmbeddingResponse:
        """Create embeddings; vLLM's multimodal embedding models also take ``messages=``."""
        return await self._runner.run(  # type: ignore[no-any-return]
            embedding_request(self._config, self._platform, model=model, input=input, params=params)
        )

    async def create_legacy(
        self,
        *,
        model: str,
        prompt: str,
        options: Mapping[str, Any] | None = None,
        keep_alive: str | float | None = None,
    ) -> Any:
        """Ollama's deprecated ``/api/embeddings`` (one prompt, one vector); prefer :meth:`create`."""
        return await self._client._resource("embeddings_legacy").create(
            model=model, prompt=prompt, options=options, keep_alive=keep_alive
        )


# ---------------------------------------------------------------- construction


def _config(
    config: ClientConfig | None,
    base_url: str | None,
    api_key: str | None,
    platform: str | None,
    settings: Mapping[str, Any],
) -> ClientConfig:
    """The settings of a new client: a given config, keyword arguments over it, or the environment.

    Without ``config=``, what the arguments leave unset comes from the environment as
    ``openai.OpenAI`` reads it (``OPENAI_API_KEY``; ``VLLM_API_KEY`` on vLLM...); with
    ``config=`` the environment is not read.
    """
    unknown = sorted(set(settings) - set(ClientConfig.model_fields) - set(_SDK_ONLY))
    if unknown:
        raise E.ConfigurationError(
            f"invalid client settings: unknown argument(s) {', '.join(unknown)}; accepted: "
            f"{', '.join(sorted({*ClientConfig.model_fields, 'http_client', 'websocket_base_url'}))}"
        )
    for name, reason in _SDK_ONLY.items():
        if settings.get(name) is not None:
            raise E.ConfigurationError(f"{name}= is not supported: {reason}")
    settings = {k: v for k, v in settings.items() if k not in _SDK_ONLY}
    if config is not None:
        given = {k: v for k, v in (("base_url", base_url), ("api_key", api_key), ("platform", platform)) if v}
        changes = {**given, **settings}
        return ClientConfig(**{**dict(config), **changes}) if changes else config
    overrides = {**({"api_key": api_key} if api_key is not None else {}), **settings}
    if base_url is None:
        return ClientConfig.from_env(platform, None, **overrides)
    return ClientConfig.from_env(platform or "vllm", None, base_url=base_url, **overrides)


# openai.OpenAI arguments that have no meaning here, with why (refused when not None).
_SDK_ONLY = {
    "websocket_base_url": "vLLM and Ollama serve no Realtime (WebSocket) API through this client",
    "webhook_secret": "self-hosted servers send no OpenAI webhooks",
}


def detect_platform(config: ClientConfig) -> str:
    """Ask the server what it is: each registered platform's probe in turn (``GET /version``...)."""
    headers = {"Authorization": f"Bearer {config.secret()}"} if config.api_key else {}
    timeout = (config.connect_timeout, min(config.timeout, 10.0))
    probes = sorted(((e.probe, e.name) for e in platforms() if e.probe is not None), key=lambda p: p[0].order)
    proxy = environment_proxy(config.root_url) if config.trust_env else None
    with requests.Session() as session:
        session.trust_env = False
        session.proxies = {"http": proxy, "https": proxy} if proxy else {}
        for probe, name in probes:
            url = config.root_url + probe.path
            try:
                response = session.get(url, headers=headers, timeout=timeout, verify=config.verify_tls)
            except requests.RequestException as exc:
                raise E.connection_error(
                    platform="auto", endpoint=f"GET {probe.path}", url=url, reason=type(exc).__name__
                ) from None
            if response.status_code == 200:
                try:
                    answer = response.json()
                except ValueError:
                    continue
                if isinstance(answer, dict) and probe.key in answer:
                    return name
    tried = " nor ".join(f"GET {probe.path} ({name})" for probe, name in probes)
    names = " or ".join(f"platform={name!r}" for _, name in probes)
    raise E.ConfigurationError(f"platform='auto': {config.root_url} answers neither {tried}; pass {names}")


_ROUTER_INTEGRATION = "openai_compatible_client.integrations.litellm_router"


def _router_factory() -> Callable[..., Any]:
    """The Router integration's ``client_from_router``, loaded by name on first use.

    The core never imports an integration: ``from_router`` finds the integration module by
    name, as a plugin, so the layers stay one-way (integrations build on the core).
    """
    factory: Callable[..., Any] = importlib.import_module(_ROUTER_INTEGRATION).client_from_router
    return factory


def _settings(config: ClientConfig, platform: Platform, http_client: Any = None) -> TransportSettings:
    sdk_headers = {"OpenAI-Organization": config.organization, "OpenAI-Project": config.project}
    return TransportSettings(
        root_url=config.root_url,
        platform=platform.name,
        api_key=config.secret(),
        default_headers={**{k: v for k, v in sdk_headers.items() if v}, **config.default_headers},
        default_query=dict(config.default_query),
        proxy=environment_proxy(config.root_url) if config.trust_env else None,
        http_client=http_client,
        timeout=config.timeout,
        connect_timeout=config.connect_timeout,
        retry=RetryPolicy(max_retries=config.max_retries),
        request_id_header=config.request_id_header,
        verify_tls=config.verify_tls,
        pool_maxsize=config.pool_maxsize,
    )


def _checked_client(client: Any, expected: type[Any], what: str) -> Any:
    """The user's ``http_client``, if it is what this client's transport sends with."""
    if client is None or isinstance(client, expected):
        return client
    raise E.ConfigurationError(
        f"http_client: this client sends with {what}, got {type(client).__module__}.{type(client).__name__}; "
        f"pass {what} (configured with your proxies, certificates, adapters...) or leave it out"
    )


SyncT = TypeVar("SyncT")
AsyncT = TypeVar("AsyncT")


class _Resource(Generic[SyncT, AsyncT]):
    """A platform resource on the facade, typed with its real classes.

    On :class:`OpenAICompatibleClient` it is the sync class, on the async client the async
    one; on a platform that lacks the resource it is :class:`Unavailable`, whose calls raise
    ``UnsupportedEndpointError`` before any I/O.
    """

    def __init__(self, name: str, summary: str) -> None:
        self._name = name
        self.__doc__ = f"``client.{name}``: {summary} (``UnsupportedEndpointError`` where it is missing)."

    @overload
    def __get__(self, obj: None, owner: Any) -> _Resource[SyncT, AsyncT]: ...
    @overload
    def __get__(self, obj: OpenAICompatibleClient, owner: Any) -> SyncT | Unavailable: ...
    @overload
    def __get__(self, obj: AsyncOpenAICompatibleClient, owner: Any) -> AsyncT | Unavailable: ...
    def __get__(self, obj: Any, owner: Any) -> Any:
        if obj is None:
            return self
        return obj._resource(self._name)


class _ClientBase:
    """What both facades share: settings, platform, platform-only resources, repr."""

    _context: ClientContext[Any]

    def _setup(
        self,
        config: ClientConfig | None,
        base_url: str | None,
        api_key: str | None,
        platform: str | None,
        settings: Mapping[str, Any],
    ) -> tuple[ClientConfig, Platform]:
        setup_from_env()
        cfg = _config(config, base_url, api_key, platform, settings)
        # Chat, completion and embedding requests are built by LiteLLM: start importing it now, in
        # the background, so the first request does not wait the seconds the import takes.
        _litellm_loader.prefetch()
        if cfg.platform == "auto":
            cfg = cfg.model_copy(update={"platform": detect_platform(cfg)})
        return cfg, get_platform(cfg.platform)

    @property
    def config(self) -> ClientConfig:
        """The client's settings."""
        return self._context.config

    @property
    def platform(self) -> str:
        """The platform name (``"vllm"``, ``"ollama"``...)."""
        return self._context.platform.name

    @property
    def base_url(self) -> str:
        """The server's base URL as configured."""
        return self._context.config.base_url

    def _resource(self, name: str) -> Any:
        cache: dict[str, Any] = self.__dict__.setdefault("_resources", {})
        if name not in cache:
            classes = self._context.platform.resource_table().get(name)
            if classes is None:
                cache[name] = Unavailable(name, self.platform)
            else:
                resource = classes[self._twin](self._context)
                resource.with_raw_response = RawView(resource, streaming=False)
                resource.with_streaming_response = RawView(resource, streaming=True)
                cache[name] = resource
        return cache[name]

    _twin = 0
    _http_client: Any = None

    def copy(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: Any = None,
        max_retries: int | None = None,
        default_headers: Mapping[str, str] | None = None,
        set_default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, str] | None = None,
        set_default_query: Mapping[str, str] | None = None,
        http_client: Any = None,
        **settings: Any,
    ) -> Self:
        """A new client with some settings changed, as ``openai.OpenAI.copy`` (this one is left as is).

        The environment is not read again. Headers and query parameters are merged into this
        client's (``set_default_headers`` / ``set_default_query`` replace them). The new client
        has its own connection pool; an ``http_client`` given to this one is shared, as the SDK does.
        """
        if default_headers is not None and set_default_headers is not None:
            raise ValueError("pass default_headers= or set_default_headers=, not both")
        if default_query is not None and set_default_query is not None:
            raise ValueError("pass default_query= or set_default_query=, not both")
        cfg = self.config
        changes: dict[str, Any] = {
            k: v
            for k, v in (
                ("api_key", api_key),
                ("base_url", base_url),
                ("timeout", timeout),
                ("max_retries", max_retries),
            )
            if v is not None
        }
        if set_default_headers is not None or default_headers is not None:
            changes["default_headers"] = dict(
                set_default_headers or {**cfg.default_headers, **(default_headers or {})}
            )
        if set_default_query is not None or default_query is not None:
            changes["default_query"] = dict(
                set_default_query or {**cfg.default_query, **(default_query or {})}
            )
        cls: Any = type(self)
        return cls(config=cfg, http_client=http_client or self._http_client, **changes, **settings)  # type: ignore[no-any-return]

    with_options = copy

    # The classes are named for type checkers only (the resources load on first use).
    # ``models`` differs per platform (the OpenAI-style list, Ollama's model management): Any.
    models: _Resource[Any, Any] = _Resource("models", "the served models")
    tokenizer: _Resource[vllm.Tokenizer, vllm.AsyncTokenizer] = _Resource("tokenizer", "vLLM's tokenizer")
    pooling: _Resource[vllm.Pooling, vllm.AsyncPooling] = _Resource("pooling", "vLLM's pooling")
    classification: _Resource[vllm.Classification, vllm.AsyncClassification] = _Resource(
        "classification", "vLLM's classification"
    )
    score: _Resource[vllm.Score, vllm.AsyncScore] = _Resource("score", "vLLM's score")
    rerank: _Resource[vllm.Rerank, vllm.AsyncRerank] = _Resource("rerank", "vLLM's rerank")
    audio: _Resource[vllm.Audio, vllm.AsyncAudio] = _Resource("audio", "vLLM's audio")
    blobs: _Resource[ollama.Blobs, ollama.AsyncBlobs] = _Resource("blobs", "Ollama's blobs")
    responses: _Resource[common_responses.Responses, common_responses.AsyncResponses] = _Resource(
        "responses", "the Responses API"
    )
    messages: _Resource[common_messages.Messages, common_messages.AsyncMessages] = _Resource(
        "messages", "Anthropic's Messages API"
    )
    lora: _Resource[vllm_admin.LoRA, vllm_admin.AsyncLoRA] = _Resource("lora", "vLLM's LoRA adapters")

    if not TYPE_CHECKING:  # other platforms' resources by name (static checkers stay strict)

        def __getattr__(self, name: str) -> Any:
            if name.startswith("_") or not any(name in entry.resource_table() for entry in platforms()):
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            return self._resource(name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(platform={self.platform!r}, base_url={self.base_url!r})"

    def __getstate__(self) -> Any:
        raise TypeError(
            f"{type(self).__name__} holds open connections and cannot be pickled; pickle its config"
        )


class OpenAICompatibleClient(_ClientBase):
    """The ``openai.OpenAI`` interface for a vLLM or Ollama server.

    Args:
        base_url: The server URL, with or without ``/v1`` (default: from the environment).
        api_key: Sent as a bearer token; never printed.
        platform: ``"vllm"``, ``"ollama"``, another registered platform, or ``"auto"``.
        config: A complete :class:`ClientConfig` (keyword arguments override it).
        **settings: Any other :class:`ClientConfig` field (``timeout``, ``max_retries``,
            ``unsupported_params``, ``default_headers``, ``vllm=``, ``ollama=`` ...).

    Raises:
        ConfigurationError: invalid settings, naming the field and the accepted values.
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        platform: str | None = None,
        *,
        config: ClientConfig | None = None,
        http_client: Any = None,
        **settings: Any,
    ) -> None:
        cfg, entry = self._setup(config, base_url, api_key, platform, settings)
        self._http_client = _checked_client(http_client, requests.Session, "a requests.Session")
        self._context = ClientContext(cfg, entry, Transport(_settings(cfg, entry, self._http_client)))
        runner = _SyncRunner(self._context)
        self.chat = Chat(ChatCompletions(cfg, entry, runner))
        self.completions = Completions(cfg, entry, runner)
        self.embeddings = Embeddings(cfg, entry, runner, self)

    @classmethod
    def from_router(cls, source: Any, *, primary: str | None = None, **router_kwargs: Any) -> RouterClient:
        """Chat, completions and embeddings through a LiteLLM Router over many servers.

        Args:
            source: A LiteLLM proxy-style YAML path, a ready ``model_list``, or ``ClientConfig`` /
                ``(model_name, ClientConfig)`` / ``Deployment`` items (see the router docs).
            primary: The deployment that platform-only endpoints (``models``, ``tokenizer``...) use.
            **router_kwargs: ``litellm.Router`` arguments (``routing_strategy``, ``num_retries``,
                ``fallbacks``, ``allowed_fails``, ``cooldown_time``...).
        """
        return _router_factory()(source, async_=False, primary=primary, **router_kwargs)  # type: ignore[no-any-return]

    def version(self) -> Any:
        """The server's version (vLLM ``GET /version``, Ollama ``GET /api/version``)."""
        return self._resource("server").version()

    def health(self) -> Any:
        """Whether the server answers its health route."""
        return self._resource("server").health()

    def ping(self) -> Any:
        """vLLM ``GET /ping``: True when the server answers."""
        return self._resource("server").ping()

    def load(self) -> Any:
        """vLLM ``GET /load``: ``r.server_load``."""
        return self._resource("server").load()

    def metrics(self) -> Any:
        """vLLM ``GET /metrics``, parsed from the Prometheus text format."""
        return self._resource("server").metrics()

    def sleep(self, level: int = 1) -> Any:
        """vLLM ``POST /sleep?level=`` (dev mode, sleep-mode builds)."""
        return self._resource("server").sleep(level)

    def wake_up(self, tags: Any = None) -> Any:
        """vLLM ``POST /wake_up`` (dev mode)."""
        return self._resource("server").wake_up(tags)

    def is_sleeping(self) -> Any:
        """vLLM ``GET /is_sleeping`` (dev mode)."""
        return self._resource("server").is_sleeping()

    def close(self) -> None:
        """Release the pooled connections."""
        self._context.transport.close()

    def __enter__(self) -> OpenAICompatibleClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class AsyncOpenAICompatibleClient(_ClientBase):
    """The ``openai.AsyncOpenAI`` interface for a vLLM or Ollama server (arguments as the sync client)."""

    _twin = 1

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        platform: str | None = None,
        *,
        config: ClientConfig | None = None,
        http_client: Any = None,
        **settings: Any,
    ) -> None:
        cfg, entry = self._setup(config, base_url, api_key, platform, settings)
        self._http_client = _checked_client(http_client, httpx.AsyncClient, "an httpx.AsyncClient")
        self._context = ClientContext(cfg, entry, AsyncTransport(_settings(cfg, entry, self._http_client)))
        runner = _AsyncRunner(self._context)
        self.chat = AsyncChat(AsyncChatCompletions(cfg, entry, runner))
        self.completions = AsyncCompletions(cfg, entry, runner)
        self.embeddings = AsyncEmbeddings(cfg, entry, runner, self)

    @classmethod
    def from_router(
        cls, source: Any, *, primary: str | None = None, **router_kwargs: Any
    ) -> AsyncRouterClient:
        """The async twin of :meth:`OpenAICompatibleClient.from_router`."""
        return _router_factory()(source, async_=True, primary=primary, **router_kwargs)  # type: ignore[no-any-return]

    async def version(self) -> Any:
        """The server's version (vLLM ``GET /version``, Ollama ``GET /api/version``)."""
        return await self._resource("server").version()

    async def health(self) -> Any:
        """Whether the server answers its health route."""
        return await self._resource("server").health()

    async def ping(self) -> Any:
        """vLLM ``GET /ping``: True when the server answers."""
        return await self._resource("server").ping()

    async def load(self) -> Any:
        """vLLM ``GET /load``: ``r.server_load``."""
        return await self._resource("server").load()

    async def metrics(self) -> Any:
        """vLLM ``GET /metrics``, parsed from the Prometheus text format."""
        return await self._resource("server").metrics()

    async def sleep(self, level: int = 1) -> Any:
        """vLLM ``POST /sleep?level=`` (dev mode, sleep-mode builds)."""
        return await self._resource("server").sleep(level)

    async def wake_up(self, tags: Any = None) -> Any:
        """vLLM ``POST /wake_up`` (dev mode)."""
        return await self._resource("server").wake_up(tags)

    async def is_sleeping(self) -> Any:
        """vLLM ``GET /is_sleeping`` (dev mode)."""
        return await self._resource("server").is_sleeping()

    async def close(self) -> None:
        """Release the pooled connections."""
        await self._context.transport.aclose()

    async def __aenter__(self) -> AsyncOpenAICompatibleClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()
