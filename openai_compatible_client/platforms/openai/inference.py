"""Inference on any OpenAI-compatible server: LiteLLM's body for ``/v1/*``, answers in OpenAI's shapes.

:class:`OpenAIStyleInference` is the plain behaviour: the request body is LiteLLM's mapping and
transformation of the OpenAI parameters, ``extra_body`` laid over it, and the answers are
validated into ``openai.types``. A platform with its own body rules (vLLM) subclasses it and
overrides :meth:`OpenAIStyleInference.extra_body`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from openai_compatible_client import errors as E
from openai_compatible_client import normalize
from openai_compatible_client.config import ClientConfig
from openai_compatible_client.platforms.request import (
    ChunkMapper,
    Kind,
    Prepared,
    Request,
    apply_policy,
    chat_config,
    embedding_config,
    make_call,
    merge,
    reject_ollama_parameters,
    supported_params,
    take_wire,
)
from openai_compatible_client.transport.http import Framing
from openai_compatible_client.transport.streams import Terminator

if TYPE_CHECKING:
    from openai.types import Completion, CreateEmbeddingResponse
    from openai.types.chat import ChatCompletion

__all__ = ["GENERIC", "OPENAI_STYLE", "GenericInference", "OpenAIStyleInference", "Route"]

Route = Literal["chat", "completion", "embedding", "chat_embedding"]
"""Which request an ``extra_body`` goes on (``chat_embedding``: ``embeddings.create(messages=...)``)."""


def _ids(value: list[Any]) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in value)


def _id_lists(value: list[Any], *, non_empty: bool) -> bool:
    return all(
        isinstance(v, list) and (v or not non_empty) and all(isinstance(t, int) for t in v) for v in value
    )


class OpenAIStyleInference:
    """Chat, completions and embeddings on OpenAI-style ``/v1`` routes, streamed as SSE."""

    stream_framing: ClassVar[tuple[Framing, Terminator]] = ("sse", "sse_done")
    """How streams are framed and how they end."""

    all_logprobs: ClassVar[bool] = False
    """Whether ``top_logprobs=-1`` (all) is accepted."""

    def extra_body(self, config: ClientConfig, extra_body: Any, route: Route) -> dict[str, Any]:
        """What goes over LiteLLM's body: the call's ``extra_body`` (vLLM adds its options here)."""
        del config, route
        return merge(extra_body)

    def router_params(self, config: ClientConfig) -> dict[str, Any]:
        """Extra LiteLLM parameters of a Router deployment (none for a plain server)."""
        del config
        return {}

    # ------------------------------------------------------------------ requests

    def chat(self, request: Request, messages: list[dict[str, Any]]) -> Prepared:
        """``POST /v1/chat/completions``."""
        given = request.given
        if "top_logprobs" in given and not given.get("logprobs"):
            raise E.InvalidRequestError(f"{request.method}: top_logprobs needs logprobs=True")
        if given.get("top_logprobs") == -1 and not self.all_logprobs:
            raise E.InvalidRequestError(
                f"{request.method}: top_logprobs=-1 (all) is vLLM's; use 0..20 on {request.platform.name}"
            )
        return self._generate(request, "chat", messages=messages)

    def check_prompt(self, prompt: Any, method: str) -> Any:
        """A string, a list of strings, a list of token ids, or a list of such lists."""
        if isinstance(prompt, str):
            return prompt
        if isinstance(prompt, list) and prompt:
            if all(isinstance(p, str) for p in prompt) or _ids(prompt) or _id_lists(prompt, non_empty=False):
                return prompt
            raise E.InvalidRequestError(f"{method}: prompt list must hold strings, or token ids")
        raise E.InvalidRequestError(
            f"{method}: prompt must be a string, a list of strings or a list of token ids"
        )

    def completion(self, request: Request, prompt: Any) -> Prepared:
        """``POST /v1/completions``."""
        return self._generate(request, "completion", prompt=prompt)

    def check_embedding_input(self, value: Any, method: str) -> Any:
        """A string, a non-empty list of strings, or token ids."""
        if isinstance(value, str):
            return value
        if (
            isinstance(value, list)
            and value
            and (all(isinstance(v, str) for v in value) or _ids(value) or _id_lists(value, non_empty=True))
        ):
            return value
        raise E.InvalidRequestError(
            f"{method}: input must be a string or a non-empty list of strings (or of token ids)"
        )

    def allows_embedding_messages(self) -> bool:
        """Whether ``embeddings.create(messages=...)`` (multimodal embedding models) is accepted."""
        return True

    def embedding(self, request: Request, input: Any, messages: list[dict[str, Any]] | None) -> Prepared:
        """``POST /v1/embeddings`` (``messages`` instead of ``input`` for multimodal models)."""
        given, name = request.given, request.model
        wire = take_wire(given)
        litellm_config = embedding_config(request.platform.embedding_provider)
        openai_params: dict[str, Any] = {
            k: given.pop(k) for k in ("dimensions", "encoding_format", "user") if k in given
        }
        reject_ollama_parameters(request)
        optional = (
            litellm_config.map_openai_params(
                non_default_params=openai_params, optional_params={}, model=name, drop_params=False
            )
            if litellm_config is not None
            else openai_params
        )
        body: dict[str, Any]
        if messages is not None:
            body = {"model": name, "messages": messages, **optional}
        elif litellm_config is None:  # a provider with no embedding transformation: OpenAI's body
            body = {"model": name, "input": input, **optional}
        else:
            body = litellm_config.transform_embedding_request(
                model=name, input=input, optional_params=dict(optional), headers={}
            )
        route: Route = "embedding" if messages is None else "chat_embedding"
        body.update(self.extra_body(request.config, wire.extra_body, route))
        call = make_call(request.platform.name, "/v1/embeddings", body, wire, stream=False)
        return Prepared(call, "embedding", name, request.platform.name)

    def _generate(
        self,
        request: Request,
        kind: Kind,
        *,
        messages: list[dict[str, Any]] | None = None,
        prompt: Any = None,
    ) -> Prepared:
        """LiteLLM's mapping and transform, then ``extra_body`` and the stream switches."""
        reject_ollama_parameters(request)
        wire = take_wire(request.given)
        given = apply_policy(request)
        platform, model = request.platform, request.model
        provider = platform.chat_provider if kind == "chat" else platform.completion_provider
        litellm_config = chat_config(provider)
        supported = supported_params(provider)
        passthrough = {k: given.pop(k) for k in list(given) if k not in supported}
        optional = litellm_config.map_openai_params(
            non_default_params=given, optional_params={}, model=model, drop_params=False
        )
        optional.update(passthrough)
        if kind == "chat":
            body = litellm_config.transform_request(
                model=model, messages=messages, optional_params=optional, litellm_params={}, headers={}
            )
            path = "/v1/chat/completions"
        else:
            body = {"model": model, "prompt": prompt, **optional}
            path = "/v1/completions"
        body.update(self.extra_body(request.config, wire.extra_body, kind))
        body.pop("stream", None)
        if request.stream:
            body["stream"] = True
            if wire.stream_options:
                body["stream_options"] = dict(wire.stream_options)
        call = make_call(
            platform.name, path, body, wire, stream=request.stream, stream_framing=self.stream_framing
        )
        return Prepared(call, kind, model, platform.name, request.stream, request.include_usage)

    # ------------------------------------------------------------------ answers

    def to_chat_completion(self, payload: Any, model: str) -> ChatCompletion:
        """A chat answer as ``ChatCompletion``."""
        del model
        return normalize.to_chat_completion(payload)

    def to_completion(self, payload: Any, model: str) -> Completion:
        """A text-completion answer as ``Completion``."""
        del model
        return normalize.to_completion(payload)

    def to_embeddings(self, payload: Any, model: str) -> CreateEmbeddingResponse:
        """An embeddings answer as ``CreateEmbeddingResponse``."""
        del model
        return normalize.to_embeddings(payload)

    def chat_chunks(self, model: str, include_usage: bool) -> ChunkMapper:
        """Each SSE event is one ``ChatCompletionChunk``."""
        del model, include_usage
        return lambda payload: [normalize.to_chat_chunk(payload)]

    def completion_chunks(self, model: str, include_usage: bool) -> ChunkMapper:
        """Each SSE event is one ``Completion`` chunk."""
        del model, include_usage
        return lambda payload: [normalize.to_completion_chunk(payload)]


class GenericInference(OpenAIStyleInference):
    """The generic platform: plain OpenAI-style, and a placeholder key for LiteLLM's ``openai`` route."""

    def router_params(self, config: ClientConfig) -> dict[str, Any]:
        """LiteLLM's ``openai/`` Router route refuses to send without a key: a keyless server ignores one."""
        return {} if config.api_key is not None else {"api_key": "none"}


OPENAI_STYLE = OpenAIStyleInference()
"""The plain OpenAI-style behaviour (the default inference of a platform entry)."""
GENERIC = GenericInference()
"""The generic ``platform="openai"`` behaviour."""
