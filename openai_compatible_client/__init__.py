"""The openai.OpenAI interface for self-hosted vLLM and Ollama servers.

>>> from openai_compatible_client import OpenAICompatibleClient
>>> client = OpenAICompatibleClient(base_url="http://localhost:8000/v1", platform="vllm")
>>> client.platform
'vllm'
>>> client.close()
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

__all__ = [
    "AsyncOpenAICompatibleClient",
    "ClientConfig",
    "OllamaOptions",
    "OpenAICompatibleClient",
    "VLLMOptions",
    "__version__",
    "register_platform",
]

if TYPE_CHECKING:
    from openai_compatible_client.client import AsyncOpenAICompatibleClient, OpenAICompatibleClient
    from openai_compatible_client.config import ClientConfig, OllamaOptions, VLLMOptions
    from openai_compatible_client.platforms import register_platform

_LAZY = {
    "OpenAICompatibleClient": "openai_compatible_client.client",
    "AsyncOpenAICompatibleClient": "openai_compatible_client.client",
    "ClientConfig": "openai_compatible_client.config",
    "OllamaOptions": "openai_compatible_client.config",
    "VLLMOptions": "openai_compatible_client.config",
    "register_platform": "openai_compatible_client.platforms",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'openai_compatible_client' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
