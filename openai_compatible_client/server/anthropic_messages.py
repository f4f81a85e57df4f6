"""Anthropic's Messages API as vLLM (``/v1/messages``, ``/v1/messages/count_tokens``) and Ollama
(``/v1/messages``) serve it: Anthropic's body, its named SSE events and its error envelope.

The reply text comes from the same deterministic model as chat; only the framing differs.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from .model import Turn, chat_reply, generate
from .transport import JSONValue, Request, Response, StreamResponse, json_bytes

__all__ = ["MessagesError", "count_tokens", "create", "error_body"]


class MessagesError(Exception):
    """An error answered with Anthropic's ``{"type": "error", "error": {...}}`` envelope."""

    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message

    def response(self) -> Response:
        """The HTTP response for this error."""
        return Response(self.status, json_bytes(error_body(self.type, self.message)), "application/json")


def error_body(type_: str, message: str) -> dict[str, Any]:
    """Anthropic's error envelope."""
    return {"type": "error", "error": {"type": type_, "message": message}}


def _body(request: Request, required: tuple[str, ...]) -> dict[str, Any]:
    if request.json_error is not None or not isinstance(request.json, dict):
        raise MessagesError(400, "invalid_request_error", "The request body must be a JSON object.")
    body = dict(request.json)
    missing = [name for name in required if name not in body]
    if missing:
        raise MessagesError(400, "invalid_request_error", f"{missing[0]}: Field required")
    if not isinstance(body["messages"], list):
        raise MessagesError(400, "invalid_request_error", "messages: Input should be a valid list")
    return body


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise MessagesError(
            400, "invalid_request_error", "content: Input should be a string or a list of blocks"
        )
    parts = []
    for block in content:
        if isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        elif isinstance(block, dict) and block.get("type") == "tool_result":
            parts.append(_text(block.get("content", "")))
    return " ".join(parts)


def turns_of(body: dict[str, Any]) -> list[Turn]:
    """The conversation as turns: ``system`` first, then each message's text blocks."""
    turns: list[Turn] = []
    system = body.get("system")
    if system:
        turns.append(Turn("system", _text(system)))
    for message in body["messages"]:
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise MessagesError(
                400, "invalid_request_error", "messages: each message needs role user or assistant"
            )
        turns.append(Turn(str(message["role"]), _text(message.get("content", ""))))
    return turns


def _prompt_tokens(turns: list[Turn]) -> int:
    return sum(len(t.text.split()) + 3 for t in turns) + 1


def create(request: Request, model: str, message_id: str | None = None) -> Response | StreamResponse:
    """``POST /v1/messages`` for an already checked ``model`` (the name to report)."""
    body = _body(request, ("model", "messages", "max_tokens"))
    max_tokens = body["max_tokens"]
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise MessagesError(400, "invalid_request_error", "max_tokens: Input should be a positive integer")
    turns = turns_of(body)
    stops = body.get("stop_sequences") or []
    output = generate(chat_reply(turns), max_tokens, [str(s) for s in stops])
    if output.finish_reason == "length":
        stop_reason, stop_sequence = "max_tokens", None
    elif output.stop_reason is not None:
        stop_reason, stop_sequence = "stop_sequence", output.stop_reason
    else:
        stop_reason, stop_sequence = "end_turn", None
    mid = message_id or "chatcmpl-" + uuid.uuid4().hex
    usage = {"input_tokens": _prompt_tokens(turns), "output_tokens": output.tokens}
    if body.get("stream"):
        events = _events(mid, model, output.pieces, stop_reason, stop_sequence, usage)
        return StreamResponse(200, "text/event-stream; charset=utf-8", _sse(events), error_chunk=_sse_error)
    result: dict[str, Any] = {
        "id": mid,
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": output.text}],
        "model": model,
        "stop_reason": stop_reason,
        "usage": usage,
    }
    if stop_sequence is not None:
        result["stop_sequence"] = stop_sequence
    return Response(200, json_bytes(result), "application/json")


def count_tokens(request: Request) -> Response:
    """``POST /v1/messages/count_tokens``: the prompt size, as vLLM counts it."""
    body = _body(request, ("model", "messages"))
    tokens = _prompt_tokens(turns_of(body))
    result = {"input_tokens": tokens, "context_management": {"original_input_tokens": tokens}}
    return Response(200, json_bytes(result), "application/json")


def _events(
    mid: str,
    model: str,
    pieces: list[str],
    stop_reason: str,
    stop_sequence: str | None,
    usage: dict[str, int],
) -> Iterator[tuple[str, JSONValue]]:
    start: dict[str, Any] = {
        "id": mid,
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": model,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": usage["input_tokens"], "output_tokens": 0},
    }
    yield "message_start", {"type": "message_start", "message": start}
    if pieces:
        yield (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        )
        for piece in pieces:
            yield (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": piece},
                },
            )
        yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": stop_sequence},
            "usage": usage,
        },
    )
    yield "message_stop", {"type": "message_stop"}


def _sse(events: Iterator[tuple[str, JSONValue]]) -> Iterator[bytes]:
    for name, data in events:
        yield f"event: {name}\ndata: ".encode() + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"


def _sse_error(message: str) -> bytes:
    data = json.dumps(error_body("api_error", message), separators=(",", ":")).encode()
    return b"event: error\ndata: " + data + b"\n\n"
