"""Answers of the routes every OpenAI-compatible server has: the model list."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from openai_compatible_client.types import SubscriptableModel

__all__ = ["ModelCard", "ModelList"]


class ModelCard(SubscriptableModel):
    """One entry of ``GET /v1/models`` (vLLM adds ``root``, ``parent``, ``max_model_len``)."""

    id: str
    object: str | None = None
    created: int | None = None
    owned_by: str | None = None
    root: str | None = None
    parent: str | None = None
    max_model_len: int | None = None


class ModelList(SubscriptableModel):
    """``GET /v1/models``: ``r["data"][0]["id"]`` and ``r.data[0].id`` both work."""

    data: list[ModelCard]
    object: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _null_is_empty(cls, data: Any) -> Any:
        # Ollama's /v1/models answers "data": null when no model is installed.
        if isinstance(data, dict) and "data" in data and data["data"] is None:
            return {**data, "data": []}
        return data
