"""Inference on vLLM: the OpenAI-style body plus vLLM's own rules on ``extra_body``.

- ``ClientConfig.vllm`` (``VLLMOptions``) gives defaults where vLLM's request type has the
  field: its ``extra_body`` (sampling defaults) goes under the call's on chat and completions;
  ``chat_template`` fills in when the call has none, and ``chat_template_kwargs`` merge key by
  key (the call's win), on chat and on ``messages=`` embeddings (``CompletionRequest`` and
  ``EmbeddingCompletionRequest`` have no such fields).
- ``top_logprobs=-1`` asks for every token's log probability.
- The removed ``guided_*`` parameters become ``structured_outputs`` (vLLM dropped
  ``guided_decoding_backend``: it is removed too).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openai_compatible_client.config import ClientConfig
from openai_compatible_client.platforms.openai.inference import OpenAIStyleInference, Route
from openai_compatible_client.platforms.request import merge

__all__ = ["CONDITIONAL", "GUIDED_TO_STRUCTURED", "UNSUPPORTED", "VLLM", "VLLMInference", "vllm_extra_body"]

UNSUPPORTED: dict[str, str] = {
    "best_of": "vLLM removed best_of",
    "store": "vLLM does not store completions",
    "metadata": "vLLM does not store completions",
    "service_tier": "vLLM has no service tiers",
    "web_search_options": "vLLM has no web search",
    "prediction": "vLLM has no predicted outputs",
    "audio": "vLLM has no audio output in chat",
}
"""OpenAI parameters vLLM cannot honour, with the reason the ``unsupported_params`` policy shows."""
CONDITIONAL = frozenset({"parallel_tool_calls"})
"""Parameters that warn only when set to a value that changes the meaning (``False``)."""

GUIDED_TO_STRUCTURED = {
    "guided_json": "json",
    "guided_regex": "regex",
    "guided_choice": "choice",
    "guided_grammar": "grammar",
    "guided_whitespace_pattern": "whitespace_pattern",
}
"""vLLM's removed ``guided_*`` parameters and their ``structured_outputs`` keys."""


def vllm_extra_body(
    config: ClientConfig, extra_body: Mapping[str, Any] | None, route: Route = "chat"
) -> dict[str, Any]:
    """Config defaults under the call's ``extra_body`` where ``route`` takes them; removed
    ``guided_*`` -> ``structured_outputs``."""
    templated = route in ("chat", "chat_embedding")
    body = merge(config.vllm.extra_body if route in ("chat", "completion") else None, extra_body)
    if config.vllm.chat_template is not None and templated:
        body.setdefault("chat_template", config.vllm.chat_template)
    if config.vllm.chat_template_kwargs is not None and templated:
        body["chat_template_kwargs"] = merge(
            config.vllm.chat_template_kwargs, body.get("chat_template_kwargs")
        )
    return _structured_outputs(body)


def _structured_outputs(body: dict[str, Any]) -> dict[str, Any]:
    """Move ``guided_*`` keys into ``structured_outputs`` (keys already there win)."""
    guided = {key: body.pop(key) for key in list(body) if key in GUIDED_TO_STRUCTURED}
    body.pop("guided_decoding_backend", None)
    if guided:
        structured = dict(body.get("structured_outputs") or {})
        for key, value in guided.items():
            structured.setdefault(GUIDED_TO_STRUCTURED[key], value)
        body["structured_outputs"] = structured
    return body


class VLLMInference(OpenAIStyleInference):
    """vLLM's ``/v1`` routes: LiteLLM's ``hosted_vllm`` body with vLLM's ``extra_body`` rules."""

    all_logprobs = True

    def extra_body(self, config: ClientConfig, extra_body: Any, route: Route) -> dict[str, Any]:
        """``VLLMOptions`` defaults and the ``guided_*`` rewrite (see the module docstring)."""
        return vllm_extra_body(config, extra_body, route)

    def router_params(self, config: ClientConfig) -> dict[str, Any]:
        """``VLLMOptions.extra_body``, sent by the Router with every call."""
        return dict(config.vllm.extra_body)


VLLM = VLLMInference()
"""vLLM's inference rules."""
