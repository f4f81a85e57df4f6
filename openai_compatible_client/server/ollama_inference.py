"""Ollama ``/api/chat``, ``/api/generate``, ``/api/embed`` and ``/api/embeddings``."""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .model import (
    Generation,
    ToolCall,
    Turn,
    chat_reply,
    generate,
    json_answer,
    json_schema_answer,
    last_user,
    normalize,
    plan_tool_calls,
    reasoning_text,
    shortest_float32,
    stable_hex,
    token_logprob,
    tool_call_tokens,
)
from .model import embedding as embed_vector
from .ollama_common import (
    JSON_UTF8,
    NDJSON,
    OllamaError,
    check_options,
    error_line,
    json_ok,
    keep_alive_seconds,
    ndjson_lines,
    now_utc,
    parse_body,
    parse_name,
    wants_stream,
)
from .ollama_state import CONTEXT_LENGTH, LocalModel, ModelStore
from .tokenizer import WordTokenizer
from .transport import AnyResponse, Request, StreamResponse

CHAT_FIELDS = {
    "model": "string",
    "messages": "[]api.Message",
    "tools": "api.Tools",
    "stream": "bool",
    "options": "map[string]interface {}",
    "logprobs": "bool",
    "top_logprobs": "int",
}
GENERATE_FIELDS = {
    "model": "string",
    "prompt": "string",
    "suffix": "string",
    "system": "string",
    "template": "string",
    "context": "[]int",
    "raw": "bool",
    "images": "[]api.ImageData",
    "stream": "bool",
    "options": "map[string]interface {}",
    "logprobs": "bool",
    "top_logprobs": "int",
}
EMBED_FIELDS = {
    "model": "string",
    "truncate": "bool",
    "dimensions": "int",
    "options": "map[string]interface {}",
}
_THINK_LEVELS = ("low", "medium", "high", "max")


@dataclass
class Plan:
    """What the model emits for one request."""

    thinking: Generation | None
    content: Generation
    calls: list[ToolCall] = field(default_factory=list)
    done_reason: str = "stop"

    @property
    def eval_count(self) -> int:
        """Tokens generated."""
        total = self.content.tokens + (self.thinking.tokens if self.thinking else 0)
        return total + sum(tool_call_tokens(c) for c in self.calls)


@dataclass
class Timing:
    """Durations reported on the final object (integer nanoseconds, never zero)."""

    start_ns: int
    was_loaded: bool

    def metrics(self, prompt_tokens: int, eval_tokens: int) -> dict[str, int]:
        """The six counters in Ollama's field order."""
        load = 50_000 if self.was_loaded else 500_000
        prompt_ns = 1_000 + 1_000 * prompt_tokens
        eval_ns = 1_000 + 2_000 * eval_tokens
        total = max(time.time_ns() - self.start_ns, 1) + load + prompt_ns + eval_ns
        return {
            "total_duration": total,
            "load_duration": load,
            "prompt_eval_count": prompt_tokens,
            "prompt_eval_duration": prompt_ns,
            "eval_count": eval_tokens,
            "eval_duration": eval_ns,
        }


_THINK_CHOICES = '("high", "medium", "low", "max", true, or false)'


def _check_think(value: Any) -> bool:
    """``api.ThinkValue.UnmarshalJSON`` (a bind error, 400); True when thinking is asked for."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        if value in _THINK_LEVELS:
            return True
        raise OllamaError(400, f"invalid think value: {_go_quote(value)} (must be {_THINK_CHOICES[1:-1]})")
    raise OllamaError(400, f"think must be a boolean or string {_THINK_CHOICES}")


def _go_quote(text: str) -> str:
    """Go's ``%q`` for the printable names and values quoted in error texts."""
    return json.dumps(text, ensure_ascii=False)


def _require(model: LocalModel, shown: str, think: bool, wanted: list[str], action: str) -> None:
    """The capability checks of the chat/generate handlers and ``scheduleRunner`` (all 400)."""
    if think and "thinking" not in model.capabilities:
        raise OllamaError(400, f"{_go_quote(shown)} does not support thinking")
    if "completion" not in model.capabilities:
        raise OllamaError(400, f"{_go_quote(shown)} does not support {action}")
    missing = [cap for cap in wanted if cap not in model.capabilities]
    if missing:
        raise OllamaError(400, f"{model.name.full} does not support " + "\n".join(missing))


def _check_format(value: Any) -> None:
    if value is None or value == "" or value == "json" or isinstance(value, dict):
        return
    shown = value if isinstance(value, str) else str(value)
    raise OllamaError(500, f'invalid format: "{shown}": expected "json" or a valid JSON Schema object')


