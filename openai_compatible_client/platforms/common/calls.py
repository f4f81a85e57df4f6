"""The JSON ``POST`` calls several platforms' native routes are made of (``/tokenize``, ``/detokenize``...).

vLLM and llama.cpp's server both serve ``/tokenize`` and ``/detokenize`` at the server root, with
their own request bodies: each platform names its request model and fields, and the call around
them is built here once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from openai_compatible_client.platforms.validation import build_body
from openai_compatible_client.transport.http import Call

__all__ = ["post_call", "request_call"]


def post_call(
    platform: str,
    path: str,
    body: Any,
    extra_headers: Mapping[str, str] | None,
    timeout: float | None,
    *,
    stream: bool = False,
) -> Call:
    """A ``POST`` of a JSON body; ``stream=True`` reads the answer as SSE events.

    >>> post_call("vllm", "/tokenize", {"prompt": "hi"}, None, None).endpoint
    'POST /tokenize'
    """
    return Call(
        platform,
        f"POST {path}",
        "POST",
        path,
        json=body,
        headers=dict(extra_headers) if extra_headers else None,
        timeout=timeout,
        framing="sse" if stream else "json",
    )


def request_call(
    platform: str,
    path: str,
    request: type[BaseModel],
    *,
    extra_body: Mapping[str, Any] | None,
    extra_headers: Mapping[str, str] | None,
    timeout: float | None,
    **fields: Any,
) -> Call:
    """A ``POST`` of ``fields`` checked by the platform's ``request`` model, with ``extra_body`` over them.

    The tokenizer routes of vLLM and llama.cpp are built with it (each with its own request model).
    """
    body = build_body(request, extra_body=extra_body, **fields)
    return post_call(platform, path, body, extra_headers, timeout)
