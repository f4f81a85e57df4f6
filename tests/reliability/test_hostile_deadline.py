"""``timeout`` is a deadline for a non-streamed answer (status line and headers included) and a
bound on each read of a stream: a server trickling bytes cannot hold a call past it."""

from __future__ import annotations

import json

import pytest

from openai_compatible_client import errors as E
from tests.reliability.conftest import LOADED_SLACK
from tests.support.hostile import (
    Conn,
    HostileServer,
    chat_chunk,
    chat_json,
    chunked,
    ours,
    response,
    sdk,
    sse,
)

TIMEOUT = 1.0
GAP = 0.05  # one byte every GAP seconds: every single read is quick
TRICKLE = 15 * TIMEOUT  # every trickle lasts at least this, far beyond TIMEOUT + LOADED_SLACK


def _trickled(payload: bytes) -> HostileServer:
    def script(conn: Conn) -> None:
        if conn.read_request() is not None:
            conn.trickle(payload, GAP)

    return HostileServer(script)


def _chat_answer() -> bytes:
    return response(200, json.dumps(chat_json("hello")).encode(), {"Server": "x" * 260})


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_status_line_and_headers_trickled_byte_by_byte_hit_the_deadline(mode: str) -> None:
    payload = _chat_answer()
    assert len(payload) * GAP > TRICKLE, "the trickle outlasts the deadline by far"
    with _trickled(payload) as server:
        mine = ours(mode, server.url, timeout=TIMEOUT)
        theirs = sdk(mode, server.url, timeout=TIMEOUT)
    assert isinstance(mine.error, E.APITimeoutError), repr(mine.error)
    assert mine.elapsed < TIMEOUT + LOADED_SLACK, f"{mine.elapsed:.2f} s"
    # The SDK's timeout is per read: it waits for the whole trickle.
    assert theirs.elapsed > mine.elapsed


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_stream_headers_trickled_hit_the_deadline(mode: str) -> None:
    body = chunked([sse(chat_chunk("hel"), chat_chunk("lo", "stop"))])
    headers = {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked", "Server": "x" * 320}
    payload = response(200, body, headers)
    head = len(payload) - len(body)
    assert head * GAP > TRICKLE
    with _trickled(payload) as server:
        mine = ours(mode, server.url, stream=True, timeout=TIMEOUT)
    assert isinstance(mine.error, E.APITimeoutError), repr(mine.error)
    assert mine.elapsed < TIMEOUT + LOADED_SLACK, f"{mine.elapsed:.2f} s"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_stream_delivered_byte_by_byte_is_read_whole(mode: str) -> None:
    """Per-read bound for streams: a slow but steady stream is not cut, however long it takes."""
    body = chunked([sse(chat_chunk("hel"), chat_chunk("lo", "stop"))])
    payload = response(200, body, {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked"})

    # The per-read bound is the tier's loaded-machine slack, so that a server thread starved on a
    # loaded machine is not taken for a stall (1 s, then 1.5 s, were, for ours and for the SDK), and
    # the bytes are spaced so that the whole stream lasts half as long again as that bound.
    read_bound = LOADED_SLACK
    gap = 1.5 * read_bound / len(body)

    def script(conn: Conn) -> None:
        if conn.read_request() is not None:
            head = len(payload) - len(body)
            conn.send(payload[:head])
            conn.trickle(payload[head:], gap)

    with HostileServer(script) as server:
        mine = ours(mode, server.url, stream=True, timeout=read_bound)
        theirs = sdk(mode, server.url, stream=True, timeout=read_bound)
    assert mine.error is None and mine.text == "hello", repr(mine.error)
    assert mine.elapsed > read_bound, "the stream outlasted the timeout, and was read whole"
    assert theirs.text == "hello"
