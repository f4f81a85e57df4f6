"""Request and response models of vLLM's server-only endpoints (and the OpenAI-style basics).

Requests accept unknown fields (vLLM ignores them; ``extra_body`` is the usual way to send
them). Responses are :class:`~openai_compatible_client.types.SubscriptableModel` s, strict
only where a missing field means a broken server (``TokenizeResponse.tokens``,
``RerankResponse.results``...), lenient elsewhere, and they keep fields a newer vLLM adds.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from openai_compatible_client.platforms.openai.types import ModelCard, ModelList
from openai_compatible_client.types import SubscriptableModel

__all__ = [
    "ClassificationData",
    "ClassificationRequest",
    "ClassificationResponse",
    "DetokenizeRequest",
    "DetokenizeResponse",
    "ModelCard",
    "ModelList",
    "PoolingData",
    "PoolingRequest",
    "PoolingResponse",
    "RerankRequest",
    "RerankResponse",
    "RerankResult",
    "ScoreData",
    "ScoreRequest",
    "ScoreResponse",
    "TokenizeRequest",
    "TokenizeResponse",
    "Transcription",
    "TranscriptionChunk",
    "Usage",
    "VersionResponse",
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="allow", protected_namespaces=())


def _one_of(data: Any, names: tuple[str, ...], what: str) -> Any:
    """Require exactly one of ``names`` (they are alternative forms of the same input)."""
    if isinstance(data, dict):
        given = [n for n in names if data.get(n) is not None]
        if len(given) != 1:
            forms = " or ".join(names)
            raise ValueError(f"{what} needs exactly one of {forms}; got {', '.join(given) or 'none'}")
    return data


class TokenizeRequest(_Request):
    """Body of ``POST /tokenize``: the completion form (``prompt``) or the chat form (``messages``)."""

    model: str | None = None
    prompt: str | None = None
    messages: list[dict[str, Any]] | None = None
    add_special_tokens: bool | None = None
    add_generation_prompt: bool | None = None
    continue_final_message: bool | None = None
    return_token_strs: bool | None = None
    chat_template: str | None = None
    chat_template_kwargs: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_form(cls, data: Any) -> Any:
        data = _one_of(data, ("prompt", "messages"), "tokenize")
        if isinstance(data, dict) and data.get("prompt") is not None:
            chat_only = [
                k
                for k in (
                    "add_generation_prompt",
                    "continue_final_message",
                    "chat_template",
                    "chat_template_kwargs",
                    "tools",
                )
                if data.get(k) is not None
            ]
            if chat_only:
                raise ValueError(f"{', '.join(chat_only)} only apply to the chat form (messages=)")
        return data


class DetokenizeRequest(_Request):
    """Body of ``POST /detokenize``."""

    model: str | None = None
    tokens: list[int]

    @model_validator(mode="after")
    def _non_negative(self) -> DetokenizeRequest:
        if any(t < 0 for t in self.tokens):
            raise ValueError("token ids must be >= 0")
        return self


class _PoolingInput(_Request):
    model: str | None = None
    input: str | list[str] | list[int] | list[list[int]] | None = None
    messages: list[dict[str, Any]] | None = None
    truncate_prompt_tokens: int | None = None
    add_special_tokens: bool | None = None
    use_activation: bool | None = None
    priority: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_form(cls, data: Any) -> Any:
        return _one_of(data, ("input", "messages"), cls.__name__.removesuffix("Request").lower())


class PoolingRequest(_PoolingInput):
    """Body of ``POST /pooling``."""

    task: str | None = None
    encoding_format: str | None = None


class ClassificationRequest(_PoolingInput):
    """Body of ``POST /classify``."""


ScoreSide = str | dict[str, Any] | list[str] | list[dict[str, Any]]


class ScoreRequest(_Request):
    """Body of ``POST /score``: ``text_1``/``text_2`` (original names) or ``queries``/``documents``."""

    model: str | None = None
    text_1: ScoreSide | None = None
    text_2: ScoreSide | None = None
    queries: ScoreSide | None = None
    documents: ScoreSide | None = None
    instruction: str | None = None
    truncate_prompt_tokens: int | None = None
    use_activation: bool | None = None
    chat_template_kwargs: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_pair(cls, data: Any) -> Any:
        if isinstance(data, dict):
            old = data.get("text_1") is not None or data.get("text_2") is not None
            new = data.get("queries") is not None or data.get("documents") is not None
            if old == new:
                raise ValueError("score needs text_1 and text_2, or queries and documents (not both forms)")
            first, second = ("text_1", "text_2") if old else ("queries", "documents")
            if data.get(first) is None or data.get(second) is None:
                raise ValueError(f"score needs both {first} and {second}")
        return data


class RerankRequest(_Request):
    """Body of ``POST /rerank`` (Jina/Cohere style)."""

    model: str | None = None
    query: str | dict[str, Any]
    documents: list[str] | list[dict[str, Any]]
    top_n: int | None = Field(default=None, ge=0)
    return_documents: bool | None = None
    truncate_prompt_tokens: int | None = None
    use_activation: bool | None = None


class Usage(SubscriptableModel):
    """Token (or, for audio, duration) accounting."""

    prompt_tokens: int | None = None
    total_tokens: int | None = None
    completion_tokens: int | None = None


class TokenizeResponse(SubscriptableModel):
    """``POST /tokenize``: the token ids (and their strings when asked)."""

    tokens: list[int]
    count: int | None = None
    max_model_len: int | None = None
    token_strs: list[str] | None = None


class DetokenizeResponse(SubscriptableModel):
    """``POST /detokenize``: the text of the tokens."""

    prompt: str


class PoolingData(SubscriptableModel):
    """One pooled output: a vector, a matrix or base64 text."""

    index: int
    data: Any
    object: str | None = None


class PoolingResponse(SubscriptableModel):
    """``POST /pooling``."""

    data: list[PoolingData]
    id: str | None = None
    object: str | None = None
    created: int | None = None
    model: str | None = None
    usage: Usage | None = None


class ClassificationData(SubscriptableModel):
    """One classified input: the label (from ``id2label``, may be null) and class probabilities."""

    index: int
    probs: list[float]
    label: str | None = None
    num_classes: int | None = None


class ClassificationResponse(SubscriptableModel):
    """``POST /classify``."""

    data: list[ClassificationData]
    id: str | None = None
    object: str | None = None
    created: int | None = None
    model: str | None = None
    usage: Usage | None = None


class ScoreData(SubscriptableModel):
    """One pair's score."""

    index: int
    score: float
    object: str | None = None


