"""Many servers behind one client: a LiteLLM ``Router`` with the facade's OpenAI surface.

Chat, completions and embeddings go through :class:`litellm.Router` (load balancing across
replicas, retries, fallbacks from one platform to the other, cooldown of failing deployments);
answers come back as genuine ``openai.types``. Platform-only endpoints (``models``,
``tokenizer``, ``rerank``...) have no meaning across replicas: they go to one chosen
deployment through a plain facade client (:meth:`RouterClient.deployment`, or the primary's
``client.models`` ...).

The ``model_list`` comes from :class:`~openai_compatible_client.config.ClientConfig` objects or
from a LiteLLM proxy-style YAML file::

    model_list:
      - model_name: chat
        litellm_params: {model: hosted_vllm/Qwen/Qwen3-8B, api_base: http://gpu1:8000/v1}
      - model_name: chat-fallback
        litellm_params: {model: ollama_chat/qwen3:8b, api_base: http://cpu1:11434}
    router_settings:
      routing_strategy: simple-shuffle
      num_retries: 2
      fallbacks: [{chat: [chat-fallback]}]
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import threading
import warnings
from collections.abc import AsyncIterator, Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, overload
from urllib.parse import urlsplit

import openai
from openai.types import Completion, CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from openai_compatible_client import errors as E
from openai_compatible_client.client import (
    AsyncOpenAICompatibleClient,
    AsyncStream,
    OpenAICompatibleClient,
    Stream,
)
from openai_compatible_client.config import ClientConfig
from openai_compatible_client.errors import ConfigurationError, OpenAICompatibleError
from openai_compatible_client.platforms import get_platform, platform_names, platforms
from openai_compatible_client.routing import chat_request, completion_request, embedding_request, load_litellm

__all__ = [
    "AsyncRouterClient",
    "Deployment",
    "RouterClient",
    "client_from_router",
    "load_model_list",
    "model_list_from_configs",
]


def _platform_of_prefix() -> dict[str, str]:
    """LiteLLM provider prefix -> platform name, from the registry (the first entry naming a prefix wins)."""
    table: dict[str, str] = {}
    for entry in platforms():
        for prefix in entry.providers:
            table.setdefault(prefix, entry.name)
    return table


_PLATFORM_ATTRIBUTES = frozenset(
    {
        "models",
        "tokenizer",
        "pooling",
        "classification",
        "score",
        "rerank",
        "audio",
        "blobs",
        "version",
        "health",
    }
)
Kind = Literal["chat", "completion", "embedding"]
ModelListSource = (
    Sequence["ClientConfig | Deployment | tuple[str, ClientConfig] | Mapping[str, Any]"] | str | Path
)


@dataclass(frozen=True)
class Deployment:
    """One server behind the router.

    Attributes:
        model_name: The name callers use (``model=``); deployments sharing it are load-balanced.
        config: How to reach the server (its ``model`` is the model name on that server).
        id: A unique deployment id (default: ``<platform>@<host:port>/<model>``).
        extra: More ``litellm_params`` (``rpm``, ``tpm``, ``weight``, ``num_ctx``, ``top_k``...).
    """

    model_name: str
    config: ClientConfig
    id: str | None = None
    extra: Mapping[str, Any] | None = None

    @property
    def deployment_id(self) -> str:
        """The id LiteLLM reports as ``model_id`` for answers from this deployment."""
        if self.id:
            return self.id
        netloc = urlsplit(self.config.base_url).netloc
        return f"{self.config.platform}@{netloc}/{self.config.model}"


def _as_deployment(
    item: ClientConfig | Deployment | tuple[str, ClientConfig] | Mapping[str, Any],
) -> Deployment:
    if isinstance(item, Deployment):
        return item
    if isinstance(item, ClientConfig):
        if not item.model:
            raise ConfigurationError(
                "a router deployment needs ClientConfig.model (the model on that server)"
            )
        return Deployment(item.model, item)
    if isinstance(item, tuple) and len(item) == 2:
        return Deployment(item[0], item[1])
    if isinstance(item, Mapping):
        return Deployment(**item)
    raise ConfigurationError(f"cannot make a router deployment from {type(item).__name__}")


def _litellm_params(deployment: Deployment, kind: Kind) -> dict[str, Any]:
    config = deployment.config
    if config.platform == "auto":
        raise ConfigurationError("router deployments need a platform name, not 'auto'")
    entry = get_platform(config.platform)
    if not config.model:
        raise ConfigurationError(f"deployment {deployment.model_name!r}: ClientConfig.model is required")
    params: dict[str, Any] = {
        "model": f"{entry.router_provider(kind)}/{config.model}",
        "api_base": config.openai_url if entry.router_base == "v1" else config.root_url,
        "timeout": config.timeout,
        "max_retries": 0,  # retries are the router's job
    }
    if config.api_key is not None:
        params["api_key"] = config.secret()
    if config.default_headers:
        params["extra_headers"] = dict(config.default_headers)
    params.update(entry.inference.router_params(config))
    params.update(deployment.extra or {})
    return params


def model_list_from_configs(
    deployments: Sequence[ClientConfig | Deployment | tuple[str, ClientConfig] | Mapping[str, Any]],
    *,
    kind: Kind = "chat",
) -> list[dict[str, Any]]:
    """A LiteLLM Router ``model_list`` from client settings.

    Args:
        deployments: ``ClientConfig`` objects (served under their ``model``), ``(model_name, config)``
            pairs, or :class:`Deployment` objects.
        kind: Which LiteLLM route the entries use (Ollama has separate chat and embedding routes).

    Returns:
        ``[{"model_name": ..., "litellm_params": {...}, "model_info": {"id": ...}}, ...]``

    Example:
        >>> cfg = ClientConfig(base_url="http://gpu1:8000/v1", platform="vllm", model="Qwen/Qwen3-8B")
        >>> entry = model_list_from_configs([("chat", cfg)])[0]
        >>> entry["litellm_params"]["model"], entry["litellm_params"]["api_base"]
        ('hosted_vllm/Qwen/Qwen3-8B', 'http://gpu1:8000/v1')
    """
    entries = []
    for item in deployments:
        deployment = _as_deployment(item)
        entries.append(
            {
                "model_name": deployment.model_name,
                "litellm_params": _litellm_params(deployment, kind),
                "model_info": {"id": deployment.deployment_id},
            }
        )
    return entries


def _resolve_env(value: Any, defined: Mapping[str, str]) -> Any:
    """An ``os.environ/NAME`` reference: from the file's ``environment_variables``, else the environment."""
    if isinstance(value, str) and value.startswith("os.environ/"):
        name = value.removeprefix("os.environ/")
        if name in defined:
            return defined[name]
        if name not in os.environ:
            raise ConfigurationError(f"router config refers to the unset environment variable {name}")
        return os.environ[name]
    return value


