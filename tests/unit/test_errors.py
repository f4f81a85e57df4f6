"""The error builders: one status table, every body shape, messages that name where and what."""

from __future__ import annotations

import json

import openai
import pytest

from openai_compatible_client import errors as E


@pytest.mark.parametrize(
    ("status", "cls", "sdk"),
    [
        (400, E.BadRequestError, openai.BadRequestError),
        (401, E.AuthenticationError, openai.AuthenticationError),
        (403, E.PermissionDeniedError, openai.PermissionDeniedError),
        (404, E.NotFoundError, openai.NotFoundError),
        (409, E.ConflictError, openai.ConflictError),
        (422, E.UnprocessableEntityError, openai.UnprocessableEntityError),
        (429, E.RateLimitError, openai.RateLimitError),
        (500, E.InternalServerError, openai.InternalServerError),
        (503, E.InternalServerError, openai.InternalServerError),
        (418, E.APIStatusError, openai.APIStatusError),
    ],
)
def test_status_table(status: int, cls: type, sdk: type) -> None:
    url = "http://h/v1/chat/completions"
    error = E.error_from_response(
        platform="vllm", endpoint="POST /v1/chat/completions", url=url, status=status, content=b"{}"
    )
    assert type(error) is cls and isinstance(error, sdk) and isinstance(error, E.OpenAICompatibleError)
    assert error.status_code == status and error.platform == "vllm"


@pytest.mark.parametrize(
    "body",
    [
        {"error": {"message": "model x not found", "type": "NotFoundError", "code": 404}},
        {"object": "error", "message": "model x not found", "code": 404},
        {"error": "model x not found"},
    ],
)
def test_body_shapes(body: dict[str, object]) -> None:
    error = E.error_from_response(
        platform="ollama",
        endpoint="POST /api/show",
        url="http://h/api/show",
        status=404,
        content=json.dumps(body).encode(),
    )
    assert str(error).startswith("ollama POST /api/show -> 404: model x not found. Fix: pull the model")


def test_html_and_binary_bodies() -> None:
    html = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
    error = E.error_from_response(
        platform="vllm", endpoint="POST /v1/x", url="http://h/v1/x", status=502, content=html
    )
    assert "non-JSON (HTML) answer" in str(error)
    error = E.error_from_response(
        platform="vllm",
        endpoint="POST /v1/x",
        url="http://h/v1/x",
        status=500,
        content=b"\xff\xfe\x00garbage",
    )
    assert isinstance(error, E.InternalServerError)


def test_connection_timeout_incomplete_builders() -> None:
    refused = E.connection_error(
        platform="ollama", endpoint="POST /api/chat", url="http://h/api/chat", reason="r"
    )
    assert "ollama serve" in str(refused) and isinstance(refused, openai.APIConnectionError)
    broken = E.connection_error(
        platform="ollama", endpoint="POST /api/chat", url="http://h/api/chat", reason="r", answered=True
    )
    assert "broke before the answer was complete" in str(broken)
    timeout = E.timeout_error(platform="vllm", endpoint="POST /v1/x", url="http://h/v1/x", timeout=3.0)
    assert isinstance(timeout, openai.APITimeoutError) and "3.0 s" in str(timeout)
    incomplete = E.incomplete_stream(
        platform="vllm", endpoint="POST /v1/x", url="http://h/v1/x", items=2, reason="r"
    )
    assert incomplete.items_received == 2 and isinstance(incomplete, openai.APIError)