def _formatted(fmt: Any, reply: str, turns: list[Turn]) -> str:
    if fmt == "json":
        user = last_user(turns)
        return json_answer(reply, user.text if user else "")
    if isinstance(fmt, dict):
        return json_schema_answer(fmt)
    return reply


def _check_images(images: Any, where: str) -> int:
    if images is None:
        return 0
    if not isinstance(images, list):
        raise OllamaError(
            400,
            f"json: cannot unmarshal {_go_kind(images)} into Go struct field {where} of type []api.ImageData",
        )
    for image in images:
        if not isinstance(image, str):
            raise OllamaError(
                400, f"json: cannot unmarshal {_go_kind(image)} into Go struct field {where} of type string"
            )
        try:
            base64.b64decode(image, validate=True)
        except (binascii.Error, ValueError):
            raise OllamaError(400, f"illegal base64 data at input byte {_bad_base64_at(image)}") from None
    return len(images)


def _go_kind(value: Any) -> str:
    return {str: "string", bool: "bool", int: "number", float: "number", dict: "object"}.get(
        type(value), "value"
    )


def _bad_base64_at(text: str) -> int:
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    for index, char in enumerate(text):
        if char == "=":
            return index
        if char not in allowed:
            return index
    return len(text) - (len(text) % 4)


def _turns(messages: list[Any]) -> list[Turn]:
    turns: list[Turn] = []
    for message in messages:
        if not isinstance(message, dict):
            raise OllamaError(
                400,
                "json: cannot unmarshal value into Go struct field ChatRequest.messages of type api.Message",
            )
        content = message.get("content", "")
        if not isinstance(content, (str, type(None))):
            raise OllamaError(
                400,
                "json: cannot unmarshal array into Go struct field Message.messages.content of type string",
            )
        images = _check_images(message.get("images"), "Message.messages.images")
        role = str(message.get("role", "")).lower()
        turns.append(Turn(role, content or "", images))
    return turns


def _plan(body: dict[str, Any], turns: list[Turn], reply: str, think: bool, tools: list[Any]) -> Plan:
    options = check_options(body.get("options"))
    budget = options.get("num_predict")
    budget = None if budget is None or budget < 0 else int(budget)
    stop = options.get("stop") or []
    thinking = generate(reasoning_text(turns), budget) if think else None
    if thinking is not None and budget is not None:
        budget -= thinking.tokens
    calls = plan_tool_calls(tools, turns, "auto") if tools else []
    if calls:
        return Plan(thinking, Generation([], "stop", None, 0), calls, "stop")
    if thinking is not None and (thinking.finish_reason == "length" or budget == 0):
        return Plan(thinking, Generation([], "length", None, 0), [], "length")
    content = generate(
        _formatted(body.get("format"), reply, turns), budget, [s for s in stop if isinstance(s, str)]
    )
    return Plan(thinking, content, [], content.finish_reason)


def _tool_calls(body: dict[str, Any], calls: list[ToolCall]) -> list[dict[str, Any]]:
    out = []
    for index, call in enumerate(calls):
        ident = "call_" + stable_hex(body.get("messages"), body.get("tools"), index, length=8)
        out.append(
            {"id": ident, "function": {"index": index, "name": call.name, "arguments": call.arguments}}
        )
    return out


def _logprobs(pieces: list[str], top: int) -> list[dict[str, Any]]:
    out = []
    for piece in pieces:
        entry: dict[str, Any] = {
            "token": piece,
            "logprob": token_logprob(piece),
            "bytes": list(piece.encode()),
        }
        if top:
            entry["top_logprobs"] = [
                {"token": piece, "logprob": token_logprob(piece), "bytes": list(piece.encode())}
            ] + [
                {
                    "token": f" <alt{r}>",
                    "logprob": token_logprob(piece) - r,
                    "bytes": list(f" <alt{r}>".encode()),
                }
                for r in range(1, top)
            ]
        out.append(entry)
    return out


def _lookup(store: ModelStore, raw: Any, empty: OllamaError, missing: str) -> LocalModel:
    if not raw:
        raise empty
    name = parse_name(str(raw))
    if name is None:
        raise OllamaError(400, "invalid model name")
    model = store.get(name)
    if model is None:
        raise OllamaError(404, missing)
    return model


# --------------------------------------------------------------------------- chat


