"""vLLM pooling routes: ``/v1/embeddings``, ``/pooling``, ``/classify``, score and rerank."""

from __future__ import annotations

import base64
import json
import math
import struct
from dataclasses import dataclass
from typing import Any

from .model import embedding, normalize, to_float32
from .transport import Request, Response, json_bytes
from .vllm_common import bad_request, now, parse_body, request_id, validation_failure
from .vllm_context import VLLMContext

POOLING_KINDS = {
    "model": "str",
    "input": "str|list",
    "messages": "list",
    "encoding_format": "str",
    "dimensions": "int",
    "user": "str",
    "truncate_prompt_tokens": "int",
    "request_id": "str",
    "add_special_tokens": "bool",
    "use_activation": "bool",
    "task": "str",
    "endianness": "str",
}
_ENCODINGS = ("float", "base64", "bytes", "bytes_only")
_BYTE_ORDERS = {"native": "=", "little": "<", "big": ">"}


@dataclass
class Item:
    """One input to pool: its text and its prompt token count."""

    text: str
    tokens: int


def _conversation(ctx: VLLMContext, messages: list[Any]) -> Item:
    pieces = ctx.tokenizer.chat_pieces([(t.role, t.text) for t in ctx.turns(messages)])
    return Item("".join(pieces), len(pieces))


def _plain(ctx: VLLMContext, value: Any, special: bool) -> Item:
    if isinstance(value, str):
        return Item(value, len(value.split()) + (1 if special else 0))
    if isinstance(value, list) and all(isinstance(t, int) and not isinstance(t, bool) for t in value):
        return Item(ctx.tokenizer.decode(value), len(value))
    raise bad_request("Input must be a string, a list of strings or a list of token ids.", "input")


def pooling_items(ctx: VLLMContext, body: dict[str, Any]) -> list[Item]:
    """Inputs of a pooling request in order (completion-style or chat-style)."""
    messages = body.get("messages")
    value = body.get("input")
    if messages is not None:
        if messages and all(isinstance(m, list) for m in messages):
            return [_conversation(ctx, m) for m in messages]
        return [_conversation(ctx, messages)]
    if value is None:
        error = {"type": "missing", "loc": ("body", "input"), "msg": "Field required", "input": body}
        raise validation_failure([error], "body.input")
    special = body.get("add_special_tokens", True) is not False
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [_conversation(ctx, value)]
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, list) and v and isinstance(v[0], dict) for v in value)
    ):
        return [_conversation(ctx, v) for v in value]
    if isinstance(value, list) and value and not all(isinstance(v, int) for v in value):
        return [_plain(ctx, v, special) for v in value]
    if isinstance(value, list) and not value:
        raise bad_request("Input cannot be empty.", "input")
    return [_plain(ctx, value, special)]


def _vector(ctx: VLLMContext, model: str, text: str, dimensions: int | None) -> list[float]:
    vec = embedding(text, ctx.embedding_dim)
    if dimensions is not None:
        if dimensions < 1:
            raise bad_request("Dimensions must be greater than 0", "dimensions")
        if dimensions > ctx.embedding_dim:
            raise bad_request(
                f'Model "{model}" only supports matryoshka dimensions up to {ctx.embedding_dim}, '
                "use other output dimensions will lead to poor results.",
                "dimensions",
            )
        vec = normalize(vec[:dimensions])
    return [to_float32(v) for v in vec]


def _pack(vec: list[float], endianness: str = "native") -> bytes:
    return struct.pack(f"{_BYTE_ORDERS[endianness]}{len(vec)}f", *vec)


def _endianness(body: dict[str, Any]) -> str:
    """The requested byte order of base64/bytes output (vLLM's default is ``native``)."""
    order = body.get("endianness") or "native"
    if order not in _BYTE_ORDERS:
        error = {
            "type": "literal_error",
            "loc": ("body", "endianness"),
            "msg": "Input should be 'native', 'big' or 'little'",
            "input": order,
        }
        raise validation_failure([error], "body.endianness")
    return str(order)


def _usage(items: list[Item]) -> dict[str, Any]:
    total = sum(i.tokens for i in items)
    return {
        "prompt_tokens": total,
        "total_tokens": total,
        "completion_tokens": 0,
        "prompt_tokens_details": None,
        "completion_tokens_details": None,
    }


def _encoding(body: dict[str, Any]) -> str:
    encoding = body.get("encoding_format") or "float"
    if encoding not in _ENCODINGS:
        error = {
            "type": "literal_error",
            "loc": ("body", "encoding_format"),
            "msg": "Input should be 'float', 'base64', 'bytes' or 'bytes_only'",
            "input": encoding,
        }
        raise validation_failure([error], "body.encoding_format")
    return str(encoding)


