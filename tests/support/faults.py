"""A fault-injection HTTP server for reliability tests, run as a loopback subprocess.

It speaks just enough of vLLM's and Ollama's wire protocols to give a correct answer on the
routes the tests use, and disturbs any answer on request. Faults are set per path over a
control route, so the client under test sees only its own requests::

    with FaultServer.start() as server:
        server.plan("/v1/chat/completions", "status", status=503, times=1)
        ...                                   # call the client at server.url
        server.count("/v1/chat/completions")  # requests the server received on that path

Faults (``kind``):

* ``hang``: accept the request and never answer (until the client goes away);
* ``drip``: answer slowly, a few bytes every ``gap`` seconds (streams: one event per ``gap``);
* ``stall``: send the headers and the first ``after`` events (or half a JSON body), then stop;
* ``cut``: close the connection mid-body (streams: after ``after`` events);
* ``malformed``: a body (or, after ``after`` events, an event) that is not JSON;
* ``no_terminator``: a whole stream without ``data: [DONE]`` / ``"done": true`` / ``success``;
* ``stream_error``: the platform's error event after ``after`` events (vLLM
  ``data: {"error": {...}}``, Ollama ``{"error": "..."}``);
* ``status``: answer ``status`` with the platform's error body and ``headers``
  (429 with or without ``Retry-After``, 500/502/503/504...);
* ``html``: a proxy's HTML page with status 200;
* ``redirect``: ``307`` to the same path on the second server (another loopback address),
  which records whether ``Authorization`` reached it.

A connection refused is a closed port: :func:`closed_port_url`.

The server also runs as a forwarding proxy (``upstream``): requests are relayed to another
server unless the plan (or every ``fault_every``-th request) says to disturb them.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = ["FaultServer", "closed_port_url"]

CONTROL = "/_faults"
HANG_LIMIT = 30.0
PROXY_FAULTS = ("status503", "cut", "status500", "status429")


def closed_port_url(host: str = "127.0.0.1") -> str:
    """A URL on which nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port = sock.getsockname()[1]
    return f"http://{host}:{port}"


# ------------------------------------------------------------------ correct answers


def _model(body: Any) -> str:
    return str(body.get("model", "m")) if isinstance(body, dict) else "m"


def _text(body: Any) -> str:
    """The answer text: echoes the last user text so concurrent callers can check theirs."""
    if isinstance(body, dict):
        if isinstance(body.get("prompt"), str):
            return "You said: " + body["prompt"]
        messages = body.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[-1], dict):
            content = messages[-1].get("content")
            if isinstance(content, str):
                return "You said: " + content
    return "hello world"


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)] or [""]


