"""Differential check: the reference server's llama.cpp side must answer like the real llama-server.

Every request goes to the real server and to the reference server (started with the same alias).
Values differ (the reference model is a deterministic stand-in); status codes, field names, JSON
types and nesting must not. Streams are compared event kind by event kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.real_vllm.shapes import Difference, format_report, shape_diff

from .server import Answer, Server, server_from_env

pytestmark = pytest.mark.real_llamacpp

USER = [{"role": "user", "content": "What is 2+2?"}]
USAGE = {"include_usage": True}


@dataclass(frozen=True)
class Case:
    """One request sent to both servers."""

    name: str
    method: str
    path: str
    body: Any = None
    stream: bool = False
    raw: bytes | None = None
    first_only: bool = False


def post(name: str, path: str, body: Any, stream: bool = False) -> Case:
    return Case(name, "POST", path, body, stream)


CASES = [
    Case("health", "GET", "/health"),
    Case("models", "GET", "/v1/models"),
    Case("props", "GET", "/props"),
    Case("lora-adapters", "GET", "/lora-adapters"),
    post("chat", "/v1/chat/completions", {"messages": USER, "max_tokens": 4, "temperature": 0}),
    post(
        "chat logprobs",
        "/v1/chat/completions",
        {"messages": USER, "max_tokens": 3, "temperature": 0, "logprobs": True, "top_logprobs": 2},
    ),
    post("chat n=2", "/v1/chat/completions", {"messages": USER, "max_tokens": 3, "n": 2}),
    post(
        "chat stream",
        "/v1/chat/completions",
        {"messages": USER, "max_tokens": 4, "temperature": 0, "stream": True, "stream_options": USAGE},
        stream=True,
    ),
    post("completions", "/v1/completions", {"prompt": "Paris is", "max_tokens": 4, "temperature": 0}),
    post(
        "completions stream",
        "/v1/completions",
        {"prompt": "Paris is", "max_tokens": 4, "temperature": 0, "stream": True, "stream_options": USAGE},
        stream=True,
    ),
    # After the generations above: a slot that never ran a task has fewer fields, so slot 0 is compared.
    Case("slots", "GET", "/slots", first_only=True),
    post("native completion", "/completion", {"prompt": "Paris is", "n_predict": 4, "temperature": 0}),
    post(
        "native completion stream",
        "/completion",
        {"prompt": "Paris is", "n_predict": 4, "temperature": 0, "stream": True},
        stream=True,
    ),
    post("embeddings", "/v1/embeddings", {"input": ["The cat sits.", "Stocks fell."]}),
    post("embeddings base64", "/v1/embeddings", {"input": "The cat sits.", "encoding_format": "base64"}),
    post("native embedding", "/embedding", {"content": "The cat sits."}),
    post("tokenize", "/tokenize", {"content": "Hello world"}),
    post("tokenize with pieces", "/tokenize", {"content": "Hello world", "with_pieces": True}),
    post("detokenize", "/detokenize", {"tokens": [19556, 905]}),
    post("apply-template", "/apply-template", {"messages": USER}),
    # What llama-server does with a model name it does not serve: it answers with its own model.
    post(
        "unknown model", "/v1/chat/completions", {"model": "no-such-model", "messages": USER, "max_tokens": 2}
    ),
    # Errors: the bodies must have the same shape too.
    post("error no messages", "/v1/chat/completions", {"max_tokens": 2}),
    post(
        "error top_logprobs without logprobs", "/v1/chat/completions", {"messages": USER, "top_logprobs": 2}
    ),
    post("error no prompt", "/v1/completions", {"max_tokens": 2}),
    post("error n above the slots", "/v1/chat/completions", {"messages": USER, "n": 9}),
    post("error embeddings without input", "/v1/embeddings", {"model": "x"}),
    post("error lora body not a list", "/lora-adapters", {"id": 0}),
    Case("error bad JSON", "POST", "/v1/chat/completions", raw=b"{not json"),
    Case("error unknown path", "GET", "/v1/no-such-route"),
]


def event_kind(event: Any) -> str:
    """Which of a stream's distinct event forms this is."""
    if not isinstance(event, dict):
        return "other"
    if "choices" not in event:
        return "final" if event.get("stop") else "partial"
    choices = event.get("choices") or []
    if not choices:
        return "usage"
    choice = choices[0]
    if choice.get("finish_reason") is not None:
        return "final"
    return "role" if "role" in (choice.get("delta") or {}) else "content"


def compare(real: Answer, reference: Answer, stream: bool) -> list[Difference]:
    """Every difference of status and shape between two answers."""
    if real.status != reference.status:
        return [Difference("HTTP status", str(real.status), str(reference.status))]
    if not stream or real.status != 200:
        return shape_diff(real.body, reference.body)
    found: list[Difference] = []
    if real.done != reference.done:
        found.append(Difference("data: [DONE]", str(real.done), str(reference.done)))
    first_real = {event_kind(e): e for e in reversed(real.body)}
    first_reference = {event_kind(e): e for e in reversed(reference.body)}
    for kind in sorted(first_real.keys() | first_reference.keys()):
        if kind not in first_reference:
            found.append(Difference(f"<{kind}>", "present", "missing"))
        elif kind not in first_real:
            found.append(Difference(f"<{kind}>", "missing", "present"))
        else:
            found.extend(shape_diff(first_real[kind], first_reference[kind], f"<{kind}>"))
    return found


@pytest.fixture(scope="module")
def real() -> Server:
    return server_from_env()


@pytest.fixture(scope="module")
def reference(real: Server) -> Iterator[Server]:
    from tests.support.reference import start_reference_server

    server = start_reference_server("llamacpp", models=[real.model])
    try:
        yield Server(server.base_url.rstrip("/"), real.model)
    finally:
        server.stop()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_same_shape_as_real_llama_server(case: Case, real: Server, reference: Server) -> None:
    answers = [
        server.call(case.method, case.path, case.body, case.stream, case.raw) for server in (real, reference)
    ]
    if case.first_only:
        answers = [Answer(a.status, a.body[:1], a.done) for a in answers]
    differences = compare(*answers, stream=case.stream)
    assert not differences, "\n" + format_report(f"{case.method} {case.path} ({case.name})", differences)


def test_metrics_names_match(real: Server, reference: Server) -> None:
    """``/metrics`` is Prometheus text: every metric the reference server exports exists on the real one."""
    names = []
    for server in (real, reference):
        answer = server.call("GET", "/metrics")
        assert answer.status == 200
        text = answer.body if isinstance(answer.body, str) else ""
        names.append({line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")})
    assert names[1] and names[1] <= names[0], names[1] - names[0]
