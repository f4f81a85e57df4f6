"""OpenAI-style call -> one :class:`~openai_compatible_client.transport.http.Call`, through LiteLLM.

LiteLLM does what it is good at: provider resolution (``hosted_vllm/``, ``ollama_chat/``,
``ollama/``) and the per-provider mapping and transformation of the request body. Its heavy
machinery (logging, callbacks, cost tracking, price-list look-ups, its own HTTP clients)
stays off the path: the body it builds is sent by this library's transport, with this
library's timeouts, retries and errors. Everything here is pure and cached per provider.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from openai_compatible_client._logging import quiet_litellm
from openai_compatible_client.config import ClientConfig
from openai_compatible_client.errors import InvalidRequestError, UnsupportedParameterError
from openai_compatible_client.messages import prepare_messages, validate_tools
from openai_compatible_client.params import CHAT_PARAMS, COMPLETION_PARAMS, EMBEDDING_PARAMS, check_params
from openai_compatible_client.platforms import Platform
from openai_compatible_client.transport.http import Call, Framing
from openai_compatible_client.transport.streams import Terminator

__all__ = ["Prepared", "chat_request", "completion_request", "embedding_request", "load_litellm"]

Kind = Literal["chat", "completion", "embedding"]

# OpenAI penalties are Ollama options of the same name and meaning (LiteLLM would turn
# frequency_penalty into repeat_penalty, which means something else).
_OLLAMA_OPTIONS = ("frequency_penalty", "presence_penalty")
_GUIDED = {
    "guided_json": "json",
    "guided_regex": "regex",
    "guided_choice": "choice",
    "guided_grammar": "grammar",
    "guided_whitespace_pattern": "whitespace_pattern",
}


@dataclass(frozen=True, slots=True)
class Prepared:
    """A validated call, ready for an executor.

    Attributes:
        call: What to send.
        kind: chat, completion or embedding (picks the normaliser).
        model: The model name (as the caller gave it).
        stream: Whether the answer is a stream.
        include_usage: Whether a stream must end with a usage chunk.
        copies: How many times to send ``call`` (Ollama has no ``n``: ``n`` parallel calls).
    """

    call: Call
    kind: Kind
    model: str
    platform: str
    stream: bool = False
    include_usage: bool = False
    copies: int = 1


def load_litellm() -> Any:
    """Import LiteLLM once, quietly: no price-list download, no banner on stdout, httpx transport.

    This is the only place that sets LiteLLM's process-wide switches.
    """
    return _load_litellm()


@functools.cache
def _load_litellm() -> Any:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    quiet_litellm()
    import litellm

    quiet_litellm()

    litellm.suppress_debug_info = True
    # The Router sends with LiteLLM's own clients: httpx, not aiohttp, which leaves unclosed
    # sessions behind at exit (BerriAI/litellm#13251).
    litellm.disable_aiohttp_transport = True
    return litellm


@functools.cache
def _chat_config(provider: str) -> Any:
    _load_litellm()
    from litellm.types.utils import LlmProviders
    from litellm.utils import ProviderConfigManager

    with warnings.catch_warnings():
        # LiteLLM's Ollama module builds pydantic adapters over ReadOnly TypedDicts at import.
        warnings.filterwarnings("ignore", message=".*ReadOnly.*", category=UserWarning)
        return ProviderConfigManager.get_provider_chat_config(model="model", provider=LlmProviders(provider))


@functools.cache
def _embedding_config(provider: str) -> Any:
    _load_litellm()
    if provider == "hosted_vllm":
        from litellm.llms.hosted_vllm.embedding.transformation import HostedVLLMEmbeddingConfig

        return HostedVLLMEmbeddingConfig()  # type: ignore[no-untyped-call]
    return None


@functools.cache
def _supported(provider: str) -> frozenset[str]:
    return frozenset(_chat_config(provider).get_supported_openai_params("model"))


def _model(model: Any, config: ClientConfig, method: str) -> str:
    name = model if model is not None else config.model
    if not isinstance(name, str) or not name.strip():
        raise InvalidRequestError(
            f"{method}: model= is required (a non-empty string), or set ClientConfig.model"
        )
    if any(c in name for c in "\x00\r\n"):
        raise InvalidRequestError(f"{method}: model name {name!r} contains control characters")
    return name


def _apply_policy(
    method: str, platform: Platform, config: ClientConfig, given: dict[str, Any]
) -> dict[str, Any]:
    """Warn, raise or drop the parameters this platform cannot honour, per ``unsupported_params``."""
    for name in [n for n in given if n in platform.unsupported]:
        if name in platform.conditional and given[name] is not False:
            continue
        reason = platform.unsupported[name]
        message = f"{method}: {name}= is not supported on {platform.name} ({reason})"
        if config.unsupported_params == "error":
            raise UnsupportedParameterError(
                message + "; remove it or set unsupported_params='warn'",
                parameter=name,
                platform=platform.name,
            )
        if config.unsupported_params == "warn":
            warnings.warn(message + "; it was not sent", UserWarning, stacklevel=4)
        del given[name]
    return given


def _merge(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for layer in layers:
        if layer:
            merged.update(layer)
    return merged


def _vllm_extra_body(config: ClientConfig, extra_body: Mapping[str, Any] | None) -> dict[str, Any]:
    """Config defaults under the call's extra_body; removed ``guided_*`` -> ``structured_outputs``."""
    body = _merge(config.vllm.extra_body, extra_body)
    if config.vllm.chat_template is not None:
        body.setdefault("chat_template", config.vllm.chat_template)
    if config.vllm.chat_template_kwargs is not None:
        body["chat_template_kwargs"] = _merge(
            config.vllm.chat_template_kwargs, body.get("chat_template_kwargs")
        )
    guided = {key: body.pop(key) for key in list(body) if key in _GUIDED}
    guided.pop("guided_decoding_backend", None)
    body.pop("guided_decoding_backend", None)
    if guided:
        structured = dict(body.get("structured_outputs") or {})
        for key, value in guided.items():
            structured.setdefault(_GUIDED[key], value)
        body["structured_outputs"] = structured
    return body


