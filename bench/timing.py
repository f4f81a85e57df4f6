"""Timing loops: client CPU (``time.process_time``) and wall time, per call, per stream, per burst."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.cases import BURST, BURSTS, STREAM, Case
from bench.payloads import STREAM_CHUNKS

CONCURRENCY = BURSTS[BURST]

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


@dataclass(frozen=True)
class Batch:
    """How many samples to take: at least ``min_n``, then until ``seconds`` pass, at most ``max_n``."""

    min_n: int
    max_n: int
    seconds: float
    per_worker: int = 1  # bursts: sequential calls per concurrent worker

    def done(self, taken: int, started: float, now: float) -> bool:
        return taken >= self.max_n or (taken >= self.min_n and now - started >= self.seconds)


def _sync_calls(fn: Callable[[], Any], batch: Batch) -> dict[str, list[float]]:
    cpu, wall = [], []
    start = _wall()
    while True:
        c0, w0 = _cpu(), _wall()
        fn()
        w1, c1 = _wall(), _cpu()
        cpu.append(c1 - c0)
        wall.append(w1 - w0)
        if batch.done(len(cpu), start, w1):
            return {"cpu": cpu, "wall": wall}


async def _async_calls(fn: Callable[[], Any], batch: Batch) -> dict[str, list[float]]:
    cpu, wall = [], []
    start = _wall()
    while True:
        c0, w0 = _cpu(), _wall()
        await fn()
        w1, c1 = _wall(), _cpu()
        cpu.append(c1 - c0)
        wall.append(w1 - w0)
        if batch.done(len(cpu), start, w1):
            return {"cpu": cpu, "wall": wall}


def _sync_streams(fn: Callable[[], Any], batch: Batch) -> tuple[dict[str, list[float]], int]:
    cpu, ttfc, wall = [], [], []
    seen = 0
    start = _wall()
    while not batch.done(len(cpu), start, _wall()):
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


async def _async_streams(fn: Callable[[], Any], batch: Batch) -> tuple[dict[str, list[float]], int]:
    cpu, ttfc, wall = [], [], []
    seen = 0
    start = _wall()
    while not batch.done(len(cpu), start, _wall()):
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


async def _bursts(fn: Callable[[], Any], batch: Batch, concurrency: int) -> dict[str, list[float]]:
    """Bursts of ``concurrency`` workers, each making ``batch.per_worker`` sequential calls."""

    async def worker() -> None:
        for _ in range(batch.per_worker):
            await fn()

    # One untimed wave first: idle pooled connections expire between rounds (httpx keeps them 5 s),
    # and reopening 64 of them must not be billed to the client with the fewest bursts per turn.
    await asyncio.gather(*(fn() for _ in range(concurrency)))
    rps: list[float] = []
    cpu: list[float] = []
    total = concurrency * batch.per_worker
    start = _wall()
    while not batch.done(len(rps), start, _wall()):
        c0, w0 = _cpu(), _wall()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        w1, c1 = _wall(), _cpu()
        rps.append(total / (w1 - w0))
        cpu.append((c1 - c0) / total)
    return {"rps": rps, "cpu_per_req": cpu}


async def _drain(max_seconds: float = 0.2) -> None:
    """Let work a client deferred (LiteLLM's logging worker, callbacks) finish before the next case."""
    deadline = _wall() + max_seconds
    current = asyncio.current_task()
    while _wall() < deadline:
        pending = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        await asyncio.sleep(0.005)
        if len([t for t in asyncio.all_tasks() if t is not current and not t.done()]) >= len(pending):
            break


class Runner:
    """Runs cases; all async cases share one event loop, as they would in an application.

    One loop matters for LiteLLM: its logging worker is a process-wide singleton bound to one loop.
    After each async batch the loop is drained (untimed), so work a client defers to the loop is not
    billed to the next client.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)

    def close(self) -> None:
        for task in asyncio.all_tasks(self.loop):
            task.cancel()
        self.loop.run_until_complete(asyncio.sleep(0))
        self.loop.close()
        asyncio.set_event_loop(None)

    def one(self, case: Case) -> Any:
        """One untimed call's result (a stream as the list of its chunks), for checking."""
        assert case.fn is not None
        fn = case.fn
        if not case.is_async:
            out = fn()
            return list(out) if case.section == STREAM else out

        async def call() -> Any:
            out = await fn()
            return [chunk async for chunk in out] if case.section == STREAM else out

        result = self.loop.run_until_complete(call())
        self.loop.run_until_complete(_drain())
        return result

    def run(self, case: Case, batch: Batch) -> tuple[dict[str, list[float]], int]:
        """Take ``n`` timed samples of ``case``: the metric lists, and the chunks of the last stream."""
        assert case.fn is not None
        if not case.is_async:
            if case.section == STREAM:
                return _sync_streams(case.fn, batch)
            return _sync_calls(case.fn, batch), 0
        if case.section in BURSTS:
            result: tuple[dict[str, list[float]], int] = (
                self.loop.run_until_complete(_bursts(case.fn, batch, BURSTS[case.section])),
                0,
            )
        elif case.section == STREAM:
            result = self.loop.run_until_complete(_async_streams(case.fn, batch))
        else:
            result = self.loop.run_until_complete(_async_calls(case.fn, batch)), 0
        self.loop.run_until_complete(_drain())
        return result
