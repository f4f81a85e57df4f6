"""Hostile HTTP servers for tests: raw sockets, the standard library, one script per connection.

A :class:`HostileServer` listens on 127.0.0.1 in a thread and runs ``script(conn)`` for every
connection it accepts; the script reads requests and writes whatever bytes it wants (lying
headers, broken chunked encoding, trickled status lines, early closes)::

    def script(conn: Conn) -> None:
        conn.read_request()
        conn.send(response(200, b'{"ok": true}', {"Content-Length": "999"}))

    with HostileServer(script) as server:
        ...  # call server.url

Every server is bounded: it accepts at most ``max_connections``; every socket read gives up
after ``io_timeout`` and every write after ``send_timeout`` (a client slowed by a loaded machine
or by ``tracemalloc`` may take long to read a big answer); :meth:`Conn.hold` waits at most
``hold_limit``; :meth:`HostileServer.stop` closes every socket and joins every thread.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Conn",
    "HostileServer",
    "Request",
    "chat_chunk",
    "chat_json",
    "chunked",
    "deflated",
    "gzipped",
    "ndjson",
    "open_sockets",
    "response",
    "sse",
]


@dataclass
class Request:
    """One request as it reached the server."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Conn:
    """One accepted connection, as the script sees it."""

    sock: socket.socket
    server: HostileServer
    _buffer: bytes = b""
    requests: list[Request] = field(default_factory=list)

    def read_request(self) -> Request | None:
        """The next request on this connection (``None``: the client closed it)."""
        head = self._read_until(b"\r\n\r\n")
        if head is None:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, path, _version = ([*lines[0].split(" ", 2), "", ""])[:3]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size_line = self._read_until(b"\r\n")
                if size_line is None:
                    break
                size = int(size_line.split(b";")[0] or b"0", 16)
                data = self._read_exact(size + 2)
                if size == 0 or data is None:
                    break
                body += data[:-2]
        elif "content-length" in headers:
            body = self._read_exact(int(headers["content-length"])) or b""
        request = Request(method, path, headers, body)
        self.requests.append(request)
        self.server.record(request)
        return request

    def send(self, data: bytes) -> bool:
        """Write bytes; ``False`` when the client is gone (or reads nothing for ``send_timeout``)."""
        try:
            self.sock.settimeout(self.server.send_timeout)
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def trickle(self, data: bytes, gap: float, step: int = 1) -> bool:
        """Write ``step`` bytes every ``gap`` seconds (stops when the client goes or the server stops)."""
        for start in range(0, len(data), step):
            if self.server.stopping.is_set() or not self.send(data[start : start + step]):
                return False
            time.sleep(gap)
        return True

    def hold(self, limit: float | None = None) -> None:
        """Keep the connection open, sending nothing, until the client closes it (bounded)."""
        deadline = time.monotonic() + (limit if limit is not None else self.server.hold_limit)
        while time.monotonic() < deadline and not self.server.stopping.is_set():
            try:
                self.sock.settimeout(0.05)
                if self.sock.recv(65536) == b"":
                    return
            except TimeoutError:
                continue
            except OSError:
                return

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()

    def _fill(self) -> bool:
        try:
            self.sock.settimeout(self.server.io_timeout)
            data = self.sock.recv(65536)
        except OSError:
            return False
        if not data:
            return False
        self._buffer += data
        return True

    def _read_until(self, marker: bytes) -> bytes | None:
        while marker not in self._buffer:
            if not self._fill():
                return None
        head, _, self._buffer = self._buffer.partition(marker)
        return head

    def _read_exact(self, size: int) -> bytes | None:
        while len(self._buffer) < size:
            if not self._fill():
                return None
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


class HostileServer:
    """A loopback server that runs ``script(conn)`` for each connection, in a thread of its own."""

    def __init__(
        self,
        script: Callable[[Conn], None],
        *,
        max_connections: int = 64,
        io_timeout: float = 10.0,
        hold_limit: float = 20.0,
        send_timeout: float = 120.0,
    ) -> None:
        self.script = script
        self.max_connections = max_connections
        self.io_timeout = io_timeout
        self.hold_limit = hold_limit
        self.send_timeout = send_timeout
        self.stopping = threading.Event()
        self.requests: list[Request] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._threads: list[threading.Thread] = []
        self._socks: list[socket.socket] = []
        self._acceptor = threading.Thread(target=self._accept, name="hostile-accept", daemon=True)

    def __enter__(self) -> HostileServer:
        self._acceptor.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def _accept(self) -> None:
        while not self.stopping.is_set() and self.connections < self.max_connections:
            try:
                sock, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._socks.append(sock)
            thread = threading.Thread(target=self._run, args=(sock,), name="hostile-conn", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self, sock: socket.socket) -> None:
        conn = Conn(sock, self)
        try:
            self.script(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def idle(self, limit: float = 10.0) -> bool:
        """Wait until every connection's script has finished (bounded); ``True`` if they did."""
        deadline = time.monotonic() + limit
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def stop(self) -> None:
        """Stop accepting, close every socket, join every thread."""
        self.stopping.set()
        self._listener.close()
        if self._acceptor.is_alive():
            self._acceptor.join(5)
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(5)
        assert not any(t.is_alive() for t in self._threads), "a hostile script did not stop"


# ------------------------------------------------------------------ bytes on the wire


def response(
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    reason: str = "",
    version: str = "HTTP/1.1",
    length: bool = True,
) -> bytes:
    """A whole HTTP response; ``Content-Length`` is added unless given or ``length=False``."""
    headers = dict(headers or {})
    headers.setdefault("Content-Type", "application/json")
    if length and "Content-Length" not in headers and "Transfer-Encoding" not in headers:
        headers["Content-Length"] = str(len(body))
    head = f"{version} {status} {reason or _REASONS.get(status, 'X')}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("latin-1") + b"\r\n" + body


def chunked(pieces: Iterable[bytes], *, end: bool = True) -> bytes:
    """A chunked body of ``pieces`` (with its ``0`` terminator unless ``end=False``)."""
    out = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces if piece)
    return out + (b"0\r\n\r\n" if end else b"")


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)