class ScoreResponse(SubscriptableModel):
    """``POST /score``."""

    data: list[ScoreData]
    id: str | None = None
    object: str | None = None
    created: int | None = None
    model: str | None = None
    usage: Usage | None = None


class RerankResult(SubscriptableModel):
    """One document's rank: its index in the request and its relevance."""

    index: int
    relevance_score: float
    document: dict[str, Any] | None = None


class RerankResponse(SubscriptableModel):
    """``POST /rerank``: results sorted by relevance (descending), cut to ``top_n``."""

    results: list[RerankResult]
    id: str | None = None
    model: str | None = None
    usage: Usage | None = None


class Transcription(SubscriptableModel):
    """``POST /v1/audio/transcriptions`` or ``/translations``: the text (``verbose_json`` adds more)."""

    text: str
    usage: dict[str, Any] | None = None
    duration: float | None = None
    language: str | None = None
    segments: list[dict[str, Any]] | None = None


class TranscriptionChunk(SubscriptableModel):
    """One streamed audio event (``object`` ``transcription.chunk`` or ``translation.chunk``)."""

    choices: list[dict[str, Any]] = Field(default_factory=list)
    object: str | None = None
    id: str | None = None
    created: int | None = None
    model: str | None = None
    usage: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        """The text this chunk adds (the concatenation of its choices' ``delta.content``)."""
        parts = []
        for choice in self.choices:
            delta = choice.get("delta") or {}
            content = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(content, str):
                parts.append(content)
        return "".join(parts)


class VersionResponse(SubscriptableModel):
    """``GET /version``."""

    version: str