def chat(store: ModelStore, tokenizer: WordTokenizer, request: Request) -> AnyResponse:
    """``POST /api/chat``."""
    start = time.time_ns()
    body = parse_body(request, "ChatRequest", CHAT_FIELDS)
    keep_alive = keep_alive_seconds(body.get("keep_alive"))
    think = _check_think(body.get("think"))
    top = int(body.get("top_logprobs") or 0)
    if not 0 <= top <= 20:
        raise OllamaError(400, "top_logprobs must be between 0 and 20")
    name = body.get("model") or ""
    model = _lookup(store, name, OllamaError(400, "model is required"), f"model '{name}' not found")
    tools = body.get("tools") or []
    _require(model, name, think, ["tools"] if tools else [], "chat")
    check_options(body.get("options"))
    messages = body.get("messages") or []
    if not messages:
        was_loaded = store.load(model, keep_alive)
        reason = "unload" if keep_alive == 0 else "load"
        del was_loaded
        return json_ok(
            {
                "model": name,
                "created_at": now_utc(),
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": reason,
            }
        )
    _check_format(body.get("format"))
    turns = _turns(messages)
    plan = _plan(body, turns, chat_reply(turns), think, tools)
    prompt_tokens = len(tokenizer.chat_pieces([(t.role, t.text) for t in turns]))
    timing = Timing(start, store.load(model, keep_alive))
    calls = _tool_calls(body, plan.calls)
    if wants_stream(body):
        return StreamResponse(
            200,
            NDJSON,
            ndjson_lines(_chat_lines(name, body, plan, calls, timing, prompt_tokens, top)),
            error_chunk=error_line,
        )
    message: dict[str, Any] = {"role": "assistant", "content": plan.content.text}
    if plan.thinking is not None and plan.thinking.text:
        message["thinking"] = plan.thinking.text
    if calls:
        message["tool_calls"] = calls
    result: dict[str, Any] = {
        "model": name,
        "created_at": now_utc(),
        "message": message,
        "done": True,
        "done_reason": plan.done_reason,
    }
    if body.get("logprobs"):
        result["logprobs"] = _logprobs(plan.content.pieces, top)
    result.update(timing.metrics(prompt_tokens, plan.eval_count))
    return json_ok(result)


def _chat_lines(
    name: str,
    body: dict[str, Any],
    plan: Plan,
    calls: list[dict[str, Any]],
    timing: Timing,
    prompt: int,
    top: int,
) -> Iterator[dict[str, Any]]:
    want_logprobs = bool(body.get("logprobs"))
    if plan.thinking is not None:
        for piece in plan.thinking.pieces:
            yield {
                "model": name,
                "created_at": now_utc(),
                "message": {"role": "assistant", "content": "", "thinking": piece},
                "done": False,
            }
    if calls:
        yield {
            "model": name,
            "created_at": now_utc(),
            "message": {"role": "assistant", "content": "", "tool_calls": calls},
            "done": False,
        }
    for piece in plan.content.pieces:
        line: dict[str, Any] = {
            "model": name,
            "created_at": now_utc(),
            "message": {"role": "assistant", "content": piece},
            "done": False,
        }
        if want_logprobs:
            line["logprobs"] = _logprobs([piece], top)
        yield line
    final: dict[str, Any] = {
        "model": name,
        "created_at": now_utc(),
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": plan.done_reason,
    }
    final.update(timing.metrics(prompt, plan.eval_count))
    yield final


# --------------------------------------------------------------------------- generate


def generate_route(store: ModelStore, tokenizer: WordTokenizer, request: Request) -> AnyResponse:
    """``POST /api/generate``."""
    start = time.time_ns()
    body = parse_body(request, "GenerateRequest", GENERATE_FIELDS)
    keep_alive = keep_alive_seconds(body.get("keep_alive"))
    think = _check_think(body.get("think"))
    top = int(body.get("top_logprobs") or 0)
    if not 0 <= top <= 20:
        raise OllamaError(400, "top_logprobs must be between 0 and 20")
    name = body.get("model") or ""
    model = _lookup(store, name, OllamaError(404, "model '' not found"), f"model '{name}' not found")
    prompt = body.get("prompt") or ""
    if not prompt and keep_alive == 0:
        store.unload(model)
        return json_ok(
            {"model": name, "created_at": now_utc(), "response": "", "done": True, "done_reason": "unload"}
        )
    raw = bool(body.get("raw"))
    if raw and (body.get("template") or body.get("system") or body.get("context")):
        raise OllamaError(400, "raw mode does not support template, system, or context")
    _require(model, name, think, ["insert"] if body.get("suffix") else [], "generate")
    check_options(body.get("options"))
    _check_format(body.get("format"))
    images = _check_images(body.get("images"), "GenerateRequest.images")
    if not prompt and not images:
        store.load(model, keep_alive)
        return json_ok(
            {
                "model": name,
                "created_at": now_utc(),
                "response": "",
                "done": True,
                "done_reason": "load",
            }
        )
    turns = (
        [Turn("system", str(body.get("system") or model.system))]
        if (body.get("system") or model.system)
        else []
    )
    turns.append(Turn("user", prompt, images))
    plan = _plan(body, turns, chat_reply(turns), think, [])
    rendered = tokenizer.chat_pieces([(t.role, t.text) for t in turns])
    timing = Timing(start, store.load(model, keep_alive))
    context = None if raw else tokenizer.ids(rendered + plan.content.pieces)
    if wants_stream(body):
        lines = _generate_lines(name, body, plan, timing, len(rendered), top, context)
        return StreamResponse(200, NDJSON, ndjson_lines(lines), error_chunk=error_line)
    result: dict[str, Any] = {"model": name, "created_at": now_utc(), "response": plan.content.text}
    if plan.thinking is not None and plan.thinking.text:
        result["thinking"] = plan.thinking.text
    result.update({"done": True, "done_reason": plan.done_reason})
    if context is not None:
        result["context"] = context
    result.update(timing.metrics(len(rendered), plan.eval_count))
    if body.get("logprobs"):
        result["logprobs"] = _logprobs(plan.content.pieces, top)
    return json_ok(result)


