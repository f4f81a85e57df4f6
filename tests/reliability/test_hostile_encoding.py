"""Compressed answers: gzip and deflate, plain and streamed, on both transports, against the SDK."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from openai_compatible_client import errors as E
from tests.support.hostile import (
    Conn,
    HostileServer,
    chat_chunk,
    chat_json,
    chunked,
    deflated,
    gzipped,
    ours,
    response,
    sdk,
    sse,
)

CODECS: dict[str, Callable[[bytes], bytes]] = {"gzip": gzipped, "deflate": deflated}


def _compressed_server(codec: str, stream: bool, seen: list[str]) -> Callable[[Conn], None]:
    def script(conn: Conn) -> None:
        request = conn.read_request()
        if request is None:
            return
        seen.append(request.header("accept-encoding") or "")
        if stream:
            body = CODECS[codec](sse(chat_chunk("hel"), chat_chunk("lo", "stop")))
            headers = {"Content-Type": "text/event-stream", "Content-Encoding": codec}
            # Compressed bytes split over several chunks, as a proxy that compresses on the fly sends them.
            pieces = [body[i : i + 7] for i in range(0, len(body), 7)]
            conn.send(response(200, chunked(pieces), {**headers, "Transfer-Encoding": "chunked"}))
        else:
            body = CODECS[codec](json.dumps(chat_json("hello")).encode())
            conn.send(response(200, body, {"Content-Encoding": codec}))

    return script


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("codec", sorted(CODECS))
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_compressed_answers_are_decoded(mode: str, codec: str, stream: bool) -> None:
    seen: list[str] = []
    with HostileServer(_compressed_server(codec, stream, seen)) as server:
        mine = ours(mode, server.url, stream=stream)
        theirs = sdk(mode, server.url, stream=stream)
    assert mine.error is None, repr(mine.error)
    assert mine.text == "hello"
    assert theirs.text == "hello", "the SDK decodes it too"
    # Only what both transports decode with the standard library is asked for.
    assert seen[0] == "gzip, deflate"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_corrupt_gzip_is_a_validation_error_not_retried(mode: str) -> None:
    def script(conn: Conn) -> None:
        if conn.read_request() is not None:
            conn.send(response(200, b"\x1f\x8b\x08\x00garbage-not-gzip", {"Content-Encoding": "gzip"}))

    with HostileServer(script) as server:
        mine = ours(mode, server.url, max_retries=2)
        requests = len(server.requests)
        theirs = sdk(mode, server.url, max_retries=2)
    assert isinstance(mine.error, E.APIResponseValidationError), repr(mine.error)
    assert requests == 1, "an undecodable body is not re-requested"
    assert theirs.error is not None