def answer(path: str, body: Any) -> tuple[str, Any]:
    """The correct answer for a route: ``("json", value)``, ``("sse", events)`` or ``("ndjson", lines)``.

    Stream answers end with their terminator (``"[DONE]"`` for SSE).
    """
    model = _model(body)
    text = _text(body)
    stream = isinstance(body, dict) and body.get("stream") is True
    ollama_stream = isinstance(body, dict) and body.get("stream") is not False
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    if path == "/v1/chat/completions":
        if not stream:
            message = {"role": "assistant", "content": text}
            choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
            return "json", _openai("chat.completion", "chatcmpl-1", model, [choice], usage)
        events = [_openai("chat.completion.chunk", "chatcmpl-1", model, [_delta({"role": "assistant"})])]
        events += [
            _openai("chat.completion.chunk", "chatcmpl-1", model, [_delta({"content": p})])
            for p in _pieces(text)
        ]
        events.append(_openai("chat.completion.chunk", "chatcmpl-1", model, [_delta({}, "stop")]))
        return "sse", [*events, "[DONE]"]
    if path == "/v1/completions":
        if not stream:
            choice = {"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}
            return "json", _openai("text_completion", "cmpl-1", model, [choice], usage)
        events = [
            _openai("text_completion", "cmpl-1", model, [{"index": 0, "text": p, "finish_reason": None}])
            for p in _pieces(text)
        ]
        events.append(
            _openai("text_completion", "cmpl-1", model, [{"index": 0, "text": "", "finish_reason": "stop"}])
        )
        return "sse", [*events, "[DONE]"]
    if path == "/v1/embeddings":
        data = [{"object": "embedding", "index": 0, "embedding": [0.25, -0.5, 1.0]}]
        return "json", {"object": "list", "data": data, "model": model, "usage": usage}
    if path == "/tokenize":
        return "json", {"count": 2, "max_model_len": 4096, "tokens": [101, 102]}
    stamp = "2024-01-01T00:00:00Z"
    counts = {"prompt_eval_count": 3, "eval_count": 2, "total_duration": 10, "load_duration": 1}
    if path in ("/api/chat", "/api/generate"):
        field = "message" if path == "/api/chat" else "response"

        def part(piece: str) -> Any:
            return {"role": "assistant", "content": piece} if field == "message" else piece

        final = {
            "model": model,
            "created_at": stamp,
            field: part(""),
            "done": True,
            "done_reason": "stop",
            **counts,
        }
        if not ollama_stream:
            return "json", {**final, field: part(text)}
        lines = [{"model": model, "created_at": stamp, field: part(p), "done": False} for p in _pieces(text)]
        return "ndjson", [*lines, final]
    if path == "/api/embed":
        return "json", {"model": model, "embeddings": [[0.25, -0.5, 1.0]], "prompt_eval_count": 3}
    if path == "/api/pull":
        digest = "sha256:" + "a" * 64
        lines = [
            {"status": "pulling manifest"},
            {"status": f"pulling {digest[7:19]}", "digest": digest, "total": 100, "completed": 50},
            {"status": f"pulling {digest[7:19]}", "digest": digest, "total": 100, "completed": 100},
            {"status": "verifying sha256 digest"},
            {"status": "success"},
        ]
        return ("ndjson", lines) if ollama_stream else ("json", {"status": "success"})
    if path == "/api/show":
        details = {
            "format": "gguf",
            "family": "llama",
            "parameter_size": "3.2B",
            "quantization_level": "Q4_K_M",
        }
        return "json", {
            "modelfile": "FROM x",
            "parameters": "",
            "template": "{{ .Prompt }}",
            "details": details,
        }
    return "json", {"ok": True, "path": path}


def _openai(obj: str, ident: str, model: str, choices: list[Any], usage: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": ident,
        "object": obj,
        "created": 1700000000,
        "model": model,
        "choices": choices,
    }
    if usage is not None:
        out["usage"] = usage
    return out


def _delta(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}


def error_body(platform: str, status: int, message: str) -> dict[str, Any]:
    """The platform's error body for a status."""
    if platform == "ollama":
        return {"error": message}
    return {
        "error": {
            "message": message,
            "type": "InternalServerError" if status >= 500 else "Error",
            "code": status,
        }
    }


def _platform(path: str) -> str:
    return "ollama" if path.startswith("/api/") else "vllm"


def _frame(framing: str, item: Any) -> bytes:
    if framing == "sse":
        data = item if isinstance(item, str) else json.dumps(item)
        return f"data: {data}\n\n".encode()
    return (json.dumps(item) + "\n").encode()


HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>Sign in to continue</h1></center><hr><center>nginx</center></body></html>"
)


# ------------------------------------------------------------------ the server


@dataclass
class Rule:
    """One planned fault on a path."""

    kind: str
    times: int | None = None
    after: int = 2
    status: int = 500
    headers: dict[str, str] | None = None
    gap: float = 0.1


