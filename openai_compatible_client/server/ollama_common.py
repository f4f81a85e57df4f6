"""Ollama wire helpers: errors, Go-style JSON decoding messages, names, durations, timestamps."""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .transport import JSONValue, Request, Response, StreamResponse, go_json_bytes

VERSION = "0.33.0"
JSON_UTF8 = "application/json; charset=utf-8"
NDJSON = "application/x-ndjson"
FOREVER_NS = calendar.timegm((2318, 1, 1, 0, 0, 0, 0, 0, 0)) * 1_000_000_000


class OllamaError(Exception):
    """An error answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> Response:
        """The HTTP response for this error."""
        return error_response(self.status, self.message)


def error_response(status: int, message: str, content_type: str = JSON_UTF8) -> Response:
    """``{"error": "..."}`` as gin's ``c.JSON`` writes it."""
    return Response(status, go_json_bytes({"error": message}), content_type)


def json_ok(value: JSONValue, content_type: str = JSON_UTF8) -> Response:
    """A 200 JSON response as gin's ``c.JSON`` writes it."""
    return Response(200, go_json_bytes(value), content_type)


# --------------------------------------------------------------------------- request bodies

_GO_KIND = {str: "string", bool: "bool", int: "number", float: "number", list: "array", dict: "object"}


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    return _GO_KIND.get(type(value), "value")