@dataclass(frozen=True, slots=True)
class _Wire:
    """The transport-level parts of a call, taken out of its parameters."""

    headers: dict[str, str] | None
    query: dict[str, str] | None
    timeout: float | None
    extra_body: Mapping[str, Any] | None
    stream_options: Mapping[str, Any] | None


def _take_wire(given: dict[str, Any]) -> _Wire:
    """Pop ``extra_headers``/``extra_query``/``timeout``/``extra_body``/``stream_options``."""
    headers = given.pop("extra_headers", None)
    query = given.pop("extra_query", None)
    return _Wire(
        headers=dict(headers) if headers else None,
        query={str(k): str(v) for k, v in query.items()} if query else None,
        timeout=given.pop("timeout", None),
        extra_body=given.pop("extra_body", None),
        stream_options=given.pop("stream_options", None),
    )


def _call(platform: Platform, path: str, body: dict[str, Any], wire: _Wire, *, stream: bool) -> Call:
    """The request: SSE (vLLM) or NDJSON (Ollama) when streaming, each with its terminator."""
    framing: Framing = "json"
    terminator: Terminator = "end"
    if stream:
        framing, terminator = ("ndjson", "ndjson_done") if platform.native else ("sse", "sse_done")
    return Call(
        platform.name,
        f"POST {path}",
        "POST",
        path,
        json=body,
        headers=wire.headers,
        params=wire.query,
        framing=framing,
        terminator=terminator,
        timeout=wire.timeout,
    )


def _stream_flags(given: dict[str, Any], stream: bool, method: str) -> bool:
    options = given.get("stream_options")
    if options is not None and not stream:
        raise InvalidRequestError(f"{method}: stream_options needs stream=True")
    return bool(stream and options and options.get("include_usage"))


def _check_stream(stream: Any, method: str) -> bool:
    if stream is None:
        return False
    if not isinstance(stream, bool):
        raise InvalidRequestError(f"{method}: stream must be true or false")
    return stream


def chat_request(
    config: ClientConfig,
    platform: Platform,
    *,
    model: Any,
    messages: Any,
    stream: Any,
    params: Mapping[str, Any],
) -> Prepared:
    """Validate a ``chat.completions.create`` call and build its request."""
    method = "chat.completions.create"
    name = _model(model, config, method)
    streaming = _check_stream(stream, method)
    given = check_params(method, params, CHAT_PARAMS)
    include_usage = _stream_flags(given, streaming, method)
    clean = prepare_messages(messages, platform=platform.name, max_image_bytes=config.max_image_bytes)
    if "tools" in given:
        given["tools"] = validate_tools(given["tools"])
    elif "tool_choice" in given and given["tool_choice"] != "none":
        raise InvalidRequestError(f"{method}: tool_choice needs tools=")
    if not platform.native and "top_logprobs" in given and not given.get("logprobs"):
        raise InvalidRequestError(f"{method}: top_logprobs needs logprobs=True")
    if platform.native:
        return _ollama(
            config, platform, "chat", name, streaming, include_usage, given, method, messages=clean
        )
    return _openai_style(
        config, platform, "chat", name, streaming, include_usage, given, method, messages=clean
    )


