"""Exact Ollama framing, status codes and error texts over raw HTTP (the reference's checklist)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.reference import OLLAMA_MODEL, RunningServer

pytestmark = pytest.mark.contract
CHAT = [{"role": "user", "content": "hi <there> & you"}]


def post(server: RunningServer, path: str, body: Any, **kwargs: Any) -> requests.Response:
    return requests.post(server.base_url + path, json=body, timeout=30, **kwargs)


def test_root_version_heads(ollama_server: RunningServer) -> None:
    base = ollama_server.base_url
    root = requests.get(base + "/", timeout=10)
    assert (root.status_code, root.text, root.headers["content-type"]) == (
        200,
        "Ollama is running",
        "text/plain; charset=utf-8",
    )
    assert requests.head(base + "/", timeout=10).status_code == 200
    assert requests.head(base + "/api/version", timeout=10).status_code == 200
    assert requests.head(base + "/api/tags", timeout=10).status_code == 200


def test_unknown_path_and_wrong_method(ollama_server: RunningServer) -> None:
    missing = requests.get(ollama_server.base_url + "/api/nothing", timeout=10)
    assert (missing.status_code, missing.text) == (404, "404 page not found")
    wrong = requests.get(ollama_server.base_url + "/api/show", timeout=10)
    assert (wrong.status_code, wrong.text) == (405, "405 method not allowed")


def test_body_errors(ollama_server: RunningServer) -> None:
    empty = requests.post(ollama_server.base_url + "/api/chat", timeout=10)
    assert (empty.status_code, empty.json()) == (400, {"error": "missing request body"})
    broken = requests.post(ollama_server.base_url + "/api/generate", data="xyz", timeout=10)
    assert broken.status_code == 400 and broken.json()["error"].startswith("invalid character 'x'")
    typed = post(ollama_server, "/api/generate", {"model": 5})
    assert typed.json() == {
        "error": "json: cannot unmarshal number into Go struct field GenerateRequest.model of type string"
    }


def test_ndjson_stream_framing(ollama_server: RunningServer) -> None:
    r = post(ollama_server, "/api/chat", {"model": OLLAMA_MODEL, "messages": CHAT})
    assert r.headers["content-type"] == "application/x-ndjson"
    assert r.text.endswith("}\n") and "\n\n" not in r.text
    assert "\\u003cthere\\u003e" in r.text and "\\u0026" in r.text and "<" not in r.text
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert all(line["done"] is False and "done_reason" not in line for line in lines[:-1])
    assert all("total_duration" not in line for line in lines[:-1])
    final = lines[-1]
    assert final["done"] is True and final["done_reason"] == "stop" and final["message"]["content"] == ""
    assert list(final)[:5] == ["model", "created_at", "message", "done", "done_reason"]
    assert all(isinstance(final[k], int) and final[k] > 0 for k in ("total_duration", "eval_duration"))
    assert "".join(line["message"]["content"] for line in lines) == "You said: hi <there> & you"


def test_non_stream_is_one_object(ollama_server: RunningServer) -> None:
    r = post(ollama_server, "/api/generate", {"model": OLLAMA_MODEL, "prompt": "p", "stream": False})
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert not r.text.endswith("\n")
    body = r.json()
    assert body["response"] == "You said: p" and body["done"] and "thinking" not in body and body["context"]


def test_load_and_unload_shortcuts(ollama_server: RunningServer) -> None:
    loaded = post(ollama_server, "/api/chat", {"model": OLLAMA_MODEL, "messages": []}).json()
    assert loaded["done_reason"] == "load" and loaded["message"] == {"role": "assistant", "content": ""}
    assert OLLAMA_MODEL + ":latest" in [
        m["name"] for m in requests.get(ollama_server.base_url + "/api/ps").json()["models"]
    ]
    unloaded = post(ollama_server, "/api/generate", {"model": OLLAMA_MODEL, "keep_alive": 0}).json()
    assert unloaded["done_reason"] == "unload" and unloaded["response"] == ""
    assert requests.get(ollama_server.base_url + "/api/ps").json() == {"models": []}
    forever = post(
        ollama_server,
        "/api/generate",
        {"model": OLLAMA_MODEL, "prompt": "x", "keep_alive": -1, "stream": False},
    )
    assert forever.ok
    (entry,) = requests.get(ollama_server.base_url + "/api/ps").json()["models"]
    assert entry["expires_at"].startswith("2318-")
    bad = post(ollama_server, "/api/generate", {"model": OLLAMA_MODEL, "keep_alive": "5"})
    assert bad.json() == {"error": 'time: missing unit in duration "5"'}


def test_error_texts(ollama_server: RunningServer) -> None:
    cases = [
        ("/api/generate", {"model": "ghost", "prompt": "x"}, 404, "model 'ghost' not found"),
        ("/api/generate", {"prompt": "x"}, 404, "model '' not found"),
        ("/api/chat", {"messages": CHAT}, 400, "model is required"),
        (
            "/api/embed",
            {"model": "ghost", "input": "x"},
            404,
            'model "ghost" not found, try pulling it first',
        ),
        ("/api/embed", {"model": OLLAMA_MODEL, "input": [1]}, 400, "invalid input type"),
        (
            "/api/chat",
            {"model": OLLAMA_MODEL, "messages": CHAT, "top_logprobs": 21},
            400,
            "top_logprobs must be between 0 and 20",
        ),
        (
            "/api/chat",
            {"model": OLLAMA_MODEL, "messages": CHAT, "options": {"stop": "x"}},
            500,
            'option "stop" must be of type array',
        ),
        (
            "/api/generate",
            {"model": OLLAMA_MODEL, "raw": True, "system": "s", "prompt": "x"},
            400,
            "raw mode does not support template, system, or context",
        ),
        ("/api/copy", {"source": "bad name", "destination": "x"}, 400, 'source "bad name" is invalid'),
        ("/api/pull", {"model": "bad name"}, 400, "invalid model name"),
        ("/api/push", {}, 400, "model is required"),
        ("/api/create", {"model": "fresh-one"}, 400, "neither 'from' or 'files' was specified"),
        (
            "/api/chat",
            {"model": OLLAMA_MODEL, "messages": [{"role": "user", "content": "x", "images": ["@@@"]}]},
            400,
            "illegal base64 data at input byte 0",
        ),
    ]
    for path, body, status, text in cases:
        r = post(ollama_server, path, body)
        assert (r.status_code, r.json()) == (status, {"error": text}), path
    delete = requests.delete(ollama_server.base_url + "/api/delete", json={"model": "ghost"}, timeout=10)
    assert (delete.status_code, delete.json()) == (404, {"error": "model 'ghost' not found"})


def test_tags_and_show_shapes(ollama_server: RunningServer) -> None:
    (model,) = [
        m
        for m in requests.get(ollama_server.base_url + "/api/tags").json()["models"]
        if m["name"].startswith("llama3.2")
    ]
    assert list(model)[:6] == ["name", "model", "modified_at", "size", "digest", "details"]
    assert model["name"] == "llama3.2:latest" and len(model["digest"]) == 64
    assert set(model["details"]) >= {
        "parent_model",
        "format",
        "family",
        "families",
        "parameter_size",
        "quantization_level",
    }
    shown = post(ollama_server, "/api/show", {"model": "LLAMA3.2", "verbose": True}).json()
    assert shown["model_info"]["tokenizer.ggml.tokens"] and shown["tensors"]
    assert {
        "modelfile",
        "parameters",
        "template",
        "details",
        "model_info",
        "capabilities",
        "modified_at",
    } <= set(shown)
    terse = post(ollama_server, "/api/show", {"model": "llama3.2"}).json()
    assert terse["model_info"]["tokenizer.ggml.tokens"] == [] and "tensors" not in terse


def test_tool_call_wire_shape(ollama_server: RunningServer) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "lookup",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
    }
    body = {
        "model": OLLAMA_MODEL,
        "messages": [{"role": "user", "content": "lookup q=cats"}],
        "tools": [tool],
        "stream": False,
    }
    (call,) = post(ollama_server, "/api/chat", body).json()["message"]["tool_calls"]
    assert call["id"].startswith("call_") and len(call["id"]) == 13
    assert call["function"] == {"index": 0, "name": "lookup", "arguments": {"q": "cats"}}


def test_copy_delete_empty_bodies_and_progress_without_zeros(ollama_server: RunningServer) -> None:
    copied = post(ollama_server, "/api/copy", {"source": OLLAMA_MODEL, "destination": "wire-copy"})
    assert (copied.status_code, copied.content) == (200, b"")
    deleted = requests.delete(ollama_server.base_url + "/api/delete", json={"model": "wire-copy"}, timeout=10)
    assert (deleted.status_code, deleted.content) == (200, b"")
    pulled = post(ollama_server, "/api/pull", {"model": "gemma3:wire-pulled"})
    lines = [json.loads(line) for line in pulled.text.splitlines()]
    assert lines[0] == {"status": "pulling manifest"}
    assert all(v not in (0, "", None) for line in lines for v in line.values())
    single = post(ollama_server, "/api/pull", {"model": "gemma3:wire-pulled", "stream": False})
    assert (single.headers["content-type"], single.json()) == ("application/json", {"status": "success"})
    failing = post(ollama_server, "/api/pull", {"model": "missing-thing"})
    assert failing.status_code == 200
    assert failing.text.splitlines()[-1] == '{"error":"pull model manifest: file does not exist"}'


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_blobs(ollama_server: RunningServer) -> None:
    data = os.urandom(4096)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    url = ollama_server.base_url + "/api/blobs/" + digest
    assert requests.head(url, timeout=10).status_code == 404
    wrong = requests.post(ollama_server.base_url + "/api/blobs/sha256:" + "0" * 64, data=data, timeout=10)
    assert wrong.status_code == 400
    assert wrong.json() == {"error": f'digest mismatch, expected "sha256:{"0" * 64}", got "{digest}"'}
    created = requests.post(url, data=_chunks(data, 1000), timeout=10)  # chunked upload
    assert (created.status_code, created.content) == (201, b"")
    assert requests.head(url, timeout=10).status_code == 200
    assert requests.head(url.replace("sha256:", "sha256-"), timeout=10).status_code == 200
    assert requests.post(url, data=data, timeout=10).status_code == 200
    assert requests.head(ollama_server.base_url + "/api/blobs/nope", timeout=10).status_code == 400
    (entry,) = [r for r in ollama_server.requests() if r["method"] == "POST" and r["path"].endswith(digest)][
        :1
    ]
    assert entry["body_size"] == len(data) and entry["json"] is None


@pytest.mark.slow
def test_large_blob_upload_is_streamed(ollama_server: RunningServer) -> None:
    block = os.urandom(1 << 20)
    hasher = hashlib.sha256()
    for _ in range(200):
        hasher.update(block)
    digest = "sha256:" + hasher.hexdigest()

    def body() -> Iterator[bytes]:
        for _ in range(200):
            yield block

    r = requests.post(ollama_server.base_url + "/api/blobs/" + digest, data=body(), timeout=120)
    assert r.status_code == 201
