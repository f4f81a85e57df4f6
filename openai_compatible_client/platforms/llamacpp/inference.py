"""Inference on llama.cpp's ``llama-server``: LiteLLM's ``llamafile`` body on the ``/v1`` routes.

LiteLLM's ``llamafile`` provider is the one written for llama.cpp's server: llamafile is
llama.cpp's ``llama-server`` packaged as one executable, with the same HTTP API. Its mapping is
the plain OpenAI one, without ``hosted_vllm``'s vLLM-only rewrites (``thinking`` ->
``chat_template_kwargs``, ``reasoning_effort`` passed through). LiteLLM routes ``llamafile/``
chat, text completions and embeddings to the OpenAI-style routes, so the same prefix serves the
Router.

What llama-server does with the OpenAI parameters (read from its source, measured on the real
server in the ``real_llamacpp`` tier):

- ``stop`` as a string is wrapped into a list by the server (sent as given).
- ``n`` runs ``n`` completions in parallel slots; above the server's ``--parallel`` it answers 400.
- ``logprobs``/``top_logprobs`` (chat) come back in OpenAI's chat form (plus a token ``id``).
  ``logprobs=N`` (completions) comes back in that chat form too (``{"content": [...]}``);
  :func:`completion_logprobs` turns it into the completions form the SDK has (``tokens``,
  ``token_logprobs``, ``top_logprobs``, ``text_offset``).
- ``model`` is not checked: one server serves one model and answers with its ``--alias``.
- The parameters in :data:`UNSUPPORTED` are ignored by the server; the client's
  ``unsupported_params`` policy warns, raises or drops them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from openai_compatible_client import normalize
from openai_compatible_client.platforms.openai.inference import OpenAIStyleInference
from openai_compatible_client.platforms.request import ChunkMapper, Prepared, Request

if TYPE_CHECKING:
    from openai.types import Completion

__all__ = ["LLAMACPP", "UNSUPPORTED", "LlamaCppInference", "completion_logprobs"]

UNSUPPORTED: dict[str, str] = {
    "suffix": "llama-server's /v1/completions ignores suffix; use client.native.infill(prefix, suffix)",
    "best_of": "llama-server has no best_of",
    "echo": "llama-server's /v1/completions does not echo the prompt",
    "reasoning_effort": "llama-server has no reasoning_effort; use extra_body={'chat_template_kwargs': ...}",
    "dimensions": "llama-server returns the model's full embedding size",
    "service_tier": "llama-server has no service tiers",
    "store": "llama-server does not store completions",
    "metadata": "llama-server does not store completions",
    "prediction": "llama-server has no predicted outputs",
    "audio": "llama-server has no audio output",
    "modalities": "llama-server has no output modalities",
    "web_search_options": "llama-server has no web search",
}
"""OpenAI parameters llama-server ignores, with the reason the policy shows."""


def completion_logprobs(logprobs: Any, offset: int = 0) -> Any:
    """llama.cpp's per-token list (``{"content": [...]}``) in the completions form.

    >>> form = completion_logprobs({"content": [{"token": "Hi", "logprob": -0.5,
    ...     "top_logprobs": [{"token": "Hi", "logprob": -0.5}, {"token": "Yo", "logprob": -1.0}]}]})
    >>> form["tokens"], form["token_logprobs"], form["top_logprobs"], form["text_offset"]
    (['Hi'], [-0.5], [{'Hi': -0.5, 'Yo': -1.0}], [0])
    """
    if not isinstance(logprobs, dict) or not isinstance(logprobs.get("content"), list):
        return logprobs
    tokens: list[str] = []
    values: list[float] = []
    tops: list[dict[str, float]] = []
    offsets: list[int] = []
    for entry in logprobs["content"]:
        if not isinstance(entry, dict):
            return logprobs
        token = str(entry.get("token", ""))
        offsets.append(offset)
        offset += len(token)
        tokens.append(token)
        values.append(entry.get("logprob"))  # type: ignore[arg-type]
        tops.append({str(t.get("token")): t.get("logprob") for t in entry.get("top_logprobs") or []})
    return {"tokens": tokens, "token_logprobs": values, "top_logprobs": tops, "text_offset": offsets}


def _completion_payload(payload: Any) -> Any:
    if isinstance(payload, dict) and isinstance(payload.get("choices"), list):
        for choice in payload["choices"]:
            if isinstance(choice, dict) and choice.get("logprobs") is not None:
                choice["logprobs"] = completion_logprobs(choice["logprobs"])
    return payload


class LlamaCppInference(OpenAIStyleInference):
    """llama-server's ``/v1`` routes: LiteLLM's ``llamafile`` body, answers in OpenAI's shapes."""

    def allows_embedding_messages(self) -> bool:
        """llama-server's ``/v1/embeddings`` takes ``input`` only."""
        return False

    def embedding(self, request: Request, input: Any, messages: list[dict[str, Any]] | None) -> Prepared:
        """``POST /v1/embeddings`` with LiteLLM's plain OpenAI embedding mapping.

        LiteLLM sends ``llamafile`` embeddings through its OpenAI-like handler, which has no
        transformation class; ``hosted_vllm``'s is that same plain mapping (``model``, ``input``
        as a list, ``encoding_format``, ``user``), so it builds the body.
        """
        plain = replace(request.platform, embedding_provider="hosted_vllm")
        return super().embedding(replace(request, platform=plain), input, messages)

    def to_completion(self, payload: Any, model: str) -> Completion:
        """A text completion, its logprobs in the completions form."""
        return super().to_completion(_completion_payload(payload), model)

    def completion_chunks(self, model: str, include_usage: bool) -> ChunkMapper:
        """Each SSE event is one ``Completion`` chunk, its logprobs in the completions form."""
        del model, include_usage
        return lambda payload: [normalize.to_completion_chunk(_completion_payload(payload))]


LLAMACPP = LlamaCppInference()
"""llama.cpp's inference rules."""
