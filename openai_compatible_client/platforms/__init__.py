"""The platform registry: one entry per kind of server, one package per platform.

An entry (:class:`Platform`) carries everything the rest of the library needs: the LiteLLM
providers (also the Router prefixes), the inference rules (body building on top of LiteLLM's
transformation, answer mapping), the unsupported-parameter table, the probe for
``platform="auto"``, the error hints and the platform-only resources. Each built-in platform
is a package (``vllm/``, ``ollama/``, ``openai/``) whose ``platform`` module defines ``PLATFORM``; adding
a platform is one such package and one registry line below. That package is imported the first
time its platform is asked for (its name is known before), so using one platform does not import
the others. At run time, another kind of server is one call::

    register_platform(Platform(name="sglang", chat_provider="openai_like",
        completion_provider="openai_like", embedding_provider="openai_like",
        inference=OPENAI_STYLE, resources=RESOURCES, probe=Probe("/get_server_info", key="version")))

with ``OPENAI_STYLE`` from ``platforms.openai.inference`` and ``RESOURCES`` from
``platforms.openai.resources``.
"""

from __future__ import annotations

from openai_compatible_client.platforms.entry import Platform, Probe, ResourceTable
from openai_compatible_client.platforms.registry import (
    declare_builtin,
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

# The registry lines: one per built-in platform, whose package is imported when first asked for.
declare_builtin("vllm")
declare_builtin("ollama")
declare_builtin("openai")
declare_builtin("llamacpp")
