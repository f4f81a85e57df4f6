"""The generic OpenAI-compatible platform: any server with OpenAI's ``/v1`` routes, common calls only.

Chat, completions and embeddings go through LiteLLM's ``openai_like`` provider: its
transformation is OpenAI's, without the rules LiteLLM keys on OpenAI's own model names (a local
model called ``o1-mini`` keeps its parameters), and it sends ``max_completion_tokens`` as the
``max_tokens`` most compatible servers read. No platform's body rules are applied: ``extra_body``
goes out as given. ``client.models.list()`` and ``client.health()`` are the only other calls.
LiteLLM's Router cannot route ``openai_like``: Router deployments use ``openai/`` with the
server's ``api_base`` (LiteLLM's documented route to any OpenAI-compatible server).
"""

from openai_compatible_client.platforms.entry import Platform
from openai_compatible_client.platforms.openai.inference import GENERIC
from openai_compatible_client.platforms.openai.resources import RESOURCES

__all__ = ["PLATFORM"]

PLATFORM = Platform(
    name="openai",
    chat_provider="openai_like",
    completion_provider="openai_like",
    embedding_provider="openai_like",
    inference=GENERIC,
    resources=RESOURCES,
    hints={
        404: "use a model name the server serves (client.models.list()) or check the base URL",
        401: "pass the server's API key as api_key=",
    },
    start_hint="start the server and check that it serves OpenAI's /v1 routes",
    router_base="v1",
    router_prefix="openai",
    builtin=True,
)
"""The generic OpenAI-compatible entry (never auto-detected: pass ``platform="openai"``)."""
