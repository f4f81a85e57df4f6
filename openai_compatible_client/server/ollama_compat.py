"""Ollama's compatibility layers beyond its native API: ``POST /v1/responses`` (OpenAI Responses)
and ``POST /v1/messages`` (Anthropic Messages), with the shapes and errors of Ollama 0.33's
``openai/responses.go`` and ``anthropic/anthropic.go`` middlewares.
"""

from __future__ import annotations

import random
import time
from typing import Any

from . import anthropic_messages
from .model import chat_reply, generate
from .ollama_common import ModelName, parse_name
from .ollama_state import ModelStore
from .transport import AnyResponse, Request, Response, StreamResponse, json_bytes
from .vllm_responses import input_turns, response_events, sse_events

__all__ = ["messages", "responses"]


def _openai_error(status: int, message: str) -> Response:
    kind = {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return Response(status, json_bytes(body), "application/json")


def _known(store: ModelStore, raw: Any) -> ModelName | None:
    name = parse_name(str(raw)) if isinstance(raw, str) and raw else None
    return name if name is not None and store.get(name) is not None else None


def responses(store: ModelStore, request: Request) -> AnyResponse:
    """``POST /v1/responses`` (no store: ``previous_response_id``, ``background`` are not supported)."""
    body = request.json
    if request.json_error is not None or not isinstance(body, dict):
        return _openai_error(400, "invalid request body")
    raw = body.get("model")
    if _known(store, raw) is None:
        return _openai_error(404, f"model '{raw}' not found")
    try:
        turns = input_turns(body)
    except ValueError as exc:
        return _openai_error(400, str(exc))
    limit = body.get("max_output_tokens")
    output = generate(chat_reply(turns), int(limit) if isinstance(limit, int) else None)
    rid = f"resp_{random.randint(0, 999_999)}"
    item_id = f"msg_{random.randint(0, 999_999)}"
    prompt_tokens = sum(len(t.text.split()) + 3 for t in turns)
    final = {
        "id": rid,
        "object": "response",
        "created_at": int(time.time()),
        "completed_at": int(time.time()),
        "status": "completed",
        "incomplete_details": None,
        "model": str(raw),
        "previous_response_id": None,
        "instructions": body.get("instructions") or None,
        "output": [
            {
                "id": item_id,
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": output.text, "annotations": [], "logprobs": []}],
            }
        ],
        "error": None,
        "tools": body.get("tools") or [],
        "tool_choice": "auto",
        "truncation": body.get("truncation") or "disabled",
        "parallel_tool_calls": True,
        "text": {"format": (body.get("text") or {}).get("format") or {"type": "text"}},
        "top_p": float(body.get("top_p") or 1.0),
        "presence_penalty": 0,
        "frequency_penalty": 0,
        "top_logprobs": 0,
        "temperature": float(body.get("temperature") or 1.0),
        "reasoning": None,
        "usage": {
            "input_tokens": prompt_tokens,
            "output_tokens": output.tokens,
            "total_tokens": prompt_tokens + output.tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
        "max_output_tokens": limit if isinstance(limit, int) else None,
        "max_tool_calls": None,
        "store": False,
        "background": False,
        "service_tier": "default",
        "metadata": {},
        "safety_identifier": None,
        "prompt_cache_key": None,
    }
    if body.get("stream"):
        start = {**final, "status": "in_progress", "output": [], "usage": None, "completed_at": None}
        events = response_events(start, item_id, output.pieces, final)
        return StreamResponse(200, "text/event-stream", sse_events(events))
    return Response(200, json_bytes(final), "application/json")


def messages(store: ModelStore, request: Request) -> AnyResponse:
    """``POST /v1/messages`` (Anthropic's shape; ``msg_`` ids; errors in Anthropic's envelope)."""
    body = request.json if isinstance(request.json, dict) else {}
    try:
        if not body.get("model"):
            raise anthropic_messages.MessagesError(400, "invalid_request_error", "model is required")
        if _known(store, body["model"]) is None:
            raise anthropic_messages.MessagesError(
                404, "not_found_error", f"model '{body['model']}' not found"
            )
        message_id = f"msg_{random.getrandbits(96):024x}"
        return anthropic_messages.create(request, str(body["model"]), message_id)
    except anthropic_messages.MessagesError as exc:
        return exc.response()
