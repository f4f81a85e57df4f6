"""The vLLM application: route table, ``--api-key`` guard, 404/405 bodies, info routes."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from . import anthropic_messages, vllm_generate, vllm_platform, vllm_pooling
from .base import PlatformApp
from .faults import FaultPlan
from .recording import RequestLog
from .transport import AnyResponse, Request, Response, json_bytes
from .vllm_admin import AdminState
from .vllm_common import MAX_MODEL_LEN, VERSION, VLLMError, error_response, now, parse_body
from .vllm_context import VLLMContext
from .vllm_responses import ResponsesStore

_GUARDED_PREFIXES = ("/v1", "/v2", "/inference", "/cohere")
_UNAUTHORIZED = json_bytes({"error": "Unauthorized"})
VLLMRoute = Callable[[VLLMContext, Request], AnyResponse]


class VLLMApp(PlatformApp):
    """Serves vLLM 0.33's OpenAI-compatible HTTP API for the given model names."""

    head_as_get = True

    def __init__(
        self,
        models: list[str],
        api_key: str | None = None,
        embedding_dim: int = 16,
        log: RequestLog | None = None,
        faults: FaultPlan | None = None,
    ) -> None:
        super().__init__(log, faults)
        self.ctx = VLLMContext(list(models), embedding_dim)
        self._key_digest = hashlib.sha256(api_key.encode()).digest() if api_key else None
        self.admin = AdminState()
        self.responses = ResponsesStore()
        add = self._add
        add("GET", "/health", lambda ctx, r: Response(200))
        add("GET POST", "/ping", lambda ctx, r: Response(200))
        add("GET", "/version", lambda ctx, r: _json({"version": VERSION}))
        add("GET", "/load", self.admin.load)
        add("GET", "/metrics", self.admin.metrics)
        add("GET", "/tokenizer_info", self.admin.tokenizer_info)
        add("POST", "/v1/load_lora_adapter", self.admin.load_lora)
        add("POST", "/v1/unload_lora_adapter", self.admin.unload_lora)
        add("POST", "/sleep", self.admin.sleep)
        add("POST", "/wake_up", self.admin.wake_up)
        add("GET", "/is_sleeping", self.admin.is_sleeping)
        add("POST", "/v1/responses", self.responses.create)
        add("GET", "/v1/responses/{response_id}", self.responses.retrieve)
        add("POST", "/v1/responses/{response_id}/cancel", self.responses.cancel)
        add("POST", "/v1/messages", _messages)
        add("POST", "/v1/messages/count_tokens", _count_tokens)
        add("GET", "/v1/models", _models)
        add("POST", "/v1/chat/completions", vllm_generate.chat)
        add("POST", "/v1/completions", vllm_generate.completions)
        add("POST", "/v1/embeddings", vllm_pooling.embeddings)
        add("POST", "/pooling", vllm_pooling.pooling)
        add("POST", "/classify", vllm_pooling.classify)
        add("POST", "/tokenize", vllm_platform.tokenize)
        add("POST", "/detokenize", vllm_platform.detokenize)
        for path in ("/score", "/v1/score"):
            add("POST", path, vllm_platform.score)
        for path in ("/rerank", "/v1/rerank", "/v2/rerank"):
            add("POST", path, vllm_platform.rerank)
        add("POST", "/v1/audio/transcriptions", vllm_platform.transcriptions)
        add("POST", "/v1/audio/translations", vllm_platform.translations)

    def _add(self, methods: str, path: str, route: VLLMRoute) -> None:
        ctx = self.ctx

        def handler(request: Request) -> AnyResponse:
            self.admin.count()
            try:
                return route(ctx, request)
            except VLLMError as exc:
                return exc.response()

        self.router.add(methods, path, handler)

    def check_access(self, request: Request) -> Response | None:
        """vLLM's ``--api-key`` middleware: guards ``/v1``, ``/v2``, ``/inference``, ``/cohere``."""
        if self._key_digest is None or request.method == "OPTIONS":
            return None
        if not request.path.startswith(_GUARDED_PREFIXES):
            return None
        scheme, _, token = request.header("authorization").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            hashlib.sha256(token.strip().encode()).digest(), self._key_digest
        ):
            return None
        return Response(401, _UNAUTHORIZED, "application/json")

    def not_found(self, request: Request) -> Response:
        """FastAPI's default 404."""
        return Response(404, b'{"detail":"Not Found"}', "application/json")

    def method_not_allowed(self, request: Request) -> Response:
        """FastAPI's default 405."""
        return Response(405, b'{"detail":"Method Not Allowed"}', "application/json")

    def internal_error(self, request: Request) -> Response:
        """vLLM's 500 envelope."""
        return error_response(500, "InternalServerError", "Internal server error", None)


def _json(value: object) -> Response:
    return Response(200, json_bytes(value), "application/json")


_MESSAGES_KINDS = {
    "model": "str",
    "messages": "list",
    "max_tokens": "int",
    "stream": "bool",
    "system": "str|list",
}


def _anthropic(ctx: VLLMContext, request: Request, required: tuple[str, ...]) -> str:
    """Body validation answers in vLLM's envelope (FastAPI runs it first); later errors in Anthropic's."""
    body = parse_body(request, _MESSAGES_KINDS, required=required)
    try:
        return ctx.check_model(body.get("model"))
    except VLLMError as exc:
        raise anthropic_messages.MessagesError(exc.status, exc.type, exc.message) from None


def _messages(ctx: VLLMContext, request: Request) -> AnyResponse:
    try:
        return anthropic_messages.create(
            request, _anthropic(ctx, request, ("model", "messages", "max_tokens"))
        )
    except anthropic_messages.MessagesError as exc:
        return exc.response()


def _count_tokens(ctx: VLLMContext, request: Request) -> AnyResponse:
    try:
        _anthropic(ctx, request, ("model", "messages"))
        return anthropic_messages.count_tokens(request)
    except anthropic_messages.MessagesError as exc:
        return exc.response()


def _permission(name: str, created: int) -> dict[str, object]:
    return {
        "id": "modelperm-" + hashlib.sha256(name.encode()).hexdigest()[:32],
        "object": "model_permission",
        "created": created,
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


def _models(ctx: VLLMContext, request: Request) -> Response:
    created = now()
    cards = []
    for name in ctx.names:
        permission = _permission(name, created)
        cards.append(
            {
                "id": name,
                "object": "model",
                "created": created,
                "owned_by": "vllm",
                "root": ctx.first,
                "parent": None,
                "max_model_len": MAX_MODEL_LEN,
                "permission": [permission],
            }
        )
    for name, path in ctx.adapters.items():
        cards.append(
            {
                "id": name,
                "object": "model",
                "created": created,
                "owned_by": "vllm",
                "root": path,
                "parent": ctx.first,
                "max_model_len": None,
                "permission": [_permission(name, created)],
            }
        )
    return _json({"object": "list", "data": cards})
