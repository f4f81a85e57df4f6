"""Differential check: the bundled reference server must answer like real vLLM, shape for shape.

Every request below goes to a real vLLM server and to the reference server's vLLM routes
(started with the same model names and API key). The values differ (the reference models
are deterministic stand-ins); the status codes, field names, JSON types and nesting must not.

Set ``OCC_DIFFERENTIAL_REPORT=<file>`` to also write every difference found into that file
(a Markdown list per route), for whoever fixes the reference server.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .servers import RAW, RAW_TIMEOUT, Server, server_from_env
from .shapes import Difference, format_report, shape_diff

pytestmark = pytest.mark.real_vllm

WRONG_KEY = "wrong-key"
USER = [{"role": "user", "content": "What is 2+2?"}]
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}
DOCS = ["The cat sits on the mat.", "Stock markets fell today."]
MODEL = "<model>"  # replaced by the served model name of the case's server
LORA = "<lora>"  # replaced by the generated adapter's directory (OCC_REAL_VLLM_LORA_PATH)
# Objects keyed by data, not field names: completions' token -> logprob maps, token id -> token.
MAP_PATHS = frozenset(
    {
        "$.choices[].logprobs.top_logprobs[]",
        "<content chunk>.choices[].logprobs.top_logprobs[]",
        "$.added_tokens_decoder",
    }
)


@dataclass(frozen=True)
class Case:
    """One request sent to both servers."""

    name: str
    server: str  # "chat", "pooling" or "classify"
    method: str
    path: str
    body: dict[str, Any] | None = None
    key: str = "right"  # "right", "wrong" or "none"
    stream: bool = False
    kwargs: dict[str, Any] = field(default_factory=dict)


def chat(name: str, **body: Any) -> Case:
    return Case(name, "chat", "POST", "/v1/chat/completions", {"model": MODEL, **body})


CASES = [
    chat("chat", messages=USER, temperature=0, max_tokens=8),
    chat("chat logprobs", messages=USER, temperature=0, max_tokens=4, logprobs=True, top_logprobs=2),
    chat("chat n=2", messages=USER, temperature=0.8, seed=1, max_tokens=4, n=2),
    chat(
        "chat tool_choice=required",
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[TOOL],
        tool_choice="required",
        temperature=0,
        max_tokens=100,
    ),
    chat(
        "chat json_schema",
        messages=USER,
        temperature=0,
        max_tokens=40,
        response_format={"type": "json_schema", "json_schema": {"name": "p", "schema": SCHEMA}},
    ),
    chat(
        "chat structured_outputs choice",
        messages=USER,
        max_tokens=4,
        structured_outputs={"choice": ["a", "b"]},
    ),
    Case(
        "chat stream",
        "chat",
        "POST",
        "/v1/chat/completions",
        {
            "model": MODEL,
            "messages": USER,
            "temperature": 0,
            "max_tokens": 4,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
        stream=True,
    ),
    Case(
        "completions",
        "chat",
        "POST",
        "/v1/completions",
        {"model": MODEL, "prompt": "Paris is", "max_tokens": 4, "temperature": 0, "top_k": 5},
    ),
    Case(
        "completions logprobs",
        "chat",
        "POST",
        "/v1/completions",
        {"model": MODEL, "prompt": "Paris is", "max_tokens": 3, "temperature": 0, "logprobs": 2},
    ),
    Case(
        "completions stream",
        "chat",
        "POST",
        "/v1/completions",
        {
            "model": MODEL,
            "prompt": "Paris is",
            "max_tokens": 4,
            "temperature": 0,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
        stream=True,
    ),
    Case("embeddings", "pooling", "POST", "/v1/embeddings", {"model": MODEL, "input": DOCS}),
    Case(
        "embeddings base64",
        "pooling",
        "POST",
        "/v1/embeddings",
        {"model": MODEL, "input": DOCS[0], "encoding_format": "base64"},
    ),
    Case("models", "chat", "GET", "/v1/models"),
    Case("version", "chat", "GET", "/version", key="none"),
    Case("health", "chat", "GET", "/health", key="none"),
    Case("tokenize prompt", "chat", "POST", "/tokenize", {"model": MODEL, "prompt": "Hello world"}),
    Case(
        "tokenize token strs",
        "chat",
        "POST",
        "/tokenize",
        {"model": MODEL, "prompt": "Hello world", "return_token_strs": True},
    ),
    Case("tokenize messages", "chat", "POST", "/tokenize", {"model": MODEL, "messages": USER}),
    Case("detokenize", "chat", "POST", "/detokenize", {"model": MODEL, "tokens": [19556, 905]}),
    Case("pooling", "pooling", "POST", "/pooling", {"model": MODEL, "input": DOCS}),
    Case("classify", "classify", "POST", "/classify", {"model": MODEL, "input": DOCS}),
    Case(
        "score text_1/text_2", "pooling", "POST", "/score", {"model": MODEL, "text_1": "cat", "text_2": DOCS}
    ),
    Case(
        "score queries/documents",
        "pooling",
        "POST",
        "/score",
        {"model": MODEL, "queries": "cat", "documents": DOCS},
    ),
    Case("v1 score", "pooling", "POST", "/v1/score", {"model": MODEL, "text_1": "cat", "text_2": DOCS}),
    Case(
        "rerank",
        "pooling",
        "POST",
        "/rerank",
        {"model": MODEL, "query": "cat", "documents": DOCS, "top_n": 1},
    ),
    Case("v2 rerank", "pooling", "POST", "/v2/rerank", {"model": MODEL, "query": "cat", "documents": DOCS}),
    # Errors: the bodies must have the same shape too.
    Case(
        "error unknown model (chat)",
        "chat",
        "POST",
        "/v1/chat/completions",
        {"model": "no-such-model", "messages": USER, "max_tokens": 4},
    ),
    Case(
        "error unknown model (embeddings)",
        "pooling",
        "POST",
        "/v1/embeddings",
        {"model": "nope", "input": "x"},
    ),
    Case("error unknown model (tokenize)", "chat", "POST", "/tokenize", {"model": "nope", "prompt": "x"}),
    chat("error over-long prompt", messages=[{"role": "user", "content": "hello " * 10000}], max_tokens=4),
    chat("error temperature out of range", messages=USER, temperature=5, max_tokens=4),
    chat("error body validation (no messages)"),
    Case(
        "error wrong api key",
        "chat",
        "POST",
        "/v1/chat/completions",
        {"model": MODEL, "messages": USER},
        "wrong",
    ),
    Case("error unknown path", "chat", "GET", "/v1/no-such-route"),
    # Responses API
    Case(
        "responses",
        "chat",
        "POST",
        "/v1/responses",
        {"model": MODEL, "input": "What is 2+2?", "max_output_tokens": 16, "temperature": 0},
    ),
    Case(
        "responses stream",
        "chat",
        "POST",
        "/v1/responses",
        {"model": MODEL, "input": "What is 2+2?", "max_output_tokens": 3, "temperature": 0, "stream": True},
        stream=True,
    ),
    Case(
        "responses background",
        "chat",
        "POST",
        "/v1/responses",
        {"model": MODEL, "input": "Count to ten.", "max_output_tokens": 8, "background": True},
    ),
    Case("error responses unknown id", "chat", "GET", "/v1/responses/resp_missing"),
    Case("error responses cancel unknown id", "chat", "POST", "/v1/responses/resp_missing/cancel"),
    Case(
        "error responses unknown model",
        "chat",
        "POST",
        "/v1/responses",
        {"model": "nope", "input": "hi"},
    ),
    Case("error responses no input", "chat", "POST", "/v1/responses", {"model": MODEL}),
    # Anthropic Messages
    Case(
        "messages",
        "chat",
        "POST",
        "/v1/messages",
        {"model": MODEL, "max_tokens": 16, "messages": USER, "temperature": 0},
    ),
    Case(
        "messages max_tokens",
        "chat",
        "POST",
        "/v1/messages",
        {"model": MODEL, "max_tokens": 2, "messages": USER, "temperature": 0},
    ),
    Case(
        "messages stream",
        "chat",
        "POST",
        "/v1/messages",
        {"model": MODEL, "max_tokens": 8, "messages": USER, "temperature": 0, "stream": True},
        stream=True,
    ),
    Case(
        "messages count_tokens",
        "chat",
        "POST",
        "/v1/messages/count_tokens",
        {"model": MODEL, "messages": USER},
    ),
    Case(
        "error messages unknown model",
        "chat",
        "POST",
        "/v1/messages",
        {"model": "nope", "max_tokens": 4, "messages": USER},
    ),
    Case("error messages no max_tokens", "chat", "POST", "/v1/messages", {"model": MODEL, "messages": USER}),
    # Serving admin
    Case("tokenizer_info", "chat", "GET", "/tokenizer_info", key="none"),
    Case("load", "chat", "GET", "/load", key="none"),
    Case("ping", "chat", "GET", "/ping", key="none"),
    Case("is_sleeping", "chat", "GET", "/is_sleeping", key="none"),
    Case("lora load", "chat", "POST", "/v1/load_lora_adapter", {"lora_name": "diff-lora", "lora_path": LORA}),
    Case("lora models list", "chat", "GET", "/v1/models"),
    Case(
        "lora load again",
        "chat",
        "POST",
        "/v1/load_lora_adapter",
        {"lora_name": "diff-lora", "lora_path": LORA},
    ),
    Case("lora unload", "chat", "POST", "/v1/unload_lora_adapter", {"lora_name": "diff-lora"}),
    Case("error lora unload again", "chat", "POST", "/v1/unload_lora_adapter", {"lora_name": "diff-lora"}),
    Case(
        "error lora bad path",
        "chat",
        "POST",
        "/v1/load_lora_adapter",
        {"lora_name": "diff-missing", "lora_path": "/nonexistent/adapter"},
    ),
    Case("error lora no path", "chat", "POST", "/v1/load_lora_adapter", {"lora_name": "diff-x"}),
]


@dataclass
class Answer:
    """What one server answered: status, and the JSON body (a list of events for streams)."""

    status: int
    body: Any
    done: bool = False  # a stream ended with ``data: [DONE]``


def send(root: str, api_key: str, model: str, case: Case) -> Answer:
    """Send ``case`` to the server at ``root`` with raw HTTP."""
    headers = {}
    if case.key == "right":
        headers["Authorization"] = f"Bearer {api_key}"
    elif case.key == "wrong":
        headers["Authorization"] = f"Bearer {WRONG_KEY}"
    body = None
    if case.body is not None:
        swap = {MODEL: model, LORA: os.environ.get("OCC_REAL_VLLM_LORA_PATH", "/nonexistent/lora")}
        body = {k: (swap[v] if isinstance(v, str) and v in swap else v) for k, v in case.body.items()}
    response = RAW.request(
        case.method, root + case.path, json=body, headers=headers, timeout=RAW_TIMEOUT, stream=case.stream
    )
    with response:
        if case.stream and response.status_code == 200:
            events, done = [], False
            for line in response.iter_lines(decode_unicode=True):
                if not line or not line.startswith("data: "):
                    continue
                data = line[len("data: ") :]
                if data == "[DONE]":
                    done = True
                    break
                events.append(json.loads(data))
            return Answer(response.status_code, events, done)
        text = response.text
    if not text.strip():
        return Answer(response.status_code, None)
    try:
        return Answer(response.status_code, json.loads(text))
    except ValueError:  # LoRA load/unload answer plain text
        return Answer(response.status_code, text)


def chunk_kind(chunk: dict[str, Any]) -> str:
    """Which of the stream's distinct chunk forms this is."""
    choices = chunk.get("choices") or []
    if not choices:
        return "usage chunk"
    choice = choices[0]
    if choice.get("finish_reason") is not None:
        return "final chunk"
    if "role" in (choice.get("delta") or {}):
        return "role chunk"
    return "content chunk"


