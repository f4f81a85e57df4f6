"""``client.messages``: Anthropic's Messages API (``/v1/messages``) on vLLM and Ollama.

A direct-HTTP adapter with no dependency on the ``anthropic`` package: the body is Anthropic's,
the answer is a subscriptable :class:`~.anthropic_types.Message`, a stream yields
:class:`~.anthropic_types.MessageStreamEvent` objects from ``message_start`` to ``message_stop``,
and errors (Anthropic's ``{"type": "error", "error": {...}}`` envelope included) are this
library's typed errors. vLLM also serves ``count_tokens``; Ollama serves ``create`` only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypedDict, overload

from openai_compatible_client import errors as E
from openai_compatible_client.config import ClientConfig
from openai_compatible_client.platforms.common.anthropic_types import (
    Message,
    MessageStreamEvent,
    MessageTokensCount,
)
from openai_compatible_client.platforms.common.policy import apply_policy
from openai_compatible_client.platforms.common.streaming import AsyncEventStream, EventStream, StreamEnd
from openai_compatible_client.platforms.openai.resources import AsyncPlatformResource, PlatformResource
from openai_compatible_client.platforms.validation import item_parser, reply_parser
from openai_compatible_client.transport.http import Call

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "ANTHROPIC_VERSION",
    "AsyncMessages",
    "AsyncMessagesCreateOnly",
    "MessageCreateParams",
    "Messages",
    "MessagesCreateOnly",
    "count_tokens_call",
    "create_call",
]

ANTHROPIC_VERSION = "2023-06-01"
"""Sent as ``anthropic-version``, as Anthropic's own clients do (both servers ignore it today)."""

FINAL_EVENTS = frozenset({"message_stop"})

UNSUPPORTED: Mapping[str, Mapping[str, str]] = {
    "vllm": {
        "service_tier": "vLLM has no service tiers",
        "container": "vLLM has no code-execution containers",
        "mcp_servers": "vLLM's Messages API has no MCP connector",
    },
    "ollama": {
        "service_tier": "Ollama has no service tiers",
        "container": "Ollama has no code-execution containers",
        "mcp_servers": "Ollama's Messages API has no MCP connector",
    },
}


class MessageCreateParams(TypedDict, total=False):
    """Optional keyword arguments of ``messages.create`` (Anthropic's names)."""

    system: str | Sequence[Mapping[str, Any]]
    stop_sequences: Sequence[str]
    temperature: float
    top_p: float
    top_k: int
    tools: Sequence[Mapping[str, Any]]
    tool_choice: Mapping[str, Any]
    thinking: Mapping[str, Any]
    metadata: Mapping[str, Any]
    output_config: Mapping[str, Any]
    service_tier: str
    container: str
    mcp_servers: Sequence[Mapping[str, Any]]
    extra_headers: Mapping[str, str] | None
    extra_body: Mapping[str, Any] | None
    timeout: float | None


class _CountParams(TypedDict, total=False):
    system: str | Sequence[Mapping[str, Any]]
    tools: Sequence[Mapping[str, Any]]
    tool_choice: Mapping[str, Any]
    thinking: Mapping[str, Any]
    output_config: Mapping[str, Any]
    extra_headers: Mapping[str, str] | None
    extra_body: Mapping[str, Any] | None
    timeout: float | None


_WIRE = ("extra_headers", "extra_body", "timeout")


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_plain(v) for v in value]
    return value


def _check_messages(messages: Any, method: str) -> list[Any]:
    if not isinstance(messages, Sequence) or isinstance(messages, (str, bytes)) or not messages:
        raise E.InvalidRequestError(
            f"{method}: messages= must be a non-empty list of {{role, content}} objects"
        )
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping) or message.get("role") not in ("user", "assistant"):
            raise E.InvalidRequestError(
                f"{method}: messages[{index}] must be an object with role 'user' or 'assistant' "
                "(put the system prompt in system=)"
            )
        content = message.get("content")
        if not isinstance(content, (str, Sequence)) or isinstance(content, bytes):
            raise E.InvalidRequestError(
                f"{method}: messages[{index}].content must be a string or a list of blocks"
            )
    return list(_plain(messages))


