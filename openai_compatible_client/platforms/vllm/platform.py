"""vLLM's registry entry: its providers, inference rules, probe, hints, resources."""

from openai_compatible_client.platforms.entry import Platform, Probe
from openai_compatible_client.platforms.vllm.inference import CONDITIONAL, UNSUPPORTED, VLLM
from openai_compatible_client.platforms.vllm.resources import RESOURCES

__all__ = ["PLATFORM"]

PLATFORM = Platform(
    name="vllm",
    chat_provider="hosted_vllm",
    completion_provider="hosted_vllm",
    embedding_provider="hosted_vllm",
    inference=VLLM,
    probe=Probe("/version"),
    resources=RESOURCES,
    unsupported=UNSUPPORTED,
    conditional=CONDITIONAL,
    hints={
        404: "use a model name the server serves (client.models.list()) or check the base URL",
        401: "pass the server's --api-key as api_key= (or VLLM_API_KEY)",
        429: "the server is overloaded; lower concurrency or raise max_retries",
        503: "the server is overloaded or starting; retry later or raise max_retries",
    },
    start_hint="start it with `vllm serve MODEL` (or python -m vllm.entrypoints.openai.api_server)",
    router_base="v1",
    router_aliases=("openai",),
    builtin=True,
)
"""vLLM's registry entry."""
