"""What every platform's inference module shares: LiteLLM's configs, the wire parts of a call, the policy.

Pure code: a platform's ``inference`` module builds a :class:`Prepared` call from these pieces,
and :mod:`openai_compatible_client.routing` hands it to an executor.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from openai_compatible_client import _litellm_loader
from openai_compatible_client import errors as E
from openai_compatible_client.config import ClientConfig
from openai_compatible_client.transport.http import Call, Framing
from openai_compatible_client.transport.streams import Terminator

if TYPE_CHECKING:
    from openai.types import Completion, CreateEmbeddingResponse
    from openai.types.chat import ChatCompletion

    from openai_compatible_client.platforms.entry import Platform

__all__ = [
    "ChunkMapper",
    "Inference",
    "Kind",
    "Prepared",
    "Request",
    "Wire",
    "apply_policy",
    "apply_unmapped",
    "chat_config",
    "embedding_config",
    "load_litellm",
    "make_call",
    "merge",
    "reject_ollama_parameters",
    "supported_params",
    "take_wire",
]

Kind = Literal["chat", "completion", "embedding"]
ChunkMapper = Callable[[Any], list[Any]]
"""Maps one decoded stream item to zero or more OpenAI chunks (a stateful object or a function)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A validated call, ready for an executor.

    Attributes:
        call: What to send.
        kind: chat, completion or embedding (picks the normaliser).
        model: The model name (as the caller gave it).
        platform: The platform name.
        stream: Whether the answer is a stream.
        include_usage: Whether a stream must end with a usage chunk.
        copies: How many times to send ``call`` (a platform without ``n``: ``n`` parallel calls).
        copy_calls: The ``copies`` calls to send when they differ (their seeds do).
        encode_base64: Embeddings arrive as floats and must be returned as base64 strings.
    """

    call: Call
    kind: Kind
    model: str
    platform: str
    stream: bool = False
    include_usage: bool = False
    copies: int = 1
    copy_calls: tuple[Call, ...] = ()
    encode_base64: bool = False

    def calls(self) -> list[Call]:
        """The calls to send: ``call`` once, or one per copy of ``n``."""
        return list(self.copy_calls) if self.copy_calls else [self.call] * self.copies


@dataclass(frozen=True, slots=True)
class Wire:
    """The transport-level parts of a call, taken out of its parameters."""

    headers: dict[str, str] | None
    query: dict[str, str] | None
    timeout: float | None
    extra_body: Mapping[str, Any] | None
    stream_options: Mapping[str, Any] | None


@dataclass(slots=True)
class Request:
    """One OpenAI-style inference call after the platform-neutral checks.

    Attributes:
        config: The client's settings.
        platform: The platform entry.
        method: The public method name, for error messages (``"chat.completions.create"``).
        model: The checked model name.
        stream: Whether a stream was asked for.
        include_usage: Whether the stream must end with a usage chunk.
        given: The remaining OpenAI parameters (the platform pops what it maps).
    """

    config: ClientConfig
    platform: Platform
    method: str
    model: str
    stream: bool = False
    include_usage: bool = False
    given: dict[str, Any] = field(default_factory=dict)


class Inference(Protocol):
    """What a platform's ``inference`` module provides: request bodies and answer mapping.

    Request builders take a :class:`Request` whose platform-neutral checks are done, pop the
    parameters they map from ``request.given``, and return a :class:`Prepared` call. Answer
    mappers turn decoded payloads into ``openai.types`` objects, raising
    :class:`~openai_compatible_client.normalize.BadPayload` on a payload that cannot fit.
    """

    @property
    def stream_framing(self) -> tuple[Framing, Terminator]:
        """How streams are framed and how they end (``("sse", "sse_done")``...)."""
        ...

    def router_params(self, config: ClientConfig) -> dict[str, Any]:
        """The LiteLLM parameters a Router deployment of this platform sends with every call."""
        ...

    def chat(self, request: Request, messages: list[dict[str, Any]]) -> Prepared:
        """Build ``chat.completions.create``."""
        ...

    def check_prompt(self, prompt: Any, method: str) -> Any:
        """The prompt as the platform takes it, or ``InvalidRequestError``."""
        ...

    def completion(self, request: Request, prompt: Any) -> Prepared:
        """Build ``completions.create``."""
        ...

    def check_embedding_input(self, value: Any, method: str) -> Any:
        """The embedding input as the platform takes it, or ``InvalidRequestError``."""
        ...

    def allows_embedding_messages(self) -> bool:
        """Whether ``embeddings.create(messages=...)`` is accepted."""
        ...

    def embedding(self, request: Request, input: Any, messages: list[dict[str, Any]] | None) -> Prepared:
        """Build ``embeddings.create``."""
        ...

    def to_chat_completion(self, payload: Any, model: str) -> ChatCompletion:
        """A chat answer as ``ChatCompletion``."""
        ...

    def to_completion(self, payload: Any, model: str) -> Completion:
        """A text-completion answer as ``Completion``."""
        ...

    def to_embeddings(self, payload: Any, model: str) -> CreateEmbeddingResponse:
        """An embeddings answer as ``CreateEmbeddingResponse``."""
        ...

    def chat_chunks(self, model: str, include_usage: bool) -> ChunkMapper:
        """A fresh mapper of one chat stream's items to ``ChatCompletionChunk`` lists."""
        ...

    def completion_chunks(self, model: str, include_usage: bool) -> ChunkMapper:
        """A fresh mapper of one completion stream's items to ``Completion`` lists."""
        ...