def _check_model(model: Any, config: ClientConfig, method: str) -> str:
    name = model if model is not None else config.model
    if not isinstance(name, str) or not name.strip() or any(c in name for c in "\x00\r\n"):
        raise E.InvalidRequestError(
            f"{method}: model= is required (a non-empty string), or set ClientConfig.model"
        )
    return name


def _call(platform: str, path: str, body: dict[str, Any], params: Mapping[str, Any], stream: bool) -> Call:
    headers = {"anthropic-version": ANTHROPIC_VERSION, **(params.get("extra_headers") or {})}
    body.update(params.get("extra_body") or {})
    return Call(
        platform,
        f"POST {path}",
        "POST",
        path,
        json=body,
        headers=headers,
        framing="sse" if stream else "json",
        terminator="end",
        idempotent=path.endswith("count_tokens"),
        timeout=params.get("timeout"),
    )


def _optional(params: Mapping[str, Any], allowed: frozenset[str], method: str) -> dict[str, Any]:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise E.InvalidRequestError(
            f"{method}: unexpected keyword argument(s) {', '.join(unknown)}; "
            "pass server-specific fields in extra_body="
        )
    return {k: _plain(v) for k, v in params.items() if k not in _WIRE and v is not None}


def create_call(
    config: ClientConfig,
    platform: str,
    *,
    model: str | None,
    messages: Sequence[Mapping[str, Any]],
    max_tokens: int,
    stream: bool | None,
    params: Mapping[str, Any],
) -> Call:
    """``POST /v1/messages`` with Anthropic's body.

    >>> cfg = ClientConfig(base_url="http://h:8000", platform="vllm")
    >>> create_call(cfg, "vllm", model="m", messages=[{"role": "user", "content": "hi"}],
    ...     max_tokens=8, stream=None, params={"system": "Be brief."}).json
    {'model': 'm', 'messages': [{'role': 'user', 'content': 'hi'}], 'max_tokens': 8, 'system': 'Be brief.'}
    """
    method = "messages.create"
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise E.InvalidRequestError(f"{method}: max_tokens= must be a positive integer, got {max_tokens!r}")
    if stream is not None and not isinstance(stream, bool):
        raise E.InvalidRequestError(f"{method}: stream= must be a bool, got {type(stream).__name__}")
    optional = _optional(params, frozenset(MessageCreateParams.__annotations__), method)
    optional = apply_policy(method, platform, config, UNSUPPORTED.get(platform, {}), optional)
    body: dict[str, Any] = {
        "model": _check_model(model, config, method),
        "messages": _check_messages(messages, method),
        "max_tokens": max_tokens,
        **optional,
    }
    if stream:
        body["stream"] = True
    return _call(platform, "/v1/messages", body, params, bool(stream))


def count_tokens_call(
    config: ClientConfig,
    platform: str,
    *,
    model: str | None,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
) -> Call:
    """``POST /v1/messages/count_tokens``: the prompt's size in tokens, nothing generated."""
    method = "messages.count_tokens"
    optional = _optional(params, frozenset(_CountParams.__annotations__), method)
    body: dict[str, Any] = {
        "model": _check_model(model, config, method),
        "messages": _check_messages(messages, method),
        **optional,
    }
    return _call(platform, "/v1/messages/count_tokens", body, params, False)


def _events(call: Call, url: str) -> tuple[Callable[[Any], MessageStreamEvent], StreamEnd]:
    return item_parser(MessageStreamEvent, call, url), StreamEnd(
        call.platform, call.endpoint, url, FINAL_EVENTS
    )


# ---------------------------------------------------------------------------------------------
# Resources


