"""vLLM's Responses API: ``POST /v1/responses`` (JSON or named SSE events, no ``[DONE]``),
``GET /v1/responses/{id}`` and ``POST /v1/responses/{id}/cancel``.

The reference server keeps responses as vLLM does with ``VLLM_ENABLE_RESPONSES_API_STORE=1``
(``store`` defaults to true). A ``background=true`` response is stored as ``queued`` and
completes when it is first retrieved, so ``cancel`` has something to cancel.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from .model import Turn, chat_reply, generate
from .transport import AnyResponse, Request, Response, StreamResponse, json_bytes
from .vllm_common import MAX_MODEL_LEN, VLLMError, bad_request, now, parse_body, validation_failure
from .vllm_context import VLLMContext, content_text

__all__ = ["ResponsesStore", "input_turns", "response_events", "sse_events"]

RESPONSES_KINDS = {
    "model": "str",
    "instructions": "str",
    "max_output_tokens": "int",
    "temperature": "float",
    "top_p": "float",
    "stream": "bool",
    "store": "bool",
    "background": "bool",
    "parallel_tool_calls": "bool",
    "previous_response_id": "str",
    "tools": "list",
    "metadata": "dict",
    "text": "dict",
    "reasoning": "dict",
    "top_logprobs": "int",
    "user": "str",
}
_KEEP = 1000  # responses kept; the oldest are forgotten first


def _not_found(response_id: str) -> VLLMError:
    return VLLMError(
        404, "invalid_request_error", f"Response with id '{response_id}' not found.", "response_id"
    )


def input_turns(body: dict[str, Any]) -> list[Turn]:
    """The conversation of a Responses request: ``instructions``, then ``input`` (text or items).

    Raises ``ValueError`` for an ``input`` that is neither a string nor a list of objects.
    """
    turns: list[Turn] = []
    if body.get("instructions"):
        turns.append(Turn("system", str(body["instructions"])))
    value = body.get("input")
    if isinstance(value, str):
        turns.append(Turn("user", value))
        return turns
    if not isinstance(value, list):
        raise ValueError("input must be a string or a list of input items.")
    for item in value:
        if not isinstance(item, dict):
            raise ValueError("Each input item must be an object.")
        if item.get("type", "message") == "message":
            text, images = content_text(item.get("content"))
            turns.append(Turn(str(item.get("role", "user")), text, images))
        elif item.get("type") == "function_call_output":
            turns.append(Turn("tool", str(item.get("output", ""))))
    return turns


class ResponsesStore:
    """The stored responses of one reference vLLM server, and the three routes."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def _keep(self, response: dict[str, Any]) -> None:
        with self._lock:
            self._items[response["id"]] = response
            while len(self._items) > _KEEP:
                self._items.popitem(last=False)

    def create(self, ctx: VLLMContext, request: Request) -> AnyResponse:
        """``POST /v1/responses``."""
        body = parse_body(request, RESPONSES_KINDS)
        if body.get("prompt") is not None:
            raise bad_request("prompt template is not supported (parameter=prompt)", "prompt")
        model = ctx.check_model(body.get("model"))
        store = body.get("store", True) is not False
        if body.get("background") and not store:
            raise bad_request(
                "background can only be used when `store` is true (parameter=background)", "background"
            )
        if body.get("input") is None:
            error = {"type": "missing", "loc": ("body", "input"), "msg": "Field required", "input": body}
            raise validation_failure([error], "body.input")
        try:
            turns = input_turns(body)
        except ValueError as exc:
            raise bad_request(str(exc), "input") from None
        prompt_tokens = ctx.prompt_tokens(turns)
        ctx.check_length(prompt_tokens)
        limit = body.get("max_output_tokens")
        output = generate(chat_reply(turns), int(limit) if limit is not None else None)
        rid = str(body.get("request_id") or "resp_" + uuid.uuid4().hex)
        msg_id = "msg_" + uuid.uuid4().hex
        max_output = int(limit) if limit is not None else MAX_MODEL_LEN - prompt_tokens
        status = "completed" if output.finish_reason != "length" else "incomplete"
        final = _response(body, rid, model, max_output, status, prompt_tokens, output.tokens)
        final["output"] = [_message(msg_id, output.text, "completed")]
        if status == "incomplete":
            final["incomplete_details"] = {"reason": "max_output_tokens"}
        if body.get("background"):
            queued = {**final, "status": "queued", "output": [], "usage": None, "incomplete_details": None}
            self._keep({**queued, "_final": final})
            return Response(200, json_bytes(queued), "application/json")
        if store:
            self._keep(final)
        if body.get("stream"):
            start = {**_response(body, rid, model, max_output, "in_progress", 0, 0), "usage": None}
            events = response_events(start, msg_id, output.pieces, final)
            return StreamResponse(
                200, "text/event-stream; charset=utf-8", sse_events(events), error_chunk=_sse_error
            )
        return Response(200, json_bytes(final), "application/json")

    def retrieve(self, ctx: VLLMContext, request: Request) -> Response:
        """``GET /v1/responses/{response_id}``."""
        response_id = request.params["response_id"]
        with self._lock:
            stored = self._items.get(response_id)
            if stored is None:
                raise _not_found(response_id)
            if "_final" in stored and stored["status"] == "queued":
                stored = self._items[response_id] = stored["_final"]
        return Response(200, json_bytes(_public(stored)), "application/json")

    def cancel(self, ctx: VLLMContext, request: Request) -> Response:
        """``POST /v1/responses/{response_id}/cancel``."""
        response_id = request.params["response_id"]
        with self._lock:
            stored = self._items.get(response_id)
            if stored is None:
                raise _not_found(response_id)
            if stored["status"] not in ("queued", "in_progress"):
                raise VLLMError(
                    400, "invalid_request_error", "Cannot cancel a synchronous response.", "response_id"
                )
            stored = self._items[response_id] = {**_public(stored), "status": "cancelled"}
        return Response(200, json_bytes(stored), "application/json")


