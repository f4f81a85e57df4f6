"""The platform entry: everything the rest of the library needs to know about one kind of server."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from openai_compatible_client.platforms.request import Inference

__all__ = ["Platform", "Probe", "ResourceTable"]

ResourceTable = Mapping[str, tuple[type[Any], type[Any]]]
"""Platform-only resources: ``{name: (SyncClass, AsyncClass)}``."""


@dataclass(frozen=True, slots=True)
class Probe:
    """How ``platform="auto"`` recognises this kind of server.

    Attributes:
        path: A ``GET`` path answering 200 with a JSON object on this kind of server.
        key: A key that object must hold.
        order: Probes run in ascending order: give specific paths (``/api/version``) a lower
            number than generic ones (``/version``, ``/health``).
    """

    path: str
    key: str = "version"
    order: int = 50


@dataclass(frozen=True, slots=True)
class Platform:
    """How one kind of server is reached.

    Attributes:
        name: The ``platform=`` value.
        chat_provider: LiteLLM provider for chat (``hosted_vllm``, ``ollama_chat``); also the
            LiteLLM Router prefix of chat deployments.
        completion_provider: LiteLLM provider (and Router prefix) for text completions.
        embedding_provider: LiteLLM provider (and Router prefix) for embeddings.
        inference: The platform's inference rules (body building on top of LiteLLM's
            transformation, answer mapping); ``OPENAI_STYLE`` from
            ``platforms.openai.inference`` for a plain OpenAI-style server.
        probe: How ``platform="auto"`` recognises the server (``None``: never auto-detected).
        resources: The platform-only resources, ``{name: (SyncClass, AsyncClass)}``.
        unsupported: OpenAI parameters this platform cannot honour, with the reason.
        conditional: Parameters that matter only when set to a non-default value.
        hints: The fix hint shown in an error message, per HTTP status.
        start_hint: How to start the server (shown when it cannot be reached).
        router_base: The Router deployment's ``api_base``: the ``/v1`` URL or the server root.
        router_prefix: The LiteLLM prefix of this platform's Router deployments, when LiteLLM's
            Router cannot route its providers (``None``: the providers above).
        router_aliases: Other LiteLLM prefixes a Router ``model_list`` may use for this platform.
        builtin: Whether the entry ships with the library (built-in entries cannot be removed).
    """

    name: str
    chat_provider: str
    completion_provider: str
    embedding_provider: str
    inference: Inference
    probe: Probe | None = None
    resources: ResourceTable = field(default_factory=dict)
    unsupported: Mapping[str, str] = field(default_factory=dict)
    conditional: frozenset[str] = frozenset()
    hints: Mapping[int, str] = field(default_factory=dict)
    start_hint: str = "check that the server is running"
    router_base: Literal["v1", "root"] = "v1"
    router_prefix: str | None = None
    router_aliases: tuple[str, ...] = ()
    builtin: bool = False

    @property
    def providers(self) -> tuple[str, ...]:
        """Every LiteLLM prefix that names this platform in a Router ``model_list``."""
        names = (self.chat_provider, self.completion_provider, self.embedding_provider)
        return tuple(dict.fromkeys((*names, *filter(None, (self.router_prefix,)), *self.router_aliases)))

    def router_provider(self, kind: Literal["chat", "completion", "embedding"]) -> str:
        """The LiteLLM prefix of one kind of call in a Router deployment."""
        return self.router_prefix or self.provider(kind)

    def provider(self, kind: Literal["chat", "completion", "embedding"]) -> str:
        """The LiteLLM provider of one kind of call."""
        if kind == "chat":
            return self.chat_provider
        return self.completion_provider if kind == "completion" else self.embedding_provider