def completion_request(
    config: ClientConfig,
    platform: Platform,
    *,
    model: Any,
    prompt: Any,
    stream: Any,
    params: Mapping[str, Any],
) -> Prepared:
    """Validate a ``completions.create`` call and build its request."""
    method = "completions.create"
    name = _model(model, config, method)
    streaming = _check_stream(stream, method)
    given = check_params(method, params, COMPLETION_PARAMS)
    include_usage = _stream_flags(given, streaming, method)
    if isinstance(prompt, str):
        text = prompt
    elif isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str) and platform.native:
        text = prompt[0]
    elif not platform.native and isinstance(prompt, list) and prompt:
        text = ""
    else:
        raise InvalidRequestError(
            f"{method}: prompt must be a string"
            + ("" if platform.native else ", a list of strings or a list of token ids")
        )
    if (
        not platform.native
        and isinstance(prompt, list)
        and (
            not all(isinstance(p, str) for p in prompt)
            and not all(isinstance(p, int) and not isinstance(p, bool) for p in prompt)
            and not all(isinstance(p, list) and all(isinstance(t, int) for t in p) for p in prompt)
        )
    ):
        raise InvalidRequestError(f"{method}: prompt list must hold strings, or token ids")
    if platform.native:
        return _ollama(
            config, platform, "completion", name, streaming, include_usage, given, method, prompt=text
        )
    return _openai_style(
        config, platform, "completion", name, streaming, include_usage, given, method, prompt=prompt
    )


def embedding_request(
    config: ClientConfig,
    platform: Platform,
    *,
    model: Any,
    input: Any,
    params: Mapping[str, Any],
) -> Prepared:
    """Validate an ``embeddings.create`` call and build its request."""
    method = "embeddings.create"
    name = _model(model, config, method)
    given = check_params(method, params, EMBEDDING_PARAMS)
    messages = given.pop("messages", None)
    if messages is not None:
        if platform.native:
            raise InvalidRequestError(f"{method}: messages= input is for vLLM's multimodal embedding models")
        if input is not None:
            raise InvalidRequestError(f"{method}: pass input= or messages=, not both")
        messages = prepare_messages(messages, platform=platform.name, max_image_bytes=config.max_image_bytes)
    else:
        input = _embedding_input(input, method, platform)
    wire = _take_wire(given)
    if platform.native:
        body: dict[str, Any] = {"model": name, "input": input}
        for key in ("truncate", "dimensions"):
            if key in given:
                body[key] = given.pop(key)
        options = _merge(config.ollama.options, given.pop("options", None))
        if options:
            body["options"] = options
        keep_alive = given.pop("keep_alive", config.ollama.keep_alive)
        if keep_alive is not None:
            body["keep_alive"] = keep_alive
        _apply_policy(method, platform, config, given)
        body.update(wire.extra_body or {})
        return Prepared(
            _call(platform, "/api/embed", body, wire, stream=False), "embedding", name, platform.name
        )
    litellm_config = _embedding_config(platform.embedding_provider)
    openai_params = {k: given.pop(k) for k in ("dimensions", "encoding_format", "user") if k in given}
    _reject_leftovers(method, platform, given)
    optional = litellm_config.map_openai_params(
        non_default_params=openai_params, optional_params={}, model=name, drop_params=False
    )
    if messages is not None:
        body = {"model": name, "messages": messages, **optional}
    else:
        body = litellm_config.transform_embedding_request(
            model=name, input=input, optional_params=dict(optional), headers={}
        )
    body.update(_vllm_extra_body(config, wire.extra_body))
    return Prepared(
        _call(platform, "/v1/embeddings", body, wire, stream=False), "embedding", name, platform.name
    )


def _embedding_input(value: Any, method: str, platform: Platform) -> Any:
    if isinstance(value, str):
        return [value] if platform.native else value
    if isinstance(value, list) and value:
        if all(isinstance(v, str) for v in value):
            return value
        if not platform.native and (
            all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            or all(isinstance(v, list) and v and all(isinstance(t, int) for t in v) for v in value)
        ):
            return value
    raise InvalidRequestError(
        f"{method}: input must be a string or a non-empty list of strings"
        + ("" if platform.native else " (or of token ids)")
    )


def _reject_leftovers(method: str, platform: Platform, given: dict[str, Any]) -> None:
    for name in ("options", "format", "keep_alive", "think", "truncate", "system", "raw", "images"):
        if name in given:
            raise InvalidRequestError(
                f"{method}: {name}= is an Ollama parameter; on {platform.name} pass extras in extra_body="
            )