class State:
    """Plans and counters shared by the handler threads."""

    def __init__(self, name: str, upstream: str | None = None, fault_every: int = 0) -> None:
        self.name = name
        self.lock = threading.Lock()
        self.rules: dict[str, Rule] = {}
        self.counts: Counter[str] = Counter()
        self.auth: list[bool] = []
        self.faults: Counter[str] = Counter()
        self.forwarded: Counter[str] = Counter()
        self.upstream = upstream
        self.fault_every = fault_every
        self.redirect_to = ""
        self.stop = threading.Event()

    def take(self, path: str) -> Rule | None:
        with self.lock:
            self.counts[path] += 1
            number = sum(self.counts.values())
            rule = self.rules.get(path)
            if rule is not None and rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    del self.rules[path]
            if rule is None and self.fault_every and number % self.fault_every == 0:
                kind = PROXY_FAULTS[(number // self.fault_every) % len(PROXY_FAULTS)]
                if kind.startswith("status"):
                    rule = Rule("status", status=int(kind[6:]), headers={"Retry-After": "0"})
                else:
                    rule = Rule(kind)
            if rule is not None:
                self.faults[rule.kind if rule.kind != "status" else f"status{rule.status}"] += 1
            return rule


class Handler(BaseHTTPRequestHandler):
    """Answers correctly or with the planned fault."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        if path.startswith(CONTROL):
            self._control(path, raw)
            return
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        rule = state.take(path)
        with state.lock:
            state.auth.append("authorization" in {k.lower() for k in self.headers})
            del state.auth[:-1000]
        if rule is None and state.upstream is not None:
            if self._forward(raw):
                with state.lock:
                    state.forwarded[_text(body)] += 1
            return
        self._answer(path, body, rule)

    # -- control

    def _control(self, path: str, raw: bytes) -> None:
        state = self.server.state
        if path == CONTROL + "/plan":
            spec = json.loads(raw)
            target = spec.pop("path")
            with state.lock:
                state.rules[target] = Rule(**spec)
            self._json(200, {"ok": True})
        elif path == CONTROL + "/reset":
            with state.lock:
                state.rules.clear()
                state.counts.clear()
                state.auth.clear()
                state.faults.clear()
                state.forwarded.clear()
            self._json(200, {"ok": True})
        else:
            with state.lock:
                stats = {
                    "counts": dict(state.counts),
                    "auth": list(state.auth),
                    "faults": dict(state.faults),
                    "forwarded": dict(state.forwarded),
                }
            self._json(200, stats)

    # -- answers

    def _json(
        self, status: int, value: Any, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> None:
        data = raw if raw is not None else json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, item in (headers or {}).items():
            self.send_header(key, item)
        self.end_headers()
        self.wfile.write(data)

    def _answer(self, path: str, body: Any, rule: Rule | None) -> None:
        framing, value = answer(path, body)
        kind = rule.kind if rule is not None else "ok"
        if rule is None or kind in ("ok",):
            self._correct(framing, value)
            return
        if kind == "hang":
            self._hang()
            return
        if kind == "status":
            message = f"injected {rule.status}"
            self._json(rule.status, error_body(_platform(path), rule.status, message), rule.headers)
            return
        if kind == "html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(HTML_PAGE)))
            self.end_headers()
            self.wfile.write(HTML_PAGE)
            return
        if kind == "redirect":
            self.send_response(307)
            self.send_header("Location", self.server.state.redirect_to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if framing == "json":
            self._disturb_json(value, rule)
        else:
            self._disturb_stream(framing, value, rule, _platform(path))

    def _correct(self, framing: str, value: Any) -> None:
        if framing == "json":
            self._json(200, value)
            return
        self._start_stream(framing)
        for item in value:
            self._chunk(_frame(framing, item))
        self._chunk(b"")

    def _start_stream(self, framing: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream" if framing == "sse" else "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _hang(self) -> None:
        """Hold the connection open, answering nothing, until the client leaves (or the limit)."""
        self.wfile.flush()
        sock = self.connection
        deadline = time.monotonic() + HANG_LIMIT
        while time.monotonic() < deadline and not self.server.state.stop.is_set():
            readable, _, _ = select.select([sock], [], [], 0.05)
            if readable:
                try:
                    if not sock.recv(1, socket.MSG_PEEK):
                        break
                except OSError:
                    break
        self.close_connection = True

    def _drop(self) -> None:
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _disturb_json(self, value: Any, rule: Rule) -> None:
        data = json.dumps(value).encode()
        if rule.kind == "malformed":
            self._json(200, None, raw=data[: len(data) // 2] + b"\x00\xff not json")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        half = len(data) // 2
        if rule.kind == "drip":
            step = max(1, len(data) // 300)  # up to 300 pieces: a JSON body drips for about 30 s
            for start in range(0, len(data), step):
                self.wfile.write(data[start : start + step])
                self.wfile.flush()
                time.sleep(rule.gap)
            return
        self.wfile.write(data[:half])
        if rule.kind == "stall":
            self._hang()
            return
        self._drop()  # cut

    def _disturb_stream(self, framing: str, items: list[Any], rule: Rule, platform: str) -> None:
        self._start_stream(framing)
        body = [i for i in items if i != "[DONE]"] if framing == "sse" else items
        if rule.kind == "drip":
            for item in items:
                self._chunk(_frame(framing, item))
                time.sleep(rule.gap)
            self._chunk(b"")
            return
        if rule.kind == "no_terminator":
            for item in body if framing == "sse" else body[:-1]:
                self._chunk(_frame(framing, item))
            self._chunk(b"")
            return
        for item in body[: rule.after]:
            self._chunk(_frame(framing, item))
        if rule.kind == "stall":
            self._hang()
        elif rule.kind == "cut":
            self._drop()
        elif rule.kind == "malformed":
            self._chunk(b"data: {not json\n\n" if framing == "sse" else b"{not json\n")
            self._chunk(b"")
        elif rule.kind == "stream_error":
            self._chunk(_frame(framing, error_body(platform, 500, "injected failure mid-stream")))
            self._chunk(b"")
        else:
            raise ValueError(f"unknown fault {rule.kind!r}")

    # -- proxy

    def _forward(self, raw: bytes) -> bool:
        """Relay to the upstream server; whether it answered (a failure answers 502 here)."""
        upstream = urlsplit(self.server.state.upstream or "")
        conn: http.client.HTTPConnection | None = getattr(self.server.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(
                upstream.hostname or "127.0.0.1", upstream.port or 80, timeout=60
            )
            self.server.local.conn = conn
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        try:
            conn.request(self.command, self.path, body=raw or None, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            self.server.local.conn = None
            self._json(502, {"error": "upstream failed"})
            return False
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length", "date", "server"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512

    def __init__(self, host: str, state: State) -> None:
        super().__init__((host, 0), Handler)
        self.state = state
        self.local = threading.local()


def _serve(upstream: str | None, fault_every: int) -> None:
    """Subprocess entry: the main server on 127.0.0.1, the redirect target on 127.0.0.2."""
    main = _Server("127.0.0.1", State("main", upstream, fault_every))
    other = _Server("127.0.0.2", State("other"))
    main.state.redirect_to = f"http://127.0.0.2:{other.server_address[1]}"
    for server in (main, other):
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    print(json.dumps({"main": main.server_address[1], "other": other.server_address[1]}), flush=True)

    def stop(*_args: Any) -> None:
        main.state.stop.set()
        other.state.stop.set()

    signal.signal(signal.SIGTERM, stop)
    while not main.state.stop.wait(0.2):
        if os.getppid() == 1:  # the test process died: do not outlive it
            break
    sys.exit(0)


# ------------------------------------------------------------------ the handle tests use


class FaultServer:
    """A running fault server subprocess (loopback only); stop it with :meth:`stop`."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, other_port: int) -> None:
        self._process = process
        self.url = f"http://127.0.0.1:{port}"
        self.other_url = f"http://127.0.0.2:{other_port}"

    @classmethod
    def start(cls, upstream: str | None = None, fault_every: int = 0) -> FaultServer:
        """Start the server; ``upstream`` makes it a proxy that disturbs every ``fault_every``-th request."""
        args = [sys.executable, os.path.abspath(__file__), upstream or "", str(fault_every)]
        process = subprocess.Popen(args, stdout=subprocess.PIPE)
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 20)
        if not ready:
            process.kill()
            process.wait()
            raise RuntimeError("the fault server did not start within 20 s")
        ports = json.loads(process.stdout.readline())
        return cls(process, ports["main"], ports["other"])

    def _control(self, base: str, action: str, spec: dict[str, Any] | None = None) -> Any:
        data = json.dumps(spec).encode() if spec is not None else b""
        request = urllib.request.Request(base + CONTROL + "/" + action, data=data, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def plan(self, path: str, kind: str, **options: Any) -> None:
        """Disturb requests on ``path`` (all of them, or the first ``times``)."""
        self._control(self.url, "plan", {"path": path, "kind": kind, **options})

    def reset(self) -> None:
        """Forget plans and counters on both servers."""
        self._control(self.url, "reset")
        self._control(self.other_url, "reset")

    def stats(self, other: bool = False) -> dict[str, Any]:
        """``{"counts": {path: n}, "auth": [bool per request], "faults": {kind: n}, "forwarded": {text: n}}``.

        ``forwarded`` (proxy mode) counts, per answer text, the requests relayed upstream.
        """
        stats: dict[str, Any] = self._control(self.other_url if other else self.url, "stats")
        return stats

    def count(self, path: str, other: bool = False) -> int:
        """How many requests reached ``path``."""
        return int(self.stats(other)["counts"].get(path, 0))

    def stop(self) -> None:
        """Stop the subprocess (by its pid) and wait for it."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> FaultServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    _serve(sys.argv[1] or None if len(sys.argv) > 1 else None, int(sys.argv[2]) if len(sys.argv) > 2 else 0)
