"""Typed answers of vLLM's serving-admin routes: tokenizer info, load, metrics, sleep mode."""

from __future__ import annotations

from typing import Any

from openai_compatible_client.types import SubscriptableModel

__all__ = [
    "IsSleepingResponse",
    "MetricFamily",
    "MetricSample",
    "Metrics",
    "ServerLoadResponse",
    "SleepResponse",
    "TokenizerInfoResponse",
    "WakeUpResponse",
]


class TokenizerInfoResponse(SubscriptableModel):
    """``GET /tokenizer_info``: the tokenizer's configuration (``tokenizer_class``, ``chat_template``,
    special tokens, ``model_max_length``...; every other key is kept)."""

    tokenizer_class: str
    chat_template: str | None = None


class ServerLoadResponse(SubscriptableModel):
    """``GET /load``: ``server_load``, the requests in flight (counted with
    ``--enable-server-load-tracking``)."""

    server_load: int


class SleepResponse(SubscriptableModel):
    """``POST /sleep``: ``status`` (``"sleeping"``) and ``level``."""

    status: str
    level: int | None = None


class WakeUpResponse(SubscriptableModel):
    """``POST /wake_up``: ``status`` (``"awake"``, or ``"sleeping"`` while tags still sleep) and ``tags``."""

    status: str
    tags: list[str] | None = None


class IsSleepingResponse(SubscriptableModel):
    """``GET /is_sleeping``: ``is_sleeping``."""

    is_sleeping: bool


class MetricSample(SubscriptableModel):
    """One sample line: full ``name`` (with ``_total``, ``_bucket``... suffixes), ``labels``, ``value``."""

    name: str
    labels: dict[str, str]
    value: float
    timestamp: float | None = None


class MetricFamily(SubscriptableModel):
    """A metric as ``# HELP``/``# TYPE`` describe it, with its samples."""

    name: str
    type: str
    documentation: str = ""
    unit: str = ""
    samples: list[MetricSample]


class Metrics(SubscriptableModel):
    """``GET /metrics`` parsed from the Prometheus text format.

    ``m["vllm:num_requests_running"]`` gives the samples of that name (a sample name such as
    ``vllm:request_success_total`` or a family name); ``m.value(name, **labels)`` the first
    matching sample's value; ``m.families`` everything, by family name.

    >>> m = Metrics.model_validate({"families": {"up": {"name": "up", "type": "gauge",
    ...     "samples": [{"name": "up", "labels": {"job": "a"}, "value": 1.0}]}}})
    >>> m["up"][0].value, m.value("up", job="a"), m.value("up", job="b"), "up" in m
    (1.0, 1.0, None, True)
    """

    families: dict[str, MetricFamily]

    def samples(self, name: str) -> list[MetricSample]:
        """The samples whose name, or whose family's name, is ``name``."""
        family = self.families.get(name)
        if family is not None:
            return list(family.samples)
        return [s for f in self.families.values() for s in f.samples if s.name == name]

    def value(self, name: str, **labels: str) -> float | None:
        """The value of the first sample called ``name`` whose labels include ``labels``."""
        for sample in self.samples(name):
            if all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
        return None

    def __getitem__(self, key: str) -> Any:
        if key == "families":
            return self.families
        found = self.samples(key)
        if not found:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(key == "families" or self.samples(key))