def compare(real: Answer, reference: Answer) -> list[Difference]:
    """Every difference of status and shape between two answers."""
    if real.status != reference.status:
        return [Difference("HTTP status", str(real.status), str(reference.status))]
    if not isinstance(real.body, list) or not real.body or not isinstance(real.body[0], dict):
        return shape_diff(real.body, reference.body, maps=MAP_PATHS)
    if "type" in real.body[0] and "object" not in real.body[0]:
        return compare_events(real, reference)
    if "object" not in real.body[0] or not str(real.body[0]["object"]).endswith(("chunk", "completion")):
        return shape_diff(real.body, reference.body, maps=MAP_PATHS)
    # A stream: compare the first chunk of each form that either side sent.
    found: list[Difference] = []
    if real.done != reference.done:
        found.append(Difference("data: [DONE]", str(real.done), str(reference.done)))
    first_real = {chunk_kind(c): c for c in reversed(real.body)}
    first_reference = {chunk_kind(c): c for c in reversed(reference.body)}
    for kind in sorted(first_real.keys() | first_reference.keys()):
        if kind not in first_reference:
            found.append(Difference(f"<{kind}>", "present", "missing"))
        elif kind not in first_real:
            found.append(Difference(f"<{kind}>", "missing", "present"))
        else:
            found.extend(shape_diff(first_real[kind], first_reference[kind], f"<{kind}>", MAP_PATHS))
    return found


