"""The platform registry: one entry per kind of server.

An entry says how the OpenAI-style calls route through LiteLLM (the provider prefix for chat,
completions and embeddings), which OpenAI parameters the platform cannot honour, which
platform-only resources it has, and how to recognise it. Adding a platform (llama.cpp's
server, HF TGI, SGLang, LM Studio...) is one :func:`register_platform` call::

    register_platform(Platform(name="llamacpp", chat_provider="hosted_vllm",
        completion_provider="hosted_vllm", embedding_provider="hosted_vllm",
        probe_path="/health",
        resources="openai_compatible_client.platforms.openai.resources:RESOURCES"))
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openai_compatible_client.errors import ConfigurationError
from openai_compatible_client.platforms.ollama.inference import OLLAMA
from openai_compatible_client.platforms.openai.inference import OPENAI_STYLE
from openai_compatible_client.platforms.request import Inference
from openai_compatible_client.platforms.vllm.inference import VLLM

__all__ = [
    "Platform",
    "get_platform",
    "platform_names",
    "platforms_with",
    "register_platform",
    "unregister_platform",
]

# OpenAI parameters that a platform cannot honour, with the reason shown by the policy.
_OLLAMA_UNSUPPORTED: dict[str, str] = {
    "logit_bias": "Ollama has no logit bias",
    "parallel_tool_calls": "Ollama has no parallel_tool_calls switch",
    "tool_choice": "Ollama has no tool_choice (the model decides whether to call a tool)",
    "prediction": "Ollama has no predicted outputs",
    "audio": "Ollama has no audio output",
    "modalities": "Ollama has no output modalities",
    "service_tier": "Ollama has no service tiers",
    "store": "Ollama does not store completions",
    "metadata": "Ollama does not store completions",
    "web_search_options": "Ollama has no web search",
    "suffix": "Ollama's suffix works only for models with an insert template",
    "best_of": "Ollama has no best_of",
    "echo": "Ollama cannot echo the prompt",
    "functions": "use tools= instead of the deprecated functions=",
    "function_call": "use tool_choice= instead of the deprecated function_call=",
}
_VLLM_UNSUPPORTED: dict[str, str] = {
    "suffix": "vLLM rejects suffix except on fill-in-the-middle models",
    "best_of": "vLLM removed best_of",
    "store": "vLLM does not store completions",
    "metadata": "vLLM does not store completions",
    "service_tier": "vLLM has no service tiers",
    "web_search_options": "vLLM has no web search",
    "prediction": "vLLM has no predicted outputs",
    "audio": "vLLM has no audio output in chat",
}
# Parameters that warn only when they are set to a value that changes the meaning.
_VLLM_CONDITIONAL = {"parallel_tool_calls"}


@dataclass(frozen=True, slots=True)
class Platform:
    """How one kind of server is reached.

    Attributes:
        name: The ``platform=`` value.
        chat_provider: LiteLLM provider for chat (``hosted_vllm``, ``ollama_chat``).
        completion_provider: LiteLLM provider for text completions (``hosted_vllm``, ``ollama``).
        embedding_provider: LiteLLM provider for embeddings (``hosted_vllm``, ``ollama``).
        inference: The platform's inference rules (body building on top of LiteLLM's
            transformation, answer mapping); the plain OpenAI-style ones by default.
        probe_path: A ``GET`` path that answers 200 on this kind of server (for ``"auto"``).
        resources: ``"module:attribute"`` naming a mapping of platform-only resource names to
            ``(sync_class, async_class)`` pairs, loaded on first use.
        unsupported: OpenAI parameters this platform cannot honour, with the reason.
        conditional: Parameters that matter only when set to a non-default value.
    """

    name: str
    chat_provider: str
    completion_provider: str
    embedding_provider: str
    probe_path: str
    inference: Inference = OPENAI_STYLE
    resources: str = ""
    unsupported: Mapping[str, str] = field(default_factory=dict)
    conditional: frozenset[str] = frozenset()

    def resource_classes(self) -> Mapping[str, tuple[type[Any], type[Any]]]:
        """The platform-only resources, ``{name: (SyncClass, AsyncClass)}``."""
        if not self.resources:
            return {}
        module, _, attribute = self.resources.partition(":")
        table: Mapping[str, tuple[type[Any], type[Any]]] = getattr(importlib.import_module(module), attribute)
        return table


_REGISTRY: dict[str, Platform] = {}


def register_platform(platform: Platform) -> None:
    """Add (or replace) a platform; ``OpenAICompatibleClient(platform=name)`` then uses it."""
    if not platform.name or platform.name == "auto" or not platform.name.isidentifier():
        raise ConfigurationError(f"invalid platform name {platform.name!r}: use a short identifier")
    _REGISTRY[platform.name] = platform


def unregister_platform(name: str) -> None:
    """Remove a platform added with :func:`register_platform` (the built-in ones stay)."""
    if name in ("vllm", "ollama"):
        raise ConfigurationError(f"the built-in platform {name!r} cannot be removed")
    _REGISTRY.pop(name, None)


def platform_names() -> tuple[str, ...]:
    """The registered platform names."""
    return tuple(_REGISTRY)


def get_platform(name: str) -> Platform:
    """The registry entry of a platform name."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown platform {name!r}; accepted values: {', '.join((*_REGISTRY, 'auto'))}"
        ) from None


def platforms_with(resource: str) -> tuple[str, ...]:
    """The platforms that have a platform-only resource (for UnsupportedEndpointError)."""
    return tuple(p.name for p in _REGISTRY.values() if resource in p.resource_classes())


register_platform(
    Platform(
        name="vllm",
        chat_provider="hosted_vllm",
        completion_provider="hosted_vllm",
        embedding_provider="hosted_vllm",
        probe_path="/version",
        inference=VLLM,
        resources="openai_compatible_client.platforms.vllm.resources:RESOURCES",
        unsupported=_VLLM_UNSUPPORTED,
        conditional=frozenset(_VLLM_CONDITIONAL),
    )
)
register_platform(
    Platform(
        name="ollama",
        chat_provider="ollama_chat",
        completion_provider="ollama",
        embedding_provider="ollama",
        probe_path="/api/version",
        inference=OLLAMA,
        resources="openai_compatible_client.platforms.ollama.resources:RESOURCES",
        unsupported=_OLLAMA_UNSUPPORTED,
    )
)
