"""llama-server's token and vector routes: tokenize, detokenize, embeddings (OpenAI and native), rerank."""

from __future__ import annotations

import base64
import struct
from typing import Any

from .llamacpp_common import LlamaCppContext, LlamaCppError, invalid, parse_object
from .model import embedding, to_float32
from .transport import Request, Response, json_bytes

_JSON = "application/json; charset=utf-8"


def tokenize(ctx: LlamaCppContext, request: Request) -> Response:
    """``POST /tokenize``: ``content`` -> ids (``with_pieces``: ``{"id", "piece"}`` objects)."""
    body = parse_object(request)
    tokens: list[Any] = []
    if "content" in body:
        content = body["content"]
        if not isinstance(content, str):
            raise LlamaCppError("server_error", "[json.exception.type_error.302] type must be string")
        pieces = ctx.tokenizer.pieces(content, add_special_tokens=bool(body.get("add_special", False)))
        ids = ctx.tokenizer.ids(pieces)
        if body.get("with_pieces"):
            tokens = [{"id": i, "piece": p} for i, p in zip(ids, pieces, strict=True)]
        else:
            tokens = ids
    return Response(200, json_bytes({"tokens": tokens}), _JSON)


def detokenize(ctx: LlamaCppContext, request: Request) -> Response:
    """``POST /detokenize``: ``tokens`` -> ``content``."""
    body = parse_object(request)
    content = ""
    if "tokens" in body:
        tokens = body["tokens"]
        if not isinstance(tokens, list) or not all(
            isinstance(t, int) and not isinstance(t, bool) for t in tokens
        ):
            raise LlamaCppError("server_error", "[json.exception.type_error.302] type must be number")
        content = ctx.tokenizer.decode([t for t in tokens if t != 1])
    return Response(200, json_bytes({"content": content}), _JSON)


def _inputs(ctx: LlamaCppContext, value: Any) -> list[tuple[str, int]]:
    """Each input's text and token count (strings or token-id lists)."""
    if (
        isinstance(value, list)
        and value
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return [(ctx.tokenizer.decode(value), len(value))]
    items = value if isinstance(value, list) else [value]
    out: list[tuple[str, int]] = []
    for item in items:
        if isinstance(item, str):
            pieces = ctx.tokenizer.pieces(item, add_special_tokens=True)
            if len(pieces) <= 1 and not item.strip():
                raise invalid("Input content cannot be empty")
            out.append((item, len(pieces)))
        elif isinstance(item, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in item):
            out.append((ctx.tokenizer.decode(item), len(item)))
        else:
            raise LlamaCppError(
                "server_error",
                '"prompt" elements must be a string, a list of tokens, a JSON object containing a prompt '
                "string, or a list of mixed strings & tokens.",
            )
    if not out:
        raise invalid('"input" must not be empty')
    return out


def _vector(ctx: LlamaCppContext, text: str) -> list[float]:
    return [to_float32(v) for v in embedding(text, ctx.embedding_dim)]


def embeddings(ctx: LlamaCppContext, request: Request, oai: bool) -> Response:
    """``POST /v1/embeddings`` (``oai``) and the native ``/embedding``/``/embeddings``.

    A body with ``content`` instead of ``input`` gets the native answer on either route.
    """
    body = parse_object(request)
    if "input" in body:
        value = body["input"]
    elif "content" in body:
        oai, value = False, body["content"]
    else:
        raise invalid('"input" or "content" must be provided')
    use_base64 = False
    if "encoding_format" in body:
        if body["encoding_format"] == "base64":
            use_base64 = True
        elif body["encoding_format"] != "float":
            raise invalid("The format to return the embeddings in. Can be either float or base64")
    items = _inputs(ctx, value)
    ctx.count(sum(n for _, n in items), 0)
    if not oai:
        native = [{"index": i, "embedding": [_vector(ctx, text)]} for i, (text, _) in enumerate(items)]
        return Response(200, json_bytes(native), _JSON)
    data: list[dict[str, Any]] = []
    for index, (text, _) in enumerate(items):
        vector = _vector(ctx, text)
        if use_base64:
            packed = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append(
                {"embedding": packed, "index": index, "object": "embedding", "encoding_format": "base64"}
            )
        else:
            data.append({"embedding": vector, "index": index, "object": "embedding"})
    tokens = sum(n for _, n in items)
    result = {
        "model": body.get("model", ctx.alias),
        "object": "list",
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        "data": data,
    }
    return Response(200, json_bytes(result), _JSON)


def _relevance(ctx: LlamaCppContext, query: str, document: str) -> float:
    a, b = _vector(ctx, query), _vector(ctx, document)
    shared = len(set(query.lower().split()) & set(document.lower().split()))
    return to_float32(sum(x * y for x, y in zip(a, b, strict=True)) + shared)


def rerank(ctx: LlamaCppContext, request: Request) -> Response:
    """``POST /reranking`` (also ``/rerank``, ``/v1/rerank``, ``/v1/reranking``).

    Jina's shape (``documents`` -> ``results`` with ``relevance_score``), or TEI's when the body
    has ``texts`` (a bare list with ``score``, ``text`` when ``return_text``).
    """
    body = parse_object(request)
    query = body.get("query")
    if "query" not in body:
        raise invalid('"query" must be provided')
    if not isinstance(query, str):
        raise invalid('"query" must be a string')
    tei = "texts" in body
    documents = body.get("documents", body.get("texts"))
    if not isinstance(documents, list) or not documents or not all(isinstance(d, str) for d in documents):
        raise invalid('"documents" must be a non-empty string array')
    top_n = body.get("top_n")
    limit = top_n if isinstance(top_n, int) and not isinstance(top_n, bool) else len(documents)
    label = "score" if tei else "relevance_score"
    tokens = 0
    ranked: list[dict[str, Any]] = []
    for index, document in enumerate(documents):
        tokens += len(ctx.tokenizer.pieces(f"{query} {document}")) + 3
        item: dict[str, Any] = {"index": index, label: _relevance(ctx, query, document)}
        if tei and body.get("return_text"):
            item["text"] = document
        ranked.append(item)
    ranked.sort(key=lambda r: -float(r[label]))
    ranked = ranked[: max(0, min(limit, len(ranked)))]
    if tei:
        return Response(200, json_bytes(ranked), _JSON)
    result = {
        "model": body.get("model", ctx.alias),
        "object": "list",
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        "results": ranked,
    }
    return Response(200, json_bytes(result), _JSON)
