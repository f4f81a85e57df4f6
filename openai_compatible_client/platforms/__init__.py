"""The platform registry: one entry per kind of server, one package per platform.

An entry (:class:`Platform`) carries everything the rest of the library needs: the LiteLLM
providers (also the Router prefixes), the inference rules (body building on top of LiteLLM's
transformation, answer mapping), the unsupported-parameter table, the probe for
``platform="auto"``, the error hints and the platform-only resources. Each built-in platform
is a package (``vllm/``, ``ollama/``, ``openai/``) whose ``platform`` module defines ``PLATFORM``; adding
a platform is one such package and one registry line below. At run time, another kind of
server is one call::

    register_platform(Platform(name="sglang", chat_provider="openai_like",
        completion_provider="openai_like", embedding_provider="openai_like",
        inference=OPENAI_STYLE, resources=RESOURCES, probe=Probe("/get_server_info", key="version")))

with ``OPENAI_STYLE`` from ``platforms.openai.inference`` and ``RESOURCES`` from
``platforms.openai.resources``.
"""

from __future__ import annotations

from openai_compatible_client.platforms.entry import Platform, Probe, ResourceTable
from openai_compatible_client.platforms.registry import (
    get_platform,
    platform_names,
    platforms,
    platforms_with,
    register_platform,
    unregister_platform,
)

__all__ = [
    "Platform",
    "Probe",
    "ResourceTable",
    "get_platform",
    "platform_names",
    "platforms",
    "platforms_with",
    "register_platform",
    "unregister_platform",
]

# The registry lines: one per built-in platform.
from openai_compatible_client.platforms.llamacpp.platform import PLATFORM as _LLAMACPP
from openai_compatible_client.platforms.ollama.platform import PLATFORM as _OLLAMA
from openai_compatible_client.platforms.openai.platform import PLATFORM as _OPENAI
from openai_compatible_client.platforms.vllm.platform import PLATFORM as _VLLM

register_platform(_VLLM)
register_platform(_OLLAMA)
register_platform(_OPENAI)
register_platform(_LLAMACPP)
