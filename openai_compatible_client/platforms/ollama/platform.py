"""Ollama's registry entry: its providers, inference rules, probe, hints, resources."""

from openai_compatible_client.platforms.entry import Platform, Probe, ResourceTable
from openai_compatible_client.platforms.ollama.inference import OLLAMA, UNSUPPORTED

__all__ = ["PLATFORM"]


def _resources() -> ResourceTable:
    # Loaded on first use: importing the client does not import every platform's resources.
    from openai_compatible_client.platforms.ollama.resources import RESOURCES

    return RESOURCES


PLATFORM = Platform(
    name="ollama",
    chat_provider="ollama_chat",
    completion_provider="ollama",
    embedding_provider="ollama",
    inference=OLLAMA,
    probe=Probe("/api/version", order=10),
    resources=_resources,
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
