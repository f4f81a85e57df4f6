"""The one failure table, exercised: what may be resent after which transport failure."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from openai_compatible_client import errors as E
from openai_compatible_client.transport import AsyncTransport, Call, RetryPolicy, Transport, TransportSettings
from tests.support.hostile import ANSWER_TIMEOUT, Conn, HostileServer, response

PULL = Call(
    "ollama",
    "POST /api/pull",
    "POST",
    "/api/pull",
    json={"model": "m", "stream": False},
    idempotent=False,
)
SHOW = Call("ollama", "POST /api/show", "POST", "/api/show", json={"model": "m"})
TAGS = Call("ollama", "GET /api/tags", "GET", "/api/tags")
OK = json.dumps({"status": "success"}).encode()


def _settings(url: str, **options: Any) -> TransportSettings:
    values: dict[str, Any] = {
        "timeout": ANSWER_TIMEOUT,
        "connect_timeout": ANSWER_TIMEOUT,
        "retry": RetryPolicy(max_retries=1),
    }
    values.update(options)
    return TransportSettings(root_url=url, platform="ollama", **values)


def _send(mode: str, settings: TransportSettings, calls: list[Call]) -> list[Any]:
    """Send ``calls`` in order on one transport; each result is a reply's JSON or the error."""
    results: list[Any] = []
    if mode == "sync":
        transport = Transport(settings)
        try:
            for call in calls:
                try:
                    results.append(transport.send(call).json())
                except E.OpenAICompatibleError as exc:
                    results.append(exc)
        finally:
            transport.close()
        return results

    async def go() -> None:
        transport = AsyncTransport(settings)
        try:
            for call in calls:
                try:
                    results.append((await transport.send(call)).json())
                except E.OpenAICompatibleError as exc:
                    results.append(exc)
        finally:
            await transport.aclose()

    asyncio.run(go())
    return results


def _stale_after_first(conn: Conn) -> None:
    """Answer the first request (keep-alive), then close on the next one without a byte of answer:
    the race of a pooled connection the server drops as the client reuses it."""
    if conn.read_request() is None:
        return
    conn.send(response(200, OK))
    conn.read_request()
    conn.close()


def _answer_all(conn: Conn) -> None:
    while conn.read_request() is not None:
        conn.send(response(200, OK))


def _stale_server() -> HostileServer:
    state = {"connections": 0}

    def script(conn: Conn) -> None:
        state["connections"] += 1
        (_stale_after_first if state["connections"] == 1 else _answer_all)(conn)

    return HostileServer(script)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_stale_pooled_connection_resends_an_idempotent_call(mode: str) -> None:
    with _stale_server() as server:
        results = _send(mode, _settings(server.url), [SHOW, SHOW])
        paths = server.paths()
    assert results == [{"status": "success"}, {"status": "success"}]
    assert paths == ["/api/show"] * 3, "the second call was received twice: once lost, once answered"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_stale_pooled_connection_does_not_resend_a_non_idempotent_call(mode: str) -> None:
    with _stale_server() as server:
        results = _send(mode, _settings(server.url), [SHOW, PULL])
        paths = server.paths()
    assert results[0] == {"status": "success"}
    assert isinstance(results[1], E.APIConnectionError), repr(results[1])
    assert paths == ["/api/show", "/api/pull"], "the pull reached the server once and was not resent"


@pytest.mark.parametrize("retries", [0, 1])
def test_stale_pooled_connection_an_async_get_reaches_the_server_once_per_attempt(retries: int) -> None:
    """aiohttp by itself resends a GET (an idempotent method) once when a pooled connection turns
    out dead; the client turns that off, so that only its retry policy resends. With no retries
    the lost GET fails, received once; with one retry it is received twice and answered."""
    with _stale_server() as server:
        settings = _settings(server.url, retry=RetryPolicy(max_retries=retries))
        results = _send("async", settings, [TAGS, TAGS])
        paths = server.paths()
    assert results[0] == {"status": "success"}
    if retries:
        assert results[1] == {"status": "success"}
    else:
        assert isinstance(results[1], E.APIConnectionError), f"resent behind the retry policy: {results[1]!r}"
    assert paths == ["/api/tags"] * (2 + retries), "one request per attempt, none resent by aiohttp"


def test_a_starved_event_loop_retries_a_connect_that_sent_nothing() -> None:
    """The CI failure of ``test_cell[502-progress-ollama-async]``, made deterministic: the event
    loop is held past the connect timeout, so the connect fails although the kernel connected.
    Nothing was sent, so even a non-idempotent call is retried, and the server receives it once."""

    async def go(url: str) -> Any:
        transport = AsyncTransport(_settings(url, connect_timeout=0.4))
        try:

            async def starve() -> None:
                await asyncio.sleep(0)
                time.sleep(0.8)  # the loop is not scheduled: a loaded machine

            starving = asyncio.create_task(starve())
            try:
                return (await transport.send(PULL)).json()
            finally:
                await starving
        finally:
            await transport.aclose()

    with HostileServer(_answer_all) as server:
        result = asyncio.run(go(server.url))
        paths = server.paths()
    assert result == {"status": "success"}
    assert paths == ["/api/pull"], "sent once: the first attempt never sent it"
