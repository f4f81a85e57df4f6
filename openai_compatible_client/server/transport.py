"""HTTP/1.1 plumbing: request parsing, routing, plain and chunked responses.

Built on :class:`http.server.ThreadingHTTPServer` (one thread per connection, keep-alive,
``TCP_NODELAY`` on every accepted socket). The platform modules only see :class:`Request`
objects and return :class:`Response` or :class:`StreamResponse` objects.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

JSONValue = Any
"""A decoded JSON document (dict, list, str, int, float, bool or None)."""

_READ_CHUNK = 1 << 16


class BodyReader:
    """Reads a request body framed by ``Content-Length`` or chunked transfer encoding."""

    def __init__(self, rfile: Any, length: int | None, chunked: bool) -> None:
        self._rfile = rfile
        self._remaining = length or 0
        self._chunked = chunked
        self._chunk_left = 0
        self._done = not chunked and not length
        self.consumed = 0

    def iter_chunks(self, size: int = _READ_CHUNK) -> Iterator[bytes]:
        """Yield the body in pieces of at most ``size`` bytes until it is exhausted."""
        while not self._done:
            data = self._read_some(size)
            if not data:
                break
            self.consumed += len(data)
            yield data

    def read_all(self) -> bytes:
        """Return the (rest of the) body as one bytes object."""
        return b"".join(self.iter_chunks())

    def drain(self) -> None:
        """Consume and discard whatever is left, keeping the connection usable."""
        for _ in self.iter_chunks():
            pass

    def _read_some(self, size: int) -> bytes:
        if not self._chunked:
            if self._remaining <= 0:
                self._done = True
                return b""
            data: bytes = self._rfile.read(min(size, self._remaining))
            if not data:
                raise ConnectionError("client closed the connection mid-body")
            self._remaining -= len(data)
            if self._remaining <= 0:
                self._done = True
            return data
        if self._chunk_left == 0:
            line = self._rfile.readline(1024)
            if not line:
                raise ConnectionError("client closed the connection mid-body")
            self._chunk_left = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if self._chunk_left == 0:
                while self._rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                self._done = True
                return b""
        data = self._rfile.read(min(size, self._chunk_left))
        if not data:
            raise ConnectionError("client closed the connection mid-body")
        self._chunk_left -= len(data)
        if self._chunk_left == 0:
            self._rfile.readline(16)  # CRLF after the chunk
        return data


@dataclass
class Request:
    """One HTTP request as the route handlers see it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body_reader: BodyReader
    params: dict[str, str] = field(default_factory=dict)
    peer: str = ""
    """The client's ``host:port`` (one value per connection)."""
    body: bytes = b""
    json: JSONValue = None
    json_error: str | None = None
    record: dict[str, Any] | None = None

    def header(self, name: str, default: str = "") -> str:
        """Return a request header by case-insensitive name."""
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    """A complete response with a fixed-length body."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class StreamResponse:
    """A response whose body is sent with chunked transfer encoding, one write per item."""

    status: int
    content_type: str
    chunks: Iterable[bytes]
    headers: list[tuple[str, str]] = field(default_factory=list)
    error_chunk: Callable[[str], bytes] | None = None
    """Builds the platform's mid-stream error frame (used by fault injection)."""


AnyResponse = Response | StreamResponse
Handler = Callable[[Request], AnyResponse]


@dataclass
class Route:
    """A registered route."""

    handler: Handler
    stream_body: bool = False


class Router:
    """Maps (method, path) to handlers; ``{name}`` segments capture one path segment."""

    def __init__(self) -> None:
        self._exact: dict[str, dict[str, Route]] = {}
        self._patterns: list[tuple[re.Pattern[str], dict[str, Route]]] = []

    def add(self, methods: str, path: str, handler: Handler, *, stream_body: bool = False) -> None:
        """Register ``handler`` for each space-separated method on ``path``."""
        route = Route(handler, stream_body)
        if "{" in path:
            regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$")
            existing = [t for p, t in self._patterns if p.pattern == regex.pattern]
            table = existing[0] if existing else {}
            if not existing:
                self._patterns.append((regex, table))
        else:
            table = self._exact.setdefault(path, {})
        for method in methods.split():
            table[method] = route

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """Return ``(route, params, path_known)``; ``route`` is None when nothing matches."""
        table = self._exact.get(path)
        params: dict[str, str] = {}
        if table is None:
            for pattern, candidate in self._patterns:
                found = pattern.match(path)
                if found:
                    table, params = candidate, found.groupdict()
                    break
        if table is None:
            return None, {}, False
        return table.get(method), params, True


