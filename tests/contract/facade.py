"""Run one facade call through the sync or the async client, so one test body covers both."""

from __future__ import annotations

import asyncio
from typing import Any

from openai_compatible_client import AsyncOpenAICompatibleClient, OpenAICompatibleClient


def _method(client: Any, path: str) -> Any:
    target = client
    for part in path.split("."):
        target = getattr(target, part)
    return target


def invoke(
    mode: str,
    base_url: str,
    platform: str,
    path: str,
    client_args: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Call ``client.<path>(**kwargs)``; a stream is read to the end and returned as a list."""
    settings = {"max_retries": 0, **(client_args or {})}
    if mode == "sync":
        with OpenAICompatibleClient(base_url=base_url, platform=platform, **settings) as client:
            result = _method(client, path)(**kwargs)
            return list(result) if kwargs.get("stream") else result

    async def run() -> Any:
        async with AsyncOpenAICompatibleClient(base_url=base_url, platform=platform, **settings) as client:
            result = await _method(client, path)(**kwargs)
            if kwargs.get("stream"):
                return [item async for item in result]
            return result

    return asyncio.run(run())


def run_with(mode: str, base_url: str, body: Any, **settings: Any) -> Any:
    """Run ``body(client)`` with a sync client, or ``await body(client)`` with an async one."""
    if mode == "sync":
        with OpenAICompatibleClient(base_url=base_url, **settings) as client:
            return body(client)

    async def go() -> Any:
        async with AsyncOpenAICompatibleClient(base_url=base_url, **settings) as client:
            return await body(client)

    return asyncio.run(go())
