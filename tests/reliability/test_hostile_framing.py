"""Framing at its edges: truncation at every boundary, SSE fields and line ends, lying lengths,
broken chunked encoding, 1xx answers, HTTP/1.0 close-delimited bodies, reuse after a short body."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from openai_compatible_client import AsyncOpenAICompatibleClient, OpenAICompatibleClient
from openai_compatible_client import errors as E
from tests.support.hostile import (
    ANSWER_TIMEOUT,
    MESSAGES,
    Conn,
    HostileServer,
    chat_chunk,
    chat_json,
    chunked,
    ndjson,
    ours,
    response,
    sdk,
    sse,
)

ANSWER = json.dumps(chat_json("hello")).encode()
STREAM = {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked"}


def _raw(payload: bytes) -> HostileServer:
    """Answer every request with ``payload`` verbatim, then close."""

    def script(conn: Conn) -> None:
        if conn.read_request() is not None:
            conn.send(payload)

    return HostileServer(script)


# ------------------------------------------------------------------ truncation at every boundary

_SSE_BODY = sse(chat_chunk("hel"), chat_chunk("lo", "stop"))
_SSE_CUTS = {
    "inside data line": _SSE_BODY.index(b"hel") + 1,
    "after data line, before blank line": _SSE_BODY.index(b"\n") + 1,
    "after first event": _SSE_BODY.index(b"\n\n") + 2,
    "inside [DONE]": _SSE_BODY.index(b"[DONE]") + 3,
    "before [DONE]": _SSE_BODY.index(b"data: [DONE]"),
}


@pytest.mark.parametrize("cut", sorted(_SSE_CUTS))
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_sse_truncated_at_each_boundary_is_incomplete(mode: str, cut: str) -> None:
    body = _SSE_BODY[: _SSE_CUTS[cut]]
    with _raw(response(200, chunked([body], end=False), STREAM)) as server:
        mine = ours(mode, server.url, stream=True)
        theirs = sdk(mode, server.url, stream=True)
    assert isinstance(mine.error, E.IncompleteStreamError | E.APIResponseValidationError), repr(mine.error)
    # The SDK reports a stream cut before [DONE] as complete only when the cut hides it.
    assert theirs.error is not None or theirs.text is not None


_OLLAMA_LINES = ndjson(
    {"model": "m", "created_at": "t", "message": {"role": "assistant", "content": "hel"}, "done": False},
    {"model": "m", "created_at": "t", "message": {"role": "assistant", "content": ""}, "done": True},
)


@pytest.mark.parametrize("cut", ["inside first line", "after first line", "inside last line"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_ndjson_truncated_at_each_boundary_is_incomplete(mode: str, cut: str) -> None:
    first = _OLLAMA_LINES.index(b"\n") + 1
    at = {"inside first line": first // 2, "after first line": first, "inside last line": first + 20}[cut]
    headers = {"Content-Type": "application/x-ndjson", "Transfer-Encoding": "chunked"}
    with _raw(response(200, chunked([_OLLAMA_LINES[:at]]), headers)) as server:
        mine = ours(mode, server.url, stream=True, platform="ollama")
    assert isinstance(mine.error, E.IncompleteStreamError | E.APIResponseValidationError), repr(mine.error)


@pytest.mark.parametrize("cut", ["in headers", "in body", "before body"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_json_truncated_at_each_boundary_is_a_typed_error(mode: str, cut: str) -> None:
    whole = response(200, ANSWER)
    at = {"in headers": 20, "before body": len(whole) - len(ANSWER), "in body": len(whole) - 10}[cut]
    with _raw(whole[:at]) as server:
        mine = ours(mode, server.url, max_retries=1)
        requests = len(server.requests)
        theirs = sdk(mode, server.url, max_retries=1)
    if cut == "in headers":
        # http.client reads a cut inside the headers as their end (then an empty body, not JSON);
        # h11 calls it a broken connection (retried, as for a cut body).
        assert isinstance(mine.error, E.APIResponseValidationError | E.APIConnectionError), repr(mine.error)
        assert requests == (1 if isinstance(mine.error, E.APIResponseValidationError) else 2)
    else:
        assert isinstance(mine.error, E.APIConnectionError), repr(mine.error)
        assert requests == 2, "an idempotent call is retried once"
    assert theirs.error is not None


# ------------------------------------------------------------------ SSE fields and line ends


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_sse_fields_comments_and_line_ends(mode: str, line_end: bytes) -> None:
    events = [
        b": keep-alive comment",
        b"retry: 3000",
        b"id: 1",
        b"event: message",
        b"data: " + json.dumps(chat_chunk("hel")).encode(),
        b"",
        b"id: 2",
        b"data: " + json.dumps(chat_chunk("lo", "stop")).encode(),
        b"unknown-field: ignored",
        b"",
        b"data: [DONE]",
        b"",
        b"",
    ]
    body = line_end.join(events)
    pieces = [body[i : i + 5] for i in range(0, len(body), 5)]  # line ends split across chunks
    with _raw(response(200, chunked(pieces), STREAM)) as server:
        mine = ours(mode, server.url, stream=True)
        theirs = sdk(mode, server.url, stream=True)
    assert mine.error is None and mine.text == "hello", repr(mine.error)
    if line_end != b"\r":
        assert theirs.text == "hello"


# ------------------------------------------------------------------ lying lengths, broken chunks


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_content_length_longer_than_the_body(mode: str) -> None:
    with _raw(response(200, ANSWER, {"Content-Length": str(len(ANSWER) + 50)})) as server:
        mine = ours(mode, server.url)
        theirs = sdk(mode, server.url)
    assert isinstance(mine.error, E.APIConnectionError), repr(mine.error)
    assert theirs.error is not None


_EXCESS = {
    "junk": b"trailing junk",
    "junk lines": b"trailing\r\njunk\r\n\r\n",
    "a second answer": response(200, b'{"error": "not yours"}'),
}


@pytest.mark.parametrize("excess", sorted(_EXCESS))
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_content_length_shorter_than_the_body(mode: str, excess: str) -> None:
    payload = response(200, ANSWER + _EXCESS[excess], {"Content-Length": str(len(ANSWER))})
    with _raw(payload) as server:
        mine = ours(mode, server.url)
        theirs = sdk(mode, server.url)
    assert mine.error is None and mine.text == "hello", "the declared length is what is read"
    assert theirs.text == "hello"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_bytes_after_the_last_chunk_of_a_stream(mode: str) -> None:
    body = chunked([sse(chat_chunk("hel"), chat_chunk("lo", "stop"))]) + b"junk\r\n\r\n"
    with _raw(response(200, body, STREAM)) as server:
        mine = ours(mode, server.url, stream=True)
        theirs = sdk(mode, server.url, stream=True)
    assert mine.error is None and mine.text == "hello", repr(mine.error)
    assert theirs.text == "hello"


def test_a_connection_that_sent_more_than_its_answer_is_not_reused() -> None:
    """What follows the declared length is dropped with the connection: the next call gets a new one
    (the first one's server closes on the next request, as a stream out of step would fail it)."""
    excess = response(200, ANSWER + b"trailing\r\njunk\r\n\r\n", {"Content-Length": str(len(ANSWER))})
    connections = {"count": 0}

    def script(conn: Conn) -> None:
        connections["count"] += 1
        if connections["count"] == 1:
            if conn.read_request() is not None:
                conn.send(excess)
                conn.read_request()  # a reuse: closed unanswered
            return
        while conn.read_request() is not None:
            conn.send(response(200, ANSWER))

    async def go(url: str) -> list[str]:
        async with AsyncOpenAICompatibleClient(base_url=url, platform="vllm", max_retries=0) as client:
            texts = []
            for _ in range(2):
                reply = await client.chat.completions.create(model="m", messages=MESSAGES)  # type: ignore[arg-type]
                texts.append(str(reply.choices[0].message.content))
            return texts

    with HostileServer(script) as server:
        assert asyncio.run(go(server.url)) == ["hello", "hello"]
        assert connections["count"] == 2


@pytest.mark.parametrize(
    "broken",
    [b"zz\r\n{}\r\n0\r\n\r\n", b'5\r\n{"a":1}\r\n0\r\n\r\n', b"ff\r\n{}"],
    ids=["bad size", "size too small", "cut chunk"],
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_broken_chunked_encoding_is_a_typed_error(mode: str, broken: bytes) -> None:
    payload = response(200, broken, {"Transfer-Encoding": "chunked"})
    with _raw(payload) as server:
        mine = ours(mode, server.url)
        theirs = sdk(mode, server.url)
    assert isinstance(mine.error, E.APIConnectionError | E.APIResponseValidationError), repr(mine.error)
    assert type(mine.error).__module__ == E.__name__
    assert theirs.error is not None


# ------------------------------------------------------------------ 1xx, HTTP/1.0, reuse


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_informational_answers_before_the_real_one(mode: str) -> None:
    early = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n"
    with _raw(early + response(200, ANSWER)) as server:
        mine = ours(mode, server.url)
        theirs = sdk(mode, server.url)
    assert mine.error is None and mine.text == "hello", repr(mine.error)
    assert theirs.text == "hello"


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_http10_close_delimited_body(mode: str, stream: bool) -> None:
    body = _SSE_BODY if stream else ANSWER
    kind = "text/event-stream" if stream else "application/json"
    payload = response(200, body, {"Content-Type": kind}, version="HTTP/1.0", length=False)
    with _raw(payload) as server:
        mine = ours(mode, server.url, stream=stream)
        theirs = sdk(mode, server.url, stream=stream)
    assert mine.error is None and mine.text == "hello", repr(mine.error)
    assert theirs.text == "hello"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_connection_reuse_after_a_short_body(mode: str) -> None:
    """An empty 200 (``Content-Length: 0``) leaves a reusable connection; the next call gets its answer."""
    answers = [response(200, b"", {"Content-Length": "0"}), response(200, ANSWER)]

    def script(conn: Conn) -> None:
        for answer in answers:
            if conn.read_request() is None:
                return
            conn.send(answer)

    options: dict[str, Any] = {
        "base_url": "",
        "platform": "vllm",
        "timeout": ANSWER_TIMEOUT,
        "max_retries": 0,
    }
    with HostileServer(script) as server:
        options["base_url"] = server.url
        if mode == "sync":
            with OpenAICompatibleClient(**options) as client:
                first: Any = None
                try:
                    client.chat.completions.create(model="m", messages=MESSAGES)
                except E.APIResponseValidationError as exc:
                    first = exc
                second = client.chat.completions.create(model="m", messages=MESSAGES)
        else:

            async def go() -> tuple[Any, Any]:
                async with AsyncOpenAICompatibleClient(**options) as client:
                    failed: Any = None
                    try:
                        await client.chat.completions.create(model="m", messages=MESSAGES)
                    except E.APIResponseValidationError as exc:
                        failed = exc
                    return failed, await client.chat.completions.create(model="m", messages=MESSAGES)

            first, second = asyncio.run(go())
        assert server.connections == 1, "the same connection served both"
    assert isinstance(first, E.APIResponseValidationError)
    assert second.choices[0].message.content == "hello"
