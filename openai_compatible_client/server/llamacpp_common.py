"""llama.cpp ``llama-server``: error envelopes, body parsing, the served model and its settings."""

from __future__ import annotations

import json
import random
import string
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .model import Turn
from .tokenizer import WordTokenizer
from .transport import JSONValue, Request, Response, json_bytes

BUILD_INFO = "b1-reference"
N_CTX = 2048
TOTAL_SLOTS = 4
# llama-server's error types and the status each one answers with (``format_error_response``).
ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "server_error": 500,
    "not_supported_error": 501,
    "unavailable_error": 503,
    "exceed_context_size_error": 400,
}


class LlamaCppError(Exception):
    """An error answered with llama-server's ``{"error": {"code", "message", "type"}}``."""

    def __init__(self, type_: str, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.type = type_
        self.message = message
        self.extra = extra or {}

    def response(self) -> Response:
        """The HTTP response for this error."""
        return error_response(self.type, self.message, self.extra)


def error_body(type_: str, message: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The inner error object (also the payload of a mid-stream ``data: {"error": ...}``)."""
    return {"code": ERROR_STATUS[type_], "message": message, "type": type_, **(extra or {})}


def error_response(type_: str, message: str, extra: dict[str, Any] | None = None) -> Response:
    """The HTTP error response."""
    body = {"error": error_body(type_, message, extra)}
    return Response(ERROR_STATUS[type_], json_bytes(body), "application/json; charset=utf-8")


def invalid(message: str) -> LlamaCppError:
    """A 400 ``invalid_request_error`` (``std::invalid_argument`` in a handler)."""
    return LlamaCppError("invalid_request_error", message)


def parse_json(request: Request) -> Any:
    """The body as nlohmann::json parses it; a syntax error is a 500, as llama-server answers it."""
    if request.json_error is not None or not request.body.strip():
        text = request.body.decode("utf-8", "replace")
        last = text[:1] if text else ""
        where = "syntax error while parsing value - " + (
            f"invalid literal; last read: '{last}'"
            if last
            else "unexpected end of input; expected '[', '{', or a literal"
        )
        raise LlamaCppError(
            "server_error", f"[json.exception.parse_error.101] parse error at line 1, column 1: {where}"
        )
    return request.json


def parse_object(request: Request) -> dict[str, Any]:
    """A JSON object body (other JSON values fail like nlohmann's ``at()`` on a non-object)."""
    body = parse_json(request)
    if not isinstance(body, dict):
        raise LlamaCppError(
            "server_error", f"[json.exception.type_error.304] cannot use at() with {_json_kind(body)}"
        )
    return body


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "null"


def missing_key(key: str) -> LlamaCppError:
    """nlohmann's ``at()`` on a missing key, caught by the completion handler (a 400)."""
    return invalid(f"[json.exception.out_of_range.403] key '{key}' not found")


def completion_id() -> str:
    """``chatcmpl-`` and 32 random letters and digits, as llama-server makes them."""
    return "chatcmpl-" + "".join(random.choices(string.ascii_letters + string.digits, k=32))


def sampling_params(n_predict: int = -1, stream: bool = False, n_probs: int = 0) -> dict[str, Any]:
    """The sampling settings a slot reports (``task_params::to_json(true)``) with the defaults."""
    return {
        "seed": 4294967295,
        "temperature": 0.800000011920929,
        "dynatemp_range": 0.0,
        "dynatemp_exponent": 1.0,
        "top_k": 40,
        "top_p": 0.949999988079071,
        "min_p": 0.05000000074505806,
        "top_n_sigma": -1.0,
        "xtc_probability": 0.0,
        "xtc_threshold": 0.10000000149011612,
        "typical_p": 1.0,
        "repeat_last_n": 64,
        "repeat_penalty": 1.0,
        "presence_penalty": 0.0,
        "frequency_penalty": 0.0,
        "dry_multiplier": 0.0,
        "dry_base": 1.75,
        "dry_allowed_length": 2,
        "dry_penalty_last_n": N_CTX,
        "mirostat": 0,
        "mirostat_tau": 5.0,
        "mirostat_eta": 0.10000000149011612,
        "adaptive_target": -1.0,
        "adaptive_decay": 0.8999999761581421,
        "max_tokens": n_predict,
        "n_predict": n_predict,
        "n_keep": 0,
        "n_discard": 0,
        "ignore_eos": False,
        "stream": stream,
        "n_probs": n_probs,
        "min_keep": 0,
        "chat_format": "Content-only",
        "reasoning_format": "deepseek",
        "reasoning_in_content": False,
        "generation_prompt": "",
        "samplers": [
            "penalties",
            "dry",
            "top_n_sigma",
            "top_k",
            "typ_p",
            "top_p",
            "min_p",
            "xtc",
            "temperature",
        ],
        "speculative.types": "none",
        "timings_per_token": False,
        "post_sampling_probs": False,
        "backend_sampling": False,
        "lora": [],
    }


def generation_settings(body: dict[str, Any], n_predict: int, stream: bool) -> dict[str, Any]:
    """``generation_settings`` of a native ``/completion`` answer (the full parameter set)."""
    params = sampling_params(n_predict, stream, int(body.get("n_probs") or 0))
    stops = body.get("stop") or []
    extra = {
        "stop": [stops] if isinstance(stops, str) else list(stops),
        "logit_bias": [],
        "grammar": "",
        "grammar_lazy": False,
        "grammar_triggers": [],
        "preserved_tokens": [],
        "dry_sequence_breakers": ["\n", ":", '"', "*"],
    }
    return {**params, **extra}


@dataclass
class Timings:
    """A completion's ``timings`` object (prompt and generation speed)."""

    prompt_n: int
    predicted_n: int

    def to_json(self) -> dict[str, Any]:
        """The JSON object llama-server sends."""
        prompt_ms = 0.1 * max(self.prompt_n, 1)
        predicted_ms = 0.1 * max(self.predicted_n, 1)
        return {
            "cache_n": 0,
            "prompt_n": self.prompt_n,
            "prompt_ms": prompt_ms,
            "prompt_per_token_ms": prompt_ms / max(self.prompt_n, 1),
            "prompt_per_second": 1000.0 * self.prompt_n / prompt_ms,
            "predicted_n": self.predicted_n,
            "predicted_ms": predicted_ms,
            "predicted_per_token_ms": predicted_ms / max(self.predicted_n, 1),
            "predicted_per_second": 1000.0 * self.predicted_n / predicted_ms,
        }


@dataclass
class LoraAdapter:
    """One LoRA adapter the reference model pretends to have loaded with ``--lora``."""

    path: str
    scale: float = 1.0


@dataclass
class LlamaCppContext:
    """The served model (one alias list), its tokenizer, adapters and counters."""

    names: list[str]
    embedding_dim: int = 16
    tokenizer: WordTokenizer = field(default_factory=WordTokenizer)
    loras: list[LoraAdapter] = field(default_factory=lambda: [LoraAdapter("reference-lora.gguf")])
    started: int = field(default_factory=lambda: int(time.time()))
    counters: dict[str, int] = field(
        default_factory=lambda: {"prompt_tokens": 0, "predicted": 0, "decode": 0}
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def alias(self) -> str:
        """The model name every response reports (``--alias``); request ``model`` is not checked."""
        return self.names[0]

    def count(self, prompt_tokens: int, predicted: int) -> None:
        """Add one finished task to the ``/metrics`` counters."""
        with self.lock:
            self.counters["prompt_tokens"] += prompt_tokens
            self.counters["predicted"] += predicted
            self.counters["decode"] += predicted + 1

    def check_context(self, prompt_tokens: int) -> None:
        """Refuse a prompt that does not fit a slot's context."""
        if prompt_tokens > N_CTX:
            raise LlamaCppError(
                "exceed_context_size_error",
                f"request ({prompt_tokens} tokens) exceeds the available context size ({N_CTX} tokens), "
                "try increasing it",
                {"n_prompt_tokens": prompt_tokens, "n_ctx": N_CTX},
            )


def message_turns(messages: Any) -> list[Turn]:
    """Check ``messages`` the way ``oaicompat_chat_params_parse`` does, and reduce them to turns."""
    if messages is None:
        raise invalid("'messages' is required")
    if not isinstance(messages, list):
        raise invalid("Expected 'messages' to be an array")
    turns: list[Turn] = []
    for message in messages:
        if not isinstance(message, dict):
            raise LlamaCppError(
                "server_error", "[json.exception.type_error.306] cannot use value() with array"
            )
        role = str(message.get("role", ""))
        if role != "assistant" and "content" not in message:
            raise invalid("All non-assistant messages must contain 'content'")
        if role == "assistant" and "content" not in message and "tool_calls" not in message:
            raise invalid("Assistant message must contain either 'content' or 'tool_calls'!")
        content = message.get("content")
        text, images = _content_text(content)
        turns.append(Turn(role, text, images))
    return turns


def _content_text(content: Any) -> tuple[str, int]:
    if content is None or isinstance(content, str):
        return content or "", 0
    if not isinstance(content, list):
        raise invalid("Expected 'content' to be a string or an array")
    texts: list[str] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            texts.append(str(part.get("text", "")))
        elif kind in ("image_url", "input_audio", "input_video"):
            raise LlamaCppError(
                "server_error",
                f"{'image' if kind == 'image_url' else kind.split('_')[1]} input is not supported - hint: "
                "if this is unexpected, you may need to provide the mmproj",
            )
        else:
            raise invalid("unsupported content[].type")
    return "\n".join(texts), 0


def render_chat(turns: list[Turn], add_generation_prompt: bool = True) -> str:
    """The ChatML prompt the reference model's template renders (``/apply-template``)."""
    text = "".join(f"<|im_start|>{t.role}\n{t.text}<|im_end|>\n" for t in turns)
    return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")


def stop_list(body: dict[str, Any]) -> list[str]:
    """``stop`` as a list (a string becomes a one-element list, as llama-server does)."""
    stop = body.get("stop")
    if stop is None:
        return []
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        return list(stop)
    raise invalid("[json.exception.type_error.302] type must be array, but is " + _json_kind(stop))


def int_field(body: dict[str, Any], name: str, default: int) -> int:
    """An integer field (llama-server's ``json_value`` falls back to the default on a wrong type)."""
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return int(value)


def sse_frame(value: JSONValue) -> bytes:
    """One ``data: <json>`` event."""
    return b"data: " + json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"
