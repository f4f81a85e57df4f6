"""vLLM's serving-admin endpoints: LoRA adapters, tokenizer info, ping, load, metrics, sleep mode.

Pure builders (``*_call``) plus one-line resource methods. Where each route needs a server flag:

- ``/v1/load_lora_adapter``, ``/v1/unload_lora_adapter``: ``--enable-lora`` and
  ``VLLM_ALLOW_RUNTIME_LORA_UPDATING=True``; success is a plain-text body, returned as ``str``.
- ``/tokenizer_info``: ``--enable-tokenizer-info-endpoint``.
- ``/load``: always there; counts only with ``--enable-server-load-tracking``.
- ``/sleep``, ``/wake_up``, ``/is_sleeping``: ``VLLM_SERVER_DEV_MODE=1``; sleeping needs
  ``--enable-sleep-mode``, which vLLM supports on CUDA, ROCm and XPU only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openai_compatible_client import errors as E
from openai_compatible_client.platforms.base import Endpoint
from openai_compatible_client.platforms.openai.resources import AsyncPlatformResource, PlatformResource
from openai_compatible_client.platforms.validation import reply_parser
from openai_compatible_client.platforms.vllm.admin_types import (
    IsSleepingResponse,
    MetricFamily,
    Metrics,
    MetricSample,
    ServerLoadResponse,
    SleepResponse,
    TokenizerInfoResponse,
    WakeUpResponse,
)
from openai_compatible_client.transport.http import Call, Reply

__all__ = [
    "AdminEndpoints",
    "AsyncLoRA",
    "LoRA",
    "TokenizerInfoEndpoints",
    "is_sleeping_call",
    "load_call",
    "lora_load_call",
    "lora_unload_call",
    "metrics_call",
    "parse_metrics",
    "ping_call",
    "sleep_call",
    "tokenizer_info_call",
    "wake_up_call",
]

PLATFORM = "vllm"


def _name(value: Any, what: str, method: str) -> str:
    if not isinstance(value, str) or not value.strip() or any(c in value for c in "\x00\r\n"):
        raise E.InvalidRequestError(
            f"{method}: {what}= must be a non-empty string without control characters"
        )
    return value


def lora_load_call(
    *,
    lora_name: str,
    lora_path: str,
    load_inplace: bool | None = None,
    extra_body: Mapping[str, Any] | None = None,
    timeout: float | None = None,
) -> Call:
    """``POST /v1/load_lora_adapter``.

    >>> lora_load_call(lora_name="sql", lora_path="/adapters/sql").json
    {'lora_name': 'sql', 'lora_path': '/adapters/sql'}
    """
    body: dict[str, Any] = {
        "lora_name": _name(lora_name, "lora_name", "lora.load"),
        "lora_path": _name(lora_path, "lora_path", "lora.load"),
    }
    if load_inplace is not None:
        body["load_inplace"] = bool(load_inplace)
    body.update(extra_body or {})
    return Call(
        PLATFORM,
        "POST /v1/load_lora_adapter",
        "POST",
        "/v1/load_lora_adapter",
        json=body,
        headers={"Accept": "*/*"},
        framing="bytes",
        idempotent=False,
        timeout=timeout,
    )


def lora_unload_call(
    *, lora_name: str, extra_body: Mapping[str, Any] | None = None, timeout: float | None = None
) -> Call:
    """``POST /v1/unload_lora_adapter``."""
    body: dict[str, Any] = {"lora_name": _name(lora_name, "lora_name", "lora.unload"), **(extra_body or {})}
    return Call(
        PLATFORM,
        "POST /v1/unload_lora_adapter",
        "POST",
        "/v1/unload_lora_adapter",
        json=body,
        headers={"Accept": "*/*"},
        framing="bytes",
        idempotent=False,
        timeout=timeout,
    )


def tokenizer_info_call() -> Call:
    """``GET /tokenizer_info`` (``--enable-tokenizer-info-endpoint``): ``r.tokenizer_class``..."""
    return Call(PLATFORM, "GET /tokenizer_info", "GET", "/tokenizer_info")


def ping_call() -> Call:
    """``GET /ping`` (SageMaker's health alias: 200 with an empty body)."""
    return Call(PLATFORM, "GET /ping", "GET", "/ping", framing="none", headers={"Accept": "*/*"})


def load_call() -> Call:
    """``GET /load``: ``r.server_load``, requests in flight (``--enable-server-load-tracking``)."""
    return Call(PLATFORM, "GET /load", "GET", "/load")


def metrics_call() -> Call:
    """``GET /metrics``, parsed from the Prometheus text: ``m["vllm:num_requests_running"][0].value``."""
    return Call(
        PLATFORM, "GET /metrics", "GET", "/metrics", framing="bytes", headers={"Accept": "text/plain"}
    )


def sleep_call(level: int = 1) -> Call:
    """``POST /sleep?level=N`` (1: offload weights and drop the KV cache; 2: drop both; 0: pause only).

    >>> sleep_call(2).params
    {'level': '2'}
    """
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 2:
        raise E.InvalidRequestError(f"sleep: level= must be 0, 1 or 2, got {level!r}")
    return Call(PLATFORM, "POST /sleep", "POST", "/sleep", params={"level": str(level)}, idempotent=False)


def wake_up_call(tags: Sequence[str] | None = None) -> Call:
    """``POST /wake_up`` (``tags``: wake only ``"weights"`` or ``"kv_cache"``)."""
    if tags is not None and (isinstance(tags, str) or not all(isinstance(t, str) for t in tags)):
        raise E.InvalidRequestError("wake_up: tags= must be a list of strings such as ['weights']")
    path = "/wake_up"
    if tags:
        from urllib.parse import urlencode

        path += "?" + urlencode([("tags", t) for t in tags])
    return Call(PLATFORM, "POST /wake_up", "POST", path, idempotent=False)


def is_sleeping_call() -> Call:
    """``GET /is_sleeping`` (dev mode): ``r.is_sleeping``."""
    return Call(PLATFORM, "GET /is_sleeping", "GET", "/is_sleeping")


# ---------------------------------------------------------------------------------------------
# Parsers


def plain_text(reply: Reply) -> str:
    """vLLM's LoRA routes answer 200 with a plain-text sentence (``Success: LoRA adapter ...``)."""
    return reply.content.decode("utf-8", errors="replace")


def parse_metrics(reply: Reply) -> Metrics:
    """The Prometheus text exposition format, parsed with ``prometheus_client``'s parser."""
    from prometheus_client.parser import text_string_to_metric_families

    text = reply.content.decode("utf-8", errors="replace")
    families: dict[str, MetricFamily] = {}
    try:
        for family in text_string_to_metric_families(text):
            families[family.name] = MetricFamily(
                name=family.name,
                type=family.type,
                documentation=family.documentation,
                unit=family.unit,
                samples=[
                    MetricSample(
                        name=s.name, labels=dict(s.labels), value=s.value, timestamp=_stamp(s.timestamp)
                    )
                    for s in family.samples
                ],
            )
    except (ValueError, TypeError, IndexError) as exc:
        raise E.invalid_response(
            platform=reply.call.platform,
            endpoint=reply.call.endpoint,
            url=reply.url,
            status=reply.status,
            content=reply.content[:2000],
            reason=f"not the Prometheus text format ({exc})",
        ) from None
    return Metrics(families=families)


def _stamp(value: Any) -> float | None:
    if value is None:
        return None
    return float(value)


def _true(_reply: Reply) -> bool:
    return True


# ---------------------------------------------------------------------------------------------
# Resources (each endpoint defined once; the factory builds the sync and async methods)


class _LoRAEndpoints:
    load = Endpoint(lora_load_call, plain_text)
    unload = Endpoint(lora_unload_call, plain_text)


class LoRA(_LoRAEndpoints, PlatformResource):
    """``client.lora``: load an adapter (then usable as ``model=lora_name``) and unload it.

    ``load`` raises ``BadRequestError`` for a name already loaded (pass ``load_inplace=True``) or
    one of a base model, ``NotFoundError`` when no adapter is at ``lora_path`` (a path on the
    server's machine); ``unload`` raises ``NotFoundError`` for a name that is not loaded. Both
    return the server's plain-text message.
    """

    resource = "lora"


class AsyncLoRA(_LoRAEndpoints, AsyncPlatformResource):
    """``client.lora`` (async): see :class:`LoRA`."""

    resource = "lora"


class AdminEndpoints:
    """``ping``, ``load``, ``metrics`` and sleep mode, for the vLLM ``server`` resources."""

    ping = Endpoint(ping_call, _true)
    load = Endpoint(load_call, reply_parser(ServerLoadResponse))
    metrics = Endpoint(metrics_call, parse_metrics)
    sleep = Endpoint(sleep_call, reply_parser(SleepResponse))
    wake_up = Endpoint(wake_up_call, reply_parser(WakeUpResponse))
    is_sleeping = Endpoint(is_sleeping_call, reply_parser(IsSleepingResponse))


class TokenizerInfoEndpoints:
    """``tokenizer.info()`` for the vLLM ``tokenizer`` resources."""

    info = Endpoint(tokenizer_info_call, reply_parser(TokenizerInfoResponse))