def embeddings(ctx: VLLMContext, request: Request) -> Response:
    """``POST /v1/embeddings``."""
    body = parse_body(request, POOLING_KINDS)
    if "normalize" in body:
        raise bad_request("`normalize` is no longer supported; use `use_activation` instead.", "normalize")
    encoding = _encoding(body)
    order = _endianness(body)
    model = ctx.check_model(body.get("model"), pooling=True)
    items = pooling_items(ctx, body)
    for item in items:
        ctx.check_length(item.tokens)
    vectors = [_vector(ctx, model, item.text, body.get("dimensions")) for item in items]
    rid = "embd-" + request_id(request, body)
    created = now()
    if encoding in ("bytes", "bytes_only"):
        blob = b"".join(_pack(v, order) for v in vectors)
        headers: list[tuple[str, str]] = []
        if encoding == "bytes":
            entries, start = [], 0
            for index, vec in enumerate(vectors):
                end = start + len(vec) * 4
                entries.append(
                    {
                        "index": index,
                        "embed_dtype": "float32",
                        "endianness": order,
                        "start": start,
                        "end": end,
                        "shape": [len(vec)],
                    }
                )
                start = end
            tokens = sum(i.tokens for i in items)
            usage = {"prompt_tokens": tokens, "total_tokens": tokens}
            meta = {"id": rid, "created": created, "model": model, "data": entries, "usage": usage}
            headers.append(("metadata", json.dumps(meta, separators=(",", ":"))))
        return Response(200, blob, "application/octet-stream", headers)
    data = [
        {
            "index": index,
            "object": "embedding",
            "embedding": base64.b64encode(_pack(vec, order)).decode() if encoding == "base64" else vec,
        }
        for index, vec in enumerate(vectors)
    ]
    result = {
        "id": rid,
        "object": "list",
        "created": created,
        "model": model,
        "data": data,
        "usage": _usage(items),
    }
    return Response(200, json_bytes(result), "application/json")


def _check_no_dimensions(body: dict[str, Any]) -> None:
    if body.get("dimensions") is not None:
        raise bad_request("dimensions is currently not supported", "dimensions")


def pooling(ctx: VLLMContext, request: Request) -> Response:
    """``POST /pooling``: the embedding vector (task ``embed``) or class probabilities."""
    body = parse_body(request, POOLING_KINDS)
    _check_no_dimensions(body)
    task = body.get("task") or "embed"
    if task in ("score", "encode"):
        raise bad_request(f"Task {task} is no longer supported.", "task")
    if task not in ("embed", "classify", "token_embed", "token_classify", "plugin"):
        raise bad_request(f"Unsupported task: {task!r}", "task")
    encoding = _encoding(body)
    order = _endianness(body)
    model = ctx.check_model(body.get("model"), pooling=True)
    items = pooling_items(ctx, body)
    data = []
    for index, item in enumerate(items):
        value: Any
        if task == "classify":
            value = class_probs(item.text)
        elif task.startswith("token_"):
            value = [_vector(ctx, model, piece, None) for piece in item.text.split()]
        else:
            value = _vector(ctx, model, item.text, None)
        if encoding == "base64" and task in ("embed", "classify"):
            value = base64.b64encode(_pack(value, order)).decode()
        data.append({"index": index, "object": "pooling", "data": value})
    rid = "pooling-" + request_id(request, body)
    result = {
        "id": rid,
        "object": "list",
        "created": now(),
        "model": model,
        "data": data,
        "usage": _usage(items),
    }
    return Response(200, json_bytes(result), "application/json")


LABELS = ("negative", "positive")


def class_probs(text: str) -> list[float]:
    """Two-class probabilities from the text's embedding (deterministic, sums to 1)."""
    logit = embedding(text, 2)[0] * 4
    positive = 1 / (1 + math.exp(-logit))
    return [to_float32(1 - positive), to_float32(positive)]


def classify(ctx: VLLMContext, request: Request) -> Response:
    """``POST /classify``: labels ``negative``/``positive`` with probabilities."""
    body = parse_body(request, POOLING_KINDS)
    _check_no_dimensions(body)
    model = ctx.check_model(body.get("model"), pooling=True)
    items = pooling_items(ctx, body)
    data = []
    for index, item in enumerate(items):
        probs = class_probs(item.text)
        label = LABELS[0] if probs[0] >= probs[1] else LABELS[1]
        data.append({"index": index, "label": label, "probs": probs, "num_classes": len(probs)})
    rid = "classify-" + request_id(request, body)
    result = {
        "id": rid,
        "object": "list",
        "created": now(),
        "model": model,
        "data": data,
        "usage": _usage(items),
    }
    return Response(200, json_bytes(result), "application/json")