def compare_events(real: Answer, reference: Answer) -> list[Difference]:
    """Named-event streams (Responses, Anthropic): the same event types, each of the same shape."""
    found: list[Difference] = []
    if real.done != reference.done:
        found.append(Difference("data: [DONE]", str(real.done), str(reference.done)))
    first_real = {e["type"]: e for e in reversed(real.body)}
    first_reference = {e["type"]: e for e in reversed(reference.body) if isinstance(e, dict)}
    for kind in sorted(first_real.keys() | first_reference.keys()):
        if kind not in first_reference:
            found.append(Difference(f"<{kind}>", "present", "missing"))
        elif kind not in first_real:
            found.append(Difference(f"<{kind}>", "missing", "present"))
        else:
            found.extend(shape_diff(first_real[kind], first_reference[kind], f"<{kind}>", MAP_PATHS))
    if real.body[-1].get("type") != reference.body[-1].get("type"):
        found.append(
            Difference("<last event>", str(real.body[-1].get("type")), str(reference.body[-1].get("type")))
        )
    return found


@pytest.fixture(scope="module")
def real_servers() -> dict[str, Server]:
    return {
        "chat": server_from_env("CHAT", "smollm2", with_key=True),
        "pooling": server_from_env("POOLING", "minilm", with_key=False),
        "classify": server_from_env("CLASSIFY", "smollm2-cls", with_key=False),
    }


