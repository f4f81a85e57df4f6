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
_NOTHING = object()
_COMPACT = 1 << 16  # consumed bytes worth letting go of at once  # "no event yet" (an event can be JSON null)


class NDJSONDecoder:
    """Bytes in, JSON values out, one per line. Any chunking of the input gives the same output.

    A line costs at most about twice its size while it is decoded: its bytes, then its text
    (the bytes are let go before the JSON is parsed).

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
        if self._tail:
            self._tail += chunk
            cut += len(self._tail) - len(chunk)
            texts = _lines(self._tail, cut)
            self._tail = _rest(self._tail, cut + 1)
        else:
            texts = _lines(chunk, cut)
            if cut + 1 < len(chunk):
                self._tail += chunk[cut + 1 :]
        return [json.loads(text) for text in texts]

    def close(self) -> list[Any]:
        """The value of a last line that had no newline, if any."""
        rest, self._tail = self._tail, bytearray()
        text = _text(rest, 0, len(rest))
        del rest
        return [json.loads(text)] if text and not text.isspace() else []


def _text(buffer: bytes | bytearray, start: int, end: int) -> str:
    """``buffer[start:end]`` as UTF-8 text, without an intermediate copy of the bytes."""
    with memoryview(buffer) as view:
        return str(view[start:end], "utf-8")


def _rest(buffer: bytearray, start: int) -> bytearray:
    """What is left of ``buffer`` after ``start``, letting go of the consumed bytes."""
    if start >= len(buffer):
        return bytearray()
    if len(buffer) - start > start:
        del buffer[:start]  # a long remainder: keep it in place rather than copy it
        return buffer
    with memoryview(buffer) as view:
        return bytearray(view[start:])


def _lines(block: bytes | bytearray, end: int) -> list[str]:
    """The non-blank lines of ``block[:end]`` as text (one decode per line, no byte copies)."""
    texts = []
    start = 0
    while start < end:
        stop = block.find(b"\n", start, end)
        if stop < 0:
            stop = end
        if stop > start:
            text = _text(block, start, stop)
            if not text.isspace():
                texts.append(text)
        start = stop + 1
    return texts


class SSEDecoder:
    """Server-sent events: bytes in, the JSON of each ``data:`` event out (or :data:`DONE`).

    Follows the event-stream rules that matter here: ``\\n``, ``\\r\\n`` or ``\\r`` line ends, a
    blank line ends an event, ``:`` lines are comments (keep-alives), multi-line ``data`` joins
    with ``\\n``, other fields (``event``, ``id``, ``retry``) are read and ignored. A line costs at
    most about twice its size while it is decoded (its bytes, then its text).

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
        buf = self._buffer
        start = 0
        while True:
            end, skip = _line_end(buf, start)
            if end < 0:
                break
            blank = end == start
            if not blank:
                self._field(buf, start, end)
            start = end + skip
            if start > _COMPACT:
                # A long line was consumed: drop its bytes now, not after the rest of the chunk.
                self._buffer = buf = _rest(buf, start)
                start = 0
            if blank:
                if start >= len(buf):
                    # Everything is consumed: let go of the bytes before parsing the event.
                    self._buffer = buf = bytearray()
                    start = 0
                event = self._dispatch()
                if event is not _NOTHING:
                    events.append(event)
        if start:
            self._buffer = _rest(buf, start)
        return events

    def close(self) -> list[Any]:
        """Flush an event that was not followed by a blank line."""
        if self._buffer:
            buf, self._buffer = self._buffer, bytearray()
            self._field(buf, 0, len(buf))
            del buf
        event = self._dispatch()
        return [] if event is _NOTHING else [event]

    def _field(self, buf: bytearray, start: int, end: int) -> None:
        """One non-blank line ``buf[start:end]``: ``data`` values are kept, the rest is ignored."""
        if buf[start] == 0x3A:  # ":" a comment (keep-alive)
            return
        colon = buf.find(b":", start, min(end, start + 16))
        name_end = colon if colon >= 0 else end
        if buf[start:name_end] != b"data":
            return  # event, id, retry and unknown fields change nothing here
        value = name_end + 1 if colon >= 0 else end
        if value < end and buf[value] == 0x20:
            value += 1
        self._data.append(_text(buf, value, end))

    def _dispatch(self) -> Any:
        if not self._data:
            return _NOTHING
        data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
        self._data = []
        if len(data) < 32 and data.strip() == "[DONE]":
            return DONE
        return json.loads(data)


def _line_end(buf: bytearray, start: int) -> tuple[int, int]:
    """Where the next line ending at or after ``start`` is, and its length (-1: none yet)."""
    lf = buf.find(b"\n", start)
    cr = buf.find(b"\r", start, lf if lf >= 0 else len(buf))
    if cr < 0:
        return lf, 1
    if cr + 1 < len(buf):
        return cr, 2 if buf[cr + 1] == 0x0A else 1
    # A trailing "\r": its "\n" may come in the next chunk (handled by _pending_cr).
    return cr, 1


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
        self.ended = False
        """The end marker came: nothing after it is read (a server may keep the connection open)."""
        self.items = 0

    def feed(self, chunk: bytes) -> list[Any]:
        """Decode bytes; return the items to yield (raises on an error payload)."""
        if self.ended:
            return []
        return self._accept(self._decoder.feed(chunk))

    def close(self) -> list[Any]:
        """Decode what is left at end of body."""
        if self.ended:
            return []
        return self._accept(self._decoder.close())

    def _accept(self, values: list[Any]) -> list[Any]:
        out: list[Any] = []
        for value in values:
            if value is DONE:
                self.complete = self.ended = True
                break
            if isinstance(value, dict) and value.get("error") is not None:
                raise self._on_error(value)
            if (
                self._terminator == "ndjson_done" and isinstance(value, dict) and value.get("done") is True
            ) or (
                self._terminator == "ndjson_success"
                and isinstance(value, dict)
                and value.get("status") == "success"
            ):
                self.complete = self.ended = True
            self.items += 1
            out.append(value)
            if self.ended:
                break
        return out