def _openai_style(
    config: ClientConfig,
    platform: Platform,
    kind: Kind,
    model: str,
    stream: bool,
    include_usage: bool,
    given: dict[str, Any],
    method: str,
    messages: list[dict[str, Any]] | None = None,
    prompt: Any = None,
) -> Prepared:
    """vLLM and other OpenAI-style servers: LiteLLM's ``hosted_vllm`` mapping and transform."""
    _reject_leftovers(method, platform, given)
    wire = _take_wire(given)
    given = _apply_policy(method, platform, config, given)
    provider = platform.chat_provider if kind == "chat" else platform.completion_provider
    litellm_config = _chat_config(provider)
    supported = _supported(provider)
    passthrough = {k: given.pop(k) for k in list(given) if k not in supported}
    optional = litellm_config.map_openai_params(
        non_default_params=given, optional_params={}, model=model, drop_params=False
    )
    optional.update(passthrough)
    if kind == "chat":
        body = litellm_config.transform_request(
            model=model, messages=messages, optional_params=optional, litellm_params={}, headers={}
        )
        path = "/v1/chat/completions"
    else:
        body = {"model": model, "prompt": prompt, **optional}
        path = "/v1/completions"
    body.update(_vllm_extra_body(config, wire.extra_body))
    body.pop("stream", None)
    if stream:
        body["stream"] = True
        if wire.stream_options:
            body["stream_options"] = dict(wire.stream_options)
    return Prepared(
        _call(platform, path, body, wire, stream=stream), kind, model, platform.name, stream, include_usage
    )


def _ollama(
    config: ClientConfig,
    platform: Platform,
    kind: Kind,
    model: str,
    stream: bool,
    include_usage: bool,
    given: dict[str, Any],
    method: str,
    messages: list[dict[str, Any]] | None = None,
    prompt: str = "",
) -> Prepared:
    """Ollama's native routes: LiteLLM's ``ollama_chat`` (``/api/chat``) or ``ollama`` (``/api/generate``)."""
    wire = _take_wire(given)
    copies = int(given.pop("n", 1))
    if copies > 1 and stream:
        raise InvalidRequestError(f"{method}: n>1 with stream=True is not supported on ollama (it has no n)")
    given = _apply_policy(method, platform, config, given)
    top: dict[str, Any] = {
        k: given.pop(k) for k in ("format", "think", "system", "raw", "images") if k in given
    }
    keep_alive = given.pop("keep_alive", config.ollama.keep_alive)
    if keep_alive is not None:
        top["keep_alive"] = keep_alive
    options = _merge(config.ollama.options, given.pop("options", None))
    for key in _OLLAMA_OPTIONS:
        if key in given:
            options[key] = given.pop(key)
    if "max_completion_tokens" in given:
        given.setdefault("max_tokens", given["max_completion_tokens"])
        del given["max_completion_tokens"]
    for key in ("user", "prompt_cache_key", "safety_identifier", "verbosity"):
        given.pop(key, None)  # metadata that does not change the answer
    provider = platform.chat_provider if kind == "chat" else platform.completion_provider
    litellm_config = _chat_config(provider)
    optional = litellm_config.map_openai_params(
        non_default_params=given, optional_params={}, model=model, drop_params=False
    )
    if kind == "chat":
        sent = messages or []
        body = litellm_config.transform_request(
            model=model, messages=sent, optional_params=optional, litellm_params={}, headers={}
        )
        body["messages"] = _ollama_message_fixups(body["messages"], sent)
        path = "/api/chat"
    else:
        body = litellm_config.transform_request(
            model=model,
            messages=[{"role": "user", "content": prompt}],
            optional_params=optional,
            litellm_params={"text_completion": True},
            headers={},
        )
        if not body.get("images"):
            body.pop("images", None)
        path = "/api/generate"
    merged_options = _merge(options, body.get("options"))
    # LiteLLM's generate route files keep_alive under options; Ollama reads it at the top.
    merged_options.pop("keep_alive", None)
    if merged_options:
        body["options"] = merged_options
    else:
        body.pop("options", None)
    body.update(top)
    body.update(wire.extra_body or {})
    body["stream"] = stream
    call = _call(platform, path, body, wire, stream=stream)
    return Prepared(call, kind, model, platform.name, stream, include_usage, copies)


def _ollama_message_fixups(
    sent: list[dict[str, Any]], original: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Give tool results the ``tool_name`` Ollama links them by, keep tool-call ids, drop empty images."""
    names: dict[str, str] = {}
    for message in original:
        for call in message.get("tool_calls") or ():
            if "id" in call:
                names[call["id"]] = call["function"]["name"]
    fixed = []
    for message, source in zip(sent, original, strict=False):
        message = dict(message)
        if not message.get("images"):
            message.pop("images", None)
        if message.get("role") == "tool" and "tool_name" not in message:
            name = names.get(source.get("tool_call_id", ""))
            if name:
                message["tool_name"] = name
        if source.get("tool_calls") and message.get("tool_calls"):
            calls = []
            pairs = zip(message["tool_calls"], source["tool_calls"], strict=False)
            for index, (call, original_call) in enumerate(pairs):
                call = dict(call)
                call["function"] = {**(call.get("function") or {}), "index": index}
                if "id" in original_call:
                    call["id"] = original_call["id"]
                calls.append(call)
            message["tool_calls"] = calls
        fixed.append(message)
    return fixed