def _public(stored: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stored.items() if not k.startswith("_")}


def _response(
    body: dict[str, Any],
    rid: str,
    model: str,
    max_output: int,
    status: str,
    prompt_tokens: int,
    output_tokens: int,
) -> dict[str, Any]:
    return {
        "id": rid,
        "created_at": now(),
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "metadata": body.get("metadata"),
        "model": model,
        "object": "response",
        "output": [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "temperature": float(body.get("temperature", 1.0)),
        "tool_choice": body.get("tool_choice", "auto" if body.get("tools") else "none"),
        "tools": body.get("tools") or [],
        "top_p": float(body.get("top_p", 1.0)),
        "background": bool(body.get("background", False)),
        "max_output_tokens": max_output,
        "max_tool_calls": body.get("max_tool_calls"),
        "previous_response_id": body.get("previous_response_id"),
        "prompt": None,
        "reasoning": body.get("reasoning"),
        "service_tier": body.get("service_tier", "auto"),
        "status": status,
        "text": body.get("text"),
        "top_logprobs": body.get("top_logprobs"),
        "truncation": body.get("truncation", "disabled"),
        "usage": {
            "input_tokens": prompt_tokens,
            "input_tokens_details": {
                "cached_tokens": 0,
                "cache_write_tokens": 0,
                "input_tokens_per_turn": [],
                "cached_tokens_per_turn": [],
            },
            "output_tokens": output_tokens,
            "output_tokens_details": {
                "reasoning_tokens": 0,
                "tool_output_tokens": 0,
                "output_tokens_per_turn": [],
                "tool_output_tokens_per_turn": [],
            },
            "total_tokens": prompt_tokens + output_tokens,
        },
        "user": body.get("user"),
        "presence_penalty": float(body.get("presence_penalty", 0.0)),
        "frequency_penalty": float(body.get("frequency_penalty", 0.0)),
        "kv_transfer_params": None,
        "ec_transfer_params": None,
        "input_messages": None,
        "output_messages": None,
    }


def _message(msg_id: str, text: str, status: str) -> dict[str, Any]:
    return {
        "id": msg_id,
        "content": [{"annotations": [], "text": text, "type": "output_text", "logprobs": None}],
        "role": "assistant",
        "status": status,
        "type": "message",
        "phase": None,
    }


def response_events(
    start: dict[str, Any], msg_id: str, pieces: list[str], final: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """The stream of one text answer: created, in_progress, the item and its part, one delta per
    token, the done events, then ``response.completed``."""
    sequence = iter(range(1_000_000))
    yield {"type": "response.created", "response": start, "sequence_number": next(sequence)}
    yield {"type": "response.in_progress", "response": start, "sequence_number": next(sequence)}
    item: dict[str, Any] = {
        "id": msg_id,
        "content": [],
        "role": "assistant",
        "status": "in_progress",
        "type": "message",
    }
    if "phase" in final["output"][0]:
        item["phase"] = None
    yield {
        "type": "response.output_item.added",
        "item": item,
        "output_index": 0,
        "sequence_number": next(sequence),
    }
    part = {"annotations": [], "text": "", "type": "output_text", "logprobs": []}
    yield {
        "type": "response.content_part.added",
        "content_index": 0,
        "item_id": msg_id,
        "output_index": 0,
        "part": part,
        "sequence_number": next(sequence),
    }
    for piece in pieces:
        yield {
            "type": "response.output_text.delta",
            "content_index": 0,
            "delta": piece,
            "item_id": msg_id,
            "logprobs": [],
            "output_index": 0,
            "sequence_number": next(sequence),
        }
    text = "".join(pieces)
    yield {
        "type": "response.output_text.done",
        "content_index": 0,
        "item_id": msg_id,
        "logprobs": [],
        "output_index": 0,
        "sequence_number": next(sequence),
        "text": text,
    }
    yield {
        "type": "response.content_part.done",
        "content_index": 0,
        "item_id": msg_id,
        "output_index": 0,
        "part": final["output"][0]["content"][0],
        "sequence_number": next(sequence),
    }
    yield {
        "type": "response.output_item.done",
        "item": final["output"][0],
        "output_index": 0,
        "sequence_number": next(sequence),
    }
    # vLLM ends with response.completed even when the response is "incomplete" (max_output_tokens).
    yield {"type": "response.completed", "response": final, "sequence_number": next(sequence)}


def sse_events(events: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    """``event: <type>`` / ``data: <json>`` pairs; the stream simply ends (no ``[DONE]``)."""
    for event in events:
        yield (
            f"event: {event['type']}\ndata: ".encode()
            + json.dumps(event, separators=(",", ":")).encode()
            + b"\n\n"
        )


def _sse_error(message: str) -> bytes:
    data = {
        "type": "error",
        "code": "InternalServerError",
        "message": message,
        "param": None,
        "sequence_number": 0,
    }
    return b"event: error\ndata: " + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"
