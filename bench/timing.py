"""Timing loops: client CPU (``time.process_time``) and wall time, per call, per stream, per burst."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.cases import BURST, STREAM, Case
from bench.payloads import STREAM_CHUNKS

CONCURRENCY = 64

_cpu = time.process_time
_wall = time.perf_counter


@dataclass
class Samples:
    """Per-sample figures of one case, in seconds (``rps`` in requests per second)."""

    metrics: dict[str, list[float]] = field(default_factory=dict)
    rounds: list[dict[str, float]] = field(default_factory=list)
    chunks_seen: int = 0
    error: str | None = None

    def add(self, name: str, values: list[float]) -> None:
        self.metrics.setdefault(name, []).extend(values)


def _sync_calls(fn: Callable[[], Any], n: int) -> dict[str, list[float]]:
    cpu, wall = [], []
    for _ in range(n):
        c0, w0 = _cpu(), _wall()
        fn()
        w1, c1 = _wall(), _cpu()
        cpu.append(c1 - c0)
        wall.append(w1 - w0)
    return {"cpu": cpu, "wall": wall}


async def _async_calls(fn: Callable[[], Any], n: int) -> dict[str, list[float]]:
    cpu, wall = [], []
    for _ in range(n):
        c0, w0 = _cpu(), _wall()
        await fn()
        w1, c1 = _wall(), _cpu()
        cpu.append(c1 - c0)
        wall.append(w1 - w0)
    return {"cpu": cpu, "wall": wall}


def _sync_streams(fn: Callable[[], Any], n: int) -> tuple[dict[str, list[float]], int]:
    cpu, ttfc, wall = [], [], []
    seen = 0
    for _ in range(n):
        c0, w0 = _cpu(), _wall()
        first = 0.0
        count = 0
        for _chunk in fn():
            if count == 0:
                first = _wall()
            count += 1
        w1, c1 = _wall(), _cpu()
        cpu.append((c1 - c0) / STREAM_CHUNKS)
        ttfc.append(first - w0)
        wall.append(w1 - w0)
        seen = count
    return {"cpu_per_chunk": cpu, "ttfc": ttfc, "wall": wall}, seen


async def _async_streams(fn: Callable[[], Any], n: int) -> tuple[dict[str, list[float]], int]:
    cpu, ttfc, wall = [], [], []
    seen = 0
    for _ in range(n):
        c0, w0 = _cpu(), _wall()
        first = 0.0
        count = 0
        async for _chunk in await fn():
            if count == 0:
                first = _wall()
            count += 1
        w1, c1 = _wall(), _cpu()
        cpu.append((c1 - c0) / STREAM_CHUNKS)
        ttfc.append(first - w0)
        wall.append(w1 - w0)
        seen = count
    return {"cpu_per_chunk": cpu, "ttfc": ttfc, "wall": wall}, seen


async def _bursts(fn: Callable[[], Any], n: int, per_worker: int) -> dict[str, list[float]]:
    """``n`` bursts of CONCURRENCY workers, each making ``per_worker`` sequential calls."""

    async def worker() -> None:
        for _ in range(per_worker):
            await fn()

    rps, cpu = [], []
    total = CONCURRENCY * per_worker
    for _ in range(n):
        c0, w0 = _cpu(), _wall()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        w1, c1 = _wall(), _cpu()
        rps.append(total / (w1 - w0))
        cpu.append((c1 - c0) / total)
    return {"rps": rps, "cpu_per_req": cpu}


class Runner:
    """Runs cases; each async case has its own persistent event loop.

    A loop per case keeps the pools of async clients alive across rounds, and keeps a client's
    background tasks (LiteLLM's logging worker drains its queue whenever the loop runs) from being
    billed to another client.
    """

    def __init__(self) -> None:
        self._loops: dict[str, asyncio.AbstractEventLoop] = {}

    def _loop(self, case: Case) -> asyncio.AbstractEventLoop:
        loop = self._loops.get(case.key)
        if loop is None:
            loop = self._loops[case.key] = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        return loop

    def close(self) -> None:
        for loop in self._loops.values():
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()
        asyncio.set_event_loop(None)

    def run(self, case: Case, n: int, per_worker: int = 1) -> tuple[dict[str, list[float]], int]:
        """Take ``n`` timed samples of ``case``: the metric lists, and the chunks of the last stream."""
        assert case.fn is not None
        if case.section == BURST:
            return self._loop(case).run_until_complete(_bursts(case.fn, n, per_worker)), 0
        if case.section == STREAM:
            if case.is_async:
                return self._loop(case).run_until_complete(_async_streams(case.fn, n))
            return _sync_streams(case.fn, n)
        if case.is_async:
            return self._loop(case).run_until_complete(_async_calls(case.fn, n)), 0
        return _sync_calls(case.fn, n), 0
