"""Request and response models of llama.cpp ``llama-server``'s native routes.

Requests accept unknown fields (llama-server takes every sampling option of ``/completion``).
Responses are :class:`~openai_compatible_client.types.SubscriptableModel` s: strict only where
a missing field means a broken server (``TokenizeResponse.tokens``, ``Completion.content``...),
and they keep fields a newer llama-server adds.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from openai_compatible_client.types import SubscriptableModel

__all__ = [
    "ApplyTemplateRequest",
    "ApplyTemplateResponse",
    "Completion",
    "CompletionRequest",
    "DetokenizeRequest",
    "DetokenizeResponse",
    "EmbeddingRequest",
    "Health",
    "InfillRequest",
    "LoraAdapter",
    "LoraScale",
    "Metrics",
    "NativeEmbedding",
    "Props",
    "RerankRequest",
    "RerankResponse",
    "RerankResult",
    "Slot",
    "Success",
    "Timings",
    "TokenPiece",
    "TokenizeRequest",
    "TokenizeResponse",
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="allow", protected_namespaces=())


class TokenizeRequest(_Request):
    """Body of ``POST /tokenize``."""

    content: str
    add_special: bool | None = None
    parse_special: bool | None = None
    with_pieces: bool | None = None


class TokenPiece(SubscriptableModel):
    """One token with its text (``with_pieces``); ``piece`` is a byte list when not valid UTF-8."""

    id: int
    piece: str | list[int]


class TokenizeResponse(SubscriptableModel):
    """Answer of ``POST /tokenize``: ids, or :class:`TokenPiece` s with ``with_pieces``."""

    tokens: list[int] | list[TokenPiece]


class DetokenizeRequest(_Request):
    """Body of ``POST /detokenize``."""

    tokens: list[int]


class DetokenizeResponse(SubscriptableModel):
    """Answer of ``POST /detokenize``."""

    content: str


class ApplyTemplateRequest(_Request):
    """Body of ``POST /apply-template`` (chat messages as for ``/v1/chat/completions``)."""

    messages: list[dict[str, Any]] = Field(min_length=1)


class ApplyTemplateResponse(SubscriptableModel):
    """Answer of ``POST /apply-template``: the prompt the chat template renders."""

    prompt: str


class CompletionRequest(_Request):
    """Body of ``POST /completion``: a prompt plus any of llama.cpp's sampling options."""

    prompt: str | list[Any]
    n_predict: int | None = Field(default=None, ge=-1)
    stream: bool | None = None
    stop: list[str] | None = None
    temperature: float | None = Field(default=None, ge=0)
    n_probs: int | None = Field(default=None, ge=0)
    seed: int | None = None
    return_tokens: bool | None = None


class InfillRequest(CompletionRequest):
    """Body of ``POST /infill``: code before and after the gap, optional extra files."""

    prompt: str | list[Any] = ""
    input_prefix: str
    input_suffix: str
    input_extra: list[dict[str, str]] | None = None


class Timings(SubscriptableModel):
    """Prompt and generation speed of one completion."""

    prompt_n: int | None = None
    prompt_ms: float | None = None
    prompt_per_second: float | None = None
    predicted_n: int | None = None
    predicted_ms: float | None = None
    predicted_per_second: float | None = None


class Completion(SubscriptableModel):
    """A native ``/completion`` or ``/infill`` answer, or one event of its stream.

    Stream events carry ``content`` (the new text) and ``stop: false``; the last one has
    ``stop: true`` with ``stop_type`` (``eos``, ``word``, ``limit``) and ``timings``.
    """

    content: str
    stop: bool = False
    tokens: list[int] | None = None
    model: str | None = None
    tokens_predicted: int | None = None
    tokens_evaluated: int | None = None
    stop_type: str | None = None
    stopping_word: str | None = None
    truncated: bool | None = None
    generation_settings: dict[str, Any] | None = None
    completion_probabilities: list[dict[str, Any]] | None = None
    timings: Timings | None = None


class EmbeddingRequest(_Request):
    """Body of the native ``POST /embedding``."""

    content: str | list[str] | list[int]
    embd_normalize: int | None = None


class NativeEmbedding(SubscriptableModel):
    """One item of the native ``/embedding`` answer: one vector per token, or one pooled vector."""

    index: int
    embedding: list[list[float]]


class RerankRequest(_Request):
    """Body of ``POST /reranking``."""

    model: str | None = None
    query: str
    documents: list[str] = Field(min_length=1)
    top_n: int | None = Field(default=None, ge=1)


class RerankResult(SubscriptableModel):
    """One ranked document: its index in the request and its score."""

    index: int
    relevance_score: float


class RerankResponse(SubscriptableModel):
    """Answer of ``POST /reranking``: results, best first."""

    model: str | None = None
    object: str | None = None
    usage: dict[str, int] | None = None
    results: list[RerankResult]


class Health(SubscriptableModel):
    """Answer of ``GET /health``."""

    status: str


class Props(SubscriptableModel):
    """Answer of ``GET /props``: the server's global properties."""

    default_generation_settings: dict[str, Any]
    total_slots: int
    model_path: str | None = None
    model_alias: str | None = None
    chat_template: str | None = None
    modalities: dict[str, bool] | None = None
    build_info: str | None = None
    bos_token: str | None = None
    eos_token: str | None = None
    is_sleeping: bool | None = None


class Slot(SubscriptableModel):
    """One item of ``GET /slots``."""

    id: int
    n_ctx: int
    is_processing: bool
    id_task: int | None = None
    params: dict[str, Any] | None = None
    next_token: dict[str, Any] | list[dict[str, Any]] | None = None


class LoraAdapter(SubscriptableModel):
    """One item of ``GET /lora-adapters``."""

    id: int
    path: str
    scale: float
    task_name: str | None = None
    prompt_prefix: str | None = None


class LoraScale(_Request):
    """One item of the ``POST /lora-adapters`` body."""

    id: int = Field(ge=0)
    scale: float


class Success(SubscriptableModel):
    """``{"success": true}``."""

    success: bool


_SAMPLE = re.compile(r"^([A-Za-z_:][\w:]*)(\{[^}]*\})?\s+(\S+)")


class Metrics(SubscriptableModel):
    """``GET /metrics``: the Prometheus text and its samples (``metrics["llamacpp:prompt_tokens_total"]``)."""

    text: str
    samples: dict[str, float]

    @classmethod
    def parse(cls, text: str) -> Metrics:
        """Read the samples of a Prometheus text exposition (labels kept in the name).

        >>> Metrics.parse("# TYPE a counter\\na 3\\nb{x=\\"1\\"} 0.5\\n").samples
        {'a': 3.0, 'b{x="1"}': 0.5}
        """
        samples: dict[str, float] = {}
        for line in text.splitlines():
            found = _SAMPLE.match(line)
            if found is None or line.startswith("#"):
                continue
            try:
                samples[found.group(1) + (found.group(2) or "")] = float(found.group(3))
            except ValueError:
                continue
        return cls(text=text, samples=samples)

    def __getitem__(self, key: str) -> Any:
        if key in self.samples:
            return self.samples[key]
        return super().__getitem__(key)