def deflated(data: bytes) -> bytes:
    return zlib.compress(data)


def sse(*events: Any, line_end: bytes = b"\n", done: bool = True) -> bytes:
    """``data:`` events (JSON-encoded unless bytes) and ``data: [DONE]``."""
    out = b""
    for event in events:
        data = event if isinstance(event, bytes) else json.dumps(event).encode()
        out += b"data: " + data + line_end + line_end
    if done:
        out += b"data: [DONE]" + line_end + line_end
    return out


def ndjson(*values: Any) -> bytes:
    return b"".join(json.dumps(value).encode() + b"\n" for value in values)


def chat_json(text: str = "hello", model: str = "m") -> dict[str, Any]:
    """A minimal vLLM chat completion."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def chat_chunk(text: str, finish: str | None = None, model: str = "m") -> dict[str, Any]:
    """A minimal vLLM chat completion chunk."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": model,
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}],
    }


def open_sockets() -> int:
    """How many sockets this process has open (from /proc/self/fd)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            continue
    return count


_REASONS = {
    100: "Continue",
    103: "Early Hints",
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


# ------------------------------------------------------------------ one chat call, ours or the SDK's


@dataclass
class Outcome:
    """What one call gave: the answer's text (streams: joined deltas), or the error; and how long."""

    text: str | None = None
    error: BaseException | None = None
    chunks: int = 0
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


MESSAGES = [{"role": "user", "content": "hi"}]


def _collect(outcome: Outcome, value: Any, stream: bool) -> None:
    if not stream:
        outcome.text = value.choices[0].message.content
        return
    parts = []
    for chunk in value:
        outcome.chunks += 1
        if chunk.choices:
            parts.append(chunk.choices[0].delta.content or "")
    outcome.text = "".join(parts)


async def _acollect(outcome: Outcome, value: Any, stream: bool) -> None:
    if not stream:
        outcome.text = value.choices[0].message.content
        return
    parts = []
    async for chunk in value:
        outcome.chunks += 1
        if chunk.choices:
            parts.append(chunk.choices[0].delta.content or "")
    outcome.text = "".join(parts)


ANSWER_TIMEOUT = 30.0
"""The helpers' default timeout, for calls that expect a prompt answer: far above what an answer takes,
so a server or client thread starved on a loaded machine is not a timeout (5 s once was, for the SDK).
Tests of a deadline pass their own."""


def ours(
    mode: str,
    url: str,
    *,
    stream: bool = False,
    timeout: float = ANSWER_TIMEOUT,
    max_retries: int = 0,
    platform: str = "vllm",
    api_key: str = "sk-hostile",
) -> Outcome:
    """One chat call through this library's sync or async client."""
    from openai_compatible_client import AsyncOpenAICompatibleClient, OpenAICompatibleClient

    options = {
        "base_url": url,
        "api_key": api_key,
        "platform": platform,
        "timeout": timeout,
        "max_retries": max_retries,
    }
    outcome = Outcome()
    started = time.monotonic()
    if mode == "sync":
        with OpenAICompatibleClient(**options) as client:
            try:
                value = client.chat.completions.create(model="m", messages=MESSAGES, stream=stream)
                _collect(outcome, value, stream)
            except Exception as exc:
                outcome.error = exc
    else:
        import asyncio

        async def go() -> None:
            async with AsyncOpenAICompatibleClient(**options) as client:
                try:
                    value = await client.chat.completions.create(model="m", messages=MESSAGES, stream=stream)
                    await _acollect(outcome, value, stream)
                except Exception as exc:
                    outcome.error = exc

        asyncio.run(go())
    outcome.elapsed = time.monotonic() - started
    return outcome


def sdk(
    mode: str, url: str, *, stream: bool = False, timeout: float = ANSWER_TIMEOUT, max_retries: int = 0
) -> Outcome:
    """The same chat call through the openai SDK (the bar this library must meet)."""
    import openai

    outcome = Outcome()
    started = time.monotonic()
    base = url + "/v1"
    if mode == "sync":
        with openai.OpenAI(
            base_url=base, api_key="sk-hostile", timeout=timeout, max_retries=max_retries
        ) as c:
            try:
                value = c.chat.completions.create(model="m", messages=MESSAGES, stream=stream)  # type: ignore[arg-type]
                _collect(outcome, value, stream)
            except Exception as exc:
                outcome.error = exc
    else:
        import asyncio

        async def go() -> None:
            async with openai.AsyncOpenAI(
                base_url=base, api_key="sk-hostile", timeout=timeout, max_retries=max_retries
            ) as c:
                try:
                    value = await c.chat.completions.create(model="m", messages=MESSAGES, stream=stream)  # type: ignore[arg-type]
                    await _acollect(outcome, value, stream)
                except Exception as exc:
                    outcome.error = exc

        asyncio.run(go())
    outcome.elapsed = time.monotonic() - started
    return outcome


def serve_once(payload: bytes, *, then: str = "close") -> Callable[[Conn], None]:
    """A script: read each request, answer ``payload``; then ``"close"`` or ``"hold"`` the connection."""

    def script(conn: Conn) -> None:
        if conn.read_request() is None:
            return
        conn.send(payload)
        if then == "hold":
            conn.hold()

    return script
