"""The request log behind ``GET``/``DELETE /_reference/requests``."""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from .transport import Request

DEFAULT_CAPACITY = 10_000


class RequestLog:
    """A bounded, thread-safe log of the requests a server received, oldest first."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def add(self, request: Request) -> dict[str, Any]:
        """Record ``request`` and return its (mutable) entry.

        ``body_size`` is updated later for routes that stream their body; ``peer`` is the
        client's ``host:port``, so requests on one kept-alive connection share it.
        """
        entry: dict[str, Any] = {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "headers": dict(request.headers),
            "json": request.json,
            "body_size": len(request.body),
            "peer": request.peer,
        }
        with self._lock:
            self._entries.append(entry)
        return entry

    def snapshot(self) -> list[dict[str, Any]]:
        """Return the entries in arrival order."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
