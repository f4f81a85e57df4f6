"""Request and response models of Ollama's native model-management endpoints.

Requests are dumped with ``exclude_none=True`` in the field order the official ``ollama``
Python client uses, so the bodies that reach the server are byte-for-byte the same.
Responses are :class:`~openai_compatible_client.types.SubscriptableModel` s: ``r["models"]``
and ``r.models`` both work, and fields a newer server adds are kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from openai_compatible_client.normalize import sdk_types
from openai_compatible_client.pagination import PageMixin, unix_time
from openai_compatible_client.types import SubscriptableModel

if TYPE_CHECKING:
    from openai.types import Model

__all__ = [
    "CopyRequest",
    "CreateRequest",
    "DeleteRequest",
    "EmbeddingsRequest",
    "EmbeddingsResponse",
    "GenerateRequest",
    "GenerateResponse",
    "ListModel",
    "ListResponse",
    "ModelDetails",
    "ProgressResponse",
    "RunningModel",
    "RunningResponse",
    "ShowRequest",
    "ShowResponse",
    "StatusResponse",
    "TransferRequest",
    "VersionResponse",
]

KeepAlive = float | str


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class TransferRequest(_Request):
    """Body of ``POST /api/pull`` and ``POST /api/push``."""

    model: str = Field(min_length=1)
    stream: bool | None = None
    insecure: bool | None = None


class CreateRequest(_Request):
    """Body of ``POST /api/create``; ``from_`` is sent as ``from`` (last, as the official client does)."""

    model: str = Field(min_length=1)
    stream: bool | None = None
    quantize: str | None = None
    from_: str | None = None
    files: dict[str, str] | None = None
    adapters: dict[str, str] | None = None
    template: str | None = None
    license: str | list[str] | None = None
    system: str | None = None
    parameters: dict[str, Any] | None = None
    messages: list[dict[str, Any]] | None = None
    renderer: str | None = None
    parser: str | None = None
    requires: str | None = None
    info: dict[str, Any] | None = None
    draft_quantize: str | None = None
    draft_files: dict[str, str] | None = None
    remote_host: str | None = None

    @model_serializer(mode="wrap")
    def _rename_from(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        output: dict[str, Any] = handler(self)
        if "from_" in output:
            output["from"] = output.pop("from_")
        return output


class ShowRequest(_Request):
    """Body of ``POST /api/show``."""

    model: str = Field(min_length=1)
    verbose: bool | None = None


class CopyRequest(_Request):
    """Body of ``POST /api/copy``."""

    source: str = Field(min_length=1)
    destination: str = Field(min_length=1)


class DeleteRequest(_Request):
    """Body of ``DELETE /api/delete``."""

    model: str = Field(min_length=1)


class GenerateRequest(_Request):
    """Body of the empty ``POST /api/generate`` that loads or unloads a model."""

    model: str = Field(min_length=1)
    stream: bool | None = None
    keep_alive: KeepAlive | None = None


class EmbeddingsRequest(_Request):
    """Body of the legacy ``POST /api/embeddings``."""

    model: str = Field(min_length=1)
    prompt: str | None = None
    options: dict[str, Any] | None = None
    keep_alive: KeepAlive | None = None


class ProgressResponse(SubscriptableModel):
    """One line of a pull/push/create progress stream, or the final status.

    ``digest``, ``total`` and ``completed`` appear only while a layer is transferred.
    """

    status: str
    digest: str | None = None
    total: int | None = None
    completed: int | None = None


class StatusResponse(SubscriptableModel):
    """The outcome of ``copy`` and ``delete`` (the server answers 200 with an empty body)."""

    status: str = "success"


class ModelDetails(SubscriptableModel):
    """``details`` of a model in tags, show and ps."""

    parent_model: str | None = None
    format: str | None = None
    family: str | None = None
    families: list[str] | None = None
    parameter_size: str | None = None
    quantization_level: str | None = None


class ListModel(SubscriptableModel):
    """One local model of ``GET /api/tags``; ``name`` falls back to ``model`` when absent."""

    name: str
    model: str | None = None
    modified_at: str | None = None
    size: int | None = None
    digest: str | None = None
    details: ModelDetails | None = None
    capabilities: list[str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _name_from_model(cls, data: Any) -> Any:
        if isinstance(data, dict) and "name" not in data and isinstance(data.get("model"), str):
            return {**data, "name": data["model"]}
        return data


class ListResponse(PageMixin, SubscriptableModel):  # type: ignore[misc]  # iterates items, as the SDK's pages
    """``GET /api/tags``: the local models, most recently modified first.

    ``r["models"][0]["name"]`` reads Ollama's own shape; iterating it or ``r.data`` gives the
    same models as ``openai.types.Model`` objects, as Ollama's ``GET /v1/models`` describes them.
    """

    models: list[ListModel]

    @property
    def data(self) -> list[Model]:
        """The models as ``openai.types.Model`` (``id`` is the name; ``owned_by`` its namespace)."""
        model = sdk_types().model
        return [
            model(
                id=m.name,
                object="model",
                created=unix_time(m.modified_at),
                owned_by=m.name.split("/")[-2] if m.name.count("/") >= 1 else "library",
            )
            for m in self.models
        ]

    def _page_items(self) -> list[Model]:
        return self.data

    @field_validator("models", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


class RunningModel(ListModel):
    """One loaded model of ``GET /api/ps``."""

    size_vram: int | None = None
    expires_at: str | None = None
    context_length: int | None = None


class RunningResponse(SubscriptableModel):
    """``GET /api/ps``: the models loaded in memory."""

    models: list[RunningModel]

    @field_validator("models", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


class ShowResponse(SubscriptableModel):
    """``POST /api/show``: a model's Modelfile, template, parameters and GGUF metadata."""

    model_info: dict[str, Any]
    modelfile: str | None = None
    parameters: str | None = None
    template: str | None = None
    system: str | None = None
    license: str | None = None
    details: ModelDetails | None = None
    messages: list[dict[str, Any]] | None = None
    projector_info: dict[str, Any] | None = None
    tensors: list[dict[str, Any]] | None = None
    capabilities: list[str] | None = None
    modified_at: str | None = None


class GenerateResponse(SubscriptableModel):
    """The single answer of a load/unload request (``done_reason`` ``"load"`` or ``"unload"``)."""

    done: bool
    model: str | None = None
    created_at: str | None = None
    response: str | None = None
    done_reason: str | None = None


class EmbeddingsResponse(SubscriptableModel):
    """The legacy ``POST /api/embeddings`` answer: one (not normalised) vector."""

    embedding: list[float]


class VersionResponse(SubscriptableModel):
    """``GET /api/version``."""

    version: str