def _kind_ok(expected: str, value: Any) -> bool:
    if value is None:
        return True
    if expected in ("string",):
        return isinstance(value, str)
    if expected == "bool":
        return isinstance(value, bool)
    if expected in ("int", "int64", "float64", "float32"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return expected.startswith("float") or float(value).is_integer()
    if expected.startswith("[]") or expected == "api.Tools":
        return isinstance(value, list)
    if expected.startswith("map") or expected.startswith("api."):
        return isinstance(value, dict)
    return True


def decode_error(raw: bytes, message: str) -> str:
    """Go's ``encoding/json`` wording for a syntax error at Python's reported position."""
    found = re.search(r"\(char (\d+)\)", message)
    position = int(found.group(1)) if found else 0
    text = raw.decode("utf-8", "replace")
    if position >= len(text.rstrip()):
        return "unexpected EOF"
    char = text[position]
    if "Expecting property name" in message:
        return f"invalid character '{char}' looking for beginning of object key string"
    if "Expecting ':'" in message:
        return f"invalid character '{char}' after object key"
    if "Expecting ',' delimiter" in message:
        where = "array element" if text[:position].rstrip().endswith(("]", "[")) else "object key:value pair"
        return f"invalid character '{char}' after {where}"
    if "Extra data" in message:
        return f"invalid character '{char}' after top-level value"
    return f"invalid character '{char}' looking for beginning of value"


def parse_body(request: Request, struct: str, fields: dict[str, str]) -> dict[str, Any]:
    """Decode a JSON body the way gin's ``ShouldBindJSON`` reports problems (all 400)."""
    if not request.body:
        raise OllamaError(400, "missing request body")
    if request.json_error is not None:
        raise OllamaError(400, decode_error(request.body, request.json_error))
    body = request.json
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise OllamaError(
            400, f"json: cannot unmarshal {_json_kind(body)} into Go value of type api.{struct}"
        )
    for name, expected in fields.items():
        value = body.get(name)
        if not _kind_ok(expected, value):
            raise OllamaError(
                400,
                f"json: cannot unmarshal {_json_kind(value)} into Go struct field "
                f"{struct}.{name} of type {expected}",
            )
    return dict(body)


# The Go kind of every field of ``api.Options`` (and its embedded ``Runner``): ``FromMap`` checks a
# request's ``options`` against these; unknown keys are ignored (Ollama logs a warning).
_OPTION_KINDS = {
    "num_ctx": "int",
    "num_batch": "int",
    "num_gpu": "int",
    "main_gpu": "int",
    "use_mmap": "bool",
    "num_thread": "int",
    "draft_num_predict": "int",
    "num_keep": "int",
    "seed": "int",
    "num_predict": "int",
    "top_k": "int",
    "top_p": "float32",
    "min_p": "float32",
    "typical_p": "float32",
    "repeat_last_n": "int",
    "temperature": "float32",
    "repeat_penalty": "float32",
    "presence_penalty": "float32",
    "frequency_penalty": "float32",
    "stop": "[]string",
}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _option_error(key: str, kind: str, value: Any) -> str | None:
    if kind in ("int", "float32"):
        ok = _is_number(value)  # JSON numbers decode to float64; Go truncates them into int fields
        shown = "integer" if kind == "int" else "float32"
        return None if ok else f'option "{key}" must be of type {shown}'
    if kind == "bool":
        return None if isinstance(value, bool) else f'option "{key}" must be of type boolean'
    if not isinstance(value, list):
        return f'option "{key}" must be of type array'
    if not all(isinstance(item, str) for item in value):
        return f'option "{key}" must be of an array of strings'
    return None


def check_options(options: Any) -> dict[str, Any]:
    """``api.Options.FromMap``: a value of the wrong type is refused, as ``scheduleRunner`` answers it (500).

    >>> check_options({"stop": "END"})
    Traceback (most recent call last):
    ...
    openai_compatible_client.server.ollama_common.OllamaError: option "stop" must be of type array
    """
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise OllamaError(400, "json: cannot unmarshal into Go struct field of type map[string]interface {}")
    for key, value in options.items():
        kind = _OPTION_KINDS.get(key)
        if kind is None or value is None:
            continue
        message = _option_error(key, kind, value)
        if message is not None:
            raise OllamaError(500, message)
    return options


_UNIT_NS = {"ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9}


def keep_alive_seconds(value: Any) -> float | None:
    """Parse ``keep_alive`` (seconds or a Go duration); ``None`` means the server default.

    >>> keep_alive_seconds("1h30m"), keep_alive_seconds(0), keep_alive_seconds("-1m")
    (5400.0, 0.0, -60.0)
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise OllamaError(400, "json: cannot unmarshal bool into Go value of type api.Duration")
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise OllamaError(
            400, f"json: cannot unmarshal {_json_kind(value)} into Go value of type api.Duration"
        )
    text = value.strip()
    if text in ("0", "+0", "-0"):
        return 0.0
    sign = -1.0 if text.startswith("-") else 1.0
    rest = text.lstrip("+-")
    total = 0.0
    if not rest:
        raise OllamaError(400, f'time: invalid duration "{value}"')
    while rest:
        found = re.match(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)?", rest)
        if not found:
            raise OllamaError(400, f'time: invalid duration "{value}"')
        if found.group(2) is None:
            raise OllamaError(400, f'time: missing unit in duration "{value}"')
        total += float(found.group(1)) * _UNIT_NS[found.group(2)]
        rest = rest[found.end() :]
    return sign * total / 1e9


# --------------------------------------------------------------------------- timestamps


def rfc3339(ns: int, utc: bool = True) -> str:
    """RFC 3339 with nanoseconds, trailing zeros trimmed (Go's ``time.RFC3339Nano``)."""
    seconds, frac = divmod(ns, 1_000_000_000)
    parts = time.gmtime(seconds) if utc else time.localtime(seconds)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", parts)
    if frac:
        text += "." + f"{frac:09d}".rstrip("0")
    offset = 0 if utc else parts.tm_gmtoff
    if offset == 0:
        return text + "Z"
    sign = "+" if offset > 0 else "-"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def now_utc() -> str:
    """The current time as Ollama writes ``created_at``."""
    return rfc3339(time.time_ns())


# --------------------------------------------------------------------------- model names

_PART = r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,79}"
_NS_PART = r"[A-Za-z0-9_][A-Za-z0-9_\-]{0,79}"
_HOST_PART = r"[A-Za-z0-9_][A-Za-z0-9_.\-:]{0,349}"
DEFAULT_HOST = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"


@dataclass(frozen=True)
class ModelName:
    """A parsed ``[host/][namespace/]model[:tag]`` name."""

    host: str
    namespace: str
    model: str
    tag: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Case-insensitive identity."""
        return (self.host.lower(), self.namespace.lower(), self.model.lower(), self.tag.lower())

    @property
    def display(self) -> str:
        """The shortest form Ollama prints (``model:tag``, ``ns/model:tag`` or full)."""
        if self.host == DEFAULT_HOST:
            if self.namespace == DEFAULT_NAMESPACE:
                return f"{self.model}:{self.tag}"
            return f"{self.namespace}/{self.model}:{self.tag}"
        return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"

    @property
    def full(self) -> str:
        """The fully qualified name."""
        return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"


def parse_name(raw: str) -> ModelName | None:
    """Parse and validate a model name; ``None`` when it is invalid.

    >>> parse_name("llama3.2").display
    'llama3.2:latest'
    >>> parse_name("me/thing:v1").display
    'me/thing:v1'
    >>> parse_name("bad name") is None
    True
    """
    if not raw or not isinstance(raw, str):
        return None
    parts = raw.split("/")
    if len(parts) > 3:
        return None
    last = parts[-1]
    model, sep, tag = last.partition(":")
    if not sep:
        tag = "latest"
    host = parts[0] if len(parts) == 3 else DEFAULT_HOST
    namespace = parts[-2] if len(parts) >= 2 else DEFAULT_NAMESPACE
    checks = ((host, _HOST_PART), (namespace, _NS_PART), (model, _PART), (tag, _PART))
    if any(not re.fullmatch(pattern, value) for value, pattern in checks):
        return None
    return ModelName(host, namespace, model, tag)


# --------------------------------------------------------------------------- streaming


class Failure:
    """An error item inside a progress/generation sequence (``status`` defaults to 500)."""

    def __init__(self, message: str, status: int = 500) -> None:
        self.message = message
        self.status = status


def ndjson_lines(items: Iterable[JSONValue]) -> Iterator[bytes]:
    """One compact JSON object per line."""
    for item in items:
        if isinstance(item, Failure):
            yield go_json_bytes({"error": item.message}) + b"\n"
            return
        yield go_json_bytes(item) + b"\n"


def error_line(message: str) -> bytes:
    """A mid-stream error line."""
    return go_json_bytes({"error": message}) + b"\n"


def stream_items(items: Iterator[Any]) -> Response | StreamResponse:
    """gin's ``streamResponse``: an error before the first line becomes a plain error response."""
    first = next(items, None)
    if isinstance(first, Failure):
        return error_response(first.status, first.message, "application/json")

    def chain() -> Iterator[Any]:
        if first is not None:
            yield first
        yield from items

    return StreamResponse(200, NDJSON, ndjson_lines(chain()), error_chunk=error_line)


def wait_items(items: Iterator[Any]) -> Response:
    """gin's ``waitForStream``: the last progress object, or the first error."""
    latest: Any = {"status": ""}
    for item in items:
        if isinstance(item, Failure):
            return error_response(item.status, item.message, "application/json")
        latest = item
    return json_ok(latest, "application/json")


def wants_stream(body: dict[str, Any]) -> bool:
    """``stream`` omitted means true."""
    return body.get("stream") is not False
