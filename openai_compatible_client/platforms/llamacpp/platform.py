"""llama.cpp ``llama-server``'s registry entry: its providers, inference rules, probe, hints, resources."""

from openai_compatible_client.platforms.entry import Platform, Probe
from openai_compatible_client.platforms.llamacpp.inference import LLAMACPP, UNSUPPORTED
from openai_compatible_client.platforms.llamacpp.resources import RESOURCES

__all__ = ["PLATFORM"]

PLATFORM = Platform(
    name="llamacpp",
    chat_provider="llamafile",
    completion_provider="llamafile",
    embedding_provider="llamafile",
    inference=LLAMACPP,
    # Neither vLLM nor Ollama serves /props; llama-server's answer always has this key.
    probe=Probe("/props", key="default_generation_settings", order=20),
    resources=RESOURCES,
    unsupported=UNSUPPORTED,
    hints={
        401: "pass the server's --api-key as api_key=",
        404: "check the base URL (llama-server answers 'File Not Found' for an unknown path)",
        501: "restart llama-server with the option the message names (--embeddings, --reranking, --metrics)",
        503: "the model is loading or no slot is free; retry later or raise max_retries",
    },
    start_hint="start it with `llama-server -m MODEL.gguf --host 127.0.0.1 --port 8080`",
    router_base="v1",
    builtin=True,
)
"""llama.cpp's registry entry."""
