"""Ollama's registry entry: its providers, inference rules, probe, hints, resources."""

from openai_compatible_client.platforms.entry import Platform, Probe
from openai_compatible_client.platforms.ollama.inference import OLLAMA, UNSUPPORTED
from openai_compatible_client.platforms.ollama.resources import RESOURCES

__all__ = ["PLATFORM"]

PLATFORM = Platform(
    name="ollama",
    chat_provider="ollama_chat",
    completion_provider="ollama",
    embedding_provider="ollama",
    inference=OLLAMA,
    probe=Probe("/api/version", order=10),
    resources=RESOURCES,
    unsupported=UNSUPPORTED,
    hints={
        404: "pull the model first (client.models.pull(name)) or check client.models.list()",
        401: "pass the proxy's key as api_key= (or OLLAMA_API_KEY)",
        503: "the server is busy (OLLAMA_MAX_QUEUE reached); retry later",
    },
    start_hint="start it with `ollama serve`",
    router_base="root",
    builtin=True,
)
"""Ollama's registry entry."""
