"""The error builders: one status table, every body shape, messages that name where and what."""

from __future__ import annotations

import json
import subprocess
import sys

import openai
import pytest

import openai_compatible_client.platforms  # noqa: F401  (registering the platforms sets their fix hints)
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


# The error tree is loaded on first use (it imports openai). Whichever way a fresh process reaches
# it first, the classes are the same objects, named openai_compatible_client.errors.<name>.
_FIRST_REACH = {
    "from-import": "from openai_compatible_client.errors import NotFoundError",
    "attribute": "from openai_compatible_client import errors; errors.NotFoundError",
    "defining-module": "import openai_compatible_client.errors._classes",
    "builder": (
        "from openai_compatible_client import errors\n"
        "errors.error_from_response(platform='vllm', endpoint='GET /v1/models', url='http://h/v1/models',"
        " status=404, content=b'{}')"
    ),
    "unpickling": "import pickle; pickle.loads(b'copenai_compatible_client.errors\\nNotFoundError\\n.')",
    "client-validation": (
        "from openai_compatible_client.params import check_params\n"
        "try:\n    check_params('chat', {'n': 0}, frozenset({'n'}))\nexcept ValueError:\n    pass"
    ),
}

_CHECK_TREE = """
import pickle, sys
import openai
from openai_compatible_client import errors as E
from openai_compatible_client.errors import _classes

names = [n for n in E.__all__ if n[0].isupper()]
for name in names:
    cls = getattr(E, name)
    assert cls is getattr(_classes, name) and cls is E.__dict__[name], name
    assert cls.__module__ == "openai_compatible_client.errors" and cls.__qualname__ == name, name
    assert issubclass(cls, openai.OpenAIError) and issubclass(cls, E.OpenAICompatibleError), name
    assert pickle.loads(pickle.dumps(cls)) is cls, name
sdk = {"APIError": openai.APIError, "IncompleteStreamError": openai.APIError,
       "APIResponseValidationError": openai.APIResponseValidationError,
       "APIConnectionError": openai.APIConnectionError, "APITimeoutError": openai.APITimeoutError,
       "APIStatusError": openai.APIStatusError, "InvalidRequestError": openai.BadRequestError,
       "UnsupportedParameterError": openai.BadRequestError}
for name in names:
    base = sdk.get(name) or getattr(openai, name, None)
    if base is not None:
        assert issubclass(getattr(E, name), base), name
error = E.error_from_response(platform="vllm", endpoint="GET /v1/models", url="http://h/v1/models",
                              status=404, content=b'{"error": "nope"}')
assert isinstance(error, openai.NotFoundError) and type(error) is E.NotFoundError
for error in (E.ConfigurationError("bad settings"), E.InvalidRequestError("n=0 is out of range", param="n")):
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and str(again) == str(error)
assert E.InvalidRequestError("x", param="n").body["param"] == "n"
assert isinstance(E.InvalidRequestError("x"), ValueError)
assert sorted(dir(E)) == sorted(set(dir(E)))  and set(names) <= set(dir(E))
print("ok")
"""


@pytest.mark.parametrize("way", sorted(_FIRST_REACH))
def test_error_tree_is_one_tree_whichever_way_it_is_first_reached(way: str) -> None:
    script = (
        "import sys\n"
        "import openai_compatible_client.errors\n"
        "assert 'openai' not in sys.modules, 'importing the errors module imported openai'\n"
        f"{_FIRST_REACH[way]}\n"
        f"{_CHECK_TREE}"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_error_tree_pickles_by_reference_in_this_process() -> None:
    import pickle

    assert pickle.loads(pickle.dumps(E.NotFoundError)) is E.NotFoundError
    assert E.NotFoundError.__module__ == "openai_compatible_client.errors"
    assert "NotFoundError" in dir(E)
    with pytest.raises(AttributeError):
        E.NoSuchError  # noqa: B018 - the attribute access is the test
