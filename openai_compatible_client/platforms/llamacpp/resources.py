"""llama-server's native routes as resources: tokenizer, server info, LoRA adapters, generation, rerank.

Every endpoint is defined once, as an :class:`~openai_compatible_client.platforms.base.Endpoint`
over its pure builder in :mod:`.endpoints`; the sync and async methods are built from it. Only
the native completion and infill, whose return type follows ``stream=``, are written out twice.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeVar, overload

from pydantic import BaseModel, TypeAdapter, ValidationError

from openai_compatible_client import errors as E
from openai_compatible_client.platforms.base import Endpoint
from openai_compatible_client.platforms.openai import resources as openai_style
from openai_compatible_client.platforms.openai.resources import AsyncPlatformResource, PlatformResource
from openai_compatible_client.platforms.validation import item_parser, reply_parser
from openai_compatible_client.transport.http import Call, Reply

from . import endpoints as ep
from .types import (
    ApplyTemplateResponse,
    Completion,
    DetokenizeResponse,
    LoraAdapter,
    Metrics,
    NativeEmbedding,
    Props,
    RerankResponse,
    Slot,
    Success,
    TokenizeResponse,
)

__all__ = [
    "RESOURCES",
    "AsyncLoraAdapters",
    "AsyncNative",
    "AsyncRerank",
    "AsyncServer",
    "AsyncTokenizer",
    "LoraAdapters",
    "Native",
    "Rerank",
    "Server",
    "Tokenizer",
    "list_parser",
    "parse_metrics",
]

ModelT = TypeVar("ModelT", bound=BaseModel)
Headers = Mapping[str, str] | None
Body = Mapping[str, Any] | None
Prompt = str | Sequence[Any]
Stop = Sequence[str] | str | None


def list_parser(model_cls: type[ModelT]) -> Callable[[Reply], builtins.list[ModelT]]:
    """A parser of a JSON array of ``model_cls`` items (``/slots``, ``/lora-adapters``, ``/embedding``)."""
    adapter: TypeAdapter[builtins.list[ModelT]] = TypeAdapter(builtins.list[model_cls])  # type: ignore[valid-type]

    def parse(reply: Reply) -> builtins.list[ModelT]:
        try:
            return adapter.validate_python(reply.json())
        except ValidationError as exc:
            raise E.invalid_response(
                platform=reply.call.platform,
                endpoint=reply.call.endpoint,
                url=reply.url,
                status=reply.status,
                content=reply.content,
                reason=f"expected a list of {model_cls.__name__}: {exc.errors(include_url=False)[:1]}",
            ) from None

    parse.__annotations__["return"] = f"list[{model_cls.__name__}]"
    return parse


def parse_metrics(reply: Reply) -> Metrics:
    """The Prometheus text of ``/metrics`` and its samples."""
    return Metrics.parse(reply.content.decode("utf-8", "replace"))


class _TokenizerEndpoints:
    encode = Endpoint(ep.tokenize_call, reply_parser(TokenizeResponse))
    decode = Endpoint(ep.detokenize_call, reply_parser(DetokenizeResponse))
    apply_template = Endpoint(ep.apply_template_call, reply_parser(ApplyTemplateResponse))


class Tokenizer(_TokenizerEndpoints, PlatformResource):
    """``client.tokenizer``: text to token ids and back, and the model's chat template."""

    resource = "tokenizer"


class AsyncTokenizer(_TokenizerEndpoints, AsyncPlatformResource):
    """``client.tokenizer``: text to token ids and back, and the model's chat template."""

    resource = "tokenizer"


class _ServerEndpoints:
    props = Endpoint(ep.props_call, reply_parser(Props))
    slots = Endpoint(ep.slots_call, list_parser(Slot))
    metrics = Endpoint(ep.metrics_call, parse_metrics)


class Server(_ServerEndpoints, openai_style.Server):
    """``client.server``: health, global properties, slots and Prometheus metrics."""


class AsyncServer(_ServerEndpoints, openai_style.AsyncServer):
    """``client.server``: health, global properties, slots and Prometheus metrics."""


class _LoraEndpoints:
    list = Endpoint(ep.lora_adapters_call, list_parser(LoraAdapter))
    set = Endpoint(ep.set_lora_adapters_call, reply_parser(Success))


class LoraAdapters(_LoraEndpoints, PlatformResource):
    """``client.lora_adapters``: the adapters loaded with ``--lora`` and their global scales."""

    resource = "lora_adapters"


class AsyncLoraAdapters(_LoraEndpoints, AsyncPlatformResource):
    """``client.lora_adapters``: the adapters loaded with ``--lora`` and their global scales."""

    resource = "lora_adapters"


class _RerankEndpoints:
    create = Endpoint(ep.reranking_call, reply_parser(RerankResponse))


