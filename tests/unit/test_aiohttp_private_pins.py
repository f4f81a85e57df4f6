"""Pins on the aiohttp internals the async pool (``transport/aio_pool.py``) relies on.

aiohttp has no public route for these; each test asserts that the private name still exists with
the meaning the client relies on, and says what breaks in the client if it does not. When one
fails after an aiohttp upgrade, adapt ``aio_pool.py`` (or drop the workaround if aiohttp grew a
public way) before widening the ``aiohttp`` bound in ``pyproject.toml``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import re
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import base_protocol, client_proto
from aiohttp.client_proto import ResponseHandler
from aiohttp.streams import StreamReader

from openai_compatible_client.transport import aio_pool

pytestmark = pytest.mark.unit


@pytest.fixture()
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        loop.close()


class _Recorder:
    """A stand-in parser: records what the protocol feeds it."""

    def __init__(self) -> None:
        self.fed: list[bytes] = []

    def feed_data(self, data: bytes) -> tuple[list[Any], bool, bytes]:
        self.fed.append(data)
        return [], False, b""


def test_client_session_retry_connection_turns_off_aiohttps_resend(loop: asyncio.AbstractEventLoop) -> None:
    async def make() -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    session = loop.run_until_complete(make())
    try:
        what_breaks = (
            "aiohttp changed ClientSession._retry_connection: Sessions._new_pool can no longer turn off "
            "aiohttp's own resend of a GET on a dead pooled connection, so a call may reach the server "
            "twice behind the retry policy's back (see test_stale_pooled_connection_an_async_get_reaches_"
            "the_server_once_per_attempt in tests/reliability/test_hostile_classification.py)"
        )
        assert getattr(session, "_retry_connection", None) is True, what_breaks
        assert "_retry_connection" in aiohttp.ClientSession.ATTRS, what_breaks  # settable, no warning
        assert "self._retry_connection" in inspect.getsource(aiohttp.ClientSession._request), what_breaks
    finally:
        loop.run_until_complete(session.close())


def test_stream_reader_read_nowait_returns_the_bytes_buffered_before_a_failure(
    loop: asyncio.AbstractEventLoop,
) -> None:
    protocol = ResponseHandler(loop)
    stream = StreamReader(protocol, 2**16, loop=loop)
    stream.feed_data(b"data: one\n\n")
    stream.feed_data(b"data: two\n\n")
    stream.set_exception(aiohttp.ClientPayloadError("cut"))
    what_breaks = (
        "aiohttp changed StreamReader._read_nowait(-1): _Chunks can no longer deliver the bytes that "
        "came before a broken connection, so a stream cut after some events loses them"
    )
    with pytest.raises(aiohttp.ClientPayloadError):  # why the private read is needed at all
        stream.read_nowait(-1)
    assert stream._read_nowait(-1) == b"data: one\n\ndata: two\n\n", what_breaks
    assert stream._read_nowait(-1) == b"", what_breaks


def test_tcp_connector_makes_its_connections_with_its_factory(loop: asyncio.AbstractEventLoop) -> None:
    what_breaks = (
        "aiohttp changed TCPConnector._factory (the protocol factory of its connections): _Connector "
        "can no longer give its connections the _Handler protocol, so answers longer than their "
        "Content-Length fail (test_content_length_shorter_than_the_body in "
        "tests/reliability/test_hostile_framing.py)"
    )

    async def make() -> tuple[aiohttp.TCPConnector, aiohttp.TCPConnector]:
        return aiohttp.TCPConnector(), aio_pool._Connector(asyncio.get_running_loop())

    theirs, ours = loop.run_until_complete(make())
    try:
        factory = getattr(theirs, "_factory", None)
        assert isinstance(factory, functools.partial) and factory.func is ResponseHandler, what_breaks
        assert "self._factory" in inspect.getsource(aiohttp.TCPConnector), what_breaks
        assert isinstance(ours._factory(), aio_pool._Handler), what_breaks
    finally:
        loop.run_until_complete(theirs.close())
        loop.run_until_complete(ours.close())


def test_response_handler_feeds_its_parser_and_keeps_early_bytes_in_its_tail(
    loop: asyncio.AbstractEventLoop,
) -> None:
    what_breaks = (
        "aiohttp changed ResponseHandler._parser / _tail: _Handler.set_response_params can no longer "
        "put its _Parser in place of aiohttp's, or loses the bytes that came before it"
    )
    protocol = ResponseHandler(loop)
    protocol.data_received(b"HTTP/1.1 200 OK\r\n")  # no parser yet: kept
    assert protocol._tail == b"HTTP/1.1 200 OK\r\n", what_breaks
    recorder = _Recorder()
    protocol._parser = recorder
    protocol.data_received(b"Content-Length: 0\r\n\r\n")
    assert recorder.fed == [b"Content-Length: 0\r\n\r\n"], what_breaks
    protocol.set_response_params()
    assert protocol._parser is not recorder, what_breaks  # set_response_params puts a new parser in place
    assert protocol._tail == b"", what_breaks  # and gives it the bytes kept


def test_handler_reads_an_answer_that_came_before_its_parser(loop: asyncio.AbstractEventLoop) -> None:
    """_Handler on the installed aiohttp, end to end: the early bytes reach its _Parser."""
    handler = aio_pool._Handler(loop)
    handler.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
    handler.set_response_params()
    assert isinstance(handler._parser, aio_pool._Parser)
    handler.data_received(b"ok")

    async def read() -> tuple[int, bytes]:
        message, payload = await handler.read()
        return message.code, await payload.read()

    assert loop.run_until_complete(read()) == (200, b"ok"), (
        "_Handler.set_response_params no longer hands the bytes that came before the parser to "
        "_Parser: an answer that arrives before aiohttp sets the parser up is lost"
    )


def test_a_protocols_parser_is_only_fed_ended_and_paused() -> None:
    """_Parser stands in for aiohttp's parser with these three methods alone."""
    called = set()
    for module in (base_protocol, client_proto):
        called |= set(re.findall(r"self\._parser\.(\w+)", inspect.getsource(module)))
    assert called <= set(dir(aio_pool._Parser)) and called >= {"feed_data", "feed_eof"}, (
        f"aiohttp's protocol now calls {sorted(called)} on its _parser: _Parser, which wraps the C "
        "parser, lacks some of them, so reading an answer fails with AttributeError"
    )


