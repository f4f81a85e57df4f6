"""OpenAI-style call -> one :class:`~openai_compatible_client.transport.http.Call`, through LiteLLM.

This module runs the platform-neutral checks (model name, stream switches, known parameters,
messages and tools), then asks the platform's ``inference`` module to build the body. LiteLLM
does what it is good at there: provider resolution and the per-provider mapping and
transformation of the request body. Its heavy machinery (logging, callbacks, cost tracking,
price-list look-ups, its own HTTP clients) stays off the path: the body it builds is sent by
this library's transport, with this library's timeouts, retries and errors. Everything here is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openai_compatible_client import errors as E
from openai_compatible_client.config import ClientConfig
from openai_compatible_client.messages import prepare_messages, validate_tools
from openai_compatible_client.params import (
    CHAT_PARAMS,
    COMPLETION_PARAMS,
    EMBEDDING_PARAMS,
    check_params,
    not_given,
)
from openai_compatible_client.platforms import Platform
from openai_compatible_client.platforms.request import Prepared, Request, load_litellm

__all__ = ["Prepared", "chat_request", "completion_request", "embedding_request", "load_litellm"]


def _model(model: Any, config: ClientConfig, method: str) -> str:
    name = model if model is not None else config.model
    if not isinstance(name, str) or not name.strip():
        raise E.InvalidRequestError(
            f"{method}: model= is required (a non-empty string), or set ClientConfig.model"
        )
    if any(c in name for c in "\x00\r\n"):
        raise E.InvalidRequestError(f"{method}: model name {name!r} contains control characters")
    return name


def _stream_flags(given: dict[str, Any], stream: bool, method: str) -> bool:
    options = given.get("stream_options")
    if options is not None and not stream:
        raise E.InvalidRequestError(f"{method}: stream_options needs stream=True")
    return bool(stream and options and options.get("include_usage"))


def _check_stream(stream: Any, method: str) -> bool:
    if not_given(stream):
        return False
    if not isinstance(stream, bool):
        raise E.InvalidRequestError(f"{method}: stream must be true or false")
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
        raise E.InvalidRequestError(f"{method}: tool_choice needs tools=")
    request = Request(config, platform, method, name, streaming, include_usage, given)
    return platform.inference.chat(request, clean)


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
    checked = platform.inference.check_prompt(prompt, method)
    request = Request(config, platform, method, name, streaming, include_usage, given)
    return platform.inference.completion(request, checked)


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
    inference = platform.inference
    if messages is not None:
        if not inference.allows_embedding_messages():
            raise E.InvalidRequestError(
                f"{method}: messages= input is for vLLM's multimodal embedding models"
            )
        if input is not None:
            raise E.InvalidRequestError(f"{method}: pass input= or messages=, not both")
        messages = prepare_messages(messages, platform=platform.name, max_image_bytes=config.max_image_bytes)
    else:
        input = inference.check_embedding_input(input, method)
    return inference.embedding(Request(config, platform, method, name, given=given), input, messages)
