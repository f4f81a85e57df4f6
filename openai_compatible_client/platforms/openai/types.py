"""Answers of the routes every OpenAI-compatible server has: the model list."""

from __future__ import annotations

from typing import Any

from pydantic import model_validator

from openai_compatible_client.pagination import PageMixin
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


class ModelList(PageMixin, SubscriptableModel):  # type: ignore[misc]  # iterates items, as the SDK's pages
    """``GET /v1/models``: iterate it (``ModelCard``s, as the SDK's page), or ``r.data[0].id``."""

    data: list[ModelCard]
    object: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _null_is_empty(cls, data: Any) -> Any:
        # Ollama's /v1/models answers "data": null when no model is installed.
        if isinstance(data, dict) and "data" in data and data["data"] is None:
            return {**data, "data": []}
        return data

    def _page_items(self) -> list[ModelCard]:
        return self.data