def test_client_session_close_on_a_closed_loop_ends_without_waiting() -> None:
    """Not a private name, but a behaviour _abandon relies on: it runs close() to its end at once."""
    loop = asyncio.new_event_loop()

    async def make() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=aiohttp.ThreadedResolver()))

    session = loop.run_until_complete(make())
    loop.close()
    closing = session.close()
    ended = False
    try:
        for _ in range(8):  # a bare yield (aiohttp's "let the loop run once") is passed, as _abandon does
            if closing.send(None) is not None:
                break
    except StopIteration:
        ended = True
    finally:
        closing.close()
    assert ended and session.closed, (
        "ClientSession.close() on a closed loop now waits for something: _abandon can no longer mark "
        "the session of a closed loop closed, and aiohttp logs it unclosed when it is collected"
    )


def test_a_connectors_close_waits_only_for_its_protocols_closed(loop: asyncio.AbstractEventLoop) -> None:
    """Not a private name, but a behaviour _Handler.closed relies on: it keeps a session closed on
    a loop that is not running from leaving a task on that loop."""
    what_breaks = (
        "aiohttp's connector close no longer learns from each protocol's `closed` alone what to wait "
        "for: _Handler.closed can no longer keep a client dropped unclosed while its loop idles from "
        "leaving a task there, and asyncio logs 'Task was destroyed but it is pending!' when that loop "
        "closes without running again (test_a_client_dropped_while_its_loop_idles_which_then_closes_"
        "unrun_logs_nothing in tests/reliability/test_async_pool.py)"
    )
    source = inspect.getsource(aiohttp.BaseConnector._close)
    assert re.findall(r"waiters\.append\((\w+)\)", source) == ["closed", "closed"], what_breaks
    assert source.count("closed := proto.closed") == 2, what_breaks
    assert isinstance(inspect.getattr_static(ResponseHandler, "closed"), property), what_breaks
    assert aio_pool._Handler(loop).closed is None, what_breaks  # loop not running
