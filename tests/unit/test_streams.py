"""The incremental SSE and NDJSON decoders and what a stream means (StreamReader)."""

from __future__ import annotations

from typing import Any

import pytest

from openai_compatible_client import errors as E
from openai_compatible_client.transport.streams import DONE, NDJSONDecoder, SSEDecoder, StreamReader

SSE = 'data: {"a": 1}\r\n\r\n: keep-alive\r\n\r\ndata: {"b": "é"}\n\ndata: null\n\ndata: [DONE]\n\n'.encode()
NDJSON = '{"a": 1}\r\n{"b": "é"}\n\nnull\n{"done": true}'.encode()


def _all_splits(data: bytes, decoder: Any) -> list[list[Any]]:
    results = []
    for cut in range(len(data) + 1):
        d = decoder()
        results.append(d.feed(data[:cut]) + d.feed(data[cut:]) + d.close())
    return results


def test_sse_any_split_same_events() -> None:
    expected = [{"a": 1}, {"b": "é"}, None, DONE]
    assert all(r == expected for r in _all_splits(SSE, SSEDecoder))


def test_ndjson_any_split_same_values() -> None:
    expected = [{"a": 1}, {"b": "é"}, None, {"done": True}]
    assert all(r == expected for r in _all_splits(NDJSON, NDJSONDecoder))


def test_sse_byte_by_byte_with_split_crlf() -> None:
    """Multi-line ``data`` joined with a newline; CRLF split across single-byte chunks."""
    d = SSEDecoder()
    out: list[Any] = []
    for byte in b'data: {"x":\r\ndata: 1}\r\n\r\n':
        out += d.feed(bytes([byte]))
    assert out == [{"x": 1}]


def _reader(framing: str, terminator: str) -> StreamReader:
    return StreamReader(
        framing,  # type: ignore[arg-type]
        terminator,  # type: ignore[arg-type]
        lambda p: E.stream_error(
            platform="ollama", endpoint="POST /api/pull", url="http://h/api/pull", payload=p
        ),
    )


@pytest.mark.parametrize(
    ("framing", "terminator", "body", "complete"),
    [
        ("sse", "sse_done", b'data: {"a": 1}\n\ndata: [DONE]\n\n', True),
        ("sse", "sse_done", b'data: {"a": 1}\n\n', False),
        ("ndjson", "ndjson_done", b'{"done": false}\n{"done": true}\n', True),
        ("ndjson", "ndjson_done", b'{"done": false}\n', False),
        ("ndjson", "ndjson_success", b'{"status": "pulling"}\n{"status": "success"}\n', True),
        ("ndjson", "ndjson_success", b'{"status": "pulling"}\n', False),
        ("sse", "end", b'data: {"a": 1}\n\n', True),
    ],
)
def test_terminators(framing: str, terminator: str, body: bytes, complete: bool) -> None:
    reader = _reader(framing, terminator)
    items = reader.feed(body) + reader.close()
    assert reader.complete is complete
    assert reader.items == len(items) and DONE not in items


def test_error_payload_mid_stream_raises_typed_error() -> None:
    reader = _reader("ndjson", "ndjson_success")
    assert reader.feed(b'{"status": "pulling"}\n') == [{"status": "pulling"}]
    with pytest.raises(E.APIError, match="ollama POST /api/pull -> error inside the stream: pull failed"):
        reader.feed(b'{"error": "pull failed"}\n')
    vllm = _reader("sse", "sse_done")
    with pytest.raises(E.InternalServerError, match="boom"):
        vllm.feed(b'data: {"error": {"message": "boom", "type": "InternalServerError", "code": 500}}\n\n')