class Application:
    """What the HTTP layer needs from a platform: dispatch of a parsed request."""

    def dispatch(self, request: Request) -> AnyResponse:  # pragma: no cover - interface
        """Handle one request."""
        raise NotImplementedError

    def route_for(self, method: str, path: str) -> Route | None:  # pragma: no cover - interface
        """Return the route that will handle the request (to decide on body streaming)."""
        raise NotImplementedError


_date_cache: list[Any] = [0, ""]


def http_date() -> str:
    """Return the current time as an RFC 7231 date, cached per second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[0], _date_cache[1] = now, formatdate(now, usegmt=True)
    return str(_date_cache[1])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request access log."""

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        length_text = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        try:
            length = int(length_text) if length_text and not chunked else None
        except ValueError:
            self.send_error(400, "bad Content-Length")
            return
        reader = BodyReader(self.rfile, length, chunked)
        request = Request(
            method=self.command,
            path=split.path or "/",
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers=headers,
            body_reader=reader,
            peer=f"{self.client_address[0]}:{self.client_address[1]}",
        )
        app = self.server.app
        route = app.route_for(request.method, request.path)
        if route is None or not route.stream_body:
            request.body = reader.read_all()
        try:
            response = app.dispatch(request)
        finally:
            if route is not None and route.stream_body:
                reader.drain()
        self._send(request, response)

    def _send(self, request: Request, response: AnyResponse) -> None:
        phrase = _phrase(response.status)
        lines = [f"HTTP/1.1 {response.status} {phrase}", f"date: {http_date()}"]
        lines.extend(f"{k}: {v}" for k, v in self.server.extra_headers)
        lines.extend(f"{k}: {v}" for k, v in response.headers)
        if self.close_connection:
            lines.append("connection: close")
        if isinstance(response, Response):
            if response.content_type is not None:
                lines.append(f"content-type: {response.content_type}")
            lines.append(f"content-length: {len(response.body)}")
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
            self.wfile.write(head if request.method == "HEAD" else head + response.body)
            return
        lines.append(f"content-type: {response.content_type}")
        lines.append("transfer-encoding: chunked")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head)
            if request.method != "HEAD":
                for chunk in response.chunks:
                    if chunk:
                        self.wfile.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except _TruncateStream:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            close = getattr(response.chunks, "close", None)
            if close is not None:
                close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _dispatch


class _TruncateStream(Exception):
    """Raised inside a chunk iterator to drop the connection without finishing the body."""


def truncate_stream() -> _TruncateStream:
    """Return the exception a chunk iterator raises to cut its stream short."""
    return _TruncateStream()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, address: tuple[str, int], app: Application, extra_headers: list[tuple[str, str]]):
        self.app = app
        self.extra_headers = extra_headers
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore connections that clients drop; report anything else."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class HTTPServerThread:
    """Owns a listening socket and the thread that serves it."""

    def __init__(
        self, app: Application, host: str, port: int, extra_headers: list[tuple[str, str]] | None = None
    ) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        _Server.address_family = family
        self._server = _Server((host, port), app, extra_headers or [])
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The bound ``(host, port)``."""
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Serve in a background daemon thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`shutdown` is called from another thread."""
        self._server.serve_forever(poll_interval=0.1)

    def shutdown(self) -> None:
        """Stop accepting, wait for the serving loop to end and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def json_bytes(value: JSONValue) -> bytes:
    """Compact JSON as FastAPI/pydantic emit it (UTF-8, no spaces)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def go_json_bytes(value: JSONValue) -> bytes:
    """Compact JSON as Go's ``encoding/json`` emits it (``<``, ``>``, ``&`` escaped)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if "<" in text or ">" in text or "&" in text or "\u2028" in text or "\u2029" in text:
        text = (
            text.replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
            .replace("\u2028", "\\u2028")
            .replace("\u2029", "\\u2029")
        )
    return text.encode()
