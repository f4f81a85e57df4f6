"""The llama.cpp ``llama-server`` application: route table, ``--api-key`` guard, info routes.

It answers like ``llama-server -m MODEL --alias NAME --embeddings --metrics --slots`` with one
LoRA adapter loaded (``--lora reference-lora.gguf``) and reranking on (``--reranking``); the
deterministic model does chat, completions, embeddings, infill and rerank.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from . import llamacpp_generate, llamacpp_native
from .base import PlatformApp
from .faults import FaultPlan
from .llamacpp_common import (
    BUILD_INFO,
    N_CTX,
    TOTAL_SLOTS,
    LlamaCppContext,
    LlamaCppError,
    error_response,
    invalid,
    parse_json,
    sampling_params,
)
from .recording import RequestLog
from .transport import AnyResponse, Request, Response, json_bytes

_JSON = "application/json; charset=utf-8"
_PUBLIC = ("/health", "/v1/health")
LlamaCppRoute = Callable[[LlamaCppContext, Request], AnyResponse]


class LlamaCppApp(PlatformApp):
    """Serves llama-server's HTTP API (OpenAI routes and native routes) for one model."""

    def __init__(
        self,
        models: list[str],
        api_key: str | None = None,
        embedding_dim: int = 16,
        log: RequestLog | None = None,
        faults: FaultPlan | None = None,
    ) -> None:
        super().__init__(log, faults)
        self.ctx = LlamaCppContext(list(models), embedding_dim)
        self._key_digest = hashlib.sha256(api_key.encode()).digest() if api_key else None
        add = self._add
        for path in _PUBLIC:
            add("GET", path, lambda ctx, r: _ok({"status": "ok"}))
        add("GET", "/props", _props)
        add(
            "POST",
            "/props",
            lambda ctx, r: error_response(
                "not_supported_error",
                "This server does not support changing global properties. Start it with `--props`",
            ),
        )
        for path in ("/models", "/v1/models"):
            add("GET", path, _models)
        add("GET", "/slots", _slots)
        add("GET", "/metrics", _metrics)
        add("GET", "/lora-adapters", _lora_list)
        add("POST", "/lora-adapters", _lora_set)
        for path in ("/completion", "/completions"):
            add("POST", path, llamacpp_generate.completion)
        add("POST", "/v1/completions", llamacpp_generate.completions)
        for path in ("/chat/completions", "/v1/chat/completions"):
            add("POST", path, llamacpp_generate.chat)
        add("POST", "/infill", llamacpp_generate.infill)
        add("POST", "/apply-template", llamacpp_generate.apply_template)
        add("POST", "/tokenize", llamacpp_native.tokenize)
        add("POST", "/detokenize", llamacpp_native.detokenize)
        for path in ("/embedding", "/embeddings"):
            add("POST", path, lambda ctx, r: llamacpp_native.embeddings(ctx, r, oai=False))
        add("POST", "/v1/embeddings", lambda ctx, r: llamacpp_native.embeddings(ctx, r, oai=True))
        for path in ("/rerank", "/reranking", "/v1/rerank", "/v1/reranking"):
            add("POST", path, llamacpp_native.rerank)

    def _add(self, methods: str, path: str, route: LlamaCppRoute) -> None:
        ctx = self.ctx

        def handler(request: Request) -> AnyResponse:
            try:
                return route(ctx, request)
            except LlamaCppError as exc:
                return exc.response()

        self.router.add(methods, path, handler)

    def check_access(self, request: Request) -> Response | None:
        """``--api-key``: all but ``/health`` need ``Authorization: Bearer KEY`` (or ``X-Api-Key``)."""
        if self._key_digest is None or request.method == "OPTIONS" or request.path in _PUBLIC:
            return None
        token = request.header("authorization") or request.header("x-api-key")
        token = token.removeprefix("Bearer ")
        if hmac.compare_digest(hashlib.sha256(token.encode()).digest(), self._key_digest):
            return None
        return error_response("authentication_error", "Invalid API Key")

    def not_found(self, request: Request) -> Response:
        """cpp-httplib's 404, rewritten by llama-server's error handler."""
        return error_response("not_found_error", "File Not Found")

    def method_not_allowed(self, request: Request) -> Response:
        """cpp-httplib answers a known path with another method as an unknown one."""
        return self.not_found(request)

    def internal_error(self, request: Request) -> Response:
        """llama-server's 500 envelope."""
        return error_response("server_error", "unknown error")


def _ok(value: Any) -> Response:
    return Response(200, json_bytes(value), _JSON)


def _model_info(ctx: LlamaCppContext) -> dict[str, Any]:
    return {
        "id": ctx.alias,
        "aliases": list(ctx.names),
        "tags": [],
        "object": "model",
        "created": ctx.started,
        "owned_by": "llamacpp",
        "meta": {
            "vocab_type": 2,
            "n_vocab": 49152,
            "n_ctx": N_CTX,
            "n_ctx_train": 8192,
            "n_embd": ctx.embedding_dim,
            "n_params": 134515008,
            "size": 98566656,
            "ftype": "Q4_1",
        },
    }


