"""In-memory Ollama model store: local models, loaded (running) models and blob digests."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

from .ollama_common import DEFAULT_HOST, DEFAULT_NAMESPACE, FOREVER_NS, ModelName, parse_name

DEFAULT_KEEP_ALIVE = 300.0
CONTEXT_LENGTH = 4096
DEFAULT_TEMPLATE = (
    "{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n"
    "{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n"
)
CAPABILITIES = ["completion", "tools", "thinking", "vision", "insert"]
# What ``ollama show`` lists for these registry models, so each capability check can be exercised;
# any other name gets CAPABILITIES (the reference model does everything a chat model can).
KNOWN_CAPABILITIES: dict[str, list[str]] = {
    "llama2": ["completion"],
    "qwen3": ["completion", "tools", "thinking"],
    "gpt-oss": ["completion", "tools", "thinking"],
    "gemma3": ["completion", "vision"],
    "llava": ["completion", "vision"],
    "qwen2.5-coder": ["completion", "tools", "insert"],
    "nomic-embed-text": ["embedding"],
    "all-minilm": ["embedding"],
}


def capabilities_for(name: ModelName) -> list[str]:
    """The capabilities a model of this name has when pulled from the simulated registry."""
    return list(KNOWN_CAPABILITIES.get(name.model.lower(), CAPABILITIES))


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


@dataclass
class Layer:
    """One manifest layer."""

    digest: str
    size: int
    media_type: str


@dataclass
class LocalModel:
    """A model in the local store."""

    name: ModelName
    layers: list[Layer]
    modified_ns: int
    family: str = "llama"
    parameter_size: str = "3.2B"
    quantization_level: str = "Q4_K_M"
    model_format: str = "gguf"
    parent_model: str = ""
    template: str = DEFAULT_TEMPLATE
    system: str = ""
    license: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=lambda: list(CAPABILITIES))

    @property
    def size(self) -> int:
        """Sum of the layer sizes."""
        return sum(layer.size for layer in self.layers)

    @property
    def digest(self) -> str:
        """sha256 of the manifest (bare hex, as ``/api/tags`` shows it)."""
        manifest = [[layer.digest, layer.size, layer.media_type] for layer in self.layers]
        return sha256_hex(json.dumps(manifest).encode())

    def details(self) -> dict[str, Any]:
        """``ModelDetails``."""
        return {
            "parent_model": self.parent_model,
            "format": self.model_format,
            "family": self.family,
            "families": [self.family],
            "parameter_size": self.parameter_size,
            "quantization_level": self.quantization_level,
        }


def seed_model(name: ModelName) -> LocalModel:
    """A model as if pulled from the registry: weights, template, license and params layers."""
    base = name.full
    weights = Layer(
        "sha256:" + sha256_hex(f"weights:{base}".encode()),
        2_019_377_376,
        "application/vnd.ollama.image.model",
    )
    template = Layer(
        "sha256:" + sha256_hex(f"template:{base}".encode()), 1_429, "application/vnd.ollama.image.template"
    )
    license_ = Layer(
        "sha256:" + sha256_hex(f"license:{base}".encode()), 7_711, "application/vnd.ollama.image.license"
    )
    params = Layer(
        "sha256:" + sha256_hex(f"params:{base}".encode()), 96, "application/vnd.ollama.image.params"
    )
    return LocalModel(
        name=name,
        layers=[weights, template, license_, params],
        modified_ns=time.time_ns(),
        license=["Reference model license."],
        parameters={"stop": ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]},
        capabilities=capabilities_for(name),
    )


@dataclass
class Running:
    """A loaded model and when it expires."""

    model: LocalModel
    expires_ns: int


class ModelStore:
    """Thread-safe state behind the model-management routes."""

    def __init__(self, names: list[str]) -> None:
        self._lock = threading.RLock()
        self._models: dict[tuple[str, str, str, str], LocalModel] = {}
        self._running: dict[tuple[str, str, str, str], Running] = {}
        self._blobs: dict[str, int] = {}
        self._registry: set[tuple[str, str, str, str]] = set()
        for raw in names:
            parsed = parse_name(raw)
            if parsed is None:
                raise ValueError(f"invalid Ollama model name: {raw!r}")
            self.put(seed_model(parsed))
            self._registry.add(parsed.key)

    def in_registry(self, name: ModelName) -> bool:
        """Whether the simulated registry serves this name: the models the server started with, the
        library models of ``KNOWN_CAPABILITIES`` (any tag), and whatever was pushed."""
        library = (name.host.lower(), name.namespace.lower()) == (DEFAULT_HOST, DEFAULT_NAMESPACE)
        with self._lock:
            known = library and name.model.lower() in KNOWN_CAPABILITIES
            return known or name.key in self._registry

    def publish(self, name: ModelName) -> None:
        """Record a successful push: the registry now serves ``name``."""
        with self._lock:
            self._registry.add(name.key)

    def get(self, name: ModelName) -> LocalModel | None:
        """The local model with this name (case-insensitive), if any."""
        with self._lock:
            return self._models.get(name.key)

    def put(self, model: LocalModel) -> None:
        """Add or replace a model."""
        with self._lock:
            self._models[model.name.key] = model

    def delete(self, name: ModelName) -> bool:
        """Remove a model (and unload it); False when it did not exist."""
        with self._lock:
            self._running.pop(name.key, None)
            return self._models.pop(name.key, None) is not None

    def copy(self, source: LocalModel, destination: ModelName) -> None:
        """Store ``source`` under a second name."""
        self.put(replace(source, name=destination, modified_ns=time.time_ns()))

    def listing(self) -> list[LocalModel]:
        """Models, most recently modified first."""
        with self._lock:
            return sorted(self._models.values(), key=lambda m: -m.modified_ns)

    def load(self, model: LocalModel, keep_alive: float | None) -> bool:
        """Mark a model loaded for ``keep_alive`` seconds (0 unloads); True if it was already loaded."""
        now = time.time_ns()
        with self._lock:
            self._expire(now)
            was_loaded = model.name.key in self._running
            seconds = DEFAULT_KEEP_ALIVE if keep_alive is None else keep_alive
            if seconds == 0:
                self._running.pop(model.name.key, None)
            else:
                expires = FOREVER_NS if seconds < 0 else now + int(seconds * 1e9)
                self._running[model.name.key] = Running(model, expires)
            return was_loaded

    def unload(self, model: LocalModel) -> None:
        """Unload a model now."""
        with self._lock:
            self._running.pop(model.name.key, None)

    def running(self) -> list[Running]:
        """Loaded models, longest remaining time first."""
        with self._lock:
            self._expire(time.time_ns())
            return sorted(self._running.values(), key=lambda r: -r.expires_ns)

    def _expire(self, now: int) -> None:
        for key in [k for k, r in self._running.items() if r.expires_ns <= now]:
            del self._running[key]

    def has_blob(self, digest: str) -> bool:
        """Whether a blob with this ``sha256:<hex>`` digest was uploaded."""
        with self._lock:
            return digest in self._blobs

    def add_blob(self, digest: str, size: int) -> None:
        """Remember an uploaded blob."""
        with self._lock:
            self._blobs[digest] = size

    def blob_size(self, digest: str) -> int:
        """Size of an uploaded blob (0 if unknown)."""
        with self._lock:
            return self._blobs.get(digest, 0)
