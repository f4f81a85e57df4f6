"""A fast loopback HTTP/1.1 server answering vLLM- and Ollama-shaped requests from memory.

Run it as ``python -m bench.server [--port N] [--cpu K]``; it prints ``PORT <n>`` once it listens.
It is an ``asyncio.Protocol`` over raw sockets: keep-alive, ``TCP_NODELAY``, content-length or
chunked bodies, one pre-serialised write per response. ``GET /__stats`` returns the request counts
per path and the server's own CPU seconds, so the harness can show the server is not the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import Callable

from bench import payloads

_STREAM_TRUE = re.compile(rb'"stream"\s*:\s*true')
_STREAM_FALSE = re.compile(rb'"stream"\s*:\s*false')
_BASE64 = re.compile(rb'"encoding_format"\s*:\s*"base64"')

Handler = Callable[[bytes], bytes]


def _build_routes() -> dict[tuple[bytes, bytes], Handler]:
    chat, chat_stream = payloads.vllm_chat(), payloads.vllm_chat_stream()
    emb_float, emb_b64 = payloads.vllm_embeddings(False), payloads.vllm_embeddings(True)
    models, tokenize = payloads.vllm_models(), payloads.vllm_tokenize()
    o_chat, o_stream = payloads.ollama_chat(), payloads.ollama_chat_stream()
    o_embed, o_tags = payloads.ollama_embed(), payloads.ollama_tags()
    return {
        (b"POST", b"/v1/chat/completions"): lambda b: chat_stream if _STREAM_TRUE.search(b) else chat,
        (b"POST", b"/v1/embeddings"): lambda b: emb_b64 if _BASE64.search(b) else emb_float,
        (b"GET", b"/v1/models"): lambda b: models,
        (b"POST", b"/tokenize"): lambda b: tokenize,
        # Ollama streams unless the body says "stream": false.
        (b"POST", b"/api/chat"): lambda b: o_chat if _STREAM_FALSE.search(b) else o_stream,
        (b"POST", b"/api/embed"): lambda b: o_embed,
        (b"GET", b"/api/tags"): lambda b: o_tags,
    }


class _Stats:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def response(self) -> bytes:
        body = json.dumps({"counts": dict(self.counts), "cpu_seconds": time.process_time()}).encode()
        return b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (
            len(body),
            body,
        )


def _content_length(lower_head: bytes) -> int:
    i = lower_head.find(b"\r\ncontent-length:")
    if i < 0:
        return 0
    eol = lower_head.find(b"\r\n", i + 2)
    return int(lower_head[i + 17 : eol if eol > 0 else None])


def _take_chunked(buf: bytearray, start: int) -> tuple[bytes, int] | None:
    """Decode a chunked request body starting at ``start``; None while incomplete."""
    pos, parts = start, []
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size = int(bytes(buf[pos:eol]).split(b";", 1)[0], 16)
        if size == 0:
            end = buf.find(b"\r\n\r\n", eol)  # the blank line after optional trailers
            if end < 0:
                return None
            return b"".join(parts), end + 4
        if len(buf) < eol + 2 + size + 2:
            return None
        parts.append(bytes(buf[eol + 2 : eol + 2 + size]))
        pos = eol + 2 + size + 2


class _Connection(asyncio.Protocol):
    def __init__(self, routes: dict[tuple[bytes, bytes], Handler], stats: _Stats) -> None:
        self._routes = routes
        self._stats = stats
        self._buf = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self._buf += data
        while self._transport is not None and self._handle_one():
            pass

    def _handle_one(self) -> bool:
        buf = self._buf
        head_end = buf.find(b"\r\n\r\n")
        if head_end < 0:
            return False
        head = bytes(buf[:head_end])
        lower = head.lower()
        body_start = head_end + 4
        if b"\r\ntransfer-encoding: chunked" in lower:
            taken = _take_chunked(buf, body_start)
            if taken is None:
                return False
            body, end = taken
        else:
            length = _content_length(lower)
            end = body_start + length
            if len(buf) < end:
                return False
            body = bytes(buf[body_start:end])
        del buf[:end]
        line_end = head.find(b"\r\n")
        method, target, _ = (head if line_end < 0 else head[:line_end]).split(b" ", 2)
        path = target.split(b"?", 1)[0]
        route = self._routes.get((method, path))
        if route is not None:
            response = route(body)
        elif path == b"/__stats":
            response = self._stats.response()
        else:
            response = payloads.not_found()
        self._stats.counts[f"{method.decode()} {path.decode()}"] += 1
        assert self._transport is not None
        self._transport.write(response)
        if b"\r\nconnection: close" in lower:
            self._transport.close()
            self._transport = None
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


async def _serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    routes, stats = _build_routes(), _Stats()
    server = await loop.create_server(
        lambda: _Connection(routes, stats), host="127.0.0.1", port=port, backlog=1024, reuse_address=True
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this CPU")
    args = parser.parse_args(argv)
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    try:
        asyncio.run(_serve(args.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
