"""vLLM error envelopes, body validation in pydantic's words, and the served-model check."""

from __future__ import annotations

import time
import uuid
from typing import Any

from .transport import JSONValue, Request, Response, json_bytes

VERSION = "0.33.0"
MAX_MODEL_LEN = 8192

FieldKinds = dict[str, str]


class VLLMValidationError(ValueError):
    """Mirrors vLLM's exception class so pydantic-style messages print the same repr."""


class VLLMError(Exception):
    """An error answered with vLLM's ``{"error": {...}}`` envelope."""

    def __init__(self, status: int, type_: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.param = param

    def response(self) -> Response:
        """The HTTP response for this error."""
        return error_response(self.status, self.type, self.message, self.param)


def error_response(status: int, type_: str, message: str, param: str | None = None) -> Response:
    """vLLM's current error body: ``{"error":{"message","type","param","code"}}``."""
    body = {"error": {"message": message, "type": type_, "param": param, "code": status}}
    return Response(status, json_bytes(body), "application/json")


def bad_request(message: str, param: str | None = None) -> VLLMError:
    """A 400 ``BadRequestError`` (ValueError raised in a serving handler)."""
    return VLLMError(400, "BadRequestError", message, param)


def validation_failure(errors: list[dict[str, Any]], param: str | None) -> VLLMError:
    """A 400 for a FastAPI ``RequestValidationError`` (type is the HTTP phrase)."""
    label = "error" if len(errors) == 1 else "errors"
    message = f"{len(errors)} validation {label}:\n" + "".join(f"  {err}\n" for err in errors)
    return VLLMError(400, "Bad Request", message.rstrip(), param)


def value_error(message: str, parameter: str | None, body: JSONValue) -> VLLMError:
    """A model-validator failure (``VLLMValidationError`` inside pydantic)."""
    exc = VLLMValidationError(message)
    suffix = f" (parameter={parameter})" if parameter else ""
    error = {
        "type": "value_error",
        "loc": ("body",),
        "msg": f"Value error, {message}{suffix}",
        "input": body,
        "ctx": {"error": exc},
    }
    return validation_failure([error], parameter or "body")


_TYPE_ERRORS = {
    "str": ("string_type", "Input should be a valid string"),
    "int": ("int_type", "Input should be a valid integer"),
    "float": ("float_type", "Input should be a valid number"),
    "bool": ("bool_type", "Input should be a valid boolean"),
    "list": ("list_type", "Input should be a valid list"),
    "dict": ("dict_type", "Input should be a valid dictionary"),
}
_TRUE = {"true", "1", "yes", "on", "t", "y"}
_FALSE = {"false", "0", "no", "off", "f", "n"}


def _kind_ok(kind: str, value: Any) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        if isinstance(value, bool):
            return True
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return value.is_integer()
        return isinstance(value, str) and value.strip().lstrip("+-").isdigit()
    if kind == "float":
        if isinstance(value, (int, float)):
            return True
        try:
            float(value)
        except (TypeError, ValueError):
            return False
        return isinstance(value, str)
    if kind == "bool":
        if isinstance(value, bool) or value in (0, 1):
            return True
        return isinstance(value, str) and value.lower() in _TRUE | _FALSE
    if kind == "list":
        return isinstance(value, list)
    if kind == "dict":
        return isinstance(value, dict)
    return any(_kind_ok(k, value) for k in kind.split("|"))


def coerce(kind: str, value: Any) -> Any:
    """Convert a validated value the way pydantic's lax mode does."""
    if value is None:
        return None
    if kind == "int":
        return int(float(value)) if not isinstance(value, str) else int(value.strip())
    if kind == "float":
        return float(value)
    if kind == "bool":
        return value.lower() in _TRUE if isinstance(value, str) else bool(value)
    return value


def parse_body(request: Request, kinds: FieldKinds, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Check media type, JSON syntax and field types the way FastAPI + pydantic report them."""
    media = request.header("content-type").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise validation_failure_text("Unsupported Media Type: Only 'application/json' is allowed")
    if not request.body.strip():
        raise validation_failure(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}], "body"
        )
    if request.json_error is not None:
        error = {
            "type": "json_invalid",
            "loc": ("body", 0),
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": request.json_error.split(":", 1)[0]},
        }
        raise validation_failure([error], "body.0")
    body = dict(request.json) if isinstance(request.json, dict) else request.json
    if not isinstance(body, dict):
        error = {
            "type": "model_attributes_type",
            "loc": ("body",),
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "input": body,
        }
        raise validation_failure([error], "body")
    errors: list[dict[str, Any]] = []
    for name in required:
        if name not in body:
            errors.append({"type": "missing", "loc": ("body", name), "msg": "Field required", "input": body})
    for name, kind in kinds.items():
        value = body.get(name)
        if value is None:
            continue
        if not _kind_ok(kind, value):
            type_, msg = _TYPE_ERRORS.get(kind.split("|")[0], ("value_error", "Invalid value"))
            errors.append({"type": type_, "loc": ("body", name), "msg": msg, "input": value})
        elif kind in ("int", "float", "bool"):
            body[name] = coerce(kind, value)
    if errors:
        first = errors[0]["loc"]
        raise validation_failure(errors, ".".join(str(p) for p in first))
    return body


def validation_failure_text(text: str) -> VLLMError:
    """A validation failure whose single error is a plain string."""
    return VLLMError(400, "Bad Request", f"1 validation error:\n  {text}", None)


def request_id(request: Request, body: dict[str, Any] | None = None) -> str:
    """The internal request id: ``X-Request-Id`` header, else body ``request_id``, else a uuid."""
    header = request.header("x-request-id")
    if header:
        return header
    if body is not None and isinstance(body.get("request_id"), str):
        return str(body["request_id"])
    return uuid.uuid4().hex


def now() -> int:
    """Unix seconds."""
    return int(time.time())
