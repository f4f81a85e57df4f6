"""vLLM-only routes: tokenizer, score, rerank, audio transcription and translation."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from typing import Any

from .model import embedding, to_float32
from .multipart import Part, parse_form
from .tokenizer import split_tokens
from .transport import AnyResponse, Request, Response, json_bytes
from .vllm_common import MAX_MODEL_LEN, bad_request, now, parse_body, request_id, validation_failure
from .vllm_context import VLLMContext, sse_response

TOKENIZE_KINDS = {
    "model": "str",
    "prompt": "str",
    "messages": "list",
    "add_special_tokens": "bool",
    "add_generation_prompt": "bool",
    "return_token_strs": "bool",
}


def tokenize(ctx: VLLMContext, request: Request) -> Response:
    """``POST /tokenize`` (completion form with ``prompt`` or chat form with ``messages``)."""
    body = parse_body(request, TOKENIZE_KINDS)
    if body.get("prompt") is None and body.get("messages") is None:
        error = {"type": "missing", "loc": ("body", "prompt"), "msg": "Field required", "input": body}
        raise validation_failure([error], "body.prompt")
    ctx.check_model(body.get("model"))
    if body.get("messages") is not None:
        turns = ctx.turns(body["messages"])
        pieces = ctx.tokenizer.chat_pieces([(t.role, t.text) for t in turns])
        if body.get("add_special_tokens", False):
            pieces.insert(0, "<s>")
    else:
        pieces = ctx.tokenizer.pieces(str(body["prompt"]), body.get("add_special_tokens", True) is not False)
    tokens = ctx.tokenizer.ids(pieces)
    result = {
        "count": len(tokens),
        "max_model_len": MAX_MODEL_LEN,
        "tokens": tokens,
        "token_strs": pieces if body.get("return_token_strs") else None,
    }
    return Response(200, json_bytes(result), "application/json")


def detokenize(ctx: VLLMContext, request: Request) -> Response:
    """``POST /detokenize``."""
    body = parse_body(request, {"model": "str", "tokens": "list"}, required=("tokens",))
    ctx.check_model(body.get("model"))
    errors: list[dict[str, Any]] = []
    for index, token in enumerate(body["tokens"]):
        if not isinstance(token, int) or isinstance(token, bool):
            errors.append(
                {
                    "type": "int_type",
                    "loc": ("body", "tokens", index),
                    "msg": "Input should be a valid integer",
                    "input": token,
                }
            )
        elif token < 0:
            errors.append(
                {
                    "type": "greater_than_equal",
                    "loc": ("body", "tokens", index),
                    "msg": "Input should be greater than or equal to 0",
                    "input": token,
                    "ctx": {"ge": 0},
                }
            )
    if errors:
        raise validation_failure(errors, ".".join(str(p) for p in errors[0]["loc"]))
    return Response(200, json_bytes({"prompt": ctx.tokenizer.decode(body["tokens"])}), "application/json")


# --------------------------------------------------------------------------- score / rerank

SCORE_KINDS = {"model": "str", "top_n": "int", "request_id": "str", "use_activation": "bool"}
_PAIR_NAMES = (("queries", "documents"), ("queries", "items"), ("data_1", "data_2"), ("text_1", "text_2"))


def _score_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), list):
        return " ".join(
            str(p.get("text", ""))
            for p in value["content"]
            if isinstance(p, dict) and p.get("type") == "text"
        )
    raise bad_request("Each score input must be a string or an object with 'content'.", None)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def relevance(query: str, document: str) -> float:
    """A deterministic relevance in (0, 1): the cosine of the two texts' embeddings, squashed.

    Identical texts score highest; a document that repeats the query's words scores higher.
    """
    a, b = embedding(query, 16), embedding(document, 16)
    cosine = sum(x * y for x, y in zip(a, b, strict=True))
    shared = len(set(query.lower().split()) & set(document.lower().split()))
    return to_float32(1 / (1 + math.exp(-(2 * cosine + shared))))


def _pair_tokens(query: str, document: str) -> int:
    return len(query.split()) + len(document.split()) + 2


def score(ctx: VLLMContext, request: Request) -> Response:
    """``POST /score`` and ``/v1/score``: 1:1, 1:N or N:N pairs."""
    body = parse_body(request, SCORE_KINDS)
    pair = next(((a, b) for a, b in _PAIR_NAMES if a in body and b in body), None)
    if pair is None:
        error = {"type": "missing", "loc": ("body", "queries"), "msg": "Field required", "input": body}
        raise validation_failure([error], "body.queries")
    model = ctx.check_model(body.get("model"), pooling=True)
    left = [_score_text(v) for v in _as_list(body[pair[0]])]
    right = [_score_text(v) for v in _as_list(body[pair[1]])]
    if len(left) == 1:
        left = left * len(right)
    if len(left) != len(right) or not right:
        raise bad_request(f"Input lengths must be either 1:1, 1:N or N:N, got {len(left)}:{len(right)}.")
    data = [
        {"index": i, "object": "score", "score": relevance(q, d)}
        for i, (q, d) in enumerate(zip(left, right, strict=True))
    ]
    tokens = sum(_pair_tokens(q, d) for q, d in zip(left, right, strict=True))
    result = {
        "id": "score-" + request_id(request, body),
        "object": "list",
        "created": now(),
        "model": model,
        "data": data,
        "usage": {
            "prompt_tokens": tokens,
            "total_tokens": tokens,
            "completion_tokens": 0,
            "prompt_tokens_details": None,
            "completion_tokens_details": None,
        },
    }
    return Response(200, json_bytes(result), "application/json")


def rerank(ctx: VLLMContext, request: Request) -> Response:
    """``POST /rerank``, ``/v1/rerank``, ``/v2/rerank`` (Jina/Cohere style)."""
    body = parse_body(request, SCORE_KINDS, required=("query", "documents"))
    model = ctx.check_model(body.get("model"), pooling=True)
    query = _score_text(body["query"])
    documents = _as_list(body["documents"])
    scored: list[dict[str, Any]] = []
    tokens = 0
    for index, document in enumerate(documents):
        text = _score_text(document)
        tokens += _pair_tokens(query, text)
        shown: dict[str, Any] = (
            {"text": document, "multi_modal": None}
            if isinstance(document, str)
            else {"text": None, "multi_modal": document.get("content", [])}
        )
        scored.append({"index": index, "document": shown, "relevance_score": relevance(query, text)})
    scored.sort(key=lambda r: -float(r["relevance_score"]))
    top_n = int(body.get("top_n") or 0)
    if top_n > 0:
        scored = scored[:top_n]
    result = {
        "id": "score-" + request_id(request, body),
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        "results": scored,
    }
    return Response(200, json_bytes(result), "application/json")


# --------------------------------------------------------------------------- audio

_AUDIO_FORMATS = ("json", "text", "verbose_json", "diarized_json", "srt", "vtt")


def _form_value(form: dict[str, Part], name: str, default: str | None = None) -> str | None:
    part = form.get(name)
    return part.text if part is not None else default


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes", "on")


def audio_text(task: str, data: bytes) -> str:
    """The deterministic transcript of an upload: its size and a digest prefix."""
    digest = hashlib.sha256(data).hexdigest()[:8]
    noun = "transcript" if task == "transcribe" else "translation"
    return f"Reference {noun} {digest} of {len(data)} bytes."


def audio_seconds(data: bytes) -> float:
    """Duration of the upload read as 16 kHz mono 16-bit PCM."""
    return len(data) / 32000.0


def _audio(ctx: VLLMContext, request: Request, task: str) -> AnyResponse:
    form = parse_form(request.header("content-type"), request.body)
    if form is None or "file" not in form:
        error = {"type": "missing", "loc": ("body", "file"), "msg": "Field required", "input": None}
        raise validation_failure([error], "body.file")
    model = ctx.check_model(_form_value(form, "model"))
    response_format = _form_value(form, "response_format", "json") or "json"
    if response_format not in _AUDIO_FORMATS or (task == "translate" and response_format == "diarized_json"):
        raise bad_request(f"Unsupported response_format: {response_format}", "response_format")
    if response_format in ("srt", "vtt"):
        raise bad_request(
            "Currently only support response_format `text`, `json` or `verbose_json`", "response_format"
        )
    stream = _truthy(_form_value(form, "stream"))
    if stream and response_format in ("verbose_json", "diarized_json"):
        raise bad_request(f"Streaming is not supported for response_format `{response_format}`.", "stream")
    data = form["file"].content
    text = audio_text(task, data)
    seconds = audio_seconds(data)
    language = _form_value(form, "language", "en") or "en"
    rid = ("transcribe-" if task == "transcribe" else "translate-") + request_id(request)
    if stream:
        include_usage = _truthy(_form_value(form, "stream_include_usage"))
        return sse_response(_audio_events(rid, model, task, text, include_usage))
    if response_format in ("json", "text"):
        result: dict[str, Any] = {"text": text}
        if task == "transcribe":
            result["usage"] = {"type": "duration", "seconds": math.ceil(seconds)}
        return Response(200, json_bytes(result), "application/json")
    segment = {
        "id": 0,
        "seek": 0,
        "start": 0.0,
        "end": round(seconds, 2),
        "text": text,
        "tokens": ctx.tokenizer.ids(split_tokens(text)),
        "temperature": 0.0,
        "avg_logprob": -0.1,
        "compression_ratio": 1.0,
        "no_speech_prob": 0.0,
    }
    if response_format == "diarized_json":
        diarized = {
            "duration": round(seconds, 2),
            "task": "transcribe",
            "text": text,
            "segments": [
                {
                    "id": "seg_0",
                    "start": 0.0,
                    "end": round(seconds, 2),
                    "speaker": "A",
                    "text": text,
                    "type": "transcript.text.segment",
                }
            ],
            "usage": {"type": "duration", "seconds": math.ceil(seconds)},
        }
        return Response(200, json_bytes(diarized), "application/json")
    verbose = {
        "duration": f"{seconds:.2f}",
        "language": language,
        "text": text,
        "segments": [segment],
        "words": None,
    }
    return Response(200, json_bytes(verbose), "application/json")


def _audio_events(
    rid: str, model: str, task: str, text: str, include_usage: bool
) -> Iterator[dict[str, Any]]:
    created = now()
    kind = "transcription.chunk" if task == "transcribe" else "translation.chunk"
    pieces = split_tokens(text)
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        yield {
            "id": rid,
            "object": kind,
            "created": created,
            "model": model,
            "choices": [
                {"delta": {"content": piece}, "finish_reason": "stop" if last else None, "stop_reason": None}
            ],
        }
    if include_usage:
        yield {
            "id": rid,
            "object": kind,
            "created": created,
            "model": model,
            "choices": [],
            "usage": {"prompt_tokens": 1, "completion_tokens": len(pieces), "total_tokens": 1 + len(pieces)},
        }


def transcriptions(ctx: VLLMContext, request: Request) -> AnyResponse:
    """``POST /v1/audio/transcriptions`` (multipart)."""
    return _audio(ctx, request, "transcribe")


def translations(ctx: VLLMContext, request: Request) -> AnyResponse:
    """``POST /v1/audio/translations`` (multipart)."""
    return _audio(ctx, request, "translate")