def _models(ctx: LlamaCppContext, request: Request) -> Response:
    """``GET /v1/models`` (also ``/models``): the OpenAI list plus an Ollama-style ``models`` list."""
    legacy = {
        "name": ctx.alias,
        "model": ctx.alias,
        "modified_at": "",
        "size": "",
        "digest": "",
        "type": "model",
        "description": "",
        "tags": [""],
        "capabilities": ["completion"],
        "parameters": "",
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": "",
            "families": [""],
            "parameter_size": "",
            "quantization_level": "",
        },
    }
    return _ok({"models": [legacy], "object": "list", "data": [_model_info(ctx)]})


def _props(ctx: LlamaCppContext, request: Request) -> Response:
    """``GET /props``: default generation settings, slots, model path, chat template, build."""
    props = {
        "default_generation_settings": {"params": sampling_params(), "n_ctx": N_CTX},
        "total_slots": TOTAL_SLOTS,
        "model_alias": ctx.alias,
        "model_ftype": "Q4_1",
        "model_path": f"/models/{ctx.alias}.gguf",
        "modalities": {"vision": False, "video": False, "audio": False},
        "media_marker": "<__media__>",
        "endpoint_slots": True,
        "endpoint_props": False,
        "endpoint_metrics": True,
        "ui": False,
        "ui_settings": {},
        "chat_template": "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
        "{{ message['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
        "chat_template_caps": {
            "supports_object_arguments": False,
            "supports_parallel_tool_calls": False,
            "supports_preserve_reasoning": False,
            "supports_reasoning_effort": False,
            "supports_string_content": True,
            "supports_system_role": True,
            "supports_tool_calls": False,
            "supports_tools": False,
            "supports_typed_content": False,
        },
        "bos_token": "<|im_start|>",
        "eos_token": "<|im_end|>",
        "build_info": BUILD_INFO,
        "is_sleeping": False,
        "cors_proxy_enabled": False,
    }
    return _ok(props)


def _slots(ctx: LlamaCppContext, request: Request) -> Response:
    """``GET /slots``: every slot idle, as after its first task (a never-used slot has no ``params``)."""
    slots = []
    for index in range(TOTAL_SLOTS):
        slots.append(
            {
                "id": index,
                "n_ctx": N_CTX,
                "speculative": False,
                "is_processing": False,
                "id_task": index,
                "n_prompt_tokens": 0,
                "n_prompt_tokens_processed": 0,
                "n_prompt_tokens_cache": 0,
                "params": sampling_params(),
                "next_token": [
                    {"has_next_token": False, "has_new_line": False, "n_remain": -1, "n_decoded": 0}
                ],
            }
        )
    return _ok(slots)


def _metrics(ctx: LlamaCppContext, request: Request) -> Response:
    """``GET /metrics``: Prometheus text with llama.cpp's counter names."""
    with ctx.lock:
        counters = dict(ctx.counters)
    items = [
        ("prompt_tokens_total", "counter", "Number of prompt tokens processed.", counters["prompt_tokens"]),
        (
            "tokens_predicted_total",
            "counter",
            "Number of generation tokens processed.",
            counters["predicted"],
        ),
        ("n_decode_total", "counter", "Total number of llama_decode() calls", counters["decode"]),
        ("requests_processing", "gauge", "Number of requests processing.", 0),
        ("requests_deferred", "gauge", "Number of requests deferred.", 0),
    ]
    lines: list[str] = []
    for name, kind, text, value in items:
        lines += [
            f"# HELP llamacpp:{name} {text}",
            f"# TYPE llamacpp:{name} {kind}",
            f"llamacpp:{name} {value}",
        ]
    headers = [("Process-Start-Time-Unix", str(ctx.started))]
    return Response(200, ("\n".join(lines) + "\n").encode(), "text/plain; version=0.0.4", headers)


def _lora_json(ctx: LlamaCppContext) -> list[dict[str, Any]]:
    return [
        {"id": i, "path": a.path, "scale": a.scale, "task_name": "", "prompt_prefix": ""}
        for i, a in enumerate(ctx.loras)
    ]


def _lora_list(ctx: LlamaCppContext, request: Request) -> Response:
    """``GET /lora-adapters``."""
    return _ok(_lora_json(ctx))


def _lora_set(ctx: LlamaCppContext, request: Request) -> Response:
    """``POST /lora-adapters``: ``[{"id", "scale"}]`` sets global scales; adapters not listed get 0."""
    body = parse_json(request)
    if not isinstance(body, list):
        raise invalid("Request body must be an array")
    scales: dict[int, float] = {}
    for entry in body:
        if not isinstance(entry, dict):
            raise LlamaCppError(
                "server_error", "[json.exception.type_error.306] cannot use value() with array"
            )
        adapter_id, scale = entry.get("id", -1), entry.get("scale", 0.0)
        if not isinstance(adapter_id, int) or not isinstance(scale, (int, float)):
            raise LlamaCppError("server_error", "[json.exception.type_error.302] type must be number")
        if not 0 <= adapter_id < len(ctx.loras):
            raise invalid(f"invalid adapter id: {adapter_id}")
        scales[adapter_id] = float(scale)
    with ctx.lock:
        for index, adapter in enumerate(ctx.loras):
            adapter.scale = scales.get(index, 0.0)
    return _ok({"success": True})