def _generate_lines(
    name: str,
    body: dict[str, Any],
    plan: Plan,
    timing: Timing,
    prompt: int,
    top: int,
    context: list[int] | None,
) -> Iterator[dict[str, Any]]:
    if plan.thinking is not None:
        for piece in plan.thinking.pieces:
            yield {"model": name, "created_at": now_utc(), "response": "", "thinking": piece, "done": False}
    for piece in plan.content.pieces:
        line: dict[str, Any] = {"model": name, "created_at": now_utc(), "response": piece, "done": False}
        if body.get("logprobs"):
            line["logprobs"] = _logprobs([piece], top)
        yield line
    final: dict[str, Any] = {
        "model": name,
        "created_at": now_utc(),
        "response": "",
        "done": True,
        "done_reason": plan.done_reason,
    }
    if context is not None:
        final["context"] = context
    final.update(timing.metrics(prompt, plan.eval_count))
    yield final


# --------------------------------------------------------------------------- embeddings


def embed(store: ModelStore, dim: int, request: Request) -> AnyResponse:
    """``POST /api/embed``: normalized float32 vectors in input order."""
    start = time.time_ns()
    body = parse_body(request, "EmbedRequest", EMBED_FIELDS)
    keep_alive = keep_alive_seconds(body.get("keep_alive"))
    name = body.get("model") or ""
    if not name or parse_name(str(name)) is None:
        if name and parse_name(str(name)) is None:
            raise OllamaError(400, "invalid model name")
        raise OllamaError(404, f"model '{name}' not found")
    value = body.get("input")
    if isinstance(value, str):
        inputs = [value] if value else []
    elif isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise OllamaError(400, "invalid input type")
        inputs = list(value)
    elif value is None:
        inputs = []
    else:
        raise OllamaError(400, "invalid input type")
    model = _lookup(
        store,
        name,
        OllamaError(404, f"model '{name}' not found"),
        f'model "{name}" not found, try pulling it first',
    )
    check_options(body.get("options"))
    timing = Timing(start, store.load(model, keep_alive))
    if not inputs:
        return json_ok({"model": name, "embeddings": []})
    tokens = 0
    vectors = []
    dims = int(body.get("dimensions") or 0)
    for text in inputs:
        count = len(text.split())
        if count > CONTEXT_LENGTH:
            if body.get("truncate") is False:
                raise OllamaError(400, "the input length exceeds the context length")
            text = " ".join(text.split()[:CONTEXT_LENGTH])
            count = CONTEXT_LENGTH
        tokens += count
        vector = embed_vector(text, dim)
        if 0 < dims < len(vector):
            vector = normalize(vector[:dims])
        vectors.append([shortest_float32(v) for v in vector])
    metrics = timing.metrics(tokens, 0)
    result = {
        "model": name,
        "embeddings": vectors,
        "total_duration": metrics["total_duration"],
        "load_duration": metrics["load_duration"],
        "prompt_eval_count": tokens,
    }
    return json_ok(result)


def embeddings_legacy(store: ModelStore, dim: int, request: Request) -> AnyResponse:
    """``POST /api/embeddings``: ``{"embedding": [...]}`` for one ``prompt``."""
    body = parse_body(request, "EmbeddingRequest", {"model": "string", "prompt": "string"})
    keep_alive = keep_alive_seconds(body.get("keep_alive"))
    name = body.get("model") or ""
    model = _lookup(
        store, name, OllamaError(400, "model is required"), f'model "{name}" not found, try pulling it first'
    )
    check_options(body.get("options"))
    store.load(model, keep_alive)
    prompt = body.get("prompt") or ""
    if not prompt:
        return json_ok({"embedding": []})
    return json_ok({"embedding": embed_vector(prompt, dim)})


__all__ = ["JSON_UTF8", "chat", "embed", "embeddings_legacy", "generate_route"]
