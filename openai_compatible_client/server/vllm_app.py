"""The vLLM application: route table, ``--api-key`` guard, 404/405 bodies, info routes."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable

from . import vllm_generate, vllm_platform, vllm_pooling
from .base import PlatformApp
from .faults import FaultPlan
from .recording import RequestLog
from .transport import AnyResponse, Request, Response, json_bytes
from .vllm_common import MAX_MODEL_LEN, VERSION, VLLMError, error_response, now
from .vllm_context import VLLMContext

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
        self._served = 0
        self._lock = threading.Lock()
        add = self._add
        add("GET", "/health", lambda ctx, r: Response(200))
        add("GET POST", "/ping", lambda ctx, r: Response(200))
        add("GET", "/version", lambda ctx, r: _json({"version": VERSION}))
        add("GET", "/load", lambda ctx, r: _json({"server_load": 0}))
        add("GET", "/metrics", self._metrics)
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
            with self._lock:
                self._served += 1
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

    def _metrics(self, ctx: VLLMContext, request: Request) -> Response:
        lines = [
            "# HELP vllm:num_requests_running Number of requests in model execution batches.",
            "# TYPE vllm:num_requests_running gauge",
            f'vllm:num_requests_running{{model_name="{ctx.first}"}} 0.0',
            "# HELP vllm:request_success_total Count of successfully processed requests.",
            "# TYPE vllm:request_success_total counter",
            f'vllm:request_success_total{{model_name="{ctx.first}"}} {float(self._served)}',
        ]
        return Response(200, ("\n".join(lines) + "\n").encode(), "text/plain; version=0.0.4; charset=utf-8")


def _json(value: object) -> Response:
    return Response(200, json_bytes(value), "application/json")


def _models(ctx: VLLMContext, request: Request) -> Response:
    created = now()
    cards = []
    for name in ctx.names:
        permission = {
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
    return _json({"object": "list", "data": cards})