class Rerank(_RerankEndpoints, PlatformResource):
    """``client.rerank``: order documents by relevance to a query (a reranker model and ``--reranking``)."""

    resource = "rerank"


class AsyncRerank(_RerankEndpoints, AsyncPlatformResource):
    """``client.rerank``: order documents by relevance to a query (a reranker model and ``--reranking``)."""

    resource = "rerank"


class _NativeEndpoints:
    embedding = Endpoint(ep.embedding_call, list_parser(NativeEmbedding))

    _context: Any

    def _completion_parse(self, call: Call) -> Callable[[Any], Completion]:
        return item_parser(Completion, call, self._context.transport.url(call))


class Native(_NativeEndpoints, PlatformResource):
    """``client.native``: llama.cpp's own generation routes (``/completion``, ``/infill``, ``/embedding``)."""

    resource = "native"

    @overload
    def completion(self, prompt: Prompt, *, stream: Literal[False] = False, **options: Any) -> Completion: ...
    @overload
    def completion(
        self, prompt: Prompt, *, stream: Literal[True], **options: Any
    ) -> Iterator[Completion]: ...
    def completion(self, prompt: Prompt, *, stream: bool = False, **options: Any) -> Any:
        """``POST /completion``; ``stream=True`` gives the events (the last has ``stop=True``).

        Options are those of :func:`~openai_compatible_client.platforms.llamacpp.endpoints.completion_call`:
        ``n_predict``, ``stop``, ``temperature``, ``n_probs``, ``seed``, ``extra_body`` (any other
        llama.cpp sampling option), ``extra_headers``, ``timeout``.
        """
        call = ep.completion_call(prompt, stream=stream, **options)
        if stream:
            return self._stream(call, self._completion_parse(call))
        return self._send(call, reply_parser(Completion))

    @overload
    def infill(
        self, input_prefix: str, input_suffix: str, *, stream: Literal[False] = False, **options: Any
    ) -> Completion: ...
    @overload
    def infill(
        self, input_prefix: str, input_suffix: str, *, stream: Literal[True], **options: Any
    ) -> Iterator[Completion]: ...
    def infill(self, input_prefix: str, input_suffix: str, *, stream: bool = False, **options: Any) -> Any:
        """``POST /infill``: fill the gap between prefix and suffix (a model with FIM tokens).

        Options are those of :func:`~openai_compatible_client.platforms.llamacpp.endpoints.infill_call`.
        """
        call = ep.infill_call(input_prefix, input_suffix, stream=stream, **options)
        if stream:
            return self._stream(call, self._completion_parse(call))
        return self._send(call, reply_parser(Completion))


class AsyncNative(_NativeEndpoints, AsyncPlatformResource):
    """``client.native``: llama.cpp's own generation routes (``/completion``, ``/infill``, ``/embedding``)."""

    resource = "native"

    @overload
    async def completion(
        self, prompt: Prompt, *, stream: Literal[False] = False, **options: Any
    ) -> Completion: ...
    @overload
    async def completion(
        self, prompt: Prompt, *, stream: Literal[True], **options: Any
    ) -> AsyncIterator[Completion]: ...
    async def completion(self, prompt: Prompt, *, stream: bool = False, **options: Any) -> Any:
        """``POST /completion``; ``stream=True`` gives the events (the last has ``stop=True``).

        Options are those of :func:`~openai_compatible_client.platforms.llamacpp.endpoints.completion_call`.
        """
        call = ep.completion_call(prompt, stream=stream, **options)
        if stream:
            return await self._stream(call, self._completion_parse(call))
        return await self._send(call, reply_parser(Completion))

    @overload
    async def infill(
        self, input_prefix: str, input_suffix: str, *, stream: Literal[False] = False, **options: Any
    ) -> Completion: ...
    @overload
    async def infill(
        self, input_prefix: str, input_suffix: str, *, stream: Literal[True], **options: Any
    ) -> AsyncIterator[Completion]: ...
    async def infill(
        self, input_prefix: str, input_suffix: str, *, stream: bool = False, **options: Any
    ) -> Any:
        """``POST /infill``: fill the gap between prefix and suffix (a model with FIM tokens).

        Options are those of :func:`~openai_compatible_client.platforms.llamacpp.endpoints.infill_call`.
        """
        call = ep.infill_call(input_prefix, input_suffix, stream=stream, **options)
        if stream:
            return await self._stream(call, self._completion_parse(call))
        return await self._send(call, reply_parser(Completion))


RESOURCES: Mapping[str, tuple[type[Any], type[Any]]] = {
    "models": (openai_style.Models, openai_style.AsyncModels),
    "tokenizer": (Tokenizer, AsyncTokenizer),
    "server": (Server, AsyncServer),
    "lora_adapters": (LoraAdapters, AsyncLoraAdapters),
    "rerank": (Rerank, AsyncRerank),
    "native": (Native, AsyncNative),
}
