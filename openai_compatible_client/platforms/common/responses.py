"""``client.responses``: the OpenAI Responses API (``/v1/responses``) on vLLM and Ollama.

Sent directly, not through LiteLLM: both servers speak the Responses wire format natively, so
the body goes out as the OpenAI SDK would send it and the answer validates straight into
``openai.types.responses`` objects. (LiteLLM's ``responses()`` for these providers either
re-maps the call onto chat completions or sends it with its own HTTP client; neither keeps
the server's own Responses semantics or this library's transport, retries and errors.)

Builders are pure (``*_call``); the resources only send what they build. vLLM serves
``create``, ``retrieve`` and ``cancel``; Ollama's ``/v1`` layer serves ``create`` only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypedDict, cast, overload

from pydantic import TypeAdapter, ValidationError

from openai_compatible_client import errors as E
from openai_compatible_client.config import ClientConfig
from openai_compatible_client.params import not_given
from openai_compatible_client.platforms.common.policy import apply_policy
from openai_compatible_client.platforms.common.streaming import AsyncEventStream, EventStream, StreamEnd
from openai_compatible_client.platforms.openai.resources import AsyncPlatformResource, PlatformResource
from openai_compatible_client.transport.http import Call, Reply

if TYPE_CHECKING:
    from openai.types.responses import Response, ResponseStreamEvent
    from typing_extensions import Unpack

__all__ = [
    "UNSUPPORTED",
    "AsyncResponses",
    "AsyncResponsesCreateOnly",
    "ResponseCreateParams",
    "Responses",
    "ResponsesCreateOnly",
    "cancel_call",
    "create_call",
    "retrieve_call",
]

FINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})

# Responses parameters a platform cannot honour (it would ignore or refuse them silently).
UNSUPPORTED: Mapping[str, Mapping[str, str]] = {
    "vllm": {
        "prompt": "vLLM has no stored prompt templates (it answers 400)",
        "conversation": "vLLM has no conversations API",
        "context_management": "vLLM has no server-side context compaction",
        "moderation": "vLLM has no moderation",
        "prompt_cache_options": "vLLM accepts and ignores prompt_cache_options",
    },
    "ollama": {
        "background": "Ollama has no background responses",
        "conversation": "Ollama has no conversations API",
        "context_management": "Ollama has no server-side context compaction",
        "moderation": "Ollama has no moderation",
        "prompt_cache_options": "Ollama has no prompt cache keys",
        "previous_response_id": "Ollama does not store responses",
        "store": "Ollama does not store responses",
        "prompt": "Ollama has no stored prompt templates",
        "tool_choice": "Ollama has no tool_choice (the model decides whether to call a tool)",
        "parallel_tool_calls": "Ollama has no parallel_tool_calls switch",
        "max_tool_calls": "Ollama has no max_tool_calls",
        "top_logprobs": "Ollama's Responses layer returns no logprobs",
        "metadata": "Ollama does not store responses",
        "service_tier": "Ollama has no service tiers",
        "prompt_cache_key": "Ollama has no prompt cache keys",
        "prompt_cache_retention": "Ollama has no prompt cache keys",
        "safety_identifier": "Ollama ignores safety_identifier",
    },
}


class ResponseCreateParams(TypedDict, total=False):
    """The keyword arguments of ``responses.create`` (the OpenAI SDK's names)."""

    background: bool | None
    context_management: Any
    conversation: Any
    include: list[str] | None
    input: Any
    instructions: str | None
    max_output_tokens: int | None
    max_tool_calls: int | None
    metadata: Mapping[str, str] | None
    model: str
    moderation: Any
    parallel_tool_calls: bool | None
    previous_response_id: str | None
    prompt: Any
    prompt_cache_key: str
    prompt_cache_options: Any
    prompt_cache_retention: str | None
    reasoning: Mapping[str, Any] | None
    safety_identifier: str
    service_tier: str | None
    store: bool | None
    stream_options: Mapping[str, Any] | None
    temperature: float | None
    text: Mapping[str, Any]
    tool_choice: Any
    tools: list[Any]
    top_logprobs: int | None
    top_p: float | None
    truncation: Literal["auto", "disabled"] | None
    user: str
    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, str] | None
    extra_body: Mapping[str, Any] | None
    timeout: float | None


_WIRE = ("extra_headers", "extra_query", "extra_body", "timeout")
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,256}")


@functools.cache
def _sdk() -> tuple[type[Response], Any, TypeAdapter[ResponseStreamEvent]]:
    """``Response``, the ``ResponseStreamEvent`` union and its validator, imported on first use."""
    from openai.types.responses import Response, ResponseStreamEvent

    return Response, ResponseStreamEvent, TypeAdapter(ResponseStreamEvent)


