"""Pure builders of llama-server's native calls: every endpoint is ``<name>_call(...) -> Call``.

Paths are at the server root (``/tokenize``, ``/props``...). Bad input fails here, with
:class:`~openai_compatible_client.errors.InvalidRequestError`, before any I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openai_compatible_client.platforms.common.calls import post_call, request_call
from openai_compatible_client.platforms.validation import build_body, check_optional_model
from openai_compatible_client.transport.http import Call

from .types import (
    ApplyTemplateRequest,
    CompletionRequest,
    DetokenizeRequest,
    EmbeddingRequest,
    InfillRequest,
    LoraScale,
    RerankRequest,
    TokenizeRequest,
)

__all__ = [
    "PLATFORM",
    "apply_template_call",
    "completion_call",
    "detokenize_call",
    "embedding_call",
    "get_call",
    "infill_call",
    "lora_adapters_call",
    "metrics_call",
    "props_call",
    "reranking_call",
    "set_lora_adapters_call",
    "slots_call",
    "tokenize_call",
]

PLATFORM = "llamacpp"

Headers = Mapping[str, str] | None
Body = Mapping[str, Any] | None


def get_call(path: str, *, framing: Any = "json") -> Call:
    """A ``GET`` of one of the info routes (``/health``, ``/props``, ``/slots``...)."""
    headers = {"Accept": "text/plain"} if framing == "bytes" else None
    return Call(PLATFORM, f"GET {path}", "GET", path, framing=framing, headers=headers)


def props_call() -> Call:
    """``GET /props``."""
    return get_call("/props")


def slots_call() -> Call:
    """``GET /slots`` (the server needs ``--slots``, the default)."""
    return get_call("/slots")


def metrics_call() -> Call:
    """``GET /metrics`` (Prometheus text; the server needs ``--metrics``)."""
    return get_call("/metrics", framing="bytes")


def lora_adapters_call() -> Call:
    """``GET /lora-adapters``."""
    return get_call("/lora-adapters")


def set_lora_adapters_call(
    adapters: Sequence[Mapping[str, Any]], *, extra_headers: Headers = None, timeout: float | None = None
) -> Call:
    """``POST /lora-adapters`` with ``[{"id": 0, "scale": 0.5}, ...]`` (adapters left out get 0).

    >>> set_lora_adapters_call([{"id": 0, "scale": 0.5}]).json
    [{'id': 0, 'scale': 0.5}]
    """
    if isinstance(adapters, (str, bytes, Mapping)):
        from openai_compatible_client.errors import InvalidRequestError

        raise InvalidRequestError("lora_adapters.set: adapters must be a list of {'id': int, 'scale': float}")
    body = [build_body(LoraScale, **dict(item)) for item in adapters]
    return post_call(PLATFORM, "/lora-adapters", body, extra_headers, timeout)


def tokenize_call(
    content: str,
    *,
    add_special: bool | None = None,
    parse_special: bool | None = None,
    with_pieces: bool | None = None,
    extra_body: Body = None,
    extra_headers: Headers = None,
    timeout: float | None = None,
) -> Call:
    """``POST /tokenize``.

    >>> tokenize_call("hi", with_pieces=True).json
    {'content': 'hi', 'with_pieces': True}
    """
    return request_call(
        PLATFORM,
        "/tokenize",
        TokenizeRequest,
        extra_body=extra_body,
        extra_headers=extra_headers,
        timeout=timeout,
        content=content,
        add_special=add_special,
        parse_special=parse_special,
        with_pieces=with_pieces,
    )


def detokenize_call(
    tokens: Sequence[int],
    *,
    extra_body: Body = None,
    extra_headers: Headers = None,
    timeout: float | None = None,
) -> Call:
    """``POST /detokenize``."""
    return request_call(
        PLATFORM,
        "/detokenize",
        DetokenizeRequest,
        extra_body=extra_body,
        extra_headers=extra_headers,
        timeout=timeout,
        tokens=list(tokens),
    )


def apply_template_call(
    messages: Sequence[Mapping[str, Any]],
    *,
    extra_body: Body = None,
    extra_headers: Headers = None,
    timeout: float | None = None,
) -> Call:
    """``POST /apply-template``: render chat messages with the model's template, no inference."""
    body = build_body(ApplyTemplateRequest, extra_body=extra_body, messages=[dict(m) for m in messages])
    return post_call(PLATFORM, "/apply-template", body, extra_headers, timeout)


