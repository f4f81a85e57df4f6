"""Pre-serialised vLLM- and Ollama-shaped responses for the benchmark server.

Everything here is built once at server start, so serving a request costs the server a dictionary
lookup and one socket write. The shapes follow what the real servers send (field sets and order),
so every client parses the same amount of JSON it would parse in production.
"""

from __future__ import annotations

import base64
import json
import struct

CHAT_MODEL = "bench-model"
EMBED_MODEL = "bench-embed"
STREAM_CHUNKS = 256
EMBED_INPUTS = 64
EMBED_DIM = 128
CREATED = 1_700_000_000
OLLAMA_TIME = "2025-10-26T17:15:24.166576Z"
ANSWER = (
    "The sky looks blue because air molecules scatter the short blue wavelengths of sunlight far more "
    "than the long red ones, so blue light reaches your eyes from every direction of the sky."
)
USAGE = {"prompt_tokens": 24, "total_tokens": 56, "completion_tokens": 32, "prompt_tokens_details": None}


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _json_response(body: bytes, status: str = "200 OK") -> bytes:
    head = f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode() + body


def _chunked_response(content_type: str, pieces: list[bytes]) -> bytes:
    """One HTTP/1.1 chunked response, each piece its own chunk (as uvicorn and Go's net/http send)."""
    head = f"HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ntransfer-encoding: chunked\r\n\r\n"
    out = [head.encode()]
    for piece in pieces:
        out.append(b"%x\r\n%s\r\n" % (len(piece), piece))
    out.append(b"0\r\n\r\n")
    return b"".join(out)


def _vector(i: int) -> list[float]:
    # Deterministic, unit-ish values with a realistic number of digits.
    return [round(((i * 31 + j * 17) % 997) / 997.0 - 0.5, 8) for j in range(EMBED_DIM)]


def vllm_chat() -> bytes:
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": CREATED,
        "model": CHAT_MODEL,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": ANSWER,
                    "refusal": None,
                    "annotations": None,
                    "audio": None,
                    "function_call": None,
                    "tool_calls": [],
                    "reasoning_content": None,
                },
                "logprobs": None,
                "finish_reason": "stop",
                "stop_reason": None,
            }
        ],
        "service_tier": None,
        "system_fingerprint": None,
        "usage": USAGE,
        "prompt_logprobs": None,
        "kv_transfer_params": None,
    }
    return _json_response(_dumps(body))


def vllm_chat_stream() -> bytes:
    """STREAM_CHUNKS choice chunks (the first carries the role, the last the finish reason), usage, [DONE]."""
    events: list[bytes] = []
    for i in range(STREAM_CHUNKS):
        last = i == STREAM_CHUNKS - 1
        delta: dict[str, str] = {} if last else {"content": f" tok{i}"}
        if i == 0:
            delta = {"role": "assistant", "content": " tok0"}
        chunk = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": CHAT_MODEL,
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": "stop" if last else None}
            ],
        }
        events.append(b"data: " + _dumps(chunk) + b"\n\n")
    usage_chunk = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": CHAT_MODEL,
        "choices": [],
        "usage": {
            "prompt_tokens": 24,
            "total_tokens": 24 + STREAM_CHUNKS,
            "completion_tokens": STREAM_CHUNKS,
        },
    }
    events.append(b"data: " + _dumps(usage_chunk) + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return _chunked_response("text/event-stream; charset=utf-8", events)


def vllm_embeddings(as_base64: bool) -> bytes:
    data = []
    for i in range(EMBED_INPUTS):
        vec = _vector(i)
        value: object = vec
        if as_base64:
            value = base64.b64encode(struct.pack(f"<{EMBED_DIM}f", *vec)).decode()
        data.append({"index": i, "object": "embedding", "embedding": value})
    body = {
        "id": "embd-bench",
        "object": "list",
        "created": CREATED,
        "model": EMBED_MODEL,
        "data": data,
        "usage": {
            "prompt_tokens": EMBED_INPUTS * 4,
            "total_tokens": EMBED_INPUTS * 4,
            "completion_tokens": 0,
            "prompt_tokens_details": None,
        },
    }
    return _json_response(_dumps(body))


def vllm_models() -> bytes:
    card = {
        "id": CHAT_MODEL,
        "object": "model",
        "created": CREATED,
        "owned_by": "vllm",
        "root": "/models/bench-model",
        "parent": None,
        "max_model_len": 4096,
        "permission": [
            {
                "id": "modelperm-bench",
                "object": "model_permission",
                "created": CREATED,
                "allow_create_engine": False,
                "allow_sampling": True,
                "allow_logprobs": True,
                "allow_search_indices": False,
                "allow_view": True,
                "allow_fine_tuning": False,
                "organization": "*",
                "group": None,
                "is_blocking": False,
            }
        ],
    }
    return _json_response(_dumps({"object": "list", "data": [card]}))


def vllm_tokenize() -> bytes:
    tokens = list(range(1000, 1016))
    body = {"count": len(tokens), "max_model_len": 4096, "tokens": tokens, "token_strs": None}
    return _json_response(_dumps(body))


def _ollama_metrics() -> dict[str, int]:
    return {
        "total_duration": 174560334,
        "load_duration": 101397084,
        "prompt_eval_count": 24,
        "prompt_eval_duration": 13074791,
        "eval_count": 32,
        "eval_duration": 52479709,
    }


def ollama_chat() -> bytes:
    body = {
        "model": CHAT_MODEL,
        "created_at": OLLAMA_TIME,
        "message": {"role": "assistant", "content": ANSWER},
        "done": True,
        "done_reason": "stop",
        **_ollama_metrics(),
    }
    return _json_response(_dumps(body))


def ollama_chat_stream() -> bytes:
    """STREAM_CHUNKS NDJSON lines: content lines, then the final `done` line with the counters."""
    lines: list[bytes] = []
    for i in range(STREAM_CHUNKS - 1):
        line = {
            "model": CHAT_MODEL,
            "created_at": OLLAMA_TIME,
            "message": {"role": "assistant", "content": f" tok{i}"},
            "done": False,
        }
        lines.append(_dumps(line) + b"\n")
    final = {
        "model": CHAT_MODEL,
        "created_at": OLLAMA_TIME,
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": "stop",
        **_ollama_metrics(),
    }
    lines.append(_dumps(final) + b"\n")
    return _chunked_response("application/x-ndjson", lines)


def ollama_embed() -> bytes:
    body = {
        "model": EMBED_MODEL,
        "embeddings": [_vector(i) for i in range(EMBED_INPUTS)],
        "total_duration": 14143917,
        "load_duration": 1019500,
        "prompt_eval_count": EMBED_INPUTS * 4,
    }
    return _json_response(_dumps(body))


def ollama_tags() -> bytes:
    details = {
        "parent_model": "",
        "format": "gguf",
        "family": "llama",
        "families": ["llama"],
        "parameter_size": "3.2B",
        "quantization_level": "Q4_K_M",
    }
    models = [
        {
            "name": f"{name}:latest",
            "model": f"{name}:latest",
            "modified_at": "2025-10-26T17:15:24.166576-07:00",
            "size": 2019393189,
            "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
            "details": details,
        }
        for name in (CHAT_MODEL, EMBED_MODEL)
    ]
    return _json_response(_dumps({"models": models}))


def not_found() -> bytes:
    return _json_response(b'{"detail":"Not Found"}', "404 Not Found")
