"""llama-server's native routes as resources: tokenizer, server info, LoRA adapters, generation, rerank.

Each method builds its call with a pure builder from :mod:`.endpoints` and sends it; the
sync and async classes differ only in ``await``.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeVar, overload

from pydantic import BaseModel, TypeAdapter, ValidationError

from openai_compatible_client import errors as E
from openai_compatible_client.platforms.openai import resources as openai_style
from openai_compatible_client.platforms.openai.resources import AsyncPlatformResource, PlatformResource
from openai_compatible_client.platforms.validation import reply_parser
from openai_compatible_client.transport.http import Reply

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
]

ModelT = TypeVar("ModelT", bound=BaseModel)
Messages = Sequence[Mapping[str, Any]]
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

    return parse


def parse_metrics(reply: Reply) -> Metrics:
    """The Prometheus text of ``/metrics`` and its samples."""
    return Metrics.parse(reply.content.decode("utf-8", "replace"))


class Tokenizer(PlatformResource):
    """``client.tokenizer``: text to token ids and back, and the model's chat template."""

    resource = "tokenizer"

    def encode(
        self,
        content: str,
        *,
        add_special: bool | None = None,
        parse_special: bool | None = None,
        with_pieces: bool | None = None,
        extra_body: Body = None,
        extra_headers: Headers = None,
        timeout: float | None = None,
    ) -> TokenizeResponse:
        """``POST /tokenize``: ``r.tokens`` (ids, or ``{id, piece}`` with ``with_pieces=True``)."""
        call = ep.tokenize_call(
            content,
            add_special=add_special,
            parse_special=parse_special,
            with_pieces=with_pieces,
            extra_body=extra_body,
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return self._send(call, reply_parser(TokenizeResponse))

    def decode(
        self, tokens: Sequence[int], *, extra_headers: Headers = None, timeout: float | None = None
    ) -> DetokenizeResponse:
        """``POST /detokenize``: ``r.content``."""
        call = ep.detokenize_call(tokens, extra_headers=extra_headers, timeout=timeout)
        return self._send(call, reply_parser(DetokenizeResponse))

    def apply_template(
        self,
        messages: Messages,
        *,
        extra_body: Body = None,
        extra_headers: Headers = None,
        timeout: float | None = None,
    ) -> ApplyTemplateResponse:
        """``POST /apply-template``: ``r.prompt``, the chat as the model's template renders it."""
        call = ep.apply_template_call(
            messages, extra_body=extra_body, extra_headers=extra_headers, timeout=timeout
        )
        return self._send(call, reply_parser(ApplyTemplateResponse))


class AsyncTokenizer(AsyncPlatformResource):
    """``client.tokenizer``: text to token ids and back, and the model's chat template."""

    resource = "tokenizer"

    async def encode(
        self,
        content: str,
        *,
        add_special: bool | None = None,
        parse_special: bool | None = None,
        with_pieces: bool | None = None,
        extra_body: Body = None,
        extra_headers: Headers = None,
        timeout: float | None = None,
    ) -> TokenizeResponse:
        """``POST /tokenize``: ``r.tokens`` (ids, or ``{id, piece}`` with ``with_pieces=True``)."""
        call = ep.tokenize_call(
            content,
            add_special=add_special,
            parse_special=parse_special,
            with_pieces=with_pieces,
            extra_body=extra_body,
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return await self._send(call, reply_parser(TokenizeResponse))

    async def decode(
        self, tokens: Sequence[int], *, extra_headers: Headers = None, timeout: float | None = None
    ) -> DetokenizeResponse:
        """``POST /detokenize``: ``r.content``."""
        call = ep.detokenize_call(tokens, extra_headers=extra_headers, timeout=timeout)
        return await self._send(call, reply_parser(DetokenizeResponse))

    async def apply_template(
        self,
        messages: Messages,
        *,
        extra_body: Body = None,
        extra_headers: Headers = None,
        timeout: float | None = None,
    ) -> ApplyTemplateResponse:
        """``POST /apply-template``: ``r.prompt``, the chat as the model's template renders it."""
        call = ep.apply_template_call(
            messages, extra_body=extra_body, extra_headers=extra_headers, timeout=timeout
        )
        return await self._send(call, reply_parser(ApplyTemplateResponse))


class Server(openai_style.Server):
    """``client.server``: health, global properties, slots and Prometheus metrics."""

    def props(self) -> Props:
        """``GET /props``: default generation settings, ``total_slots``, model path, chat template."""
        return self._send(ep.props_call(), reply_parser(Props))

    def slots(self) -> builtins.list[Slot]:
        """``GET /slots``: each slot's state and sampling parameters."""
        return self._send(ep.slots_call(), list_parser(Slot))

    def metrics(self) -> Metrics:
        """``GET /metrics`` (``--metrics``): ``m["llamacpp:tokens_predicted_total"]``, ``m.text``."""
        return self._send(ep.metrics_call(), parse_metrics)


class AsyncServer(openai_style.AsyncServer):
    """``client.server``: health, global properties, slots and Prometheus metrics."""

    async def props(self) -> Props:
        """``GET /props``: default generation settings, ``total_slots``, model path, chat template."""
        return await self._send(ep.props_call(), reply_parser(Props))

    async def slots(self) -> builtins.list[Slot]:
        """``GET /slots``: each slot's state and sampling parameters."""
        return await self._send(ep.slots_call(), list_parser(Slot))

    async def metrics(self) -> Metrics:
        """``GET /metrics`` (``--metrics``): ``m["llamacpp:tokens_predicted_total"]``, ``m.text``."""
        return await self._send(ep.metrics_call(), parse_metrics)


class LoraAdapters(PlatformResource):
    """``client.lora_adapters``: the adapters loaded with ``--lora`` and their global scales."""

    resource = "lora_adapters"

    def list(self) -> builtins.list[LoraAdapter]:
        """``GET /lora-adapters``."""
        return self._send(ep.lora_adapters_call(), list_parser(LoraAdapter))

    def set(self, adapters: Sequence[Mapping[str, Any]], *, timeout: float | None = None) -> Success:
        """``POST /lora-adapters`` with ``[{"id": 0, "scale": 0.5}]``; adapters left out get scale 0."""
        return self._send(ep.set_lora_adapters_call(adapters, timeout=timeout), reply_parser(Success))


class AsyncLoraAdapters(AsyncPlatformResource):
    """``client.lora_adapters``: the adapters loaded with ``--lora`` and their global scales."""

    resource = "lora_adapters"

    async def list(self) -> builtins.list[LoraAdapter]:
        """``GET /lora-adapters``."""
        return await self._send(ep.lora_adapters_call(), list_parser(LoraAdapter))

    async def set(self, adapters: Sequence[Mapping[str, Any]], *, timeout: float | None = None) -> Success:
        """``POST /lora-adapters`` with ``[{"id": 0, "scale": 0.5}]``; adapters left out get scale 0."""
        return await self._send(ep.set_lora_adapters_call(adapters, timeout=timeout), reply_parser(Success))


class Rerank(PlatformResource):
    """``client.rerank``: order documents by relevance to a query (a reranker model and ``--reranking``)."""

    resource = "rerank"

    def create(
        self,
        *,
        query: str,
        documents: Sequence[str],
        model: str | None = None,
        top_n: int | None = None,
        extra_body: Body = None,
        extra_headers: Headers = None,
        timeout: float | None = None,
    ) -> RerankResponse:
        """``POST /reranking``: ``r.results`` (``index``, ``relevance_score``), best first."""
        call = ep.reranking_call(
            query,
            documents,
            model=model,
            top_n=top_n,
            extra_body=extra_body,
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return self._send(call, reply_parser(RerankResponse))


class AsyncRerank(AsyncPlatformResource):
    """``client.rerank``: order documents by relevance to a query (a reranker model and ``--reranking``)."""

    resource = "rerank"

    async def create(
        self,
        *,
        query: str,
        documents: Sequence[str],
        model: str | None = None,
        top_n: int | None = None,
        extra_body: Body = None,
        extra_headers: Headers = None,
        timeout: float | None = None,
    ) -> RerankResponse:
        """``POST /reranking``: ``r.results`` (``index``, ``relevance_score``), best first."""
        call = ep.reranking_call(
            query,
            documents,
            model=model,
            top_n=top_n,
            extra_body=extra_body,
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return await self._send(call, reply_parser(RerankResponse))


class Native(PlatformResource):
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

        Options: ``n_predict``, ``stop``, ``temperature``, ``n_probs``, ``seed``, ``extra_body``
        (any other llama.cpp sampling option), ``extra_headers``, ``timeout``.
        """
        call = ep.completion_call(prompt, stream=stream, **options)
        if stream:
            return self._stream(call, self._items(Completion, call))
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

        Options: ``prompt``, ``input_extra``, and those of :meth:`completion`.
        """
        call = ep.infill_call(input_prefix, input_suffix, stream=stream, **options)
        if stream:
            return self._stream(call, self._items(Completion, call))
        return self._send(call, reply_parser(Completion))

    def embedding(
        self, content: str | Sequence[str] | Sequence[int], **options: Any
    ) -> builtins.list[NativeEmbedding]:
        """The native ``POST /embedding``: one item per input, ``item.embedding`` a list of vectors."""
        return self._send(ep.embedding_call(content, **options), list_parser(NativeEmbedding))


class AsyncNative(AsyncPlatformResource):
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
        """``POST /completion``; ``stream=True`` gives the events (the last has ``stop=True``)."""
        call = ep.completion_call(prompt, stream=stream, **options)
        if stream:
            return await self._stream(call, self._items(Completion, call))
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
        """``POST /infill``: fill the gap between prefix and suffix (a model with FIM tokens)."""
        call = ep.infill_call(input_prefix, input_suffix, stream=stream, **options)
        if stream:
            return await self._stream(call, self._items(Completion, call))
        return await self._send(call, reply_parser(Completion))

    async def embedding(
        self, content: str | Sequence[str] | Sequence[int], **options: Any
    ) -> builtins.list[NativeEmbedding]:
        """The native ``POST /embedding``: one item per input, ``item.embedding`` a list of vectors."""
        return await self._send(ep.embedding_call(content, **options), list_parser(NativeEmbedding))


RESOURCES: Mapping[str, tuple[type[Any], type[Any]]] = {
    "models": (openai_style.Models, openai_style.AsyncModels),
    "tokenizer": (Tokenizer, AsyncTokenizer),
    "server": (Server, AsyncServer),
    "lora_adapters": (LoraAdapters, AsyncLoraAdapters),
    "rerank": (Rerank, AsyncRerank),
    "native": (Native, AsyncNative),
}