# litellm_settings keys that configure a Router, and the Router argument each one sets.
_LITELLM_ROUTER_SETTINGS = {
    "num_retries": "num_retries",
    "request_timeout": "timeout",
    "fallbacks": "fallbacks",
    "context_window_fallbacks": "context_window_fallbacks",
    "allowed_fails": "allowed_fails",
    "cooldown_time": "cooldown_time",
}
_SECTIONS = ("model_list", "router_settings", "litellm_settings", "environment_variables")


def _mapping(document: Mapping[str, Any], key: str, path: str | Path) -> dict[str, Any]:
    value = document.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigurationError(f"{path}: {key} must be a mapping")
    return value


def load_model_list(path: str | Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Read a LiteLLM proxy ``config.yaml`` as LiteLLM users write it.

    ``environment_variables:`` defines the names that ``os.environ/NAME`` values refer to (the
    process environment is the fallback and is not changed). ``litellm_settings:`` keys that
    configure a Router (``num_retries``, ``request_timeout``, ``fallbacks``,
    ``context_window_fallbacks``, ``allowed_fails``, ``cooldown_time``) become Router arguments;
    ``router_settings:`` wins over them. Every other key or section is named in one warning.

    Returns:
        ``(model_list, router_settings)``: the deployments (``os.environ/NAME`` values resolved,
        a ``model_info.id`` added where missing) and the Router arguments (may be empty).
    """
    import yaml

    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle) or {}
    if not isinstance(document, dict) or not isinstance(document.get("model_list"), list):
        raise ConfigurationError(f"{path}: expected a 'model_list:' list of deployments")
    defined = {str(k): str(v) for k, v in _mapping(document, "environment_variables", path).items()}
    defined = {k: _resolve_env(v, {}) for k, v in defined.items()}
    litellm_settings = _mapping(document, "litellm_settings", path)
    ignored = [f"{key}:" for key in document if key not in _SECTIONS]
    ignored += [f"litellm_settings.{key}" for key in litellm_settings if key not in _LITELLM_ROUTER_SETTINGS]
    if ignored:
        warnings.warn(
            f"{path}: not applied by this client (they configure a LiteLLM proxy, not a Router): "
            + ", ".join(ignored),
            UserWarning,
            stacklevel=3,
        )
    entries = []
    for index, raw in enumerate(document["model_list"]):
        if (
            not isinstance(raw, dict)
            or not isinstance(raw.get("litellm_params"), dict)
            or "model_name" not in raw
        ):
            raise ConfigurationError(f"{path}: model_list[{index}] needs 'model_name' and 'litellm_params'")
        params = {key: _resolve_env(value, defined) for key, value in raw["litellm_params"].items()}
        if "model" not in params or "/" not in str(params["model"]):
            raise ConfigurationError(
                f"{path}: model_list[{index}].litellm_params.model needs a provider prefix"
            )
        info = dict(raw.get("model_info") or {})
        info.setdefault("id", f"{raw['model_name']}-{index}")
        entries.append({**raw, "litellm_params": params, "model_info": info})
    settings = {
        _LITELLM_ROUTER_SETTINGS[key]: value
        for key, value in litellm_settings.items()
        if key in _LITELLM_ROUTER_SETTINGS
    }
    settings.update(_mapping(document, "router_settings", path))
    return entries, settings


def _register_ollama_models(model_list: Sequence[Mapping[str, Any]]) -> None:
    """Tell LiteLLM about Ollama models so it never probes ``localhost:11434/api/show`` for them."""
    litellm = load_litellm()
    known: dict[str, Any] = {}
    for entry in model_list:
        model = str(entry["litellm_params"]["model"])
        provider, _, name = model.partition("/")
        if provider in ("ollama", "ollama_chat"):
            for prefix, mode in (("ollama_chat", "chat"), ("ollama", "completion")):
                known[f"{prefix}/{name}"] = {
                    "litellm_provider": prefix,
                    "mode": mode,
                    "input_cost_per_token": 0.0,
                    "output_cost_per_token": 0.0,
                }
    if known:
        litellm.register_model(known)


def _embedding_list(model_list: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The same deployments on their embedding routes (LiteLLM's ``ollama_chat/`` has none)."""
    embedding_prefix = {p.router_provider("chat"): p.router_provider("embedding") for p in platforms()}
    entries = []
    for entry in model_list:
        params = dict(entry["litellm_params"])
        provider, _, name = str(params["model"]).partition("/")
        if embedding_prefix.get(provider, provider) != provider:
            params["model"] = f"{embedding_prefix[provider]}/{name}"
        entries.append({**entry, "litellm_params": params})
    return entries


def _facade_config(entry: Mapping[str, Any]) -> ClientConfig:
    params = entry["litellm_params"]
    provider, _, name = str(params["model"]).partition("/")
    platform = _platform_of_prefix().get(provider)
    if platform is None or "api_base" not in params:
        raise ConfigurationError(
            f"deployment {entry['model_name']!r} ({params['model']}) is not a server of a registered "
            f"platform ({', '.join(platform_names())}) with an api_base"
        )
    settings: dict[str, Any] = {"base_url": params["api_base"], "platform": platform, "model": name}
    if params.get("api_key"):
        settings["api_key"] = params["api_key"]
    if isinstance(params.get("timeout"), (int, float)):
        settings["timeout"] = float(params["timeout"])
    return ClientConfig(**settings)


def _strip_provider(model: Any) -> Any:
    if isinstance(model, str):
        provider, sep, name = model.partition("/")
        if sep and provider in _platform_of_prefix():
            return name
    return model


def _chat(response: Any) -> ChatCompletion:
    data = response.model_dump()
    data["model"] = _strip_provider(data.get("model"))
    return ChatCompletion.model_validate(data)


def _chat_chunk(chunk: Any) -> ChatCompletionChunk:
    data = chunk.model_dump()
    data["model"] = _strip_provider(data.get("model"))
    return ChatCompletionChunk.model_validate(data)


def _completion(response: Any) -> Completion:
    data = response.model_dump()
    data["model"] = _strip_provider(data.get("model"))
    return Completion.model_validate(data)


def _embeddings(response: Any) -> CreateEmbeddingResponse:
    data = response.model_dump()
    data["model"] = _strip_provider(data.get("model")) or ""
    for index, item in enumerate(data.get("data") or []):
        item.setdefault("index", index)
        item.setdefault("object", "embedding")
    usage = data.get("usage") or {}
    data["usage"] = {
        "prompt_tokens": usage.get("prompt_tokens") or 0,
        "total_tokens": usage.get("total_tokens") or usage.get("prompt_tokens") or 0,
    }
    return CreateEmbeddingResponse.model_validate(data)


_ENDPOINTS = {
    ("vllm", "chat"): "POST /v1/chat/completions",
    ("vllm", "completion"): "POST /v1/completions",
    ("vllm", "embedding"): "POST /v1/embeddings",
    ("ollama", "chat"): "POST /api/chat",
    ("ollama", "completion"): "POST /api/generate",
    ("ollama", "embedding"): "POST /api/embed",
}


@contextmanager
def _same_errors(kind: Kind) -> Iterator[None]:
    """LiteLLM's exceptions as the direct path raises them (this library's classes, same messages)."""
    try:
        yield
    except OpenAICompatibleError:
        raise
    except openai.APIError as exc:
        provider = str(getattr(exc, "llm_provider", "") or "")
        platform = _platform_of_prefix().get(provider, provider or "router")
        endpoint = _ENDPOINTS.get((platform, kind), f"POST ({kind})")
        url = str(getattr(getattr(exc, "request", None), "url", "") or "")
        text = str(getattr(exc, "message", "") or exc)
        if isinstance(exc, openai.APITimeoutError):
            raise E.timeout_error(platform=platform, endpoint=endpoint, url=url, timeout=None) from exc
        if isinstance(exc, openai.APIConnectionError):
            raise E.connection_error(
                platform=platform, endpoint=endpoint, url=url, reason=text[:200]
            ) from exc
        status = getattr(exc, "status_code", None)
        if not isinstance(status, int):
            raise
        body = exc.body if isinstance(exc.body, Mapping) else {"error": {"message": text}}
        raise E.error_from_response(
            platform=platform,
            endpoint=endpoint,
            url=url,
            status=status,
            content=json.dumps(body if "error" in body else {"error": body}, default=str).encode(),
        ) from exc


class _RouterBase:
    """What both router clients share: the routers, the deployments and platform-only access."""

    _facade: type[OpenAICompatibleClient] | type[AsyncOpenAICompatibleClient]

    def __init__(
        self, model_list: Sequence[Mapping[str, Any]], primary: str | None, **router_kwargs: Any
    ) -> None:
        if not model_list:
            raise ConfigurationError("a router needs at least one deployment")
        litellm = load_litellm()
        from litellm.router import Router

        self.model_list = [dict(entry) for entry in model_list]
        _register_ollama_models(self.model_list)
        self.router = Router(model_list=self.model_list, **router_kwargs)
        self.embedding_router = Router(model_list=_embedding_list(self.model_list), **router_kwargs)
        self._litellm = litellm
        self._ids = [str(entry["model_info"]["id"]) for entry in self.model_list]
        self._primary = primary if primary is not None else self._ids[0]
        if self._primary not in self._ids:
            raise ConfigurationError(f"unknown primary deployment {primary!r}; known: {', '.join(self._ids)}")
        self._clients: dict[str, Any] = {}
        self.default_model = str(self.model_list[0]["model_name"])

    @property
    def deployment_ids(self) -> list[str]:
        """The ids of the deployments, in ``model_list`` order."""
        return list(self._ids)

    def _client(self, deployment_id: str) -> Any:
        if deployment_id not in self._clients:
            if deployment_id not in self._ids:
                raise ConfigurationError(
                    f"unknown deployment {deployment_id!r}; known: {', '.join(self._ids)}"
                )
            entry = self.model_list[self._ids.index(deployment_id)]
            self._clients[deployment_id] = self._facade(config=_facade_config(entry))
        return self._clients[deployment_id]

    def _model(self, model: str | None) -> str:
        return model or self.default_model

    def cooldown_deployments(self) -> list[str]:
        """The ids of the deployments currently cooled down after failures."""
        health = getattr(self.router, "health", None)
        if callable(health):  # LiteLLM >= 1.110: the supported API (the helper below is deprecated)
            active = health().cooldowns.get_active_cooldowns(model_ids=self._ids, parent_otel_span=None)
            return [str(item[0]) for item in active]
        module = importlib.import_module("litellm.router_utils.cooldown_handlers")
        return list(module.get_cooldown_deployments(self.router, parent_otel_span=None))

    def _check(self, kind: Kind, model: str | None, **call: Any) -> None:
        """The direct path's local checks, before LiteLLM sees the call (typed errors, no I/O)."""
        name = self._model(model)
        entry = next((e for e in self.model_list if e["model_name"] == name), None)
        if entry is None:
            return  # LiteLLM names the unknown model group itself
        try:
            config = _facade_config(entry)
        except ConfigurationError:
            return  # not a vLLM or Ollama deployment: LiteLLM checks it
        platform = get_platform(config.platform)
        if kind == "chat":
            chat_request(config, platform, model=None, **call)
        elif kind == "completion":
            completion_request(config, platform, model=None, **call)
        else:
            embedding_request(config, platform, model=None, **call)

    def __getattr__(self, name: str) -> Any:
        # Platform-only resources (models, tokenizer, rerank, blobs, version(), health()...) of the primary.
        if name not in _PLATFORM_ATTRIBUTES:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        return getattr(self._client(self._primary), name)


class RouterClient(_RouterBase):
    """``chat.completions.create`` / ``completions.create`` / ``embeddings.create`` through a LiteLLM Router.

    Build it with :func:`client_from_router`. ``client.deployment(id)`` is a plain
    :class:`~openai_compatible_client.OpenAICompatibleClient` for one server; platform-only
    attributes (``client.models``, ``client.tokenizer``...) are those of the primary deployment.
    """

    _facade = OpenAICompatibleClient

    def __init__(
        self, model_list: Sequence[Mapping[str, Any]], primary: str | None = None, **router_kwargs: Any
    ):
        super().__init__(model_list, primary, **router_kwargs)
        self.chat = _Namespace(completions=_SyncChat(self))
        self.completions = _SyncCompletions(self)
        self.embeddings = _SyncEmbeddings(self)

    def deployment(self, deployment_id: str) -> OpenAICompatibleClient:
        """A plain facade client for one deployment (for its platform-only endpoints)."""
        client: OpenAICompatibleClient = self._client(deployment_id)
        return client

    def close(self) -> None:
        """Close the per-deployment facade clients (and the private loop of sync completions)."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        self.completions.close()

    def __enter__(self) -> RouterClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class AsyncRouterClient(_RouterBase):
    """The async twin of :class:`RouterClient`."""

    _facade = AsyncOpenAICompatibleClient

    def __init__(
        self, model_list: Sequence[Mapping[str, Any]], primary: str | None = None, **router_kwargs: Any
    ):
        super().__init__(model_list, primary, **router_kwargs)
        self.chat = _Namespace(completions=_AsyncChat(self))
        self.completions = _AsyncCompletions(self)
        self.embeddings = _AsyncEmbeddings(self)

    def deployment(self, deployment_id: str) -> AsyncOpenAICompatibleClient:
        """A plain async facade client for one deployment (for its platform-only endpoints)."""
        client: AsyncOpenAICompatibleClient = self._client(deployment_id)
        return client

    async def close(self) -> None:
        """Close the per-deployment facade clients."""
        for client in self._clients.values():
            await client.close()
        self._clients.clear()

    async def __aenter__(self) -> AsyncRouterClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()


class _Namespace:
    def __init__(self, completions: Any) -> None:
        self.completions = completions


def _sync_stream(wrapper: Any) -> Stream[ChatCompletionChunk]:
    def items() -> Iterator[list[ChatCompletionChunk]]:
        for chunk in wrapper:
            yield [_chat_chunk(chunk)]

    return Stream(items())


def _async_stream(wrapper: Any) -> AsyncStream[ChatCompletionChunk]:
    async def items() -> AsyncIterator[list[ChatCompletionChunk]]:
        async for chunk in wrapper:
            yield [_chat_chunk(chunk)]

    return AsyncStream(items())


class _SyncChat:
    def __init__(self, owner: RouterClient) -> None:
        self._owner = owner

    @overload
    def create(
        self, *, messages: Any, model: str | None = ..., stream: Literal[False] | None = ..., **params: Any
    ) -> ChatCompletion: ...
    @overload
    def create(
        self, *, messages: Any, model: str | None = ..., stream: Literal[True], **params: Any
    ) -> Stream[ChatCompletionChunk]: ...
    def create(
        self, *, messages: Any, model: str | None = None, stream: bool | None = None, **params: Any
    ) -> ChatCompletion | Stream[ChatCompletionChunk]:
        """A chat completion from one of the deployments named ``model`` (default: the first name)."""
        self._owner._check("chat", model, messages=messages, stream=stream, params=params)
        with _same_errors("chat"):
            response = self._owner.router.completion(
                model=self._owner._model(model), messages=messages, stream=bool(stream), **params
            )
        return _sync_stream(response) if stream else _chat(response)


class _AsyncChat:
    def __init__(self, owner: AsyncRouterClient) -> None:
        self._owner = owner

    @overload
    async def create(
        self, *, messages: Any, model: str | None = ..., stream: Literal[False] | None = ..., **params: Any
    ) -> ChatCompletion: ...
    @overload
    async def create(
        self, *, messages: Any, model: str | None = ..., stream: Literal[True], **params: Any
    ) -> AsyncStream[ChatCompletionChunk]: ...
    async def create(
        self, *, messages: Any, model: str | None = None, stream: bool | None = None, **params: Any
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]:
        """A chat completion from one of the deployments named ``model`` (default: the first name)."""
        self._owner._check("chat", model, messages=messages, stream=stream, params=params)
        with _same_errors("chat"):
            response = await self._owner.router.acompletion(
                model=self._owner._model(model), messages=messages, stream=bool(stream), **params
            )
        return _async_stream(response) if stream else _chat(response)


class _LoopThread:
    """A private event loop in a daemon thread, for router calls LiteLLM only does right in async."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="router-loop", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def close(self) -> None:
        # LiteLLM leaves background tasks (its logging worker) on the loop: end them first.
        asyncio.run_coroutine_threadsafe(_cancel_other_tasks(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()


async def _cancel_other_tasks() -> None:
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.get_running_loop().shutdown_asyncgens()


class _SyncCompletions:
    # LiteLLM 1.106's sync Router.text_completion sends the alias as the model name and has no
    # retries or fallbacks; the async path is right, so sync calls run it on a private loop.
    def __init__(self, owner: RouterClient) -> None:
        self._owner = owner
        self._loop: _LoopThread | None = None
        self._lock = threading.Lock()

    def create(self, *, prompt: Any, model: str | None = None, **params: Any) -> Completion:
        """A text completion from one of the deployments named ``model``."""
        with self._lock:
            if self._loop is None:
                self._loop = _LoopThread()
        self._owner._check("completion", model, prompt=prompt, stream=None, params=params)
        call = self._owner.router.atext_completion(model=self._owner._model(model), prompt=prompt, **params)
        with _same_errors("completion"):
            return _completion(self._loop.run(call))

    def close(self) -> None:
        if self._loop is not None:
            self._loop.close()
            self._loop = None


class _AsyncCompletions:
    def __init__(self, owner: AsyncRouterClient) -> None:
        self._owner = owner

    async def create(self, *, prompt: Any, model: str | None = None, **params: Any) -> Completion:
        """A text completion from one of the deployments named ``model``."""
        self._owner._check("completion", model, prompt=prompt, stream=None, params=params)
        with _same_errors("completion"):
            response = await self._owner.router.atext_completion(
                model=self._owner._model(model), prompt=prompt, **params
            )
        return _completion(response)


class _SyncEmbeddings:
    def __init__(self, owner: RouterClient) -> None:
        self._owner = owner

    def create(self, *, input: Any, model: str | None = None, **params: Any) -> CreateEmbeddingResponse:
        """Embeddings from one of the deployments named ``model``."""
        self._owner._check("embedding", model, input=input, params=params)
        router = self._owner.embedding_router
        with _same_errors("embedding"):
            return _embeddings(router.embedding(model=self._owner._model(model), input=input, **params))


class _AsyncEmbeddings:
    def __init__(self, owner: AsyncRouterClient) -> None:
        self._owner = owner

    async def create(self, *, input: Any, model: str | None = None, **params: Any) -> CreateEmbeddingResponse:
        """Embeddings from one of the deployments named ``model``."""
        self._owner._check("embedding", model, input=input, params=params)
        router = self._owner.embedding_router
        with _same_errors("embedding"):
            return _embeddings(
                await router.aembedding(model=self._owner._model(model), input=input, **params)
            )


@overload
def client_from_router(
    source: ModelListSource, *, async_: Literal[False] = ..., primary: str | None = ..., **router_kwargs: Any
) -> RouterClient: ...
@overload
def client_from_router(
    source: ModelListSource, *, async_: Literal[True], primary: str | None = ..., **router_kwargs: Any
) -> AsyncRouterClient: ...
def client_from_router(
    source: ModelListSource, *, async_: bool = False, primary: str | None = None, **router_kwargs: Any
) -> RouterClient | AsyncRouterClient:
    """A client whose chat, completions and embeddings go through a LiteLLM Router.

    Args:
        source: A path to a LiteLLM proxy-style YAML file (``model_list:`` and optional
            ``router_settings:``), a ready ``model_list`` (dicts with ``litellm_params``), or
            ``ClientConfig`` / ``(model_name, ClientConfig)`` / :class:`Deployment` items.
        async_: Return an :class:`AsyncRouterClient` instead of a :class:`RouterClient`.
        primary: The deployment id that platform-only endpoints use (default: the first).
        **router_kwargs: ``litellm.Router`` arguments (``routing_strategy="least-busy"``,
            ``num_retries``, ``fallbacks``, ``allowed_fails``, ``cooldown_time``...); they override
            the YAML file's ``router_settings``.

    Example:
        .. code-block:: python

            client = client_from_router("router.yaml")
            client.chat.completions.create(model="chat", messages=[{"role": "user", "content": "hi"}])
    """
    settings: dict[str, Any] = {}
    if isinstance(source, (str, Path)):
        model_list, settings = load_model_list(source)
    else:
        items = list(source)
        if all(isinstance(item, Mapping) and "litellm_params" in item for item in items):
            model_list = [dict(cast(Mapping[str, Any], item)) for item in items]
            for index, entry in enumerate(model_list):
                info = dict(entry.get("model_info") or {})
                info.setdefault("id", f"{entry['model_name']}-{index}")
                entry["model_info"] = info
        else:
            model_list = model_list_from_configs(items)
    settings.update(router_kwargs)
    cls = AsyncRouterClient if async_ else RouterClient
    return cls(model_list, primary, **settings)
