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
    "AdminMixin",
    "AsyncAdminMixin",
    "AsyncLoRA",
    "AsyncTokenizerInfoMixin",
    "LoRA",
    "TokenizerInfoMixin",
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
    """``GET /tokenizer_info``."""
    return Call(PLATFORM, "GET /tokenizer_info", "GET", "/tokenizer_info")


def ping_call() -> Call:
    """``GET /ping`` (SageMaker's health alias: 200 with an empty body)."""
    return Call(PLATFORM, "GET /ping", "GET", "/ping", framing="none", headers={"Accept": "*/*"})


def load_call() -> Call:
    """``GET /load``."""
    return Call(PLATFORM, "GET /load", "GET", "/load")


def metrics_call() -> Call:
    """``GET /metrics`` (Prometheus text format)."""
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
    """``GET /is_sleeping``."""
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
# Resources


class LoRA(PlatformResource):
    """``client.lora``: load and unload LoRA adapters at run time."""

    resource = "lora"

    def load(
        self,
        *,
        lora_name: str,
        lora_path: str,
        load_inplace: bool | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> str:
        """Load an adapter; it is then usable as ``model=lora_name``. Returns the server's message.

        Raises:
            BadRequestError: the name is already loaded (pass ``load_inplace=True``) or is a base model.
            NotFoundError: no adapter at ``lora_path`` (a path on the server's machine).
        """
        return self._send(
            lora_load_call(
                lora_name=lora_name,
                lora_path=lora_path,
                load_inplace=load_inplace,
                extra_body=extra_body,
                timeout=timeout,
            ),
            plain_text,
        )

    def unload(
        self, *, lora_name: str, extra_body: Mapping[str, Any] | None = None, timeout: float | None = None
    ) -> str:
        """Unload an adapter (``NotFoundError`` if it is not loaded). Returns the server's message."""
        return self._send(
            lora_unload_call(lora_name=lora_name, extra_body=extra_body, timeout=timeout), plain_text
        )


class AsyncLoRA(AsyncPlatformResource):
    """``client.lora``: load and unload LoRA adapters at run time."""

    resource = "lora"

    async def load(
        self,
        *,
        lora_name: str,
        lora_path: str,
        load_inplace: bool | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> str:
        """Load an adapter; it is then usable as ``model=lora_name``. Returns the server's message."""
        return await self._send(
            lora_load_call(
                lora_name=lora_name,
                lora_path=lora_path,
                load_inplace=load_inplace,
                extra_body=extra_body,
                timeout=timeout,
            ),
            plain_text,
        )

    async def unload(
        self, *, lora_name: str, extra_body: Mapping[str, Any] | None = None, timeout: float | None = None
    ) -> str:
        """Unload an adapter (``NotFoundError`` if it is not loaded). Returns the server's message."""
        return await self._send(
            lora_unload_call(lora_name=lora_name, extra_body=extra_body, timeout=timeout), plain_text
        )


class AdminMixin(PlatformResource):
    """The server-level admin calls of a sync vLLM client's ``server`` resource."""

    def ping(self) -> bool:
        """``GET /ping``: True when the server answers 2xx; a typed error otherwise."""
        return self._send(ping_call(), _true)

    def load(self) -> ServerLoadResponse:
        """``GET /load``: ``r.server_load``."""
        return self._send(load_call(), reply_parser(ServerLoadResponse))

    def metrics(self) -> Metrics:
        """``GET /metrics``, parsed: ``m["vllm:num_requests_running"][0].value``."""
        return self._send(metrics_call(), parse_metrics)

    def sleep(self, level: int = 1) -> SleepResponse:
        """``POST /sleep?level=`` (dev mode and ``--enable-sleep-mode``)."""
        return self._send(sleep_call(level), reply_parser(SleepResponse))

    def wake_up(self, tags: Sequence[str] | None = None) -> WakeUpResponse:
        """``POST /wake_up`` (dev mode)."""
        return self._send(wake_up_call(tags), reply_parser(WakeUpResponse))

    def is_sleeping(self) -> IsSleepingResponse:
        """``GET /is_sleeping`` (dev mode): ``r.is_sleeping``."""
        return self._send(is_sleeping_call(), reply_parser(IsSleepingResponse))


class AsyncAdminMixin(AsyncPlatformResource):
    """The async twin of :class:`AdminMixin`."""

    async def ping(self) -> bool:
        """``GET /ping``: True when the server answers 2xx; a typed error otherwise."""
        return await self._send(ping_call(), _true)

    async def load(self) -> ServerLoadResponse:
        """``GET /load``: ``r.server_load``."""
        return await self._send(load_call(), reply_parser(ServerLoadResponse))

    async def metrics(self) -> Metrics:
        """``GET /metrics``, parsed: ``m["vllm:num_requests_running"][0].value``."""
        return await self._send(metrics_call(), parse_metrics)

    async def sleep(self, level: int = 1) -> SleepResponse:
        """``POST /sleep?level=`` (dev mode and ``--enable-sleep-mode``)."""
        return await self._send(sleep_call(level), reply_parser(SleepResponse))

    async def wake_up(self, tags: Sequence[str] | None = None) -> WakeUpResponse:
        """``POST /wake_up`` (dev mode)."""
        return await self._send(wake_up_call(tags), reply_parser(WakeUpResponse))

    async def is_sleeping(self) -> IsSleepingResponse:
        """``GET /is_sleeping`` (dev mode): ``r.is_sleeping``."""
        return await self._send(is_sleeping_call(), reply_parser(IsSleepingResponse))


class TokenizerInfoMixin(PlatformResource):
    """``client.tokenizer.info()`` on a sync vLLM client."""

    def info(self) -> TokenizerInfoResponse:
        """``GET /tokenizer_info`` (``--enable-tokenizer-info-endpoint``): ``r.tokenizer_class``..."""
        return self._send(tokenizer_info_call(), reply_parser(TokenizerInfoResponse))


class AsyncTokenizerInfoMixin(AsyncPlatformResource):
    """``client.tokenizer.info()`` on an async vLLM client."""

    async def info(self) -> TokenizerInfoResponse:
        """``GET /tokenizer_info`` (``--enable-tokenizer-info-endpoint``): ``r.tokenizer_class``..."""
        return await self._send(tokenizer_info_call(), reply_parser(TokenizerInfoResponse))
