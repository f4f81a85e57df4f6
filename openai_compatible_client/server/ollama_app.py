"""The Ollama application: gin-style route table, 404/405 texts, optional bearer key."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from . import ollama_compat as compat
from . import ollama_inference as inference
from . import ollama_manage as manage
from .base import PlatformApp
from .faults import FaultPlan
from .ollama_common import VERSION, OllamaError, error_response, json_ok
from .ollama_state import ModelStore
from .recording import RequestLog
from .tokenizer import WordTokenizer
from .transport import AnyResponse, Request, Response

_TEXT = "text/plain; charset=utf-8"
_OPEN_PATHS = ("/", "/api/version")


class OllamaApp(PlatformApp):
    """Serves Ollama 0.33's native HTTP API with an in-memory model store."""

    def __init__(
        self,
        models: list[str],
        api_key: str | None = None,
        embedding_dim: int = 16,
        log: RequestLog | None = None,
        faults: FaultPlan | None = None,
    ) -> None:
        super().__init__(log, faults)
        self.store = ModelStore(models)
        self.tokenizer = WordTokenizer()
        self.dim = embedding_dim
        self._key_digest = hashlib.sha256(api_key.encode()).digest() if api_key else None
        store, tok, dim = self.store, self.tokenizer, self.dim
        add = self._add
        add("GET HEAD", "/", lambda r: Response(200, b"Ollama is running", _TEXT))
        add("GET HEAD", "/api/version", lambda r: json_ok({"version": VERSION}))
        add("GET", "/api/status", lambda r: json_ok({"cloud": {"disabled": False, "source": "none"}}))
        add("GET HEAD", "/api/tags", lambda r: manage.tags(store, r))
        add("GET", "/api/ps", lambda r: manage.ps(store, r))
        add("GET", "/v1/models", lambda r: manage.openai_models(store, r))
        add("GET", "/v1/models/{model}", lambda r: manage.openai_model(store, r))
        add("POST", "/api/chat", lambda r: inference.chat(store, tok, r))
        add("POST", "/api/generate", lambda r: inference.generate_route(store, tok, r))
        add("POST", "/api/embed", lambda r: inference.embed(store, dim, r))
        add("POST", "/api/embeddings", lambda r: inference.embeddings_legacy(store, dim, r))
        add("POST", "/api/show", lambda r: manage.show(store, dim, r))
        add("POST", "/api/copy", lambda r: manage.copy(store, r))
        add("DELETE", "/api/delete", lambda r: manage.delete(store, r))
        add("POST", "/api/pull", lambda r: manage.pull(store, r))
        add("POST", "/api/push", lambda r: manage.push(store, r))
        add("POST", "/api/create", lambda r: manage.create(store, r))
        add("HEAD", "/api/blobs/{digest}", lambda r: manage.head_blob(store, r))
        add("POST", "/api/blobs/{digest}", lambda r: manage.create_blob(store, r), stream_body=True)
        add("POST", "/v1/responses", lambda r: compat.responses(store, r))
        add("POST", "/v1/messages", lambda r: compat.messages(store, r))

    def _add(
        self, methods: str, path: str, route: Callable[[Request], AnyResponse], stream_body: bool = False
    ) -> None:
        def handler(request: Request) -> AnyResponse:
            try:
                return route(request)
            except OllamaError as exc:
                return exc.response()

        self.router.add(methods, path, handler, stream_body=stream_body)

    def check_access(self, request: Request) -> Response | None:
        """With ``--api-key`` (an authenticating proxy in front of Ollama), require the bearer key."""
        if self._key_digest is None or request.path in _OPEN_PATHS or request.method == "OPTIONS":
            return None
        scheme, _, token = request.header("authorization").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            hashlib.sha256(token.strip().encode()).digest(), self._key_digest
        ):
            return None
        return error_response(401, "unauthorized")

    def not_found(self, request: Request) -> Response:
        """gin's 404."""
        return Response(404, b"404 page not found", _TEXT)

    def method_not_allowed(self, request: Request) -> Response:
        """gin's 405 (``HandleMethodNotAllowed`` is on)."""
        return Response(405, b"405 method not allowed", _TEXT)

    def internal_error(self, request: Request) -> Response:
        """A 500 in Ollama's shape."""
        return error_response(500, "internal server error")