def load_litellm() -> Any:
    """Import LiteLLM once, quietly: no price-list download, no banner on stdout, httpx transport.

    A background import started when a client was constructed is waited for, not repeated
    (:mod:`openai_compatible_client._litellm_loader` sets LiteLLM's process-wide switches).
    """
    return _litellm_loader.load()


def _load_litellm() -> Any:
    return _litellm_loader.load()


@functools.cache
def chat_config(provider: str) -> Any:
    """LiteLLM's chat/text transformation of a provider (``hosted_vllm``, ``ollama_chat``...)."""
    _load_litellm()
    from litellm.types.utils import LlmProviders
    from litellm.utils import ProviderConfigManager

    with warnings.catch_warnings():
        # LiteLLM's Ollama module builds pydantic adapters over ReadOnly TypedDicts at import.
        warnings.filterwarnings("ignore", message=".*ReadOnly.*", category=UserWarning)
        return ProviderConfigManager.get_provider_chat_config(model="model", provider=LlmProviders(provider))


@functools.cache
def embedding_config(provider: str) -> Any:
    """LiteLLM's embedding transformation of an OpenAI-style provider (None if it has none)."""
    _load_litellm()
    if provider == "hosted_vllm":
        from litellm.llms.hosted_vllm.embedding.transformation import HostedVLLMEmbeddingConfig

        return HostedVLLMEmbeddingConfig()  # type: ignore[no-untyped-call]
    return None


@functools.cache
def supported_params(provider: str) -> frozenset[str]:
    """The OpenAI parameters LiteLLM's mapper knows for a provider."""
    return frozenset(chat_config(provider).get_supported_openai_params("model"))


def apply_policy(request: Request, reasons: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Warn, raise or drop the parameters the platform cannot honour, per ``unsupported_params``.

    ``reasons`` names them (default: the platform's ``unsupported`` table).
    """
    platform, config, given = request.platform, request.config, request.given
    reasons = platform.unsupported if reasons is None else reasons
    for name in [n for n in given if n in reasons]:
        if name in platform.conditional and given[name] is not False:
            continue
        reason = reasons[name]
        message = f"{request.method}: {name}= is not supported on {platform.name} ({reason})"
        if config.unsupported_params == "error":
            raise E.UnsupportedParameterError(
                message + "; remove it or set unsupported_params='warn'",
                parameter=name,
                platform=platform.name,
            )
        if config.unsupported_params == "warn":
            warnings.warn(message + "; it was not sent", UserWarning, stacklevel=5)
        del given[name]
    return given


def apply_unmapped(request: Request, mapped: Mapping[str, str]) -> dict[str, Any]:
    """The guard after the platform's own mapping: a parameter its option map does not place goes
    through the ``unsupported_params`` policy, never silently away."""
    reason = "this library has no mapping for it on this platform"
    return apply_policy(request, {name: reason for name in request.given if name not in mapped})


def merge(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Later layers over earlier ones, per top-level key; ``None`` layers are skipped."""
    merged: dict[str, Any] = {}
    for layer in layers:
        if layer:
            merged.update(layer)
    return merged


def take_wire(given: dict[str, Any]) -> Wire:
    """Pop ``extra_headers``/``extra_query``/``timeout``/``extra_body``/``stream_options``."""
    headers = given.pop("extra_headers", None)
    query = given.pop("extra_query", None)
    return Wire(
        headers=dict(headers) if headers else None,
        query={str(k): str(v) for k, v in query.items()} if query else None,
        timeout=given.pop("timeout", None),
        extra_body=given.pop("extra_body", None),
        stream_options=given.pop("stream_options", None),
    )


def make_call(
    platform: str,
    path: str,
    body: dict[str, Any],
    wire: Wire,
    *,
    stream: bool,
    stream_framing: tuple[Framing, Terminator] = ("sse", "sse_done"),
) -> Call:
    """``POST path`` with ``body``: JSON, or a stream in the platform's framing."""
    framing, terminator = stream_framing if stream else ("json", "end")
    return Call(
        platform,
        f"POST {path}",
        "POST",
        path,
        json=body,
        headers=wire.headers,
        params=wire.query,
        framing=framing,
        terminator=terminator,
        timeout=wire.timeout,
    )


def reject_ollama_parameters(request: Request) -> None:
    """Refuse Ollama's own parameters on a platform that does not know them."""
    for name in ("options", "format", "keep_alive", "think", "truncate", "system", "raw", "images"):
        if name in request.given:
            raise E.InvalidRequestError(
                f"{request.method}: {name}= is an Ollama parameter; "
                f"on {request.platform.name} pass extras in extra_body="
            )