def _model(model: Any, config: ClientConfig) -> str:
    name = model if model is not None else config.model
    if not isinstance(name, str) or not name.strip() or any(c in name for c in "\x00\r\n"):
        raise E.InvalidRequestError(
            "responses.create: model= is required (a non-empty string without control characters), "
            "or set ClientConfig.model"
        )
    return name


def create_call(config: ClientConfig, platform: str, stream: bool | None, params: Mapping[str, Any]) -> Call:
    """``POST /v1/responses``: the body as the OpenAI SDK sends it, after the parameter policy.

    >>> cfg = ClientConfig(base_url="http://h:8000/v1", platform="vllm")
    >>> create_call(cfg, "vllm", None, {"model": "m", "input": "hi", "extra_body": {"top_k": 5}}).json
    {'model': 'm', 'input': 'hi', 'top_k': 5}
    """
    # The OpenAI SDK's "not given" sentinels (NOT_GIVEN, omit) mean the argument was not passed;
    # callers written for the SDK (the Agents SDK, for one) pass them for every unset field.
    params = {k: v for k, v in params.items() if not not_given(v)}
    if not_given(stream):
        stream = None
    given = {k: v for k, v in params.items() if k not in _WIRE}
    unknown = sorted(set(given) - set(ResponseCreateParams.__annotations__))
    if unknown:
        raise E.InvalidRequestError(
            f"responses.create: unexpected keyword argument(s) {', '.join(unknown)}; pass server-specific "
            "fields in extra_body="
        )
    if stream is not None and not isinstance(stream, bool):
        raise E.InvalidRequestError(f"responses.create: stream= must be a bool, got {type(stream).__name__}")
    given["model"] = _model(given.get("model"), config)
    if given.get("input") is None and given.get("previous_response_id") is None:
        raise E.InvalidRequestError(
            "responses.create: input= is required (a string or a list of input items)"
        )
    body = apply_policy("responses.create", platform, config, UNSUPPORTED.get(platform, {}), given)
    body = {k: v for k, v in body.items() if v is not None}
    if stream:
        body["stream"] = True
    body.update(params.get("extra_body") or {})
    return Call(
        platform,
        "POST /v1/responses",
        "POST",
        "/v1/responses",
        json=body,
        params=dict(params.get("extra_query") or {}) or None,
        headers=dict(params.get("extra_headers") or {}) or None,
        framing="sse" if stream else "json",
        terminator="end",
        idempotent=False,
        timeout=params.get("timeout"),
    )


def _checked_id(response_id: Any, method: str) -> str:
    if not isinstance(response_id, str) or _ID.fullmatch(response_id) is None:
        raise E.InvalidRequestError(
            f"responses.{method}: invalid response id {response_id!r} (letters, digits and _ . : - only)"
        )
    return response_id


def retrieve_call(platform: str, response_id: str, timeout: float | None = None) -> Call:
    """``GET /v1/responses/{id}`` (vLLM keeps responses when run with ``VLLM_ENABLE_RESPONSES_API_STORE=1``).

    >>> retrieve_call("vllm", "resp_1").path
    '/v1/responses/resp_1'
    """
    path = f"/v1/responses/{_checked_id(response_id, 'retrieve')}"
    return Call(platform, "GET /v1/responses/{response_id}", "GET", path, timeout=timeout)


def cancel_call(platform: str, response_id: str, timeout: float | None = None) -> Call:
    """``POST /v1/responses/{id}/cancel`` (only a queued or running background response can be cancelled)."""
    path = f"/v1/responses/{_checked_id(response_id, 'cancel')}/cancel"
    return Call(
        platform, "POST /v1/responses/{response_id}/cancel", "POST", path, idempotent=False, timeout=timeout
    )


# ---------------------------------------------------------------------------------------------
# Parsers


def _invalid(
    call: Call, url: str, content: bytes, exc: ValidationError, what: str
) -> E.APIResponseValidationError:
    errors = exc.errors(include_url=False)
    where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
    detail = errors[0]["msg"] if errors else ""
    return E.invalid_response(
        platform=call.platform,
        endpoint=call.endpoint,
        url=url,
        status=200,
        content=content,
        reason=f"not a {what}: {where} {detail}".strip(),
    )


def _lenient(type_: Any, value: dict[str, Any]) -> Any:
    # What the OpenAI SDK itself does with every answer: build the type without rejecting fields
    # it does not know or misses (Ollama's usage lacks ``cache_write_tokens``, for one).
    from openai._models import construct_type

    return construct_type(type_=type_, value=value)