@pytest.fixture(scope="module")
def reference_root(real_servers: dict[str, Server]) -> Iterator[str]:
    from tests.support.reference import start_reference_server

    models = [server.model for server in real_servers.values()]
    server = start_reference_server("vllm", models=models, api_key=real_servers["chat"].api_key)
    try:
        yield server.base_url.rstrip("/").removesuffix("/v1")
    finally:
        server.stop()


REPORT: dict[str, list[Difference]] = {}


@pytest.fixture(scope="module", autouse=True)
def report_file() -> Iterator[None]:
    yield
    target = os.environ.get("OCC_DIFFERENTIAL_REPORT")
    if target and REPORT:
        lines = ["# Real vLLM 0.32.0 vs the reference server's vLLM routes: shape differences", ""]
        lines.append("Format: `path: real <type>, reference <type>` (`missing` = the field is absent).")
        lines.append("")
        for name, differences in REPORT.items():
            lines += ["```", format_report(name, differences), "```", ""]
        Path(target).write_text("\n".join(lines))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_same_shape_as_real_vllm(case: Case, real_servers: dict[str, Server], reference_root: str) -> None:
    server = real_servers[case.server]
    key = real_servers["chat"].api_key or ""
    real = send(server.root, key, server.model, case)
    reference = send(reference_root, key, server.model, case)

    differences = compare(real, reference)
    if differences:
        REPORT[f"{case.method} {case.path} ({case.name})"] = differences
    assert not differences, "\n" + format_report(f"{case.method} {case.path} ({case.name})", differences)
