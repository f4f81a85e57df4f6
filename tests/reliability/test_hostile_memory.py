"""One huge stream line costs at most about twice its size (its bytes, then its text)."""

from __future__ import annotations

import json
import tracemalloc

import pytest

from tests.support.hostile import Conn, HostileServer, chat_chunk, chunked, ndjson, ours, response, sse

SIZE = 24 * 1024 * 1024


def _wire(platform: str) -> bytes:
    text = "a" * SIZE
    if platform == "vllm":
        body = sse(chat_chunk(text, "stop"))
        kind = "text/event-stream"
    else:
        base = {"model": "m", "created_at": "2024-01-01T00:00:00Z"}
        body = ndjson(
            {**base, "message": {"role": "assistant", "content": text}, "done": False},
            {**base, "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop"},
        )
        kind = "application/x-ndjson"
    return response(200, chunked([body]), {"Content-Type": kind, "Transfer-Encoding": "chunked"})


@pytest.mark.parametrize("platform", ["vllm", "ollama"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_huge_line_costs_at_most_twice_its_size(mode: str, platform: str) -> None:
    wire = _wire(platform)  # built before measuring: the server only sends these bytes

    def script(conn: Conn) -> None:
        if conn.read_request() is not None:
            conn.send(wire)

    ours(mode, "http://127.0.0.1:9", max_retries=0, timeout=1)  # warm imports outside the measure
    with HostileServer(script) as server:
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            outcome = ours(mode, server.url, stream=True, timeout=30, platform=platform)
            peak = tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()
    assert outcome.error is None, repr(outcome.error)
    assert outcome.text is not None and len(outcome.text) == SIZE
    ratio = peak / SIZE
    print(json.dumps({"mode": mode, "platform": platform, "peak_ratio": round(ratio, 2)}))
    assert ratio <= 2.3, f"peak {peak / 2**20:.0f} MiB for a {SIZE / 2**20:.0f} MiB line ({ratio:.2f}x)"
