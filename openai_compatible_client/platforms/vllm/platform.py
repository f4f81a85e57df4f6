"""vLLM's registry entry: its providers, inference rules, probe, hints, resources."""

from openai_compatible_client.platforms.entry import Platform, Probe, ResourceTable
from openai_compatible_client.platforms.vllm.inference import CONDITIONAL, UNSUPPORTED, VLLM

__all__ = ["PLATFORM"]


def _resources() -> ResourceTable:
    # Loaded on first use: importing the client does not import every platform's resources.
    from openai_compatible_client.platforms.vllm.resources import RESOURCES

    return RESOURCES


PLATFORM = Platform(
    name="vllm",
    chat_provider="hosted_vllm",
    completion_provider="hosted_vllm",
    embedding_provider="hosted_vllm",
    inference=VLLM,
    probe=Probe("/version"),
    resources=_resources,
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
