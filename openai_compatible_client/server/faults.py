"""Fault injection for tests: ``POST``/``DELETE /_reference/faults``.

A fault is a JSON object; the next ``times`` requests (default 1) whose path (and method, if
given) match it are disturbed:

* ``delay``: seconds to wait before answering (slow headers, for client timeouts);
* ``status`` (+ optional ``headers`` dict and ``body``, a JSON value or a string): answer with
  that instead of running the route (e.g. 429 with ``Retry-After``, 503);
* ``after_chunks`` + ``then``: for a streamed answer, after that many frames either
  ``"close"`` the connection without finishing the body (a truncated stream), send the
  platform's mid-stream ``"error"`` frame (text ``message``) and end the stream, or ``"end"``
  the body cleanly there (a stream that lacks its final event).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from .transport import AnyResponse, Response, StreamResponse, json_bytes, truncate_stream


class FaultPlan:
    """Queued faults, consumed in order by matching requests."""

    def __init__(self) -> None:
        self._faults: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, fault: dict[str, Any]) -> None:
        """Queue a fault (see the module docstring for its fields)."""
        if not isinstance(fault.get("path"), str):
            raise ValueError("a fault needs a 'path' string")
        fault = dict(fault)
        fault["times"] = int(fault.get("times", 1))
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> dict[str, Any] | None:
        """Return (and count down) the first fault matching the request, if any."""
        if not self._faults:
            return None
        with self._lock:
            for fault in self._faults:
                if fault["path"] == path and fault.get("method", method).upper() == method:
                    fault["times"] -= 1
                    if fault["times"] <= 0:
                        self._faults.remove(fault)
                    return fault
        return None


def early_response(fault: dict[str, Any]) -> Response | None:
    """Apply the delay of ``fault`` and return its canned answer, if it has one."""
    delay = float(fault.get("delay", 0) or 0)
    if delay > 0:
        time.sleep(min(delay, 300.0))
    if "status" not in fault:
        return None
    body = fault.get("body", "")
    headers = [(str(k), str(v)) for k, v in dict(fault.get("headers") or {}).items()]
    if isinstance(body, str):
        return Response(int(fault["status"]), body.encode(), "text/plain; charset=utf-8", headers)
    return Response(int(fault["status"]), json_bytes(body), "application/json", headers)


def disturb_stream(fault: dict[str, Any], response: AnyResponse) -> AnyResponse:
    """Cut or poison a streamed response after ``after_chunks`` frames."""
    if not isinstance(response, StreamResponse) or "after_chunks" not in fault:
        return response
    limit = int(fault["after_chunks"])
    mode = str(fault.get("then", "close"))
    message = str(fault.get("message", "injected failure"))
    source = response.chunks
    error_chunk = response.error_chunk

    def frames() -> Iterator[bytes]:
        for index, chunk in enumerate(source):
            if index >= limit:
                break
            yield chunk
        if mode == "error" and error_chunk is not None:
            yield error_chunk(message)
            return
        if mode == "end":
            return
        raise truncate_stream()

    return StreamResponse(response.status, response.content_type, frames(), response.headers)
