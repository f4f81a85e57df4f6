"""Load and soak: many requests through the async facade, 1 % of them disturbed on the way.

The fault proxy (``tests/support/faults.py`` in proxy mode) sits in front of the bundled
reference server, relays every request and disturbs every 100th one (503, a body cut
mid-way, 500, 429). Every request must end answered correctly or with a typed
error; the proxy counts, per prompt, the requests that reached the server (none lost, none
twice); memory stays flat after warm-up and sockets do not pile up.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from openai_compatible_client import AsyncOpenAICompatibleClient
from openai_compatible_client import errors as E
from tests.reliability.conftest import open_fds
from tests.support.faults import FaultServer
from tests.support.reference import start_reference_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

REQUESTS = int(os.environ.get("SOAK_REQUESTS", "20000"))
CONCURRENCY = 128
FAULT_EVERY = 100
TIME_BUDGET = 140.0  # seconds: no new request starts after this (whole test < 3 minutes)
WARM_UP = 2000
MODEL = "reference-chat"
NOTES = os.environ.get("SOAK_NOTES")  # a file to append the figures to, if set


def _rss_kb(field: str = "VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


async def _soak(url: str) -> dict[str, Any]:
    outcomes: dict[int, str] = {}
    errors: Counter[str] = Counter()
    started = time.monotonic()
    issued = 0
    figures: dict[str, Any] = {"sockets_before": len(open_fds())}
    client = AsyncOpenAICompatibleClient(
        base_url=url, platform="vllm", max_retries=2, timeout=30.0, pool_maxsize=CONCURRENCY
    )
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(REQUESTS):
        queue.put_nowait(number)

    async def one(number: int) -> None:
        text = f"soak {number}"
        try:
            answer = await client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": text}], max_tokens=16
            )
        except E.OpenAICompatibleError as exc:
            errors[type(exc).__name__] += 1
            outcomes[number] = "error"
            return
        content = answer.choices[0].message.content
        outcomes[number] = "ok" if content == f"You said: {text}" else f"wrong: {content!r}"

    async def worker() -> None:
        nonlocal issued
        while time.monotonic() - started < TIME_BUDGET:
            try:
                number = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            issued += 1
            await one(number)
            if len(outcomes) == WARM_UP:
                gc.collect()
                figures["rss_after_warm_up_kb"] = _rss_kb()
                figures["sockets_after_warm_up"] = len(open_fds())

    try:
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        figures["sockets_open_at_end"] = len(open_fds())
    finally:
        await client.close()
    gc.collect()
    figures.update(
        seconds=round(time.monotonic() - started, 1),
        issued=issued,
        outcomes=outcomes,
        errors=dict(errors),
        rss_end_kb=_rss_kb(),
        peak_rss_kb=_rss_kb("VmHWM"),
        sockets_after_close=len(open_fds()),
    )
    return figures


def test_soak_async_facade_with_faults() -> None:
    reference = start_reference_server("vllm", models=[MODEL])
    proxy = FaultServer.start(upstream=reference.base_url, fault_every=FAULT_EVERY)
    try:
        figures = asyncio.run(_soak(proxy.url))
        stats = proxy.stats()
    finally:
        proxy.stop()
        reference.stop()

    outcomes: dict[int, str] = figures.pop("outcomes")
    forwarded: dict[str, int] = stats["forwarded"]
    issued = figures["issued"]
    lost = [n for n in range(issued) if n not in outcomes]
    wrong = {n: o for n, o in outcomes.items() if o not in ("ok", "error")}
    answered_not_seen = [
        n for n, o in outcomes.items() if o == "ok" and forwarded.get(f"You said: soak {n}") != 1
    ]
    duplicated = [text for text, count in forwarded.items() if count > 1]
    report = {
        "requests": issued,
        "answered": sum(1 for o in outcomes.values() if o == "ok"),
        "faults injected": sum(stats["faults"].values()),
        "faults by kind": stats["faults"],
        "errors by type": figures["errors"],
        "lost": len(lost),
        "wrong answers": len(wrong),
        "duplicated at the server": len(duplicated),
        "seconds": figures["seconds"],
        "requests/s": round(issued / max(figures["seconds"], 0.001)),
        "peak RSS MB": round(figures["peak_rss_kb"] / 1024, 1),
        "RSS after warm-up MB": round(figures.get("rss_after_warm_up_kb", 0) / 1024, 1),
        "RSS at end MB": round(figures["rss_end_kb"] / 1024, 1),
        "sockets before / after warm-up / at end / after close": (
            f"{figures['sockets_before']} / {figures.get('sockets_after_warm_up')} / "
            f"{figures['sockets_open_at_end']} / {figures['sockets_after_close']}"
        ),
    }
    text = "\n".join(f"- {key}: {value}" for key, value in report.items())
    print("\nsoak figures\n" + text)
    if NOTES:
        with open(NOTES, "a", encoding="utf-8") as notes:
            notes.write(f"\n## soak run {time.strftime('%Y-%m-%d %H:%M:%S')}\n{text}\n")

    assert issued == REQUESTS or figures["seconds"] >= TIME_BUDGET, "bounded by count or by time"
    assert not lost and not wrong, (lost[:5], list(wrong.items())[:5])
    assert not answered_not_seen, answered_not_seen[:5]
    assert not duplicated, duplicated[:5]
    assert sum(stats["faults"].values()) >= issued // FAULT_EVERY - 1
    # Memory is flat after warm-up: less than 15 % (plus a little slack) over the warm-up mark.
    if "rss_after_warm_up_kb" in figures:
        assert figures["rss_end_kb"] < figures["rss_after_warm_up_kb"] * 1.15 + 20_000
    # No socket pile-up: the pool holds at most one connection per concurrent request.
    assert figures["sockets_open_at_end"] <= figures["sockets_before"] + CONCURRENCY
    assert figures["sockets_after_close"] <= figures["sockets_before"]
