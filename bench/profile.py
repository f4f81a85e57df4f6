"""Profile the facade's hot paths against the benchmark server: ``python -m bench.profile``.

Prints, for each path (non-streaming chat, streaming chat, async chat, per platform), the
functions with the most own time and the most cumulative time under ``cProfile``, after a
warm-up. Use ``--path`` to pick one path and ``--top`` for the length of the lists.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from bench.cases import API_KEY, MESSAGES, prepare_litellm
from bench.payloads import CHAT_MODEL
from bench.run import Server

PATHS = ("chat", "stream", "async", "async64", "async256")


def _workload(url: str, platform: str, path: str) -> tuple[Callable[[], Any], int]:
    from openai_compatible_client import AsyncOpenAICompatibleClient, OpenAICompatibleClient

    base = url + "/v1" if platform == "vllm" else url
    if path == "chat":
        create = OpenAICompatibleClient(
            base_url=base, platform=platform, api_key=API_KEY
        ).chat.completions.create
        return lambda: create(model=CHAT_MODEL, messages=MESSAGES), 3000
    if path == "stream":
        create = OpenAICompatibleClient(
            base_url=base, platform=platform, api_key=API_KEY
        ).chat.completions.create
        return lambda: sum(1 for _ in create(model=CHAT_MODEL, messages=MESSAGES, stream=True)), 100
    acreate = AsyncOpenAICompatibleClient(
        base_url=base, platform=platform, api_key=API_KEY
    ).chat.completions.create
    loop = asyncio.new_event_loop()

    workers = int(path.removeprefix("async") or 1)  # "async": one; "async64": 64 concurrent

    async def worker() -> None:
        for _ in range(50 // workers or 2):
            await acreate(model=CHAT_MODEL, messages=MESSAGES)

    async def many() -> None:
        await asyncio.gather(*(worker() for _ in range(workers)))

    return lambda: loop.run_until_complete(many()), 60 if workers == 1 else 8


def profile(url: str, platform: str, path: str, top: int) -> str:
    fn, n = _workload(url, platform, path)
    for _ in range(max(n // 10, 5)):
        fn()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        fn()
    prof.disable()
    out = io.StringIO()
    workers = int(path.removeprefix("async") or 1) if path.startswith("async") else 0
    calls = n * (50 if workers == 1 else workers * 2 if workers else 1)
    out.write(
        f"== {platform} {path}: {calls} calls, unprofiled {cpu / calls * 1e3:.3f} ms CPU/call "
        f"({wall / calls * 1e3:.3f} ms wall)\n"
    )
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--path", choices=PATHS, action="append", help="default: all")
    parser.add_argument("--platform", choices=("vllm", "ollama"), action="append", help="default: both")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    prepare_litellm()
    server = Server(cpu=None)
    try:
        for platform in args.platform or ("vllm", "ollama"):
            for path in args.path or PATHS:
                sys.stdout.write(profile(server.url, platform, path, args.top))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