def parse_response(reply: Reply) -> Response:
    """The reply's JSON as an ``openai.types.responses.Response``.

    Strict validation first; a payload that has a Response's frame (an ``id`` and an ``output``
    list) but differs in details is built leniently, as the OpenAI SDK builds it. Anything else
    raises ``APIResponseValidationError``.
    """
    data = reply.json()
    response_type = _sdk()[0]
    try:
        return response_type.model_validate(data)
    except ValidationError as exc:
        if (
            isinstance(data, dict)
            and isinstance(data.get("id"), str)
            and isinstance(data.get("output"), list)
        ):
            return cast("Response", _lenient(response_type, data))
        raise _invalid(reply.call, reply.url, reply.content[:2000], exc, "Response") from None


def event_parser(call: Call, url: str) -> Callable[[Any], ResponseStreamEvent]:
    """Parser of one SSE event into the SDK's ``ResponseStreamEvent`` union (lenient like the SDK for
    events that carry a ``type``)."""

    _, union, adapter = _sdk()

    def parse(item: Any) -> ResponseStreamEvent:
        try:
            return adapter.validate_python(item)
        except ValidationError as exc:
            if isinstance(item, dict) and isinstance(item.get("type"), str):
                return cast("ResponseStreamEvent", _lenient(union, item))
            raise _invalid(call, url, repr(item)[:2000].encode(), exc, "ResponseStreamEvent") from None

    return parse


def _end(call: Call, url: str) -> StreamEnd:
    return StreamEnd(call.platform, call.endpoint, url, FINAL_EVENTS)


# ---------------------------------------------------------------------------------------------
# Resources


class ResponsesCreateOnly(PlatformResource):
    """``client.responses`` where the server has only ``POST /v1/responses`` (Ollama)."""

    resource = "responses"

    @overload
    def create(
        self, *, stream: Literal[False] | None = ..., **params: Unpack[ResponseCreateParams]
    ) -> Response: ...
    @overload
    def create(
        self, *, stream: Literal[True], **params: Unpack[ResponseCreateParams]
    ) -> EventStream[ResponseStreamEvent]: ...
    def create(
        self, *, stream: bool | None = None, **params: Unpack[ResponseCreateParams]
    ) -> Response | EventStream[ResponseStreamEvent]:
        """Create a model response (the OpenAI SDK's ``responses.create``).

        Returns an ``openai.types.responses.Response``; with ``stream=True`` an iterator of the
        SDK's stream events, ending with ``response.completed`` (``IncompleteStreamError`` if it
        never comes).
        """
        call = create_call(self._context.config, self._platform, stream, params)
        if not stream:
            return self._send(call, parse_response)
        url = self._context.transport.url(call)
        return EventStream(self._context.transport.stream(call), event_parser(call, url), _end(call, url))


class AsyncResponsesCreateOnly(AsyncPlatformResource):
    """``client.responses`` where the server has only ``POST /v1/responses`` (Ollama)."""

    resource = "responses"

    @overload
    async def create(
        self, *, stream: Literal[False] | None = ..., **params: Unpack[ResponseCreateParams]
    ) -> Response: ...
    @overload
    async def create(
        self, *, stream: Literal[True], **params: Unpack[ResponseCreateParams]
    ) -> AsyncEventStream[ResponseStreamEvent]: ...
    async def create(
        self, *, stream: bool | None = None, **params: Unpack[ResponseCreateParams]
    ) -> Response | AsyncEventStream[ResponseStreamEvent]:
        """Create a model response (the OpenAI SDK's ``responses.create``; see the sync client)."""
        call = create_call(self._context.config, self._platform, stream, params)
        if not stream:
            return await self._send(call, parse_response)
        url = self._context.transport.url(call)
        items = await self._context.transport.stream(call)
        return AsyncEventStream(items, event_parser(call, url), _end(call, url))


class Responses(ResponsesCreateOnly):
    """``client.responses`` on vLLM: ``create``, ``retrieve``, ``cancel``."""

    def retrieve(self, response_id: str, *, timeout: float | None = None) -> Response:
        """A stored response by id (``GET /v1/responses/{id}``)."""
        return self._send(retrieve_call(self._platform, response_id, timeout), parse_response)

    def cancel(self, response_id: str, *, timeout: float | None = None) -> Response:
        """Cancel a queued or running background response (``POST /v1/responses/{id}/cancel``)."""
        return self._send(cancel_call(self._platform, response_id, timeout), parse_response)


class AsyncResponses(AsyncResponsesCreateOnly):
    """``client.responses`` on vLLM: ``create``, ``retrieve``, ``cancel``."""

    async def retrieve(self, response_id: str, *, timeout: float | None = None) -> Response:
        """A stored response by id (``GET /v1/responses/{id}``)."""
        return await self._send(retrieve_call(self._platform, response_id, timeout), parse_response)

    async def cancel(self, response_id: str, *, timeout: float | None = None) -> Response:
        """Cancel a queued or running background response (``POST /v1/responses/{id}/cancel``)."""
        return await self._send(cancel_call(self._platform, response_id, timeout), parse_response)