def completion_call(
    prompt: str | Sequence[Any],
    *,
    n_predict: int | None = None,
    stream: bool = False,
    stop: Sequence[str] | str | None = None,
    temperature: float | None = None,
    n_probs: int | None = None,
    seed: int | None = None,
    extra_body: Body = None,
    extra_headers: Headers = None,
    timeout: float | None = None,
) -> Call:
    """``POST /completion``: llama.cpp's own completion API (any sampling option via ``extra_body``).

    >>> completion_call("Paris is", n_predict=4, stop="\\n").json
    {'prompt': 'Paris is', 'n_predict': 4, 'stream': False, 'stop': ['\\n']}
    """
    body = build_body(
        CompletionRequest,
        extra_body=extra_body,
        prompt=prompt if isinstance(prompt, str) else list(prompt),
        n_predict=n_predict,
        stream=stream,
        stop=[stop] if isinstance(stop, str) else (None if stop is None else list(stop)),
        temperature=temperature,
        n_probs=n_probs,
        seed=seed,
    )
    # The native streams are SSE events without a final ``[DONE]``: the last event has stop=true.
    return post_call(PLATFORM, "/completion", body, extra_headers, timeout, stream=stream)


def infill_call(
    input_prefix: str,
    input_suffix: str,
    *,
    prompt: str = "",
    input_extra: Sequence[Mapping[str, str]] | None = None,
    n_predict: int | None = None,
    stream: bool = False,
    stop: Sequence[str] | str | None = None,
    temperature: float | None = None,
    seed: int | None = None,
    extra_body: Body = None,
    extra_headers: Headers = None,
    timeout: float | None = None,
) -> Call:
    """``POST /infill``: fill the gap between ``input_prefix`` and ``input_suffix`` (FIM models)."""
    body = build_body(
        InfillRequest,
        extra_body=extra_body,
        input_prefix=input_prefix,
        input_suffix=input_suffix,
        prompt=prompt,
        input_extra=None if input_extra is None else [dict(e) for e in input_extra],
        n_predict=n_predict,
        stream=stream,
        stop=[stop] if isinstance(stop, str) else (None if stop is None else list(stop)),
        temperature=temperature,
        seed=seed,
    )
    return post_call(PLATFORM, "/infill", body, extra_headers, timeout, stream=stream)


def embedding_call(
    content: str | Sequence[str] | Sequence[int],
    *,
    embd_normalize: int | None = None,
    extra_body: Body = None,
    extra_headers: Headers = None,
    timeout: float | None = None,
) -> Call:
    """The native ``POST /embedding`` (per-token vectors with ``--pooling none``)."""
    value = content if isinstance(content, str) else list(content)
    body = build_body(EmbeddingRequest, extra_body=extra_body, content=value, embd_normalize=embd_normalize)
    return post_call(PLATFORM, "/embedding", body, extra_headers, timeout)


def reranking_call(
    query: str,
    documents: Sequence[str],
    *,
    model: str | None = None,
    top_n: int | None = None,
    extra_body: Body = None,
    extra_headers: Headers = None,
    timeout: float | None = None,
) -> Call:
    """``POST /reranking`` (the server needs a reranker model and ``--reranking``)."""
    if isinstance(documents, str):
        from openai_compatible_client.errors import InvalidRequestError

        raise InvalidRequestError("reranking: documents must be a list of strings, not one string")
    body = build_body(
        RerankRequest,
        extra_body=extra_body,
        model=check_optional_model(model),
        query=query,
        documents=list(documents),
        top_n=top_n,
    )
    return post_call(PLATFORM, "/reranking", body, extra_headers, timeout)