class MessagesCreateOnly(PlatformResource):
    """``client.messages`` where the server has only ``POST /v1/messages`` (Ollama)."""

    resource = "messages"

    @overload
    def create(
        self,
        *,
        max_tokens: int,
        messages: Sequence[Mapping[str, Any]],
        model: str | None = ...,
        stream: Literal[False] | None = ...,
        **params: Unpack[MessageCreateParams],
    ) -> Message: ...
    @overload
    def create(
        self,
        *,
        max_tokens: int,
        messages: Sequence[Mapping[str, Any]],
        model: str | None = ...,
        stream: Literal[True],
        **params: Unpack[MessageCreateParams],
    ) -> EventStream[MessageStreamEvent]: ...
    def create(
        self,
        *,
        max_tokens: int,
        messages: Sequence[Mapping[str, Any]],
        model: str | None = None,
        stream: bool | None = None,
        **params: Unpack[MessageCreateParams],
    ) -> Message | EventStream[MessageStreamEvent]:
        """Create a message (Anthropic's ``messages.create``): ``r.content[0].text``, ``r.stop_reason``.

        With ``stream=True``: an iterator of ``MessageStreamEvent`` from ``message_start`` to
        ``message_stop`` (``IncompleteStreamError`` if the stream ends before ``message_stop``).
        """
        call = create_call(
            self._context.config,
            self._platform,
            model=model,
            messages=messages,
            max_tokens=max_tokens,
            stream=stream,
            params=params,
        )
        if not stream:
            return self._send(call, reply_parser(Message))
        parse, end = _events(call, self._context.transport.url(call))
        return EventStream(self._context.transport.stream(call), parse, end)


class AsyncMessagesCreateOnly(AsyncPlatformResource):
    """``client.messages`` where the server has only ``POST /v1/messages`` (Ollama)."""

    resource = "messages"

    @overload
    async def create(
        self,
        *,
        max_tokens: int,
        messages: Sequence[Mapping[str, Any]],
        model: str | None = ...,
        stream: Literal[False] | None = ...,
        **params: Unpack[MessageCreateParams],
    ) -> Message: ...
    @overload
    async def create(
        self,
        *,
        max_tokens: int,
        messages: Sequence[Mapping[str, Any]],
        model: str | None = ...,
        stream: Literal[True],
        **params: Unpack[MessageCreateParams],
    ) -> AsyncEventStream[MessageStreamEvent]: ...
    async def create(
        self,
        *,
        max_tokens: int,
        messages: Sequence[Mapping[str, Any]],
        model: str | None = None,
        stream: bool | None = None,
        **params: Unpack[MessageCreateParams],
    ) -> Message | AsyncEventStream[MessageStreamEvent]:
        """Create a message (Anthropic's ``messages.create``; see the sync client)."""
        call = create_call(
            self._context.config,
            self._platform,
            model=model,
            messages=messages,
            max_tokens=max_tokens,
            stream=stream,
            params=params,
        )
        if not stream:
            return await self._send(call, reply_parser(Message))
        parse, end = _events(call, self._context.transport.url(call))
        return AsyncEventStream(await self._context.transport.stream(call), parse, end)


class Messages(MessagesCreateOnly):
    """``client.messages`` on vLLM: ``create`` and ``count_tokens``."""

    def count_tokens(
        self,
        *,
        messages: Sequence[Mapping[str, Any]],
        model: str | None = None,
        **params: Unpack[_CountParams],
    ) -> MessageTokensCount:
        """Count a prompt's tokens (``POST /v1/messages/count_tokens``): ``r.input_tokens``."""
        call = count_tokens_call(
            self._context.config, self._platform, model=model, messages=messages, params=params
        )
        return self._send(call, reply_parser(MessageTokensCount))


class AsyncMessages(AsyncMessagesCreateOnly):
    """``client.messages`` on vLLM: ``create`` and ``count_tokens``."""

    async def count_tokens(
        self,
        *,
        messages: Sequence[Mapping[str, Any]],
        model: str | None = None,
        **params: Unpack[_CountParams],
    ) -> MessageTokensCount:
        """Count a prompt's tokens (``POST /v1/messages/count_tokens``): ``r.input_tokens``."""
        call = count_tokens_call(
            self._context.config, self._platform, model=model, messages=messages, params=params
        )
        return await self._send(call, reply_parser(MessageTokensCount))
