"""Redirects: loops end in a typed error; what happens to method, body and Authorization."""

from __future__ import annotations

import json

import pytest

from openai_compatible_client import errors as E
from tests.support.hostile import Conn, HostileServer, chat_json, ours, response, sdk

ANSWER = json.dumps(chat_json("hello")).encode()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_redirect_loop_is_a_connection_error(mode: str) -> None:
    def script(conn: Conn) -> None:
        while (request := conn.read_request()) is not None:
            conn.send(response(302, b"", {"Location": request.path}))

    with HostileServer(script, max_connections=200) as server:
        mine = ours(mode, server.url, max_retries=2)
        hops = len(server.requests)
        theirs = sdk(mode, server.url, max_retries=0)
    assert isinstance(mine.error, E.APIConnectionError), repr(mine.error)
    assert type(mine.error).__module__ == E.__name__
    assert hops <= 31, "a loop is given up after the redirect limit, and not retried"
    assert type(theirs.error).__name__ == "APIConnectionError"


def _redirecting(status: str, target: str) -> HostileServer:
    def script(conn: Conn) -> None:
        while (request := conn.read_request()) is not None:
            if request.path.startswith("/moved"):
                conn.send(response(200, ANSWER))
            else:
                conn.send(response(int(status), b"", {"Location": target + "/moved" + request.path}))

    return HostileServer(script)


@pytest.mark.parametrize("status", ["301", "302", "303", "307", "308"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_same_host_redirect_keeps_what_the_sdk_keeps(mode: str, status: str) -> None:
    with _redirecting(status, "") as server:
        mine = ours(mode, server.url)
        ours_seen = [(r.method, bool(r.body), r.header("authorization") is not None) for r in server.requests]
        server.requests.clear()
        sdk(mode, server.url)
        sdk_seen = [(r.method, bool(r.body), r.header("authorization") is not None) for r in server.requests]
    if status in ("307", "308"):
        assert mine.error is None and mine.text == "hello", repr(mine.error)
        assert ours_seen[1] == ("POST", True, True), "307/308 keep method, body and (same host) auth"
    else:
        assert ours_seen[1][:2] == ("GET", False), "301/302/303 turn a POST into a GET without body"
    assert [s[:2] for s in ours_seen] == [s[:2] for s in sdk_seen]


@pytest.mark.parametrize("status", ["302", "307"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_other_host_redirect_drops_authorization(mode: str, status: str) -> None:
    def other_script(conn: Conn) -> None:
        while conn.read_request() is not None:
            conn.send(response(200, ANSWER))

    with HostileServer(other_script) as other:
        target = f"http://localhost:{other.port}"
        with _redirecting(status, target) as server:
            ours(mode, server.url)
            ours_auth = [r.header("authorization") for r in other.requests]
            other.requests.clear()
            sdk(mode, server.url)
            sdk_auth = [r.header("authorization") for r in other.requests]
    assert ours_auth and ours_auth == [None] * len(ours_auth), "no Authorization to another host"
    assert sdk_auth == [None] * len(sdk_auth)
