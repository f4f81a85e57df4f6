"""Incremental, I/O-free stream decoding shared by the sync and async transports.

Bytes go in as they arrive (any chunking), items come out. :class:`StreamReader` adds what a
stream means: an error payload raises, and a stream that ends without its terminator raises
too, so a broken stream never looks complete.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

__all__ = ["DONE", "NDJSONDecoder", "SSEDecoder", "StreamReader", "Terminator"]

Terminator = Literal["sse_done", "ndjson_done", "ndjson_success", "end"]


class _Done:
    """The SSE ``data: [DONE]`` sentinel."""

    def __repr__(self) -> str:
        return "DONE"


DONE = _Done()
_NOTHING = object()  # "no event yet" (an event can be JSON null)


class NDJSONDecoder:
    """Bytes in, JSON values out, one per line. Any chunking of the input gives the same output.

    >>> d = NDJSONDecoder()
    >>> d.feed(b'{"a": 1}\\n{"b"'), d.feed(b': 2}\\r\\n'), d.close()
    ([{'a': 1}], [{'b': 2}], [])
    """

    def __init__(self) -> None:
        self._tail = bytearray()

    def feed(self, chunk: bytes) -> list[Any]:
        """Take the next bytes; return the values of every line they complete."""
        cut = chunk.rfind(b"\n")
        if cut < 0:
            self._tail += chunk
            return []
        self._tail += chunk[:cut]
        block = bytes(self._tail)
        self._tail = bytearray(chunk[cut + 1 :])
        return [json.loads(line) for line in block.split(b"\n") if line.strip()]

    def close(self) -> list[Any]:
        """The value of a last line that had no newline, if any."""
        rest = bytes(self._tail)
        self._tail = bytearray()
        return [json.loads(rest)] if rest.strip() else []


class SSEDecoder:
    """Server-sent events: bytes in, the JSON of each ``data:`` event out (or :data:`DONE`).

    Follows the event-stream rules that matter here: ``\\n``, ``\\r\\n`` or ``\\r`` line ends, a
    blank line ends an event, ``:`` lines are comments (keep-alives), multi-line ``data`` joins
    with ``\\n``.

    >>> d = SSEDecoder()
    >>> d.feed(b'data: {"x": 1}\\r\\n\\r'), d.feed(b'\\n: keep-alive\\n\\ndata: [DONE]\\n\\n')
    ([{'x': 1}], [DONE])
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._data: list[str] = []
        self._pending_cr = False

    def feed(self, chunk: bytes) -> list[Any]:
        """Take the next bytes; return every event they complete."""
        if not chunk:
            return []
        if self._pending_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._pending_cr = chunk.endswith(b"\r")
        self._buffer += chunk
        events: list[Any] = []
        while True:
            end, skip = self._line_end()
            if end < 0:
                break
            line = bytes(self._buffer[:end])
            del self._buffer[: end + skip]
            event = self._line(line.decode("utf-8"))
            if event is not _NOTHING:
                events.append(event)
        return events

    def close(self) -> list[Any]:
        """Flush an event that was not followed by a blank line."""
        events: list[Any] = []
        if self._buffer:
            event = self._line(bytes(self._buffer).decode("utf-8"))
            self._buffer.clear()
            if event is not _NOTHING:
                events.append(event)
        event = self._line("")
        if event is not _NOTHING:
            events.append(event)
        return events

    def _line_end(self) -> tuple[int, int]:
        buf = self._buffer
        lf = buf.find(b"\n")
        cr = buf.find(b"\r")
        if cr < 0 or (0 <= lf < cr):
            return lf, 1
        if cr + 1 < len(buf):
            return cr, 2 if buf[cr + 1 : cr + 2] == b"\n" else 1
        # A trailing "\r": its "\n" may come in the next chunk (handled by _pending_cr).
        return cr, 1

    def _line(self, line: str) -> Any:
        if not line:
            if not self._data:
                return _NOTHING
            data = "\n".join(self._data)
            self._data = []
            if data.strip() == "[DONE]":
                return DONE
            return json.loads(data)
        if line.startswith(":"):
            return _NOTHING
        field, _, value = line.partition(":")
        if field == "data":
            self._data.append(value[1:] if value.startswith(" ") else value)
        return _NOTHING


class StreamReader:
    """What a decoded stream means: items, errors, and whether it ended properly.

    Args:
        framing: ``"sse"`` or ``"ndjson"``.
        terminator: What proves the stream complete: ``"sse_done"`` (``data: [DONE]``),
            ``"ndjson_done"`` (a line with ``"done": true``), ``"ndjson_success"`` (a line with
            ``"status": "success"``, Ollama's progress streams) or ``"end"`` (end of body).
        on_error: Builds the exception for an error payload inside the stream.
    """

    def __init__(
        self,
        framing: Literal["sse", "ndjson"],
        terminator: Terminator,
        on_error: Callable[[Any], Exception],
    ) -> None:
        self._decoder: SSEDecoder | NDJSONDecoder = SSEDecoder() if framing == "sse" else NDJSONDecoder()
        self._terminator = terminator
        self._on_error = on_error
        self.complete = terminator == "end"
        self.items = 0

    def feed(self, chunk: bytes) -> list[Any]:
        """Decode bytes; return the items to yield (raises on an error payload)."""
        return self._accept(self._decoder.feed(chunk))

    def close(self) -> list[Any]:
        """Decode what is left at end of body."""
        return self._accept(self._decoder.close())

    def _accept(self, values: list[Any]) -> list[Any]:
        out: list[Any] = []
        for value in values:
            if value is DONE:
                self.complete = True
                continue
            if isinstance(value, dict) and value.get("error") is not None:
                raise self._on_error(value)
            if (
                self._terminator == "ndjson_done" and isinstance(value, dict) and value.get("done") is True
            ) or (
                self._terminator == "ndjson_success"
                and isinstance(value, dict)
                and value.get("status") == "success"
            ):
                self.complete = True
            self.items += 1
            out.append(value)
        return out
